//! Sending, reading history and read receipts.

use super::conversations::require_member;
use super::outbox::send_effects;
use super::{Event, Publisher};
use crate::db::chat_presence::is_present;
use crate::db::messages::{
    change_counter, find_by_client_id, find_message, insert_message_with_effects, list_messages, mark_read_up_to,
    received_positions, InsertError, Message, NewMessage, Page,
};
use crate::db::rate_limit::{self, Bucket};
use crate::db::reactions::reactions_on;
use crate::db::rooms::unknown_users;
use crate::db::uploads::MessageFile;
use crate::db::users::find_user;
use crate::domain::{ChannelName, ConversationKey, Draft, MessageId, RoomId, SocketId, Timestamp, UserId};
use crate::error::ApiError;
use serde::Serialize;
use serde_json::{json, Value};
use tokio_postgres::GenericClient;

/// Where news of a message by `sender` goes: the conversation's channel and, in a 1:1 chat, the
/// other participant's notifications channel (their inbox and unread badge) — unless they have
/// the chat open (a member of its presence channel, `"ChatPresence"`): their client then has the
/// chat channel and tells its own inbox, so each device gets the event once.
pub(super) async fn audience(
    db: &impl GenericClient,
    conversation: &ConversationKey,
    sender: &UserId,
) -> Result<Vec<ChannelName>, ApiError> {
    let mut channels = vec![conversation.channel()];
    if let (Some(receiver), Some(presence)) = (conversation.other_participant(sender), conversation.presence_channel())
    {
        if !is_present(db, &presence, receiver).await? {
            channels.push(ChannelName::notifications(receiver));
        }
    }
    Ok(channels)
}

/// A stored message, and whether this call stored it (`false`: an idempotent repeat).
pub struct Sent {
    pub message: Message,
    pub created: bool,
}

/// Stores a message (rate limit, sequence number, insert and its outbox rows — `message.created`
/// for the app's backend, the push to offline receivers — in one statement) and publishes
/// `new-message` after the response. A repeat of a `clientMessageId` answers with the original,
/// even when the sender is over the limit (`limit`: the sender's bucket).
pub async fn send(
    db: &impl GenericClient,
    publisher: &Publisher,
    limit: Bucket,
    sender: &UserId,
    conversation: &ConversationKey,
    draft: &Draft,
    except: Option<SocketId>,
) -> Result<Sent, ApiError> {
    let id = uuid::Uuid::new_v4().to_string();
    send_as(db, publisher, limit, sender, conversation, draft, except, &id, None).await
}

/// [`send`] with the new message's id chosen by the caller, and the uploaded file it carries
/// (claimed by the caller in the same transaction), so `new-message` carries the file too.
#[allow(clippy::too_many_arguments)]
pub async fn send_as(
    db: &impl GenericClient,
    publisher: &Publisher,
    limit: Bucket,
    sender: &UserId,
    conversation: &ConversationKey,
    draft: &Draft,
    except: Option<SocketId>,
    id: &str,
    file: Option<MessageFile>,
) -> Result<Sent, ApiError> {
    let limit_key = format!("send:{sender}");
    if let Some(parent) = &draft.reply_to {
        let same_conversation =
            find_message(db, parent).await?.is_some_and(|p| p.conversation_id == conversation.to_string());
        if !same_conversation {
            return Err(invalid_reply());
        }
    }
    let new = NewMessage { id, sender, conversation, draft };
    let original = || async {
        match &draft.client_message_id {
            Some(client_id) => find_by_client_id(db, sender, client_id).await,
            None => Ok(None),
        }
    };
    match insert_message_with_effects(db, &new, &limit_key, limit, &send_effects(publisher.config())).await {
        Ok((mut message, outbox_rows)) => {
            message.file = file;
            publisher.deliver_after_answer(outbox_rows);
            let channels = audience(db, conversation, sender).await?;
            publisher.publish(
                Event::new("new-message", channels, new_message_payload(&message, publisher.max_event_bytes()))
                    .except(except),
            );
            Ok(Sent { message, created: true })
        }
        Err(InsertError::RateLimited) => {
            let retry_after_secs = rate_limit::retry_after(db, &limit_key, limit).await?;
            match original().await? {
                Some(message) => Ok(Sent { message, created: false }),
                None => Err(ApiError::TooManyRequests { retry_after_secs }),
            }
        }
        Err(InsertError::DuplicateClientId) => {
            let message =
                original().await?.ok_or_else(|| ApiError::internal("duplicate client id without a message"))?;
            Ok(Sent { message, created: false })
        }
        Err(InsertError::UnknownUser) => {
            let mut ids = vec![sender];
            ids.extend(conversation.other_participant(sender));
            let missing = unknown_users(db, &ids).await?;
            if missing.iter().any(|id| sender == id.as_str()) {
                Err(ApiError::forbidden("profile_required", "create the sender's User row before sending"))
            } else if !missing.is_empty() {
                Err(ApiError::unprocessable("receiver_not_found", "receiverId is not a known user"))
            } else {
                Err(ApiError::internal("a user foreign key failed for users that exist"))
            }
        }
        Err(InsertError::UnknownReply) => Err(invalid_reply()),
        Err(InsertError::Database(err)) => Err(err.into()),
    }
}

