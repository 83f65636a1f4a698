//! Size on disk of what runs: the stripped `server` binary against server.js, its node_modules and
//! the `node` binary.

use crate::procfs::{dir_size, on_path};
use crate::report::times;
use crate::{Bench, Error, Results};

pub async fn run(bench: &Bench, results: &mut Results) -> Result<(), Error> {
    let settings = &bench.settings;
    let server_size = std::fs::metadata(&settings.server_bin)?.len() as f64 / 1048576.0;
    let node_size = on_path("node").map(|p| dir_size(&p)).unwrap_or(0) as f64 / 1048576.0;
    let baseline_size = dir_size(&settings.node_dir) as f64 / 1048576.0;
    results.table.text(
        "size on disk",
        format!("{server_size:.1} MiB (`server`, stripped)"),
        format!("{baseline_size:.1} MiB (server.js + node_modules) + {node_size:.0} MiB (`node`)"),
        times((baseline_size + node_size) / server_size),
    );
    Ok(())
}
