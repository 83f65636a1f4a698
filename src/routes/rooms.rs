//! `GET /api/rooms`: the caller's rooms and open invitations.
//! `POST /api/rooms`: creates a room; the caller is its member, everyone else named is invited.
//! `PUT /api/rooms?roomId=`: the caller accepts an invitation.
//! `PATCH /api/rooms?roomId=`: the room's owner or an admin renames it (`{name}`) and/or sets who
//! may invite (`{invitePolicy: "members" | "admins"}`).
//! `DELETE /api/rooms?roomId=`: the caller leaves the room, or declines an invitation to it.

use super::{finish, Answer, Call};
use crate::auth::AuthUser;
use crate::db::rate_limit::Bucket;
use crate::db::rooms::Accepted;
use crate::domain::{member_list, room_name, RoomId};
use crate::error::ApiError;
use crate::http::{json_response, ok_json};
use crate::services::rooms;
use hyper::StatusCode;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateRoom {
    name: String,
    #[serde(default)]
    member_ids: Vec<String>,
}

pub async fn post(call: Call, caller: AuthUser) -> Answer {
    let body: CreateRoom = call.request.json()?;
    let name = room_name(&body.name)?;
    let members = member_list(&caller.id, &body.member_ids)?;
    // One transaction: the room, its invitations and the invitation push commit together.
    let mut db = call.db().await?;
    let tx = db.transaction().await?;
    let limit = Bucket::per_hour(call.ctx.config.limits.rooms_per_hour);
    let outcome = rooms::create(&*tx, &call.publisher, &caller.id, &name, &members, limit).await;
    let room = finish(tx, outcome).await?;
    Ok(json_response(StatusCode::CREATED, &json!({"room": room})))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoomQuery {
    room_id: Option<String>,
}

fn room_of(call: &Call) -> Result<RoomId, ApiError> {
    let query: RoomQuery = call.request.query()?;
    Ok(RoomId::from_field(query.room_id.as_deref(), "roomId")?)
}

pub async fn get(call: Call, caller: AuthUser) -> Answer {
    let (rooms, invitations) = rooms::list(&**call.db().await?, &caller.id).await?;
    ok_json(&json!({"rooms": rooms, "invitations": invitations}))
}

pub async fn put(call: Call, caller: AuthUser) -> Answer {
    let room = room_of(&call)?;
    let mut db = call.db().await?;
    let tx = db.transaction().await?;
    let outcome = rooms::accept(&*tx, &call.publisher, &caller.id, &room).await;
    let accepted = finish(tx, outcome).await?;
    ok_json(&json!({"joined": room, "alreadyMember": accepted == Accepted::AlreadyMember}))
}

pub async fn delete(call: Call, caller: AuthUser) -> Answer {
    let room = room_of(&call)?;
    let mut db = call.db().await?;
    let tx = db.transaction().await?;
    let outcome = rooms::leave(&*tx, &call.publisher, &caller.id, &room).await;
    finish(tx, outcome).await?;
    Ok(json_response(StatusCode::OK, &json!({"left": room})))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RoomChange {
    name: Option<String>,
    invite_policy: Option<String>,
}

pub async fn patch(call: Call, caller: AuthUser) -> Answer {
    let room = room_of(&call)?;
    let body: RoomChange = call.request.json()?;
    let mut db = call.db().await?;
    let tx = db.transaction().await?;
    let outcome = crate::services::room_roles::update(
        &*tx,
        &call.publisher,
        &room,
        &caller.id,
        body.name.as_deref(),
        body.invite_policy.as_deref(),
    )
    .await;
    let room = finish(tx, outcome).await?;
    ok_json(&json!({"room": room}))
}
