//! `POST /api/rooms`: creates a room with its members (the creator included).

use super::{Answer, Call};
use crate::auth::AuthUser;
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
