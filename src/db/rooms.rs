//! Rooms (`"Room"` from the seed's schema) and their members (`"RoomMember"`).

use super::{violated_constraint, USER_FOREIGN_KEYS};
use crate::domain::{ConversationKey, RoomId, UserId};
use serde::Serialize;
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Room {
    pub id: String,
    pub name: String,
    pub member_ids: Vec<String>,
}

/// Creates a room, its members and its conversation in one statement; an unknown member id fails
/// the whole statement (foreign key), leaving nothing behind.
pub async fn create_room(
    client: &impl GenericClient,
    id: &RoomId,
    name: &str,
    members: &[UserId],
) -> Result<Room, CreateRoomError> {
    let chat_id = ConversationKey::room(id).to_string();
    let member_ids: Vec<&str> = members.iter().map(UserId::as_str).collect();
    let id = id.as_str();
    let row = client
        .query_typed_one(
            r#"WITH room AS (
                   INSERT INTO "Room" ("id", "name", "createdAt", "updatedAt")
                   VALUES ($1, $2, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC') RETURNING "id"),
               members AS (
                   INSERT INTO "RoomMember" ("roomId", "userId")
                   SELECT room."id", member FROM room, unnest($3::text[]) AS member RETURNING "userId"),
               conversation AS (
                   INSERT INTO "Conversation" ("id", "kind", "roomId", "lastSeq")
                   SELECT $4, 'room', room."id", 0 FROM room RETURNING "id")
               SELECT ARRAY(SELECT "userId" FROM members ORDER BY "userId") AS members,
                      (SELECT count(*) FROM conversation) AS conversations"#,
            &[(&id, Type::TEXT), (&name, Type::TEXT), (&member_ids, Type::TEXT_ARRAY), (&chat_id, Type::TEXT)],
        )
        .await?;
    Ok(Room { id: id.to_owned(), name: name.to_owned(), member_ids: row.get("members") })
}

#[derive(Debug, thiserror::Error)]
pub enum CreateRoomError {
    /// A member (or the creator) has no `"User"` row.
    #[error("unknown user")]
    UnknownUser,
    #[error(transparent)]
    Database(tokio_postgres::Error),
}

impl From<tokio_postgres::Error> for CreateRoomError {
    fn from(err: tokio_postgres::Error) -> Self {
        match violated_constraint(&err) {
            Some(name) if USER_FOREIGN_KEYS.contains(&name) => Self::UnknownUser,
            _ => Self::Database(err),
        }
    }
}

/// Of the given ids, those with no `"User"` row.
pub async fn unknown_users(client: &impl GenericClient, ids: &[&UserId]) -> Result<Vec<String>, tokio_postgres::Error> {
    let ids: Vec<&str> = ids.iter().map(|id| id.as_str()).collect();
    let rows = client
        .query_typed(
            r#"SELECT t.candidate FROM unnest($1::text[]) AS t(candidate)
               WHERE NOT EXISTS (SELECT 1 FROM "User" u WHERE u."id" = t.candidate)"#,
            &[(&ids, Type::TEXT_ARRAY)],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get("candidate")).collect())
}

/// Whether the room exists, and whether the user is a member.
pub async fn membership(
    client: &impl GenericClient,
    room: &RoomId,
    user: &UserId,
) -> Result<(bool, bool), tokio_postgres::Error> {
    let (room_id, user_id) = (room.as_str(), user.as_str());
    let row = client
        .query_typed_one(
            r#"SELECT EXISTS (SELECT 1 FROM "Room" WHERE "id" = $1) AS room_exists,
                      EXISTS (SELECT 1 FROM "RoomMember" WHERE "roomId" = $1 AND "userId" = $2) AS is_member"#,
            &[(&room_id, Type::TEXT), (&user_id, Type::TEXT)],
        )
        .await?;
    Ok((row.get("room_exists"), row.get("is_member")))
}

/// Removes a member; `true` when they were one.
pub async fn leave_room(
    client: &impl GenericClient,
    room: &RoomId,
    user: &UserId,
) -> Result<bool, tokio_postgres::Error> {
    let removed = client
        .execute_typed(
            r#"DELETE FROM "RoomMember" WHERE "roomId" = $1 AND "userId" = $2"#,
            &[(&room.as_str(), Type::TEXT), (&user.as_str(), Type::TEXT)],
        )
        .await?;
    Ok(removed > 0)
}
