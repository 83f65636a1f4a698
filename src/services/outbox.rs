//! The durable outbox: side effects that must not be lost (a webhook call, a Web Push) are rows
//! written in the transaction of what caused them ([`enqueue`], or the send statement itself),
//! delivered right after the response ([`deliver_after_response`], run through `waitUntil` on
//! Vercel and a task joined on shutdown in `server`), and retried with backoff by [`drain`], which
//! `/api/cron` and the `server` binary's background loop call. Delivery is at least once: every
//! delivery of a row carries the row's idempotency id (`eventId`), a row is deleted only after
//! its delivery succeeded, and a drain that dies mid-delivery leaves its rows leased, due again
//! when the lease runs out. A row still failing `OUTBOX_MAX_AGE_SECS` after it was written is
//! given up on and kept (the `"OutboxGivenUp"` view, and `/api/health`'s `outbox.givenUp`).
//!
//! A new kind of side effect is one [`Kind`] variant, its [`Effect`] (the row it writes) and one
//! deliver function in [`deliver`].

use super::{push, webhook_delivery};
use crate::config::Config;
use crate::context::AppContext;
use crate::db::outbox::{self, OutboxRow};
use crate::error::ApiError;
use serde::Serialize;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_postgres::GenericClient;

/// What a row does when delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A signed POST of one event to `OUTBOUND_WEBHOOK_URL`.
    Webhook,
    /// A new message: one [`Kind::PushSend`] row per subscription of each offline, unmuted receiver.
    PushMessage,
    /// A room invitation: the same for the invitees.
    PushInvitation,
    /// One encrypted push to one subscription.
    PushSend,
}

impl Kind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Webhook => "webhook",
            Self::PushMessage => "push.message",
            Self::PushInvitation => "push.invitation",
            Self::PushSend => "push.send",
        }
    }

    const ALL: [Self; 4] = [Self::Webhook, Self::PushMessage, Self::PushInvitation, Self::PushSend];

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// The kinds this instance can deliver: an instance without a webhook URL or push keys (a
    /// rolling deploy that adds them, another app on the same database) leaves those rows to one
    /// that has them instead of failing them.
    fn deliverable(config: &Config) -> Vec<&'static str> {
        Self::ALL.into_iter().filter(|kind| kind.wanted(config)).map(Self::as_str).collect()
    }

    /// Whether this instance writes rows of this kind: webhooks and pushes only when configured.
    fn wanted(self, config: &Config) -> bool {
        match self {
            Self::Webhook => config.webhooks.is_some(),
            Self::PushMessage | Self::PushInvitation | Self::PushSend => config.push.is_some(),
        }
    }
}

/// The events the app's backend receives (`type` of a webhook body). Other features add theirs
/// (`report.created`, `user.erased`) here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookType {
    MessageCreated,
    MessageUpdated,
    MessageDeleted,
    ReactionAdded,
    ReactionRemoved,
    RoomMemberJoined,
    RoomMemberLeft,
    RoomMemberInvited,
    RoomMemberRemoved,
    RoomMemberBanned,
    RoomMemberUnbanned,
    RoomMemberRoleChanged,
    RoomUpdated,
    UserStatusChanged,
    /// An account was erased (its data is gone; `data.userId` names it).
    UserErased,
}

impl WebhookType {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::MessageCreated => "message.created",
            Self::MessageUpdated => "message.updated",
            Self::MessageDeleted => "message.deleted",
            Self::ReactionAdded => "reaction.added",
            Self::ReactionRemoved => "reaction.removed",
            Self::RoomMemberJoined => "room.member_joined",
            Self::RoomMemberLeft => "room.member_left",
            Self::RoomMemberInvited => "room.member_invited",
            Self::RoomMemberRemoved => "room.member_removed",
            Self::RoomMemberBanned => "room.member_banned",
            Self::RoomMemberUnbanned => "room.member_unbanned",
            Self::RoomMemberRoleChanged => "room.member_role_changed",
            Self::RoomUpdated => "room.updated",
            Self::UserStatusChanged => "user.status_changed",
            Self::UserErased => "user.erased",
        }
    }
}

