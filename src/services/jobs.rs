//! The periodic jobs: what `/api/cron` (Vercel Cron) and the `server` binary's background loop
//! run, each bounded per call. Another job is one more field of [`JobsReport`] and one more call
//! in [`run_periodic_jobs`].

use super::erasure::{self, ErasureReport};
use super::outbox::{self, DrainReport};
use super::retention::{self, RetentionReport};
use super::uploads::{self, UploadCleanupReport};
use crate::context::AppContext;
use crate::db::rate_limit::prune_idle_buckets;
use crate::error::ApiError;
use serde::Serialize;
use std::sync::Arc;

/// How one job went: `{"status": "ok", …its report}` or `{"status": "error", "error": …}`.
#[derive(Debug, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum JobOutcome<T> {
    Ok(T),
    Error { error: String },
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobsReport {
    /// The outbox drain: deliveries made, retries scheduled, rows given up on.
    pub outbox: JobOutcome<DrainReport>,
    /// Rate-limit and throttle buckets idle for an hour, deleted.
    pub rate_limits: JobOutcome<PruneReport>,
    /// Erasures a call began and did not finish, carried on one bounded step each.
    pub erasure: JobOutcome<ErasureReport>,
    /// Messages past `MESSAGE_RETENTION_DAYS` turned into tombstones.
    pub retention: JobOutcome<RetentionReport>,
    /// Uploads no message used for a day, and files of deleted messages, deleted from the store.
    pub uploads: JobOutcome<UploadCleanupReport>,
}

impl JobsReport {
    pub fn ok(&self) -> bool {
        matches!(self.outbox, JobOutcome::Ok(_))
            && matches!(self.rate_limits, JobOutcome::Ok(_))
            && matches!(self.erasure, JobOutcome::Ok(_))
            && matches!(self.retention, JobOutcome::Ok(_))
            && matches!(self.uploads, JobOutcome::Ok(_))
    }
}

/// Rows deleted per statement of the prune: small enough that one statement holds few row locks
/// and writes little WAL, so sends taking tokens beside it never wait long.
pub const PRUNE_BATCH: i64 = 1_000;
/// Statements per run: at most `PRUNE_BATCH × PRUNE_MAX_BATCHES` rows a run; the rest next time.
pub const PRUNE_MAX_BATCHES: u32 = 20;

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PruneReport {
    pub deleted: u64,
    pub batches: u32,
    /// More idle rows may be left: the run stopped at `PRUNE_MAX_BATCHES`.
    pub stopped_at_limit: bool,
}

/// Deletes idle buckets in batches of `batch` rows, at most `max_batches` statements, each its
/// own transaction (autocommit), until a batch comes back short.
pub async fn prune_rate_limits(ctx: &AppContext, batch: i64, max_batches: u32) -> Result<PruneReport, ApiError> {
    let db = ctx.db().await?;
    let mut report = PruneReport::default();
    loop {
        if report.batches >= max_batches {
            report.stopped_at_limit = true;
            return Ok(report);
        }
        let deleted = prune_idle_buckets(&**db, batch).await?;
        report.batches += 1;
        report.deleted += deleted;
        if deleted < batch as u64 {
            return Ok(report);
        }
    }
}

fn outcome<T>(job: &str, result: Result<T, ApiError>) -> JobOutcome<T> {
    match result {
        Ok(report) => JobOutcome::Ok(report),
        Err(err) => {
            tracing::warn!(%err, job, "periodic job failed");
            JobOutcome::Error { error: err.public_message() }
        }
    }
}

/// Runs every periodic job once; one failing does not stop the others. The erasures come first,
/// so the `user.erased` rows they write go out with this run's drain.
pub async fn run_periodic_jobs(ctx: &Arc<AppContext>) -> JobsReport {
    run_jobs(ctx, true).await
}

/// How often the `server` binary's loop prunes: its interval is the outbox's (seconds), and a
/// prune that finds few idle rows reads the whole (small) table, so once a minute is enough.
pub const PRUNE_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

async fn run_jobs(ctx: &Arc<AppContext>, prune: bool) -> JobsReport {
    let erasure = outcome("erasure", erasure::continue_pending(ctx).await);
    let retention = outcome("retention", retention::expire_old_messages(ctx).await);
    let uploads = outcome("upload cleanup", uploads::clean_up(ctx).await);
    let outbox = outcome("outbox drain", outbox::drain(ctx).await);
    let rate_limits = match prune {
        true => outcome("rate-limit prune", prune_rate_limits(ctx, PRUNE_BATCH, PRUNE_MAX_BATCHES).await),
        false => JobOutcome::Ok(PruneReport::default()),
    };
    JobsReport { outbox, rate_limits, erasure, retention, uploads }
}

/// The `server` binary's loop: the jobs every `interval` until `stop` completes (the current run
/// finishes first), the prune at most every [`PRUNE_EVERY`]. An interval of zero runs nothing.
pub async fn run_every(ctx: Arc<AppContext>, interval: std::time::Duration, stop: tokio_util::sync::CancellationToken) {
    if interval.is_zero() {
        return;
    }
    let mut ticks = tokio::time::interval(interval);
    let mut last_prune = None;
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = stop.cancelled() => return,
        }
        let prune = last_prune.is_none_or(|at: std::time::Instant| at.elapsed() >= PRUNE_EVERY);
        if prune {
            last_prune = Some(std::time::Instant::now());
        }
        run_jobs(&ctx, prune).await;
    }
}
