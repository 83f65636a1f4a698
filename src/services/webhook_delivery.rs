//! Signed webhooks to the app's own backend (`OUTBOUND_WEBHOOK_URL`): each outbox row of kind
//! `webhook` becomes one POST of `{id, type, time, data}` with
//! `Pusher-Chat-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`.
//! A receiver recomputes the HMAC over the raw body, compares in constant time, rejects a `t`
//! older than 5 minutes (replays) and drops an `id` it has seen (deliveries are at least once).
//! Any 2xx is delivered; anything else is retried by the outbox.

use super::outbox::Outcome;
use crate::context::AppContext;
use crate::db::messages::find_message;
use crate::db::outbox::OutboxRow;
use crate::domain::{MessageId, Timestamp};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::sync::Arc;

/// The signature header: `t=<unix seconds>,v1=<hex>`.
pub const SIGNATURE_HEADER: &str = "pusher-chat-signature";
/// The event's id again (the idempotency key), and its type, for receivers that route on headers.
pub const EVENT_ID_HEADER: &str = "pusher-chat-event-id";
pub const EVENT_TYPE_HEADER: &str = "pusher-chat-event-type";

/// `t=<unix>,v1=<hex HMAC-SHA256(secret, "<unix>.<body>")>`.
pub fn signature_header(secret: &[u8], unix_seconds: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(unix_seconds.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("t={unix_seconds},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// The body of a webhook: `{id, type, time, data}` (`time`: when the event happened).
pub fn webhook_body(id: &uuid::Uuid, event_type: &str, time: Timestamp, data: &Value) -> String {
    json!({"id": id.to_string(), "type": event_type, "time": time, "data": data}).to_string()
}

/// The event's `data`: the snapshot stored with it, or for message events the message as stored
/// now (a message erased since is `{"id": …, "deleted": true}`).
async fn event_data(ctx: &AppContext, payload: &Value) -> Result<Value, Outcome> {
    if let Some(data) = payload.get("data") {
        return Ok(data.clone());
    }
    let id = payload["messageId"].as_str().and_then(|id| MessageId::parse(id).ok());
    let Some(id) = id else {
        return Err(Outcome::GiveUp("a webhook row without data or messageId".into()));
    };
    let db = ctx.db().await.map_err(|err| Outcome::Retry(format!("database: {err}")))?;
    match find_message(&**db, &id).await {
        Ok(Some(message)) => Ok(serde_json::to_value(message).unwrap_or(Value::Null)),
        Ok(None) => Ok(json!({"id": id.as_str(), "deleted": true})),
        Err(err) => Err(Outcome::Retry(format!("database: {err}"))),
    }
}

/// One delivery of a `webhook` row.
pub async fn deliver(ctx: &Arc<AppContext>, row: &OutboxRow) -> Outcome {
    let Some(config) = &ctx.config.webhooks else {
        return Outcome::GiveUp("OUTBOUND_WEBHOOK_URL is not set".into());
    };
    let Some(event_type) = row.payload["type"].as_str() else {
        return Outcome::GiveUp("a webhook row without a type".into());
    };
    let data = match event_data(ctx, &row.payload).await {
        Ok(data) => data,
        Err(outcome) => return outcome,
    };
    let body = webhook_body(&row.event_id, event_type, Timestamp::from(row.created_at), &data);
    let signature = signature_header(config.secret.expose().as_bytes(), chrono::Utc::now().timestamp(), &body);
    let sent = ctx
        .outbound
        .post(config.url.clone())
        .timeout(config.timeout)
        .header("content-type", "application/json")
        .header(SIGNATURE_HEADER, signature)
        .header(EVENT_ID_HEADER, row.event_id.to_string())
        .header(EVENT_TYPE_HEADER, event_type)
        .body(body)
        .send()
        .await;
    match sent {
        Ok(response) if response.status().is_success() => Outcome::Delivered,
        Ok(response) => Outcome::Retry(format!("the receiver answered {}", response.status().as_u16())),
        Err(err) if err.is_timeout() => Outcome::Retry(format!("no answer within {} ms", config.timeout.as_millis())),
        // Without the URL, which may carry a token in its query.
        Err(err) => Outcome::Retry(format!("could not reach the receiver: {}", err.without_url())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_hmac_of_the_time_a_dot_and_the_body() {
        // Computed independently: python3 -c 'import hmac,hashlib;
        //   print(hmac.new(b"whsec-0123456789abcdef", b"1700000000.{\"id\":1}", hashlib.sha256).hexdigest())'
        assert_eq!(
            signature_header(b"whsec-0123456789abcdef", 1_700_000_000, r#"{"id":1}"#),
            "t=1700000000,v1=139d89016db745c75bf654476b1450b5650c0885f51ba9dae48257ca45752295"
        );
        assert_ne!(
            signature_header(b"whsec-0123456789abcdef", 1_700_000_001, r#"{"id":1}"#),
            signature_header(b"whsec-0123456789abcdef", 1_700_000_000, r#"{"id":1}"#),
            "the time is signed"
        );
    }

    #[test]
    fn the_body_has_id_type_time_and_data() {
        let id = uuid::Uuid::parse_str("6f1c1b5e-34a8-4a4e-9f55-2d8b1c0f7a10").unwrap();
        let time = Timestamp::from_millis(1_700_000_000_123).unwrap();
        let body: Value =
            serde_json::from_str(&webhook_body(&id, "reaction.added", time, &json!({"emoji": "👍"}))).unwrap();
        assert_eq!(
            body,
            json!({"id": "6f1c1b5e-34a8-4a4e-9f55-2d8b1c0f7a10", "type": "reaction.added",
                   "time": "2023-11-14T22:13:20.123Z", "data": {"emoji": "👍"}})
        );
    }
}
