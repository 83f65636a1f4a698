//! The `"MessageReaction"` table: who reacted to which message with which emoji.

use super::timed;
use crate::domain::{Emoji, MessageId, UserId};
use serde::Serialize;
use std::collections::HashMap;
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

/// One emoji on a message: how many reacted with it, and whether the reader is among them.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Reaction {
    pub emoji: String,
    pub count: i64,
    pub mine: bool,
}

/// The statement's tail of a removal (adding has the same in `"MessageReaction_add"`): when
/// `changed` has a row, the message's conversation takes the next change number and the message
/// records it.
const STAMP: &str = r#"bump AS (
               UPDATE "Conversation" c SET "changeSeq" = c."changeSeq" + 1
               FROM "Message" m WHERE m."id" = $1 AND c."id" = m."chatId" AND EXISTS (SELECT 1 FROM changed)
               RETURNING c."changeSeq"),
           stamp AS (
               UPDATE "Message" m SET "changeSeq" = b."changeSeq" FROM bump b WHERE m."id" = $1
               RETURNING m."changeSeq")
           SELECT (SELECT "changeSeq" FROM stamp) AS change_seq"#;

/// Adds `user`'s reaction unless they already reacted with this emoji, the message is deleted, or
/// they already have `max_per_user` emoji on it. `Some(change number)` when it was added. The cap
/// holds for parallel adds from any number of instances: `"MessageReaction_add"` (V12) locks the
/// (message, user) pair before it counts.
pub async fn add_reaction(
    client: &impl GenericClient,
    message: &MessageId,
    user: &UserId,
    emoji: &Emoji,
    max_per_user: i64,
) -> Result<Option<i64>, tokio_postgres::Error> {
    let row = timed(client.query_typed_one(
        r#"SELECT "MessageReaction_add"($1, $2, $3, $4) AS change_seq"#,
        &[
            (&message.as_str(), Type::TEXT),
            (&user.as_str(), Type::TEXT),
            (&emoji.as_str(), Type::TEXT),
            (&max_per_user, Type::INT8),
        ],
    ))
    .await?;
    Ok(row.get("change_seq"))
}

/// Removes `user`'s reaction; `Some(change number)` when there was one.
pub async fn remove_reaction(
    client: &impl GenericClient,
    message: &MessageId,
    user: &UserId,
    emoji: &Emoji,
) -> Result<Option<i64>, tokio_postgres::Error> {
    let sql = format!(
        r#"WITH changed AS (
               DELETE FROM "MessageReaction" WHERE "messageId" = $1 AND "userId" = $2 AND "emoji" = $3
               RETURNING "messageId"),
           {STAMP}"#
    );
    let row = timed(client.query_typed_one(
        &sql,
        &[(&message.as_str(), Type::TEXT), (&user.as_str(), Type::TEXT), (&emoji.as_str(), Type::TEXT)],
    ))
    .await?;
    Ok(row.get("change_seq"))
}

/// How many emoji `user` has on a message.
pub async fn reactions_of_user(
    client: &impl GenericClient,
    message: &MessageId,
    user: &UserId,
) -> Result<i64, tokio_postgres::Error> {
    let row = timed(client.query_typed_one(
        r#"SELECT count(*) FROM "MessageReaction" WHERE "messageId" = $1 AND "userId" = $2"#,
        &[(&message.as_str(), Type::TEXT), (&user.as_str(), Type::TEXT)],
    ))
    .await?;
    Ok(row.get(0))
}

/// The reactions on each of `messages` (deleted messages have none), seen by `reader`: per
/// message, its emoji in the order they were first used.
pub async fn reactions_on(
    client: &impl GenericClient,
    messages: &[String],
    reader: &UserId,
) -> Result<HashMap<String, Vec<Reaction>>, tokio_postgres::Error> {
    let mut found: HashMap<String, Vec<Reaction>> = HashMap::new();
    if messages.is_empty() {
        return Ok(found);
    }
    let rows = timed(client.query_typed(
        r#"SELECT r."messageId", r."emoji", count(*) AS count, bool_or(r."userId" = $2) AS mine
           FROM "MessageReaction" r JOIN "Message" m ON m."id" = r."messageId" AND m."deletedAt" IS NULL
           WHERE r."messageId" = ANY($1)
           GROUP BY r."messageId", r."emoji"
           ORDER BY r."messageId", min(r."createdAt"), r."emoji""#,
        &[(&messages, Type::TEXT_ARRAY), (&reader.as_str(), Type::TEXT)],
    ))
    .await?;
    for row in rows {
        found.entry(row.get("messageId")).or_default().push(Reaction {
            emoji: row.get("emoji"),
            count: row.get("count"),
            mine: row.get("mine"),
        });
    }
    Ok(found)
}
