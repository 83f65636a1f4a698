//! The `"Message"` table and the conversations it belongs to.

use super::rate_limit::Bucket;
use super::reactions::Reaction;
use super::uploads::MessageFile;
use super::{timed, violated_constraint, USER_FOREIGN_KEYS};
use crate::domain::{ConversationKey, Draft, MessageId, Timestamp, UserId};
use chrono::NaiveDateTime;
use serde::Serialize;
use tokio_postgres::types::Type;
use tokio_postgres::{GenericClient, Row};

/// A message as the API returns it and as `new-message` carries it: the seed's payload plus
/// `seq`, `clientMessageId`, `isRead`, `readAt` and `conversationId` (also sent as `chatId`,
/// its older name).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub id: String,
    pub conversation_id: String,
    pub chat_id: String,
    pub seq: i64,
    pub sender_id: String,
    pub receiver_id: Option<String>,
    pub room_id: Option<String>,
    pub content: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub file_url: Option<String>,
    pub file_name: Option<String>,
    pub file_size: Option<i32>,
    /// An uploaded file (`null`: none, or a file hosted elsewhere, named by `fileUrl` only).
    pub file: Option<MessageFile>,
    pub is_read: bool,
    pub read_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub client_message_id: Option<String>,
    pub sender: Sender,
    /// The message this one replies to, and that message as quoted (`null` when it is not a reply).
    pub reply_to_id: Option<String>,
    pub reply_to: Option<Quote>,
    /// When the sender last edited the text (`null`: never).
    pub edited_at: Option<Timestamp>,
    /// When the sender deleted it: the message stays as a tombstone, its text and file emptied.
    pub deleted_at: Option<Timestamp>,
    /// `"moderator"` when a room's owner or admin deleted it rather than its sender (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_by: Option<&'static str>,
    /// The conversation's change counter at this message's last edit, deletion or reaction (0: none).
    pub change_seq: i64,
    /// Its reactions as the reader sees them; only in history and search pages (events leave them
    /// out: reactions change through their own events).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reactions: Option<Vec<Reaction>>,
}

/// A replied-to message as a reply carries it.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Quote {
    pub id: String,
    pub seq: i64,
    pub sender_id: String,
    pub content: String,
    pub deleted_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Sender {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub avatar: Option<String>,
}

/// Columns of a message joined with its sender, for every query that returns messages.
pub(super) const MESSAGE_COLUMNS: &str = r#"m."id", m."chatId", m."seq", m."senderId", m."receiverId", m."roomId",
    m."content", m."type"::text AS "type", m."fileUrl", m."fileName", m."fileSize", m."isRead", m."readAt",
    m."createdAt", m."clientMessageId", u."firstName", u."lastName", u."avatar", m."replyToId",
    p."seq" AS "replySeq", p."senderId" AS "replySenderId", p."content" AS "replyContent",
    p."deletedAt" AS "replyDeletedAt", m."editedAt", m."deletedAt", m."changeSeq", f."id" AS "uploadId",
    f."fileName" AS "uploadName", f."size" AS "uploadSize", f."contentType" AS "uploadType",
    f."width" AS "uploadWidth", f."height" AS "uploadHeight", m."deletedBy""#;

/// The joins [`MESSAGE_COLUMNS`] reads from, after `FROM <messages> m`: the sender, the
/// replied-to message and the uploaded file (none once the message is a tombstone).
pub(super) const MESSAGE_JOINS: &str = r#"JOIN "User" u ON u."id" = m."senderId" LEFT JOIN "Message" p ON p."id" = m."replyToId"
    LEFT JOIN "Upload" f ON f."messageId" = m."id" AND f."discardedAt" IS NULL AND m."deletedAt" IS NULL"#;

