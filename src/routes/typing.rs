//! `POST /api/typing` `{chatId | roomId | conversationId, typing}`: `typing-start`/`typing-stop` to the other side.
//! Throttled to one event a second per user per conversation; dropped events still answer 202.

use super::{Answer, Call};
use crate::auth::AuthUser;
use crate::db::rate_limit::Bucket;
use crate::http::json_response;
use crate::services::conversations::{resolve, Target, TargetFields};
use crate::services::typing;
use hyper::StatusCode;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TypingBody {
    chat_id: Option<String>,
    room_id: Option<String>,
    conversation_id: Option<String>,
    typing: bool,
    socket_id: Option<String>,
}

pub async fn post(call: Call, caller: AuthUser) -> Answer {
    let body: TypingBody = call.request.json()?;
    let except = call.excluded_socket(body.socket_id.as_deref())?;
    let target = Target::from_fields(TargetFields {
        chat_id: body.chat_id.as_deref(),
        room_id: body.room_id.as_deref(),
        conversation_id: body.conversation_id.as_deref(),
    })?;
    let db = call.db().await?;
    let conversation = resolve(&**db, &caller.id, &target).await?;
    let start_limit = Bucket::per_second(call.ctx.config.limits.typing_per_second);
    let sent =
        typing::announce(&**db, &call.publisher, &caller, &conversation, body.typing, except, start_limit).await?;
    let answer = if sent { json!({"sent": true}) } else { json!({"sent": false, "reason": "throttled"}) };
    Ok(json_response(StatusCode::ACCEPTED, &answer))
}
