//! Changes to stored messages: edits and deletions by their sender. Each takes the next number of
//! its conversation's change counter in the same statement (the counter's row lock orders
//! concurrent changes, so they commit in counter order and a reader of the counter has every
//! change up to it).

use super::messages::{Message, MESSAGE_COLUMNS, MESSAGE_JOINS};
use super::timed;
use crate::domain::{MessageContent, MessageId, UserId};
use std::time::Duration;
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

const NOW: &str = "(clock_timestamp() AT TIME ZONE 'UTC')";

/// The statement shape of a change: `$1` message id, `$2` its sender; `set` assigns the changed
/// columns of `msg`, `condition` further limits which messages may change.
fn change_sql(set: &str, condition: &str) -> String {
    format!(
        r#"WITH target AS (
               SELECT "chatId" FROM "Message" WHERE "id" = $1 AND "senderId" = $2 AND "deletedAt" IS NULL AND {condition}),
           bump AS (
               UPDATE "Conversation" c SET "changeSeq" = c."changeSeq" + 1
               FROM target t WHERE c."id" = t."chatId"
               RETURNING c."changeSeq"),
           m AS (
               UPDATE "Message" msg SET {set}, "updatedAt" = {NOW}, "changeSeq" = b."changeSeq"
               FROM bump b
               WHERE msg."id" = $1 AND msg."senderId" = $2 AND msg."deletedAt" IS NULL AND {condition}
               RETURNING msg.*)
           SELECT {MESSAGE_COLUMNS} FROM m {MESSAGE_JOINS}"#
    )
}

/// Replaces the text of `sender`'s message if it is not deleted and was sent within `window`;
/// `None` when any of that does not hold.
pub async fn edit_message(
    client: &impl GenericClient,
    id: &MessageId,
    sender: &UserId,
    content: &MessageContent,
    window: Duration,
) -> Result<Option<Message>, tokio_postgres::Error> {
    let sql = change_sql(
        &format!(r#""content" = $3, "editedAt" = {NOW}"#),
        &format!(r#""createdAt" > {NOW} - make_interval(secs => $4)"#),
    );
    let rows = timed(client.query_typed(
        &sql,
        &[
            (&id.as_str(), Type::TEXT),
            (&sender.as_str(), Type::TEXT),
            (&content.as_str(), Type::TEXT),
            (&window.as_secs_f64(), Type::FLOAT8),
        ],
    ))
    .await?;
    Ok(rows.first().map(Message::from_row))
}

/// Turns `sender`'s message into a tombstone: text and file emptied, `deletedAt` set, `seq` kept;
/// `moderator` names a room's owner or admin deleting it for them (`"deletedBy"`). `None` when it
/// is not `sender`'s or already deleted.
pub async fn delete_message(
    client: &impl GenericClient,
    id: &MessageId,
    sender: &UserId,
    moderator: Option<&UserId>,
) -> Result<Option<Message>, tokio_postgres::Error> {
    let sql = change_sql(
        &format!(
            r#""content" = '', "fileUrl" = NULL, "fileName" = NULL, "fileSize" = NULL, "deletedAt" = {NOW},
               "deletedBy" = $3::text"#
        ),
        "true",
    );
    let moderator = moderator.map(UserId::as_str);
    let rows = timed(
        client
            .query_typed(&sql, &[(&id.as_str(), Type::TEXT), (&sender.as_str(), Type::TEXT), (&moderator, Type::TEXT)]),
    )
    .await?;
    if !rows.is_empty() {
        // A tombstone has no reactions (one racing in is hidden from every read).
        timed(
            client.execute_typed(
                r#"DELETE FROM "MessageReaction" WHERE "messageId" = $1"#,
                &[(&id.as_str(), Type::TEXT)],
            ),
        )
        .await?;
    }
    Ok(rows.first().map(Message::from_row))
}
