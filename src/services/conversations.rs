//! Which conversation a request names, and who may use it.

use crate::db::rooms::membership;
use crate::domain::{ConversationKey, Invalid, RoomId, UserId};
use crate::error::ApiError;
use tokio_postgres::GenericClient;

/// A conversation as a request names it: the other participant of a 1:1 chat (the seed's
/// `chatId`), a room, or the conversation's own key (`conversationId`, as payloads carry it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    With(UserId),
    Room(RoomId),
    Key(ConversationKey),
}

/// The names a request may use for its conversation.
#[derive(Debug, Default, Clone, Copy)]
pub struct TargetFields<'a> {
    pub chat_id: Option<&'a str>,
    pub room_id: Option<&'a str>,
    pub conversation_id: Option<&'a str>,
}

impl Target {
    /// Exactly one of `chatId` (the other user), `roomId` and `conversationId`.
    pub fn from_fields(fields: TargetFields<'_>) -> Result<Self, Invalid> {
        match (fields.chat_id, fields.room_id, fields.conversation_id) {
            (Some(other), None, None) => UserId::from_field(Some(other), "chatId").map(Self::With),
            (None, Some(room), None) => RoomId::from_field(Some(room), "roomId").map(Self::Room),
            (None, None, Some(key)) => ConversationKey::parse(key).map(Self::Key),
            _ => Err(Invalid::new("invalid_body", "send exactly one of chatId, roomId and conversationId")),
        }
    }
}

/// The conversation's key for `caller`: a chat with someone else, or a room the caller is in.
pub async fn resolve(db: &impl GenericClient, caller: &UserId, target: &Target) -> Result<ConversationKey, ApiError> {
    match target {
        Target::With(other) => Ok(ConversationKey::private(caller, other)?),
        Target::Room(room) | Target::Key(ConversationKey::Room(room)) => {
            require_member(db, room, caller).await?;
            Ok(ConversationKey::room(room))
        }
        Target::Key(key @ ConversationKey::Private { .. }) => match key.other_participant(caller) {
            Some(_) => Ok(key.clone()),
            None => Err(ApiError::forbidden("not_a_participant", "you are not part of this conversation")),
        },
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

    fn target(chat_id: Option<&str>, room_id: Option<&str>, conversation_id: Option<&str>) -> Result<Target, Invalid> {
        Target::from_fields(TargetFields { chat_id, room_id, conversation_id })
    }

    #[test]
    fn a_request_names_exactly_one_conversation() {
        assert_eq!(target(Some("u2"), None, None).unwrap(), Target::With(UserId::parse("u2").unwrap()));
        assert_eq!(target(None, Some("r1"), None).unwrap(), Target::Room(RoomId::parse("r1").unwrap()));
        assert_eq!(target(None, None, Some("a:b")).unwrap(), Target::Key(ConversationKey::parse("a:b").unwrap()));
        assert_eq!(target(Some("a"), Some("b"), None).unwrap_err().code, "invalid_body");
        assert_eq!(target(Some("a"), None, Some("a:b")).unwrap_err().code, "invalid_body");
        assert_eq!(target(None, None, None).unwrap_err().code, "invalid_body");
        assert_eq!(target(Some("a b"), None, None).unwrap_err().code, "invalid_id");
        assert_eq!(target(None, None, Some("b:a")).unwrap_err().code, "invalid_conversation_id");
    }
}
