//! `POST /api/rooms`: creates a room with its members (the creator included).

use super::allow;
use crate::context::AppContext;
use crate::db::rooms::{create_room, unknown_users};
use crate::error::ApiError;
use crate::http::{json_response, ApiRequest, ApiResponse};
use crate::messaging::{id_param, publish};
use crate::pusher::channels::notifications_channel;
use crate::runtime::Background;
use hyper::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;
use tokio_postgres::error::SqlState;

/// Room events reach members through their notification channels: one Pusher call has at most
/// 100 channels, so that is the room size.
pub const MAX_MEMBERS: usize = 100;
pub const MAX_NAME_CHARS: usize = 100;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateRoom {
    name: String,
    #[serde(default)]
    member_ids: Vec<String>,
}

pub async fn post(ctx: &Arc<AppContext>, request: &ApiRequest, background: &Background) -> Result<ApiResponse, ApiError> {
    allow(request, &[Method::POST])?;
    let caller = ctx.authenticate(request).await?;
    let body: CreateRoom = request.json()?;
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(ApiError::unprocessable("invalid_name", format!("name must be 1-{MAX_NAME_CHARS} characters of plain text")));
    }
    let mut members = vec![caller.id.clone()];
    for id in &body.member_ids {
        let id = id_param(Some(id), "memberIds")?;
        if !members.contains(&id) {
            members.push(id);
        }
    }
    if members.len() > MAX_MEMBERS {
        return Err(ApiError::unprocessable("too_many_members", format!("a room has at most {MAX_MEMBERS} members")));
    }
    let db = ctx.db().await?;
    let id = uuid::Uuid::new_v4().to_string();
    let room = match create_room(&**db, &id, name, &members).await {
        Ok(room) => room,
        Err(err) if err.code() == Some(&SqlState::FOREIGN_KEY_VIOLATION) => {
            let missing = unknown_users(&**db, &members).await?;
            if missing.contains(&caller.id) {
                return Err(ApiError::forbidden("profile_required", "create the caller's User row first"));
            }
            return Err(ApiError::unprocessable("unknown_members", format!("unknown user ids: {}", missing.join(", "))));
        }
        Err(err) => return Err(err.into()),
    };
    let channels = room.member_ids.iter().filter(|m| **m != caller.id).map(|m| notifications_channel(m)).collect::<Vec<_>>();
    if !channels.is_empty() {
        publish(ctx, background, channels, "room-created", json!({"room": room, "createdBy": caller.id}), None);
    }
    Ok(json_response(StatusCode::CREATED, &json!({"room": room})))
}
