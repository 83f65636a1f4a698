//! `POST /api/pusher/webhook`: presence webhooks from Pusher. Verifies the signature on the raw
//! body, records who is online, and announces changes with `user-status-change`. Idempotent
//! (Pusher retries any non-2xx for five minutes) and quick: publishing happens after the answer.

use super::allow;
use crate::context::AppContext;
use crate::db::users::{record_status, Status};
use crate::db::messages::iso_string;
use crate::db::timestamp_from_millis;
use crate::error::ApiError;
use crate::http::{ok_json, ApiRequest, ApiResponse};
use crate::pusher::channels::{classify, presence_user_channel, Channel};
use crate::pusher::signature::verify_webhook;
use crate::runtime::Background;
use hyper::Method;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

#[derive(Debug, Deserialize)]
struct Webhook {
    time_ms: i64,
    events: Vec<WebhookEvent>,
}

#[derive(Debug, Deserialize)]
struct WebhookEvent {
    name: String,
    channel: String,
    #[serde(default)]
    user_id: Option<String>,
}

pub async fn post(ctx: &Arc<AppContext>, request: &ApiRequest, background: &Background) -> Result<ApiResponse, ApiError> {
    allow(request, &[Method::POST])?;
    let pusher = &ctx.config.pusher;
    let signed = verify_webhook(
        &pusher.key,
        pusher.secret.expose(),
        request.header("x-pusher-key").unwrap_or(""),
        request.header("x-pusher-signature").unwrap_or(""),
        &request.body,
    );
    if !signed {
        return Err(ApiError::unauthorized("invalid_webhook_signature", "the webhook signature does not verify"));
    }
    let webhook: Webhook = serde_json::from_slice(&request.body)
        .map_err(|_| ApiError::bad_request("invalid_webhook", "the webhook body is not a Pusher webhook"))?;
    let at = timestamp_from_millis(webhook.time_ms)
        .ok_or_else(|| ApiError::bad_request("invalid_webhook", "time_ms is out of range"))?;

    let db = ctx.db().await?;
    let mut changes = Vec::new();
    for event in &webhook.events {
        let Some((user_id, status)) = status_change(event) else { continue };
        if let Some(last_active) = record_status(&**db, &user_id, status, at).await? {
            changes.push((user_id, status, last_active));
        }
    }
    let recorded = changes.len();
    if !changes.is_empty() {
        let ctx = ctx.clone();
        background.spawn(async move {
            for (user_id, status, last_active) in changes {
                let payload = json!({
                    "userId": user_id,
                    "status": status,
                    "lastActive": iso_string(&last_active),
                });
                let channel = [presence_user_channel(&user_id)];
                if let Err(err) = ctx.pusher.trigger(&channel, "user-status-change", &payload, None).await {
                    tracing::warn!(%err, "user-status-change not published");
                }
            }
        });
    }
    ok_json(&json!({"ok": true, "statusChanges": recorded}))
}

/// What an event says about a user's online state: the user's own presence channel gaining or
/// losing them, or their notifications channel (only they can join it) being occupied or vacated.
fn status_change(event: &WebhookEvent) -> Option<(String, Status)> {
    match (event.name.as_str(), classify(&event.channel)?) {
        ("member_added", Channel::PresenceUser { user_id }) if event.user_id.as_ref() == Some(&user_id) => {
            Some((user_id, Status::Online))
        }
        ("member_removed", Channel::PresenceUser { user_id }) if event.user_id.as_ref() == Some(&user_id) => {
            Some((user_id, Status::Offline))
        }
        ("channel_vacated", Channel::PresenceUser { user_id }) => Some((user_id, Status::Offline)),
        ("channel_occupied", Channel::Notifications { user_id }) => Some((user_id, Status::Online)),
        ("channel_vacated", Channel::Notifications { user_id }) => Some((user_id, Status::Offline)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(name: &str, channel: &str, user_id: Option<&str>) -> WebhookEvent {
        WebhookEvent { name: name.into(), channel: channel.into(), user_id: user_id.map(Into::into) }
    }

    #[test]
    fn only_the_channel_owner_joining_marks_them_online() {
        assert_eq!(status_change(&event("member_added", "presence-user-u1", Some("u1"))), Some(("u1".into(), Status::Online)));
        assert_eq!(status_change(&event("member_added", "presence-user-u1", Some("u2"))), None);
        assert_eq!(status_change(&event("member_removed", "presence-user-u1", Some("u1"))), Some(("u1".into(), Status::Offline)));
    }

    #[test]
    fn notifications_channel_occupancy_tracks_its_owner() {
        assert_eq!(status_change(&event("channel_occupied", "private-notifications-u1", None)), Some(("u1".into(), Status::Online)));
        assert_eq!(status_change(&event("channel_vacated", "private-notifications-u1", None)), Some(("u1".into(), Status::Offline)));
        assert_eq!(status_change(&event("channel_occupied", "private-chat-a-b", None)), None);
        assert_eq!(status_change(&event("client_event", "private-notifications-u1", None)), None);
    }
}
