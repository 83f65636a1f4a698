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

/// The 1:1 chat channel: ids sorted so both participants compute the same name.
pub fn private_chat_channel(a: &str, b: &str) -> String {
    let (first, second) = if a <= b { (a, b) } else { (b, a) };
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

#[cfg(test)]
mod tests {
    use super::*;

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
