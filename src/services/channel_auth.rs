//! Channel authorization and user sign-in for pusher-js, following the channel rules of
//! [`ChannelName`]. Nothing here writes.

use crate::auth::AuthUser;
use crate::config::PusherConfig;
use crate::db::rooms::membership;
use crate::db::users::{find_user, may_watch_presence, User};
use crate::domain::{ChannelKind, ChannelName, SocketId};
use crate::error::ApiError;
use crate::pusher::signature::{channel_auth_signature, encrypted_channel_shared_secret, user_auth_signature};
use crate::services::safety::refuse_if_blocked_either_way;
use serde_json::{json, Value};
use tokio_postgres::GenericClient;

/// The signed answer for a subscription of `caller`'s connection to `channel`, or 403.
pub async fn authorize(
    db: &impl GenericClient,
    pusher: &PusherConfig,
    caller: &AuthUser,
    socket: &SocketId,
    channel: &ChannelName,
) -> Result<Value, ApiError> {
    let sign = |data: Option<&str>| {
        channel_auth_signature(&pusher.key, pusher.secret.expose(), socket.as_str(), channel.as_str(), data)
    };
    // With encryption on, events travel only on the encrypted twins (and the answer carries the
    // twin's key); without it, an encrypted channel would stay silent.
    match (&pusher.encryption_master_key, channel.is_encrypted()) {
        (Some(master), true) => {
            let mut answer = authorize_plain(db, caller, &channel.unencrypted(), sign).await?;
            answer["shared_secret"] = json!(encrypted_channel_shared_secret(channel.as_str(), master.bytes()));
            Ok(answer)
        }
        (None, true) => Err(ApiError::forbidden("encryption_off", "this server has no encrypted channels")),
        (Some(_), false) if channel.encrypted() != *channel => Err(ApiError::forbidden(
            "encrypted_channel_required",
            "end-to-end encryption is on: subscribe to the private-encrypted- channel (see /api/config)",
        )),
        _ => authorize_plain(db, caller, channel, sign).await,
    }
}

/// The rules of [`ChannelName`] for `channel` (never an encrypted name); `sign` signs the name the
/// client asked for.
async fn authorize_plain(
    db: &impl GenericClient,
    caller: &AuthUser,
    channel: &ChannelName,
    sign: impl Fn(Option<&str>) -> String,
) -> Result<Value, ApiError> {
    match channel.kind() {
        Some(ChannelKind::PrivateChat) => {
            let partner = channel.chat_partner(&caller.id).ok_or_else(not_allowed)?;
            find_user(db, &partner).await?.ok_or_else(not_allowed)?;
            Ok(json!({"auth": sign(None)}))
        }
        Some(ChannelKind::PresenceChat) => {
            let partner = channel.chat_partner(&caller.id).ok_or_else(not_allowed)?;
            find_user(db, &partner).await?.ok_or_else(not_allowed)?;
            refuse_if_blocked_either_way(db, &caller.id, &partner).await?;
            let profile = find_user(db, &caller.id).await?;
            let channel_data =
                json!({"user_id": caller.id, "user_info": user_info(caller, profile.as_ref())}).to_string();
            Ok(json!({"auth": sign(Some(&channel_data)), "channel_data": channel_data}))
        }
        Some(ChannelKind::Notifications(user)) if user == caller.id => Ok(json!({"auth": sign(None)})),
        Some(ChannelKind::PresenceUser(user)) => {
            refuse_if_blocked_either_way(db, &caller.id, &user).await?;
            if user != caller.id && !may_watch_presence(db, &caller.id, &user).await? {
                return Err(not_allowed());
            }
            let profile = find_user(db, &caller.id).await?;
            // Signed and returned as the very same string: re-serialising would break the signature.
            let channel_data =
                json!({"user_id": caller.id, "user_info": user_info(caller, profile.as_ref())}).to_string();
            Ok(json!({"auth": sign(Some(&channel_data)), "channel_data": channel_data}))
        }
        Some(ChannelKind::Room(room)) => match membership(db, &room, &caller.id).await? {
            (_, true) => Ok(json!({"auth": sign(None)})),
            _ => Err(ApiError::forbidden("not_a_member", "you are not a member of this room")),
        },
        _ => Err(not_allowed()),
    }
}

/// pusher-js user sign-in, so the server can address a user's connections.
pub async fn sign_in(
    db: &impl GenericClient,
    pusher: &PusherConfig,
    caller: &AuthUser,
    socket: &SocketId,
) -> Result<Value, ApiError> {
    let profile = find_user(db, &caller.id).await?;
    let user_data = json!({"id": caller.id, "user_info": user_info(caller, profile.as_ref())}).to_string();
    let auth = user_auth_signature(&pusher.key, pusher.secret.expose(), socket.as_str(), &user_data);
    Ok(json!({"auth": auth, "user_data": user_data}))
}

fn user_info(caller: &AuthUser, profile: Option<&User>) -> Value {
    match profile {
        Some(user) => json!({"name": user.display_name(), "avatar": user.avatar}),
        None => json!({"name": caller.email.clone().unwrap_or_else(|| caller.id.to_string()), "avatar": null}),
    }
}

fn not_allowed() -> ApiError {
    ApiError::forbidden("channel_forbidden", "you may not subscribe to this channel")
}
