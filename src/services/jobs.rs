//! The periodic jobs: what `/api/cron` (Vercel Cron) and the `server` binary's background loop
//! run, each bounded per call. Another job is one more field of [`JobsReport`] and one more call
//! in [`run_periodic_jobs`].

use super::erasure::{self, ErasureReport};
use super::outbox::{self, DrainReport};
use super::retention::{self, RetentionReport};
use crate::context::AppContext;
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
    /// Erasures a call began and did not finish, carried on one bounded step each.
    pub erasure: JobOutcome<ErasureReport>,
    /// Messages past `MESSAGE_RETENTION_DAYS` turned into tombstones.
    pub retention: JobOutcome<RetentionReport>,
}

impl JobsReport {
    pub fn ok(&self) -> bool {
        matches!(self.outbox, JobOutcome::Ok(_))
            && matches!(self.erasure, JobOutcome::Ok(_))
            && matches!(self.retention, JobOutcome::Ok(_))
    }
}

fn outcome<T>(job: &'static str, result: Result<T, crate::error::ApiError>) -> JobOutcome<T> {
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
    let erasure = outcome("erasure", erasure::continue_pending(ctx).await);
    let retention = outcome("retention", retention::expire_old_messages(ctx).await);
    let outbox = outcome("outbox drain", outbox::drain(ctx).await);
    JobsReport { outbox, erasure, retention }
}

/// The `server` binary's loop: the jobs every `interval` until `stop` completes (the current run
/// finishes first). An interval of zero runs nothing.
pub async fn run_every(ctx: Arc<AppContext>, interval: std::time::Duration, stop: tokio_util::sync::CancellationToken) {
    if interval.is_zero() {
        return;
    }
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = stop.cancelled() => return,
        }
        run_periodic_jobs(&ctx).await;
    }
}
