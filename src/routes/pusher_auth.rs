//! `POST /api/pusher/auth` and `POST /api/pusher/user-auth`: channel authorization and user
//! sign-in for pusher-js (form-encoded or JSON `socket_id`, `channel_name`).

use super::{Answer, Call};
use crate::auth::AuthUser;
use crate::domain::{ChannelName, SocketId};
use crate::error::ApiError;
use crate::http::ok_json;
use crate::services::channel_auth::{authorize, sign_in};
use std::collections::HashMap;

pub async fn channel(call: Call, caller: AuthUser) -> Answer {
    let fields = call.request.fields()?;
    let socket = socket_id(&fields)?;
    let raw = fields
        .get("channel_name")
        .ok_or_else(|| ApiError::bad_request("missing_channel_name", "channel_name is required"))?;
    let channel = ChannelName::parse(raw).map_err(ApiError::malformed)?;
    let db = call.db().await?;
    ok_json(&authorize(&**db, &call.ctx.config.pusher, &caller, &socket, &channel).await?)
}

pub async fn user(call: Call, caller: AuthUser) -> Answer {
    let fields = call.request.fields()?;
    let socket = socket_id(&fields)?;
    let db = call.db().await?;
    ok_json(&sign_in(&**db, &call.ctx.config.pusher, &caller, &socket).await?)
}

fn socket_id(fields: &HashMap<String, String>) -> Result<SocketId, ApiError> {
    let raw =
        fields.get("socket_id").ok_or_else(|| ApiError::bad_request("missing_socket_id", "socket_id is required"))?;
    SocketId::parse(raw).map_err(|_| ApiError::bad_request("invalid_socket_id", "socket_id must look like 1234.5678"))
}
