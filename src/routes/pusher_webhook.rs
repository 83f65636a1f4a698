//! `POST /api/pusher/webhook`: presence webhooks from Pusher. The signature is verified on the
//! raw body (constant time) before anything is read.

use super::{finish, Answer, Call};
use crate::error::ApiError;
use crate::http::ok_json;
use crate::pusher::signature::verify_webhook;
use crate::services::webhooks::{apply, Webhook};
use serde_json::json;

pub async fn post(call: Call) -> Answer {
    let pusher = &call.ctx.config.pusher;
    let request = &call.request;
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
    let mut db = call.db().await?;
    let tx = db.transaction().await?;
    let outcome = apply(&*tx, &call.publisher, &webhook).await;
    let changed = finish(tx, outcome).await?;
    ok_json(&json!({"ok": true, "statusChanges": changed}))
}
