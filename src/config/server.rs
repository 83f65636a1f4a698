//! The `server` binary's own settings (Railway, Render, Fly, a VM), read apart from [`Config`]
//! because Vercel functions have no use for them: `HOST`, `PORT`, `PUBLIC_DIR`,
//! `SHUTDOWN_TIMEOUT_MS`, `LOG_FORMAT`.
//!
//! [`Config`]: super::Config

use super::env::{ConfigError, Env};
use std::time::Duration;

/// How log lines are written: `text` (plain lines) or `json` (one object per line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = ();
    fn from_str(raw: &str) -> Result<Self, ()> {
        match raw.to_ascii_lowercase().as_str() {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            _ => Err(()),
        }
    }
}

/// Where the server listens, what it logs, how long a shutdown may take.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// `HOST` (0.0.0.0: every interface, as a container platform expects).
    pub host: String,
    /// `PORT` (3000); the platforms set it.
    pub port: u16,
    /// `PUBLIC_DIR`: static files served beside the API (none unless set).
    pub public_dir: Option<std::path::PathBuf>,
    /// `SHUTDOWN_TIMEOUT_MS` (10 000): after SIGTERM, how long in-flight requests and pending
    /// publishes may take before the process exits anyway; below the platform's kill delay.
    pub shutdown_timeout: Duration,
    /// `LOG_FORMAT` (json).
    pub log_format: LogFormat,
}

impl ServerSettings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env(&lookup);
        Ok(Self {
            host: env.optional("HOST").unwrap_or_else(|| "0.0.0.0".to_owned()),
            port: env.parsed("PORT", 3000u16)?,
            public_dir: env.optional("PUBLIC_DIR").map(std::path::PathBuf::from),
            shutdown_timeout: Duration::from_millis(env.parsed("SHUTDOWN_TIMEOUT_MS", 10_000u64)?),
            log_format: env.parsed("LOG_FORMAT", LogFormat::Json)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn server_settings_default_to_every_interface_json_logs_and_ten_seconds() {
        let settings = ServerSettings::from_lookup(|_| None).unwrap();
        assert_eq!((settings.host.as_str(), settings.port), ("0.0.0.0", 3000));
        assert_eq!((settings.shutdown_timeout, settings.log_format), (Duration::from_secs(10), LogFormat::Json));
        assert_eq!(settings.public_dir, None);

        let vars = HashMap::from([
            ("HOST", "127.0.0.1"),
            ("PORT", "8080"),
            ("PUBLIC_DIR", "public"),
            ("SHUTDOWN_TIMEOUT_MS", "2500"),
            ("LOG_FORMAT", "Text"),
        ]);
        let settings = ServerSettings::from_lookup(|k| vars.get(k).map(|v| v.to_string())).unwrap();
        assert_eq!((settings.host.as_str(), settings.port), ("127.0.0.1", 8080));
        assert_eq!((settings.shutdown_timeout, settings.log_format), (Duration::from_millis(2500), LogFormat::Text));
        assert_eq!(settings.public_dir, Some(std::path::PathBuf::from("public")));
    }

    #[test]
    fn a_bad_server_setting_is_named() {
        for (name, value) in [("PORT", "http"), ("PORT", "70000"), ("SHUTDOWN_TIMEOUT_MS", "-1"), ("LOG_FORMAT", "xml")]
        {
            let vars = HashMap::from([(name, value)]);
            let err = ServerSettings::from_lookup(|k| vars.get(k).map(|v| v.to_string())).unwrap_err();
            assert_eq!(err.variable, name);
        }
    }
}