fn invalid_reply() -> ApiError {
    ApiError::unprocessable("invalid_reply_to", "replyToId must name a message of this conversation")
}

/// `new-message` data: the message, or when it would exceed `max_bytes` (Pusher's 10 KB event
/// limit, less when the event is sealed), the same without the quoted text of the message it
/// replies to, then also without its own text, and with `truncated: true` (clients then fetch it
/// with a sync).
pub fn new_message_payload(message: &Message, max_bytes: usize) -> Value {
    let mut payload = serde_json::to_value(message).unwrap_or(Value::Null);
    if payload.to_string().len() > max_bytes {
        payload["truncated"] = Value::Bool(true);
        if payload["replyTo"].is_object() {
            payload["replyTo"]["content"] = Value::String(String::new());
        }
    }
    if payload.to_string().len() > max_bytes {
        payload["content"] = Value::String(String::new());
    }
    payload
}

/// A page of a conversation, oldest first, with the cursors to read on.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryPage {
    pub conversation_id: ConversationKey,
    /// The older name of `conversationId`.
    pub chat_id: ConversationKey,
    pub messages: Vec<Message>,
    pub has_more: bool,
    pub cursor: Cursor,
    /// The conversation's change counter when the page was read: pass it as `changedAfter=` later
    /// to learn of edits, deletions and reactions since.
    pub change_seq: i64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cursor {
    pub before: Option<i64>,
    pub after: Option<i64>,
    /// In a `changedAfter=` page: the change number of its last message, to read on from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed_after: Option<i64>,
}

pub async fn history(
    db: &impl GenericClient,
    reader: &UserId,
    conversation: ConversationKey,
    page: Page,
    limit: i64,
) -> Result<HistoryPage, ApiError> {
    // The counter first: a change committed between the two reads shows up again later, never not at all.
    let change_seq = change_counter(db, &conversation).await?;
    let (mut messages, has_more) = list_messages(db, &conversation, page, limit).await?;
    with_reactions(db, reader, &mut messages).await?;
    let cursor = match page {
        Page::ChangedAfter(after) => {
            Cursor { before: None, after: None, changed_after: Some(messages.last().map_or(after, |m| m.change_seq)) }
        }
        _ => Cursor {
            before: messages.first().map(|m| m.seq),
            after: messages.last().map(|m| m.seq),
            changed_after: None,
        },
    };
    Ok(HistoryPage {
        conversation_id: conversation.clone(),
        chat_id: conversation,
        messages,
        has_more,
        cursor,
        change_seq,
    })
}