impl Message {
    pub(super) fn from_row(row: &Row) -> Self {
        let sender_id: String = row.get("senderId");
        let chat_id: String = row.get("chatId");
        Self {
            id: row.get("id"),
            conversation_id: chat_id.clone(),
            chat_id,
            seq: row.get("seq"),
            receiver_id: row.get("receiverId"),
            room_id: row.get("roomId"),
            content: row.get("content"),
            kind: row.get("type"),
            file_url: row.get("fileUrl"),
            file_name: row.get("fileName"),
            file_size: row.get("fileSize"),
            file: MessageFile::from_message_row(row),
            is_read: row.get("isRead"),
            read_at: row.get::<_, Option<NaiveDateTime>>("readAt").map(Timestamp::from),
            created_at: row.get::<_, NaiveDateTime>("createdAt").into(),
            client_message_id: row.get("clientMessageId"),
            sender: Sender {
                id: sender_id.clone(),
                first_name: row.get("firstName"),
                last_name: row.get("lastName"),
                avatar: row.get("avatar"),
            },
            sender_id,
            reply_to_id: row.get("replyToId"),
            reply_to: row.get::<_, Option<i64>>("replySeq").map(|seq| Quote {
                id: row.get("replyToId"),
                seq,
                sender_id: row.get("replySenderId"),
                content: row.get("replyContent"),
                deleted_at: row.get::<_, Option<NaiveDateTime>>("replyDeletedAt").map(Timestamp::from),
            }),
            edited_at: row.get::<_, Option<NaiveDateTime>>("editedAt").map(Timestamp::from),
            deleted_at: row.get::<_, Option<NaiveDateTime>>("deletedAt").map(Timestamp::from),
            // Not among the send function's columns: a message just sent is not deleted.
            deleted_by: row.try_get::<_, Option<String>>("deletedBy").ok().flatten().map(|_| "moderator"),
            change_seq: row.get("changeSeq"),
            reactions: None,
        }
    }
}

/// A message to store: who sends what where.
pub struct NewMessage<'a> {
    pub id: &'a str,
    pub sender: &'a UserId,
    pub conversation: &'a ConversationKey,
    pub draft: &'a Draft,
}

/// Why a send was not stored.
#[derive(Debug, thiserror::Error)]
pub enum InsertError {
    /// The sender's rate limit has no token left.
    #[error("rate limited")]
    RateLimited,
    /// The sender already sent a message with this `clientMessageId`.
    #[error("duplicate clientMessageId")]
    DuplicateClientId,
    /// The sender or the receiver has no `"User"` row.
    #[error("unknown user")]
    UnknownUser,
    /// The replied-to message does not exist (any more).
    #[error("unknown replyToId")]
    UnknownReply,
    #[error(transparent)]
    Database(tokio_postgres::Error),
}

/// The unique index that makes a sender's `clientMessageId` idempotent.
pub const CLIENT_MESSAGE_ID_KEY: &str = "Message_senderId_clientMessageId_key";
/// The foreign key from a reply to the message it quotes.
pub const REPLY_TO_KEY: &str = "Message_replyToId_fkey";

impl From<tokio_postgres::Error> for InsertError {
    fn from(err: tokio_postgres::Error) -> Self {
        match violated_constraint(&err) {
            Some(CLIENT_MESSAGE_ID_KEY) => Self::DuplicateClientId,
            Some(REPLY_TO_KEY) => Self::UnknownReply,
            Some(name) if USER_FOREIGN_KEYS.contains(&name) => Self::UnknownUser,
            _ => Self::Database(err),
        }
    }
}

/// Inserts a message in one statement (V11's `"Message_send"`): takes a token from the sender's
/// rate-limit bucket, bumps the conversation's sequence counter (the row lock orders concurrent
/// senders) and inserts the message with that number. `Err(RateLimited)` means the bucket was
/// empty; any error rolls all of it back, so a failed send leaves no gap in the sequence and spends
/// no token.
pub async fn insert_message(
    client: &impl GenericClient,
    message: &NewMessage<'_>,
    limit_key: &str,
    limit: Bucket,
) -> Result<Message, InsertError> {
    Ok(insert_message_with_effects(client, message, limit_key, limit, &[]).await?.0)
}

