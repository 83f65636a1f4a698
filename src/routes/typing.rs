//! `POST /api/typing` `{chatId | roomId, typing}`: `typing-start`/`typing-stop` to the other side.
//! At most one event a second per user per conversation reaches Pusher, whatever the client does;
//! the throttle lives in PostgreSQL so it holds across instances. Dropped events still answer 202.

use super::allow;
use super::messages::{conversation_ref, ConversationRef};
use crate::context::AppContext;
use crate::db::rate_limit::{take, TYPING};
use crate::db::users::find_user;
use crate::error::ApiError;
use crate::http::{json_response, ApiRequest, ApiResponse};
use crate::messaging::{excluded_socket, publish};
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
    let ConversationRef { chat_id, channel, room_id } =
        conversation_ref(&**db, &caller, body.chat_id.as_deref(), body.room_id.as_deref()).await?;
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