/// Fills in each message's reactions as `reader` sees them.
pub async fn with_reactions(
    db: &impl GenericClient,
    reader: &UserId,
    messages: &mut [Message],
) -> Result<(), ApiError> {
    let ids: Vec<String> = messages.iter().map(|m| m.id.clone()).collect();
    let mut found = reactions_on(db, &ids, reader).await?;
    for message in messages {
        message.reactions = Some(found.remove(&message.id).unwrap_or_default());
    }
    Ok(())
}

/// A 1:1 chat's history; 404 when the other user does not exist (and so the chat cannot).
pub async fn private_history(
    db: &impl GenericClient,
    caller: &UserId,
    other: &UserId,
    page: Page,
    limit: i64,
) -> Result<HistoryPage, ApiError> {
    let history = history(db, caller, ConversationKey::private(caller, other)?, page, limit).await?;
    if history.messages.is_empty() && page == Page::Latest && find_user(db, other).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    Ok(history)
}

/// A room's history, for members only.
pub async fn room_history(
    db: &impl GenericClient,
    caller: &UserId,
    room: &RoomId,
    page: Page,
    limit: i64,
) -> Result<HistoryPage, ApiError> {
    require_member(db, room, caller).await?;
    history(db, caller, ConversationKey::room(room), page, limit).await
}

/// Message ids per `message-read` event: 120 ids of up to 64 characters (8 KB as JSON) leave room
/// for the other fields under Pusher's 10 KB.
const READ_IDS_PER_EVENT: usize = 120;

/// What a read receipt covers.
pub enum ReadScope {
    /// Everything up to a position in one conversation.
    UpTo(ConversationKey, i64),
    /// Named messages the reader received in 1:1 chats (others' messages are ignored).
    Messages(Vec<MessageId>),
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    pub read_by: UserId,
    pub read_at: Timestamp,
    pub message_ids: Vec<String>,
}

/// Advances the reader's positions and marks their received messages read; each conversation
/// that changed gets one `message-read`, all in one Pusher call, to everyone in it but the
/// reader's own connection (`except`: the reader's other devices still hear of it).
pub async fn mark_read(
    db: &impl GenericClient,
    publisher: &Publisher,
    reader: &UserId,
    scope: ReadScope,
    except: Option<SocketId>,
) -> Result<Receipt, ApiError> {
    let (receipt, events) = read_receipts(db, reader, scope).await?;
    publisher.publish_all(events.into_iter().map(|event| event.except(except.clone())).collect());
    Ok(receipt)
}

