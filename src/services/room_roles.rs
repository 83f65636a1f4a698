//! Room roles: the owner names admins; admins remove and ban members, delete others' messages,
//! rename the room and choose who may invite. A role acts only on roles below it (the owner on
//! everyone, an admin on plain members). Every change locks the room's row first
//! (`db::room_roles::lock_room`), so two of them on one room never interleave: two admins removing
//! each other, or the owner leaving while promoting someone, run one after the other and the
//! second sees what the first did. A removed or banned member's signed-in connections are closed
//! after the commit, as a leaver's are, and every change is announced on the room's channel
//! (and the affected user's notifications channel) and to the app's backend.

use super::outbox::{Effect, WebhookType};
use super::{Event, Publisher};
use crate::db::messages::Message;
use crate::db::rate_limit::{take, Bucket};
use crate::db::room_roles::{
    ban, banned_among, bans, end_membership, headcount, invitations, invite, lock_room, members, owner_of, role_of,
    room_settings, set_role, unban, update_room, RoomSettings,
};
use crate::db::rooms::{decline_invitation, unknown_users};
use crate::domain::{room_name, ChannelName, ConversationKey, Invalid, RoomId, UserId, MAX_MEMBERS};
use crate::error::ApiError;
use serde_json::{json, Value};
use std::collections::HashSet;
use tokio_postgres::GenericClient;

/// A member's standing in a room, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Member,
    Admin,
    Owner,
}

impl Role {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "member" => Some(Self::Member),
            "admin" => Some(Self::Admin),
            "owner" => Some(Self::Owner),
            _ => None,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Admin => "admin",
            Self::Owner => "owner",
        }
    }

    /// Whether this role may remove, ban or moderate someone holding `other`: the owner acts on
    /// everyone else, an admin on plain members only.
    pub fn outranks(self, other: Self) -> bool {
        match self {
            Self::Owner => other != Self::Owner,
            Self::Admin => other == Self::Member,
            Self::Member => false,
        }
    }
}

/// The role a request asks for (`PATCH /api/rooms/members`): `owner` hands the room over.
pub fn requested_role(raw: &str) -> Result<Role, Invalid> {
    Role::parse(raw).ok_or_else(|| Invalid::new("invalid_role", "role must be \"owner\", \"admin\" or \"member\""))
}

/// Who may invite: `members` (everyone in the room) or `admins` (the owner and admins).
pub fn invite_policy(raw: &str) -> Result<&'static str, Invalid> {
    match raw {
        "members" => Ok("members"),
        "admins" => Ok("admins"),
        _ => Err(Invalid::new("invalid_invite_policy", "invitePolicy must be \"members\" or \"admins\"")),
    }
}

/// The users an invitation names: each once, at most [`MAX_MEMBERS`], at least one.
pub fn invitee_list(raw_ids: &[String]) -> Result<Vec<UserId>, Invalid> {
    let mut seen = HashSet::new();
    let mut ids = Vec::new();
    for raw in raw_ids {
        let id = UserId::from_field(Some(raw), "userIds")?;
        if seen.insert(id.clone()) {
            if ids.len() == MAX_MEMBERS {
                return Err(Invalid::new("too_many_members", format!("a room has at most {MAX_MEMBERS} members")));
            }
            ids.push(id);
        }
    }
    if ids.is_empty() {
        return Err(Invalid::new("invalid_body", "userIds must name at least one user"));
    }
    Ok(ids)
}

fn not_a_member() -> ApiError {
    ApiError::forbidden("not_a_member", "you are not a member of this room")
}

fn stored_role(raw: &str) -> Result<Role, ApiError> {
    Role::parse(raw).ok_or_else(|| ApiError::internal(format!("unknown room role {raw:?}")))
}

/// Locks the room and answers its settings and the caller's role: 404 for an unknown room, 403
/// for a caller who is not a member (an invitee, a banned user, a stranger).
async fn locked_actor(
    db: &impl GenericClient,
    room: &RoomId,
    caller: &UserId,
) -> Result<(RoomSettings, Role), ApiError> {
    let settings = lock_room(db, room).await?.ok_or(ApiError::NotFound)?;
    let role = role_of(db, room, caller, false).await?.ok_or_else(not_a_member)?;
    Ok((settings, stored_role(&role)?))
}

fn require_admin(role: Role) -> Result<(), ApiError> {
    match role >= Role::Admin {
        true => Ok(()),
        false => Err(ApiError::forbidden("not_an_admin", "only the room's owner and admins may do this")),
    }
}

