//! A user's data: who may erase any account (`ADMIN_USER_IDS`), how long messages are kept
//! (`MESSAGE_RETENTION_DAYS`), and how much one erase call or retention run does
//! (`ERASE_MESSAGES_PER_CALL`, `RETENTION_MESSAGES_PER_RUN`).

use super::env::{ConfigError, Env};
use crate::domain::UserId;
use std::time::Duration;

/// A call tombstones at most this many messages by default: a 100 k-message account erases in
/// 20 calls (or 20 periodic runs), each far inside a function's 10 s.
const ERASE_MESSAGES_PER_CALL: u32 = 5_000;
/// One retention run's default bound.
const RETENTION_MESSAGES_PER_RUN: u32 = 5_000;
/// No date before this many days ago is useful, and more would overflow a timestamp.
const MAX_RETENTION_DAYS: u32 = 36_500;

#[derive(Debug, Clone)]
pub struct PrivacyConfig {
    /// Operators who may erase any account (`DELETE /api/me?userId=…`).
    pub admin_user_ids: Vec<UserId>,
    /// Messages older than this become tombstones; `None`: kept forever.
    pub message_retention: Option<Duration>,
    pub erase_messages_per_call: u32,
    pub retention_messages_per_run: u32,
}

impl PrivacyConfig {
    pub(super) fn read(env: &Env) -> Result<Self, ConfigError> {
        let admin_user_ids = match env.optional("ADMIN_USER_IDS") {
            None => Vec::new(),
            Some(raw) => raw
                .split(',')
                .map(str::trim)
                .filter(|id| !id.is_empty())
                .map(|id| {
                    UserId::parse(id)
                        .map_err(|_| ConfigError::new("ADMIN_USER_IDS", format!("{id:?} is not a valid user id")))
                })
                .collect::<Result<_, _>>()?,
        };
        let message_retention = match env.optional("MESSAGE_RETENTION_DAYS") {
            None => None,
            Some(_) => match env.parsed::<u32>("MESSAGE_RETENTION_DAYS", 0)? {
                days @ 1..=MAX_RETENTION_DAYS => Some(Duration::from_secs(u64::from(days) * 86_400)),
                _ => {
                    return Err(ConfigError::new(
                        "MESSAGE_RETENTION_DAYS",
                        format!("must be between 1 and {MAX_RETENTION_DAYS} (unset keeps messages forever)"),
                    ))
                }
            },
        };
        Ok(Self {
            admin_user_ids,
            message_retention,
            erase_messages_per_call: env.at_least_one("ERASE_MESSAGES_PER_CALL", ERASE_MESSAGES_PER_CALL)?,
            retention_messages_per_run: env.at_least_one("RETENTION_MESSAGES_PER_RUN", RETENTION_MESSAGES_PER_RUN)?,
        })
    }

    pub fn is_admin(&self, user: &UserId) -> bool {
        self.admin_user_ids.contains(user)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{base, load};
    use std::time::Duration;

    #[test]
    fn nobody_is_an_admin_and_messages_are_kept_forever_by_default() {
        let privacy = load(&base()).unwrap().privacy;
        assert!(privacy.admin_user_ids.is_empty());
        assert_eq!(privacy.message_retention, None);
        assert_eq!((privacy.erase_messages_per_call, privacy.retention_messages_per_run), (5_000, 5_000));
    }

    #[test]
    fn admins_are_a_comma_separated_list_of_user_ids() {
        let mut vars = base();
        vars.insert("ADMIN_USER_IDS", " op-1, op-2 ,");
        let privacy = load(&vars).unwrap().privacy;
        let ids: Vec<&str> = privacy.admin_user_ids.iter().map(|id| id.as_str()).collect();
        assert_eq!(ids, ["op-1", "op-2"]);
        assert!(privacy.is_admin(&crate::domain::UserId::parse("op-2").unwrap()));
        assert!(!privacy.is_admin(&crate::domain::UserId::parse("op-3").unwrap()));
        vars.insert("ADMIN_USER_IDS", "op-1,not an id");
        assert_eq!(load(&vars).unwrap_err().variable, "ADMIN_USER_IDS");
    }

    #[test]
    fn retention_is_a_number_of_days_from_one() {
        let mut vars = base();
        vars.insert("MESSAGE_RETENTION_DAYS", "30");
        assert_eq!(load(&vars).unwrap().privacy.message_retention, Some(Duration::from_secs(30 * 86_400)));
        for bad in ["0", "-1", "soon", "36501"] {
            vars.insert("MESSAGE_RETENTION_DAYS", bad);
            assert_eq!(load(&vars).unwrap_err().variable, "MESSAGE_RETENTION_DAYS", "{bad}");
        }
        vars.insert("MESSAGE_RETENTION_DAYS", "");
        assert_eq!(load(&vars).unwrap().privacy.message_retention, None, "empty is unset");
    }
}