/// A side effect to write in the caller's transaction.
#[derive(Debug, Clone)]
pub enum Effect {
    /// A webhook whose `data` is the message as stored when it is delivered (so text deleted in
    /// between never leaves).
    MessageWebhook { event: WebhookType, message_id: String },
    /// A webhook whose `data` is this value.
    Webhook { event: WebhookType, data: Value },
    /// Push a new message to its offline receivers.
    PushMessage { message_id: String },
    /// Push a room invitation to its offline invitees.
    PushInvitation { room_id: String, room_name: String, invited_by: String, invitees: Vec<String> },
}

impl Effect {
    fn kind(&self) -> Kind {
        match self {
            Self::MessageWebhook { .. } | Self::Webhook { .. } => Kind::Webhook,
            Self::PushMessage { .. } => Kind::PushMessage,
            Self::PushInvitation { .. } => Kind::PushInvitation,
        }
    }

    fn payload(&self) -> Value {
        match self {
            Self::MessageWebhook { event, message_id } => json!({"type": event.as_str(), "messageId": message_id}),
            Self::Webhook { event, data } => json!({"type": event.as_str(), "data": data}),
            Self::PushMessage { message_id } => json!({"messageId": message_id}),
            Self::PushInvitation { room_id, room_name, invited_by, invitees } => {
                json!({"roomId": room_id, "roomName": room_name, "invitedBy": invited_by, "invitees": invitees})
            }
        }
    }
}

/// Writes the effects this instance has configured (others are dropped) in the caller's
/// transaction; the new rows' ids, to deliver after the response.
pub async fn enqueue(db: &impl GenericClient, config: &Config, effects: &[Effect]) -> Result<Vec<i64>, ApiError> {
    let rows: Vec<(&str, Value)> =
        effects.iter().filter(|e| e.kind().wanted(config)).map(|e| (e.kind().as_str(), e.payload())).collect();
    Ok(outbox::enqueue(db, &rows).await?)
}

/// The `(kind, event)` rows a send writes in its own statement: `message.created` and the push.
pub fn send_effects(config: &Config) -> Vec<(&'static str, &'static str)> {
    let mut effects = Vec::new();
    if Kind::Webhook.wanted(config) {
        effects.push((Kind::Webhook.as_str(), WebhookType::MessageCreated.as_str()));
    }
    if Kind::PushMessage.wanted(config) {
        effects.push((Kind::PushMessage.as_str(), "message"));
    }
    effects
}

/// How one delivery attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Done: the row goes.
    Delivered,
    /// The row was a fan-out, retired in the statement that wrote these rows (deliver them next).
    FannedOut(Vec<i64>),
    /// A passing failure: try again later.
    Retry(String),
    /// A failure that would repeat: keep the row, stop trying.
    GiveUp(String),
}

/// Delivers one claimed row according to its kind.
async fn deliver(ctx: &Arc<AppContext>, row: &OutboxRow) -> Outcome {
    match Kind::parse(&row.kind) {
        Some(Kind::Webhook) => webhook_delivery::deliver(ctx, row).await,
        Some(Kind::PushMessage) => push::fan_out_message(ctx, row).await,
        Some(Kind::PushInvitation) => push::fan_out_invitation(ctx, row).await,
        Some(Kind::PushSend) => push::send(ctx, row).await,
        None => Outcome::GiveUp(format!("unknown outbox kind {:?}", row.kind)),
    }
}

/// The wait after the `attempts`-th failed attempt: `base`, doubling, at most 256 × `base`.
pub fn backoff(base: Duration, attempts: i32) -> Duration {
    let doublings = attempts.clamp(1, 9) as u32 - 1;
    base.saturating_mul(1 << doublings)
}

/// Whether a row written at `created_at` is past the outbox's age limit at `now`.
fn too_old(created_at: chrono::NaiveDateTime, max_age: Duration, now: chrono::NaiveDateTime) -> bool {
    chrono::Duration::from_std(max_age)
        .ok()
        .and_then(|age| created_at.checked_add_signed(age))
        .is_some_and(|end| end <= now)
}

