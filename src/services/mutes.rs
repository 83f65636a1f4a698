//! Muting a conversation: no push for it until the mute ends (or forever); the inbox says
//! `mutedUntil`. Realtime events and the unread count are unchanged: a mute only keeps a
//! conversation from reaching a user who is away.

use super::conversations::{resolve, Target};
use crate::db::mutes;
use crate::domain::{ConversationKey, Invalid, Timestamp, UserId};
use crate::error::ApiError;
use serde::Serialize;
use tokio_postgres::GenericClient;

/// A mute may last this long at most (longer: mute without an end).
const MAX_MUTE_DAYS: i64 = 366 * 10;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MuteState {
    pub conversation_id: ConversationKey,
    pub muted: bool,
    /// When the mute ends; `null` with `muted: true` means until unmuted.
    pub muted_until: Option<Timestamp>,
    /// Whether this call changed anything (an unmute of a conversation that was not muted: `false`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed: Option<bool>,
}

/// `until` from a request: an RFC 3339 time in the future, at most ten years ahead.
pub fn mute_end(raw: Option<&str>, now: Timestamp) -> Result<Option<Timestamp>, Invalid> {
    let Some(raw) = raw else { return Ok(None) };
    let invalid =
        || Invalid::new("invalid_until", "until must be a time in the future (RFC 3339, e.g. 2030-01-01T00:00:00Z)");
    let until = chrono::DateTime::parse_from_rfc3339(raw).map_err(|_| invalid())?.naive_utc();
    let latest = now.naive() + chrono::Duration::days(MAX_MUTE_DAYS);
    if until <= now.naive() || until > latest {
        return Err(invalid());
    }
    // Stored to the millisecond, as every timestamp.
    Ok(Timestamp::from_millis(until.and_utc().timestamp_millis()))
}

/// Mutes a conversation the caller is in.
pub async fn mute(
    db: &impl GenericClient,
    caller: &UserId,
    target: &Target,
    until: Option<Timestamp>,
) -> Result<MuteState, ApiError> {
    let conversation = resolve(db, caller, target).await?;
    mutes::mute(db, caller, &conversation, until).await?;
    Ok(MuteState { conversation_id: conversation, muted: true, muted_until: until, changed: None })
}

/// Unmutes it (a conversation not muted stays so).
pub async fn unmute(db: &impl GenericClient, caller: &UserId, target: &Target) -> Result<MuteState, ApiError> {
    let conversation = resolve(db, caller, target).await?;
    let changed = mutes::unmute(db, caller, &conversation).await?;
    Ok(MuteState { conversation_id: conversation, muted: false, muted_until: None, changed: Some(changed) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mute_ends_in_the_future_within_ten_years_or_never() {
        let now = Timestamp::from_millis(1_700_000_000_000).unwrap();
        assert_eq!(mute_end(None, now), Ok(None));
        let end = mute_end(Some("2023-11-15T00:00:00.5+01:00"), now).unwrap().unwrap();
        assert_eq!(end.to_string(), "2023-11-14T23:00:00.500Z");
        for bad in ["2023-11-14T22:13:20Z", "2001-01-01T00:00:00Z", "2040-01-01T00:00:00Z", "tomorrow", "2023-11-15"] {
            assert_eq!(mute_end(Some(bad), now).unwrap_err().code, "invalid_until", "{bad}");
        }
    }
}
