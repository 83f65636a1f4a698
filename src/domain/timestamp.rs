//! The one timestamp type of every response and event.

use chrono::NaiveDateTime;
use std::fmt;

/// A UTC instant. Stored as `TIMESTAMP(3)` without a zone (as Prisma does); always written as
/// ISO 8601 with milliseconds and `Z`, so browsers never read it as local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(NaiveDateTime);

impl Timestamp {
    pub fn now() -> Self {
        Self(chrono::Utc::now().naive_utc())
    }

    /// Milliseconds since the epoch (Pusher's `time_ms`); `None` when out of range.
    pub fn from_millis(ms: i64) -> Option<Self> {
        chrono::DateTime::from_timestamp_millis(ms).map(|t| Self(t.naive_utc()))
    }

    pub fn naive(self) -> NaiveDateTime {
        self.0
    }

    /// `ms` milliseconds later (earlier when negative); itself when that is out of range.
    pub fn plus_millis(self, ms: i64) -> Self {
        self.0.checked_add_signed(chrono::TimeDelta::milliseconds(ms)).map_or(self, Self)
    }
}

impl From<NaiveDateTime> for Timestamp {
    fn from(t: NaiveDateTime) -> Self {
        Self(t)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_iso_8601_utc_with_milliseconds() {
        let t = Timestamp::from_millis(1_764_106_423_007).unwrap();
        assert_eq!(t.to_string(), "2025-11-25T21:33:43.007Z");
        assert_eq!(serde_json::to_value(t).unwrap(), "2025-11-25T21:33:43.007Z");
        assert_eq!(Timestamp::from(t.naive()), t);
    }

    #[test]
    fn whole_seconds_still_carry_milliseconds() {
        assert_eq!(Timestamp::from_millis(0).unwrap().to_string(), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn out_of_range_milliseconds_are_refused() {
        assert!(Timestamp::from_millis(i64::MAX).is_none());
    }
}
