//! The `"User"` table.

use super::timed;
use super::violated_constraint;
use crate::domain::{Profile, Status, Timestamp, UserId};
use serde::Serialize;
use tokio_postgres::types::Type;
use tokio_postgres::{GenericClient, Row};

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub avatar: Option<String>,
}

impl User {
    pub fn display_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name).trim().to_owned()
    }

    fn from_row(row: &Row) -> Self {
        Self {
            id: row.get("id"),
            first_name: row.get("firstName"),
            last_name: row.get("lastName"),
            avatar: row.get("avatar"),
        }
    }
}

/// A user's profile; `None` when there is none, or the account is erased (V15: its stub row keeps
/// only the id, and every route treats it as gone).
pub async fn find_user(client: &impl GenericClient, id: &UserId) -> Result<Option<User>, tokio_postgres::Error> {
    let rows = timed(client.query_typed(
        r#"SELECT "id", "firstName", "lastName", "avatar" FROM "User" WHERE "id" = $1 AND "erasedAt" IS NULL"#,
        &[(&id.as_str(), Type::TEXT)],
    ))
    .await?;
    Ok(rows.first().map(User::from_row))
}

/// Creates or updates a user profile.
pub async fn upsert_user(
    client: &impl GenericClient,
    user: &User,
    email: Option<&str>,
) -> Result<(), tokio_postgres::Error> {
    timed(client.execute_typed(
        r#"INSERT INTO "User" ("id", "email", "firstName", "lastName", "avatar", "updatedAt")
               VALUES ($1, $2, $3, $4, $5, CURRENT_TIMESTAMP)
               ON CONFLICT ("id") DO UPDATE SET "email" = EXCLUDED."email",
                   "firstName" = EXCLUDED."firstName", "lastName" = EXCLUDED."lastName",
                   "avatar" = EXCLUDED."avatar", "updatedAt" = CURRENT_TIMESTAMP"#,
        &[
            (&user.id, Type::TEXT),
            (&email, Type::TEXT),
            (&user.first_name, Type::TEXT),
            (&user.last_name, Type::TEXT),
            (&user.avatar, Type::TEXT),
        ],
    ))
    .await?;
    Ok(())
}

/// Saves the caller's own profile: creates the row, or updates name and avatar (the email a row
/// already has stays). An email another row holds is left out rather than failing the save.
/// `None` when the account is erased: its profile does not come back.
pub async fn save_profile(
    client: &impl GenericClient,
    id: &UserId,
    email: Option<&str>,
    profile: &Profile,
) -> Result<Option<User>, tokio_postgres::Error> {
    let update = r#"DO UPDATE SET "firstName" = EXCLUDED."firstName", "lastName" = EXCLUDED."lastName",
                        "avatar" = EXCLUDED."avatar", "updatedAt" = CURRENT_TIMESTAMP
                    WHERE "User"."erasedAt" IS NULL"#;
    let rows = insert_profile(client, update, id, email, profile).await?;
    Ok(rows.first().map(User::from_row))
}

/// Creates a profile unless the user has one; `true` when it created it.
pub async fn create_profile_if_missing(
    client: &impl GenericClient,
    id: &UserId,
    email: Option<&str>,
    profile: &Profile,
) -> Result<bool, tokio_postgres::Error> {
    Ok(!insert_profile(client, "DO NOTHING", id, email, profile).await?.is_empty())
}

/// Inserts a profile, doing `on_conflict` when the user has one; retried without the email when
/// another user holds it (`"User"."email"` is unique).
async fn insert_profile(
    client: &impl GenericClient,
    on_conflict: &str,
    id: &UserId,
    email: Option<&str>,
    profile: &Profile,
) -> Result<Vec<Row>, tokio_postgres::Error> {
    let sql = format!(
        r#"INSERT INTO "User" ("id", "email", "firstName", "lastName", "avatar", "updatedAt")
           VALUES ($1, $2, $3, $4, $5, CURRENT_TIMESTAMP)
           ON CONFLICT ("id") {on_conflict}
           RETURNING "id", "firstName", "lastName", "avatar""#
    );
    match run_insert(client, &sql, id, email, profile).await {
        Err(err) if is_email_taken(&err) => run_insert(client, &sql, id, None, profile).await,
        other => other,
    }
}

async fn run_insert(
    client: &impl GenericClient,
    sql: &str,
    id: &UserId,
    email: Option<&str>,
    profile: &Profile,
) -> Result<Vec<Row>, tokio_postgres::Error> {
    let params: [(&(dyn tokio_postgres::types::ToSql + Sync), Type); 5] = [
        (&id.as_str(), Type::TEXT),
        (&email, Type::TEXT),
        (&profile.first_name(), Type::TEXT),
        (&profile.last_name(), Type::TEXT),
        (&profile.avatar(), Type::TEXT),
    ];
    timed(client.query_typed(sql, &params)).await
}

fn is_email_taken(err: &tokio_postgres::Error) -> bool {
    violated_constraint(err) == Some("User_email_key")
}

/// Whether `watcher` may see `watched`'s presence and last activity: only once `watched` has
/// engaged with them, by writing to them or writing in a room they are both in. Receiving one
/// unsolicited message, or being put in a room with a stranger, shows a user's presence to no one.
/// The rule is the SQL function `"User_mayWatchPresence"` (V12), which the inbox's `status` uses
/// too.
pub async fn may_watch_presence(
    client: &impl GenericClient,
    watcher: &UserId,
    watched: &UserId,
) -> Result<bool, tokio_postgres::Error> {
    let row = timed(client.query_typed_one(
        r#"SELECT "User_mayWatchPresence"($1, $2) AS engaged"#,
        &[(&watcher.as_str(), Type::TEXT), (&watched.as_str(), Type::TEXT)],
    ))
    .await?;
    Ok(row.get("engaged"))
}

/// Records a status observed at `at`, unless a later observation is already stored (webhooks are
/// retried and may arrive out of order). Returns `lastActive` when the stored status changed.
pub async fn record_status(
    client: &impl GenericClient,
    user: &UserId,
    status: Status,
    at: Timestamp,
) -> Result<Option<Timestamp>, tokio_postgres::Error> {
    let (user_id, at) = (user.as_str(), at.naive());
    let rows = timed(client.query_typed(
        r#"WITH previous AS (SELECT "status" FROM "User" WHERE "id" = $1 FOR UPDATE)
               UPDATE "User" u SET "status" = $2, "statusAt" = $3,
                   "lastActive" = GREATEST(COALESCE(u."lastActive", $3), $3)
               FROM previous
               WHERE u."id" = $1 AND (u."statusAt" IS NULL OR u."statusAt" < $3)
               RETURNING previous."status" AS before, u."lastActive" AS last_active"#,
        &[(&user_id, Type::TEXT), (&status.as_str(), Type::TEXT), (&at, Type::TIMESTAMP)],
    ))
    .await?;
    Ok(rows.first().and_then(|row| {
        let before: String = row.get("before");
        (before != status.as_str()).then(|| row.get::<_, chrono::NaiveDateTime>("last_active").into())
    }))
}