/// Announces a change on the room's channel and, when it concerns one user, on theirs; and to the
/// app's backend.
async fn announce(
    db: &impl GenericClient,
    publisher: &Publisher,
    room: &RoomId,
    event: &'static str,
    webhook: WebhookType,
    concerns: Option<&str>,
    data: Value,
) -> Result<(), ApiError> {
    publisher.enqueue(db, &[Effect::Webhook { event: webhook, data: data.clone() }]).await?;
    let mut channels = vec![ConversationKey::room(room).channel()];
    if let Some(user) = concerns.and_then(|id| UserId::parse(id).ok()) {
        channels.push(ChannelName::notifications(&user));
    }
    publisher.publish(Event::new(event, channels, data));
    Ok(())
}

/// The member list: the room's settings with the caller's role, its members with theirs, its open
/// invitations, and (for the owner and admins) its bans.
pub async fn list(db: &impl GenericClient, room: &RoomId, caller: &UserId) -> Result<Value, ApiError> {
    let settings = room_settings(db, room).await?.ok_or(ApiError::NotFound)?;
    let role = stored_role(&role_of(db, room, caller, false).await?.ok_or_else(not_a_member)?)?;
    let mut answer = json!({
        "room": {"id": settings.id, "name": settings.name, "invitePolicy": settings.invite_policy},
        "role": role.as_str(),
        "members": members(db, room).await?,
        "invitations": invitations(db, room).await?,
    });
    if role >= Role::Admin {
        answer["bans"] = serde_json::to_value(bans(db, room).await?).map_err(ApiError::internal)?;
    }
    Ok(answer)
}

/// A member invites more users: anyone under the `members` policy, the owner and admins under
/// `admins`. Banned users are refused (403); members and open invitations are left as they are.
pub async fn invite_users(
    db: &impl GenericClient,
    publisher: &Publisher,
    room: &RoomId,
    caller: &UserId,
    users: &[UserId],
    limit: Bucket,
) -> Result<Vec<String>, ApiError> {
    let (settings, role) = locked_actor(db, room, caller).await?;
    if settings.invite_policy == "admins" && role < Role::Admin {
        return Err(ApiError::forbidden("invite_not_allowed", "only the room's owner and admins may invite here"));
    }
    let ids: Vec<&str> = users.iter().map(UserId::as_str).collect();
    let banned = banned_among(db, room, &ids).await?;
    if !banned.is_empty() {
        return Err(ApiError::forbidden("banned_from_room", format!("banned from this room: {}", banned.join(", "))));
    }
    let missing = unknown_users(db, &users.iter().collect::<Vec<_>>()).await?;
    if !missing.is_empty() {
        return Err(ApiError::unprocessable("unknown_members", format!("unknown user ids: {}", missing.join(", "))));
    }
    if headcount(db, room).await? + users.len() as i64 > MAX_MEMBERS as i64 {
        return Err(ApiError::unprocessable("too_many_members", format!("a room has at most {MAX_MEMBERS} members")));
    }
    if let Err(retry_after_secs) = take(db, &format!("room-invites:{caller}"), limit).await? {
        return Err(ApiError::TooManyRequests { retry_after_secs });
    }
    let invited = invite(db, room, caller, &ids).await?;
    if invited.is_empty() {
        return Ok(invited);
    }
    let push = Effect::PushInvitation {
        room_id: settings.id.clone(),
        room_name: settings.name.clone(),
        invited_by: caller.to_string(),
        invitees: invited.clone(),
    };
    publisher.enqueue(db, &[push]).await?;
    let channels: Vec<ChannelName> =
        invited.iter().filter_map(|id| UserId::parse(id).ok()).map(|id| ChannelName::notifications(&id)).collect();
    let invitation = json!({"room": {"id": settings.id, "name": settings.name}, "invitedBy": caller});
    publisher.publish(Event::new("room-invitation", channels, invitation));
    let data = json!({"roomId": room, "userIds": invited, "by": caller});
    announce(db, publisher, room, "room-member-invited", WebhookType::RoomMemberInvited, None, data).await?;
    Ok(invited)
}

