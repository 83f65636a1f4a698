//! Send throughput and latency: 1, 10 and 50 concurrent senders in a closed loop, alternating
//! per round; the CPU per send of the 50-sender rounds is kept for `cpu_per_send`.

use crate::load::Mode;
use crate::stats::{median, percentile};
use crate::systems::{pair, Kind};
use crate::{Bench, Error, Results};
use std::collections::HashMap;

pub async fn run(bench: &Bench, results: &mut Results) -> Result<(), Error> {
    let rounds = bench.rounds;
    for senders in [1usize, 10, 50] {
        // Per system: throughputs, p50s and p99s of the rounds.
        type Rounds = (Vec<f64>, Vec<f64>, Vec<f64>);
        let mut measured: HashMap<u32, Rounds> = HashMap::new();
        for round in 0..rounds {
            for (kind, ()) in pair(round, (), ()) {
                let s = bench.system(kind);
                let phase = bench.load.run(s, Mode::Closed(senders), bench.seconds).await;
                *results.errors.entry(s.pid).or_default() += phase.errors;
                let entry = measured.entry(s.pid).or_default();
                entry.0.push(phase.ok as f64 / phase.seconds);
                entry.1.push(percentile(&phase.latencies, 0.5));
                entry.2.push(percentile(&phase.latencies, 0.99));
                if senders == 50 {
                    results.cpu_at_50.entry(s.pid).or_default().push(phase.cpu);
                }
            }
        }
        let (p, b) = (&measured[&bench.system(Kind::Product).pid], &measured[&bench.system(Kind::Baseline).pid]);
        results.table.higher(
            format!("send throughput, {senders} concurrent sender(s) (median of {rounds})"),
            median(&p.0),
            median(&b.0),
            "msg/s",
        );
        results.table.lower(format!("send latency p50, {senders} sender(s)"), median(&p.1), median(&b.1), "ms", 2);
        results.table.lower(format!("send latency p99, {senders} sender(s)"), median(&p.2), median(&b.2), "ms", 2);
    }
    Ok(())
}
