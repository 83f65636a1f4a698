//! `POST /api/pusher/auth`: signs channel subscriptions for pusher-js, following the channel
//! rules in [`crate::pusher::channels`]. Refusals are JSON and fast; nothing here writes.

use super::allow;
use crate::auth::AuthUser;
use crate::context::AppContext;
use crate::db::rooms::membership;
use crate::db::users::{find_user, share_conversation, User};
use crate::error::ApiError;
use crate::http::{ok_json, ApiRequest, ApiResponse};
use crate::pusher::channels::{chat_partner, classify, is_valid_channel_name, is_valid_socket_id, Channel};
use crate::pusher::signature::{channel_auth_signature, user_auth_signature};
use hyper::Method;
use serde_json::json;

pub async fn post(ctx: &AppContext, request: &ApiRequest) -> Result<ApiResponse, ApiError> {
    allow(request, &[Method::POST])?;
    let caller = ctx.authenticate(request).await?;
    let fields = request.fields()?;
    let socket_id = socket_id_field(&fields)?;
    let channel = fields
        .get("channel_name")
        .ok_or_else(|| ApiError::bad_request("missing_channel_name", "channel_name is required"))?;
    if !is_valid_channel_name(channel) {
        return Err(ApiError::bad_request("invalid_channel_name", "channel_name is not a valid Pusher channel name"));
    }

    let db = ctx.db().await?;
    let pusher = &ctx.config.pusher;
    let sign = |data: Option<&str>| channel_auth_signature(&pusher.key, pusher.secret.expose(), socket_id, channel, data);
    match classify(channel) {
        Some(Channel::PrivateChat) => {
            let partner = chat_partner(channel, &caller.id).ok_or_else(not_allowed)?;
            find_user(&**db, &partner).await?.ok_or_else(not_allowed)?;
            ok_json(&json!({"auth": sign(None)}))
        }
        Some(Channel::Notifications { user_id }) if user_id == caller.id => ok_json(&json!({"auth": sign(None)})),
        Some(Channel::PresenceUser { user_id }) => {
            if user_id != caller.id && !share_conversation(&**db, &caller.id, &user_id).await? {
                return Err(not_allowed());
            }
            let profile = find_user(&**db, &caller.id).await?;
            // Signed and returned as the very same string: re-serialising would break the signature.
            let channel_data = json!({"user_id": caller.id, "user_info": user_info(&caller, profile.as_ref())}).to_string();
            ok_json(&json!({"auth": sign(Some(&channel_data)), "channel_data": channel_data}))
        }
        Some(Channel::Room { room_id }) => match membership(&**db, &room_id, &caller.id).await? {
            (_, true) => ok_json(&json!({"auth": sign(None)})),
            _ => Err(ApiError::forbidden("not_a_member", "you are not a member of this room")),
        },
        _ => Err(not_allowed()),
    }
}

/// `POST /api/pusher/user-auth`: pusher-js user sign-in, so the server can address a user's
/// connections (`sendToUser`, terminating them).
pub async fn user_auth(ctx: &AppContext, request: &ApiRequest) -> Result<ApiResponse, ApiError> {
    allow(request, &[Method::POST])?;
    let caller = ctx.authenticate(request).await?;
    let fields = request.fields()?;
    let socket_id = socket_id_field(&fields)?;
    let profile = find_user(&**ctx.db().await?, &caller.id).await?;
    let user_data = json!({"id": caller.id, "user_info": user_info(&caller, profile.as_ref())}).to_string();
    let pusher = &ctx.config.pusher;
    let auth = user_auth_signature(&pusher.key, pusher.secret.expose(), socket_id, &user_data);
    ok_json(&json!({"auth": auth, "user_data": user_data}))
}

fn socket_id_field(fields: &std::collections::HashMap<String, String>) -> Result<&str, ApiError> {
    let socket_id = fields
        .get("socket_id")
        .ok_or_else(|| ApiError::bad_request("missing_socket_id", "socket_id is required"))?;
    if !is_valid_socket_id(socket_id) {
        return Err(ApiError::bad_request("invalid_socket_id", "socket_id must look like 1234.5678"));
    }
    Ok(socket_id)
}

fn user_info(caller: &AuthUser, profile: Option<&User>) -> serde_json::Value {
    match profile {
        Some(user) => json!({"name": user.display_name(), "avatar": user.avatar}),
        None => json!({"name": caller.email.clone().unwrap_or_else(|| caller.id.clone()), "avatar": null}),
    }
}

fn not_allowed() -> ApiError {
    ApiError::forbidden("channel_forbidden", "you may not subscribe to this channel")
}