/// The owner makes a member an admin or a member again, or hands the room over (`owner`: the
/// owner becomes an admin). The role the member has afterwards.
pub async fn change_role(
    db: &impl GenericClient,
    publisher: &Publisher,
    room: &RoomId,
    caller: &UserId,
    target: &UserId,
    wanted: Role,
) -> Result<Role, ApiError> {
    let (_, role) = locked_actor(db, room, caller).await?;
    if role != Role::Owner {
        return Err(ApiError::forbidden("not_owner", "only the room's owner may change roles"));
    }
    if target == caller {
        return Err(ApiError::unprocessable("own_role", "the owner keeps their role until they hand the room over"));
    }
    let current = role_of(db, room, target, false).await?.ok_or(ApiError::NotFound)?;
    let current = stored_role(&current)?;
    if current == wanted {
        return Ok(current);
    }
    if wanted == Role::Owner {
        // The old owner steps down first: a room has one owner at every moment.
        set_role(db, room, caller, Role::Admin.as_str()).await?;
    }
    set_role(db, room, target, wanted.as_str()).await?;
    let changed =
        |user: &UserId, role: Role| json!({"roomId": room, "userId": user, "role": role.as_str(), "by": caller});
    if wanted == Role::Owner {
        let data = changed(caller, Role::Admin);
        let event = WebhookType::RoomMemberRoleChanged;
        announce(db, publisher, room, "room-member-role-changed", event, Some(caller.as_str()), data).await?;
    }
    let data = changed(target, wanted);
    let event = WebhookType::RoomMemberRoleChanged;
    announce(db, publisher, room, "room-member-role-changed", event, Some(target.as_str()), data).await?;
    Ok(wanted)
}

/// What removing did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Removal {
    /// They were a member, and are not any more.
    pub removed: bool,
    /// Their open invitation was withdrawn.
    pub uninvited: bool,
    /// They are banned now (and were not before).
    pub banned: bool,
}

/// An admin removes a member (or withdraws an invitation), and with `and_ban` bans them too
/// (which also works on someone who is neither: they can then not be invited). The owner may
/// remove anyone else; an admin only plain members.
pub async fn remove(
    db: &impl GenericClient,
    publisher: &Publisher,
    room: &RoomId,
    caller: &UserId,
    target: &UserId,
    and_ban: bool,
) -> Result<Removal, ApiError> {
    let (_, role) = locked_actor(db, room, caller).await?;
    require_admin(role)?;
    if target == caller {
        return Err(ApiError::unprocessable("cannot_remove_self", "leave the room with DELETE /api/rooms instead"));
    }
    let target_role = role_of(db, room, target, false).await?;
    if let Some(theirs) = target_role.as_deref() {
        if !role.outranks(stored_role(theirs)?) {
            return Err(ApiError::forbidden("outranked", "only the room's owner may remove or ban an admin"));
        }
    }
    let removed = target_role.is_some() && end_membership(db, room, target).await?.is_some();
    let uninvited = !removed && decline_invitation(db, room, target).await?;
    let banned = if and_ban {
        if !unknown_users(db, &[target]).await?.is_empty() {
            return Err(ApiError::NotFound);
        }
        ban(db, room, target, caller).await?
    } else {
        false
    };
    if !removed && !uninvited && !and_ban {
        return Err(ApiError::NotFound);
    }
    if removed {
        // After the commit: a client reconnecting before it would get the room back.
        publisher.revoke_realtime_access_after_commit(target);
    }
    let data = json!({"roomId": room, "userId": target, "by": caller});
    if removed || uninvited {
        let event = WebhookType::RoomMemberRemoved;
        announce(db, publisher, room, "room-member-removed", event, Some(target.as_str()), data.clone()).await?;
    }
    if banned {
        announce(db, publisher, room, "room-member-banned", WebhookType::RoomMemberBanned, Some(target.as_str()), data)
            .await?;
    }
    Ok(Removal { removed, uninvited, banned })
}

/// An admin lifts a ban (the user may be invited again); `true` when there was one.
pub async fn lift_ban(
    db: &impl GenericClient,
    publisher: &Publisher,
    room: &RoomId,
    caller: &UserId,
    target: &UserId,
) -> Result<bool, ApiError> {
    let (_, role) = locked_actor(db, room, caller).await?;
    require_admin(role)?;
    let lifted = unban(db, room, target).await?;
    if lifted {
        let data = json!({"roomId": room, "userId": target, "by": caller});
        let event = WebhookType::RoomMemberUnbanned;
        announce(db, publisher, room, "room-member-unbanned", event, Some(target.as_str()), data).await?;
    }
    Ok(lifted)
}

