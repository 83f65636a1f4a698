//! `POST /api/typing` `{chatId | roomId | conversationId, typing, readUpToSeq?}`: `typing-start`/`typing-stop`
//! to the other side (a start with `expiresAt`), with the typist's read position folded in when given.
//! Throttled to one event a second per user per conversation; dropped events still answer 202.

use super::{Answer, Call};
use crate::auth::AuthUser;
use crate::db::rate_limit::Bucket;
use crate::error::ApiError;
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
    read_up_to_seq: Option<i64>,
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
    if body.read_up_to_seq.is_some_and(|seq| seq < 0) {
        return Err(ApiError::unprocessable("invalid_body", "readUpToSeq must be a position >= 0"));
    }
    let db = call.db().await?;
    let conversation = resolve(&**db, &caller.id, &target).await?;
    crate::services::safety::refuse_if_blocked(&**db, &caller.id, &conversation).await?;
    let start_limit = Bucket::per_second(call.ctx.config.limits.typing_per_second);
    let typing = body.typing;
    let announced = typing::announce(
        &**db,
        &call.publisher,
        &caller,
        &conversation,
        typing,
        body.read_up_to_seq,
        except,
        start_limit,
    )
    .await?;
    let mut answer = match announced.sent {
        true => json!({"sent": true}),
        false => json!({"sent": false, "reason": "throttled"}),
    };
    if typing && announced.sent {
        answer["expiresInMs"] = json!(typing::TYPING_TTL_MS);
    }
    if let Some(read) = announced.read {
        answer["read"] = serde_json::to_value(read).map_err(|e| ApiError::internal(e.to_string()))?;
    }
    Ok(json_response(StatusCode::ACCEPTED, &answer))
}
