//! CPU per send of the API process, its PostgreSQL backends and sockudo (from /proc), medians over
//! the rounds of `send_load` (50 concurrent senders) and `delivery` (200 sends/s offered). Run
//! without them (BENCH_ONLY), it runs those same phases itself first.

use crate::load::Mode;
use crate::stats::median;
use crate::systems::{pair, Kind};
use crate::{Bench, CpuSamples, Error, Results};

type Cpu = (f64, f64, f64);

pub async fn run(bench: &Bench, results: &mut Results) -> Result<(), Error> {
    if results.cpu_at_50.is_empty() {
        results.cpu_at_50 = measure(bench, results, Mode::Closed(50), bench.rounds, bench.seconds).await;
    }
    if results.cpu_at_200.is_empty() {
        results.cpu_at_200 = measure(bench, results, Mode::Open(200.0), bench.rounds.min(2), bench.seconds * 2.0).await;
    }
    let (at_50, at_200) = (std::mem::take(&mut results.cpu_at_50), std::mem::take(&mut results.cpu_at_200));
    for (label, samples) in [("50 concurrent senders", &at_50), ("200 sends/s offered", &at_200)] {
        let per = |kind: Kind, pick: fn(&Cpu) -> f64| {
            median(&samples[&bench.system(kind).pid].iter().map(pick).collect::<Vec<_>>())
        };
        for (what, pick) in [
            ("API process", (|c: &Cpu| c.0) as fn(&Cpu) -> f64),
            ("PostgreSQL backends", |c| c.1),
            ("sockudo", |c| c.2),
            ("all three", |c| c.0 + c.1 + c.2),
        ] {
            results.table.lower(
                format!("CPU per send, {what}, {label}"),
                per(Kind::Product, pick),
                per(Kind::Baseline, pick),
                "ms",
                3,
            );
        }
    }
    Ok(())
}

/// The phases the other sections would have run, for their CPU per send only.
async fn measure(bench: &Bench, results: &mut Results, mode: Mode, rounds: usize, seconds: f64) -> CpuSamples {
    let mut samples = CpuSamples::new();
    for round in 0..rounds {
        for (kind, ()) in pair(round, (), ()) {
            let s = bench.system(kind);
            let phase = bench.load.run(s, mode, seconds).await;
            *results.errors.entry(s.pid).or_default() += phase.errors;
            samples.entry(s.pid).or_default().push(phase.cpu);
        }
    }
    samples
}
