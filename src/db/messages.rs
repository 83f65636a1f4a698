//! The `"Message"` table and the conversations it belongs to.

use super::rate_limit::{take_token_sql, Bucket};
use crate::pusher::channels::ordered_pair;
use chrono::NaiveDateTime;
use serde::Serialize;
use tokio_postgres::types::Type;
use tokio_postgres::{GenericClient, Row};

/// A message as the API returns it and as `new-message` carries it: the seed's payload plus
/// `seq`, `clientMessageId`, `isRead`, `readAt` and `chatId`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub id: String,
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
    pub is_read: bool,
    #[serde(serialize_with = "iso_opt")]
    pub read_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "iso")]
    pub created_at: NaiveDateTime,
    pub client_message_id: Option<String>,
    pub sender: Sender,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Sender {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub avatar: Option<String>,
}

/// Timestamps are stored as UTC without a zone (as Prisma does) and sent as ISO 8601 with `Z`.
pub fn iso_string(t: &NaiveDateTime) -> String {
    t.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn iso<S: serde::Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&iso_string(t))
}

fn iso_opt<S: serde::Serializer>(t: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&iso_string(t)),
        None => s.serialize_none(),
    }
}

/// Columns of a message joined with its sender, for every query that returns messages.
const MESSAGE_COLUMNS: &str = r#"m."id", m."chatId", m."seq", m."senderId", m."receiverId", m."roomId",
    m."content", m."type"::text AS "type", m."fileUrl", m."fileName", m."fileSize", m."isRead", m."readAt",
    m."createdAt", m."clientMessageId", u."firstName", u."lastName", u."avatar""#;

impl Message {
    fn from_row(row: &Row) -> Self {
        let sender_id: String = row.get("senderId");
        Self {
            id: row.get("id"),
            chat_id: row.get("chatId"),
            seq: row.get("seq"),
            receiver_id: row.get("receiverId"),
            room_id: row.get("roomId"),
            content: row.get("content"),
            kind: row.get("type"),
            file_url: row.get("fileUrl"),
            file_name: row.get("fileName"),
            file_size: row.get("fileSize"),
            is_read: row.get("isRead"),
            read_at: row.get("readAt"),
            created_at: row.get("createdAt"),
            client_message_id: row.get("clientMessageId"),
            sender: Sender {
                id: sender_id.clone(),
                first_name: row.get("firstName"),
                last_name: row.get("lastName"),
                avatar: row.get("avatar"),
            },
            sender_id,
        }
    }
}

/// The conversation key of a 1:1 chat: both ids, sorted.
pub fn private_chat_id(a: &str, b: &str) -> String {
    let (low, high) = ordered_pair(a, b);
    format!("{low}:{high}")
}

pub fn room_chat_id(room_id: &str) -> String {
    format!("room:{room_id}")
}

/// Where a new message goes.
pub enum Destination<'a> {
    Private { receiver_id: &'a str },
    Room { room_id: &'a str },
}

pub struct NewMessage<'a> {
    pub id: &'a str,
    pub sender_id: &'a str,
    pub destination: Destination<'a>,
    pub content: &'a str,
    pub kind: &'a str,
    pub file_url: Option<&'a str>,
    pub file_name: Option<&'a str>,
    pub file_size: Option<i32>,
    pub client_message_id: Option<&'a str>,
}

/// Inserts a message in one statement: takes a token from the sender's rate-limit bucket, bumps
/// the conversation's sequence counter (the row lock orders concurrent senders) and inserts the
/// message with that number. `Ok(None)` means the rate limit refused it; any error rolls all of it
/// back, so a failed send leaves no gap in the sequence and spends no token.
pub async fn insert_message(
    client: &impl GenericClient,
    message: &NewMessage<'_>,
    limit_key: &str,
    limit: Bucket,
) -> Result<Option<Message>, tokio_postgres::Error> {
    let (chat_id, kind, user_a, user_b, room_id, receiver_id) = match message.destination {
        Destination::Private { receiver_id } => {
            let (a, b) = ordered_pair(message.sender_id, receiver_id);
            (private_chat_id(a, b), "private", Some(a), Some(b), None, Some(receiver_id))
        }
        Destination::Room { room_id } => (room_chat_id(room_id), "room", None, None, Some(room_id), None),
    };
    let sql = format!(
        r#"WITH allowed AS ({take}),
           conversation AS (
               INSERT INTO "Conversation" ("id", "kind", "userA", "userB", "roomId", "lastSeq", "lastMessageAt")
               SELECT $4, $5, $6, $7, $8, 1, (clock_timestamp() AT TIME ZONE 'UTC') FROM allowed
               ON CONFLICT ("id") DO UPDATE SET "lastSeq" = "Conversation"."lastSeq" + 1,
                   "lastMessageAt" = EXCLUDED."lastMessageAt"
               RETURNING "lastSeq", "lastMessageAt"),
           m AS (
               INSERT INTO "Message" ("id", "senderId", "receiverId", "roomId", "content", "type", "fileUrl",
                   "fileName", "fileSize", "createdAt", "updatedAt", "chatId", "seq", "clientMessageId")
               SELECT $9, $10, $11, $8, $12, $13::text::"MessageType", $14, $15, $16,
                   c."lastMessageAt", c."lastMessageAt", $4, c."lastSeq", $17
               FROM conversation c
               RETURNING *)
           SELECT {MESSAGE_COLUMNS} FROM m JOIN "User" u ON u."id" = m."senderId""#,
        take = take_token_sql("$1", "$2", "$3"),
    );
    let rows = client
        .query_typed(
            &sql,
            &[
                (&limit_key, Type::TEXT),
                (&limit.capacity, Type::FLOAT8),
                (&limit.refill_per_second, Type::FLOAT8),
                (&chat_id, Type::TEXT),
                (&kind, Type::TEXT),
                (&user_a, Type::TEXT),
                (&user_b, Type::TEXT),
                (&room_id, Type::TEXT),
                (&message.id, Type::TEXT),
                (&message.sender_id, Type::TEXT),
                (&receiver_id, Type::TEXT),
                (&message.content, Type::TEXT),
                (&message.kind, Type::TEXT),
                (&message.file_url, Type::TEXT),
                (&message.file_name, Type::TEXT),
                (&message.file_size, Type::INT4),
                (&message.client_message_id, Type::TEXT),
            ],
        )
        .await?;
    Ok(rows.first().map(Message::from_row))
}

