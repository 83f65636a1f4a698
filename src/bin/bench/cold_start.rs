//! Cold start: spawn → first authenticated, database-backed 200, alternating, BENCH_COLD_STARTS
//! times per system.

use crate::stats::{median, ms};
use crate::systems::{pair, spawn, Kind};
use crate::{Bench, Error, Results};
use std::collections::HashMap;

pub async fn run(bench: &Bench, results: &mut Results) -> Result<(), Error> {
    let cold_starts = bench.cold_starts;
    let mut cold: HashMap<Kind, Vec<f64>> = HashMap::new();
    for round in 0..cold_starts {
        for (kind, ()) in pair(round, (), ()) {
            let (child, _, took) = spawn(kind, &bench.settings, bench.url_of(kind), &reqwest::Client::new()).await?;
            drop(child);
            cold.entry(kind).or_default().push(ms(took));
        }
    }
    results.table.lower(
        format!("cold start: spawn → first authenticated, database-backed 200 (median of {cold_starts})"),
        median(&cold[&Kind::Product]),
        median(&cold[&Kind::Baseline]),
        "ms",
        1,
    );
    Ok(())
}
