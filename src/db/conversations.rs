//! The inbox: a user's conversations with their last message and unread count.

use super::messages::iso_string;
use serde::Serialize;
use serde_json::Value;
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InboxEntry {
    pub chat_id: String,
    /// `private` or `room`.
    pub kind: String,
    /// For 1:1 chats: the other participant.
    pub other_user: Option<Value>,
    /// For rooms: id and name.
    pub room: Option<Value>,
    pub last_seq: i64,
    pub read_seq: i64,
    /// Derived from the reader's position: messages after it that others sent.
    pub unread_count: i64,
    pub last_message: Option<Value>,
    pub last_message_at: Option<String>,
}

/// `$1` user id, `$2` limit. Each part is an index scan: conversations by participant or room
/// membership, unread counts and last messages on `(chatId, seq)`.
pub const INBOX_SQL: &str = r#"WITH mine AS (
                   (SELECT c.* FROM "Conversation" c WHERE c."userA" = $1 AND c."lastSeq" > 0
                    ORDER BY c."lastMessageAt" DESC LIMIT $2)
                   UNION ALL
                   (SELECT c.* FROM "Conversation" c WHERE c."userB" = $1 AND c."lastSeq" > 0
                    ORDER BY c."lastMessageAt" DESC LIMIT $2)
                   UNION ALL
                   (SELECT c.* FROM "RoomMember" rm JOIN "Conversation" c ON c."roomId" = rm."roomId"
                    WHERE rm."userId" = $1 ORDER BY c."lastMessageAt" DESC NULLS LAST LIMIT $2))
               SELECT c."id", c."kind", c."lastSeq", c."lastMessageAt",
                      COALESCE(r."readSeq", 0) AS read_seq,
                      (SELECT count(*) FROM "Message" m
                        WHERE m."chatId" = c."id" AND m."seq" > COALESCE(r."readSeq", 0) AND m."senderId" <> $1) AS unread,
                      CASE WHEN c."kind" = 'private' THEN json_build_object(
                          'id', o."id", 'firstName', o."firstName", 'lastName', o."lastName", 'avatar', o."avatar",
                          'status', o."status", 'lastActive', o."lastActive") END AS other_user,
                      CASE WHEN c."kind" = 'room' THEN json_build_object('id', room."id", 'name', room."name") END AS room,
                      CASE WHEN last."id" IS NOT NULL THEN json_build_object(
                          'id', last."id", 'seq', last."seq", 'senderId', last."senderId", 'content', last."content",
                          'type', last."type",
                          'createdAt', to_char(last."createdAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) END AS last_message
               FROM mine c
               LEFT JOIN "ConversationRead" r ON r."chatId" = c."id" AND r."userId" = $1
               LEFT JOIN "User" o ON o."id" = CASE WHEN c."userA" = $1 THEN c."userB" ELSE c."userA" END
               LEFT JOIN "Room" room ON room."id" = c."roomId"
               LEFT JOIN "Message" last ON last."chatId" = c."id" AND last."seq" = c."lastSeq"
               ORDER BY c."lastMessageAt" DESC NULLS LAST
               LIMIT $2"#;

/// The caller's conversations, most recent first. Unread counts are counted from the read
/// position on the `(chatId, seq)` index, so they cannot drift from the messages.
pub async fn inbox(client: &impl GenericClient, user_id: &str, limit: i64) -> Result<Vec<InboxEntry>, tokio_postgres::Error> {
    let rows = client
        .query_typed(
            INBOX_SQL,
            &[(&user_id, Type::TEXT), (&limit, Type::INT8)],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| {
            let last_message_at: Option<chrono::NaiveDateTime> = row.get("lastMessageAt");
            InboxEntry {
                chat_id: row.get("id"),
                kind: row.get("kind"),
                other_user: row.get("other_user"),
                room: row.get("room"),
                last_seq: row.get("lastSeq"),
                read_seq: row.get("read_seq"),
                unread_count: row.get("unread"),
                last_message: row.get("last_message"),
                last_message_at: last_message_at.as_ref().map(iso_string),
            }
        })
        .collect())
}
