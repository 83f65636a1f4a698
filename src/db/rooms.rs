//! Rooms (`"Room"` from the seed's schema) and their members (`"RoomMember"`).

use super::messages::room_chat_id;
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
    id: &str,
    name: &str,
    member_ids: &[String],
) -> Result<Room, tokio_postgres::Error> {
    let chat_id = room_chat_id(id);
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

/// Of the given ids, those with no `"User"` row.
pub async fn unknown_users(client: &impl GenericClient, ids: &[String]) -> Result<Vec<String>, tokio_postgres::Error> {
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
pub async fn membership(client: &impl GenericClient, room_id: &str, user_id: &str) -> Result<(bool, bool), tokio_postgres::Error> {
    let row = client
        .query_typed_one(
            r#"SELECT EXISTS (SELECT 1 FROM "Room" WHERE "id" = $1) AS room_exists,
                      EXISTS (SELECT 1 FROM "RoomMember" WHERE "roomId" = $1 AND "userId" = $2) AS is_member"#,
            &[(&room_id, Type::TEXT), (&user_id, Type::TEXT)],
        )
        .await?;
    Ok((row.get("room_exists"), row.get("is_member")))
}
