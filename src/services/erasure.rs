//! Erasing an account (`DELETE /api/me`, an operator's `?userId=`, and the periodic jobs that
//! finish what a call left): the profile goes first, then the messages become tombstones in
//! batches (their stored files deleted before each batch), then their reactions go in batches,
//! then everything else, and a
//! `user.erased` webhook goes out once, in the transaction that marks the erasure done.
//!
//! A call does at most `ERASE_MESSAGES_PER_CALL` messages (and four reactions for each message
//! it did not need), so a large account erases over
//! several calls or periodic runs. Each step is idempotent and commits on its own, so a call
//! killed half-way loses nothing: the next call, or the next periodic run, carries on from what
//! is left. From the first step the account counts as gone: no message reaches or leaves it
//! (V15's trigger), its profile reads as absent, and a private channel with it is refused.

use super::outbox::{self, Effect, WebhookType};
use super::storage;
use crate::context::AppContext;
use crate::db::erasure::{
    begin_erasure, finish_erasure, live_messages_of, pending_erasures, remove_reactions, tombstone,
};
use crate::domain::{Timestamp, UserId};
use crate::error::ApiError;
use serde::Serialize;
use serde_json::json;

/// Messages per statement: short enough that a conversation's row is locked for milliseconds.
const BATCH: u32 = 500;

/// Where an erasure stands after a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    pub user_id: String,
    /// Everything is gone and `user.erased` is written.
    pub done: bool,
    /// Messages this call turned into tombstones.
    pub messages_erased: u64,
    /// When the erasure began.
    pub erased_at: Timestamp,
}

/// What a call did: its progress, and the outbox rows to deliver after the answer.
pub struct Step {
    pub progress: Progress,
    pub outbox_ids: Vec<i64>,
}

/// Takes one bounded step of erasing `user` on behalf of `requested_by`; `None` when there is no
/// such user. A finished erasure answers `done` again and changes nothing.
pub async fn erase(ctx: &AppContext, user: &UserId, requested_by: &UserId) -> Result<Option<Step>, ApiError> {
    let state = match begin_erasure(&**ctx.db().await?, user.as_str()).await? {
        None => return Ok(None),
        Some(state) => state,
    };
    let mut progress = Progress {
        user_id: user.to_string(),
        done: state.done_at.is_some(),
        messages_erased: 0,
        erased_at: state.erased_at.into(),
    };
    if progress.done {
        return Ok(Some(Step { progress, outbox_ids: Vec::new() }));
    }
    let budget = u64::from(ctx.config.privacy.erase_messages_per_call);
    loop {
        let take = (budget - progress.messages_erased).min(u64::from(BATCH));
        if take == 0 {
            return Ok(Some(Step { progress, outbox_ids: Vec::new() }));
        }
        let doomed = live_messages_of(&**ctx.db().await?, user.as_str(), take as i64).await?;
        if doomed.is_empty() {
            break;
        }
        // The objects go before the rows that name them: a run that dies in between finds the
        // same messages again and deletes (nothing more of) their objects once more.
        storage::delete_objects(ctx, doomed.iter().filter(|d| d.file_url.is_some()).map(|d| d.id.as_str())).await?;
        let ids: Vec<String> = doomed.iter().map(|d| d.id.clone()).collect();
        progress.messages_erased += tombstone(&**ctx.db().await?, &ids).await?;
        if (doomed.len() as u64) < take {
            break;
        }
    }
    // Their reactions on others' messages, from the same budget (a reaction is a smaller row).
    let mut reactions_left = budget.saturating_sub(progress.messages_erased) * 4;
    loop {
        if reactions_left == 0 {
            return Ok(Some(Step { progress, outbox_ids: Vec::new() }));
        }
        let take = reactions_left.min(u64::from(BATCH) * 4);
        let gone = remove_reactions(&**ctx.db().await?, user.as_str(), take as i64).await?;
        reactions_left -= gone.min(reactions_left);
        if gone < take {
            break;
        }
    }
    let mut db = ctx.db().await?;
    let tx = db.transaction().await?;
    let finished = finish_erasure(&*tx, user.as_str()).await?;
    let mut outbox_ids = Vec::new();
    if finished.finished {
        let data = json!({"userId": user, "erasedAt": progress.erased_at, "requestedBy": requested_by});
        outbox_ids =
            outbox::enqueue(&*tx, &ctx.config, &[Effect::Webhook { event: WebhookType::UserErased, data }]).await?;
        tracing::info!(rooms = finished.rooms.len(), "account erased");
    }
    tx.commit().await?;
    // Finished here or by a call that raced this one: either way nothing is left.
    progress.done = true;
    Ok(Some(Step { progress, outbox_ids }))
}

/// What the periodic job did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErasureReport {
    /// Erasures carried on.
    pub accounts: u32,
    /// Of those, finished.
    pub finished: u32,
    pub messages_erased: u64,
}

/// Accounts the periodic job carries on per run (each a bounded step).
const ACCOUNTS_PER_RUN: i64 = 4;

/// The periodic job: carries on erasures that a call began and did not finish, one step each.
pub async fn continue_pending(ctx: &AppContext) -> Result<ErasureReport, ApiError> {
    let mut report = ErasureReport::default();
    let pending = pending_erasures(&**ctx.db().await?, ACCOUNTS_PER_RUN).await?;
    for id in pending {
        let user = UserId::parse(&id).map_err(|_| ApiError::internal(format!("stored user id {id:?} is not an id")))?;
        if let Some(step) = erase(ctx, &user, &user).await? {
            // An erasure begun outside the API (a trigger on Supabase's auth.users, see
            // docs/privacy.md) has closed no connection yet: close them here, best effort.
            if let Err(err) = ctx.pusher.terminate_user_connections(user.as_str()).await {
                tracing::warn!(%err, "erasure: connections not closed");
            }
            report.accounts += 1;
            report.finished += u32::from(step.progress.done);
            report.messages_erased += step.progress.messages_erased;
        }
    }
    Ok(report)
}
