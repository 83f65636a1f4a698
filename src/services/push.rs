//! Web Push to people who are away: browsers' subscriptions (at most [`MAX_SUBSCRIPTIONS`] per
//! user, the oldest replaced), the fan-out of a new message or room invitation to the receivers
//! who are offline and have not muted the conversation, and each push: a small JSON notification
//! encrypted for the subscription (RFC 8291 aes128gcm, by `web-push-native`), signed with VAPID
//! (RFC 8292, signed here so that `aud` keeps a non-default port), sent with a timeout. A push
//! service answering 404 or 410 means the subscription is gone: it is deleted.

use super::outbox::Outcome;
use crate::config::{PushConfig, VapidKeys};
use crate::context::AppContext;
use crate::db::messages::{find_message, Message};
use crate::db::outbox::OutboxRow;
use crate::db::push::{self as db_push, Audience};
use crate::domain::{MessageId, PushEndpoint, PushKeys, UserId};
use crate::error::ApiError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use p256::ecdsa::signature::Signer;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres::GenericClient;

/// Subscriptions one user may have (browsers and devices); a new one replaces the oldest.
pub const MAX_SUBSCRIPTIONS: i64 = 10;

/// How long a push service keeps an undelivered push (`TTL`), and a VAPID signature's lifetime.
const PUSH_TTL: Duration = Duration::from_secs(12 * 3600);

/// Characters of a message a notification shows.
const PREVIEW_CHARS: usize = 120;

/// The push settings, or 501 `push_disabled` when this deployment has none.
pub fn enabled(ctx: &AppContext) -> Result<&PushConfig, ApiError> {
    ctx.config.push.as_ref().ok_or_else(|| ApiError::NotImplemented {
        code: "push_disabled",
        message: "Web Push is not configured on this server (WEB_PUSH_VAPID_PUBLIC_KEY is not set)".into(),
    })
}

/// The browser's `PushSubscription.toJSON()`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionBody {
    pub endpoint: Option<String>,
    pub keys: Option<SubscriptionKeys>,
}

#[derive(Debug, Default, Deserialize)]
pub struct SubscriptionKeys {
    pub p256dh: Option<String>,
    pub auth: Option<String>,
}

/// A validated subscription from a request.
pub struct NewSubscription {
    pub endpoint: PushEndpoint,
    pub keys: PushKeys,
}

