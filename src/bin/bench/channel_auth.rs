//! `POST /api/pusher/auth`, warm: 4 alternating blocks of 250 sequential requests per system.

use crate::load::sequential;
use crate::stats::{median, percentile};
use crate::systems::{pair, Kind};
use crate::{Bench, Error, Results, READER};
use std::collections::HashMap;

pub async fn run(bench: &Bench, results: &mut Results) -> Result<(), Error> {
    let mut auth: HashMap<u32, Vec<f64>> = HashMap::new();
    for round in 0..4 {
        for (kind, ()) in pair(round, (), ()) {
            let s = bench.system(kind);
            let url = format!("{}/api/pusher/auth", s.base);
            let samples = sequential(250, || {
                bench
                    .http
                    .post(&url)
                    .bearer_auth(&bench.reader_token)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(format!("socket_id=123.456&channel_name=private-notifications-{READER}"))
            })
            .await;
            auth.entry(s.pid).or_default().extend(samples);
        }
    }
    let (p, b) = (&auth[&bench.system(Kind::Product).pid], &auth[&bench.system(Kind::Baseline).pid]);
    results.table.lower("`POST /api/pusher/auth` latency p50 (1000 sequential)", median(p), median(b), "ms", 3);
    results.table.lower("`POST /api/pusher/auth` latency p99", percentile(p, 0.99), percentile(b, 0.99), "ms", 3);
    Ok(())
}