/// The message a sender already sent with this client id (idempotent retries).
pub async fn find_by_client_id(
    client: &impl GenericClient,
    sender_id: &str,
    client_message_id: &str,
) -> Result<Option<Message>, tokio_postgres::Error> {
    let rows = client
        .query_typed(
            &format!(
                r#"SELECT {MESSAGE_COLUMNS} FROM "Message" m JOIN "User" u ON u."id" = m."senderId"
                   WHERE m."senderId" = $1 AND m."clientMessageId" = $2"#
            ),
            &[(&sender_id, Type::TEXT), (&client_message_id, Type::TEXT)],
        )
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
}

/// The statement behind [`list_messages`] (`$1` chat id, `$2` the returned seq bound, `$3` rows):
/// a range scan on the `(chatId, seq)` index whatever the table size.
pub fn list_messages_sql(page: Page) -> (String, i64) {
    let (condition, order, bound) = match page {
        Page::After(seq) => (r#"m."seq" > $2"#, "ASC", seq),
        Page::Before(seq) => (r#"m."seq" < $2"#, "DESC", seq),
        Page::Latest => (r#"m."seq" <= $2"#, "DESC", i64::MAX),
    };
    let sql = format!(
        r#"SELECT {MESSAGE_COLUMNS} FROM "Message" m JOIN "User" u ON u."id" = m."senderId"
           WHERE m."chatId" = $1 AND {condition} ORDER BY m."seq" {order} LIMIT $3"#
    );
    (sql, bound)
}

/// Up to `limit` messages of a conversation in `seq` order, and whether more exist beyond them.
pub async fn list_messages(
    client: &impl GenericClient,
    chat_id: &str,
    page: Page,
    limit: i64,
) -> Result<(Vec<Message>, bool), tokio_postgres::Error> {
    let (sql, bound) = list_messages_sql(page);
    let rows = client
        .query_typed(&sql, &[(&chat_id, Type::TEXT), (&bound, Type::INT8), (&(limit + 1), Type::INT8)])
        .await?;
    let has_more = rows.len() as i64 > limit;
    let mut messages: Vec<Message> = rows.iter().take(limit as usize).map(Message::from_row).collect();
    if !matches!(page, Page::After(_)) {
        messages.reverse();
    }
    Ok((messages, has_more))
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
    reader_id: &str,
    chat_id: &str,
    up_to_seq: i64,
    read_at: NaiveDateTime,
) -> Result<ReadOutcome, tokio_postgres::Error> {
    let row = client
        .query_typed_one(
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
        )
        .await?;
    let read_seq: Option<i64> = row.get("read_seq");
    let previous: i64 = row.get("previous_seq");
    Ok(ReadOutcome {
        message_ids: row.get("ids"),
        read_seq,
        advanced: read_seq.is_some_and(|seq| seq > previous),
    })
}

/// For read receipts by id: the highest sequence number per conversation among the given messages
/// that the reader received in 1:1 chats. Ids of other people's messages are ignored.
pub async fn received_positions(
    client: &impl GenericClient,
    reader_id: &str,
    message_ids: &[String],
) -> Result<Vec<(String, i64)>, tokio_postgres::Error> {
    let rows = client
        .query_typed(
            r#"SELECT m."chatId", MAX(m."seq") AS seq FROM "Message" m
               WHERE m."id" = ANY($2) AND m."receiverId" = $1 AND m."chatId" IS NOT NULL
               GROUP BY m."chatId""#,
            &[(&reader_id, Type::TEXT), (&message_ids, Type::TEXT_ARRAY)],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get("chatId"), r.get("seq"))).collect())
}
