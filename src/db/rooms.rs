//! Rooms (`"Room"` from the seed's schema) and their members (`"RoomMember"`).

use super::{timed, violated_constraint, USER_FOREIGN_KEYS};
use crate::domain::{ConversationKey, RoomId, UserId};
use serde::Serialize;
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Room {
    pub id: String,
    pub name: String,
    /// Members: the creator at first, then whoever accepted an invitation.
    pub member_ids: Vec<String>,
    /// Users invited and not yet joined (only in the creator's answer).
    pub invited_ids: Vec<String>,
}

/// Creates a room with its creator as the one member, an invitation for each other user, and its
/// conversation, in one statement; an unknown user id fails all of it (foreign key).
pub async fn create_room(
    client: &impl GenericClient,
    id: &RoomId,
    name: &str,
    creator: &UserId,
    invitees: &[UserId],
) -> Result<Room, CreateRoomError> {
    let chat_id = ConversationKey::room(id).to_string();
    let invitee_ids: Vec<&str> = invitees.iter().map(UserId::as_str).collect();
    let (id, creator) = (id.as_str(), creator.as_str());
    let row = timed(client.query_typed_one(
        r#"WITH room AS (
                   INSERT INTO "Room" ("id", "name", "createdAt", "updatedAt")
                   VALUES ($1, $2, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC') RETURNING "id"),
               creator AS (
                   INSERT INTO "RoomMember" ("roomId", "userId", "role") SELECT room."id", $3, 'owner' FROM room
                   RETURNING "userId"),
               invited AS (
                   INSERT INTO "RoomInvitation" ("roomId", "userId", "invitedBy")
                   SELECT room."id", invitee, $3 FROM room, unnest($4::text[]) AS invitee RETURNING "userId"),
               conversation AS (
                   INSERT INTO "Conversation" ("id", "kind", "roomId", "lastSeq")
                   SELECT $5, 'room', room."id", 0 FROM room RETURNING "id")
               SELECT ARRAY(SELECT "userId" FROM creator) AS members,
                      ARRAY(SELECT "userId" FROM invited ORDER BY "userId") AS invited,
                      (SELECT count(*) FROM conversation) AS conversations"#,
        &[
            (&id, Type::TEXT),
            (&name, Type::TEXT),
            (&creator, Type::TEXT),
            (&invitee_ids, Type::TEXT_ARRAY),
            (&chat_id, Type::TEXT),
        ],
    ))
    .await?;
    Ok(Room {
        id: id.to_owned(),
        name: name.to_owned(),
        member_ids: row.get("members"),
        invited_ids: row.get("invited"),
    })
}

/// What accepting an invitation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// The invitation became a membership.
    Joined,
    /// Already a member (a repeated accept): nothing changed.
    AlreadyMember,
    /// No invitation and no membership.
    NotInvited,
}

/// Turns the user's invitation into a membership, in one statement; a ban keeps the invitation
/// from turning into anything.
pub async fn accept_invitation(
    client: &impl GenericClient,
    room: &RoomId,
    user: &UserId,
) -> Result<Accepted, tokio_postgres::Error> {
    let row = timed(client.query_typed_one(
        r#"WITH invitation AS (
                   DELETE FROM "RoomInvitation" WHERE "roomId" = $1 AND "userId" = $2
                   AND NOT EXISTS (SELECT 1 FROM "RoomBan" WHERE "roomId" = $1 AND "userId" = $2)
                   RETURNING "roomId"),
               joined AS (
                   INSERT INTO "RoomMember" ("roomId", "userId") SELECT "roomId", $2 FROM invitation
                   ON CONFLICT DO NOTHING RETURNING "userId")
               SELECT EXISTS (SELECT 1 FROM joined) AS joined,
                      EXISTS (SELECT 1 FROM "RoomMember" WHERE "roomId" = $1 AND "userId" = $2) AS was_member"#,
        &[(&room.as_str(), Type::TEXT), (&user.as_str(), Type::TEXT)],
    ))
    .await?;
    Ok(match (row.get("joined"), row.get("was_member")) {
        (true, _) => Accepted::Joined,
        (false, true) => Accepted::AlreadyMember,
        (false, false) => Accepted::NotInvited,
    })
}

