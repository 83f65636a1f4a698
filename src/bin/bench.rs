//! `scripts/bench` runs this against the local stack (PostgreSQL, sockudo): the release `server`
//! binary (the same routing table and adapter as the Vercel functions) side by side with the Node
//! baseline of `bench/node-baseline/` (the seed design's route on the `pusher` and `pg` packages),
//! each on its own database, alternating, with identical requests. Prints a Markdown table: send
//! throughput and latency, send→deliver latency seen by a websocket subscriber on sockudo, CPU per
//! send of each process from /proc, cold start, channel-auth and history latency, size and memory.
//!
//! Settings (environment): BENCH_PRODUCT_DATABASE_URL, BENCH_BASELINE_DATABASE_URL, BENCH_SERVER_BIN,
//! BENCH_NODE_BASELINE (the folder), BENCH_SOCKUDO_PID, BENCH_SECONDS (5 per phase), BENCH_ROUNDS (3),
//! BENCH_COLD_STARTS (15), BENCH_HISTORY_SIZES (10000,100000,1000000), and the usual PUSHER_* and
//! SUPABASE_JWT_SECRET.

use pusher_chat::auth::sign_hs256_token;
use pusher_chat::pusher::signature::channel_auth_signature;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

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

fn percentile(samples: &[f64], p: f64) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn median(samples: &[f64]) -> f64 {
    percentile(samples, 0.5)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

// --- /proc --------------------------------------------------------------------------------------

/// User + system CPU time of a process (all its threads), in milliseconds (USER_HZ is 100).
fn cpu_ms(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 * 10.0)
}

fn status_kib(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

fn dir_size(path: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else { return 0 };
    if !meta.is_dir() {
        return meta.len();
    }
    std::fs::read_dir(path).map(|d| d.flatten().map(|e| dir_size(&e.path())).sum()).unwrap_or(0)
}

fn on_path(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join(program)).find(|p| p.is_file())
}

// --- the two systems ----------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Product,
    Baseline,
}

struct Settings {
    server_bin: PathBuf,
    node_dir: PathBuf,
    secret: String,
}

impl Kind {
    fn command(self, settings: &Settings, database_url: &str, port: u16) -> tokio::process::Command {
        let mut command = match self {
            Kind::Product => {
                let mut c = tokio::process::Command::new(&settings.server_bin);
                c.env("HOST", "127.0.0.1").env("DB_POOL_SIZE", "10").env("RUST_LOG", "warn");
                c
            }
            Kind::Baseline => {
                let mut c = tokio::process::Command::new("node");
                c.arg(settings.node_dir.join("server.js")).env("PG_POOL_SIZE", "10").env("PG_IDLE_TIMEOUT_MS", "0");
                c
            }
        };
        command
            .env("PORT", port.to_string())
            .env("DATABASE_URL", database_url)
            // Distinct senders keep every sender far below the limit anyway; this makes sure of it.
            .env("RATE_LIMIT_MESSAGES_PER_MINUTE", "1000000")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        command
    }
}

struct System {
    kind: Kind,
    base: String,
    pid: u32,
    db: tokio_postgres::Client,
    _child: tokio::process::Child,
}

impl System {
    /// CPU of the API process, of this database's PostgreSQL backends (by pid), of sockudo.
    async fn cpu(&self, sockudo: Option<u32>) -> (f64, HashMap<u32, f64>, f64) {
        let rows = self
            .db
            .query(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
                &[],
            )
            .await
            .unwrap_or_default();
        let backends =
            rows.iter().filter_map(|r| u32::try_from(r.get::<_, i32>(0)).ok()).filter_map(|p| Some((p, cpu_ms(p)?)));
        (cpu_ms(self.pid).unwrap_or(0.0), backends.collect(), sockudo.and_then(cpu_ms).unwrap_or(0.0))
    }
}

