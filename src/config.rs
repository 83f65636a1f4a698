//! Typed settings, read from the environment once per instance.
//!
//! A missing or malformed variable fails the cold start with a message naming it. Secrets are
//! wrapped in [`Secret`] so that `Debug` output and log lines never show them.

use std::fmt;
use std::time::Duration;

/// A value that must never reach a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The 32-byte master key of Pusher's encrypted channels; never shown in `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKey([u8; 32]);

impl MasterKey {
    /// From its base64 form, as Pusher's libraries take it (`encryptionMasterKeyBase64`).
    pub fn from_base64(raw: &str) -> Option<Self> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD.decode(raw.trim()).ok()?;
        bytes.try_into().ok().map(Self)
    }

    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(***)")
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("configuration: {variable} {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

impl ConfigError {
    fn new(variable: &'static str, problem: impl Into<String>) -> Self {
        Self { variable, problem: problem.into() }
    }
}

/// Where the Pusher REST API and websocket live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PusherEndpoint {
    /// Pusher's hosted service: `api-<cluster>.pusher.com` over TLS.
    Hosted { cluster: String },
    /// A self-hosted Pusher-protocol server such as sockudo.
    SelfHosted { host: String, port: u16, use_tls: bool },
}

#[derive(Debug, Clone)]
pub struct PusherConfig {
    pub app_id: String,
    pub key: String,
    pub secret: Secret,
    /// Sent to pusher-js, which insists on one even for a self-hosted server.
    pub cluster: String,
    pub endpoint: PusherEndpoint,
    /// `PUSHER_ENCRYPTION_MASTER_KEY_BASE64`: with it, chats, rooms and notifications travel on
    /// end-to-end encrypted `private-encrypted-…` channels.
    pub encryption_master_key: Option<MasterKey>,
    /// Where browsers open the websocket when it differs from the REST host (self-hosted only).
    pub ws_host: Option<String>,
    pub ws_port: Option<u16>,
    pub timeout: Duration,
}

