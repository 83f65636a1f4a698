//! Channel names, in one place so that the publishing side and `/api/pusher/auth` cannot disagree.

/// Pusher's channel-name alphabet and length limit. (Some self-hosted servers accept more; the
/// stricter hosted rules are enforced so code that works locally works in production.)
pub fn is_valid_channel_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-=@,.;".contains(&b))
}

/// A socket id as Pusher issues them: `<digits>.<digits>`.
pub fn is_valid_socket_id(socket_id: &str) -> bool {
    match socket_id.split_once('.') {
        Some((a, b)) => {
            !a.is_empty()
                && !b.is_empty()
                && a.len() <= 20
                && b.len() <= 20
                && a.bytes().all(|c| c.is_ascii_digit())
                && b.bytes().all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

/// The two participants of a 1:1 chat in the one order both sides use (byte order, as the
/// clients' string comparison and the database's `COLLATE "C"`).
pub fn ordered_pair<'a>(a: &'a str, b: &'a str) -> (&'a str, &'a str) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// The 1:1 chat channel: ids sorted so both participants compute the same name.
pub fn private_chat_channel(a: &str, b: &str) -> String {
    let (first, second) = ordered_pair(a, b);
    format!("private-chat-{first}-{second}")
}

pub fn notifications_channel(user_id: &str) -> String {
    format!("private-notifications-{user_id}")
}

pub fn presence_user_channel(user_id: &str) -> String {
    format!("presence-user-{user_id}")
}

pub fn room_channel(room_id: &str) -> String {
    format!("private-room-{room_id}")
}

/// The channels this product uses, as the auth endpoint and the webhook see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Channel {
    /// `private-chat-{a}-{b}`: only its two participants.
    PrivateChat,
    /// `private-notifications-{user}`: only that user.
    Notifications { user_id: String },
    /// `presence-user-{user}`: that user and their contacts.
    PresenceUser { user_id: String },
    /// `private-room-{room}`: the room's members.
    Room { room_id: String },
}

const PRIVATE_CHAT: &str = "private-chat-";
const NOTIFICATIONS: &str = "private-notifications-";
const PRESENCE_USER: &str = "presence-user-";
const ROOM: &str = "private-room-";

/// Classifies a channel name; `None` for anything this product does not use.
pub fn classify(name: &str) -> Option<Channel> {
    let id = |rest: &str| crate::auth::is_valid_id(rest).then(|| rest.to_owned());
    if name.starts_with(PRIVATE_CHAT) {
        Some(Channel::PrivateChat)
    } else if let Some(rest) = name.strip_prefix(NOTIFICATIONS) {
        id(rest).map(|user_id| Channel::Notifications { user_id })
    } else if let Some(rest) = name.strip_prefix(PRESENCE_USER) {
        id(rest).map(|user_id| Channel::PresenceUser { user_id })
    } else if let Some(rest) = name.strip_prefix(ROOM) {
        id(rest).map(|room_id| Channel::Room { room_id })
    } else {
        None
    }
}

/// For `private-chat-{a}-{b}`, the other participant when `caller` is one of the two. Ids may
/// contain `-` (UUIDs), so the name is read relative to the caller and then rebuilt: a name that
/// is not exactly what [`private_chat_channel`] makes, or a chat with oneself, gives `None`.
pub fn chat_partner(channel: &str, caller: &str) -> Option<String> {
    let rest = channel.strip_prefix(PRIVATE_CHAT)?;
    let after = rest.strip_prefix(caller).and_then(|r| r.strip_prefix('-'));
    let before = rest.strip_suffix(caller).and_then(|r| r.strip_suffix('-'));
    [after, before]
        .into_iter()
        .flatten()
        .find(|other| {
            *other != caller
                && crate::auth::is_valid_id(other)
                && private_chat_channel(caller, other) == channel
        })
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_partner_is_found_from_either_side_with_uuid_ids() {
        let a = "00000000-0000-4000-8000-00000000a11c";
        let b = "00000000-0000-4000-8000-000000000b0b";
        let channel = private_chat_channel(a, b);
        assert_eq!(chat_partner(&channel, a).as_deref(), Some(b));
        assert_eq!(chat_partner(&channel, b).as_deref(), Some(a));
        assert_eq!(chat_partner(&channel, "00000000-0000-4000-8000-0000000ca201"), None);
    }

    #[test]
    fn chat_partner_refuses_unsorted_self_and_malformed_names() {
        assert_eq!(chat_partner("private-chat-b-a", "a"), None, "ids must be sorted");
        assert_eq!(chat_partner("private-chat-a-a", "a"), None, "no chat with oneself");
        assert_eq!(chat_partner("private-chat-a-", "a"), None);
        assert_eq!(chat_partner("private-chat-a", "a"), None);
        assert_eq!(chat_partner("private-chat-a-b.c", "a"), None);
        assert_eq!(chat_partner("private-chat-a-b", "a").as_deref(), Some("b"));
    }

    #[test]
    fn channels_are_classified_by_prefix() {
        assert_eq!(classify("presence-user-u1"), Some(Channel::PresenceUser { user_id: "u1".into() }));
        assert_eq!(classify("private-notifications-u1"), Some(Channel::Notifications { user_id: "u1".into() }));
        assert_eq!(classify("private-room-r1"), Some(Channel::Room { room_id: "r1".into() }));
        assert_eq!(classify("private-chat-a-b"), Some(Channel::PrivateChat));
        assert_eq!(classify("private-notifications-"), None);
        assert_eq!(classify("public-news"), None);
        assert_eq!(classify("private-encrypted-x"), None);
    }

    #[test]
    fn chat_channel_is_the_same_from_both_sides() {
        assert_eq!(private_chat_channel("b", "a"), "private-chat-a-b");
        assert_eq!(private_chat_channel("a", "b"), "private-chat-a-b");
    }

    #[test]
    fn channel_names_follow_pushers_alphabet() {
        assert!(is_valid_channel_name("private-chat-a-b"));
        assert!(is_valid_channel_name("presence-user-x_y=z@w,v.u;t"));
        assert!(!is_valid_channel_name("private-chat-a:b"));
        assert!(!is_valid_channel_name("private#x"));
        assert!(!is_valid_channel_name(&"a".repeat(201)));
        assert!(!is_valid_channel_name(""));
    }

    #[test]
    fn socket_ids_are_two_digit_groups() {
        assert!(is_valid_socket_id("1234.5678"));
        assert!(!is_valid_socket_id("1234"));
        assert!(!is_valid_socket_id("12a4.5678"));
        assert!(!is_valid_socket_id(".5678"));
        assert!(!is_valid_socket_id("1.2\n"));
    }
}
