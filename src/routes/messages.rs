//! `/api/messages/private`, `/api/messages/room` (send, history and sync) and `/api/messages/read`.

use super::{page_limit, Answer, Call};
use crate::auth::AuthUser;
use crate::db::messages::Page;
use crate::db::rate_limit::Bucket;
use crate::domain::{ConversationKey, Draft, Invalid, MessageFields, MessageId, RoomId, UserId};
use crate::error::ApiError;
use crate::http::{json_response, ok_json};
use crate::services::conversations::{require_member, resolve, Target, TargetFields};
use crate::services::messages::{self, ReadScope, Sent};
use crate::services::safety;
use crate::services::uploads;
use hyper::StatusCode;
use serde::Deserialize;
use serde_json::json;

const MAX_READ_IDS: usize = 100;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SendBody {
    receiver_id: Option<String>,
    room_id: Option<String>,
    socket_id: Option<String>,
    #[serde(flatten)]
    message: MessageFields,
}

/// `GET` query of both history routes.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct HistoryQuery {
    chat_id: Option<String>,
    room_id: Option<String>,
    conversation_id: Option<String>,
    after: Option<i64>,
    before: Option<i64>,
    changed_after: Option<i64>,
    limit: Option<i64>,
}

impl HistoryQuery {
    /// `after` (sync), `before` (older history), `changedAfter` (changes to known messages) or none
    /// (the newest), and `limit`.
    fn page(&self) -> Result<(Page, i64), Invalid> {
        let invalid = |message: String| Invalid::new("invalid_query", message);
        let at_least_zero = |value: Option<i64>, name: &str| match value {
            Some(n) if n < 0 => Err(invalid(format!("{name} must be a whole number, 0 or more"))),
            other => Ok(other),
        };
        let bounds = (
            at_least_zero(self.after, "after")?,
            at_least_zero(self.before, "before")?,
            at_least_zero(self.changed_after, "changedAfter")?,
        );
        let page = match bounds {
            (Some(after), None, None) => Page::After(after),
            (None, Some(before), None) => Page::Before(before),
            (None, None, Some(change)) => Page::ChangedAfter(change),
            (None, None, None) => Page::Latest,
            _ => return Err(invalid("use one of after, before and changedAfter".into())),
        };
        Ok((page, page_limit(self.limit)?))
    }
}

pub async fn private_history(call: Call, caller: AuthUser) -> Answer {
    let query: HistoryQuery = call.request.query()?;
    let other = match query.conversation_id.as_deref() {
        None => UserId::from_field(query.chat_id.as_deref(), "chatId")?,
        Some(key) => ConversationKey::parse(key)?.other_participant(&caller.id).cloned().ok_or_else(not_yours)?,
    };
    let (page, limit) = query.page()?;
    let db = call.db().await?;
    ok_json(&messages::private_history(&**db, &caller.id, &other, page, limit).await?)
}

pub async fn room_history(call: Call, caller: AuthUser) -> Answer {
    let query: HistoryQuery = call.request.query()?;
    let room = match query.conversation_id.as_deref() {
        None => RoomId::from_field(query.room_id.as_deref(), "roomId")?,
        Some(key) => ConversationKey::parse(key)?.room_id().cloned().ok_or_else(not_yours)?,
    };
    let (page, limit) = query.page()?;
    let db = call.db().await?;
    let mut history = messages::room_history(&**db, &caller.id, &room, page, limit).await?;
    safety::hide_blocked(&**db, &caller.id, &mut history.messages).await?;
    ok_json(&history)
}

fn not_yours() -> ApiError {
    ApiError::forbidden("not_a_participant", "you are not part of this conversation")
}

pub async fn send_private(call: Call, caller: AuthUser) -> Answer {
    let body: SendBody = call.request.json()?;
    let receiver = UserId::from_field(body.receiver_id.as_deref(), "receiverId")?;
    let conversation = ConversationKey::private(&caller.id, &receiver)?;
    send(call, caller, conversation, body).await
}

pub async fn send_to_room(call: Call, caller: AuthUser) -> Answer {
    let body: SendBody = call.request.json()?;
    let query: HistoryQuery = call.request.query()?;
    let room = RoomId::from_field(query.room_id.as_deref().or(body.room_id.as_deref()), "roomId")?;
    let db = call.db().await?;
    require_member(&**db, &room, &caller.id).await?;
    send_with(&call, db, caller, ConversationKey::room(&room), body).await
}

async fn send(call: Call, caller: AuthUser, conversation: ConversationKey, body: SendBody) -> Answer {
    let db = call.db().await?;
    send_with(&call, db, caller, conversation, body).await
}

