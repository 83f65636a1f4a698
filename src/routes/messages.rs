//! `/api/messages/private`, `/api/messages/room` (send, history and sync) and `/api/messages/read`.

use super::allow;
use crate::auth::AuthUser;
use crate::context::AppContext;
use crate::db::messages::{
    find_by_client_id, insert_message, list_messages, mark_read_up_to, private_chat_id, received_positions,
    room_chat_id, Destination, Message, NewMessage, Page,
};
use crate::db::rate_limit::{self, SEND_MESSAGE};
use crate::db::rooms::{membership, unknown_users};
use crate::db::users::find_user;
use crate::error::ApiError;
use crate::http::{json_response, ok_json, ApiRequest, ApiResponse};
use crate::messaging::{excluded_socket, id_param, new_message_payload, publish, Draft, SendBody};
use crate::pusher::channels::{notifications_channel, private_chat_channel, room_channel};
use crate::pusher::BatchEvent;
use crate::runtime::Background;
use deadpool_postgres::Object;
use hyper::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;
use tokio_postgres::error::SqlState;
use tokio_postgres::GenericClient;

const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 100;
const MAX_READ_IDS: usize = 100;

pub async fn private(ctx: &Arc<AppContext>, request: &ApiRequest, background: &Background) -> Result<ApiResponse, ApiError> {
    allow(request, &[Method::GET, Method::POST])?;
    let caller = ctx.authenticate(request).await?;
    if request.method == Method::GET {
        let other = id_param(request.query_param("chatId"), "chatId")?;
        let page = page_params(request)?;
        let db = ctx.db().await?;
        let chat_id = private_chat_id(&caller.id, &other);
        let (messages, has_more) = list_messages(&**db, &chat_id, page.0, page.1).await?;
        if messages.is_empty() && page.0 == Page::Latest && find_user(&**db, &other).await?.is_none() {
            return Err(ApiError::NotFound);
        }
        return ok_json(&page_body(&chat_id, messages, has_more));
    }
    let body: SendBody = request.json()?;
    let receiver = id_param(body.receiver_id.as_deref(), "receiverId")?;
    if receiver == caller.id {
        return Err(ApiError::unprocessable("cannot_message_self", "receiverId is the sender"));
    }
    send(ctx, request, background, &caller, Destination::Private { receiver_id: &receiver }, &body).await
}

pub async fn room(ctx: &Arc<AppContext>, request: &ApiRequest, background: &Background) -> Result<ApiResponse, ApiError> {
    allow(request, &[Method::GET, Method::POST])?;
    let caller = ctx.authenticate(request).await?;
    let body: SendBody = if request.method == Method::POST { request.json()? } else { SendBody::default() };
    let room_id = id_param(request.query_param("roomId").or(body.room_id.as_deref()), "roomId")?;
    let db = ctx.db().await?;
    require_member(&**db, &room_id, &caller.id).await?;
    if request.method == Method::GET {
        let page = page_params(request)?;
        let chat_id = room_chat_id(&room_id);
        let (messages, has_more) = list_messages(&**db, &chat_id, page.0, page.1).await?;
        return ok_json(&page_body(&chat_id, messages, has_more));
    }
    drop(db);
    send(ctx, request, background, &caller, Destination::Room { room_id: &room_id }, &body).await
}

/// A conversation named in a request: the conversation key, its channel, and its room if any.
pub struct ConversationRef {
    pub chat_id: String,
    pub channel: String,
    pub room_id: Option<String>,
}

/// Resolves `chatId` (the other participant) or `roomId` (checking membership) for the caller.
pub async fn conversation_ref(
    db: &impl GenericClient,
    caller: &AuthUser,
    chat_id: Option<&str>,
    room_id: Option<&str>,
) -> Result<ConversationRef, ApiError> {
    match (chat_id, room_id) {
        (Some(other), None) => {
            let other = id_param(Some(other), "chatId")?;
            if other == caller.id {
                return Err(ApiError::unprocessable("cannot_message_self", "chatId is the caller"));
            }
            Ok(ConversationRef {
                chat_id: private_chat_id(&caller.id, &other),
                channel: private_chat_channel(&caller.id, &other),
                room_id: None,
            })
        }
        (None, Some(room)) => {
            let room = id_param(Some(room), "roomId")?;
            require_member(db, &room, &caller.id).await?;
            Ok(ConversationRef { chat_id: room_chat_id(&room), channel: room_channel(&room), room_id: Some(room) })
        }
        _ => Err(ApiError::unprocessable("invalid_body", "send exactly one of chatId and roomId")),
    }
}

