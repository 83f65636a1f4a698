//! Database access: the per-instance pool, migrations, and one function per SQL statement.
//!
//! Every statement goes through `query_typed`/unnamed statements, so the same code works through
//! a transaction-mode pooler (Supabase's Supavisor on port 6543, PgBouncer) where named prepared
//! statements break.

pub mod conversations;
pub mod messages;
pub mod rate_limit;
pub mod rooms;
pub mod users;

/// Milliseconds since the epoch (Pusher's `time_ms`) as the naive UTC time Prisma stores.
pub fn timestamp_from_millis(ms: i64) -> Option<chrono::NaiveDateTime> {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.naive_utc())
}

use crate::config::DatabaseConfig;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime, Timeouts};
use std::time::Duration;

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// Builds the pool without connecting; the first query opens a connection.
pub fn create_pool(config: &DatabaseConfig) -> Result<Pool, String> {
    let mut pg: tokio_postgres::Config =
        config.url.expose().parse().map_err(|_| "DATABASE_URL is not a valid PostgreSQL URL".to_owned())?;
    pg.connect_timeout(config.connect_timeout);
    if pg.get_application_name().is_none() {
        pg.application_name("pusher-chat");
    }
    let manager = Manager::from_config(
        pg,
        tokio_postgres::NoTls,
        ManagerConfig { recycling_method: RecyclingMethod::Fast },
    );
    Pool::builder(manager)
        .max_size(config.pool_size)
        .timeouts(Timeouts {
            wait: Some(config.connect_timeout),
            create: Some(config.connect_timeout),
            recycle: Some(Duration::from_secs(2)),
        })
        .runtime(Runtime::Tokio1)
        .build()
        .map_err(|err| err.to_string())
}

/// Applies pending migrations from `migrations/`. Run from `cargo run --bin migrate`, never on a
/// cold start. Use a direct (session) connection: migrations need session state.
pub async fn migrate(client: &mut tokio_postgres::Client) -> Result<Vec<String>, refinery::Error> {
    let report = embedded::migrations::runner().run_async(client).await?;
    Ok(report.applied_migrations().iter().map(|m| m.to_string()).collect())
}

/// Connects one plain client (for migrations and tools), with its connection task spawned.
pub async fn connect(url: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(async move {
        if let Err(err) = connection.await {
            tracing::warn!(%err, "database connection closed");
        }
    });
    Ok(client)
}