/// [`insert_message`] that also writes one outbox row per `(kind, event)` pair, with the
/// message's id, in the same statement (V14's `"Message_send"`); returns the message and the
/// outbox rows' ids.
pub async fn insert_message_with_effects(
    client: &impl GenericClient,
    message: &NewMessage<'_>,
    limit_key: &str,
    limit: Bucket,
    effects: &[(&str, &str)],
) -> Result<(Message, Vec<i64>), InsertError> {
    let conversation = message.conversation;
    let chat_id = conversation.to_string();
    let (user_a, user_b) = match conversation.participants() {
        Some((low, high)) => (Some(low.as_str()), Some(high.as_str())),
        None => (None, None),
    };
    let receiver_id =
        conversation.participants().map(|(low, high)| if low == message.sender { high.as_str() } else { low.as_str() });
    let room_id = conversation.room_id().map(|room| room.as_str());
    let draft = message.draft;
    let file = draft.file.as_ref();
    let effect_kinds: Vec<&str> = effects.iter().map(|(kind, _)| *kind).collect();
    let effect_events: Vec<&str> = effects.iter().map(|(_, event)| *event).collect();
    // V14's "Message_send" is the statement that numbers and stores a send (and writes its outbox
    // rows), in a function so that its plan is cached per connection while the call itself stays
    // an unnamed statement.
    let sql = "SELECT * FROM \"Message_send\"($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)";
    let rows = timed(client.query_typed(
        sql,
        &[
            (&limit_key, Type::TEXT),
            (&limit.capacity, Type::FLOAT8),
            (&limit.refill_per_second, Type::FLOAT8),
            (&chat_id, Type::TEXT),
            (&conversation.kind(), Type::TEXT),
            (&user_a, Type::TEXT),
            (&user_b, Type::TEXT),
            (&room_id, Type::TEXT),
            (&message.id, Type::TEXT),
            (&message.sender.as_str(), Type::TEXT),
            (&receiver_id, Type::TEXT),
            (&draft.content.as_str(), Type::TEXT),
            (&draft.kind.as_str(), Type::TEXT),
            (&file.map(|f| f.url.as_str()), Type::TEXT),
            (&file.map(|f| f.name.as_str()), Type::TEXT),
            (&file.map(|f| f.size), Type::INT4),
            (&draft.client_message_id.as_ref().map(|id| id.as_str()), Type::TEXT),
            (&draft.reply_to.as_ref().map(|id| id.as_str()), Type::TEXT),
            (&effect_kinds, Type::TEXT_ARRAY),
            (&effect_events, Type::TEXT_ARRAY),
        ],
    ))
    .await?;
    let row = rows.first().ok_or(InsertError::RateLimited)?;
    Ok((Message::from_row(row), row.get("outboxIds")))
}

/// The message a sender already sent with this client id (idempotent retries).
pub async fn find_by_client_id(
    client: &impl GenericClient,
    sender_id: &UserId,
    client_message_id: &crate::domain::ClientMessageId,
) -> Result<Option<Message>, tokio_postgres::Error> {
    let rows = timed(client.query_typed(
        &format!(
            r#"SELECT {MESSAGE_COLUMNS} FROM "Message" m {MESSAGE_JOINS}
                   WHERE m."senderId" = $1 AND m."clientMessageId" = $2"#
        ),
        &[(&sender_id.as_str(), Type::TEXT), (&client_message_id.as_str(), Type::TEXT)],
    ))
    .await?;
    Ok(rows.first().map(Message::from_row))
}

/// One message by id, whatever its conversation (callers check that the reader may see it).
pub async fn find_message(
    client: &impl GenericClient,
    id: &MessageId,
) -> Result<Option<Message>, tokio_postgres::Error> {
    let rows = timed(client.query_typed(
        &format!(r#"SELECT {MESSAGE_COLUMNS} FROM "Message" m {MESSAGE_JOINS} WHERE m."id" = $1"#),
        &[(&id.as_str(), Type::TEXT)],
    ))
    .await?;
    Ok(rows.first().map(Message::from_row))
}

/// Which page of a conversation to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// Everything newer than this sequence number (sync after a reconnect, polling).
    After(i64),
    /// Older history, before this sequence number.
    Before(i64),
    /// The newest messages.
    Latest,
    /// Messages edited, deleted or reacted to after this change number, in change order (sync of
    /// changes to messages a client already has).
    ChangedAfter(i64),
}

