//! The inbox: a user's conversations with their last message and unread count.

use super::timed;
use crate::domain::{Timestamp, UserId};
use chrono::NaiveDateTime;
use serde::Serialize;
use tokio_postgres::types::Type;
use tokio_postgres::{GenericClient, Row};

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InboxEntry {
    pub conversation_id: String,
    /// The older name of `conversationId`.
    pub chat_id: String,
    /// `private` or `room`.
    pub kind: String,
    /// For 1:1 chats: the other participant.
    pub other_user: Option<InboxUser>,
    /// For rooms: id and name.
    pub room: Option<InboxRoom>,
    pub last_seq: i64,
    pub read_seq: i64,
    /// Derived from the reader's position: messages after it that others sent and did not
    /// delete, counted up to [`UNREAD_CAP`] (so an inbox costs the same whatever the backlog).
    pub unread_count: i64,
    /// Whether there are more unread messages than `unread_count` says (show "100+").
    pub unread_capped: bool,
    pub last_message: Option<LastMessage>,
    pub last_message_at: Option<Timestamp>,
    /// Whether the caller muted it (no push for it); with `mutedUntil` `null`, until unmuted.
    pub muted: bool,
    /// When the caller's mute ends (`null`: not muted, or muted without an end).
    pub muted_until: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InboxUser {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub avatar: Option<String>,
    /// `null` until this user has written to the caller, privately or in a room they share:
    /// presence is shown only to people a user has engaged with (the rule of `presence-user-…`).
    pub status: Option<String>,
    pub last_active: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InboxRoom {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LastMessage {
    pub id: String,
    pub seq: i64,
    pub sender_id: String,
    pub content: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub created_at: Timestamp,
    /// Set when its sender edited it (the text above is the edited one).
    pub edited_at: Option<Timestamp>,
    /// Set when its sender deleted it (its text is then empty).
    pub deleted_at: Option<Timestamp>,
}

/// Unread messages are counted up to this many per conversation; past it the inbox says
/// `unreadCapped`.
pub const UNREAD_CAP: i64 = 100;

/// `$1` user id, `$2` limit. Each part is an index scan: conversations by participant or room
/// membership, unread counts and last messages on `(chatId, seq)`. The unread count reads at most
/// [`UNREAD_CAP`] + 1 messages after the read position (the `LIMIT 101`), however long the backlog.
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
                      (SELECT count(*) FROM (SELECT 1 FROM "Message" m
                        WHERE m."chatId" = c."id" AND m."seq" > COALESCE(r."readSeq", 0) AND m."senderId" <> $1
                          AND m."deletedAt" IS NULL
                        ORDER BY m."seq" LIMIT 101) unread) AS unread,
                      CASE WHEN c."kind" = 'private' THEN o."id" END AS other_id,
                      o."firstName" AS other_first_name, o."lastName" AS other_last_name, o."avatar" AS other_avatar,
                      -- Presence by the one rule of the presence channel (User_mayWatchPresence, V12).
                      CASE WHEN engaged.yes THEN o."status" END AS other_status,
                      CASE WHEN engaged.yes THEN o."lastActive" END AS other_last_active,
                      CASE WHEN c."kind" = 'room' THEN room."id" END AS room_id, room."name" AS room_name,
                      last."id" AS last_id, last."seq" AS last_seq_number, last."senderId" AS last_sender_id,
                      last."content" AS last_content, last."type"::text AS last_type, last."createdAt" AS last_created_at,
                      last."editedAt" AS last_edited_at, last."deletedAt" AS last_deleted_at,
                      mute."userId" IS NOT NULL AS muted, mute."until" AS muted_until
               FROM mine c
               LEFT JOIN "ConversationRead" r ON r."chatId" = c."id" AND r."userId" = $1
               LEFT JOIN "User" o ON o."id" = CASE WHEN c."userA" = $1 THEN c."userB" ELSE c."userA" END
               LEFT JOIN LATERAL (SELECT "User_mayWatchPresence"($1, o."id") AS yes) engaged ON true
               LEFT JOIN "Room" room ON room."id" = c."roomId"
               LEFT JOIN "Message" last ON last."chatId" = c."id" AND last."seq" = c."lastSeq"
               LEFT JOIN "ConversationMute" mute ON mute."userId" = $1 AND mute."chatId" = c."id"
                    AND (mute."until" IS NULL OR mute."until" > (now() AT TIME ZONE 'UTC'))
               ORDER BY c."lastMessageAt" DESC NULLS LAST
               LIMIT $2"#;

/// The caller's conversations, most recent first. Unread counts are counted from the read
/// position on the `(chatId, seq)` index, so they cannot drift from the messages, and stop at
/// [`UNREAD_CAP`].
pub async fn inbox(
    client: &impl GenericClient,
    user: &UserId,
    limit: i64,
) -> Result<Vec<InboxEntry>, tokio_postgres::Error> {
    let rows = timed(client.query_typed(INBOX_SQL, &[(&user.as_str(), Type::TEXT), (&limit, Type::INT8)])).await?;
    Ok(rows.iter().map(inbox_entry).collect())
}

fn inbox_entry(row: &Row) -> InboxEntry {
    let timestamp = |column: &str| row.get::<_, Option<NaiveDateTime>>(column).map(Timestamp::from);
    let other_user = row.get::<_, Option<String>>("other_id").map(|id| InboxUser {
        id,
        first_name: row.get("other_first_name"),
        last_name: row.get("other_last_name"),
        avatar: row.get("other_avatar"),
        status: row.get("other_status"),
        last_active: timestamp("other_last_active"),
    });
    let room = row.get::<_, Option<String>>("room_id").map(|id| InboxRoom { id, name: row.get("room_name") });
    let last_message = row.get::<_, Option<String>>("last_id").map(|id| LastMessage {
        id,
        seq: row.get("last_seq_number"),
        sender_id: row.get("last_sender_id"),
        content: row.get("last_content"),
        kind: row.get("last_type"),
        created_at: row.get::<_, NaiveDateTime>("last_created_at").into(),
        edited_at: timestamp("last_edited_at"),
        deleted_at: timestamp("last_deleted_at"),
    });
    let chat_id: String = row.get("id");
    let unread: i64 = row.get("unread");
    InboxEntry {
        conversation_id: chat_id.clone(),
        chat_id,
        kind: row.get("kind"),
        other_user,
        room,
        last_seq: row.get("lastSeq"),
        read_seq: row.get("read_seq"),
        unread_count: unread.min(UNREAD_CAP),
        unread_capped: unread > UNREAD_CAP,
        last_message,
        last_message_at: timestamp("lastMessageAt"),
        muted: row.get("muted"),
        muted_until: timestamp("muted_until"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unread_scan_stops_one_past_the_cap() {
        assert!(INBOX_SQL.contains(&format!("LIMIT {}) unread", UNREAD_CAP + 1)));
    }
}