/// [`mark_read`] without the publishing: the receipt and its `message-read` events.
pub(super) async fn read_receipts(
    db: &impl GenericClient,
    reader: &UserId,
    scope: ReadScope,
) -> Result<(Receipt, Vec<Event>), ApiError> {
    let read_at = Timestamp::now();
    let positions = match scope {
        ReadScope::UpTo(conversation, seq) => vec![(conversation, seq)],
        ReadScope::Messages(ids) => {
            let ids: Vec<String> = ids.iter().map(|id| id.as_str().to_owned()).collect();
            received_positions(db, reader, &ids).await?
        }
    };
    let mut events = Vec::new();
    let mut all_ids = Vec::new();
    for (conversation, seq) in positions {
        let outcome = mark_read_up_to(db, reader, &conversation, seq, read_at).await?;
        if outcome.message_ids.is_empty() && !outcome.advanced {
            continue;
        }
        // Pusher drops events over 10 KB: a receipt for many messages goes out in parts, each
        // naming its own messages and the reader's new position.
        let parts: Vec<&[String]> = match outcome.message_ids.is_empty() {
            true => vec![&[]],
            false => outcome.message_ids.chunks(READ_IDS_PER_EVENT).collect(),
        };
        for ids in parts {
            let data = json!({
                "messageId": ids.last(),
                "messageIds": ids,
                "readBy": reader,
                "readAt": read_at,
                "conversationId": conversation,
                "chatId": conversation,
                "upToSeq": outcome.read_seq,
            });
            events.push(Event::new("message-read", vec![conversation.channel()], data));
        }
        all_ids.extend(outcome.message_ids);
    }
    Ok((Receipt { read_by: reader.clone(), read_at, message_ids: all_ids }, events))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::messages::{Quote, Sender};
    use crate::pusher::client::MAX_EVENT_DATA_BYTES;

    fn message(content: &str) -> Message {
        let at = Timestamp::from_millis(1_700_000_000_000).unwrap();
        Message {
            id: "m-1".into(),
            conversation_id: "a:b".into(),
            chat_id: "a:b".into(),
            seq: 1,
            sender_id: "a".into(),
            receiver_id: Some("b".into()),
            room_id: None,
            content: content.into(),
            kind: "TEXT".into(),
            file_url: None,
            file_name: None,
            file_size: None,
            file: None,
            is_read: false,
            read_at: None,
            created_at: at,
            client_message_id: None,
            sender: Sender { id: "a".into(), first_name: "A".into(), last_name: "".into(), avatar: None },
            reply_to_id: None,
            reply_to: None,
            edited_at: None,
            deleted_at: None,
            deleted_by: None,
            change_seq: 0,
            reactions: None,
        }
    }

    #[test]
    fn a_reply_too_big_for_one_event_drops_the_quoted_text_first() {
        let mut reply = message("short answer");
        reply.reply_to_id = Some("m-0".into());
        reply.reply_to = Some(Quote {
            id: "m-0".into(),
            seq: 1,
            sender_id: "b".into(),
            content: "q".repeat(MAX_EVENT_DATA_BYTES),
            deleted_at: None,
        });
        let payload = new_message_payload(&reply, MAX_EVENT_DATA_BYTES);
        assert!(payload.to_string().len() <= MAX_EVENT_DATA_BYTES);
        assert_eq!((&payload["content"], &payload["truncated"]), (&Value::from("short answer"), &Value::Bool(true)));
        assert_eq!((&payload["replyTo"]["content"], &payload["replyTo"]["seq"]), (&Value::from(""), &Value::from(1)));
        // Both texts long: both go.
        reply.content = "x".repeat(MAX_EVENT_DATA_BYTES);
        let payload = new_message_payload(&reply, MAX_EVENT_DATA_BYTES);
        assert_eq!((&payload["content"], &payload["replyTo"]["content"]), (&Value::from(""), &Value::from("")));
        // A reply that fits goes whole.
        reply.content = "ok".into();
        reply.reply_to.as_mut().unwrap().content = "the question".into();
        let payload = new_message_payload(&reply, MAX_EVENT_DATA_BYTES);
        assert_eq!((&payload["replyTo"]["content"], payload.get("truncated")), (&Value::from("the question"), None));
    }

    #[test]
    fn a_new_message_event_keeps_its_text_up_to_exactly_ten_kilobytes() {
        let empty = serde_json::to_string(&message("")).unwrap().len();
        let fits = message(&"x".repeat(MAX_EVENT_DATA_BYTES - empty));
        let payload = new_message_payload(&fits, MAX_EVENT_DATA_BYTES);
        assert_eq!(payload.to_string().len(), 10_240);
        assert_eq!((payload["content"].as_str().unwrap().len(), payload.get("truncated")), (10_240 - empty, None));
        let over = new_message_payload(&message(&"x".repeat(MAX_EVENT_DATA_BYTES - empty + 1)), MAX_EVENT_DATA_BYTES);
        assert_eq!((&over["content"], &over["truncated"]), (&Value::from(""), &Value::Bool(true)));
        assert_eq!(over["id"], "m-1", "the rest of the message stays");
        // A smaller limit (an encrypted event's) truncates earlier.
        let limit = crate::pusher::encryption::max_plain_len(MAX_EVENT_DATA_BYTES);
        assert_eq!(new_message_payload(&fits, limit)["truncated"], true);
        let small = message(&"x".repeat(limit - empty));
        assert_eq!(new_message_payload(&small, limit)["content"].as_str().unwrap().len(), limit - empty);
    }
}
