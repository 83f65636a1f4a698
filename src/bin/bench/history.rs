//! History page latency as the table grows: the send phases' rows are cleared, then the table is
//! filled to each of BENCH_HISTORY_SIZES and one page of 50 is read 300 times per system.

use crate::load::sequential;
use crate::report::{pcts, times};
use crate::stats::median;
use crate::systems::{history_sql, pair, Kind};
use crate::{Bench, Error, Results, PARTNER};
use std::collections::HashMap;

pub async fn run(bench: &Bench, results: &mut Results) -> Result<(), Error> {
    let mut filled = 0i64;
    for &size in &bench.history_sizes {
        for s in &bench.systems {
            s.db.batch_execute(&history_sql(filled, size)).await?;
        }
        filled = size;
        let mut latencies: HashMap<u32, Vec<f64>> = HashMap::new();
        for round in 0..4 {
            for (kind, ()) in pair(round, (), ()) {
                let s = bench.system(kind);
                let url = format!("{}/api/messages/private?chatId={PARTNER}&limit=50", s.base);
                let samples = sequential(75, || bench.http.get(&url).bearer_auth(&bench.reader_token)).await;
                latencies.entry(s.pid).or_default().extend(samples);
            }
        }
        let (p, b) = (&latencies[&bench.system(Kind::Product).pid], &latencies[&bench.system(Kind::Baseline).pid]);
        results.table.text(
            format!("history page of 50, {size} messages in the table: p50 / p99 (300 sequential)"),
            format!("{} ms", pcts(p, &[0.5, 0.99])),
            format!("{} ms", pcts(b, &[0.5, 0.99])),
            format!("{} (p50)", times(median(b) / median(p))),
        );
    }
    Ok(())
}
