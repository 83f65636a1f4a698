//! Typed settings, read from the environment once per instance.
//!
//! A missing or malformed variable fails the cold start with a message naming it
//! ([`ConfigError`]). Secrets are wrapped in [`Secret`] so that `Debug` output and log lines never
//! show them.
//!
//! One file per concern, each owning its variables, their defaults, their checks and the unit
//! tests that pin them: `database.rs`, `pusher.rs`, `auth.rs`, `http.rs` (CORS, body cap,
//! deadline, public URL), `users.rs` and `limits.rs` make up [`Config`], what every route reads
//! as `ctx.config.<concern>`; `server.rs` holds the `server` binary's own [`ServerSettings`].
//! `env.rs` is the one way a variable is read (trimmed, empty counts as unset, parsed or refused
//! by name) and `secret.rs` the type for values that must not be logged. A concern is a file
//! rather than a section of one long function so that a feature's settings arrive with it, read
//! top to bottom in one place, and leave the others untouched.
//!
//! A new concern (object storage, say) is a file `storage.rs` with a `StorageConfig` and its
//! `pub(super) fn read(env: &Env) -> Result<Self, ConfigError>` plus its tests, declared and
//! re-exported below, and one field in [`Config`] (`storage: StorageConfig::read(&env)?` in
//! [`Config::from_lookup`]). A feature that may stay off is an `Option<StorageConfig>`: `read`
//! returns `None` when none of its variables is set, and names the first missing one when only
//! some are.

mod auth;
mod cron;
mod database;
mod env;
mod http;
mod limits;
mod outbox;
mod privacy;
mod push;
mod pusher;
mod safety;
mod secret;
mod server;
mod storage;
mod users;
mod webhooks;

pub use auth::AuthConfig;
pub use cron::CronConfig;
pub use database::DatabaseConfig;
pub use env::ConfigError;
use env::Env;
pub use http::HttpConfig;
pub use limits::LimitsConfig;
pub use outbox::OutboxConfig;
pub use privacy::PrivacyConfig;
pub use push::{PushConfig, VapidKeys};
pub use pusher::{MasterKey, PusherConfig, PusherEndpoint};
pub use safety::{BlocklistAction, BlocklistConfig, FailMode, ModerationWebhookConfig, SafetyConfig};
pub use secret::Secret;
pub use server::{LogFormat, ServerSettings};
pub use storage::{StorageConfig, UploadsConfig};
pub use users::UsersConfig;
pub use webhooks::WebhookConfig;

/// Everything a route may read, one field per concern; read in this order, so the first bad
/// variable is the one reported.
#[derive(Debug, Clone)]
pub struct Config {
    pub database: DatabaseConfig,
    pub pusher: PusherConfig,
    pub auth: AuthConfig,
    pub http: HttpConfig,
    pub users: UsersConfig,
    pub limits: LimitsConfig,
    pub cron: CronConfig,
    pub outbox: OutboxConfig,
    /// Signed webhooks to the app's backend; `None`: off.
    pub webhooks: Option<WebhookConfig>,
    /// Web Push to offline users; `None`: off (the push routes answer 501).
    pub push: Option<PushConfig>,
    /// Erasure, export and retention (`privacy.rs`).
    pub privacy: PrivacyConfig,
    /// The object store for uploaded files; `None`: off (the upload routes answer 501).
    pub storage: Option<StorageConfig>,
    /// What an upload may be (`storage.rs`), read whether or not a store is set.
    pub uploads: UploadsConfig,
    /// Operators by role claim, report limits and message moderation (`safety.rs`).
    pub safety: SafetyConfig,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the settings from any lookup, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env(&lookup);
        Ok(Self {
            database: DatabaseConfig::read(&env)?,
            pusher: PusherConfig::read(&env)?,
            auth: AuthConfig::read(&env)?,
            http: HttpConfig::read(&env)?,
            users: UsersConfig::read(&env)?,
            limits: LimitsConfig::read(&env)?,
            cron: CronConfig::read(&env)?,
            outbox: OutboxConfig::read(&env)?,
            webhooks: WebhookConfig::read(&env)?,
            push: PushConfig::read(&env)?,
            privacy: PrivacyConfig::read(&env)?,
            storage: StorageConfig::read(&env)?,
            uploads: UploadsConfig::read(&env)?,
            safety: SafetyConfig::read(&env)?,
        })
    }
}

/// The smallest environment that starts, for every concern's tests.
#[cfg(test)]
mod testing {
    use super::{Config, ConfigError};
    use std::collections::HashMap;

    pub fn base() -> HashMap<&'static str, &'static str> {
        HashMap::from([
            ("DATABASE_URL", "postgres://u:pw@localhost/db"),
            ("PUSHER_APP_ID", "1"),
            ("PUSHER_KEY", "key"),
            ("PUSHER_SECRET", "topsecret"),
            ("PUSHER_CLUSTER", "eu"),
            ("SUPABASE_JWT_SECRET", "jwtsecret"),
        ])
    }

    pub fn load(vars: &HashMap<&'static str, &'static str>) -> Result<Config, ConfigError> {
        Config::from_lookup(|k| vars.get(k).map(|v| v.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{base, load};
    use super::*;

    #[test]
    fn a_missing_required_variable_is_named() {
        for name in ["DATABASE_URL", "PUSHER_APP_ID", "PUSHER_KEY", "PUSHER_SECRET"] {
            let mut vars = base();
            vars.remove(name);
            assert_eq!(load(&vars).unwrap_err().variable, name);
        }
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let shown = format!("{:?}", load(&base()).unwrap());
        assert!(!shown.contains("topsecret"));
        assert!(!shown.contains("jwtsecret"));
        assert!(!shown.contains(":pw@"));
    }

    #[test]
    fn body_limit_log_format_and_secrets_read_as_documented() {
        let config = load(&base()).unwrap();
        assert_eq!(config.http.max_body_bytes, 65_536, "64 KiB unless MAX_BODY_BYTES says otherwise");
        assert_eq!(format!("{:?}", config.pusher.secret), "Secret(***)");
        let key = MasterKey::from_base64("AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=").unwrap();
        assert_eq!((format!("{key:?}"), key.bytes()[31]), ("MasterKey(***)".to_owned(), 32));
        for (raw, format) in [("json", LogFormat::Json), ("JSON", LogFormat::Json), ("text", LogFormat::Text)] {
            assert_eq!(raw.parse::<LogFormat>(), Ok(format), "{raw}");
        }
    }
}
