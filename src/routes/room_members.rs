//! `GET /api/rooms/members?roomId=`: the member list with roles, open invitations, and bans (for
//! the owner and admins).
//! `POST /api/rooms/members?roomId=`: a member invites users (`{userIds}`), as the room's
//! invitation policy allows.
//! `PATCH /api/rooms/members?roomId=&userId=`: the owner sets a member's role (`{role}`), or an
//! admin lifts a ban (`{banned: false}`) or bans (`{banned: true}`, as `DELETE …&ban=true`).
//! `DELETE /api/rooms/members?roomId=&userId=[&ban=true]`: an admin removes a member or withdraws
//! an invitation, and with `ban=true` bans them from the room.
//!
//! Bans are a field of the membership rather than a path of their own: each path is a function of
//! the per-route build, whose count is capped (docs/functions.md).

use super::{finish, Answer, Call};
use crate::auth::AuthUser;
use crate::db::rate_limit::Bucket;
use crate::domain::{RoomId, UserId};
use crate::error::ApiError;
use crate::http::ok_json;
use crate::services::room_roles::{self, invitee_list, requested_role};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MemberQuery {
    room_id: Option<String>,
    user_id: Option<String>,
    ban: Option<bool>,
}

fn query(call: &Call) -> Result<MemberQuery, ApiError> {
    call.request.query()
}

fn room_of(query: &MemberQuery) -> Result<RoomId, ApiError> {
    Ok(RoomId::from_field(query.room_id.as_deref(), "roomId")?)
}

fn user_of(query: &MemberQuery) -> Result<UserId, ApiError> {
    Ok(UserId::from_field(query.user_id.as_deref(), "userId")?)
}

pub async fn get(call: Call, caller: AuthUser) -> Answer {
    let room = room_of(&query(&call)?)?;
    // One snapshot: the members, invitations and bans as of one moment.
    let mut db = call.db().await?;
    let tx = db
        .build_transaction()
        .read_only(true)
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .start()
        .await?;
    let outcome = room_roles::list(&*tx, &room, &caller.id).await;
    ok_json(&finish(tx, outcome).await?)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Invite {
    user_ids: Vec<String>,
}

pub async fn post(call: Call, caller: AuthUser) -> Answer {
    let room = room_of(&query(&call)?)?;
    let body: Invite = call.request.json()?;
    let users = invitee_list(&body.user_ids)?;
    let limit = Bucket::per_hour(call.ctx.config.limits.rooms_per_hour);
    let mut db = call.db().await?;
    let tx = db.transaction().await?;
    let outcome = room_roles::invite_users(&*tx, &call.publisher, &room, &caller.id, &users, limit).await;
    let invited = finish(tx, outcome).await?;
    ok_json(&json!({"roomId": room, "invited": invited}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MemberChange {
    role: Option<String>,
    banned: Option<bool>,
}

pub async fn patch(call: Call, caller: AuthUser) -> Answer {
    let query = query(&call)?;
    let (room, user) = (room_of(&query)?, user_of(&query)?);
    let body: MemberChange = call.request.json()?;
    let role = body.role.as_deref().map(requested_role).transpose()?;
    let mut db = call.db().await?;
    let tx = db.transaction().await?;
    let answer = match (role, body.banned) {
        (Some(role), None) => {
            let outcome = room_roles::change_role(&*tx, &call.publisher, &room, &caller.id, &user, role).await;
            let role = finish(tx, outcome).await?;
            json!({"roomId": room, "userId": user, "role": role.as_str()})
        }
        (None, Some(true)) => {
            let outcome = room_roles::remove(&*tx, &call.publisher, &room, &caller.id, &user, true).await;
            let removal = finish(tx, outcome).await?;
            json!({"roomId": room, "userId": user, "banned": true, "removed": removal.removed})
        }
        (None, Some(false)) => {
            let outcome = room_roles::lift_ban(&*tx, &call.publisher, &room, &caller.id, &user).await;
            let lifted = finish(tx, outcome).await?;
            json!({"roomId": room, "userId": user, "banned": false, "lifted": lifted})
        }
        _ => {
            tx.rollback().await?;
            return Err(ApiError::unprocessable("invalid_body", "give exactly one of role and banned"));
        }
    };
    ok_json(&answer)
}

pub async fn delete(call: Call, caller: AuthUser) -> Answer {
    let query = query(&call)?;
    let (room, user) = (room_of(&query)?, user_of(&query)?);
    let and_ban = query.ban.unwrap_or(false);
    let mut db = call.db().await?;
    let tx = db.transaction().await?;
    let outcome = room_roles::remove(&*tx, &call.publisher, &room, &caller.id, &user, and_ban).await;
    let removal = finish(tx, outcome).await?;
    ok_json(&json!({
        "roomId": room,
        "userId": user,
        "removed": removal.removed,
        "uninvited": removal.uninvited,
        "banned": and_ban,
    }))
}
