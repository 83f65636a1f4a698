//! PostgreSQL: `DATABASE_URL`, `DB_POOL_SIZE`, `DB_CONNECT_TIMEOUT_MS`.

use super::env::{ConfigError, Env};
use super::Secret;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    pub url: Secret,
    pub pool_size: usize,
    pub connect_timeout: Duration,
}

impl DatabaseConfig {
    pub(super) fn read(env: &Env) -> Result<Self, ConfigError> {
        let database = Self {
            url: Secret::new(env.required("DATABASE_URL")?),
            pool_size: env.parsed("DB_POOL_SIZE", 3usize)?,
            connect_timeout: Duration::from_millis(env.parsed("DB_CONNECT_TIMEOUT_MS", 5_000u64)?),
        };
        if database.pool_size == 0 {
            return Err(ConfigError::new("DB_POOL_SIZE", "must be at least 1"));
        }
        Ok(database)
    }
}
