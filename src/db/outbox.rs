//! The `"Outbox"` table (V14): side effects written in the transaction of what caused them,
//! claimed by drains under a lease, deleted once delivered, kept when given up on.

use super::timed;
use chrono::NaiveDateTime;
use serde_json::Value;
use std::time::Duration;
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

/// One claimed row: what to deliver and how often it was tried (this attempt included).
#[derive(Debug, Clone)]
pub struct OutboxRow {
    pub id: i64,
    /// The idempotency id of every delivery of this row.
    pub event_id: uuid::Uuid,
    pub kind: String,
    pub payload: Value,
    pub created_at: NaiveDateTime,
    pub attempts: i32,
}

/// Writes rows (kind, payload) in the caller's transaction; their ids, in order.
pub async fn enqueue(client: &impl GenericClient, rows: &[(&str, Value)]) -> Result<Vec<i64>, tokio_postgres::Error> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let kinds: Vec<&str> = rows.iter().map(|(kind, _)| *kind).collect();
    let payloads: Vec<&Value> = rows.iter().map(|(_, payload)| payload).collect();
    let rows = timed(client.query_typed(
        r#"INSERT INTO "Outbox" ("kind", "payload")
           SELECT kind, payload FROM unnest($1::text[], $2::jsonb[]) WITH ORDINALITY AS r(kind, payload, n)
           ORDER BY n RETURNING "id""#,
        &[(&kinds, Type::TEXT_ARRAY), (&payloads, Type::JSONB_ARRAY)],
    ))
    .await?;
    Ok(rows.iter().map(|row| row.get(0)).collect())
}

/// Claims up to `limit` due rows (only those of `only` when given) and leases them for `lease`:
/// until then no other drain sees them, and after it they are due again (a drain that died
/// mid-delivery releases its rows so). Rows locked by a concurrent claim are skipped, never waited for.
/// Rows in `skip` (already tried by this drain) are left for the next one, and rows of kinds not
/// in `kinds` (ones this instance has no settings to deliver) for an instance that has them.
pub async fn claim(
    client: &impl GenericClient,
    only: Option<&[i64]>,
    skip: &[i64],
    kinds: &[&str],
    limit: i64,
    lease: Duration,
) -> Result<Vec<OutboxRow>, tokio_postgres::Error> {
    let lease_ms = lease.as_millis() as i64;
    let rows = timed(client.query_typed(
        r#"WITH due AS (
               SELECT "id" FROM "Outbox"
               WHERE "gaveUpAt" IS NULL AND "nextAttemptAt" <= (now() AT TIME ZONE 'UTC')
                 AND ($1::bigint[] IS NULL OR "id" = ANY($1)) AND NOT ("id" = ANY($4::bigint[]))
                 AND "kind" = ANY($5::text[])
               ORDER BY "nextAttemptAt", "id" LIMIT $2
               FOR UPDATE SKIP LOCKED)
           UPDATE "Outbox" o SET "attempts" = o."attempts" + 1,
               "nextAttemptAt" = (now() AT TIME ZONE 'UTC') + make_interval(secs => $3::float8 / 1000)
           FROM due WHERE o."id" = due."id"
           RETURNING o."id", o."eventId", o."kind", o."payload", o."createdAt", o."attempts""#,
        &[
            (&only, Type::INT8_ARRAY),
            (&limit, Type::INT8),
            (&(lease_ms as f64), Type::FLOAT8),
            (&skip, Type::INT8_ARRAY),
            (&kinds, Type::TEXT_ARRAY),
        ],
    ))
    .await?;
    let mut claimed: Vec<OutboxRow> = rows
        .iter()
        .map(|row| OutboxRow {
            id: row.get("id"),
            event_id: row.get("eventId"),
            kind: row.get("kind"),
            payload: row.get("payload"),
            created_at: row.get("createdAt"),
            attempts: row.get("attempts"),
        })
        .collect();
    claimed.sort_by_key(|row| row.id);
    Ok(claimed)
}

/// A delivered row goes.
pub async fn delete(client: &impl GenericClient, id: i64) -> Result<(), tokio_postgres::Error> {
    timed(client.execute_typed(r#"DELETE FROM "Outbox" WHERE "id" = $1"#, &[(&id, Type::INT8)])).await?;
    Ok(())
}

/// A failed row is due again after `delay`.
pub async fn retry_later(
    client: &impl GenericClient,
    id: i64,
    delay: Duration,
    error: &str,
) -> Result<(), tokio_postgres::Error> {
    timed(client.execute_typed(
        r#"UPDATE "Outbox" SET "lastError" = $2,
               "nextAttemptAt" = (now() AT TIME ZONE 'UTC') + make_interval(secs => $3::float8 / 1000)
           WHERE "id" = $1"#,
        &[(&id, Type::INT8), (&error, Type::TEXT), (&(delay.as_millis() as f64), Type::FLOAT8)],
    ))
    .await?;
    Ok(())
}

/// A row that will not be delivered stays, with why (the `"OutboxGivenUp"` view lists them).
pub async fn give_up(client: &impl GenericClient, id: i64, error: &str) -> Result<(), tokio_postgres::Error> {
    timed(client.execute_typed(
        r#"UPDATE "Outbox" SET "lastError" = $2, "gaveUpAt" = (now() AT TIME ZONE 'UTC') WHERE "id" = $1"#,
        &[(&id, Type::INT8), (&error, Type::TEXT)],
    ))
    .await?;
    Ok(())
}

/// What the outbox holds: rows waiting (due or backing off), rows given up on, and the age of
/// the oldest waiting row in seconds.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxStats {
    pub pending: i64,
    pub given_up: i64,
    pub oldest_pending_secs: Option<f64>,
}

pub async fn stats(client: &impl GenericClient) -> Result<OutboxStats, tokio_postgres::Error> {
    let row = timed(client.query_typed_one(
        r#"SELECT count(*) FILTER (WHERE "gaveUpAt" IS NULL) AS pending,
                  count(*) FILTER (WHERE "gaveUpAt" IS NOT NULL) AS given_up,
                  EXTRACT(EPOCH FROM (now() AT TIME ZONE 'UTC') - min("createdAt") FILTER (WHERE "gaveUpAt" IS NULL))::float8 AS oldest
           FROM "Outbox""#,
        &[],
    ))
    .await?;
    Ok(OutboxStats {
        pending: row.get("pending"),
        given_up: row.get("given_up"),
        oldest_pending_secs: row.get::<_, Option<f64>>("oldest").map(|s| (s * 10.0).round() / 10.0),
    })
}
