//! Room roles (`"RoomMember"."role"`), bans (`"RoomBan"`), who may invite (`"Room"."invitePolicy"`)
//! and the invitations a member sends. Every change to a room's membership runs after
//! [`lock_room`] in the caller's transaction, so concurrent changes to one room happen one after
//! the other and each sees what the one before it did.

use super::timed;
use crate::domain::{RoomId, Timestamp, UserId};
use chrono::NaiveDateTime;
use serde::Serialize;
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

/// A room as its settings stand.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RoomSettings {
    pub id: String,
    pub name: String,
    pub invite_policy: String,
}

/// Locks the room's row against every other membership change until the transaction ends (not
/// against sends, which do not touch the row); `None` for an unknown room. `FOR NO KEY UPDATE`
/// leaves the key-share locks of inserts that reference the room free to proceed.
pub async fn lock_room(
    client: &impl GenericClient,
    room: &RoomId,
) -> Result<Option<RoomSettings>, tokio_postgres::Error> {
    settings(client, room, r#"SELECT "id", "name", "invitePolicy" FROM "Room" WHERE "id" = $1 FOR NO KEY UPDATE"#).await
}

/// The room's settings, read without a lock (the member list); `None` for an unknown room.
pub async fn room_settings(
    client: &impl GenericClient,
    room: &RoomId,
) -> Result<Option<RoomSettings>, tokio_postgres::Error> {
    settings(client, room, r#"SELECT "id", "name", "invitePolicy" FROM "Room" WHERE "id" = $1"#).await
}

async fn settings(
    client: &impl GenericClient,
    room: &RoomId,
    sql: &str,
) -> Result<Option<RoomSettings>, tokio_postgres::Error> {
    let rows = timed(client.query_typed(sql, &[(&room.as_str(), Type::TEXT)])).await?;
    Ok(rows.first().map(|row| RoomSettings {
        id: row.get("id"),
        name: row.get("name"),
        invite_policy: row.get("invitePolicy"),
    }))
}

/// The user's role in the room (`owner`, `admin`, `member`), `None` when not a member. With
/// `hold`, the membership row is share-locked until the transaction ends, so the role cannot
/// change or end while the caller acts on it.
pub async fn role_of(
    client: &impl GenericClient,
    room: &RoomId,
    user: &UserId,
    hold: bool,
) -> Result<Option<String>, tokio_postgres::Error> {
    let sql = if hold {
        r#"SELECT "role" FROM "RoomMember" WHERE "roomId" = $1 AND "userId" = $2 FOR SHARE"#
    } else {
        r#"SELECT "role" FROM "RoomMember" WHERE "roomId" = $1 AND "userId" = $2"#
    };
    let rows = timed(client.query_typed(sql, &[(&room.as_str(), Type::TEXT), (&user.as_str(), Type::TEXT)])).await?;
    Ok(rows.first().map(|row| row.get("role")))
}

/// A member as the member list shows them.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub avatar: Option<String>,
    pub role: String,
    pub joined_at: Timestamp,
}

/// The room's members: the owner, then admins, then members, each by how long they have been in.
pub async fn members(client: &impl GenericClient, room: &RoomId) -> Result<Vec<Member>, tokio_postgres::Error> {
    let rows = timed(client.query_typed(
        r#"SELECT u."id", u."firstName", u."lastName", u."avatar", m."role", m."joinedAt"
               FROM "RoomMember" m JOIN "User" u ON u."id" = m."userId"
               WHERE m."roomId" = $1
               ORDER BY CASE m."role" WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END, m."joinedAt", u."id""#,
        &[(&room.as_str(), Type::TEXT)],
    ))
    .await?;
    Ok(rows
        .iter()
        .map(|row| Member {
            id: row.get("id"),
            first_name: row.get("firstName"),
            last_name: row.get("lastName"),
            avatar: row.get("avatar"),
            role: row.get("role"),
            joined_at: row.get::<_, NaiveDateTime>("joinedAt").into(),
        })
        .collect())
}

/// Someone the room is waiting for (an open invitation) or keeps out (a ban).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Listed {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub avatar: Option<String>,
    /// Who invited or banned them (`null`: an account since erased).
    pub by: Option<String>,
    pub at: Timestamp,
}