/// 404 for an unknown room, 403 for a room the caller is not in.
pub async fn require_member(db: &impl GenericClient, room_id: &str, user_id: &str) -> Result<(), ApiError> {
    match membership(db, room_id, user_id).await? {
        (false, _) => Err(ApiError::NotFound),
        (true, false) => Err(ApiError::forbidden("not_a_member", "you are not a member of this room")),
        (true, true) => Ok(()),
    }
}

async fn send(
    ctx: &Arc<AppContext>,
    request: &ApiRequest,
    background: &Background,
    caller: &AuthUser,
    destination: Destination<'_>,
    body: &SendBody,
) -> Result<ApiResponse, ApiError> {
    let draft = Draft::parse(body)?;
    let socket_id = excluded_socket(request, body.socket_id.as_deref())?;
    let db = ctx.db().await?;
    let id = uuid::Uuid::new_v4().to_string();
    let new = NewMessage {
        id: &id,
        sender_id: &caller.id,
        destination,
        content: &draft.content,
        kind: draft.kind,
        file_url: draft.file.as_ref().map(|f| f.url.as_str()),
        file_name: draft.file.as_ref().map(|f| f.name.as_str()),
        file_size: draft.file.as_ref().map(|f| f.size),
        client_message_id: draft.client_message_id.as_deref(),
    };
    let limit_key = format!("send:{}", caller.id);
    let original = |db: Object| {
        let client_message_id = draft.client_message_id.clone();
        let sender = caller.id.clone();
        async move {
            match client_message_id {
                Some(cmid) => find_by_client_id(&**db, &sender, &cmid).await,
                None => Ok(None),
            }
        }
    };
    match insert_message(&**db, &new, &limit_key, SEND_MESSAGE).await {
        Ok(Some(message)) => {
            let channels = match new.destination {
                Destination::Private { receiver_id } => {
                    vec![private_chat_channel(&caller.id, receiver_id), notifications_channel(receiver_id)]
                }
                Destination::Room { room_id } => vec![room_channel(room_id)],
            };
            publish(ctx, background, channels, "new-message", new_message_payload(&message), socket_id);
            Ok(json_response(StatusCode::CREATED, &json!({"message": message})))
        }
        Ok(None) => {
            // Over the limit. A retry of a message that already went through is still a success.
            let retry_after = rate_limit::retry_after(&**db, &limit_key, SEND_MESSAGE).await?;
            match original(db).await? {
                Some(message) => ok_json(&json!({"message": message})),
                None => Err(ApiError::TooManyRequests { retry_after_secs: retry_after }),
            }
        }
        Err(err) if err.code() == Some(&SqlState::UNIQUE_VIOLATION) && draft.client_message_id.is_some() => {
            let message = original(db).await?.ok_or_else(|| ApiError::internal("duplicate client id without a message"))?;
            ok_json(&json!({"message": message}))
        }
        Err(err) if err.code() == Some(&SqlState::FOREIGN_KEY_VIOLATION) => {
            let mut ids = vec![caller.id.clone()];
            if let Destination::Private { receiver_id } = new.destination {
                ids.push(receiver_id.to_owned());
            }
            let missing = unknown_users(&**db, &ids).await?;
            if missing.contains(&caller.id) {
                Err(ApiError::forbidden("profile_required", "create the sender's User row before sending"))
            } else if !missing.is_empty() {
                Err(ApiError::unprocessable("receiver_not_found", "receiverId is not a known user"))
            } else {
                Err(err.into())
            }
        }
        Err(err) => Err(err.into()),
    }
}

/// `after`, `before` and `limit` query parameters.
fn page_params(request: &ApiRequest) -> Result<(Page, i64), ApiError> {
    let number = |name: &'static str| -> Result<Option<i64>, ApiError> {
        match request.query_param(name) {
            None => Ok(None),
            Some(raw) => match raw.parse::<i64>() {
                Ok(n) if n >= 0 => Ok(Some(n)),
                _ => Err(ApiError::unprocessable("invalid_query", format!("{name} must be a whole number, 0 or more"))),
            },
        }
    };
    let page = match (number("after")?, number("before")?) {
        (Some(_), Some(_)) => return Err(ApiError::unprocessable("invalid_query", "use after or before, not both")),
        (Some(after), None) => Page::After(after),
        (None, Some(before)) => Page::Before(before),
        (None, None) => Page::Latest,
    };
    Ok((page, limit_param(request)?))
}

