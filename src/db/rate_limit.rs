//! Token buckets in PostgreSQL, so a limit holds across every function instance and under
//! parallel bursts: the bucket row is locked by `INSERT … ON CONFLICT DO UPDATE`, whose condition is
//! evaluated on the latest committed version, so 20 concurrent requests against 10 tokens let
//! exactly 10 through.

use super::timed;
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

#[derive(Debug, Clone, Copy)]
pub struct Bucket {
    /// Burst size.
    pub capacity: f64,
    /// Tokens added back per second.
    pub refill_per_second: f64,
}

impl Bucket {
    /// `n` a second, with a burst of `n`.
    pub fn per_second(n: u32) -> Self {
        Self { capacity: f64::from(n), refill_per_second: f64::from(n) }
    }

    /// `n` a minute, with a burst of `n`.
    pub fn per_minute(n: u32) -> Self {
        Self { capacity: f64::from(n), refill_per_second: f64::from(n) / 60.0 }
    }

    /// `n` an hour, with a burst of `n`.
    pub fn per_hour(n: u32) -> Self {
        Self { capacity: f64::from(n), refill_per_second: f64::from(n) / 3600.0 }
    }
}

/// 10 messages a minute per sender (the default of `RATE_LIMIT_MESSAGES_PER_MINUTE`).
pub const SEND_MESSAGE: Bucket = Bucket { capacity: 10.0, refill_per_second: 10.0 / 60.0 };
/// One `typing-start` a second per user per conversation (the default of `RATE_LIMIT_TYPING_PER_SECOND`).
pub const TYPING: Bucket = Bucket { capacity: 1.0, refill_per_second: 1.0 };
/// `typing-stop` has its own, looser bucket: a stop right after a start must go out or the
/// indicator sticks, and a client sends at most one stop per start or send.
pub const TYPING_STOP: Bucket = Bucket { capacity: 5.0, refill_per_second: 2.0 };
/// Room creation: a burst of 10, then one every 6 minutes per user (`RATE_LIMIT_ROOMS_PER_HOUR`).
pub const ROOM_CREATE: Bucket = Bucket { capacity: 10.0, refill_per_second: 10.0 / 3600.0 };
/// Presence updates: a burst of 5, then one every 12 seconds (`RATE_LIMIT_PRESENCE_PER_MINUTE`).
pub const PRESENCE: Bucket = Bucket { capacity: 5.0, refill_per_second: 5.0 / 60.0 };

const NOW: &str = "(clock_timestamp() AT TIME ZONE 'UTC')";

/// The statement that takes one token from bucket `$key` (capacity `$cap`, refill `$rate`/s) and
/// returns a row only when a token was available. A send takes its token with the same statement
/// inside V11's `"Message_send"` function.
pub fn take_token_sql(key: &str, cap: &str, rate: &str) -> String {
    let refilled = format!(
        r#"LEAST({cap}, "RateLimit"."tokens" + GREATEST(0, EXTRACT(EPOCH FROM ({NOW} - "RateLimit"."updatedAt"))) * {rate})"#
    );
    format!(
        r#"INSERT INTO "RateLimit" ("key", "tokens", "updatedAt") VALUES ({key}, {cap} - 1, {NOW})
           ON CONFLICT ("key") DO UPDATE SET "tokens" = {refilled} - 1, "updatedAt" = {NOW}
           WHERE {refilled} >= 1
           RETURNING "tokens""#
    )
}

/// Takes a token; `Err(seconds)` says how long until one is available.
pub async fn take(
    client: &impl GenericClient,
    key: &str,
    bucket: Bucket,
) -> Result<Result<(), u64>, tokio_postgres::Error> {
    let rows = timed(client.query_typed(
        &take_token_sql("$1", "$2", "$3"),
        &[(&key, Type::TEXT), (&bucket.capacity, Type::FLOAT8), (&bucket.refill_per_second, Type::FLOAT8)],
    ))
    .await?;
    if !rows.is_empty() {
        return Ok(Ok(()));
    }
    Ok(Err(retry_after(client, key, bucket).await?))
}

/// Seconds until bucket `key` holds a whole token again (at least 1).
pub async fn retry_after(client: &impl GenericClient, key: &str, bucket: Bucket) -> Result<u64, tokio_postgres::Error> {
    let row = timed(client
        .query_typed_one(
            &format!(
                r#"SELECT COALESCE(MAX(GREATEST(0, 1 - LEAST($2, "tokens" + GREATEST(0, EXTRACT(EPOCH FROM ({NOW} - "updatedAt"))) * $3)) / $3), 0)::float8 AS wait
                   FROM "RateLimit" WHERE "key" = $1"#
            ),
            &[(&key, Type::TEXT), (&bucket.capacity, Type::FLOAT8), (&bucket.refill_per_second, Type::FLOAT8)],
        ))
        .await?;
    let wait: f64 = row.get("wait");
    Ok((wait.ceil() as u64).max(1))
}

/// How long a bucket may sit idle before it is deleted: every bucket here (the slowest refills
/// in an hour) is full again by then, so a missing row means the same as a full one.
pub const IDLE_BUCKET_AGE: &str = "1 hour";

/// Deletes at most `batch` buckets idle for [`IDLE_BUCKET_AGE`]; returns how many. Keys include
/// conversation ids (typing), so without this the table only grows. Bounded, so one call never
/// holds many row locks or writes much WAL at once; `SKIP LOCKED` leaves buckets a request is
/// taking a token from (and a concurrent prune's) alone. There is no index on "updatedAt" on
/// purpose: every send updates it, and an index there would make those updates non-HOT.
pub async fn prune_idle_buckets(client: &impl GenericClient, batch: i64) -> Result<u64, tokio_postgres::Error> {
    timed(client.execute_typed(
        &format!(
            r#"DELETE FROM "RateLimit" WHERE "key" IN (
                   SELECT "key" FROM "RateLimit" WHERE "updatedAt" < {NOW} - interval '{IDLE_BUCKET_AGE}'
                   LIMIT $1 FOR UPDATE SKIP LOCKED)"#
        ),
        &[(&batch, Type::INT8)],
    ))
    .await
}
