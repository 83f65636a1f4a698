//! Which conversation a request names, and who may use it.

use crate::db::rooms::membership;
use crate::domain::{ConversationKey, Invalid, RoomId, UserId};
use crate::error::ApiError;
use tokio_postgres::GenericClient;

/// A conversation as a request names it: the other participant of a 1:1 chat (the seed's
/// `chatId`) or a room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    With(UserId),
    Room(RoomId),
}

impl Target {
    /// Exactly one of `chatId` (the other user) and `roomId`.
    pub fn from_fields(chat_id: Option<&str>, room_id: Option<&str>) -> Result<Self, Invalid> {
        match (chat_id, room_id) {
            (Some(other), None) => UserId::from_field(Some(other), "chatId").map(Self::With),
            (None, Some(room)) => RoomId::from_field(Some(room), "roomId").map(Self::Room),
            _ => Err(Invalid::new("invalid_body", "send exactly one of chatId and roomId")),
        }
    }
}

/// The conversation's key for `caller`: a chat with someone else, or a room the caller is in.
pub async fn resolve(db: &impl GenericClient, caller: &UserId, target: &Target) -> Result<ConversationKey, ApiError> {
    match target {
        Target::With(other) => Ok(ConversationKey::private(caller, other)?),
        Target::Room(room) => {
            require_member(db, room, caller).await?;
            Ok(ConversationKey::room(room))
        }
    }
}

/// 404 for an unknown room, 403 for a room the user is not in.
pub async fn require_member(db: &impl GenericClient, room: &RoomId, user: &UserId) -> Result<(), ApiError> {
    match membership(db, room, user).await? {
        (false, _) => Err(ApiError::NotFound),
        (true, false) => Err(ApiError::forbidden("not_a_member", "you are not a member of this room")),
        (true, true) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_names_exactly_one_conversation() {
        let with = Target::from_fields(Some("u2"), None).unwrap();
        assert_eq!(with, Target::With(UserId::parse("u2").unwrap()));
        assert_eq!(Target::from_fields(None, Some("r1")).unwrap(), Target::Room(RoomId::parse("r1").unwrap()));
        assert_eq!(Target::from_fields(Some("a"), Some("b")).unwrap_err().code, "invalid_body");
        assert_eq!(Target::from_fields(None, None).unwrap_err().code, "invalid_body");
        assert_eq!(Target::from_fields(Some("a b"), None).unwrap_err().code, "invalid_id");
    }
}
