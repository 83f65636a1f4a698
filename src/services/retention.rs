//! Retention (`MESSAGE_RETENTION_DAYS`): the periodic jobs turn messages older than the limit
//! into tombstones (text and file removed, their objects deleted first, `seq` kept), at most
//! `RETENTION_MESSAGES_PER_RUN` a run in batches of one short statement each, so a send never
//! waits behind the drain for more than one batch's conversation-row lock. Unset, nothing expires.

use super::storage;
use crate::context::AppContext;
use crate::db::erasure::{messages_older_than, tombstone};
use crate::error::ApiError;
use serde::Serialize;

/// Messages per statement (see `erasure::BATCH`).
const BATCH: u32 = 500;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RetentionReport {
    /// Whether a retention limit is set.
    pub enabled: bool,
    pub messages_expired: u64,
    /// Whether it stopped at its bound (more may be due).
    pub stopped_at_limit: bool,
}

/// One bounded run: tombstones messages written before now − the retention limit.
pub async fn expire_old_messages(ctx: &AppContext) -> Result<RetentionReport, ApiError> {
    let privacy = &ctx.config.privacy;
    let Some(keep) = privacy.message_retention else {
        return Ok(RetentionReport::default());
    };
    let keep = chrono::Duration::from_std(keep).map_err(ApiError::internal)?;
    let cutoff = chrono::Utc::now().naive_utc() - keep;
    let mut report = RetentionReport { enabled: true, ..RetentionReport::default() };
    let budget = u64::from(privacy.retention_messages_per_run);
    let mut looked_at = 0u64;
    loop {
        let take = (budget - looked_at).min(u64::from(BATCH));
        if take == 0 {
            report.stopped_at_limit = true;
            break;
        }
        let doomed = messages_older_than(&**ctx.db().await?, cutoff, take as i64).await?;
        if doomed.is_empty() {
            break;
        }
        looked_at += doomed.len() as u64;
        storage::delete_objects(ctx, doomed.iter().filter(|d| d.file_url.is_some()).map(|d| d.id.as_str())).await?;
        let ids: Vec<String> = doomed.iter().map(|d| d.id.clone()).collect();
        report.messages_expired += tombstone(&**ctx.db().await?, &ids).await?;
        if (doomed.len() as u64) < take {
            break;
        }
    }
    Ok(report)
}
