//! A room's shape: its name and its first members, the rules a request is checked against before
//! anything is stored.

use super::{Invalid, Name, UserId, MAX_NAME_CHARS};
use std::collections::HashSet;

/// Room events reach members through their notification channels: one Pusher call has at most
/// 100 channels, so that is the room size.
pub const MAX_MEMBERS: usize = 100;

/// A room name: a [`Name`], the rule of every name people see.
pub fn room_name(raw: &str) -> Result<Name, Invalid> {
    Name::parse(raw).map_err(|problem| {
        Invalid::new(
            "invalid_name",
            format!("name {problem}: at most {MAX_NAME_CHARS} characters of plain text with a visible one"),
        )
    })
}

/// The creator first, then each other member once; at most [`MAX_MEMBERS`]. Linear in the
/// request, and it stops at the first member over the limit.
pub fn member_list(creator: &UserId, raw_ids: &[String]) -> Result<Vec<UserId>, Invalid> {
    let mut members = vec![creator.clone()];
    let mut seen: HashSet<UserId> = HashSet::from([creator.clone()]);
    for raw in raw_ids {
        let id = UserId::from_field(Some(raw), "memberIds")?;
        if seen.insert(id.clone()) {
            if members.len() == MAX_MEMBERS {
                return Err(Invalid::new("too_many_members", format!("a room has at most {MAX_MEMBERS} members")));
            }
            members.push(id);
        }
    }
    Ok(members)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_plain_text_of_1_to_100_characters() {
        assert_eq!(room_name("  Team  ").unwrap().as_str(), "Team");
        assert!(room_name(&"é".repeat(MAX_NAME_CHARS)).is_ok());
        for bad in ["", "   ", "a\nb", "\u{200B}", "\u{202E}evil", &"x".repeat(MAX_NAME_CHARS + 1)] {
            assert_eq!(room_name(bad).unwrap_err().code, "invalid_name", "{bad:?}");
        }
    }

    #[test]
    fn members_start_with_the_creator_and_appear_once() {
        let creator = UserId::parse("me").unwrap();
        let members = member_list(&creator, &["b".into(), "me".into(), "b".into(), "c".into()]).unwrap();
        let ids: Vec<&str> = members.iter().map(UserId::as_str).collect();
        assert_eq!(ids, ["me", "b", "c"]);
        assert_eq!(member_list(&creator, &["bad id".into()]).unwrap_err().code, "invalid_id");
        let many: Vec<String> = (0..MAX_MEMBERS).map(|i| format!("u{i}")).collect();
        assert_eq!(member_list(&creator, &many).unwrap_err().code, "too_many_members");
        assert_eq!(member_list(&creator, &many[..MAX_MEMBERS - 1]).unwrap().len(), MAX_MEMBERS);
        // Repeats do not count against the limit, however many there are.
        let repeats: Vec<String> = (0..50_000).map(|i| format!("u{}", i % 10)).collect();
        assert_eq!(member_list(&creator, &repeats).unwrap().len(), 11);
    }
}
