//! `GET /api/health`: is the database reachable (and migrated), is the Pusher server reachable
//! (checked at most every 5 s per instance; a reused result carries `ageMs`).

use super::{Answer, Call};
use crate::context::AppContext;
use crate::http::json_response;
use hyper::StatusCode;
use serde_json::{json, Value};
use std::future::Future;
use std::time::{Duration, Instant};

const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

/// How long a Pusher check answers for: anyone may call this route, and each check is a signed
/// call against the app's Pusher quota.
const PUSHER_CHECK_TTL: Duration = Duration::from_secs(5);

pub async fn get(call: Call) -> Answer {
    let ctx = &call.ctx;
    let (database, pusher, outbox) = tokio::join!(check(database(ctx)), cached_pusher_check(ctx), outbox(ctx));
    let healthy = database["status"] == "ok" && pusher["status"] == "ok";
    let status = if healthy { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    Ok(json_response(
        status,
        &json!({"status": if healthy { "ok" } else { "degraded" }, "database": database, "pusher": pusher, "outbox": outbox}),
    ))
}

/// Runs one check under a deadline and reports `{status, latencyMs[, error]}`.
async fn check(probe: impl Future<Output = Result<(), String>>) -> Value {
    let started = Instant::now();
    let outcome = tokio::time::timeout(CHECK_TIMEOUT, probe)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {} ms", CHECK_TIMEOUT.as_millis())));
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let latency_ms = (latency_ms * 10.0).round() / 10.0;
    match outcome {
        Ok(()) => json!({"status": "ok", "latencyMs": latency_ms}),
        Err(error) => json!({"status": "error", "latencyMs": latency_ms, "error": error}),
    }
}

/// What the outbox holds (`pending`, `givenUp`, `oldestPendingSecs`), or `null` when it cannot
/// be read; informational: rows waiting or given up on do not make the service unhealthy.
async fn outbox(ctx: &AppContext) -> Value {
    let read = async {
        let client = ctx.db.get().await.ok()?;
        crate::db::outbox::stats(&**client).await.ok()
    };
    match tokio::time::timeout(CHECK_TIMEOUT, read).await {
        Ok(Some(stats)) => json!(stats),
        _ => Value::Null,
    }
}

async fn database(ctx: &AppContext) -> Result<(), String> {
    let client = ctx.db.get().await.map_err(|err| {
        tracing::warn!(%err, "health: database");
        "cannot connect".to_owned()
    })?;
    let row =
        client.query_typed(r#"SELECT to_regclass('"Message"') IS NOT NULL AS migrated"#, &[]).await.map_err(|err| {
            tracing::warn!(%err, "health: database query");
            "query failed".to_owned()
        })?;
    match row.first().map(|r| r.get::<_, bool>("migrated")) {
        Some(true) => Ok(()),
        _ => Err("schema missing: run the migrations".to_owned()),
    }
}

/// The Pusher check, run at most once per [`PUSHER_CHECK_TTL`]; a reused result says how old it is.
async fn cached_pusher_check(ctx: &AppContext) -> Value {
    let mut last = ctx.pusher_health.lock().await;
    if let Some((at, result)) = last.as_ref() {
        if at.elapsed() < PUSHER_CHECK_TTL {
            let mut result = result.clone();
            result["ageMs"] = json!(at.elapsed().as_millis() as u64);
            return result;
        }
    }
    let result = check(pusher(ctx)).await;
    *last = Some((Instant::now(), result.clone()));
    result
}

async fn pusher(ctx: &AppContext) -> Result<(), String> {
    // A signed read proves both reachability and that the app credentials are accepted.
    ctx.pusher.channels(Some("presence-")).await.map(|_| ()).map_err(|err| err.to_string())
}
