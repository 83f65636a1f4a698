//! `scripts/bench` runs this against the local stack (PostgreSQL, sockudo): the release `server`
//! binary (the same routing table and adapter as the Vercel functions) side by side with the Node
//! baseline of `bench/node-baseline/` (the seed design's route on the `pusher` and `pg` packages),
//! each on its own database, alternating, with identical requests. Prints a Markdown table: send
//! throughput and latency, send→deliver latency seen by a websocket subscriber on sockudo, CPU per
//! send of each process from /proc, cold start, channel-auth and history latency, size and memory.
//!
//! One module per measured thing (a section), each adding its rows to the table; the shared parts
//! are the two systems (`systems`), the send load (`load`), the websocket subscriber
//! (`websocket`), /proc (`procfs`), statistics (`stats`) and the table (`report`). A new section
//! is a module with `pub async fn run(bench: &Bench, results: &mut Results) -> Result<(), Error>`
//! and its name in the `sections!` list below, which also fixes the order of the table's rows.
//!
//! Settings (environment): BENCH_PRODUCT_DATABASE_URL, BENCH_BASELINE_DATABASE_URL, BENCH_SERVER_BIN,
//! BENCH_NODE_BASELINE (the folder), BENCH_SOCKUDO_PID, BENCH_SECONDS (5 per phase), BENCH_ROUNDS (3),
//! BENCH_COLD_STARTS (15), BENCH_HISTORY_SIZES (10000,100000,1000000), BENCH_ONLY (a comma-separated
//! list of sections to run, e.g. `cold_start,history`; all of them unless set), and the usual
//! PUSHER_* and SUPABASE_JWT_SECRET.

mod load;
mod procfs;
mod report;
mod stats;
mod systems;
mod websocket;

use load::{Load, Mode};
use pusher_chat::auth::sign_hs256_token;
use report::Table;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use systems::{connect_db, history_sql, spawn, Kind, Settings, System, SETUP_SQL};
use websocket::{subscribe, Deliveries};

/// Declares the sections in the order their rows appear, and runs one by name.
macro_rules! sections {
    ($($section:ident),+ $(,)?) => {
        $(mod $section;)+

        const SECTIONS: &[&str] = &[$(stringify!($section)),+];

        async fn run_section(name: &str, bench: &Bench, results: &mut Results) -> Result<(), Error> {
            match name {
                $(stringify!($section) => $section::run(bench, results).await,)+
                _ => Err(format!("no section {name}").into()),
            }
        }
    };
}

sections!(send_load, delivery, cpu_per_send, channel_auth, memory, cold_start, size, history);

type Error = Box<dyn std::error::Error + Send + Sync>;

const SENDERS: usize = 2000;
/// Receivers of the sends: sender `i` writes to receiver `i % RECEIVERS`, so the 2000 chats spread
/// over 50 inboxes (one websocket subscribes to all 50 notification channels).
const RECEIVERS: usize = 50;
const READER: &str = "bench-reader";
/// The reader's chat partner: 60 messages, read as one page of 50 in the history measurements.
const PARTNER: &str = "bench-00000";

fn sender_id(i: usize) -> String {
    format!("bench-{i:05}")
}

