//! Full-text search over the messages of a user's own conversations.

use super::messages::{Message, MESSAGE_COLUMNS, MESSAGE_JOINS};
use super::timed;
use crate::domain::{SearchQuery, UserId};
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

/// Up to this many messages in a user's conversations, a search reads them all and matches each
/// (a few milliseconds, whatever the words); beyond it, the GIN index on `"searchVector"` finds
/// the matches. The index alone is slow for words common across the whole table, reading every
/// message is slow for users with very many.
pub const SCAN_UP_TO_MESSAGES: i64 = 10_000;

/// The 1:1 chats `user` is in and the rooms they are a member of, and how many messages those hold.
pub async fn search_scope(
    client: &impl GenericClient,
    user: &UserId,
) -> Result<(Vec<String>, i64), tokio_postgres::Error> {
    let rows = timed(client.query_typed(
        r#"SELECT c."id", c."lastSeq" FROM "Conversation" c WHERE c."userA" = $1
           UNION ALL SELECT c."id", c."lastSeq" FROM "Conversation" c WHERE c."userB" = $1
           UNION ALL SELECT c."id", c."lastSeq" FROM "RoomMember" rm
               JOIN "Conversation" c ON c."id" = 'room:' || rm."roomId" WHERE rm."userId" = $1"#,
        &[(&user.as_str(), Type::TEXT)],
    ))
    .await?;
    let total = rows.iter().map(|row| row.get::<_, i64>("lastSeq")).sum();
    Ok((rows.iter().map(|row| row.get("id")).collect(), total))
}

/// The statement behind [`search_messages`] (`$1` the conversations, `$2` the tsquery text, `$3`
/// rows), newest first. `through_index`: match with `@@`, which the GIN index serves; otherwise
/// with `ts_match_vq`, the same test as a function the index cannot serve, so PostgreSQL reads the
/// conversations' messages through `(chatId, seq)` instead. Deleted messages have no text and never
/// match.
pub fn search_sql(through_index: bool) -> String {
    let matches = match through_index {
        true => r#"m."searchVector" @@ to_tsquery('simple'::regconfig, $2)"#,
        false => r#"ts_match_vq(m."searchVector", to_tsquery('simple'::regconfig, $2))"#,
    };
    format!(
        r#"SELECT {MESSAGE_COLUMNS} FROM "Message" m {MESSAGE_JOINS}
           WHERE m."chatId" = ANY($1) AND {matches} AND m."deletedAt" IS NULL
           ORDER BY m."createdAt" DESC, m."id" DESC
           LIMIT $3"#
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
    let (conversations, messages) = search_scope(client, reader).await?;
    if conversations.is_empty() {
        return Ok((Vec::new(), false));
    }
    let rows = timed(client.query_typed(
        &search_sql(messages > SCAN_UP_TO_MESSAGES),
        &[(&conversations, Type::TEXT_ARRAY), (&query.to_tsquery(), Type::TEXT), (&(limit + 1), Type::INT8)],
    ))
    .await?;
    let has_more = rows.len() as i64 > limit;
    Ok((rows.iter().take(limit as usize).map(Message::from_row).collect(), has_more))
}
