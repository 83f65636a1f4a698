//! `/api/messages/reactions`: `POST {messageId, emoji}` adds the caller's reaction, `DELETE
//! ?messageId=&emoji=` removes it.

use super::{finish, Answer, Call};
use crate::auth::AuthUser;
use crate::db::rate_limit::Bucket;
use crate::domain::{Emoji, MessageId};
use crate::http::json_response;
use crate::services::reactions::{self, Change, ReactionChange};
use hyper::StatusCode;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReactionFields {
    message_id: Option<String>,
    emoji: Option<String>,
    socket_id: Option<String>,
}

async fn react(call: Call, caller: AuthUser, fields: ReactionFields, change: Change) -> Answer {
    let id = MessageId::from_field(fields.message_id.as_deref(), "messageId")?;
    let emoji = match fields.emoji.as_deref() {
        Some(raw) => Emoji::parse(raw)?,
        None => return Err(crate::domain::Invalid::new("missing_field", "emoji is required").into()),
    };
    let except = call.excluded_socket(fields.socket_id.as_deref())?;
    let limit = Bucket::per_minute(call.ctx.config.limits.reactions_per_minute);
    // One transaction: the reaction and its outbox row (`reaction.added`/`removed`) commit together.
    let mut db = call.db().await?;
    crate::services::safety::refuse_if_blocked_on_message(&**db, &caller.id, &id).await?;
    let tx = db.transaction().await?;
    let request = ReactionChange { message: &id, emoji: &emoji, change };
    let outcome = reactions::react(&*tx, &call.publisher, limit, &caller.id, request, except).await;
    let reacted = finish(tx, outcome).await?;
    let status = if change == Change::Add && reacted.changed { StatusCode::CREATED } else { StatusCode::OK };
    Ok(json_response(status, &reacted))
}

/// `POST` → 201 when added, 200 when the caller had already reacted with it; `reaction-added`.
pub async fn add(call: Call, caller: AuthUser) -> Answer {
    let fields: ReactionFields = call.request.json()?;
    react(call, caller, fields, Change::Add).await
}

/// `DELETE ?messageId=&emoji=` → 200 (`changed: false` when there was none); `reaction-removed`.
pub async fn remove(call: Call, caller: AuthUser) -> Answer {
    let fields: ReactionFields = call.request.query()?;
    react(call, caller, fields, Change::Remove).await
}