/// Records an outcome: a delivered row is deleted, a failed one waits its backoff, or is given up
/// on once past the age limit.
async fn settle(ctx: &AppContext, row: &OutboxRow, outcome: &Outcome) -> Result<(), ApiError> {
    let db = ctx.db().await?;
    let outbox = &ctx.config.outbox;
    match outcome {
        Outcome::Delivered => outbox::delete(&**db, row.id).await?,
        Outcome::FannedOut(_) => {}
        Outcome::Retry(error) if too_old(row.created_at, outbox.max_age, chrono::Utc::now().naive_utc()) => {
            outbox::give_up(&**db, row.id, &format!("gave up after {} attempts: {error}", row.attempts)).await?
        }
        Outcome::Retry(error) => {
            outbox::retry_later(&**db, row.id, backoff(outbox.retry_base, row.attempts), error).await?
        }
        Outcome::GiveUp(error) => outbox::give_up(&**db, row.id, error).await?,
    }
    Ok(())
}

/// What one drain did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DrainReport {
    pub delivered: u32,
    pub retrying: u32,
    pub given_up: u32,
    /// Fan-out rows turned into one push row per subscription.
    pub fanned_out: u32,
    /// Whether it stopped at its row or time limit (more may be due).
    pub stopped_at_limit: bool,
}

/// Rows delivered at the same time by one drain.
const CONCURRENCY: usize = 8;

/// How long a claimed row stays away from other drains: well past the longest a delivery may
/// take (its timeout) and the statements around it.
fn lease(config: &Config) -> Duration {
    let slowest = [config.webhooks.as_ref().map(|w| w.timeout), config.push.as_ref().map(|p| p.timeout)]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or_default();
    slowest * 2 + Duration::from_secs(5)
}

/// Delivers due rows, at most `limit` of them and claiming none after `budget`; with `only`, just
/// those rows (and the pushes their fan-outs create). Rows another drain holds are skipped.
pub async fn drain_rows(
    ctx: &Arc<AppContext>,
    only: Option<Vec<i64>>,
    limit: u32,
    budget: Duration,
) -> Result<DrainReport, ApiError> {
    let started = Instant::now();
    let mut report = DrainReport::default();
    let mut only = only;
    let mut done = 0u32;
    // A row retried within this drain's time (a short backoff) waits for the next drain.
    let mut tried: Vec<i64> = Vec::new();
    let kinds = Kind::deliverable(&ctx.config);
    if kinds.is_empty() {
        return Ok(report);
    }
    loop {
        if done >= limit || started.elapsed() >= budget {
            report.stopped_at_limit = true;
            break;
        }
        if only.as_ref().is_some_and(Vec::is_empty) {
            break;
        }
        let take = (limit - done).min(CONCURRENCY as u32) as i64;
        let rows = {
            let db = ctx.db().await?;
            outbox::claim(&**db, only.as_deref(), &tried, &kinds, take, lease(&ctx.config)).await?
        };
        if rows.is_empty() {
            break;
        }
        if let Some(only) = only.as_mut() {
            only.retain(|id| !rows.iter().any(|row| row.id == *id));
        }
        done += rows.len() as u32;
        tried.extend(rows.iter().map(|row| row.id));
        let mut deliveries = tokio::task::JoinSet::new();
        for row in rows {
            let ctx = ctx.clone();
            deliveries.spawn(async move {
                let outcome = deliver(&ctx, &row).await;
                let settled = settle(&ctx, &row, &outcome).await;
                log_delivery(&row, &outcome, &settled);
                outcome
            });
        }
        while let Some(joined) = deliveries.join_next().await {
            match joined {
                Ok(Outcome::Delivered) => report.delivered += 1,
                Ok(Outcome::FannedOut(ids)) => {
                    report.fanned_out += 1;
                    if let Some(only) = only.as_mut() {
                        only.extend(ids);
                    }
                }
                Ok(Outcome::Retry(_)) => report.retrying += 1,
                Ok(Outcome::GiveUp(_)) => report.given_up += 1,
                // A panicking delivery leaves its row leased: it is due again after the lease.
                Err(err) => tracing::error!(%err, "outbox delivery panicked"),
            }
        }
    }
    Ok(report)
}