fn receiver_id(i: usize) -> String {
    format!("bench-receiver-{:02}", i % RECEIVERS)
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// CPU milliseconds per send of each round: API process, PostgreSQL backends, sockudo.
type CpuSamples = HashMap<u32, Vec<(f64, f64, f64)>>;

/// What every section reads: the settings, the two running systems and the send load.
pub struct Bench {
    settings: Settings,
    urls: [(Kind, String); 2],
    seconds: f64,
    rounds: usize,
    cold_starts: usize,
    history_sizes: Vec<i64>,
    http: reqwest::Client,
    systems: Vec<System>,
    load: Arc<Load>,
    reader_token: String,
    /// Resident memory of each process right after the warm-up, by pid.
    idle_rss: HashMap<u32, f64>,
}

impl Bench {
    fn system(&self, kind: Kind) -> &System {
        self.systems.iter().find(|s| s.kind == kind).unwrap()
    }

    fn url_of(&self, kind: Kind) -> &str {
        self.urls.iter().find(|(k, _)| *k == kind).map(|(_, u)| u.as_str()).unwrap()
    }
}

/// What sections write: the table's rows, failed sends, and samples one section takes for another.
#[derive(Default)]
pub struct Results {
    table: Table,
    /// Failed sends by pid, over every phase.
    errors: HashMap<u32, u64>,
    /// CPU per send at 50 concurrent senders (taken by `send_load`) and at 200 sends/s offered
    /// (taken by `delivery`); `cpu_per_send` measures them itself when those did not run.
    cpu_at_50: CpuSamples,
    cpu_at_200: CpuSamples,
}

/// The sections BENCH_ONLY names (all unless set), in the table's order; an unknown name is refused.
fn selected_sections() -> Result<Vec<&'static str>, Error> {
    let Ok(only) = std::env::var("BENCH_ONLY") else { return Ok(SECTIONS.to_vec()) };
    let wanted: Vec<&str> = only.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    if let Some(unknown) = wanted.iter().find(|w| !SECTIONS.contains(w)) {
        return Err(format!("BENCH_ONLY: no section {unknown:?} (the sections: {})", SECTIONS.join(", ")).into());
    }
    Ok(SECTIONS.iter().copied().filter(|s| wanted.contains(s)).collect())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let sections = selected_sections()?;
    let bin_dir = std::env::current_exe()?.parent().unwrap().to_path_buf();
    let settings = Settings {
        server_bin: std::env::var("BENCH_SERVER_BIN").map(PathBuf::from).unwrap_or_else(|_| bin_dir.join("server")),
        node_dir: PathBuf::from(env_or("BENCH_NODE_BASELINE", "bench/node-baseline")),
        secret: std::env::var("SUPABASE_JWT_SECRET").map_err(|_| "SUPABASE_JWT_SECRET is not set")?,
    };
    let urls = [
        (Kind::Product, std::env::var("BENCH_PRODUCT_DATABASE_URL").map_err(|_| "BENCH_PRODUCT_DATABASE_URL")?),
        (Kind::Baseline, std::env::var("BENCH_BASELINE_DATABASE_URL").map_err(|_| "BENCH_BASELINE_DATABASE_URL")?),
    ];
    let seconds: f64 = env_or("BENCH_SECONDS", "5").parse()?;
    let rounds: usize = env_or("BENCH_ROUNDS", "3").parse()?;
    let cold_starts: usize = env_or("BENCH_COLD_STARTS", "15").parse()?;
    let history_sizes: Vec<i64> = env_or("BENCH_HISTORY_SIZES", "10000,100000,1000000")
        .split(',')
        .map(|s| s.trim().parse())
        .collect::<Result<_, _>>()?;
    let http = reqwest::Client::builder().pool_max_idle_per_host(256).build()?;

    let mut systems = Vec::new();
    for (kind, url) in &urls {
        let db = connect_db(url).await?;
        db.batch_execute(SETUP_SQL).await?;
        db.batch_execute(&history_sql(0, 0)).await?;
        let (child, base, _) = spawn(*kind, &settings, url, &http).await?;
        let pid = child.id().ok_or("no pid")?;
        systems.push(System { kind: *kind, base, pid, db, _child: child });
    }
    let deliveries = Arc::new(Deliveries::default());
    subscribe(deliveries.clone()).await?;
    let load = Arc::new(Load {
        http: http.clone(),
        tokens: (0..SENDERS)
            .map(|i| sign_hs256_token(&settings.secret, "authenticated", &sender_id(i), None, 7200))
            .collect(),
        next_sender: AtomicU64::new(0),
        next_number: AtomicU64::new(0),
        deliveries,
        sockudo: std::env::var("BENCH_SOCKUDO_PID").ok().and_then(|p| p.parse().ok()),
    });

    // Warm-up: connections, prepared plans, Node's JIT.
    for s in &systems {
        let warm = load.run(s, Mode::Closed(10), 2.0).await;
        if warm.errors > 0 || warm.ok == 0 {
            return Err(format!("warm-up failed: {} errors, {} ok", warm.errors, warm.ok).into());
        }
    }
    let idle_rss = systems.iter().map(|s| (s.pid, procfs::status_kib(s.pid, "VmRSS:"))).collect();
    let reader_token = sign_hs256_token(&settings.secret, "authenticated", READER, None, 3600);
    let bench = Bench {
        settings,
        urls,
        seconds,
        rounds,
        cold_starts,
        history_sizes,
        http,
        systems,
        load,
        reader_token,
        idle_rss,
    };

    let mut results = Results::default();
    for section in sections {
        run_section(section, &bench, &mut results).await?;
    }
    report::print(&bench, &results);
    Ok(())
}