/// The statement behind [`list_messages`] (`$1` chat id, `$2` the returned seq bound, `$3` rows):
/// a range scan on the `(chatId, seq)` index whatever the table size.
pub fn list_messages_sql(page: Page) -> (String, i64) {
    let (condition, order, bound) = match page {
        Page::After(seq) => (r#"m."seq" > $2"#, r#"m."seq" ASC"#, seq),
        Page::Before(seq) => (r#"m."seq" < $2"#, r#"m."seq" DESC"#, seq),
        Page::Latest => (r#"m."seq" <= $2"#, r#"m."seq" DESC"#, i64::MAX),
        // `> 0` as well, so the partial index of changed messages applies.
        Page::ChangedAfter(change) => (r#"m."changeSeq" > $2 AND m."changeSeq" > 0"#, r#"m."changeSeq" ASC"#, change),
    };
    let sql = format!(
        r#"SELECT {MESSAGE_COLUMNS} FROM "Message" m {MESSAGE_JOINS}
           WHERE m."chatId" = $1 AND {condition} ORDER BY {order} LIMIT $3"#
    );
    (sql, bound)
}

/// Up to `limit` messages of a conversation in `seq` order, and whether more exist beyond them.
pub async fn list_messages(
    client: &impl GenericClient,
    conversation: &ConversationKey,
    page: Page,
    limit: i64,
) -> Result<(Vec<Message>, bool), tokio_postgres::Error> {
    let (sql, bound) = list_messages_sql(page);
    let chat_id = conversation.to_string();
    let rows =
        timed(client.query_typed(&sql, &[(&chat_id, Type::TEXT), (&bound, Type::INT8), (&(limit + 1), Type::INT8)]))
            .await?;
    let has_more = rows.len() as i64 > limit;
    let mut messages: Vec<Message> = rows.iter().take(limit as usize).map(Message::from_row).collect();
    if matches!(page, Page::Before(_) | Page::Latest) {
        messages.reverse();
    }
    Ok((messages, has_more))
}

/// A conversation's change counter: the number of its latest edit, deletion or reaction (0: none,
/// or no such conversation). Read before the page it goes with, so a page never claims a change
/// it does not hold.
pub async fn change_counter(
    client: &impl GenericClient,
    conversation: &ConversationKey,
) -> Result<i64, tokio_postgres::Error> {
    let rows = timed(client.query_typed(
        r#"SELECT "changeSeq" FROM "Conversation" WHERE "id" = $1"#,
        &[(&conversation.to_string(), Type::TEXT)],
    ))
    .await?;
    Ok(rows.first().map_or(0, |row| row.get(0)))
}

/// What marking a conversation read changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadOutcome {
    /// 1:1 messages that became read now.
    pub message_ids: Vec<String>,
    /// The reader's position after the call (None: no such conversation).
    pub read_seq: Option<i64>,
    /// Whether the position moved forward.
    pub advanced: bool,
}

/// Advances the reader's position in a conversation to `up_to_seq` (never backwards, never past the
/// last message) and marks their received 1:1 messages up to it read (`isRead`, `readAt`).
pub async fn mark_read_up_to(
    client: &impl GenericClient,
    reader: &UserId,
    conversation: &ConversationKey,
    up_to_seq: i64,
    read_at: Timestamp,
) -> Result<ReadOutcome, tokio_postgres::Error> {
    let (reader_id, chat_id, read_at) = (reader.as_str(), conversation.to_string(), read_at.naive());
    let row = timed(client.query_typed_one(
        r#"WITH previous AS (
                   SELECT "readSeq" FROM "ConversationRead" WHERE "userId" = $1 AND "chatId" = $2),
               position AS (
                   INSERT INTO "ConversationRead" ("userId", "chatId", "readSeq", "readAt")
                   SELECT $1, c."id", LEAST($3, c."lastSeq"), $4 FROM "Conversation" c WHERE c."id" = $2
                   ON CONFLICT ("userId", "chatId") DO UPDATE
                       SET "readSeq" = GREATEST("ConversationRead"."readSeq", EXCLUDED."readSeq"), "readAt" = $4
                   RETURNING "readSeq"),
               updated AS (
                   UPDATE "Message" m SET "isRead" = true, "readAt" = $4, "updatedAt" = $4
                   WHERE m."chatId" = $2 AND m."seq" <= $3 AND m."receiverId" = $1 AND NOT m."isRead"
                   RETURNING m."id", m."seq")
               SELECT (SELECT "readSeq" FROM position) AS read_seq,
                      COALESCE((SELECT "readSeq" FROM previous), 0) AS previous_seq,
                      ARRAY(SELECT "id" FROM updated ORDER BY "seq") AS ids"#,
        &[(&reader_id, Type::TEXT), (&chat_id, Type::TEXT), (&up_to_seq, Type::INT8), (&read_at, Type::TIMESTAMP)],
    ))
    .await?;
    let read_seq: Option<i64> = row.get("read_seq");
    let previous: i64 = row.get("previous_seq");
    Ok(ReadOutcome { message_ids: row.get("ids"), read_seq, advanced: read_seq.is_some_and(|seq| seq > previous) })
}

/// For read receipts by id: the highest sequence number per conversation among the given messages
/// that the reader received in 1:1 chats. Ids of other people's messages are ignored.
pub async fn received_positions(
    client: &impl GenericClient,
    reader: &UserId,
    message_ids: &[String],
) -> Result<Vec<(ConversationKey, i64)>, tokio_postgres::Error> {
    let rows = timed(client.query_typed(
        r#"SELECT m."chatId", MAX(m."seq") AS seq FROM "Message" m
               WHERE m."id" = ANY($2) AND m."receiverId" = $1 AND m."chatId" IS NOT NULL
               GROUP BY m."chatId""#,
        &[(&reader.as_str(), Type::TEXT), (&message_ids, Type::TEXT_ARRAY)],
    ))
    .await?;
    // Keys were written by this code; one that does not parse is not a 1:1 chat of ours.
    Ok(rows
        .iter()
        .filter_map(|r| Some((ConversationKey::parse(r.get("chatId")).ok()?, r.get("seq"))))
        .filter(|(key, _)| key.participants().is_some())
        .collect())
}
