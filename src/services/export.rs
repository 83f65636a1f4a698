//! A user's data as JSON (`GET /api/me/export`), in pages so that an account of any size stays
//! within one function call's memory and time: the first page holds the profile and everything
//! bounded by conversations and rooms, then every page holds up to [`MESSAGES_PER_PAGE`] of the
//! messages they sent and then up to [`REACTIONS_PER_PAGE`] of their reactions, with
//! `nextCursor` naming where the next page starts (`null` on the last).
//!
//! Starting an export takes a token from a bucket of one an hour per user; the pages after it take
//! tokens from a looser bucket (a page is cheap, an export of a million messages is 1000 pages).

use crate::db::export;
use crate::db::rate_limit::{self, Bucket};
use crate::domain::{Invalid, UserId};
use crate::error::ApiError;
use serde_json::{json, Map, Value};
use tokio_postgres::GenericClient;

pub const MESSAGES_PER_PAGE: i64 = 1_000;
pub const REACTIONS_PER_PAGE: i64 = 5_000;
/// One export started per user and hour.
const EXPORT_START: Bucket = Bucket { capacity: 1.0, refill_per_second: 1.0 / 3600.0 };
/// The pages after the first: a burst of 2000, refilled at 2000 an hour.
const EXPORT_PAGE: Bucket = Bucket { capacity: 2_000.0, refill_per_second: 2_000.0 / 3600.0 };

/// Where a page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    /// The first page.
    Start,
    /// Messages after this id.
    Messages(String),
    /// Reactions after this (message id, emoji); `None`: from the first.
    Reactions(Option<(String, String)>),
}

impl Cursor {
    /// `m.<id>`, `r` or `r.<id>.<hex of the emoji>`; anything else is refused.
    pub fn parse(raw: Option<&str>) -> Result<Self, Invalid> {
        let bad = || Invalid::new("invalid_cursor", "cursor must be a nextCursor this route returned");
        let Some(raw) = raw else { return Ok(Self::Start) };
        if raw == "r" {
            return Ok(Self::Reactions(None));
        }
        let valid_id = |id: &str| crate::domain::MessageId::parse(id).is_ok();
        match raw.split('.').collect::<Vec<_>>().as_slice() {
            ["m", id] if valid_id(id) => Ok(Self::Messages((*id).to_owned())),
            ["r", id, emoji] if valid_id(id) => {
                let emoji = hex::decode(emoji).ok().and_then(|bytes| String::from_utf8(bytes).ok()).ok_or_else(bad)?;
                if emoji.is_empty() || emoji.len() > 64 {
                    return Err(bad());
                }
                Ok(Self::Reactions(Some(((*id).to_owned(), emoji))))
            }
            _ => Err(bad()),
        }
    }

    pub fn encode(&self) -> Option<String> {
        match self {
            Self::Start => None,
            Self::Messages(id) => Some(format!("m.{id}")),
            Self::Reactions(None) => Some("r".to_owned()),
            Self::Reactions(Some((id, emoji))) => Some(format!("r.{id}.{}", hex::encode(emoji))),
        }
    }
}

/// One page of `user`'s export, after taking its rate-limit token.
pub async fn page(db: &impl GenericClient, user: &UserId, cursor: &Cursor) -> Result<Value, ApiError> {
    let (key, bucket) = match cursor {
        Cursor::Start => (format!("export:{user}"), EXPORT_START),
        _ => (format!("export-page:{user}"), EXPORT_PAGE),
    };
    if let Err(retry_after_secs) = rate_limit::take(db, &key, bucket).await? {
        return Err(ApiError::TooManyRequests { retry_after_secs });
    }
    let user_id = user.as_str();
    let mut out = Map::new();
    out.insert("userId".into(), json!(user_id));
    out.insert("exportedAt".into(), json!(crate::domain::Timestamp::now()));
    if *cursor == Cursor::Start {
        out.insert("profile".into(), export::profile(db, user_id).await?);
        if let Value::Object(rest) = export::the_rest(db, user_id).await? {
            out.extend(rest);
        }
    }
    let mut messages = Vec::new();
    let mut reactions = Vec::new();
    let next = match cursor {
        Cursor::Start | Cursor::Messages(_) => {
            let after = match cursor {
                Cursor::Messages(id) => Some(id.as_str()),
                _ => None,
            };
            messages = export::messages(db, user_id, after, MESSAGES_PER_PAGE).await?;
            if messages.len() as i64 == MESSAGES_PER_PAGE {
                let last = messages.last().and_then(|m| m["id"].as_str()).unwrap_or_default().to_owned();
                Cursor::Messages(last)
            } else {
                Cursor::Reactions(None)
            }
        }
        Cursor::Reactions(after) => {
            let after = after.as_ref().map(|(id, emoji)| (id.as_str(), emoji.as_str()));
            let rows = export::reactions(db, user_id, after, REACTIONS_PER_PAGE).await?;
            let next = match rows.last() {
                Some((id, emoji, _)) if rows.len() as i64 == REACTIONS_PER_PAGE => {
                    Cursor::Reactions(Some((id.clone(), emoji.clone())))
                }
                _ => Cursor::Start,
            };
            reactions = rows.into_iter().map(|(_, _, value)| value).collect();
            next
        }
    };
    out.insert("messages".into(), Value::Array(messages));
    out.insert("reactions".into(), Value::Array(reactions));
    out.insert("nextCursor".into(), json!(next.encode()));
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_anything_else_is_refused() {
        for cursor in [
            Cursor::Messages("m-1".into()),
            Cursor::Reactions(None),
            Cursor::Reactions(Some(("m-1".into(), "👍🏽".into()))),
        ] {
            assert_eq!(Cursor::parse(cursor.encode().as_deref()).unwrap(), cursor);
        }
        assert_eq!(Cursor::parse(None).unwrap(), Cursor::Start);
        assert_eq!(Cursor::Start.encode(), None);
        for bad in ["", "m", "m.", "m.a b", "x.1", "r.m-1", "r.m-1.zz", "r.m-1.", "m.1.2"] {
            assert_eq!(Cursor::parse(Some(bad)).unwrap_err().code, "invalid_cursor", "{bad:?}");
        }
    }
}