impl PusherConfig {
    /// Base URL of the REST API, e.g. `https://api-eu.pusher.com`.
    pub fn rest_base_url(&self) -> String {
        match &self.endpoint {
            PusherEndpoint::Hosted { cluster } => format!("https://api-{cluster}.pusher.com"),
            PusherEndpoint::SelfHosted { host, port, use_tls } => {
                let scheme = if *use_tls { "https" } else { "http" };
                format!("{scheme}://{host}:{port}")
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// Legacy Supabase projects sign access tokens with this HS256 secret.
    pub jwt_secret: Option<Secret>,
    /// Newer projects publish ES256/RS256 keys here.
    pub jwks_url: Option<String>,
    pub audience: String,
    /// The `iss` tokens must carry: Supabase's is `<SUPABASE_URL>/auth/v1` (`JWT_ISSUER` overrides;
    /// unset when neither is set, as with a bare HS256 secret).
    pub issuer: Option<String>,
    pub jwks_timeout: Duration,
    /// A refresh for an unknown key id happens at most this often, so forged tokens with random
    /// key ids cannot make every request fetch the key set.
    pub jwks_min_refresh: Duration,
    /// Known keys are re-read after this long, so a revoked key stops working (while the key set
    /// answers; during an outage the last good keys keep serving).
    pub jwks_max_age: Duration,
}

#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    pub url: Secret,
    pub pool_size: usize,
    pub connect_timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database: DatabaseConfig,
    pub pusher: PusherConfig,
    pub auth: AuthConfig,
    /// Origins allowed to call the API from a browser; `*` allows any.
    pub cors_allowed_origins: Vec<String>,
    pub max_body_bytes: usize,
    /// A route that runs longer answers 503; kept below the function's `maxDuration`.
    pub request_timeout: Duration,
    /// Where browsers reach this API (`https://chat-api.example.com`), for the absolute URLs in
    /// `/api/config`; unset, they come from the request's forwarded host and scheme.
    pub public_base_url: Option<String>,
    /// Creates a caller's `"User"` row from their token's `user_metadata` on first use.
    pub auto_provision_users: bool,
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

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the settings from any lookup, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env(&lookup);
        let database = DatabaseConfig {
            url: Secret::new(env.required("DATABASE_URL")?),
            pool_size: env.parsed("DB_POOL_SIZE", 3usize)?,
            connect_timeout: Duration::from_millis(env.parsed("DB_CONNECT_TIMEOUT_MS", 5_000u64)?),
        };
        if database.pool_size == 0 {
            return Err(ConfigError::new("DB_POOL_SIZE", "must be at least 1"));
        }

        let host = env.optional("PUSHER_HOST");
        let cluster = env.optional("PUSHER_CLUSTER");
        let endpoint = match (host, &cluster) {
            (Some(host), _) => {
                let use_tls = env.parsed("PUSHER_USE_TLS", false)?;
                let port = env.parsed("PUSHER_PORT", if use_tls { 443u16 } else { 80u16 })?;
                PusherEndpoint::SelfHosted { host, port, use_tls }
            }
            (None, Some(cluster)) => PusherEndpoint::Hosted { cluster: cluster.clone() },
            (None, None) => {
                return Err(ConfigError::new(
                    "PUSHER_CLUSTER",
                    "is not set (set PUSHER_CLUSTER for hosted Pusher or PUSHER_HOST for a self-hosted server)",
                ))
            }
        };
        let pusher = PusherConfig {
            app_id: env.required("PUSHER_APP_ID")?,
            key: env.required("PUSHER_KEY")?,
            secret: Secret::new(env.required("PUSHER_SECRET")?),
            cluster: cluster.unwrap_or_else(|| "mt1".to_owned()),
            endpoint,
            encryption_master_key: env
                .optional("PUSHER_ENCRYPTION_MASTER_KEY_BASE64")
                .map(|raw| {
                    MasterKey::from_base64(&raw).ok_or_else(|| {
                        ConfigError::new("PUSHER_ENCRYPTION_MASTER_KEY_BASE64", "must be 32 bytes in base64")
                    })
                })
                .transpose()?,
            ws_host: env.optional("PUSHER_WS_HOST"),
            ws_port: env.optional("PUSHER_WS_PORT").map(|_| env.parsed("PUSHER_WS_PORT", 0u16)).transpose()?,
            timeout: Duration::from_millis(env.parsed("PUSHER_TIMEOUT_MS", 3_000u64)?),
        };

        let jwt_secret = env.optional("SUPABASE_JWT_SECRET").map(Secret::new);
        let jwks_url = env.optional("SUPABASE_JWKS_URL").or_else(|| {
            env.optional("SUPABASE_URL")
                .map(|url| format!("{}/auth/v1/.well-known/jwks.json", url.trim_end_matches('/')))
        });
        if jwt_secret.is_none() && jwks_url.is_none() {
            return Err(ConfigError::new(
                "SUPABASE_URL",
                "is not set (set SUPABASE_URL for JWKS keys and/or SUPABASE_JWT_SECRET for HS256 tokens)",
            ));
        }
        let auth = AuthConfig {
            jwt_secret,
            jwks_url,
            audience: env.optional("JWT_AUDIENCE").unwrap_or_else(|| "authenticated".to_owned()),
            issuer: env
                .optional("JWT_ISSUER")
                .or_else(|| env.optional("SUPABASE_URL").map(|url| format!("{}/auth/v1", url.trim_end_matches('/')))),
            jwks_timeout: Duration::from_millis(env.parsed("JWKS_TIMEOUT_MS", 3_000u64)?),
            jwks_min_refresh: Duration::from_secs(30),
            jwks_max_age: Duration::from_secs(600),
        };

        let cors_allowed_origins = env
            .optional("CORS_ALLOWED_ORIGINS")
            .map(|list| {
                list.split(',')
                    .map(|origin| origin.trim().trim_end_matches('/').to_owned())
                    .filter(|origin| !origin.is_empty())
                    .collect()
            })
            .unwrap_or_default();

        Ok(Self {
            database,
            pusher,
            auth,
            cors_allowed_origins,
            max_body_bytes: env.parsed("MAX_BODY_BYTES", 64 * 1024usize)?,
            request_timeout: Duration::from_millis(env.parsed("REQUEST_TIMEOUT_MS", 8_000u64)?),
            public_base_url: env.optional("PUBLIC_BASE_URL").map(|url| public_base_url(&url)).transpose()?,
            auto_provision_users: env.parsed("AUTO_PROVISION_USERS", false)?,
            messages_per_minute: env.at_least_one("RATE_LIMIT_MESSAGES_PER_MINUTE", 10)?,
            typing_per_second: env.at_least_one("RATE_LIMIT_TYPING_PER_SECOND", 1)?,
            presence_per_minute: env.at_least_one("RATE_LIMIT_PRESENCE_PER_MINUTE", 5)?,
            rooms_per_hour: env.at_least_one("RATE_LIMIT_ROOMS_PER_HOUR", 10)?,
            reactions_per_minute: env.at_least_one("RATE_LIMIT_REACTIONS_PER_MINUTE", 30)?,
            message_edit_window: Duration::from_secs(env.parsed("MESSAGE_EDIT_WINDOW_SECS", 900u64)?),
        })
    }
}

/// `http(s)://host[:port]` with no path, query or trailing slash.
fn public_base_url(raw: &str) -> Result<String, ConfigError> {
    let url = raw.trim_end_matches('/');
    let host = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    match host {
        Some(host) if !host.is_empty() && !host.contains(['/', '?', '#', '@', ' ']) => Ok(url.to_owned()),
        _ => Err(ConfigError::new("PUBLIC_BASE_URL", "must look like https://host[:port] (no path)")),
    }
}

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

/// The `server` binary's own settings (Railway, Render, Fly, a VM): where it listens, what it
/// logs, how long a shutdown may take.
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

struct Env<'a, F: Fn(&str) -> Option<String>>(&'a F);

