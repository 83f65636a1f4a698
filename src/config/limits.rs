//! How much and how often a caller may act: `RATE_LIMIT_*`, `MESSAGE_EDIT_WINDOW_SECS`. Every
//! rate is at least 1 (a limit of 0 would shut its route) and holds across instances (the
//! buckets live in the database).

use super::env::{ConfigError, Env};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct LimitsConfig {
    /// Messages one sender may send a minute (also the burst), across every instance.
    pub messages_per_minute: u32,
    /// `typing-start` events per user and conversation a second.
    pub typing_per_second: u32,
    /// Status updates (`POST /api/presence`) per user a minute (also the burst).
    pub presence_per_minute: u32,
    /// Rooms one user may create an hour (also the burst).
    pub rooms_per_hour: u32,
    /// Reactions added or removed per user a minute (also the burst).
    pub reactions_per_minute: u32,
    /// How long after sending its sender may edit a message (`MESSAGE_EDIT_WINDOW_SECS`; 0: never).
    pub message_edit_window: Duration,
}

impl LimitsConfig {
    pub(super) fn read(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            messages_per_minute: env.at_least_one("RATE_LIMIT_MESSAGES_PER_MINUTE", 10)?,
            typing_per_second: env.at_least_one("RATE_LIMIT_TYPING_PER_SECOND", 1)?,
            presence_per_minute: env.at_least_one("RATE_LIMIT_PRESENCE_PER_MINUTE", 5)?,
            rooms_per_hour: env.at_least_one("RATE_LIMIT_ROOMS_PER_HOUR", 10)?,
            reactions_per_minute: env.at_least_one("RATE_LIMIT_REACTIONS_PER_MINUTE", 30)?,
            message_edit_window: Duration::from_secs(env.parsed("MESSAGE_EDIT_WINDOW_SECS", 900u64)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{base, load};
    use super::super::Config;
    use std::time::Duration;

    #[test]
    fn the_edit_window_is_fifteen_minutes_unless_set() {
        assert_eq!(load(&base()).unwrap().limits.message_edit_window, Duration::from_secs(900));
        let mut vars = base();
        vars.insert("MESSAGE_EDIT_WINDOW_SECS", "0");
        assert_eq!(load(&vars).unwrap().limits.message_edit_window, Duration::ZERO);
        vars.insert("MESSAGE_EDIT_WINDOW_SECS", "-5");
        assert_eq!(load(&vars).unwrap_err().variable, "MESSAGE_EDIT_WINDOW_SECS");
    }

    #[test]
    fn reactions_are_limited_to_thirty_a_minute_unless_set() {
        assert_eq!(load(&base()).unwrap().limits.reactions_per_minute, 30);
        let mut vars = base();
        vars.insert("RATE_LIMIT_REACTIONS_PER_MINUTE", "3");
        assert_eq!(load(&vars).unwrap().limits.reactions_per_minute, 3);
        vars.insert("RATE_LIMIT_REACTIONS_PER_MINUTE", "0");
        assert_eq!(load(&vars).unwrap_err().variable, "RATE_LIMIT_REACTIONS_PER_MINUTE");
    }

    #[test]
    fn every_limit_has_its_default_takes_a_value_and_is_at_least_one() {
        let config = load(&base()).unwrap();
        let limits = |c: &Config| {
            (
                c.limits.messages_per_minute,
                c.limits.typing_per_second,
                c.limits.presence_per_minute,
                c.limits.rooms_per_hour,
            )
        };
        assert_eq!(limits(&config), (10, 1, 5, 10));
        let mut vars = base();
        vars.insert("RATE_LIMIT_TYPING_PER_SECOND", "3");
        vars.insert("RATE_LIMIT_PRESENCE_PER_MINUTE", "30");
        vars.insert("RATE_LIMIT_ROOMS_PER_HOUR", "100");
        assert_eq!(limits(&load(&vars).unwrap()), (10, 3, 30, 100));
        for name in ["RATE_LIMIT_TYPING_PER_SECOND", "RATE_LIMIT_PRESENCE_PER_MINUTE", "RATE_LIMIT_ROOMS_PER_HOUR"] {
            for bad in ["0", "-2", "lots"] {
                let mut vars = base();
                vars.insert(name, bad);
                assert_eq!(load(&vars).unwrap_err().variable, name, "{bad}");
            }
        }
    }

    #[test]
    fn the_send_limit_defaults_to_ten_a_minute_and_is_at_least_one() {
        assert_eq!(load(&base()).unwrap().limits.messages_per_minute, 10);
        let mut vars = base();
        vars.insert("RATE_LIMIT_MESSAGES_PER_MINUTE", "600");
        assert_eq!(load(&vars).unwrap().limits.messages_per_minute, 600);
        for bad in ["0", "-1", "many"] {
            vars.insert("RATE_LIMIT_MESSAGES_PER_MINUTE", bad);
            assert_eq!(load(&vars).unwrap_err().variable, "RATE_LIMIT_MESSAGES_PER_MINUTE", "{bad}");
        }
    }
}
