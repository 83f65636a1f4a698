//! `POST /api/presence` `{status}`: records the caller's status and announces a change with
//! `user-status-change` on `presence-user-{id}`. Throttled per user (429 with Retry-After).

use super::{finish, Answer, Call};
use crate::auth::AuthUser;
use crate::db::rate_limit::Bucket;
use crate::domain::Status;
use crate::http::ok_json;
use crate::services::presence::set_status;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
struct PresenceBody {
    status: Status,
}

pub async fn post(call: Call, caller: AuthUser) -> Answer {
    let body: PresenceBody = call.request.json()?;
    // One transaction: the status and its outbox row (`user.status_changed`) commit together.
    let mut db = call.db().await?;
    let tx = db.transaction().await?;
    let limit = Bucket::per_minute(call.ctx.config.limits.presence_per_minute);
    let outcome = set_status(&*tx, &call.publisher, &caller.id, body.status, limit).await;
    let (changed, at) = finish(tx, outcome).await?;
    ok_json(&json!({"userId": caller.id, "status": body.status, "changed": changed, "at": at}))
}
