//! Online state: what a user says (`POST /api/presence`) and what Pusher's webhooks observe, both
//! announced as `user-status-change` on the user's presence channel.

use super::outbox::{Effect, WebhookType};
use super::{Event, Publisher};
use crate::db::rate_limit::{take, Bucket};
use crate::db::users::record_status;
use crate::domain::{ChannelName, Status, Timestamp, UserId};
use crate::error::ApiError;
use serde_json::json;
use tokio_postgres::GenericClient;

/// Records a status observed at `at` unless a later one is stored; returns the announcement to
/// make when the stored status changed (and writes `user.status_changed` for the app's backend
/// in `db`'s transaction).
pub async fn record(
    db: &impl GenericClient,
    publisher: &Publisher,
    user: &UserId,
    status: Status,
    at: Timestamp,
) -> Result<Option<Event>, ApiError> {
    let Some(last_active) = record_status(db, user, status, at).await? else { return Ok(None) };
    let data = json!({"userId": user, "status": status, "lastActive": last_active});
    publisher.enqueue(db, &[Effect::Webhook { event: WebhookType::UserStatusChanged, data: data.clone() }]).await?;
    Ok(Some(Event::new("user-status-change", vec![ChannelName::presence_user(user)], data)))
}

/// The caller's own status update, throttled per user (429 with `Retry-After`). Returns whether
/// it changed and when it was recorded.
pub async fn set_status(
    db: &impl GenericClient,
    publisher: &Publisher,
    user: &UserId,
    status: Status,
    limit: Bucket,
) -> Result<(bool, Timestamp), ApiError> {
    if let Err(retry_after_secs) = take(db, &format!("presence:{user}"), limit).await? {
        return Err(ApiError::TooManyRequests { retry_after_secs });
    }
    let now = Timestamp::now();
    let event = record(db, publisher, user, status, now).await?;
    let changed = event.is_some();
    if let Some(event) = event {
        publisher.publish(event);
    }
    Ok((changed, now))
}