/// Spawns one system and waits for its first authenticated, database-backed 200; returns the time.
async fn spawn(
    kind: Kind,
    settings: &Settings,
    database_url: &str,
    http: &reqwest::Client,
) -> Result<(tokio::process::Child, String, Duration), Error> {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let url = format!("{base}/api/messages/private?chatId={PARTNER}&limit=50");
    let token = sign_hs256_token(&settings.secret, "authenticated", READER, None, 3600);
    let started = Instant::now();
    let mut child = kind.command(settings, database_url, port).spawn()?;
    loop {
        if let Ok(response) = http.get(&url).bearer_auth(&token).send().await {
            if response.status() == 200 {
                response.bytes().await?;
                return Ok((child, base, started.elapsed()));
            }
            return Err(format!("{base}: first answer {}", response.status()).into());
        }
        if let Some(status) = child.try_wait()? {
            return Err(format!("{base} exited with {status}").into());
        }
        if started.elapsed() > Duration::from_secs(20) {
            return Err(format!("{base} did not answer within 20 s").into());
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

// --- a websocket subscriber on sockudo (just enough of RFC 6455 and the Pusher protocol) ---------

async fn ws_write(stream: &mut TcpStream, opcode: u8, payload: &[u8]) -> std::io::Result<()> {
    let mask = [0x5a, 0x17, 0xc3, 0x81];
    let mut frame = vec![0x80 | opcode];
    match payload.len() {
        n if n < 126 => frame.push(0x80 | n as u8),
        n if n < 65536 => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            frame.push(0x80 | 127);
            frame.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    stream.write_all(&frame).await
}

/// One whole message: (opcode, payload).
async fn ws_read(stream: &mut TcpStream) -> std::io::Result<(u8, Vec<u8>)> {
    let mut message = Vec::new();
    let mut first_opcode = None;
    loop {
        let mut head = [0u8; 2];
        stream.read_exact(&mut head).await?;
        let len = match head[1] & 0x7f {
            126 => {
                let mut b = [0u8; 2];
                stream.read_exact(&mut b).await?;
                u16::from_be_bytes(b) as usize
            }
            127 => {
                let mut b = [0u8; 8];
                stream.read_exact(&mut b).await?;
                u64::from_be_bytes(b) as usize
            }
            n => n as usize,
        };
        let mut payload = vec![0u8; len];
        stream.read_exact(&mut payload).await?;
        let opcode = head[0] & 0x0f;
        if opcode >= 8 {
            return Ok((opcode, payload)); // control frames are never fragmented
        }
        first_opcode.get_or_insert(opcode);
        message.extend_from_slice(&payload);
        if head[0] & 0x80 != 0 {
            return Ok((first_opcode.unwrap_or(1), message));
        }
    }
}

/// Send start times by send number, and delivery latencies by send number.
#[derive(Default)]
struct Deliveries {
    started: Mutex<HashMap<u64, Instant>>,
    delivered: Mutex<HashMap<u64, f64>>,
}

/// Subscribes to the receiver's notification channel and records each `new-message` latency.
async fn subscribe(deliveries: Arc<Deliveries>) -> Result<(), Error> {
    let host = env_or("PUSHER_HOST", "127.0.0.1");
    let port = env_or("PUSHER_PORT", "80");
    let (key, secret) = (env_or("PUSHER_KEY", ""), env_or("PUSHER_SECRET", ""));
    let mut stream = TcpStream::connect(format!("{host}:{port}")).await?;
    stream.set_nodelay(true)?;
    let request = format!(
        "GET /app/{key}?protocol=7&client=bench&version=1.0 HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: cHVzaGVyLWNoYXQtYmVuY2g=\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(stream.read_u8().await?);
    }
    if !head.starts_with(b"HTTP/1.1 101") {
        return Err(format!("websocket upgrade refused: {}", String::from_utf8_lossy(&head)).into());
    }
    let channels: Vec<String> = (0..RECEIVERS).map(|i| format!("private-notifications-{}", receiver_id(i))).collect();
    let mut subscribed = false;
    let mut confirmed = 0;
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let mut ready_tx = Some(ready_tx);
    tokio::spawn(async move {
        loop {
            let Ok((opcode, payload)) = ws_read(&mut stream).await else { return };
            let received = Instant::now();
            match opcode {
                9 => {
                    let _ = ws_write(&mut stream, 10, &payload).await;
                    continue;
                }
                8 => return,
                _ => {}
            }
            let Ok(event) = serde_json::from_slice::<serde_json::Value>(&payload) else { continue };
            let data = || -> serde_json::Value {
                event["data"]
                    .as_str()
                    .and_then(|d| serde_json::from_str(d).ok())
                    .unwrap_or_else(|| event["data"].clone())
            };
            match event["event"].as_str().unwrap_or("") {
                "pusher:connection_established" if !subscribed => {
                    subscribed = true;
                    let socket_id = data()["socket_id"].as_str().unwrap_or("").to_owned();
                    for channel in &channels {
                        let auth = channel_auth_signature(&key, &secret, &socket_id, channel, None);
                        let subscribe = serde_json::json!({"event": "pusher:subscribe", "data": {"channel": channel, "auth": auth}});
                        let _ = ws_write(&mut stream, 1, subscribe.to_string().as_bytes()).await;
                    }
                }
                "pusher_internal:subscription_succeeded" => {
                    confirmed += 1;
                    if confirmed < channels.len() {
                        continue;
                    }
                    if let Some(tx) = ready_tx.take() {
                        let _ = tx.send(());
                    }
                }
                "pusher:ping" => {
                    let _ = ws_write(&mut stream, 1, br#"{"event":"pusher:pong","data":{}}"#).await;
                }
                "new-message" => {
                    let number = data()["content"].as_str().and_then(|c| c.strip_prefix("bench ")?.parse::<u64>().ok());
                    if let Some(number) = number {
                        if let Some(started) = deliveries.started.lock().unwrap().remove(&number) {
                            deliveries.delivered.lock().unwrap().insert(number, ms(received - started));
                        }
                    }
                }
                _ => {}
            }
        }
    });
    tokio::time::timeout(Duration::from_secs(10), ready_rx).await.map_err(|_| "no subscription within 10 s")??;
    Ok(())
}

// --- load ---------------------------------------------------------------------------------------

struct Load {
    http: reqwest::Client,
    tokens: Vec<String>,
    next_sender: AtomicU64,
    next_number: AtomicU64,
    deliveries: Arc<Deliveries>,
    sockudo: Option<u32>,
}

#[derive(Clone, Copy)]
enum Mode {
    /// This many senders, each sending its next message when the last is answered.
    Closed(usize),
    /// Sends started at this rate whatever the answers (open loop).
    Open(f64),
}

#[derive(Default)]
struct Phase {
    ok: u64,
    errors: u64,
    seconds: f64,
    latencies: Vec<f64>,
    delivered: Vec<f64>,
    /// CPU milliseconds per send: API process, PostgreSQL backends, sockudo.
    cpu: (f64, f64, f64),
}

impl Load {
    async fn send_one(&self, base: &str) -> Result<f64, Error> {
        let sender = self.next_sender.fetch_add(1, Ordering::Relaxed) as usize % SENDERS;
        let number = self.next_number.fetch_add(1, Ordering::Relaxed);
        let body = format!(r#"{{"receiverId":"{}","content":"bench {number}"}}"#, receiver_id(sender));
        let started = Instant::now();
        self.deliveries.started.lock().unwrap().insert(number, started);
        let response = self
            .http
            .post(format!("{base}/api/messages/private"))
            .bearer_auth(&self.tokens[sender])
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await?;
        let status = response.status();
        response.bytes().await?;
        if !status.is_success() {
            self.deliveries.started.lock().unwrap().remove(&number);
            return Err(format!("send answered {status}").into());
        }
        Ok(ms(started.elapsed()))
    }

    async fn run(self: &Arc<Self>, system: &System, mode: Mode, seconds: f64) -> Phase {
        let first = self.next_number.load(Ordering::Relaxed);
        let before = system.cpu(self.sockudo).await;
        let started = Instant::now();
        let deadline = started + Duration::from_secs_f64(seconds);
        let tasks: Vec<tokio::task::JoinHandle<Vec<Result<f64, String>>>> = match mode {
            Mode::Closed(senders) => (0..senders)
                .map(|_| {
                    let (load, base) = (self.clone(), system.base.clone());
                    tokio::spawn(async move {
                        let mut results = Vec::new();
                        while Instant::now() < deadline {
                            results.push(load.send_one(&base).await.map_err(|e| e.to_string()));
                        }
                        results
                    })
                })
                .collect(),
            Mode::Open(rate) => {
                let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
                let mut tasks = Vec::new();
                for _ in 0..(rate * seconds).round() as usize {
                    ticks.tick().await;
                    let (load, base) = (self.clone(), system.base.clone());
                    tasks
                        .push(tokio::spawn(async move { vec![load.send_one(&base).await.map_err(|e| e.to_string())] }));
                }
                tasks
            }
        };
        let mut phase = Phase::default();
        for task in tasks {
            for result in task.await.unwrap_or_default() {
                match result {
                    Ok(latency) => {
                        phase.ok += 1;
                        phase.latencies.push(latency);
                    }
                    Err(err) => {
                        if phase.errors == 0 {
                            eprintln!("bench: {err}");
                        }
                        phase.errors += 1;
                    }
                }
            }
        }
        phase.seconds = started.elapsed().as_secs_f64();
        // Deliveries (and publishes that run after the response) finish before CPU is read again.
        let last = self.next_number.load(Ordering::Relaxed);
        let waited = Instant::now();
        loop {
            let pending = self.deliveries.started.lock().unwrap().keys().filter(|n| (first..last).contains(n)).count();
            if pending == 0 || waited.elapsed() > Duration::from_secs(3) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let after = system.cpu(self.sockudo).await;
        let delivered = self.deliveries.delivered.lock().unwrap();
        phase.delivered = (first..last).filter_map(|n| delivered.get(&n).copied()).collect();
        let pg: f64 = after.1.iter().map(|(pid, cpu)| cpu - before.1.get(pid).copied().unwrap_or(0.0)).sum();
        let sends = phase.ok.max(1) as f64;
        phase.cpu = ((after.0 - before.0) / sends, pg / sends, (after.2 - before.2) / sends);
        self.deliveries.started.lock().unwrap().retain(|n, _| !(first..last).contains(n));
        phase
    }
}

/// `count` sequential requests; latencies in ms.
async fn sequential(count: usize, request: impl Fn() -> reqwest::RequestBuilder) -> Vec<f64> {
    let mut latencies = Vec::with_capacity(count);
    for _ in 0..count {
        let started = Instant::now();
        let response = request().send().await.expect("request");
        assert!(response.status().is_success(), "{}", response.status());
        response.bytes().await.expect("body");
        latencies.push(ms(started.elapsed()));
    }
    latencies
}

// --- the table ----------------------------------------------------------------------------------

struct Table(Vec<[String; 4]>);

impl Table {
    /// A row where lower is better: the ratio is baseline / product.
    fn lower(&mut self, name: impl Into<String>, product: f64, baseline: f64, unit: &str, digits: usize) {
        self.0.push([
            name.into(),
            format!("{product:.digits$} {unit}"),
            format!("{baseline:.digits$} {unit}"),
            times(baseline / product),
        ]);
    }

    /// A row where higher is better: the ratio is product / baseline.
    fn higher(&mut self, name: impl Into<String>, product: f64, baseline: f64, unit: &str) {
        self.0.push([
            name.into(),
            format!("{product:.0} {unit}"),
            format!("{baseline:.0} {unit}"),
            times(product / baseline),
        ]);
    }

    fn text(&mut self, name: impl Into<String>, product: String, baseline: String, ratio: String) {
        self.0.push([name.into(), product, baseline, ratio]);
    }
}

/// How many times better the product is (below 1: the baseline is better).
fn times(ratio: f64) -> String {
    if ratio >= 10.0 {
        format!("{ratio:.0}×")
    } else {
        format!("{ratio:.2}×")
    }
}

fn pcts(samples: &[f64], ps: &[f64]) -> String {
    ps.iter().map(|p| format!("{:.1}", percentile(samples, *p))).collect::<Vec<_>>().join(" / ")
}

fn pair<T>(round: usize, product: T, baseline: T) -> [(Kind, T); 2] {
    // Alternate which system goes first, so neither always runs on a warmer (or busier) machine.
    if round % 2 == 0 {
        [(Kind::Product, product), (Kind::Baseline, baseline)]
    } else {
        [(Kind::Baseline, baseline), (Kind::Product, product)]
    }
}

async fn connect_db(url: &str) -> Result<tokio_postgres::Client, Error> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

/// Users both systems know: senders, the receiver, the reader and its partner.
const SETUP_SQL: &str = r#"
    INSERT INTO "User" ("id", "firstName", "lastName")
    SELECT 'bench-' || lpad(g::text, 5, '0'), 'Bench', 'Sender ' || g FROM generate_series(0, 1999) g
    UNION ALL SELECT 'bench-receiver-' || lpad(g::text, 2, '0'), 'Bench', 'Receiver ' || g FROM generate_series(0, 49) g
    UNION ALL VALUES ('bench-reader', 'Bench', 'Reader')
    ON CONFLICT ("id") DO NOTHING;"#;

/// The reader's chat with its partner (60 messages), then filler rows up to `$total` messages.
fn history_sql(from: i64, to: i64) -> String {
    let mut sql = String::new();
    if from == 0 {
        sql.push_str(
            r#"TRUNCATE "Message" CASCADE;
            INSERT INTO "Message" ("id", "senderId", "receiverId", "content", "createdAt", "updatedAt", "chatId", "seq")
            SELECT 'chat-' || g, CASE WHEN g % 2 = 0 THEN 'bench-00000' ELSE 'bench-reader' END,
                   CASE WHEN g % 2 = 0 THEN 'bench-reader' ELSE 'bench-00000' END, 'message ' || g,
                   now() - interval '1 second' * (100 - g), now(), 'bench-00000:bench-reader', g
            FROM generate_series(1, 60) g;"#,
        );
    }
    sql.push_str(&format!(
        r#"INSERT INTO "Message" ("id", "senderId", "receiverId", "content", "createdAt", "updatedAt", "chatId", "seq")
        SELECT 'filler-' || g, 'bench-' || lpad((g % 2000)::text, 5, '0'), 'bench-receiver-' || lpad((g % 50)::text, 2, '0'),
               'filler message ' || g,
               now() - interval '1 day', now(), 'filler:' || (g % 5000), g
        FROM generate_series({from}, {to} - 1) g;
        ANALYZE "Message";"#
    ));
    sql
}

#[tokio::main]
async fn main() -> Result<(), Error> {
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
    let url_of = |kind: Kind| urls.iter().find(|(k, _)| *k == kind).map(|(_, u)| u.as_str()).unwrap();
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
    let system = |kind: Kind| systems.iter().find(|s| s.kind == kind).unwrap();
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
    let idle_rss: HashMap<u32, f64> = systems.iter().map(|s| (s.pid, status_kib(s.pid, "VmRSS:"))).collect();
    let mut table = Table(Vec::new());

    // Send throughput and latency, closed loop, alternating per round.
    let mut cpu_at_50: HashMap<u32, Vec<(f64, f64, f64)>> = HashMap::new();
    let mut errors: HashMap<u32, u64> = HashMap::new();
    for senders in [1usize, 10, 50] {
        // Per system: throughputs, p50s and p99s of the rounds.
        type Rounds = (Vec<f64>, Vec<f64>, Vec<f64>);
        let mut results: HashMap<u32, Rounds> = HashMap::new();
        for round in 0..rounds {
            for (kind, ()) in pair(round, (), ()) {
                let s = system(kind);
                let phase = load.run(s, Mode::Closed(senders), seconds).await;
                *errors.entry(s.pid).or_default() += phase.errors;
                let entry = results.entry(s.pid).or_default();
                entry.0.push(phase.ok as f64 / phase.seconds);
                entry.1.push(percentile(&phase.latencies, 0.5));
                entry.2.push(percentile(&phase.latencies, 0.99));
                if senders == 50 {
                    cpu_at_50.entry(s.pid).or_default().push(phase.cpu);
                }
            }
        }
        let (p, b) = (&results[&system(Kind::Product).pid], &results[&system(Kind::Baseline).pid]);
        table.higher(
            format!("send throughput, {senders} concurrent sender(s) (median of {rounds})"),
            median(&p.0),
            median(&b.0),
            "msg/s",
        );
        table.lower(format!("send latency p50, {senders} sender(s)"), median(&p.1), median(&b.1), "ms", 2);
        table.lower(format!("send latency p99, {senders} sender(s)"), median(&p.2), median(&b.2), "ms", 2);
    }

    // Send → deliver (a websocket subscriber on sockudo has `new-message`).
    let mut cpu_at_200: HashMap<u32, Vec<(f64, f64, f64)>> = HashMap::new();
    for mode in [Mode::Open(50.0), Mode::Open(200.0), Mode::Closed(50)] {
        let mut delivered: HashMap<u32, (Vec<f64>, u64)> = HashMap::new();
        for round in 0..rounds.min(2) {
            for (kind, ()) in pair(round, (), ()) {
                let s = system(kind);
                let phase = load.run(s, mode, seconds * 2.0).await;
                *errors.entry(s.pid).or_default() += phase.errors;
                let entry = delivered.entry(s.pid).or_default();
                entry.1 += phase.ok - phase.delivered.len() as u64;
                entry.0.extend(phase.delivered);
                if matches!(mode, Mode::Open(r) if r == 200.0) {
                    cpu_at_200.entry(s.pid).or_default().push(phase.cpu);
                }
            }
        }
        let name = match mode {
            Mode::Open(rate) => format!("send→deliver p50 / p95 / p99, {rate:.0} sends/s offered"),
            Mode::Closed(n) => format!("send→deliver p50 / p95 / p99, {n} concurrent senders"),
        };
        let (p, b) = (&delivered[&system(Kind::Product).pid], &delivered[&system(Kind::Baseline).pid]);
        let show = |d: &(Vec<f64>, u64)| {
            let lost = if d.1 > 0 { format!(" ({} not delivered)", d.1) } else { String::new() };
            format!("{} ms{lost}", pcts(&d.0, &[0.5, 0.95, 0.99]))
        };
        table.text(name, show(p), show(b), format!("{} (p50)", times(median(&b.0) / median(&p.0))));
    }

    // CPU per send, medians over the rounds.
    for (label, samples) in [("50 concurrent senders", &cpu_at_50), ("200 sends/s offered", &cpu_at_200)] {
        let per = |kind: Kind, pick: fn(&(f64, f64, f64)) -> f64| {
            median(&samples[&system(kind).pid].iter().map(pick).collect::<Vec<_>>())
        };
        for (what, pick) in [
            ("API process", (|c: &(f64, f64, f64)| c.0) as fn(&(f64, f64, f64)) -> f64),
            ("PostgreSQL backends", |c| c.1),
            ("sockudo", |c| c.2),
            ("all three", |c| c.0 + c.1 + c.2),
        ] {
            table.lower(
                format!("CPU per send, {what}, {label}"),
                per(Kind::Product, pick),
                per(Kind::Baseline, pick),
                "ms",
                3,
            );
        }
    }

    // Channel authorization, warm, sequential, alternating blocks.
    let mut auth: HashMap<u32, Vec<f64>> = HashMap::new();
    let reader_token = sign_hs256_token(&settings.secret, "authenticated", READER, None, 3600);
    for round in 0..4 {
        for (kind, ()) in pair(round, (), ()) {
            let s = system(kind);
            let url = format!("{}/api/pusher/auth", s.base);
            let samples = sequential(250, || {
                http.post(&url)
                    .bearer_auth(&reader_token)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(format!("socket_id=123.456&channel_name=private-notifications-{READER}"))
            })
            .await;
            auth.entry(s.pid).or_default().extend(samples);
        }
    }
    let (p, b) = (&auth[&system(Kind::Product).pid], &auth[&system(Kind::Baseline).pid]);
    table.lower("`POST /api/pusher/auth` latency p50 (1000 sequential)", median(p), median(b), "ms", 3);
    table.lower("`POST /api/pusher/auth` latency p99", percentile(p, 0.99), percentile(b, 0.99), "ms", 3);

    // Memory of the long-running processes, after all of the above.
    let rss = |kind: Kind| {
        let pid = system(kind).pid;
        format!("{:.0} MiB / {:.0} MiB", idle_rss[&pid] / 1024.0, status_kib(pid, "VmHWM:") / 1024.0)
    };
    let peak = |kind: Kind| status_kib(system(kind).pid, "VmHWM:");
    table.text(
        "RSS after warm-up / peak after the load",
        rss(Kind::Product),
        rss(Kind::Baseline),
        format!("{} (peak)", times(peak(Kind::Baseline) / peak(Kind::Product))),
    );

    // Cold start: spawn → first authenticated, database-backed 200, alternating.
    let mut cold: HashMap<Kind, Vec<f64>> = HashMap::new();
    for round in 0..cold_starts {
        for (kind, ()) in pair(round, (), ()) {
            let (child, _, took) = spawn(kind, &settings, url_of(kind), &reqwest::Client::new()).await?;
            drop(child);
            cold.entry(kind).or_default().push(ms(took));
        }
    }
    table.lower(
        format!("cold start: spawn → first authenticated, database-backed 200 (median of {cold_starts})"),
        median(&cold[&Kind::Product]),
        median(&cold[&Kind::Baseline]),
        "ms",
        1,
    );

    // Size on disk of what runs.
    let server_size = std::fs::metadata(&settings.server_bin)?.len() as f64 / 1048576.0;
    let node_size = on_path("node").map(|p| dir_size(&p)).unwrap_or(0) as f64 / 1048576.0;
    let baseline_size = dir_size(&settings.node_dir) as f64 / 1048576.0;
    table.text(
        "size on disk",
        format!("{server_size:.1} MiB (`server`, stripped)"),
        format!("{baseline_size:.1} MiB (server.js + node_modules) + {node_size:.0} MiB (`node`)"),
        times((baseline_size + node_size) / server_size),
    );

    // History page latency as the table grows, for both (the send phases' rows are cleared first).
    let mut filled = 0i64;
    for &size in &history_sizes {
        for s in &systems {
            s.db.batch_execute(&history_sql(filled, size)).await?;
        }
        filled = size;
        let mut latencies: HashMap<u32, Vec<f64>> = HashMap::new();
        for round in 0..4 {
            for (kind, ()) in pair(round, (), ()) {
                let s = system(kind);
                let url = format!("{}/api/messages/private?chatId={PARTNER}&limit=50", s.base);
                let samples = sequential(75, || http.get(&url).bearer_auth(&reader_token)).await;
                latencies.entry(s.pid).or_default().extend(samples);
            }
        }
        let (p, b) = (&latencies[&system(Kind::Product).pid], &latencies[&system(Kind::Baseline).pid]);
        table.text(
            format!("history page of 50, {size} messages in the table: p50 / p99 (300 sequential)"),
            format!("{} ms", pcts(p, &[0.5, 0.99])),
            format!("{} ms", pcts(b, &[0.5, 0.99])),
            format!("{} (p50)", times(median(b) / median(p))),
        );
    }

    let failed: Vec<String> = systems
        .iter()
        .filter(|s| errors.get(&s.pid).copied().unwrap_or(0) > 0)
        .map(|s| {
            format!("{}: {} failed sends", if s.kind == Kind::Product { "product" } else { "baseline" }, errors[&s.pid])
        })
        .collect();
    println!(
        "The last column says how many times better the Rust `server` does (Node ÷ Rust for times, CPU, memory and \
         size; Rust ÷ Node for throughput): below 1, the Node baseline does better.\n"
    );
    println!("| measurement | Rust `server` | Node baseline | Rust advantage |\n|---|---|---|---|");
    for [name, product, baseline, ratio] in &table.0 {
        println!("| {name} | {product} | {baseline} | {ratio} |");
    }
    if !failed.is_empty() {
        println!("\nErrors during the run: {}.", failed.join("; "));
    }
    Ok(())
}
