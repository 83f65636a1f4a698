//! The key of a conversation: a 1:1 chat between two users, or a room.

use super::{ChannelName, Invalid, RoomId, UserId};
use std::fmt;

/// A conversation. One constructor orders a 1:1 pair (byte order, as clients' string comparison
/// and the database's `COLLATE "C"`), so every key, string form and channel name of a chat is the
/// same whichever participant builds it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ConversationKey {
    Private { low: UserId, high: UserId },
    Room(RoomId),
}

impl ConversationKey {
    /// The chat between two different users.
    pub fn private(a: &UserId, b: &UserId) -> Result<Self, Invalid> {
        if a == b {
            return Err(Invalid::new("cannot_message_self", "a chat needs two different users"));
        }
        let (low, high) = if a <= b { (a, b) } else { (b, a) };
        Ok(Self::Private { low: low.clone(), high: high.clone() })
    }

    pub fn room(room: &RoomId) -> Self {
        Self::Room(room.clone())
    }

    /// Reads the string form back (`"{low}:{high}"` or `"room:{roomId}"`).
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let invalid = || {
            Invalid::new("invalid_conversation_id", "conversationId must be \"{userId}:{userId}\" or \"room:{roomId}\"")
        };
        let (left, right) = raw.split_once(':').ok_or_else(invalid)?;
        if left == "room" {
            return RoomId::parse(right).map(Self::Room).map_err(|_| invalid());
        }
        let (low, high) = (UserId::parse(left).map_err(|_| invalid())?, UserId::parse(right).map_err(|_| invalid())?);
        let key = Self::private(&low, &high).map_err(|_| invalid())?;
        // Only the ordered form is a key; "b:a" names nothing.
        (key.to_string() == raw).then_some(key).ok_or_else(invalid)
    }

    pub fn channel(&self) -> ChannelName {
        match self {
            Self::Private { low, high } => ChannelName::private_chat(low, high),
            Self::Room(room) => ChannelName::room(room),
        }
    }

    /// The presence channel of a 1:1 chat (who has it open); rooms have none.
    pub fn presence_channel(&self) -> Option<ChannelName> {
        match self {
            Self::Private { low, high } => Some(ChannelName::presence_chat(low, high)),
            Self::Room(_) => None,
        }
    }

    pub fn room_id(&self) -> Option<&RoomId> {
        match self {
            Self::Room(room) => Some(room),
            Self::Private { .. } => None,
        }
    }

    /// The two participants of a 1:1 chat, in key order.
    pub fn participants(&self) -> Option<(&UserId, &UserId)> {
        match self {
            Self::Private { low, high } => Some((low, high)),
            Self::Room(_) => None,
        }
    }

    /// The participant of a 1:1 chat who is not `me`; `None` for rooms and for chats `me` is not in.
    pub fn other_participant(&self, me: &UserId) -> Option<&UserId> {
        match self {
            Self::Private { low, high } if low == me => Some(high),
            Self::Private { low, high } if high == me => Some(low),
            _ => None,
        }
    }

    /// The conversation kind as the database stores it.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Private { .. } => "private",
            Self::Room(_) => "room",
        }
    }
}

impl fmt::Display for ConversationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Private { low, high } => write!(f, "{low}:{high}"),
            Self::Room(room) => write!(f, "room:{room}"),
        }
    }
}

impl serde::Serialize for ConversationKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str) -> UserId {
        UserId::parse(id).unwrap()
    }

    #[test]
    fn a_pair_is_the_same_key_and_channel_from_both_sides() {
        let (a, b) = (user("b"), user("a"));
        let ab = ConversationKey::private(&a, &b).unwrap();
        assert_eq!(ab, ConversationKey::private(&b, &a).unwrap());
        assert_eq!(ab.to_string(), "a:b");
        assert_eq!(ab.channel().as_str(), "private-chat-a-b");
        assert_eq!(ab.participants(), Some((&b, &a)));
        assert_eq!(ab.other_participant(&a), Some(&b));
        assert_eq!(ab.other_participant(&b), Some(&a));
        assert_eq!(ab.other_participant(&user("c")), None);
        assert_eq!(ab.kind(), "private");
    }

    #[test]
    fn byte_order_puts_upper_case_before_lower_case() {
        let key = ConversationKey::private(&user("a"), &user("B")).unwrap();
        assert_eq!(key.to_string(), "B:a");
    }

    #[test]
    fn a_chat_with_oneself_is_refused() {
        assert_eq!(ConversationKey::private(&user("a"), &user("a")).unwrap_err().code, "cannot_message_self");
    }

    #[test]
    fn rooms_have_their_own_key_and_channel() {
        let key = ConversationKey::room(&RoomId::parse("r1").unwrap());
        assert_eq!(key.to_string(), "room:r1");
        assert_eq!(key.channel().as_str(), "private-room-r1");
        assert_eq!(key.kind(), "room");
        assert_eq!(key.room_id().map(RoomId::as_str), Some("r1"));
        assert_eq!(key.other_participant(&user("r1")), None);
        assert_eq!(serde_json::to_string(&key).unwrap(), r#""room:r1""#);
    }

    #[test]
    fn string_forms_parse_back_and_nothing_else_does() {
        for raw in ["a:b", "room:r1", "00000000-0000-4000-8000-000000000b0b:00000000-0000-4000-8000-00000000a11c"] {
            assert_eq!(ConversationKey::parse(raw).unwrap().to_string(), raw);
        }
        for bad in ["b:a", "a:a", "a", "a:b:c", "room:", ":b", "a b:c", "room:r 1"] {
            assert_eq!(ConversationKey::parse(bad).unwrap_err().code, "invalid_conversation_id", "{bad:?}");
        }
    }
}