/// Declines an invitation; `true` when there was one.
pub async fn decline_invitation(
    client: &impl GenericClient,
    room: &RoomId,
    user: &UserId,
) -> Result<bool, tokio_postgres::Error> {
    let removed = timed(client.execute_typed(
        r#"DELETE FROM "RoomInvitation" WHERE "roomId" = $1 AND "userId" = $2"#,
        &[(&room.as_str(), Type::TEXT), (&user.as_str(), Type::TEXT)],
    ))
    .await?;
    Ok(removed > 0)
}

/// A room the user belongs to or is invited to.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RoomSummary {
    pub id: String,
    pub name: String,
    /// The caller's role in the room (`owner`, `admin`, `member`); absent for an invitation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// An open invitation, with who sent it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Invitation {
    pub room: RoomSummary,
    pub invited_by: InvitedBy,
    pub invited_at: crate::domain::Timestamp,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct InvitedBy {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub avatar: Option<String>,
}

/// The user's rooms (by name) and open invitations (newest first).
pub async fn rooms_of(
    client: &impl GenericClient,
    user: &UserId,
) -> Result<(Vec<RoomSummary>, Vec<Invitation>), tokio_postgres::Error> {
    let user = user.as_str();
    let rooms = timed(client.query_typed(
        r#"SELECT r."id", r."name", m."role" FROM "RoomMember" m JOIN "Room" r ON r."id" = m."roomId"
               WHERE m."userId" = $1 ORDER BY r."name", r."id""#,
        &[(&user, Type::TEXT)],
    ))
    .await?;
    let invitations = timed(client.query_typed(
        r#"SELECT r."id", r."name", i."createdAt", u."id" AS by_id, u."firstName", u."lastName", u."avatar"
               FROM "RoomInvitation" i JOIN "Room" r ON r."id" = i."roomId" JOIN "User" u ON u."id" = i."invitedBy"
               WHERE i."userId" = $1 ORDER BY i."createdAt" DESC, r."id""#,
        &[(&user, Type::TEXT)],
    ))
    .await?;
    let summary = |row: &tokio_postgres::Row| RoomSummary {
        id: row.get("id"),
        name: row.get("name"),
        role: row.try_get("role").ok(),
    };
    Ok((
        rooms.iter().map(summary).collect(),
        invitations
            .iter()
            .map(|row| Invitation {
                room: summary(row),
                invited_by: InvitedBy {
                    id: row.get("by_id"),
                    first_name: row.get("firstName"),
                    last_name: row.get("lastName"),
                    avatar: row.get("avatar"),
                },
                invited_at: row.get::<_, chrono::NaiveDateTime>("createdAt").into(),
            })
            .collect(),
    ))
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

/// Of the given ids, those with no `"User"` row, or an erased one.
pub async fn unknown_users(client: &impl GenericClient, ids: &[&UserId]) -> Result<Vec<String>, tokio_postgres::Error> {
    let ids: Vec<&str> = ids.iter().map(|id| id.as_str()).collect();
    let rows = timed(client.query_typed(
        r#"SELECT t.candidate FROM unnest($1::text[]) AS t(candidate)
               WHERE NOT EXISTS (SELECT 1 FROM "User" u WHERE u."id" = t.candidate AND u."erasedAt" IS NULL)"#,
        &[(&ids, Type::TEXT_ARRAY)],
    ))
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
    let row = timed(client.query_typed_one(
        r#"SELECT EXISTS (SELECT 1 FROM "Room" WHERE "id" = $1) AS room_exists,
                      EXISTS (SELECT 1 FROM "RoomMember" WHERE "roomId" = $1 AND "userId" = $2) AS is_member"#,
        &[(&room_id, Type::TEXT), (&user_id, Type::TEXT)],
    ))
    .await?;
    Ok((row.get("room_exists"), row.get("is_member")))
}
