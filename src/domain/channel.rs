//! Pusher channel names and socket ids. Names are built and parsed by the one type here, so the
//! publishing side and the authorization endpoint cannot disagree.

use super::{ConversationKey, Invalid, RoomId, UserId};
use std::fmt;

const PRIVATE_CHAT: &str = "private-chat-";
const NOTIFICATIONS: &str = "private-notifications-";
const PRESENCE_USER: &str = "presence-user-";
const PRESENCE_CHAT: &str = "presence-chat-";
const ROOM: &str = "private-room-";
const PRIVATE: &str = "private-";
const ENCRYPTED: &str = "encrypted-";

/// A channel name within Pusher's alphabet and length limit. (Some self-hosted servers accept
/// more; the stricter hosted rules hold so code that works locally works in production.)
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct ChannelName(String);

/// The channels this product uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelKind {
    /// `private-chat-{a}-{b}`: only its two participants (see [`ChannelName::chat_partner`]).
    PrivateChat,
    /// `private-notifications-{user}`: only that user.
    Notifications(UserId),
    /// `presence-user-{user}`: that user and their contacts.
    PresenceUser(UserId),
    /// `presence-chat-{a}-{b}`: the two participants while they have the chat open (it carries no
    /// events; its members tell the server who has the chat open, see `"ChatPresence"`).
    PresenceChat,
    /// `private-room-{room}`: the room's members.
    Room(RoomId),
}

