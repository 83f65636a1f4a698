//! Erasing an account and expiring old messages: the statements behind `DELETE /api/me` and the
//! retention drain. Every statement is bounded (a batch of ids) and idempotent, so a run that dies
//! half-way is finished by the next one.

use super::timed;
use chrono::NaiveDateTime;
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

const NOW: &str = "(now() AT TIME ZONE 'UTC')";

/// Where an account's erasure stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErasureState {
    pub erased_at: NaiveDateTime,
    pub done_at: Option<NaiveDateTime>,
}

/// Starts (or finds) the erasure of `user`: the profile goes at once (email, names, avatar,
/// status), leaving the id, and the account counts as gone for every route from this commit.
/// `None` when there is no such user.
pub async fn begin_erasure(
    client: &impl GenericClient,
    user: &str,
) -> Result<Option<ErasureState>, tokio_postgres::Error> {
    let rows = timed(client.query_typed(
        &format!(
            r#"UPDATE "User" SET "erasedAt" = COALESCE("erasedAt", {NOW}), "email" = NULL, "firstName" = '',
                   "lastName" = '', "avatar" = NULL, "status" = 'offline', "statusAt" = NULL, "lastActive" = NULL,
                   "updatedAt" = {NOW}
               WHERE "id" = $1
               RETURNING "erasedAt", "erasureDoneAt""#
        ),
        &[(&user, Type::TEXT)],
    ))
    .await?;
    Ok(rows.first().map(|row| ErasureState { erased_at: row.get("erasedAt"), done_at: row.get("erasureDoneAt") }))
}

/// A message about to become a tombstone: its id and the file it points to, whose stored object
/// goes first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doomed {
    pub id: String,
    pub file_url: Option<String>,
}

fn doomed(rows: &[tokio_postgres::Row]) -> Vec<Doomed> {
    rows.iter().map(|row| Doomed { id: row.get("id"), file_url: row.get("fileUrl") }).collect()
}

/// The next `limit` messages `sender` wrote that are not tombstones yet.
pub async fn live_messages_of(
    client: &impl GenericClient,
    sender: &str,
    limit: i64,
) -> Result<Vec<Doomed>, tokio_postgres::Error> {
    let rows = timed(client.query_typed(
        r#"SELECT "id", "fileUrl" FROM "Message" WHERE "senderId" = $1 AND "deletedAt" IS NULL
               ORDER BY "id" LIMIT $2"#,
        &[(&sender, Type::TEXT), (&limit, Type::INT8)],
    ))
    .await?;
    Ok(doomed(&rows))
}

/// The oldest `limit` messages written before `cutoff` that are not tombstones yet.
pub async fn messages_older_than(
    client: &impl GenericClient,
    cutoff: NaiveDateTime,
    limit: i64,
) -> Result<Vec<Doomed>, tokio_postgres::Error> {
    let rows = timed(client.query_typed(
        r#"SELECT "id", "fileUrl" FROM "Message" WHERE "createdAt" < $1 AND "deletedAt" IS NULL
               ORDER BY "createdAt", "id" LIMIT $2"#,
        &[(&cutoff, Type::TIMESTAMP), (&limit, Type::INT8)],
    ))
    .await?;
    Ok(doomed(&rows))
}

/// Turns these messages into tombstones in one statement, as a sender's delete does: text and
/// file emptied, `deletedAt` set, `seq` kept, reactions gone, and each conversation's change
/// counter taken once so clients that sync with `changedAfter=` learn of it. Messages already
/// tombstones are left alone (a repeated run changes nothing). Returns how many changed.
pub async fn tombstone(client: &impl GenericClient, ids: &[String]) -> Result<u64, tokio_postgres::Error> {
    let row = timed(client.query_typed_one(
        &format!(
            r#"WITH target AS (
                   SELECT m."id", m."chatId" FROM "Message" m
                   WHERE m."id" = ANY($1) AND m."deletedAt" IS NULL
                   FOR UPDATE),
               bump AS (
                   UPDATE "Conversation" c SET "changeSeq" = c."changeSeq" + 1
                   FROM (SELECT DISTINCT "chatId" FROM target) t WHERE c."id" = t."chatId"
                   RETURNING c."id", c."changeSeq"),
               reactions AS (
                   DELETE FROM "MessageReaction" r USING target t WHERE r."messageId" = t."id" RETURNING 1),
               stone AS (
                   UPDATE "Message" m SET "content" = '', "fileUrl" = NULL, "fileName" = NULL, "fileSize" = NULL,
                       "deletedAt" = {NOW}, "updatedAt" = {NOW}, "changeSeq" = COALESCE(b."changeSeq", m."changeSeq")
                   FROM target t LEFT JOIN bump b ON b."id" = t."chatId"
                   WHERE m."id" = t."id"
                   RETURNING m."id")
               SELECT (SELECT count(*) FROM stone) AS stoned"#
        ),
        &[(&ids, Type::TEXT_ARRAY)],
    ))
    .await?;
    Ok(row.get::<_, i64>("stoned") as u64)
}