fn log_delivery(row: &OutboxRow, outcome: &Outcome, settled: &Result<(), ApiError>) {
    let (id, kind, attempts) = (row.id, row.kind.as_str(), row.attempts);
    let event_id = row.event_id.to_string();
    match (outcome, settled) {
        (_, Err(err)) => {
            tracing::warn!(id, kind, attempts, %err, "outbox: could not record the outcome (the row is due again after its lease)")
        }
        (Outcome::Delivered, _) => tracing::info!(id, kind, attempts, event_id, outcome = "delivered", "outbox"),
        (Outcome::FannedOut(ids), _) => {
            tracing::info!(id, kind, attempts, rows = ids.len(), outcome = "fanned_out", "outbox")
        }
        (Outcome::Retry(error), _) => tracing::warn!(id, kind, attempts, event_id, outcome = "retry", error, "outbox"),
        (Outcome::GiveUp(error), _) => {
            tracing::warn!(id, kind, attempts, event_id, outcome = "gave_up", error, "outbox")
        }
    }
}

/// The periodic drain (`/api/cron`, the `server` loop): due rows within the configured bounds.
pub async fn drain(ctx: &Arc<AppContext>) -> Result<DrainReport, ApiError> {
    let outbox = &ctx.config.outbox;
    drain_rows(ctx, None, outbox.drain_batch, outbox.drain_budget).await
}

/// Right after a response: the rows the request wrote, then a few due retries
/// (`OUTBOX_PIGGYBACK_ROWS`), so retries go on between cron runs wherever requests arrive.
pub async fn deliver_after_response(ctx: Arc<AppContext>, ids: Vec<i64>) {
    let outbox = &ctx.config.outbox;
    let budget = outbox.drain_budget;
    if let Err(err) = drain_rows(&ctx, Some(ids), u32::MAX, budget).await {
        tracing::warn!(%err, "outbox: delivery after the response failed (the drain retries)");
    }
    if outbox.piggyback_rows > 0 {
        if let Err(err) = drain_rows(&ctx, None, outbox.piggyback_rows, budget).await {
            tracing::warn!(%err, "outbox: piggybacked drain failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_doubling_up_to_256_times_the_base() {
        let base = Duration::from_secs(2);
        let waits: Vec<u64> = (1..=11).map(|n| backoff(base, n).as_secs()).collect();
        assert_eq!(waits, [2, 4, 8, 16, 32, 64, 128, 256, 512, 512, 512]);
        assert_eq!(backoff(base, 0), base, "a row never tried waits the base");
    }

    #[test]
    fn a_row_is_too_old_from_exactly_its_age_limit() {
        let written = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap().naive_utc();
        let at = |secs: i64| written + chrono::Duration::seconds(secs);
        let day = Duration::from_secs(86_400);
        assert!(!too_old(written, day, at(86_399)));
        assert!(too_old(written, day, at(86_400)));
        assert!(!too_old(written, Duration::MAX, at(1 << 40)), "a limit past the last date never ends");
    }

    #[test]
    fn kinds_round_trip_and_unknown_ones_are_refused() {
        for kind in [Kind::Webhook, Kind::PushMessage, Kind::PushInvitation, Kind::PushSend] {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(Kind::parse("email"), None);
    }

    #[test]
    fn message_webhooks_refer_to_the_message_and_others_carry_their_data() {
        let by_ref = Effect::MessageWebhook { event: WebhookType::MessageDeleted, message_id: "m1".into() };
        assert_eq!(by_ref.payload(), json!({"type": "message.deleted", "messageId": "m1"}));
        let data = json!({"roomId": "r1", "userId": "u1"});
        let snapshot = Effect::Webhook { event: WebhookType::RoomMemberJoined, data: data.clone() };
        assert_eq!(snapshot.payload(), json!({"type": "room.member_joined", "data": data}));
        assert_eq!(snapshot.kind(), Kind::Webhook);
        assert_eq!(Effect::PushMessage { message_id: "m1".into() }.kind(), Kind::PushMessage);
    }
}