fn listed(rows: &[tokio_postgres::Row]) -> Vec<Listed> {
    rows.iter()
        .map(|row| Listed {
            id: row.get("id"),
            first_name: row.get("firstName"),
            last_name: row.get("lastName"),
            avatar: row.get("avatar"),
            by: row.get("by"),
            at: row.get::<_, NaiveDateTime>("at").into(),
        })
        .collect()
}

/// The room's open invitations, oldest first.
pub async fn invitations(client: &impl GenericClient, room: &RoomId) -> Result<Vec<Listed>, tokio_postgres::Error> {
    let rows = timed(client.query_typed(
        r#"SELECT u."id", u."firstName", u."lastName", u."avatar", i."invitedBy" AS "by", i."createdAt" AS "at"
               FROM "RoomInvitation" i JOIN "User" u ON u."id" = i."userId"
               WHERE i."roomId" = $1 ORDER BY i."createdAt", u."id""#,
        &[(&room.as_str(), Type::TEXT)],
    ))
    .await?;
    Ok(listed(&rows))
}

/// The room's bans, newest first.
pub async fn bans(client: &impl GenericClient, room: &RoomId) -> Result<Vec<Listed>, tokio_postgres::Error> {
    let rows = timed(client.query_typed(
        r#"SELECT u."id", u."firstName", u."lastName", u."avatar", b."bannedBy" AS "by", b."bannedAt" AS "at"
               FROM "RoomBan" b JOIN "User" u ON u."id" = b."userId"
               WHERE b."roomId" = $1 ORDER BY b."bannedAt" DESC, u."id""#,
        &[(&room.as_str(), Type::TEXT)],
    ))
    .await?;
    Ok(listed(&rows))
}

/// Sets a member's role; `false` when they are not a member.
pub async fn set_role(
    client: &impl GenericClient,
    room: &RoomId,
    user: &UserId,
    role: &str,
) -> Result<bool, tokio_postgres::Error> {
    let changed = timed(client.execute_typed(
        r#"UPDATE "RoomMember" SET "role" = $3 WHERE "roomId" = $1 AND "userId" = $2"#,
        &[(&room.as_str(), Type::TEXT), (&user.as_str(), Type::TEXT), (&role, Type::TEXT)],
    ))
    .await?;
    Ok(changed > 0)
}

/// Ends a membership; the role it had, `None` when there was none. An owner's end hands the room
/// to the next owner in the same statement (the `"RoomMember_owner_hand_off"` trigger).
pub async fn end_membership(
    client: &impl GenericClient,
    room: &RoomId,
    user: &UserId,
) -> Result<Option<String>, tokio_postgres::Error> {
    let rows = timed(client.query_typed(
        r#"DELETE FROM "RoomMember" WHERE "roomId" = $1 AND "userId" = $2 RETURNING "role""#,
        &[(&room.as_str(), Type::TEXT), (&user.as_str(), Type::TEXT)],
    ))
    .await?;
    Ok(rows.first().map(|row| row.get("role")))
}

/// The room's owner, `None` for a room nobody is left in.
pub async fn owner_of(client: &impl GenericClient, room: &RoomId) -> Result<Option<String>, tokio_postgres::Error> {
    let rows = timed(client.query_typed(
        r#"SELECT "userId" FROM "RoomMember" WHERE "roomId" = $1 AND "role" = 'owner'"#,
        &[(&room.as_str(), Type::TEXT)],
    ))
    .await?;
    Ok(rows.first().map(|row| row.get("userId")))
}

/// Bans a user from the room and withdraws any invitation of theirs; `true` when the ban is new.
pub async fn ban(
    client: &impl GenericClient,
    room: &RoomId,
    user: &UserId,
    by: &UserId,
) -> Result<bool, tokio_postgres::Error> {
    let row = timed(client.query_typed_one(
        r#"WITH invitation AS (DELETE FROM "RoomInvitation" WHERE "roomId" = $1 AND "userId" = $2 RETURNING 1),
               banned AS (
                   INSERT INTO "RoomBan" ("roomId", "userId", "bannedBy") VALUES ($1, $2, $3)
                   ON CONFLICT DO NOTHING RETURNING 1)
               SELECT EXISTS (SELECT 1 FROM banned) AS new_ban, (SELECT count(*) FROM invitation) AS withdrawn"#,
        &[(&room.as_str(), Type::TEXT), (&user.as_str(), Type::TEXT), (&by.as_str(), Type::TEXT)],
    ))
    .await?;
    Ok(row.get("new_ban"))
}

