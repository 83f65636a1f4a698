//! `scripts/bench-outbox` runs this: how fast the outbox drains, and how long one Web Push takes.
//!
//! 1. Drain throughput: `BENCH_OUTBOX_ROWS` (2000) webhook rows are written, then drained by one
//!    drain at a time (`/api/cron`'s code, `OUTBOX_DRAIN_BATCH` rows per call) into a receiver in
//!    this process that answers 200 at once: rows delivered per second, and the same with two
//!    drains side by side (two instances' crons), which must deliver each row once.
//! 2. Push latency: `BENCH_PUSH_COUNT` (300) pushes to one subscription of the test push service
//!    (`BENCH_PUSH_SERVICE_URL`, tests/push/push_service.py, which verifies VAPID and decrypts
//!    each one), one at a time: p50/p99 from claiming the row to the push service's 201; and the
//!    CPU part alone (encrypting and signing, no network).
//!
//! Settings: BENCH_DATABASE_URL (a database it may fill and empty), BENCH_PUSH_SERVICE_URL, and the
//! usual PUSHER_* and SUPABASE_JWT_SECRET (any values: nothing is published).

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use pusher_chat::config::Config;
use pusher_chat::context::AppContext;
use pusher_chat::db::outbox;
use pusher_chat::services::outbox::drain_rows;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

type Error = Box<dyn std::error::Error + Send + Sync>;

const VAPID_PUBLIC: &str = "BL0LjdyHjMCykDxJd4A1hqPtmngEo6s5NpryJLLQgDI6yrAd6EPeIcUE-N2UyICS_PXkriQyq_te-sxLekpvKFM";
const VAPID_PRIVATE: &str = "ryhgoMPbpFFhiVroXRo1ul9tKd-M6rQ_DSqEeAzxgbQ";

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn percentile(samples: &mut [f64], p: f64) -> f64 {
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    samples[((samples.len() as f64 - 1.0) * p).round() as usize]
}

/// A webhook receiver that answers 200 at once and counts deliveries per event id.
async fn receiver() -> Result<(u16, Arc<std::sync::Mutex<HashMap<String, u32>>>, Arc<AtomicU64>), Error> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let seen: Arc<std::sync::Mutex<HashMap<String, u32>>> = Arc::default();
    let total = Arc::new(AtomicU64::new(0));
    let (seen_by_server, total_by_server) = (seen.clone(), total.clone());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            let (seen, total) = (seen_by_server.clone(), total_by_server.clone());
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                    let (seen, total) = (seen.clone(), total.clone());
                    async move {
                        if let Some(id) = request.headers().get("pusher-chat-event-id").and_then(|v| v.to_str().ok()) {
                            *seen.lock().unwrap().entry(id.to_owned()).or_default() += 1;
                        }
                        total.fetch_add(1, Ordering::Relaxed);
                        Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(Bytes::from_static(b"{}"))))
                    }
                });
                let _ = http1::Builder::new().serve_connection(hyper_util::rt::TokioIo::new(stream), service).await;
            });
        }
    });
    Ok((port, seen, total))
}

fn context(extra: &[(&str, String)]) -> Result<Arc<AppContext>, Error> {
    let mut vars: HashMap<String, String> = std::env::vars().collect();
    vars.insert("DATABASE_URL".into(), std::env::var("BENCH_DATABASE_URL")?);
    vars.insert("DB_POOL_SIZE".into(), "10".into());
    for (name, value) in extra {
        vars.insert((*name).into(), value.clone());
    }
    Ok(AppContext::new(Config::from_lookup(|k| vars.get(k).cloned())?)?)
}

