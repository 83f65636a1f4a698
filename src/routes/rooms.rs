//! `POST /api/rooms`: creates a room with its members (the creator included).
//! `DELETE /api/rooms?roomId=`: the caller leaves the room.

use super::{Answer, Call};
use crate::auth::AuthUser;
use crate::domain::RoomId;
use crate::http::json_response;
use crate::services::rooms::{self, member_list, room_name};
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
    let db = call.db().await?;
    let room = rooms::create(&**db, &call.publisher, &caller.id, name, &members).await?;
    Ok(json_response(StatusCode::CREATED, &json!({"room": room})))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LeaveQuery {
    room_id: Option<String>,
}

pub async fn delete(call: Call, caller: AuthUser) -> Answer {
    let query: LeaveQuery = call.request.query()?;
    let room = RoomId::from_field(query.room_id.as_deref(), "roomId")?;
    rooms::leave(&**call.db().await?, &call.publisher, &caller.id, &room).await?;
    Ok(json_response(StatusCode::OK, &json!({"left": room})))
}
