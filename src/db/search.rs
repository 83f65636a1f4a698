//! Full-text search over the messages of a user's own conversations.

use super::messages::{Message, MESSAGE_COLUMNS, MESSAGE_JOINS};
use super::timed;
use crate::domain::{SearchQuery, UserId};
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

/// Conversations of up to this many messages are searched by reading them newest first and
/// matching each message (a fraction of a millisecond for a small chat, whatever the words); larger
/// ones let PostgreSQL choose per conversation between the GIN index on `"searchVector"` (rare
/// words) and the same newest-first read, which stops once it has a page (common words). The
/// index alone is slow for words common across the whole table, reading alone for rare words in
/// very large rooms.
pub const SCAN_CONVERSATIONS_UP_TO: i64 = 2_000;

/// The 1:1 chats `user` is in and the rooms they are a member of, each with its message count.
pub async fn search_scope(
    client: &impl GenericClient,
    user: &UserId,
) -> Result<Vec<(String, i64)>, tokio_postgres::Error> {
    let rows = timed(client.query_typed(
        r#"SELECT c."id", c."lastSeq" FROM "Conversation" c WHERE c."userA" = $1
           UNION ALL SELECT c."id", c."lastSeq" FROM "Conversation" c WHERE c."userB" = $1
           UNION ALL SELECT c."id", c."lastSeq" FROM "RoomMember" rm
               JOIN "Conversation" c ON c."id" = 'room:' || rm."roomId" WHERE rm."userId" = $1"#,
        &[(&user.as_str(), Type::TEXT)],
    ))
    .await?;
    Ok(rows.iter().map(|row| (row.get("id"), row.get("lastSeq"))).collect())
}

/// The statement behind [`search_messages`] (`$1` small conversations, `$2` the tsquery text, `$3`
/// rows, `$4` large conversations): each conversation's newest matches by `seq`, then the newest of
/// all. In small ones the match is `ts_match_vq`, the `@@` test as a function the index cannot
/// serve, so they are read through `(chatId, seq)`; in large ones it is `@@`, which the GIN index
/// can serve. Deleted messages have no text and never match.
pub fn search_sql() -> String {
    let newest = |conversations: &str, matches: &str| {
        format!(
            r#"SELECT x."id", x."createdAt" FROM unnest({conversations}::text[]) AS chat("id") CROSS JOIN LATERAL (
                   SELECT m."id", m."createdAt" FROM "Message" m
                   WHERE m."chatId" = chat."id" AND {matches} AND m."deletedAt" IS NULL
                   ORDER BY m."seq" DESC LIMIT $3) x"#
        )
    };
    format!(
        r#"WITH hits AS (
               {small}
               UNION ALL
               {large}
               ORDER BY "createdAt" DESC, "id" DESC LIMIT $3)
           SELECT {MESSAGE_COLUMNS} FROM hits h JOIN "Message" m ON m."id" = h."id" {MESSAGE_JOINS}
           ORDER BY m."createdAt" DESC, m."id" DESC"#,
        small = newest("$1", r#"ts_match_vq(m."searchVector", to_tsquery('simple'::regconfig, $2))"#),
        large = newest("$4", r#"m."searchVector" @@ to_tsquery('simple'::regconfig, $2)"#),
    )
}

/// Up to `limit` of the newest messages matching `query` in `reader`'s conversations, and whether
/// there are more.
pub async fn search_messages(
    client: &impl GenericClient,
    reader: &UserId,
    query: &SearchQuery,
    limit: i64,
) -> Result<(Vec<Message>, bool), tokio_postgres::Error> {
    let (small, large): (Vec<_>, Vec<_>) =
        search_scope(client, reader).await?.into_iter().partition(|(_, size)| *size <= SCAN_CONVERSATIONS_UP_TO);
    let ids = |conversations: Vec<(String, i64)>| conversations.into_iter().map(|(id, _)| id).collect::<Vec<_>>();
    let (small, large) = (ids(small), ids(large));
    if small.is_empty() && large.is_empty() {
        return Ok((Vec::new(), false));
    }
    let rows = timed(client.query_typed(
        &search_sql(),
        &[
            (&small, Type::TEXT_ARRAY),
            (&query.to_tsquery(), Type::TEXT),
            (&(limit + 1), Type::INT8),
            (&large, Type::TEXT_ARRAY),
        ],
    ))
    .await?;
    let has_more = rows.len() as i64 > limit;
    Ok((rows.iter().take(limit as usize).map(Message::from_row).collect(), has_more))
}