impl ChannelName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let valid = !raw.is_empty()
            && raw.len() <= 200
            && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-=@,.;".contains(&b));
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Invalid::new("invalid_channel_name", "channel_name is not a valid Pusher channel name"))
        }
    }

    /// The 1:1 chat channel: the pair in [`ConversationKey`]'s order, so both sides build the same name.
    pub fn private_chat(low: &UserId, high: &UserId) -> Self {
        Self(format!("{PRIVATE_CHAT}{low}-{high}"))
    }

    pub fn notifications(user: &UserId) -> Self {
        Self(format!("{NOTIFICATIONS}{user}"))
    }

    /// Who has the 1:1 chat open: the pair in [`ConversationKey`]'s order.
    pub fn presence_chat(low: &UserId, high: &UserId) -> Self {
        Self(format!("{PRESENCE_CHAT}{low}-{high}"))
    }

    pub fn presence_user(user: &UserId) -> Self {
        Self(format!("{PRESENCE_USER}{user}"))
    }

    pub fn room(room: &RoomId) -> Self {
        Self(format!("{ROOM}{room}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The end-to-end encrypted twin of a private channel (`private-x` → `private-encrypted-x`);
    /// presence channels cannot be encrypted and stay as they are.
    pub fn encrypted(&self) -> Self {
        match self.0.strip_prefix(PRIVATE) {
            Some(rest) if !rest.starts_with(ENCRYPTED) => Self(format!("{PRIVATE}{ENCRYPTED}{rest}")),
            _ => self.clone(),
        }
    }

    /// The channel an encrypted one twins (`private-encrypted-x` → `private-x`); others as they are.
    pub fn unencrypted(&self) -> Self {
        match self.0.strip_prefix(PRIVATE).and_then(|rest| rest.strip_prefix(ENCRYPTED)) {
            Some(rest) => Self(format!("{PRIVATE}{rest}")),
            None => self.clone(),
        }
    }

    pub fn is_encrypted(&self) -> bool {
        self.0.strip_prefix(PRIVATE).is_some_and(|rest| rest.starts_with(ENCRYPTED))
    }

    /// What the channel is; `None` for anything this product does not use.
    pub fn kind(&self) -> Option<ChannelKind> {
        let name = self.0.as_str();
        if name.starts_with(PRIVATE_CHAT) {
            Some(ChannelKind::PrivateChat)
        } else if name.starts_with(PRESENCE_CHAT) {
            Some(ChannelKind::PresenceChat)
        } else if let Some(rest) = name.strip_prefix(NOTIFICATIONS) {
            UserId::parse(rest).ok().map(ChannelKind::Notifications)
        } else if let Some(rest) = name.strip_prefix(PRESENCE_USER) {
            UserId::parse(rest).ok().map(ChannelKind::PresenceUser)
        } else if let Some(rest) = name.strip_prefix(ROOM) {
            RoomId::parse(rest).ok().map(ChannelKind::Room)
        } else {
            None
        }
    }

    /// For `private-chat-{a}-{b}` (or `presence-chat-{a}-{b}`), the other participant when `caller`
    /// is one of the two. Ids may contain `-` (UUIDs), so the name is read relative to the caller
    /// and then rebuilt: a name that is not exactly what [`ConversationKey::channel`] (or
    /// [`ConversationKey::presence_channel`]) makes, or a chat with oneself, gives `None`.
    pub fn chat_partner(&self, caller: &UserId) -> Option<UserId> {
        let presence = self.0.starts_with(PRESENCE_CHAT);
        let rest = self.0.strip_prefix(PRIVATE_CHAT).or_else(|| self.0.strip_prefix(PRESENCE_CHAT))?;
        let caller_str = caller.as_str();
        let after = rest.strip_prefix(caller_str).and_then(|r| r.strip_prefix('-'));
        let before = rest.strip_suffix(caller_str).and_then(|r| r.strip_suffix('-'));
        [after, before].into_iter().flatten().find_map(|other| {
            let other = UserId::parse(other).ok()?;
            let key = ConversationKey::private(caller, &other).ok()?;
            let rebuilt = if presence { key.presence_channel()? } else { key.channel() };
            (rebuilt == *self).then_some(other)
        })
    }
}

impl fmt::Display for ChannelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A connection id as Pusher issues them: `<digits>.<digits>`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct SocketId(String);

impl SocketId {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let group = |g: &str| !g.is_empty() && g.len() <= 20 && g.bytes().all(|c| c.is_ascii_digit());
        match raw.split_once('.') {
            Some((a, b)) if group(a) && group(b) => Ok(Self(raw.to_owned())),
            _ => Err(Invalid::new("invalid_socket_id", "socket id must look like 1234.5678")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str) -> UserId {
        UserId::parse(id).unwrap()
    }

    fn partner(channel: &str, caller: &str) -> Option<String> {
        ChannelName::parse(channel).unwrap().chat_partner(&user(caller)).map(|u| u.to_string())
    }

    #[test]
    fn chat_partner_is_found_from_either_side_with_uuid_ids() {
        let a = user("00000000-0000-4000-8000-00000000a11c");
        let b = user("00000000-0000-4000-8000-000000000b0b");
        let channel = ConversationKey::private(&a, &b).unwrap().channel();
        assert_eq!(channel.chat_partner(&a), Some(b.clone()));
        assert_eq!(channel.chat_partner(&b), Some(a));
        assert_eq!(channel.chat_partner(&user("00000000-0000-4000-8000-0000000ca201")), None);
    }

    #[test]
    fn presence_chat_channels_name_the_same_pair() {
        let (a, b) = (user("a"), user("b"));
        let channel = ConversationKey::private(&b, &a).unwrap().presence_channel().unwrap();
        assert_eq!(channel.as_str(), "presence-chat-a-b");
        assert_eq!(channel.kind(), Some(ChannelKind::PresenceChat));
        assert_eq!(channel.chat_partner(&a), Some(b.clone()));
        assert_eq!(channel.chat_partner(&b), Some(a));
        assert_eq!(partner("presence-chat-b-a", "a"), None, "ids must be sorted");
        assert_eq!(partner("presence-chat-a-a", "a"), None);
        assert_eq!(channel.encrypted(), channel, "presence channels have no encrypted twin");
    }

    #[test]
    fn chat_partner_refuses_unsorted_self_and_malformed_names() {
        assert_eq!(partner("private-chat-b-a", "a"), None, "ids must be sorted");
        assert_eq!(partner("private-chat-a-a", "a"), None, "no chat with oneself");
        assert_eq!(partner("private-chat-a-", "a"), None);
        assert_eq!(partner("private-chat-a", "a"), None);
        assert_eq!(partner("private-chat-a-b.c", "a"), None);
        assert_eq!(partner("private-chat-a-b", "a").as_deref(), Some("b"));
        assert_eq!(partner("private-chat-a-b", "b").as_deref(), Some("a"));
    }

    #[test]
    fn private_channels_have_an_encrypted_twin_and_presence_channels_none() {
        let user = user("u1");
        for plain in [ChannelName::notifications(&user), ChannelName::room(&RoomId::parse("r1").unwrap())] {
            let twin = plain.encrypted();
            assert!(twin.as_str().starts_with("private-encrypted-") && twin.is_encrypted(), "{twin}");
            assert_eq!(twin.encrypted(), twin, "encrypting twice changes nothing");
            assert_eq!(twin.unencrypted(), plain);
            assert!(!plain.is_encrypted());
        }
        assert_eq!(ChannelName::notifications(&user).encrypted().as_str(), "private-encrypted-notifications-u1");
        let presence = ChannelName::presence_user(&user);
        assert_eq!((presence.encrypted(), presence.is_encrypted()), (presence.clone(), false));
        assert_eq!(
            ChannelName::parse("private-encrypted-chat-a-b").unwrap().unencrypted().as_str(),
            "private-chat-a-b"
        );
    }

    #[test]
    fn channels_are_classified_by_prefix() {
        let kind = |name: &str| ChannelName::parse(name).unwrap().kind();
        assert_eq!(kind("presence-user-u1"), Some(ChannelKind::PresenceUser(user("u1"))));
        assert_eq!(kind("private-notifications-u1"), Some(ChannelKind::Notifications(user("u1"))));
        assert_eq!(kind("private-room-r1"), Some(ChannelKind::Room(RoomId::parse("r1").unwrap())));
        assert_eq!(kind("private-chat-a-b"), Some(ChannelKind::PrivateChat));
        assert_eq!(kind("private-notifications-"), None);
        assert_eq!(kind("public-news"), None);
        assert_eq!(kind("private-encrypted-x"), None);
    }

    #[test]
    fn built_names_parse_back_to_their_kind() {
        let u = user("u-1");
        let r = RoomId::parse("r_1").unwrap();
        for (name, kind) in [
            (ChannelName::notifications(&u), ChannelKind::Notifications(u.clone())),
            (ChannelName::presence_user(&u), ChannelKind::PresenceUser(u.clone())),
            (ChannelName::room(&r), ChannelKind::Room(r.clone())),
        ] {
            assert_eq!(ChannelName::parse(name.as_str()).unwrap().kind(), Some(kind));
        }
        assert_eq!(ChannelName::notifications(&u).as_str(), "private-notifications-u-1");
        assert_eq!(ChannelName::notifications(&u).to_string(), "private-notifications-u-1");
        assert_eq!(ChannelName::presence_user(&u).as_str(), "presence-user-u-1");
        assert_eq!(ChannelName::room(&r).as_str(), "private-room-r_1");
    }

    #[test]
    fn channel_names_follow_pushers_alphabet() {
        assert!(ChannelName::parse("private-chat-a-b").is_ok());
        assert!(ChannelName::parse("presence-user-x_y=z@w,v.u;t").is_ok());
        assert!(ChannelName::parse(&"a".repeat(200)).is_ok());
        for bad in ["private-chat-a:b", "private#x", "", &"a".repeat(201)] {
            assert_eq!(ChannelName::parse(bad).unwrap_err().code, "invalid_channel_name", "{bad:?}");
        }
    }

    #[test]
    fn socket_ids_are_two_digit_groups() {
        assert!(SocketId::parse("1234.5678").is_ok());
        assert!(SocketId::parse(&format!("{0}.{0}", "1".repeat(20))).is_ok());
        for bad in ["1234", "12a4.5678", ".5678", "1.", "1.2\n", &format!("{}.1", "1".repeat(21))] {
            assert_eq!(SocketId::parse(bad).unwrap_err().code, "invalid_socket_id", "{bad:?}");
        }
    }
}
