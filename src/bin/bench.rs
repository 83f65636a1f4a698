//! `scripts/bench` runs this against the local stack (PostgreSQL, sockudo) with release builds and
//! prints a Markdown table: cold start of a function binary, its memory, channel-auth and send
//! latency, and history-page latency as the message table grows.

use pusher_chat::auth::sign_hs256_token;
use pusher_chat::context::AppContext;
use pusher_chat::db::users::{upsert_user, User};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};

fn percentile(samples: &mut [f64], p: f64) -> f64 {
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts a function binary the way `vercel dev` does; returns it, its port and the time to ready.
async fn boot(bin: &std::path::Path) -> (tokio::process::Child, u16, Duration) {
    let port = free_port();
    let started = Instant::now();
    let mut child = tokio::process::Command::new(bin)
        .env("VERCEL_DEV_PORT", port.to_string())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("function binary");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while let Some(line) = lines.next_line().await.unwrap() {
        if line.contains("Dev server listening") {
            break;
        }
    }
    (child, port, started.elapsed())
}

fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bin_dir = std::env::current_exe()?.parent().unwrap().to_path_buf();
    let http = reqwest::Client::new();
    let ctx = AppContext::from_env()?;
    let secret = ctx.config.auth.jwt_secret.clone().expect("SUPABASE_JWT_SECRET").expose().to_owned();
    let mut rows: Vec<(String, String)> = Vec::new();

    // Cold start: process start to listening, and to the first answered /api/health.
    let mut listening = Vec::new();
    let mut first_answer = Vec::new();
    for _ in 0..10 {
        let started = Instant::now();
        let (child, port, ready) = boot(&bin_dir.join("api-health")).await;
        let status = http.get(format!("http://127.0.0.1:{port}/api/health")).send().await?.status();
        assert_eq!(status, 200, "health must be ok for the benchmark");
        first_answer.push(ms(started.elapsed()));
        listening.push(ms(ready));
        drop(child);
    }
    rows.push((
        "cold start to `Dev server listening` (p50 of 10)".into(),
        format!("{:.1} ms", percentile(&mut listening, 0.5)),
    ));
    rows.push((
        "cold start to first `/api/health` answer incl. DB connect + Pusher call (p50 of 10)".into(),
        format!("{:.1} ms", percentile(&mut first_answer, 0.5)),
    ));
    let size = std::fs::metadata(bin_dir.join("api-messages-private"))?.len();
    rows.push(("release binary size of one function (stripped)".into(), format!("{:.1} MiB", size as f64 / 1048576.0)));

    // Channel authorization on one warm function instance.
    let alice = "00000000-0000-4000-8000-00000000a11c";
    let token = sign_hs256_token(&secret, "authenticated", alice, None, 3600);
    let (auth_fn, port, _) = boot(&bin_dir.join("api-pusher-auth")).await;
    let url = format!("http://127.0.0.1:{port}/api/pusher/auth");
    let form = format!("socket_id=123.456&channel_name=private-notifications-{alice}");
    let mut latencies = Vec::new();
    for _ in 0..1000 {
        let started = Instant::now();
        let response = http
            .post(&url)
            .bearer_auth(&token)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.clone())
            .send()
            .await?;
        assert_eq!(response.status(), 200);
        response.bytes().await?;
        latencies.push(ms(started.elapsed()));
    }
    rows.push((
        "`POST /api/pusher/auth` latency, warm instance (p50 / p99 of 1000)".into(),
        format!("{:.2} ms / {:.2} ms", percentile(&mut latencies, 0.5), percentile(&mut latencies, 0.99)),
    ));
    let started = Instant::now();
    let total = 2000;
    let workers = (0..16).map(|_| {
        let (http, url, token, form) = (http.clone(), url.clone(), token.clone(), form.clone());
        tokio::spawn(async move {
            for _ in 0..total / 16 {
                let r = http
                    .post(&url)
                    .bearer_auth(&token)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(form.clone())
                    .send()
                    .await
                    .unwrap();
                r.bytes().await.unwrap();
            }
        })
    });
    for worker in workers {
        worker.await?;
    }
    rows.push((
        "`POST /api/pusher/auth` throughput, one instance, 16 concurrent clients".into(),
        format!("{:.0} req/s", total as f64 / started.elapsed().as_secs_f64()),
    ));
    rows.push((
        "peak memory (RSS) of that instance after 3000 requests".into(),
        format!("{:.1} MiB", peak_rss_kib(auth_fn.id().unwrap()) as f64 / 1024.0),
    ));
    drop(auth_fn);

    // Sends: 100 senders × 10 messages (the per-sender limit) to one function instance.
    let db = ctx.db.get().await?;
    let mut senders = Vec::new();
    for i in 0..100 {
        let id = format!("bench-sender-{i}");
        upsert_user(
            &**db,
            &User { id: id.clone(), first_name: "Bench".into(), last_name: format!("{i}"), avatar: None },
            None,
        )
        .await?;
        senders.push(id);
    }
    let (send_fn, port, _) = boot(&bin_dir.join("api-messages-private")).await;
    let url = format!("http://127.0.0.1:{port}/api/messages/private");
    let mut latencies = Vec::new();
    for round in 0..10 {
        for sender in &senders {
            let token = sign_hs256_token(&secret, "authenticated", sender, None, 3600);
            let started = Instant::now();
            let response = http
                .post(&url)
                .bearer_auth(&token)
                .json(&serde_json::json!({"receiverId": alice, "content": format!("benchmark message {round}")}))
                .send()
                .await?;
            assert_eq!(response.status(), 201, "{}", response.text().await?);
            latencies.push(ms(started.elapsed()));
        }
    }
    rows.push((
        "`POST /api/messages/private` latency incl. save + publish, warm (p50 / p99 of 1000)".into(),
        format!("{:.2} ms / {:.2} ms", percentile(&mut latencies, 0.5), percentile(&mut latencies, 0.99)),
    ));
    drop(send_fn);

    // History page latency as the message table grows (other conversations' rows).
    let (list_fn, port, _) = boot(&bin_dir.join("api-messages-private")).await;
    let reader = sign_hs256_token(&secret, "authenticated", alice, None, 3600);
    let list_url = format!("http://127.0.0.1:{port}/api/messages/private?chatId=bench-sender-0&limit=50");
    for target in [10_000i64, 1_000_000] {
        let count: i64 = db.query_one(r#"SELECT count(*) FROM "Message""#, &[]).await?.get(0);
        if count < target {
            db.batch_execute(&format!(
                r#"INSERT INTO "Message" ("id", "senderId", "receiverId", "content", "updatedAt", "chatId", "seq")
                   SELECT 'filler-' || g, 'bench-sender-' || (g % 100), '00000000-0000-4000-8000-000000000b0b', 'filler',
                          now(), 'filler:' || (g % 5000), g
                   FROM generate_series({count}, {target}) g ON CONFLICT DO NOTHING;
                   ANALYZE "Message";"#
            ))
            .await?;
        }
        let mut latencies = Vec::new();
        for _ in 0..300 {
            let started = Instant::now();
            let response = http.get(&list_url).bearer_auth(&reader).send().await?;
            assert_eq!(response.status(), 200);
            response.bytes().await?;
            latencies.push(ms(started.elapsed()));
        }
        rows.push((
            format!("`GET /api/messages/private?limit=50` (a 10-message chat), {target} messages in the table (p50 / p99 of 300)"),
            format!("{:.2} ms / {:.2} ms", percentile(&mut latencies, 0.5), percentile(&mut latencies, 0.99)),
        ));
    }
    drop(list_fn);

    println!("| measurement | result |\n|---|---|");
    for (name, value) in rows {
        println!("| {name} | {value} |");
    }
    Ok(())
}