impl<F: Fn(&str) -> Option<String>> Env<'_, F> {
    fn optional(&self, name: &str) -> Option<String> {
        (self.0)(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    fn required(&self, name: &'static str) -> Result<String, ConfigError> {
        self.optional(name).ok_or_else(|| ConfigError::new(name, "is not set"))
    }

    /// A count of at least 1 (a limit of 0 would shut the route).
    fn at_least_one(&self, name: &'static str, default: u32) -> Result<u32, ConfigError> {
        match self.parsed(name, default)? {
            0 => Err(ConfigError::new(name, "must be at least 1")),
            n => Ok(n),
        }
    }

    fn parsed<T: std::str::FromStr>(&self, name: &'static str, default: T) -> Result<T, ConfigError> {
        match self.optional(name) {
            None => Ok(default),
            Some(raw) => raw.parse().map_err(|_| ConfigError::new(name, format!("is not a valid value: {raw:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn base() -> HashMap<&'static str, &'static str> {
        HashMap::from([
            ("DATABASE_URL", "postgres://u:pw@localhost/db"),
            ("PUSHER_APP_ID", "1"),
            ("PUSHER_KEY", "key"),
            ("PUSHER_SECRET", "topsecret"),
            ("PUSHER_CLUSTER", "eu"),
            ("SUPABASE_JWT_SECRET", "jwtsecret"),
        ])
    }

    fn load(vars: &HashMap<&'static str, &'static str>) -> Result<Config, ConfigError> {
        Config::from_lookup(|k| vars.get(k).map(|v| v.to_string()))
    }

    #[test]
    fn the_edit_window_is_fifteen_minutes_unless_set() {
        assert_eq!(load(&base()).unwrap().message_edit_window, Duration::from_secs(900));
        let mut vars = base();
        vars.insert("MESSAGE_EDIT_WINDOW_SECS", "0");
        assert_eq!(load(&vars).unwrap().message_edit_window, Duration::ZERO);
        vars.insert("MESSAGE_EDIT_WINDOW_SECS", "-5");
        assert_eq!(load(&vars).unwrap_err().variable, "MESSAGE_EDIT_WINDOW_SECS");
    }

    #[test]
    fn reactions_are_limited_to_thirty_a_minute_unless_set() {
        assert_eq!(load(&base()).unwrap().reactions_per_minute, 30);
        let mut vars = base();
        vars.insert("RATE_LIMIT_REACTIONS_PER_MINUTE", "3");
        assert_eq!(load(&vars).unwrap().reactions_per_minute, 3);
        vars.insert("RATE_LIMIT_REACTIONS_PER_MINUTE", "0");
        assert_eq!(load(&vars).unwrap_err().variable, "RATE_LIMIT_REACTIONS_PER_MINUTE");
    }

    #[test]
    fn a_missing_required_variable_is_named() {
        for name in ["DATABASE_URL", "PUSHER_APP_ID", "PUSHER_KEY", "PUSHER_SECRET"] {
            let mut vars = base();
            vars.remove(name);
            assert_eq!(load(&vars).unwrap_err().variable, name);
        }
    }

    #[test]
    fn hosted_pusher_uses_the_cluster_api_host() {
        let config = load(&base()).unwrap();
        assert_eq!(config.pusher.rest_base_url(), "https://api-eu.pusher.com");
    }

    #[test]
    fn self_hosted_pusher_uses_host_port_and_tls_flag() {
        let mut vars = base();
        vars.insert("PUSHER_HOST", "127.0.0.1");
        vars.insert("PUSHER_PORT", "6001");
        let config = load(&vars).unwrap();
        assert_eq!(config.pusher.rest_base_url(), "http://127.0.0.1:6001");
        vars.insert("PUSHER_PORT", "six");
        assert_eq!(load(&vars).unwrap_err().variable, "PUSHER_PORT");
    }

    #[test]
    fn jwks_url_is_derived_from_the_supabase_url() {
        let mut vars = base();
        vars.insert("SUPABASE_URL", "https://abc.supabase.co/");
        let config = load(&vars).unwrap();
        assert_eq!(config.auth.jwks_url.as_deref(), Some("https://abc.supabase.co/auth/v1/.well-known/jwks.json"));
        assert_eq!(config.auth.issuer.as_deref(), Some("https://abc.supabase.co/auth/v1"));
        vars.insert("JWT_ISSUER", "https://auth.example");
        assert_eq!(load(&vars).unwrap().auth.issuer.as_deref(), Some("https://auth.example"));
        vars.remove("JWT_ISSUER");
        vars.remove("SUPABASE_URL");
        assert_eq!(load(&vars).unwrap().auth.issuer, None, "a bare HS256 secret checks no issuer");
        vars.remove("SUPABASE_JWT_SECRET");
        assert_eq!(load(&vars).unwrap_err().variable, "SUPABASE_URL");
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let shown = format!("{:?}", load(&base()).unwrap());
        assert!(!shown.contains("topsecret"));
        assert!(!shown.contains("jwtsecret"));
        assert!(!shown.contains(":pw@"));
    }

    #[test]
    fn the_encryption_master_key_is_32_bytes_of_base64_and_never_printed() {
        assert!(load(&base()).unwrap().pusher.encryption_master_key.is_none());
        let mut vars = base();
        vars.insert("PUSHER_ENCRYPTION_MASTER_KEY_BASE64", "YW4gZXhhbXBsZSBtYXN0ZXIga2V5IG9mIDMyIGJ5dCE=");
        let config = load(&vars).unwrap();
        assert_eq!(config.pusher.encryption_master_key.as_ref().unwrap().bytes(), b"an example master key of 32 byt!");
        assert!(!format!("{config:?}").contains("YW4gZXhhbXBsZ"), "the key never reaches a log");
        for bad in ["c2hvcnQ=", "not base64!", "YW4gZXhhbXBsZSBtYXN0ZXIga2V5IG9mIDMyIGJ5dCEh"] {
            vars.insert("PUSHER_ENCRYPTION_MASTER_KEY_BASE64", bad);
            assert_eq!(load(&vars).unwrap_err().variable, "PUSHER_ENCRYPTION_MASTER_KEY_BASE64", "{bad}");
        }
    }

    #[test]
    fn every_limit_has_its_default_takes_a_value_and_is_at_least_one() {
        let config = load(&base()).unwrap();
        let limits = |c: &Config| (c.messages_per_minute, c.typing_per_second, c.presence_per_minute, c.rooms_per_hour);
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
        assert_eq!(load(&base()).unwrap().messages_per_minute, 10);
        let mut vars = base();
        vars.insert("RATE_LIMIT_MESSAGES_PER_MINUTE", "600");
        assert_eq!(load(&vars).unwrap().messages_per_minute, 600);
        for bad in ["0", "-1", "many"] {
            vars.insert("RATE_LIMIT_MESSAGES_PER_MINUTE", bad);
            assert_eq!(load(&vars).unwrap_err().variable, "RATE_LIMIT_MESSAGES_PER_MINUTE", "{bad}");
        }
    }

    #[test]
    fn cors_origins_are_split_and_trimmed() {
        let mut vars = base();
        vars.insert("CORS_ALLOWED_ORIGINS", " https://a.example/ , https://b.example");
        let config = load(&vars).unwrap();
        assert_eq!(config.cors_allowed_origins, vec!["https://a.example", "https://b.example"]);
        assert_eq!(config.public_base_url, None);
        assert!(!config.auto_provision_users);
    }

    #[test]
    fn the_public_base_url_is_an_origin_without_a_path() {
        let with = |value: &'static str| {
            let mut env = base();
            env.insert("PUBLIC_BASE_URL", value);
            Config::from_lookup(|k| env.get(k).map(|v| v.to_string()))
        };
        assert_eq!(with("https://api.example/").unwrap().public_base_url.as_deref(), Some("https://api.example"));
        assert_eq!(with("http://127.0.0.1:4000").unwrap().public_base_url.as_deref(), Some("http://127.0.0.1:4000"));
        for bad in ["api.example", "https://", "https://api.example/v1", "ftp://x", "https://a b"] {
            assert_eq!(with(bad).unwrap_err().variable, "PUBLIC_BASE_URL", "{bad}");
        }
    }

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

    #[test]
    fn body_limit_log_format_and_secrets_read_as_documented() {
        let config = load(&base()).unwrap();
        assert_eq!(config.max_body_bytes, 65_536, "64 KiB unless MAX_BODY_BYTES says otherwise");
        assert_eq!(format!("{:?}", config.pusher.secret), "Secret(***)");
        let key = MasterKey::from_base64("AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=").unwrap();
        assert_eq!((format!("{key:?}"), key.bytes()[31]), ("MasterKey(***)".to_owned(), 32));
        for (raw, format) in [("json", LogFormat::Json), ("JSON", LogFormat::Json), ("text", LogFormat::Text)] {
            assert_eq!(raw.parse::<LogFormat>(), Ok(format), "{raw}");
        }
    }
}
