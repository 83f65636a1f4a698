//! `/api/push/subscriptions`: `POST` the browser's `PushSubscription` JSON (`{endpoint, keys:
//! {p256dh, auth}}`) to receive pushes while away; `DELETE` (`{endpoint}` or `?endpoint=`) to
//! stop. 501 `push_disabled` when the server has no VAPID keys.

use super::{finish, Answer, Call};
use crate::auth::AuthUser;
use crate::domain::MAX_ENDPOINT_LEN;
use crate::http::{json_response, ok_json};
use crate::services::push::{self, NewSubscription, SubscriptionBody};
use hyper::StatusCode;
use serde::Deserialize;
use serde_json::json;

pub async fn post(call: Call, caller: AuthUser) -> Answer {
    let config = push::enabled(&call.ctx)?;
    let body: SubscriptionBody = call.request.json()?;
    let subscription = NewSubscription::parse(&body, config)?;
    // One transaction under the caller's row lock: the limit holds under concurrent requests.
    let mut db = call.db().await?;
    let tx = db.transaction().await?;
    let outcome = push::subscribe(&*tx, &caller.id, &subscription).await;
    let saved = finish(tx, outcome).await?;
    let status = if saved.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok(json_response(status, &json!({"subscription": saved})))
}

#[derive(Debug, Default, Deserialize)]
struct EndpointOnly {
    endpoint: Option<String>,
}

pub async fn delete(call: Call, caller: AuthUser) -> Answer {
    push::enabled(&call.ctx)?;
    let body: SubscriptionBody = match call.request.body.is_empty() {
        true => {
            let query: EndpointOnly = call.request.query()?;
            SubscriptionBody { endpoint: query.endpoint, keys: None }
        }
        false => call.request.json()?,
    };
    let Some(endpoint) = body.endpoint.as_deref().filter(|e| !e.is_empty()) else {
        return Err(crate::domain::Invalid::new("missing_field", "endpoint is required").into());
    };
    // Not checked against the push services (an endpoint stored before a change of
    // WEB_PUSH_ALLOWED_ORIGINS must still go), but no stored one is longer or holds a control character.
    if endpoint.len() > MAX_ENDPOINT_LEN || endpoint.chars().any(char::is_control) {
        return Err(crate::domain::Invalid::new("invalid_push_endpoint", "endpoint is not a push endpoint").into());
    }
    let deleted = push::unsubscribe(&**call.db().await?, &caller.id, endpoint).await?;
    ok_json(&json!({"deleted": deleted}))
}
