//! Memory of the long-running processes: resident after the warm-up, and the peak after the
//! sections that ran before this one (all the load, in a full run).

use crate::procfs::status_kib;
use crate::report::times;
use crate::systems::Kind;
use crate::{Bench, Error, Results};

pub async fn run(bench: &Bench, results: &mut Results) -> Result<(), Error> {
    let rss = |kind: Kind| {
        let pid = bench.system(kind).pid;
        format!("{:.0} MiB / {:.0} MiB", bench.idle_rss[&pid] / 1024.0, status_kib(pid, "VmHWM:") / 1024.0)
    };
    let peak = |kind: Kind| status_kib(bench.system(kind).pid, "VmHWM:");
    results.table.text(
        "RSS after warm-up / peak after the load",
        rss(Kind::Product),
        rss(Kind::Baseline),
        format!("{} (peak)", times(peak(Kind::Baseline) / peak(Kind::Product))),
    );
    Ok(())
}
