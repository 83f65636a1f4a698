//! `/api/messages?id=`: `PATCH` edits the caller's own message, `DELETE` takes it back.

use super::{finish, Answer, Call};
use crate::auth::AuthUser;
use crate::domain::{MessageContent, MessageId};
use crate::http::ok_json;
use crate::services::{message_actions, moderation};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
struct MessageQuery {
    id: Option<String>,
}

fn message_id(call: &Call) -> Result<MessageId, crate::error::ApiError> {
    let query: MessageQuery = call.request.query()?;
    Ok(MessageId::from_field(query.id.as_deref(), "id")?)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EditBody {
    content: Option<String>,
    socket_id: Option<String>,
}

/// `PATCH /api/messages?id=` `{content}` → 200 `{message}`; `message-updated`.
pub async fn edit(call: Call, caller: AuthUser) -> Answer {
    let id = message_id(&call)?;
    let body: EditBody = call.request.json()?;
    let content = MessageContent::parse(body.content.as_deref().unwrap_or(""))?;
    let content = moderation::moderate(&call.ctx, &caller.id, None, moderation::Action::Edit, content).await?;
    let except = call.excluded_socket(body.socket_id.as_deref())?;
    let window = call.ctx.config.limits.message_edit_window;
    // One transaction: the edit and its outbox row (`message.updated`) commit together.
    let mut db = call.db().await?;
    let tx = db.transaction().await?;
    let outcome = message_actions::edit(&*tx, &call.publisher, &caller.id, &id, &content, window, except).await;
    let message = finish(tx, outcome).await?;
    ok_json(&json!({"message": message}))
}

/// `DELETE /api/messages?id=` → 200 `{message}` (the tombstone); `message-deleted`.
pub async fn delete(call: Call, caller: AuthUser) -> Answer {
    let id = message_id(&call)?;
    let except = call.excluded_socket(None)?;
    let mut db = call.db().await?;
    let tx = db.transaction().await?;
    let outcome = message_actions::delete(&*tx, &call.publisher, &caller.id, &id, except).await;
    let message = finish(tx, outcome).await?;
    // The tombstone marked its file for deletion; it goes now (or with the periodic cleanup).
    crate::services::uploads::delete_file_of(&call.ctx, id.as_str()).await;
    ok_json(&json!({"message": message}))
}
