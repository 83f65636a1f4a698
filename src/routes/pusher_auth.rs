//! `POST /api/pusher/auth` and `POST /api/pusher/user-auth`: channel authorization and user
//! sign-in for pusher-js (form-encoded or JSON `socket_id`, `channel_name`); or, in one call,
//! several channels of one connection (JSON `{socket_id, channel_names: [..]}`, up to
//! [`MAX_CHANNELS_PER_CALL`]), each answered on its own (`{channels: {name: answer | {error}}}`),
//! so a client opening a chat authorizes its channels with one function invocation.

use super::{Answer, Call};
use crate::auth::AuthUser;
use crate::domain::{ChannelName, SocketId};
use crate::error::ApiError;
use crate::http::{ok_json, ApiRequest};
use crate::services::channel_auth::{authorize, sign_in};
use serde_json::json;
use std::collections::HashMap;

/// The most channels one batched authorization names.
pub const MAX_CHANNELS_PER_CALL: usize = 20;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ChannelBatch {
    socket_id: String,
    channel_names: Vec<String>,
}

pub async fn channel(call: Call, caller: AuthUser) -> Answer {
    if is_batch(&call.request) {
        return channels(call, caller).await;
    }
    let fields = call.request.fields()?;
    let socket = socket_id(&fields)?;
    let raw = fields
        .get("channel_name")
        .ok_or_else(|| ApiError::bad_request("missing_channel_name", "channel_name is required"))?;
    let channel = ChannelName::parse(raw).map_err(ApiError::malformed)?;
    let db = call.db().await?;
    ok_json(&authorize(&**db, &call.ctx.config.pusher, &caller, &socket, &channel).await?)
}

/// A JSON body with `channel_names` (the one-channel forms never have it).
fn is_batch(request: &ApiRequest) -> bool {
    request.header("content-type").is_some_and(|t| t.starts_with("application/json"))
        && serde_json::from_slice::<serde_json::Value>(&request.body).is_ok_and(|v| v.get("channel_names").is_some())
}

async fn channels(call: Call, caller: AuthUser) -> Answer {
    let batch: ChannelBatch = call.request.json()?;
    let socket = SocketId::parse(&batch.socket_id)
        .map_err(|_| ApiError::bad_request("invalid_socket_id", "socket_id must look like 1234.5678"))?;
    if batch.channel_names.is_empty() || batch.channel_names.len() > MAX_CHANNELS_PER_CALL {
        return Err(ApiError::unprocessable(
            "invalid_body",
            format!("channel_names must name 1 to {MAX_CHANNELS_PER_CALL} channels"),
        ));
    }
    let db = call.db().await?;
    let mut answers = serde_json::Map::new();
    for raw in batch.channel_names {
        let answer = match ChannelName::parse(&raw).map_err(ApiError::malformed) {
            Ok(channel) => authorize(&**db, &call.ctx.config.pusher, &caller, &socket, &channel).await,
            Err(err) => Err(err),
        };
        let answer = match answer {
            Ok(signed) => signed,
            // A refusal is that channel's answer; anything else (the database) fails the call.
            Err(err) if err.status().is_client_error() => json!({"error": {
                "code": err.code(), "message": err.public_message(), "status": err.status().as_u16()
            }}),
            Err(err) => return Err(err),
        };
        answers.insert(raw, answer);
    }
    ok_json(&json!({"channels": answers}))
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