/// An admin renames the room and/or sets who may invite; the settings after.
pub async fn update(
    db: &impl GenericClient,
    publisher: &Publisher,
    room: &RoomId,
    caller: &UserId,
    name: Option<&str>,
    policy: Option<&str>,
) -> Result<RoomSettings, ApiError> {
    let name = name.map(room_name).transpose()?;
    let policy = policy.map(invite_policy).transpose()?;
    if name.is_none() && policy.is_none() {
        return Err(ApiError::unprocessable("invalid_body", "give name and/or invitePolicy"));
    }
    let (before, role) = locked_actor(db, room, caller).await?;
    require_admin(role)?;
    let after = update_room(db, room, name.as_ref().map(|n| n.as_str()), policy).await?.ok_or(ApiError::NotFound)?;
    if after != before {
        let data = json!({"roomId": room, "name": after.name, "invitePolicy": after.invite_policy, "by": caller});
        announce(db, publisher, room, "room-updated", WebhookType::RoomUpdated, None, data).await?;
    }
    Ok(after)
}

/// Ends the caller's own membership (leaving) under the room's lock; when the owner leaves, the
/// room passes to the longest-standing admin, else the longest-standing member, which the room
/// hears as `room-member-role-changed`. `true` when they were a member.
pub async fn leave_handing_off(
    db: &impl GenericClient,
    publisher: &Publisher,
    room: &RoomId,
    user: &UserId,
) -> Result<bool, ApiError> {
    lock_room(db, room).await?;
    let Some(role) = end_membership(db, room, user).await? else {
        return Ok(false);
    };
    if role == Role::Owner.as_str() {
        if let Some(heir) = owner_of(db, room).await? {
            let data = json!({"roomId": room, "userId": heir, "role": "owner", "by": null});
            let event = WebhookType::RoomMemberRoleChanged;
            announce(db, publisher, room, "room-member-role-changed", event, Some(&heir), data).await?;
        }
    }
    Ok(true)
}

/// Whether `caller` deletes `message` as a moderator: it is someone else's message in a room
/// where the caller's role outranks its sender's (a sender no longer in the room counts as a
/// member). The caller's membership is held until the transaction ends, so a demotion cannot
/// slip in between.
pub async fn moderates(db: &impl GenericClient, message: &Message, caller: &UserId) -> Result<bool, ApiError> {
    if message.sender_id == caller.as_str() {
        return Ok(false);
    }
    let Ok(ConversationKey::Room(room)) = ConversationKey::parse(&message.conversation_id) else {
        return Ok(false);
    };
    let Some(mine) = role_of(db, &room, caller, true).await? else {
        return Ok(false);
    };
    let sender = UserId::parse(&message.sender_id).map_err(ApiError::internal)?;
    let theirs = match role_of(db, &room, &sender, false).await? {
        Some(role) => stored_role(&role)?,
        None => Role::Member,
    };
    Ok(stored_role(&mine)?.outranks(theirs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_owner_outranks_everyone_else_and_an_admin_only_members() {
        use Role::*;
        let table = [
            (Owner, Owner, false),
            (Owner, Admin, true),
            (Owner, Member, true),
            (Admin, Owner, false),
            (Admin, Admin, false),
            (Admin, Member, true),
            (Member, Owner, false),
            (Member, Admin, false),
            (Member, Member, false),
        ];
        for (actor, target, expected) in table {
            assert_eq!(actor.outranks(target), expected, "{actor:?} on {target:?}");
        }
        for role in [Owner, Admin, Member] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert!(Owner > Admin && Admin > Member);
    }

    #[test]
    fn requests_name_known_roles_and_policies_and_some_invitees() {
        assert_eq!(requested_role("admin").unwrap(), Role::Admin);
        assert_eq!(requested_role("Admin").unwrap_err().code, "invalid_role");
        assert_eq!(invite_policy("admins").unwrap(), "admins");
        assert_eq!(invite_policy("everyone").unwrap_err().code, "invalid_invite_policy");
        assert_eq!(invitee_list(&[]).unwrap_err().code, "invalid_body");
        assert_eq!(invitee_list(&["a".into(), "a".into(), "b".into()]).unwrap().len(), 2);
        assert_eq!(invitee_list(&["bad id".into()]).unwrap_err().code, "invalid_id");
        let many: Vec<String> = (0..=MAX_MEMBERS).map(|i| format!("u{i}")).collect();
        assert_eq!(invitee_list(&many).unwrap_err().code, "too_many_members");
    }
}