/// Lifts a ban; `true` when there was one.
pub async fn unban(client: &impl GenericClient, room: &RoomId, user: &UserId) -> Result<bool, tokio_postgres::Error> {
    let removed = timed(client.execute_typed(
        r#"DELETE FROM "RoomBan" WHERE "roomId" = $1 AND "userId" = $2"#,
        &[(&room.as_str(), Type::TEXT), (&user.as_str(), Type::TEXT)],
    ))
    .await?;
    Ok(removed > 0)
}

/// Of the given users, those banned from the room.
pub async fn banned_among(
    client: &impl GenericClient,
    room: &RoomId,
    users: &[&str],
) -> Result<Vec<String>, tokio_postgres::Error> {
    let rows = timed(client.query_typed(
        r#"SELECT "userId" FROM "RoomBan" WHERE "roomId" = $1 AND "userId" = ANY($2) ORDER BY "userId""#,
        &[(&room.as_str(), Type::TEXT), (&users, Type::TEXT_ARRAY)],
    ))
    .await?;
    Ok(rows.iter().map(|row| row.get("userId")).collect())
}

/// How many people the room holds or waits for: members and open invitations.
pub async fn headcount(client: &impl GenericClient, room: &RoomId) -> Result<i64, tokio_postgres::Error> {
    let row = timed(client.query_typed_one(
        r#"SELECT (SELECT count(*) FROM "RoomMember" WHERE "roomId" = $1)
                + (SELECT count(*) FROM "RoomInvitation" WHERE "roomId" = $1) AS n"#,
        &[(&room.as_str(), Type::TEXT)],
    ))
    .await?;
    Ok(row.get("n"))
}

/// Invites each user who is neither a member, invited already nor banned; those invited now.
pub async fn invite(
    client: &impl GenericClient,
    room: &RoomId,
    by: &UserId,
    users: &[&str],
) -> Result<Vec<String>, tokio_postgres::Error> {
    let rows = timed(client.query_typed(
        r#"INSERT INTO "RoomInvitation" ("roomId", "userId", "invitedBy")
               SELECT $1, invitee, $2 FROM unnest($3::text[]) AS invitee
               WHERE NOT EXISTS (SELECT 1 FROM "RoomMember" m WHERE m."roomId" = $1 AND m."userId" = invitee)
                 AND NOT EXISTS (SELECT 1 FROM "RoomBan" b WHERE b."roomId" = $1 AND b."userId" = invitee)
               ON CONFLICT DO NOTHING RETURNING "userId""#,
        &[(&room.as_str(), Type::TEXT), (&by.as_str(), Type::TEXT), (&users, Type::TEXT_ARRAY)],
    ))
    .await?;
    let mut invited: Vec<String> = rows.iter().map(|row| row.get("userId")).collect();
    invited.sort();
    Ok(invited)
}

/// Renames the room and/or changes who may invite; the settings after.
pub async fn update_room(
    client: &impl GenericClient,
    room: &RoomId,
    name: Option<&str>,
    invite_policy: Option<&str>,
) -> Result<Option<RoomSettings>, tokio_postgres::Error> {
    let rows = timed(client.query_typed(
        r#"UPDATE "Room" SET "name" = COALESCE($2, "name"), "invitePolicy" = COALESCE($3, "invitePolicy"),
                   "updatedAt" = now() AT TIME ZONE 'UTC'
               WHERE "id" = $1 RETURNING "id", "name", "invitePolicy""#,
        &[(&room.as_str(), Type::TEXT), (&name, Type::TEXT), (&invite_policy, Type::TEXT)],
    ))
    .await?;
    Ok(rows.first().map(|row| RoomSettings {
        id: row.get("id"),
        name: row.get("name"),
        invite_policy: row.get("invitePolicy"),
    }))
}

/// Whether the user is banned from the room.
pub async fn is_banned(
    client: &impl GenericClient,
    room: &RoomId,
    user: &UserId,
) -> Result<bool, tokio_postgres::Error> {
    Ok(!banned_among(client, room, &[user.as_str()]).await?.is_empty())
}