impl NewSubscription {
    pub fn parse(body: &SubscriptionBody, config: &PushConfig) -> Result<Self, ApiError> {
        let missing = |field: &str| ApiError::unprocessable("missing_field", format!("{field} is required"));
        let endpoint = body.endpoint.as_deref().ok_or_else(|| missing("endpoint"))?;
        let endpoint = PushEndpoint::parse(endpoint, &config.allowed_origins)?;
        let keys = body.keys.as_ref().ok_or_else(|| missing("keys"))?;
        let p256dh = keys.p256dh.as_deref().ok_or_else(|| missing("keys.p256dh"))?;
        let auth = keys.auth.as_deref().ok_or_else(|| missing("keys.auth"))?;
        Ok(Self { endpoint, keys: PushKeys::parse(p256dh, auth)? })
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscribed {
    pub id: String,
    pub endpoint: String,
    /// `false`: this browser was subscribed already (its keys are updated).
    pub created: bool,
    /// The caller's oldest subscriptions removed to stay within [`MAX_SUBSCRIPTIONS`].
    pub replaced: i64,
}

/// Stores the caller's subscription, in one transaction that holds the caller's row lock so the
/// limit holds under concurrent requests. `db` must be that transaction.
pub async fn subscribe(
    db: &impl GenericClient,
    user: &UserId,
    subscription: &NewSubscription,
) -> Result<Subscribed, ApiError> {
    if !db_push::lock_user(db, user.as_str()).await? {
        return Err(ApiError::forbidden("profile_required", "create the caller's User row before subscribing"));
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    let keys = (subscription.keys.p256dh.as_str(), subscription.keys.auth.as_str());
    let saved = db_push::save(db, &id, user.as_str(), subscription.endpoint.as_str(), keys, MAX_SUBSCRIPTIONS).await?;
    Ok(Subscribed {
        id: saved.id,
        endpoint: subscription.endpoint.as_str().to_owned(),
        created: saved.created,
        replaced: saved.replaced,
    })
}

/// Removes the caller's subscription to `endpoint`; whether there was one.
pub async fn unsubscribe(db: &impl GenericClient, user: &UserId, endpoint: &str) -> Result<bool, ApiError> {
    Ok(db_push::delete_for_user(db, user.as_str(), endpoint).await?)
}

/// A short preview: the first [`PREVIEW_CHARS`] characters, whitespace folded.
fn preview(text: &str) -> String {
    let folded: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match folded.char_indices().nth(PREVIEW_CHARS) {
        Some((cut, _)) => format!("{}…", &folded[..cut]),
        None => folded,
    }
}

/// What a receiver's service worker gets for a new message: who wrote where, a short preview
/// (none with end-to-end encryption on, and then no file name either), and the ids to open it.
pub fn message_notification(message: &Message, room_name: Option<&str>, encrypted: bool, id: &uuid::Uuid) -> Value {
    let sender = format!("{} {}", message.sender.first_name, message.sender.last_name).trim().to_owned();
    let title = match room_name {
        Some(room) => format!("{sender} in {room}"),
        None => sender.clone(),
    };
    let body = match (encrypted, message.file_name.as_deref()) {
        (true, _) => "New message".to_owned(),
        (false, Some(file)) if message.content.trim().is_empty() => format!("Sent a file: {}", preview(file)),
        (false, _) => preview(&message.content),
    };
    json!({
        "id": id.to_string(),
        "type": "message",
        "title": title,
        "body": body,
        "tag": message.conversation_id,
        "conversationId": message.conversation_id,
        "roomId": message.room_id,
        "messageId": message.id,
        "seq": message.seq,
        "senderId": message.sender_id,
        "senderName": sender,
        "sentAt": message.created_at,
    })
}

/// The fan-out of a new message: one `push.send` row per subscription of each receiver who is
/// offline and has not muted the conversation. A message deleted meanwhile pushes nothing.
pub async fn fan_out_message(ctx: &Arc<AppContext>, row: &OutboxRow) -> Outcome {
    if ctx.config.push.is_none() {
        return Outcome::GiveUp("Web Push is not configured".into());
    }
    let Some(id) = row.payload["messageId"].as_str().and_then(|id| MessageId::parse(id).ok()) else {
        return Outcome::GiveUp("a push row without a messageId".into());
    };
    let outcome = async {
        let db = ctx.db().await?;
        let Some(message) = find_message(&**db, &id).await? else { return Ok(Outcome::Delivered) };
        if message.deleted_at.is_some() {
            return Ok(Outcome::Delivered);
        }
        let room_name = match &message.room_id {
            Some(room) => db_push::room_name(&**db, room).await?,
            None => None,
        };
        let encrypted = ctx.config.pusher.encryption_master_key.is_some();
        let notification = message_notification(&message, room_name.as_deref(), encrypted, &row.event_id);
        let receivers: Vec<String> = message.receiver_id.iter().cloned().collect();
        let audience = Audience {
            users: &receivers,
            room_id: message.room_id.as_deref(),
            except: &message.sender_id,
            chat_id: Some(&message.conversation_id),
        };
        Ok::<_, ApiError>(Outcome::FannedOut(db_push::fan_out(&**db, row.id, &audience, &notification).await?))
    };
    outcome.await.unwrap_or_else(|err| Outcome::Retry(err.to_string()))
}

/// The fan-out of a room invitation to the invitees who are offline.
pub async fn fan_out_invitation(ctx: &Arc<AppContext>, row: &OutboxRow) -> Outcome {
    if ctx.config.push.is_none() {
        return Outcome::GiveUp("Web Push is not configured".into());
    }
    let payload = &row.payload;
    let invitees: Vec<String> = payload["invitees"]
        .as_array()
        .map(|ids| ids.iter().filter_map(|id| id.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    let (Some(room_id), Some(invited_by)) = (payload["roomId"].as_str(), payload["invitedBy"].as_str()) else {
        return Outcome::GiveUp("an invitation row without roomId or invitedBy".into());
    };
    let room_name = payload["roomName"].as_str().unwrap_or("a room");
    let outcome = async {
        let db = ctx.db().await?;
        let inviter = crate::db::users::find_user(&**db, &UserId::parse(invited_by)?).await?;
        let inviter = inviter.map(|u| u.display_name()).unwrap_or_else(|| "Someone".into());
        let notification = json!({
            "id": row.event_id.to_string(),
            "type": "room-invitation",
            "title": "Room invitation",
            "body": format!("{inviter} invited you to {room_name}"),
            "tag": format!("invitation:{room_id}"),
            "roomId": room_id,
            "invitedBy": invited_by,
        });
        let audience = Audience { users: &invitees, room_id: None, except: invited_by, chat_id: None };
        Ok::<_, ApiError>(Outcome::FannedOut(db_push::fan_out(&**db, row.id, &audience, &notification).await?))
    };
    outcome.await.unwrap_or_else(|err| Outcome::Retry(err.to_string()))
}

/// `Authorization: vapid t=<JWT>, k=<public key>` for a push to `endpoint` (RFC 8292): an ES256
/// JWT whose `aud` is the endpoint's origin, port included when it is not the default one.
pub fn vapid_authorization(keys: &VapidKeys, subject: &str, endpoint: &url::Url, now_unix: i64) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
    let claims = json!({
        "aud": endpoint.origin().ascii_serialization(),
        "exp": now_unix + PUSH_TTL.as_secs() as i64,
        "sub": subject,
    });
    let signing_input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(claims.to_string()));
    let signature: p256::ecdsa::Signature = keys.signing_key().sign(signing_input.as_bytes());
    format!("vapid t={signing_input}.{}, k={}", URL_SAFE_NO_PAD.encode(signature.to_bytes()), keys.public_base64())
}

/// The encrypted request for one push (RFC 8291): body and the headers web-push-native sets
/// (`Content-Encoding: aes128gcm`, `TTL`, length).
fn encrypted_request(
    endpoint: &PushEndpoint,
    keys: &PushKeys,
    notification: &[u8],
) -> Result<hyper::Request<Vec<u8>>, String> {
    let (public, auth) = keys.decoded().ok_or("stored keys do not decode")?;
    let uri: hyper::Uri = endpoint.as_str().parse().map_err(|_| "the endpoint is not a URI".to_owned())?;
    web_push_native::WebPushBuilder::new(uri, public, web_push_native::Auth::clone_from_slice(&auth))
        .with_valid_duration(PUSH_TTL)
        .build(notification)
        .map_err(|err| format!("encrypting: {err}"))
}

/// One push to one subscription (a `push.send` row).
pub async fn send(ctx: &Arc<AppContext>, row: &OutboxRow) -> Outcome {
    let Some(config) = &ctx.config.push else {
        return Outcome::GiveUp("Web Push is not configured".into());
    };
    let Some(subscription_id) = row.payload["subscriptionId"].as_str() else {
        return Outcome::GiveUp("a push row without a subscriptionId".into());
    };
    let subscription = match ctx.db().await {
        Ok(db) => db_push::find(&**db, subscription_id).await.map_err(ApiError::from),
        Err(err) => Err(err),
    };
    let subscription = match subscription {
        Ok(Some(subscription)) => subscription,
        // Unsubscribed (or replaced) since: nothing to deliver.
        Ok(None) => return Outcome::Delivered,
        Err(err) => return Outcome::Retry(err.to_string()),
    };
    // Checked again: WEB_PUSH_ALLOWED_ORIGINS may have changed since it was stored.
    let (endpoint, keys) = match (
        PushEndpoint::parse(&subscription.endpoint, &config.allowed_origins),
        PushKeys::parse(&subscription.p256dh, &subscription.auth),
    ) {
        (Ok(endpoint), Ok(keys)) => (endpoint, keys),
        _ => return Outcome::GiveUp("the subscription's endpoint is no longer allowed".into()),
    };
    let notification = row.payload["notification"].to_string();
    let request = match encrypted_request(&endpoint, &keys, notification.as_bytes()) {
        Ok(request) => request,
        Err(err) => return Outcome::GiveUp(err),
    };
    let (parts, body) = request.into_parts();
    let urgency = if row.payload["notification"]["type"] == "message" { "high" } else { "normal" };
    let mut call = ctx.outbound.post(endpoint.url().clone()).timeout(config.timeout).body(body);
    for (name, value) in &parts.headers {
        call = call.header(name, value);
    }
    let sent = call
        .header(
            "authorization",
            vapid_authorization(&config.vapid, &config.subject, endpoint.url(), chrono::Utc::now().timestamp()),
        )
        // The idempotency id: a push service replaces a waiting push of the same topic.
        .header("topic", row.event_id.simple().to_string())
        .header("urgency", urgency)
        .send()
        .await;
    match sent {
        Ok(response) if response.status().is_success() => Outcome::Delivered,
        Ok(response) if matches!(response.status().as_u16(), 404 | 410) => {
            let deleted = match ctx.db().await {
                Ok(db) => db_push::delete(&**db, &subscription.id).await.map_err(ApiError::from),
                Err(err) => Err(err),
            };
            match deleted {
                Ok(()) => {
                    tracing::info!(status = response.status().as_u16(), "push subscription gone: deleted");
                    Outcome::Delivered
                }
                Err(err) => Outcome::Retry(format!("deleting a gone subscription: {err}")),
            }
        }
        Ok(response) if response.status().is_server_error() || matches!(response.status().as_u16(), 408 | 429) => {
            Outcome::Retry(format!("the push service answered {}", response.status().as_u16()))
        }
        Ok(response) => {
            let status = response.status().as_u16();
            let text = response.text().await.unwrap_or_default();
            Outcome::GiveUp(format!(
                "the push service refused it ({status}): {}",
                text.chars().take(200).collect::<String>()
            ))
        }
        Err(err) if err.is_timeout() => Outcome::Retry(format!("no answer within {} ms", config.timeout.as_millis())),
        Err(err) => Outcome::Retry(format!("could not reach the push service: {}", err.without_url())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Verifier;

    const PUBLIC: &str = "BL0LjdyHjMCykDxJd4A1hqPtmngEo6s5NpryJLLQgDI6yrAd6EPeIcUE-N2UyICS_PXkriQyq_te-sxLekpvKFM";
    const PRIVATE: &str = "ryhgoMPbpFFhiVroXRo1ul9tKd-M6rQ_DSqEeAzxgbQ";

    fn claims_of(authorization: &str) -> (Value, bool) {
        let keys = VapidKeys::from_base64(PUBLIC, PRIVATE).unwrap();
        let rest = authorization.strip_prefix("vapid t=").unwrap();
        let (jwt, k) = rest.split_once(", k=").unwrap();
        assert_eq!(k, PUBLIC);
        let (signed, signature) = jwt.rsplit_once('.').unwrap();
        let signature = p256::ecdsa::Signature::from_slice(&URL_SAFE_NO_PAD.decode(signature).unwrap()).unwrap();
        let valid = keys.signing_key().verifying_key().verify(signed.as_bytes(), &signature).is_ok();
        let claims = URL_SAFE_NO_PAD.decode(signed.split_once('.').unwrap().1).unwrap();
        (serde_json::from_slice(&claims).unwrap(), valid)
    }

    #[test]
    fn the_vapid_jwt_is_signed_and_its_audience_keeps_a_non_default_port() {
        let keys = VapidKeys::from_base64(PUBLIC, PRIVATE).unwrap();
        let local = url::Url::parse("http://127.0.0.1:21850/push/abc").unwrap();
        let (claims, valid) = claims_of(&vapid_authorization(&keys, "mailto:ops@chat.example", &local, 1_700_000_000));
        assert!(valid, "an ES256 signature by the VAPID key");
        assert_eq!(
            claims,
            json!({"aud": "http://127.0.0.1:21850", "exp": 1_700_043_200, "sub": "mailto:ops@chat.example"})
        );
        let fcm = url::Url::parse("https://fcm.googleapis.com:443/fcm/send/x").unwrap();
        assert_eq!(
            claims_of(&vapid_authorization(&keys, "mailto:a@b.c", &fcm, 0)).0["aud"],
            "https://fcm.googleapis.com"
        );
    }

    #[test]
    fn previews_are_short_single_line_text() {
        assert_eq!(preview("hello\n  there\tyou"), "hello there you");
        let long = "é".repeat(PREVIEW_CHARS + 5);
        assert_eq!(preview(&long), format!("{}…", "é".repeat(PREVIEW_CHARS)));
        assert_eq!(preview(&"x".repeat(PREVIEW_CHARS)), "x".repeat(PREVIEW_CHARS));
    }
}
