//! `POST /api/presence` `{status}`: records the caller's status and announces a change with
//! `user-status-change` on `presence-user-{id}`. Throttled per user (429 with Retry-After).

use super::allow;
use crate::context::AppContext;
use crate::db::messages::iso_string;
use crate::db::rate_limit::{take, PRESENCE};
use crate::db::users::{record_status, Status};
use crate::error::ApiError;
use crate::http::{ok_json, ApiRequest, ApiResponse};
use crate::messaging::publish;
use crate::pusher::channels::presence_user_channel;
use crate::runtime::Background;
use hyper::Method;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

#[derive(Debug, Deserialize)]
struct PresenceBody {
    status: Status,
}

pub async fn post(ctx: &Arc<AppContext>, request: &ApiRequest, background: &Background) -> Result<ApiResponse, ApiError> {
    allow(request, &[Method::POST])?;
    let caller = ctx.authenticate(request).await?;
    let body: PresenceBody = request.json()?;
    let db = ctx.db().await?;
    if let Err(retry_after_secs) = take(&**db, &format!("presence:{}", caller.id), PRESENCE).await? {
        return Err(ApiError::TooManyRequests { retry_after_secs });
    }
    let now = chrono::Utc::now().naive_utc();
    let changed = match record_status(&**db, &caller.id, body.status, now).await? {
        Some(last_active) => {
            let data = json!({"userId": caller.id, "status": body.status, "lastActive": iso_string(&last_active)});
            publish(ctx, background, vec![presence_user_channel(&caller.id)], "user-status-change", data, None);
            true
        }
        None => false,
    };
    ok_json(&json!({"userId": caller.id, "status": body.status, "changed": changed, "at": iso_string(&now)}))
}