/// 201 with a new message, 200 with the original for a repeated `clientMessageId`.
async fn send_with(
    call: &Call,
    mut db: deadpool_postgres::Object,
    caller: AuthUser,
    conversation: ConversationKey,
    body: SendBody,
) -> Answer {
    let draft = Draft::parse(&body.message)?;
    let draft = safety::screen_send(&call.ctx, &**db, &caller.id, &conversation, draft).await?;
    let except = call.excluded_socket(body.socket_id.as_deref())?;
    let limit = Bucket::per_minute(call.ctx.config.limits.messages_per_minute);
    let Sent { message, created } = match draft.upload.is_some() {
        // The claim of the upload and the message commit in one transaction.
        true => {
            uploads::send_upload(&call.ctx, &mut db, &call.publisher, limit, &caller.id, &conversation, draft, except)
                .await?
        }
        false => messages::send(&**db, &call.publisher, limit, &caller.id, &conversation, &draft, except).await?,
    };
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok(json_response(status, &json!({"message": message})))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ReadBody {
    chat_id: Option<String>,
    room_id: Option<String>,
    conversation_id: Option<String>,
    up_to_seq: Option<i64>,
    message_ids: Option<Vec<String>>,
    socket_id: Option<String>,
}

/// `POST /api/messages/read`: `{chatId | roomId | conversationId, upToSeq}` or `{messageIds}`.
pub async fn read(call: Call, caller: AuthUser) -> Answer {
    let body: ReadBody = call.request.json()?;
    let except = call.excluded_socket(body.socket_id.as_deref())?;
    let db = call.db().await?;
    let scope = match (&body.up_to_seq, &body.message_ids) {
        (Some(seq), None) if *seq >= 0 => {
            let target = Target::from_fields(TargetFields {
                chat_id: body.chat_id.as_deref(),
                room_id: body.room_id.as_deref(),
                conversation_id: body.conversation_id.as_deref(),
            })?;
            let conversation = resolve(&**db, &caller.id, &target).await?;
            ReadScope::UpTo(conversation, *seq)
        }
        (None, Some(ids))
            if body.chat_id.is_none()
                && body.room_id.is_none()
                && body.conversation_id.is_none()
                && (1..=MAX_READ_IDS).contains(&ids.len()) =>
        {
            let ids = ids.iter().map(|id| MessageId::from_field(Some(id), "messageIds")).collect::<Result<_, _>>()?;
            ReadScope::Messages(ids)
        }
        _ => {
            return Err(ApiError::unprocessable(
                "invalid_body",
                format!(
                    "send {{chatId, roomId or conversationId, upToSeq >= 0}} or {{messageIds: 1..{MAX_READ_IDS} ids}}"
                ),
            ))
        }
    };
    ok_json(&messages::mark_read(&**db, &call.publisher, &caller.id, scope, except).await?)
}

#[cfg(test)]
mod tests {
    use super::super::{DEFAULT_PAGE, MAX_PAGE};
    use super::*;

    fn query(after: Option<i64>, before: Option<i64>, limit: Option<i64>) -> HistoryQuery {
        HistoryQuery { chat_id: None, room_id: None, conversation_id: None, after, before, changed_after: None, limit }
    }

    #[test]
    fn pages_are_after_before_or_latest() {
        assert_eq!(query(Some(3), None, None).page().unwrap(), (Page::After(3), DEFAULT_PAGE));
        assert_eq!(query(None, Some(0), Some(1)).page().unwrap(), (Page::Before(0), 1));
        assert_eq!(query(None, None, Some(MAX_PAGE)).page().unwrap(), (Page::Latest, MAX_PAGE));
        for bad in [query(Some(1), Some(3), None), query(Some(-1), None, None), query(None, Some(-1), None)] {
            assert_eq!(bad.page().unwrap_err().code, "invalid_query");
        }
        let changes = HistoryQuery { changed_after: Some(4), ..query(None, None, None) };
        assert_eq!(changes.page().unwrap(), (Page::ChangedAfter(4), DEFAULT_PAGE));
        for bad in [
            HistoryQuery { changed_after: Some(4), ..query(Some(1), None, None) },
            HistoryQuery { changed_after: Some(4), ..query(None, Some(1), None) },
            HistoryQuery { changed_after: Some(-1), ..query(None, None, None) },
        ] {
            assert_eq!(bad.page().unwrap_err().code, "invalid_query");
        }
        for limit in [0, -1, MAX_PAGE + 1] {
            assert_eq!(query(None, None, Some(limit)).page().unwrap_err().code, "invalid_query", "{limit}");
        }
    }
}
