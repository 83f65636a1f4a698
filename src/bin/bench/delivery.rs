//! Send → deliver: when a websocket subscriber on sockudo has the `new-message` of each send, at
//! 50 and 200 sends/s offered (open loop) and with 50 concurrent senders; the CPU per send of the
//! 200/s rounds is kept for `cpu_per_send`.

use crate::load::Mode;
use crate::report::{pcts, times};
use crate::stats::median;
use crate::systems::{pair, Kind};
use crate::{Bench, Error, Results};
use std::collections::HashMap;

pub async fn run(bench: &Bench, results: &mut Results) -> Result<(), Error> {
    for mode in [Mode::Open(50.0), Mode::Open(200.0), Mode::Closed(50)] {
        let mut delivered: HashMap<u32, (Vec<f64>, u64)> = HashMap::new();
        for round in 0..bench.rounds.min(2) {
            for (kind, ()) in pair(round, (), ()) {
                let s = bench.system(kind);
                let phase = bench.load.run(s, mode, bench.seconds * 2.0).await;
                *results.errors.entry(s.pid).or_default() += phase.errors;
                let entry = delivered.entry(s.pid).or_default();
                entry.1 += phase.ok - phase.delivered.len() as u64;
                entry.0.extend(phase.delivered);
                if matches!(mode, Mode::Open(r) if r == 200.0) {
                    results.cpu_at_200.entry(s.pid).or_default().push(phase.cpu);
                }
            }
        }
        let name = match mode {
            Mode::Open(rate) => format!("send→deliver p50 / p95 / p99, {rate:.0} sends/s offered"),
            Mode::Closed(n) => format!("send→deliver p50 / p95 / p99, {n} concurrent senders"),
        };
        let (p, b) = (&delivered[&bench.system(Kind::Product).pid], &delivered[&bench.system(Kind::Baseline).pid]);
        let show = |d: &(Vec<f64>, u64)| {
            let lost = if d.1 > 0 { format!(" ({} not delivered)", d.1) } else { String::new() };
            format!("{} ms{lost}", pcts(&d.0, &[0.5, 0.95, 0.99]))
        };
        results.table.text(name, show(p), show(b), format!("{} (p50)", times(median(&b.0) / median(&p.0))));
    }
    Ok(())
}
