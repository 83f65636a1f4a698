//! Who the callers are beyond their token: `AUTO_PROVISION_USERS`.

use super::env::{ConfigError, Env};

#[derive(Debug, Clone)]
pub struct UsersConfig {
    /// Creates a caller's `"User"` row from their token's `user_metadata` on first use.
    pub auto_provision: bool,
}

impl UsersConfig {
    pub(super) fn read(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self { auto_provision: env.parsed("AUTO_PROVISION_USERS", false)? })
    }
}
