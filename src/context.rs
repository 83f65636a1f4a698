//! The per-instance context: built once when a function instance starts, shared by every
//! request it serves (the seed's singleton).

use crate::auth::TokenVerifier;
use crate::config::{Config, ConfigError, LogFormat};
use crate::db::PoolSetupError;
use crate::domain::UserId;
use crate::error::ApiError;
use crate::pusher::PusherClient;
use deadpool_postgres::{Object, Pool};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct AppContext {
    pub config: Config,
    pub db: Pool,
    pub pusher: PusherClient,
    pub tokens: TokenVerifier,
    /// For calls to addresses outside the product (the app's webhook receiver, push services):
    /// redirects are never followed, so an allowed address cannot hand the call on elsewhere;
    /// each call sets its own timeout.
    pub outbound: reqwest::Client,
    /// Users this instance has seen with a profile (`AUTO_PROVISION_USERS`), so only a user's
    /// first request per instance pays for the check.
    provisioned: Mutex<HashSet<UserId>>,
    /// The last Pusher check of `/api/health` and when it ran: that route needs no token, so
    /// each hit must not cost a signed Pusher call (the lock also makes concurrent hits share one).
    pub pusher_health: tokio::sync::Mutex<Option<(std::time::Instant, serde_json::Value)>>,
    /// Who this instance last found banned or not, for a few seconds (`services::safety`).
    pub bans: BanCache,
}

/// How long an instance trusts what it last read about a user's ban: another instance's ban
/// reaches this one's requests within this time (the banning instance applies it at once, and
/// the banned user's connections are closed at once everywhere).
pub const BAN_CACHE_TTL: Duration = Duration::from_secs(5);
/// Past this many users the cache starts over.
const MAX_BAN_CACHE: usize = 10_000;

/// Per-instance memory of who is banned, so that most requests pay nothing for the check.
#[derive(Default)]
pub struct BanCache(Mutex<HashMap<UserId, (bool, Instant)>>);

impl BanCache {
    pub fn lookup(&self, user: &UserId) -> Option<bool> {
        let cache = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        cache.get(user).filter(|(_, at)| at.elapsed() < BAN_CACHE_TTL).map(|(banned, _)| *banned)
    }

    pub fn remember(&self, user: &UserId, banned: bool) {
        let mut cache = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if cache.len() >= MAX_BAN_CACHE {
            cache.clear();
        }
        cache.insert(user.clone(), (banned, Instant::now()));
    }
}

/// Enough for every active user of an instance; past it the set starts over.
const MAX_PROVISIONED_CACHE: usize = 10_000;

/// Why an instance cannot start; each names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Database(#[from] PoolSetupError),
    #[error("HTTP client: {0}")]
    HttpClient(#[from] reqwest::Error),
}

impl AppContext {
    pub fn new(config: Config) -> Result<Arc<Self>, StartupError> {
        let db = crate::db::create_pool(&config.database)?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(10))
            .pool_idle_timeout(Duration::from_secs(50))
            .user_agent(concat!("pusher-chat/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let pusher = PusherClient::new(config.pusher.clone(), http.clone());
        let tokens = TokenVerifier::new(config.auth.clone(), http);
        let outbound = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(50))
            .user_agent(concat!("pusher-chat/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Arc::new(Self {
            config,
            db,
            pusher,
            tokens,
            outbound,
            provisioned: Mutex::default(),
            pusher_health: Default::default(),
            bans: Default::default(),
        }))
    }

    /// Reads the environment; a missing variable is reported by name.
    pub fn from_env() -> Result<Arc<Self>, StartupError> {
        Self::new(Config::from_env()?)
    }

    /// A pooled connection; the wait counts as the request's database time.
    pub async fn db(&self) -> Result<Object, ApiError> {
        Ok(crate::db::timed(self.db.get()).await?)
    }

    pub fn is_provisioned(&self, user: &UserId) -> bool {
        self.provisioned.lock().map(|set| set.contains(user)).unwrap_or(false)
    }

    pub fn mark_provisioned(&self, user: &UserId) {
        if let Ok(mut set) = self.provisioned.lock() {
            if set.len() >= MAX_PROVISIONED_CACHE {
                set.clear();
            }
            set.insert(user.clone());
        }
    }
}

/// Logs go to stderr in `LOG_FORMAT`: JSON lines when deployed on Vercel (it sets `VERCEL`; log
/// drains index the fields), plain lines elsewhere unless asked. `RUST_LOG` sets the level.
pub fn init_tracing() {
    let deployed = std::env::var_os("VERCEL").is_some();
    let format = std::env::var("LOG_FORMAT").ok().and_then(|f| f.trim().parse().ok());
    init_tracing_as(format.unwrap_or(if deployed { LogFormat::Json } else { LogFormat::Text }));
}

/// Logs go to stderr, as plain lines or as one JSON object per line (for a log platform that
/// indexes fields); `RUST_LOG` sets the level.
pub fn init_tracing_as(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).with_span_list(false).try_init(),
    };
}
