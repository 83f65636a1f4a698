//! Who has a 1:1 chat open (`"ChatPresence"`, V17): the members of its `presence-chat-…` channel,
//! as Pusher's presence webhooks report them.

use super::timed;
use crate::domain::{ChannelName, Timestamp, UserId};
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

/// How long a member is trusted without news: a lost `member_removed` costs at most this long of
/// left-out notifications copies.
pub const PRESENCE_TRUSTED_SECS: i64 = 3600;

/// Records `user` joining (`present`) or leaving `channel` at `at`, unless a later observation is
/// stored (one of the same time is replaced: a batch's events share one time, and the caller
/// applies them in order).
pub async fn record_member(
    client: &impl GenericClient,
    channel: &ChannelName,
    user: &UserId,
    present: bool,
    at: Timestamp,
) -> Result<(), tokio_postgres::Error> {
    timed(client.execute_typed(
        r#"INSERT INTO "ChatPresence" ("channel", "userId", "present", "at") VALUES ($1, $2, $3, $4)
           ON CONFLICT ("channel", "userId") DO UPDATE SET "present" = EXCLUDED."present", "at" = EXCLUDED."at"
           WHERE "ChatPresence"."at" <= EXCLUDED."at""#,
        &[
            (&channel.as_str(), Type::TEXT),
            (&user.as_str(), Type::TEXT),
            (&present, Type::BOOL),
            (&at.naive(), Type::TIMESTAMP),
        ],
    ))
    .await?;
    Ok(())
}

/// `channel` was vacated at `at`: nobody has the chat open any more.
pub async fn vacate(
    client: &impl GenericClient,
    channel: &ChannelName,
    at: Timestamp,
) -> Result<(), tokio_postgres::Error> {
    timed(client.execute_typed(
        r#"UPDATE "ChatPresence" SET "present" = false, "at" = $2 WHERE "channel" = $1 AND "at" <= $2"#,
        &[(&channel.as_str(), Type::TEXT), (&at.naive(), Type::TIMESTAMP)],
    ))
    .await?;
    Ok(())
}

/// Whether `user` has the chat of `channel` open now (news younger than [`PRESENCE_TRUSTED_SECS`]).
pub async fn is_present(
    client: &impl GenericClient,
    channel: &ChannelName,
    user: &UserId,
) -> Result<bool, tokio_postgres::Error> {
    let rows = timed(client.query_typed(
        r#"SELECT 1 FROM "ChatPresence" WHERE "channel" = $1 AND "userId" = $2 AND "present"
             AND "at" > (now() AT TIME ZONE 'UTC') - make_interval(secs => $3)"#,
        &[
            (&channel.as_str(), Type::TEXT),
            (&user.as_str(), Type::TEXT),
            (&(PRESENCE_TRUSTED_SECS as f64), Type::FLOAT8),
        ],
    ))
    .await?;
    Ok(!rows.is_empty())
}
