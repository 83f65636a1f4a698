//! The maintenance route `/api/cron`: `CRON_SECRET`, which Vercel Cron sends as
//! `Authorization: Bearer <secret>`. Unset, the route answers 503 `cron_disabled`.

use super::env::{ConfigError, Env};
use super::Secret;

/// Shorter secrets are guessable by anyone who can reach the route.
const MIN_SECRET_LEN: usize = 16;

#[derive(Debug, Clone)]
pub struct CronConfig {
    pub secret: Option<Secret>,
}

impl CronConfig {
    pub(super) fn read(env: &Env) -> Result<Self, ConfigError> {
        let secret = env.optional("CRON_SECRET");
        if secret.as_ref().is_some_and(|s| s.len() < MIN_SECRET_LEN) {
            return Err(ConfigError::new("CRON_SECRET", format!("must be at least {MIN_SECRET_LEN} characters")));
        }
        Ok(Self { secret: secret.map(Secret::new) })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{base, load};

    #[test]
    fn the_cron_secret_is_optional_and_long_enough() {
        assert!(load(&base()).unwrap().cron.secret.is_none());
        let mut vars = base();
        vars.insert("CRON_SECRET", "0123456789abcdef");
        assert_eq!(load(&vars).unwrap().cron.secret.unwrap().expose(), "0123456789abcdef");
        vars.insert("CRON_SECRET", "short");
        assert_eq!(load(&vars).unwrap_err().variable, "CRON_SECRET");
    }
}
