//! `POST /api/typing` `{chatId | roomId, typing}`: `typing-start`/`typing-stop` to the other side.
//! At most one event a second per user per conversation reaches Pusher, whatever the client does;
//! the throttle lives in PostgreSQL so it holds across instances. Dropped events still answer 202.

use super::allow;
use super::messages::require_member;
use crate::context::AppContext;
use crate::db::messages::{private_chat_id, room_chat_id};
use crate::db::rate_limit::{take, TYPING};
use crate::db::users::find_user;
use crate::error::ApiError;
use crate::http::{json_response, ApiRequest, ApiResponse};
use crate::messaging::{excluded_socket, id_param, publish};
use crate::pusher::channels::{private_chat_channel, room_channel};
use crate::runtime::Background;
use hyper::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TypingBody {
    chat_id: Option<String>,
    room_id: Option<String>,
    typing: bool,
    socket_id: Option<String>,
}

pub async fn post(ctx: &Arc<AppContext>, request: &ApiRequest, background: &Background) -> Result<ApiResponse, ApiError> {
    allow(request, &[Method::POST])?;
    let caller = ctx.authenticate(request).await?;
    let body: TypingBody = request.json()?;
    let socket_id = excluded_socket(request, body.socket_id.as_deref())?;
    let db = ctx.db().await?;
    let (chat_id, channel, room_id) = match (&body.chat_id, &body.room_id) {
        (Some(other), None) => {
            let other = id_param(Some(other), "chatId")?;
            if other == caller.id {
                return Err(ApiError::unprocessable("cannot_message_self", "chatId is the caller"));
            }
            (private_chat_id(&caller.id, &other), private_chat_channel(&caller.id, &other), None)
        }
        (None, Some(room)) => {
            let room = id_param(Some(room), "roomId")?;
            require_member(&**db, &room, &caller.id).await?;
            (room_chat_id(&room), room_channel(&room), Some(room))
        }
        _ => return Err(ApiError::unprocessable("invalid_body", "send exactly one of chatId and roomId")),
    };
    if take(&**db, &format!("typing:{}:{chat_id}", caller.id), TYPING).await?.is_err() {
        return Ok(json_response(StatusCode::ACCEPTED, &json!({"sent": false, "reason": "throttled"})));
    }
    let user_name = match find_user(&**db, &caller.id).await? {
        Some(user) => user.display_name(),
        None => caller.email.clone().unwrap_or_else(|| caller.id.clone()),
    };
    let event = if body.typing { "typing-start" } else { "typing-stop" };
    let data = json!({"userId": caller.id, "userName": user_name, "chatId": chat_id, "roomId": room_id});
    publish(ctx, background, vec![channel], event, data, socket_id);
    Ok(json_response(StatusCode::ACCEPTED, &json!({"sent": true})))
}