/// Takes back up to `limit` of `user`'s reactions in one statement, each conversation's change
/// counter taken once and the messages stamped with it (as taking one back does), so clients
/// syncing with `changedAfter=` see the counts change. Returns how many went.
pub async fn remove_reactions(
    client: &impl GenericClient,
    user: &str,
    limit: i64,
) -> Result<u64, tokio_postgres::Error> {
    let row = timed(client.query_typed_one(
        r#"WITH gone AS (
                   DELETE FROM "MessageReaction" r
                   WHERE (r."messageId", r."userId", r."emoji") IN (
                       SELECT "messageId", "userId", "emoji" FROM "MessageReaction" WHERE "userId" = $1 LIMIT $2)
                   RETURNING r."messageId"),
               touched AS (
                   SELECT DISTINCT m."id", m."chatId" FROM "Message" m JOIN gone g ON g."messageId" = m."id"),
               bump AS (
                   UPDATE "Conversation" c SET "changeSeq" = c."changeSeq" + 1
                   FROM (SELECT DISTINCT "chatId" FROM touched) t WHERE c."id" = t."chatId"
                   RETURNING c."id", c."changeSeq"),
               stamp AS (
                   UPDATE "Message" m SET "changeSeq" = b."changeSeq"
                   FROM touched t JOIN bump b ON b."id" = t."chatId" WHERE m."id" = t."id"
                   RETURNING 1)
               SELECT (SELECT count(*) FROM gone) AS gone"#,
        &[(&user, Type::TEXT), (&limit, Type::INT8)],
    ))
    .await?;
    Ok(row.get::<_, i64>("gone") as u64)
}

/// What finishing an erasure did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    /// Whether this call finished it (`false`: it was finished already, or messages remain).
    pub finished: bool,
    /// The rooms they were a member of.
    pub rooms: Vec<String>,
}

/// Removes everything of `user` that is neither a message nor a reaction (those go in batches
/// first), in one statement: push subscriptions and the pushes queued for them or carrying their
/// messages, read positions, mutes, the user's blocks and mutes of others, which chats they have open, invitations they got or sent, room memberships (each bounded
/// by the user's conversations and rooms); then marks the erasure done, unless a message of
/// theirs is still not a tombstone or a reaction is left. Idempotent: a second run finds nothing.
pub async fn finish_erasure(client: &impl GenericClient, user: &str) -> Result<Finished, tokio_postgres::Error> {
    let row = timed(client.query_typed_one(
        &format!(
            r#"WITH subs AS (DELETE FROM "PushSubscription" WHERE "userId" = $1 RETURNING "id"),
               pushes AS (
                   DELETE FROM "Outbox" o
                   WHERE (o."kind" = 'push.send' AND (o."payload"->>'subscriptionId' IN (SELECT "id" FROM subs)
                                                      OR o."payload"->'notification'->>'senderId' = $1))
                      OR (o."kind" = 'push.invitation' AND o."payload"->>'invitedBy' = $1)
                   RETURNING 1),
               reads AS (DELETE FROM "ConversationRead" WHERE "userId" = $1 RETURNING 1),
               mutes AS (DELETE FROM "ConversationMute" WHERE "userId" = $1 RETURNING 1),
               blocks AS (DELETE FROM "UserBlock" WHERE "userId" = $1 RETURNING 1),
               open_chats AS (DELETE FROM "ChatPresence" WHERE "userId" = $1 RETURNING 1),
               invitations AS (DELETE FROM "RoomInvitation" WHERE "userId" = $1 OR "invitedBy" = $1 RETURNING 1),
               memberships AS (DELETE FROM "RoomMember" WHERE "userId" = $1 RETURNING "roomId"),
               done AS (
                   UPDATE "User" SET "erasureDoneAt" = {NOW}
                   WHERE "id" = $1 AND "erasedAt" IS NOT NULL AND "erasureDoneAt" IS NULL
                     AND NOT EXISTS (SELECT 1 FROM "Message" WHERE "senderId" = $1 AND "deletedAt" IS NULL)
                     AND NOT EXISTS (SELECT 1 FROM "MessageReaction" WHERE "userId" = $1)
                   RETURNING "id")
               -- Every data-modifying CTE runs to completion whether or not this reads it.
               SELECT EXISTS (SELECT 1 FROM done) AS finished,
                      ARRAY(SELECT DISTINCT "roomId" FROM memberships ORDER BY 1) AS rooms"#
        ),
        &[(&user, Type::TEXT)],
    ))
    .await?;
    Ok(Finished { finished: row.get("finished"), rooms: row.get("rooms") })
}

/// Erasures begun and not finished (a call died, or the account was large), oldest first.
pub async fn pending_erasures(client: &impl GenericClient, limit: i64) -> Result<Vec<String>, tokio_postgres::Error> {
    let rows = timed(client.query_typed(
        r#"SELECT "id" FROM "User" WHERE "erasedAt" IS NOT NULL AND "erasureDoneAt" IS NULL
               ORDER BY "erasedAt", "id" LIMIT $1"#,
        &[(&limit, Type::INT8)],
    ))
    .await?;
    Ok(rows.iter().map(|row| row.get("id")).collect())
}
