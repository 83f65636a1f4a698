//! Identifiers of users, rooms and client-side message ids.

use super::Invalid;
use std::fmt;

/// The one id format: 1-64 of `A-Za-z0-9_-`. Ids end up in channel names, so they stay within
/// Pusher's channel alphabet and short.
fn is_valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $code:literal, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn parse(raw: &str) -> Result<Self, Invalid> {
                if is_valid_id(raw) {
                    Ok(Self(raw.to_owned()))
                } else {
                    Err(Invalid::new($code, concat!($what, " must be 1-64 characters of A-Z, a-z, 0-9, '-' or '_'")))
                }
            }

            /// Reads a named request field: missing is `missing_field`, malformed is `invalid_id`
            /// naming the field.
            pub fn from_field(raw: Option<&str>, field: &'static str) -> Result<Self, Invalid> {
                match raw {
                    Some(raw) if is_valid_id(raw) => Ok(Self(raw.to_owned())),
                    Some(_) => Err(Invalid::new($code, format!("{field} is not a valid id"))),
                    None => Err(Invalid::new("missing_field", format!("{field} is required"))),
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

id_type!(
    /// A user: the `sub` of their access token and the `"User"."id"` of their profile.
    UserId, "invalid_id", "a user id"
);
id_type!(
    /// A room (`"Room"."id"`).
    RoomId, "invalid_id", "a room id"
);
id_type!(
    /// A stored message (`"Message"."id"`).
    MessageId, "invalid_id", "a message id"
);
id_type!(
    /// An uploaded file (`"Upload"."id"`), before and after a message carries it.
    UploadId, "invalid_id", "an upload id"
);
id_type!(
    /// The sender's own id for a message, unique per sender: repeats of a send are idempotent.
    ClientMessageId, "invalid_client_message_id", "clientMessageId"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_short_tokens_of_the_channel_alphabet() {
        for ok in ["u1", "00000000-0000-4000-8000-00000000a11c", "A_b-9", &"x".repeat(64)] {
            assert_eq!(UserId::parse(ok).unwrap().as_str(), ok);
        }
        for bad in ["", "a b", "a:b", "a.b", "é", "a\u{0}", &"x".repeat(65)] {
            assert_eq!(UserId::parse(bad).unwrap_err().code, "invalid_id", "{bad:?}");
        }
    }

    #[test]
    fn fields_name_themselves_when_missing_or_malformed() {
        let missing = RoomId::from_field(None, "roomId").unwrap_err();
        assert_eq!((missing.code, missing.message.as_str()), ("missing_field", "roomId is required"));
        let bad = RoomId::from_field(Some("a b"), "roomId").unwrap_err();
        assert_eq!((bad.code, bad.message.as_str()), ("invalid_id", "roomId is not a valid id"));
    }

    #[test]
    fn client_message_ids_have_their_own_error_code() {
        assert_eq!(ClientMessageId::parse("3f2c-AB_9").unwrap().as_str(), "3f2c-AB_9");
        assert_eq!(ClientMessageId::parse("has space").unwrap_err().code, "invalid_client_message_id");
        assert_eq!(ClientMessageId::parse(&"x".repeat(65)).unwrap_err().code, "invalid_client_message_id");
    }

    #[test]
    fn ids_serialise_as_plain_strings() {
        assert_eq!(serde_json::to_string(&UserId::parse("u1").unwrap()).unwrap(), r#""u1""#);
    }
}
