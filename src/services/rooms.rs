//! Rooms: the creator is the first member and everyone else named is invited; an invitee
//! becomes a member only by accepting, and may decline. Members can leave.

use super::conversations::require_member;
use super::outbox::{Effect, WebhookType};
use super::{Event, Publisher};
use crate::db::rate_limit::{take, Bucket};
use crate::db::rooms::{
    accept_invitation, create_room, decline_invitation, membership, rooms_of, unknown_users, Accepted, CreateRoomError,
    Invitation, Room, RoomSummary,
};
use crate::domain::{ChannelName, ConversationKey, Name, RoomId, UserId};
use crate::error::ApiError;
use serde_json::json;
use tokio_postgres::GenericClient;

pub async fn create(
    db: &impl GenericClient,
    publisher: &Publisher,
    creator: &UserId,
    name: &Name,
    members: &[UserId],
    limit: Bucket,
) -> Result<Room, ApiError> {
    if let Err(retry_after_secs) = take(db, &format!("rooms:{creator}"), limit).await? {
        return Err(ApiError::TooManyRequests { retry_after_secs });
    }
    let id = RoomId::parse(&uuid::Uuid::new_v4().to_string())?;
    let invitees: Vec<UserId> = members.iter().filter(|m| *m != creator).cloned().collect();
    // Checked before the insert, which runs in the caller's transaction: a failed statement
    // would leave nothing to look the unknown ids up with.
    let missing = unknown_users(db, &members.iter().collect::<Vec<_>>()).await?;
    if missing.iter().any(|id| creator == id.as_str()) {
        return Err(ApiError::forbidden("profile_required", "create the caller's User row first"));
    }
    if !missing.is_empty() {
        return Err(ApiError::unprocessable("unknown_members", format!("unknown user ids: {}", missing.join(", "))));
    }
    let room = match create_room(db, &id, name.as_str(), creator, &invitees).await {
        Ok(room) => room,
        Err(CreateRoomError::UnknownUser) => {
            return Err(ApiError::unprocessable("unknown_members", "a member was deleted meanwhile"))
        }
        Err(CreateRoomError::Database(err)) => return Err(err.into()),
    };
    let push = Effect::PushInvitation {
        room_id: room.id.clone(),
        room_name: room.name.clone(),
        invited_by: creator.to_string(),
        invitees: invitees.iter().map(UserId::to_string).collect(),
    };
    if !invitees.is_empty() {
        publisher.enqueue(db, &[push]).await?;
    }
    let channels: Vec<ChannelName> = invitees.iter().map(ChannelName::notifications).collect();
    let invitation = json!({"room": {"id": room.id, "name": room.name}, "invitedBy": creator});
    publisher.publish(Event::new("room-invitation", channels, invitation));
    Ok(room)
}

/// The caller accepts an invitation and becomes a member; the room hears `room-member-joined`.
/// Accepting again changes nothing; without an invitation it is 404 (unknown room) or 403.
pub async fn accept(
    db: &impl GenericClient,
    publisher: &Publisher,
    user: &UserId,
    room: &RoomId,
) -> Result<Accepted, ApiError> {
    let accepted = accept_invitation(db, room, user).await?;
    match accepted {
        Accepted::Joined => {
            let data = json!({"roomId": room, "userId": user});
            publisher
                .enqueue(db, &[Effect::Webhook { event: WebhookType::RoomMemberJoined, data: data.clone() }])
                .await?;
            publisher.publish(Event::new("room-member-joined", vec![ConversationKey::room(room).channel()], data));
        }
        Accepted::AlreadyMember => {}
        Accepted::NotInvited => {
            if crate::db::room_roles::is_banned(db, room, user).await? {
                return Err(ApiError::forbidden("banned_from_room", "you are banned from this room"));
            }
            return Err(match membership(db, room, user).await? {
                (false, _) => ApiError::NotFound,
                _ => ApiError::forbidden("not_invited", "you have no invitation to this room"),
            });
        }
    }
    Ok(accepted)
}

/// The caller's rooms and open invitations.
pub async fn list(db: &impl GenericClient, user: &UserId) -> Result<(Vec<RoomSummary>, Vec<Invitation>), ApiError> {
    Ok(rooms_of(db, user).await?)
}

/// The caller leaves a room (its history, channel and sends are closed to them from now on, and
/// the connections they signed in with are closed so the room's channel stops reaching them;
/// the other members then get `room-member-left` on the room channel), or declines an invitation
/// to it (an invitee has no room channel to lose).
pub async fn leave(
    db: &impl GenericClient,
    publisher: &Publisher,
    user: &UserId,
    room: &RoomId,
) -> Result<(), ApiError> {
    if decline_invitation(db, room, user).await? {
        return Ok(());
    }
    require_member(db, room, user).await?;
    if super::room_roles::leave_handing_off(db, publisher, room, user).await? {
        // After the leave commits: a client reconnecting before it would get the room back.
        publisher.revoke_realtime_access_after_commit(user);
        let data = json!({"roomId": room, "userId": user});
        publisher.enqueue(db, &[Effect::Webhook { event: WebhookType::RoomMemberLeft, data: data.clone() }]).await?;
        publisher.publish(Event::new("room-member-left", vec![ConversationKey::room(room).channel()], data));
    }
    Ok(())
}