/// `limit`: 1 to 100, 50 when absent.
pub fn limit_param(request: &ApiRequest) -> Result<i64, ApiError> {
    match request.query_param("limit") {
        None => Ok(DEFAULT_PAGE),
        Some(raw) => match raw.parse::<i64>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
            _ => Err(ApiError::unprocessable("invalid_query", format!("limit must be between 1 and {MAX_PAGE}"))),
        },
    }
}

fn page_body(chat_id: &str, messages: Vec<Message>, has_more: bool) -> serde_json::Value {
    let first = messages.first().map(|m| m.seq);
    let last = messages.last().map(|m| m.seq);
    json!({
        "chatId": chat_id,
        "messages": messages,
        "hasMore": has_more,
        "cursor": {"before": first, "after": last},
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ReadBody {
    chat_id: Option<String>,
    room_id: Option<String>,
    up_to_seq: Option<i64>,
    message_ids: Option<Vec<String>>,
}

/// `POST /api/messages/read`: `{chatId | roomId, upToSeq}` or `{messageIds}`.
pub async fn read(ctx: &Arc<AppContext>, request: &ApiRequest, background: &Background) -> Result<ApiResponse, ApiError> {
    allow(request, &[Method::POST])?;
    let caller = ctx.authenticate(request).await?;
    let body: ReadBody = request.json()?;
    let db = ctx.db().await?;
    let read_at = chrono::Utc::now().naive_utc();
    let read_at_text = crate::db::messages::iso_string(&read_at);

    // (conversation id, channel, position) for each conversation this request touches.
    let targets: Vec<(String, String, i64)> = match (&body.chat_id, &body.room_id, body.up_to_seq, &body.message_ids) {
        (chat, room, Some(seq), None) if seq >= 0 && (chat.is_some() != room.is_some()) => {
            let conversation = conversation_ref(&**db, &caller, chat.as_deref(), room.as_deref()).await?;
            vec![(conversation.chat_id, conversation.channel, seq)]
        }
        (None, None, None, Some(ids)) if !ids.is_empty() && ids.len() <= MAX_READ_IDS => {
            let positions = received_positions(&**db, &caller.id, ids).await?;
            positions
                .into_iter()
                .map(|(chat_id, seq)| {
                    let channel = match chat_id.split_once(':') {
                        Some((a, b)) => private_chat_channel(a, b),
                        None => String::new(),
                    };
                    (chat_id, channel, seq)
                })
                .filter(|(_, channel, _)| !channel.is_empty())
                .collect()
        }
        _ => {
            return Err(ApiError::unprocessable(
                "invalid_body",
                format!("send {{chatId or roomId, upToSeq >= 0}} or {{messageIds: 1..{MAX_READ_IDS} ids}}"),
            ))
        }
    };

    let mut events = Vec::new();
    let mut all_ids = Vec::new();
    for (chat_id, channel, seq) in targets {
        let outcome = mark_read_up_to(&**db, &caller.id, &chat_id, seq, read_at).await?;
        if outcome.message_ids.is_empty() && !outcome.advanced {
            continue;
        }
        let data = json!({
            "messageId": outcome.message_ids.last(),
            "messageIds": outcome.message_ids,
            "readBy": caller.id,
            "readAt": read_at_text,
            "chatId": chat_id,
            "upToSeq": outcome.read_seq,
        });
        all_ids.extend(outcome.message_ids);
        events.push(BatchEvent { name: "message-read".into(), channel, data: data.to_string(), socket_id: None });
    }
    if !events.is_empty() {
        let ctx = ctx.clone();
        background.spawn(async move {
            if let Err(err) = ctx.pusher.trigger_batch(&events).await {
                tracing::warn!(%err, "message-read not published");
            }
        });
    }
    ok_json(&json!({"readBy": caller.id, "readAt": read_at_text, "messageIds": all_ids}))
}
