//! Database access: the per-instance pool, migrations, and one function per SQL statement.
//!
//! Every statement goes through `query_typed`/unnamed statements, so the same code works through
//! a transaction-mode pooler (Supabase's Supavisor on port 6543, PgBouncer) where named prepared
//! statements break.

pub mod chat_presence;
pub mod conversations;
pub mod erasure;
pub mod export;
pub mod message_actions;
pub mod messages;
pub mod mutes;
pub mod outbox;
pub mod push;
pub mod rate_limit;
pub mod reactions;
pub mod room_roles;
pub mod rooms;
pub mod safety;
pub mod search;
pub mod uploads;
pub mod users;

/// The constraint a statement violated, by name. Statements that a caller can make violate one
/// map these names to their own error types; any other violation stays an internal error.
pub fn violated_constraint(err: &tokio_postgres::Error) -> Option<&str> {
    err.as_db_error().and_then(|db| db.constraint())
}

tokio::task_local! {
    /// Time spent on the database (pool waits and statements) by the request running on this task.
    static DB_USAGE: std::cell::Cell<DbUsage>;
}

/// How much of a request went to the database.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DbUsage {
    pub time: Duration,
    /// Statements run and connections taken from the pool.
    pub calls: u32,
}

/// Runs one database call, adding its duration to the current request's [`DbUsage`] (outside a
/// [`measuring`] scope it just runs).
pub async fn timed<F: std::future::Future>(call: F) -> F::Output {
    let started = tokio::time::Instant::now();
    let output = call.await;
    let _ = DB_USAGE.try_with(|usage| {
        let so_far = usage.get();
        usage.set(DbUsage { time: so_far.time + started.elapsed(), calls: so_far.calls + 1 });
    });
    output
}

/// Runs `work` and reports the database time its [`timed`] calls took.
pub async fn measuring<F: std::future::Future>(work: F) -> (F::Output, DbUsage) {
    DB_USAGE
        .scope(std::cell::Cell::new(DbUsage::default()), async {
            let output = work.await;
            (output, DB_USAGE.with(std::cell::Cell::get))
        })
        .await
}

/// Foreign keys that name a user: violating one means an id that has no `"User"` row.
pub const USER_FOREIGN_KEYS: &[&str] = &[
    "Conversation_userA_fkey",
    "Conversation_userB_fkey",
    "Message_senderId_fkey",
    "Message_receiverId_fkey",
    "RoomMember_userId_fkey",
    "RoomInvitation_userId_fkey",
    "RoomInvitation_invitedBy_fkey",
    "PushSubscription_userId_fkey",
    "ConversationMute_userId_fkey",
    "UserBlock_userId_fkey",
    "UserBlock_blockedId_fkey",
];

use crate::config::DatabaseConfig;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime, Timeouts};
use std::sync::Arc;
use std::time::Duration;

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// TLS for database connections with libpq's `sslmode` meaning: `prefer` (the default) tries TLS
/// and falls back to plain, `require` insists on TLS, `disable` never uses it. As in libpq, neither
/// mode checks the server certificate (Supabase signs with its own CA); the handshake itself is
/// verified.
pub fn tls() -> tokio_postgres_rustls::MakeRustlsConnect {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(EncryptOnly(provider)))
        .with_no_client_auth();
    tokio_postgres_rustls::MakeRustlsConnect::new(config)
}

/// Accepts any server certificate but checks the handshake signatures (libpq `sslmode=require`).
#[derive(Debug)]
struct EncryptOnly(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Builds the pool without connecting; the first query opens a connection.
pub fn create_pool(config: &DatabaseConfig) -> Result<Pool, PoolSetupError> {
    let mut pg: tokio_postgres::Config = config.url.expose().parse().map_err(|_| PoolSetupError::InvalidUrl)?;
    pg.connect_timeout(config.connect_timeout);
    if pg.get_application_name().is_none() {
        pg.application_name("pusher-chat");
    }
    let manager = Manager::from_config(pg, tls(), ManagerConfig { recycling_method: RecyclingMethod::Fast });
    Pool::builder(manager)
        .max_size(config.pool_size)
        .timeouts(Timeouts {
            wait: Some(config.connect_timeout),
            create: Some(config.connect_timeout),
            recycle: Some(Duration::from_secs(2)),
        })
        .runtime(Runtime::Tokio1)
        .build()
        .map_err(|err| PoolSetupError::Build(err.to_string()))
}

#[derive(Debug, thiserror::Error)]
pub enum PoolSetupError {
    #[error("DATABASE_URL is not a valid PostgreSQL URL")]
    InvalidUrl,
    #[error("database pool: {0}")]
    Build(String),
}

/// Applies pending migrations from `migrations/`. Run from `cargo run --bin migrate`, never on a
/// cold start. Use a direct (session) connection: migrations need session state.
pub async fn migrate(client: &mut tokio_postgres::Client) -> Result<Vec<String>, refinery::Error> {
    let report = embedded::migrations::runner().run_async(client).await?;
    Ok(report.applied_migrations().iter().map(|m| m.to_string()).collect())
}

/// Connects one plain client (for migrations and tools), with its connection task spawned.
pub async fn connect(url: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(url, tls()).await?;
    tokio::spawn(async move {
        if let Err(err) = connection.await {
            tracing::warn!(%err, "database connection closed");
        }
    });
    Ok(client)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn measuring_adds_up_the_timed_calls_inside_it_only() {
        let sleep = || tokio::time::sleep(Duration::from_millis(40));
        timed(sleep()).await; // outside any request: just runs
        let ((), usage) = measuring(async {
            timed(sleep()).await;
            sleep().await; // not a database call
            timed(async {}).await;
        })
        .await;
        assert_eq!(usage.calls, 2);
        assert!(usage.time >= Duration::from_millis(40) && usage.time < Duration::from_millis(80), "{usage:?}");
    }
}