async fn fill(ctx: &AppContext, rows: usize) -> Result<(), Error> {
    let db = ctx.db.get().await?;
    db.batch_execute(r#"DELETE FROM "Outbox""#).await?;
    let payload = json!({"type": "user.status_changed", "data": {"userId": "bench", "status": "online"}});
    for chunk in (0..rows).collect::<Vec<_>>().chunks(500) {
        let batch: Vec<(&str, Value)> = chunk.iter().map(|_| ("webhook", payload.clone())).collect();
        outbox::enqueue(&**db, &batch).await?;
    }
    Ok(())
}

/// Drains with `drains` drains side by side until the table is empty; rows per second.
async fn drain_all(ctx: &Arc<AppContext>, rows: usize, drains: usize) -> Result<f64, Error> {
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..drains {
        let ctx = ctx.clone();
        workers.spawn(async move {
            loop {
                let report = drain_rows(&ctx, None, 200, Duration::from_secs(5)).await?;
                if report.delivered == 0 && report.retrying == 0 {
                    return Ok::<_, pusher_chat::error::ApiError>(());
                }
            }
        });
    }
    while let Some(done) = workers.join_next().await {
        done??;
    }
    Ok(rows as f64 / started.elapsed().as_secs_f64())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let rows: usize = env_or("BENCH_OUTBOX_ROWS", "2000").parse()?;
    let pushes: usize = env_or("BENCH_PUSH_COUNT", "300").parse()?;
    let push_service = std::env::var("BENCH_PUSH_SERVICE_URL")?;
    let (port, seen, total) = receiver().await?;
    let ctx = context(&[
        ("OUTBOUND_WEBHOOK_URL", format!("http://127.0.0.1:{port}/hook")),
        ("OUTBOUND_WEBHOOK_SECRET", "bench-secret-0123456789".into()),
        ("OUTBOUND_WEBHOOK_ALLOW_HTTP", "true".into()),
        ("WEB_PUSH_VAPID_PUBLIC_KEY", VAPID_PUBLIC.into()),
        ("WEB_PUSH_VAPID_PRIVATE_KEY", VAPID_PRIVATE.into()),
        ("WEB_PUSH_SUBJECT", "mailto:bench@chat.example".into()),
        ("WEB_PUSH_ALLOWED_ORIGINS", push_service.clone()),
    ])?;
    println!("| measurement | result |\n|---|---|");

    for drains in [1, 2] {
        let mut rates = Vec::new();
        for _ in 0..3 {
            fill(&ctx, rows).await?;
            seen.lock().unwrap().clear();
            total.store(0, Ordering::Relaxed);
            rates.push(drain_all(&ctx, rows, drains).await?);
            let seen = seen.lock().unwrap();
            let twice = seen.values().filter(|n| **n > 1).count();
            assert_eq!((seen.len(), twice), (rows, 0), "every row delivered exactly once");
        }
        let median = percentile(&mut rates, 0.5);
        println!("| outbox drain, {rows} webhook rows, {drains} drain(s) side by side (median of 3) | {median:.0} rows/s, each delivered once |");
    }

    // Web Push: one subscription of the push service, one push at a time.
    let subscription: Value =
        reqwest::Client::new().post(format!("{push_service}/subscriptions")).send().await?.json().await?;
    let db = ctx.db.get().await?;
    db.batch_execute(r#"DELETE FROM "Outbox"; DELETE FROM "PushSubscription""#).await?;
    let user = pusher_chat::db::users::User {
        id: "bench-push".into(),
        first_name: "Bench".into(),
        last_name: "User".into(),
        avatar: None,
    };
    pusher_chat::db::users::upsert_user(&**db, &user, None).await?;
    db.execute(
        r#"INSERT INTO "PushSubscription" ("id", "userId", "endpoint", "p256dh", "auth") VALUES ('bench', 'bench-push', $1, $2, $3)"#,
        &[&subscription["endpoint"].as_str(), &subscription["keys"]["p256dh"].as_str(), &subscription["keys"]["auth"].as_str()],
    )
    .await?;
    let notification = json!({"type": "message", "title": "Alice Anders", "body": "x".repeat(120), "messageId": "m", "conversationId": "a:b"});
    let mut latencies = Vec::new();
    for _ in 0..pushes {
        let ids =
            outbox::enqueue(&**db, &[("push.send", json!({"subscriptionId": "bench", "notification": notification}))])
                .await?;
        let started = Instant::now();
        let report = drain_rows(&ctx, Some(ids), 1, Duration::from_secs(10)).await?;
        assert_eq!(report.delivered, 1, "{report:?}");
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let received: Value =
        reqwest::get(format!("{push_service}/subscriptions/{}/received", subscription["id"].as_str().unwrap()))
            .await?
            .json()
            .await?;
    assert_eq!(
        received["pushes"].as_array().map(Vec::len),
        Some(pushes),
        "the push service verified and decrypted every one"
    );
    println!(
        "| Web Push, one at a time to the local push service (claim → encrypt → VAPID → 201 → delete; {pushes} pushes) | p50 {:.2} ms, p99 {:.2} ms |",
        percentile(&mut latencies, 0.5),
        percentile(&mut latencies, 0.99)
    );
    let keys = pusher_chat::config::VapidKeys::from_base64(VAPID_PUBLIC, VAPID_PRIVATE)?;
    let endpoint = url::Url::parse(subscription["endpoint"].as_str().unwrap())?;
    let started = Instant::now();
    for _ in 0..1000 {
        std::hint::black_box(pusher_chat::services::push::vapid_authorization(&keys, "mailto:b@c.d", &endpoint, 0));
    }
    let sign_us = started.elapsed().as_secs_f64() * 1000.0;
    println!("| of which VAPID signing (ES256), in process | {sign_us:.1} µs per push |");
    Ok(())
}
