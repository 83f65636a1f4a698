//! The `"Upload"` table (V18): one row per presigned PUT, used by at most one message.

use super::timed;
use chrono::NaiveDateTime;
use serde::Serialize;
use tokio_postgres::types::Type;
use tokio_postgres::{GenericClient, Row};

/// An upload as the API keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub id: String,
    pub uploader_id: String,
    pub chat_id: String,
    pub object_key: String,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub message_id: Option<String>,
    pub discarded: bool,
}

impl Upload {
    fn from_row(row: &Row) -> Self {
        Self {
            id: row.get("id"),
            uploader_id: row.get("uploaderId"),
            chat_id: row.get("chatId"),
            object_key: row.get("objectKey"),
            file_name: row.get("fileName"),
            content_type: row.get("contentType"),
            size: row.get("size"),
            message_id: row.get("messageId"),
            discarded: row.get::<_, Option<NaiveDateTime>>("discardedAt").is_some(),
        }
    }
}

const UPLOAD_COLUMNS: &str =
    r#""id", "uploaderId", "chatId", "objectKey", "fileName", "contentType", "size", "messageId", "discardedAt""#;

/// A message's file as events, history and search carry it: never a store URL, only the path of
/// `/api/files` that hands out a short-lived one.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MessageFile {
    /// The upload's id.
    pub id: String,
    pub name: String,
    pub size: i64,
    pub content_type: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub url: String,
}

/// The path a message's file is fetched from (relative to the API's origin).
pub fn file_path(message_id: &str) -> String {
    format!("/api/files?messageId={message_id}")
}

impl MessageFile {
    /// From a row of [`super::messages::MESSAGE_COLUMNS`]: `None` when the message has no
    /// upload, or when the row came from a statement without the upload's columns.
    pub(super) fn from_message_row(row: &Row) -> Option<Self> {
        let id: Option<String> = row.try_get("uploadId").ok().flatten();
        let message_id: String = row.get("id");
        Some(Self {
            id: id?,
            name: row.get("uploadName"),
            size: row.get("uploadSize"),
            content_type: row.get("uploadType"),
            width: row.get("uploadWidth"),
            height: row.get("uploadHeight"),
            url: file_path(&message_id),
        })
    }
}

pub struct NewUpload<'a> {
    pub id: &'a str,
    pub uploader: &'a str,
    pub chat_id: &'a str,
    pub object_key: &'a str,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub size: i64,
}

pub async fn insert_upload(client: &impl GenericClient, new: &NewUpload<'_>) -> Result<(), tokio_postgres::Error> {
    timed(client.execute_typed(
        r#"INSERT INTO "Upload" ("id", "uploaderId", "chatId", "objectKey", "fileName", "contentType", "size")
           VALUES ($1, $2, $3, $4, $5, $6, $7)"#,
        &[
            (&new.id, Type::TEXT),
            (&new.uploader, Type::TEXT),
            (&new.chat_id, Type::TEXT),
            (&new.object_key, Type::TEXT),
            (&new.file_name, Type::TEXT),
            (&new.content_type, Type::TEXT),
            (&new.size, Type::INT8),
        ],
    ))
    .await?;
    Ok(())
}

pub async fn find_upload(client: &impl GenericClient, id: &str) -> Result<Option<Upload>, tokio_postgres::Error> {
    let rows = timed(
        client.query_typed(&format!(r#"SELECT {UPLOAD_COLUMNS} FROM "Upload" WHERE "id" = $1"#), &[(&id, Type::TEXT)]),
    )
    .await?;
    Ok(rows.first().map(Upload::from_row))
}

/// The upload a message carries (not one discarded with its message).
pub async fn upload_of_message(
    client: &impl GenericClient,
    message_id: &str,
) -> Result<Option<Upload>, tokio_postgres::Error> {
    let rows = timed(client.query_typed(
        &format!(r#"SELECT {UPLOAD_COLUMNS} FROM "Upload" WHERE "messageId" = $1 AND "discardedAt" IS NULL"#),
        &[(&message_id, Type::TEXT)],
    ))
    .await?;
    Ok(rows.first().map(Upload::from_row))
}

/// Gives the upload to `message_id` if it is still `uploader`'s unused upload to `chat_id`; the
/// row lock makes a concurrent claim wait and then find it used. `false`: not claimed. Runs in
/// the transaction that inserts the message (the foreign key is checked at its commit).
pub async fn claim_upload(
    client: &impl GenericClient,
    id: &str,
    uploader: &str,
    chat_id: &str,
    message_id: &str,
    width: Option<i32>,
    height: Option<i32>,
) -> Result<bool, tokio_postgres::Error> {
    let claimed = timed(client.execute_typed(
        r#"UPDATE "Upload" SET "messageId" = $4, "width" = $5, "height" = $6
           WHERE "id" = $1 AND "uploaderId" = $2 AND "chatId" = $3
             AND "messageId" IS NULL AND "discardedAt" IS NULL"#,
        &[
            (&id, Type::TEXT),
            (&uploader, Type::TEXT),
            (&chat_id, Type::TEXT),
            (&message_id, Type::TEXT),
            (&width, Type::INT4),
            (&height, Type::INT4),
        ],
    ))
    .await?;
    Ok(claimed == 1)
}

/// Marks these messages' uploads for deletion (their objects go next) and returns them.
pub async fn discard_uploads_of_messages(
    client: &impl GenericClient,
    message_ids: &[String],
) -> Result<Vec<Upload>, tokio_postgres::Error> {
    let rows = timed(client.query_typed(
        &format!(
            r#"UPDATE "Upload" SET "discardedAt" = COALESCE("discardedAt", (now() AT TIME ZONE 'UTC'))
               WHERE "messageId" = ANY($1) RETURNING {UPLOAD_COLUMNS}"#
        ),
        &[(&message_ids, Type::TEXT_ARRAY)],
    ))
    .await?;
    Ok(rows.iter().map(Upload::from_row).collect())
}

/// Marks up to `limit` uploads that no message used and that were created before `unused_before`
/// for deletion. From then on no send can claim them (the claim needs `"discardedAt"` unset), so
/// an object is never deleted under a message that was just sent with it. Rows a send is claiming
/// right now are skipped.
pub async fn discard_unused(
    client: &impl GenericClient,
    unused_before: NaiveDateTime,
    limit: i64,
) -> Result<u64, tokio_postgres::Error> {
    timed(client.execute_typed(
        r#"UPDATE "Upload" SET "discardedAt" = (now() AT TIME ZONE 'UTC')
           WHERE "id" IN (SELECT "id" FROM "Upload"
                          WHERE "messageId" IS NULL AND "discardedAt" IS NULL AND "createdAt" < $1
                          ORDER BY "createdAt" LIMIT $2 FOR UPDATE SKIP LOCKED)"#,
        &[(&unused_before, Type::TIMESTAMP), (&limit, Type::INT8)],
    ))
    .await
}

/// Up to `limit` uploads marked for deletion, oldest mark first.
pub async fn discarded_uploads(client: &impl GenericClient, limit: i64) -> Result<Vec<Upload>, tokio_postgres::Error> {
    let rows = timed(client.query_typed(
        &format!(
            r#"SELECT {UPLOAD_COLUMNS} FROM "Upload" WHERE "discardedAt" IS NOT NULL ORDER BY "discardedAt" LIMIT $1"#
        ),
        &[(&limit, Type::INT8)],
    ))
    .await?;
    Ok(rows.iter().map(Upload::from_row).collect())
}

/// Deletes the rows of discarded uploads whose objects are gone.
pub async fn delete_discarded(client: &impl GenericClient, ids: &[String]) -> Result<u64, tokio_postgres::Error> {
    timed(client.execute_typed(
        r#"DELETE FROM "Upload" WHERE "id" = ANY($1) AND "discardedAt" IS NOT NULL"#,
        &[(&ids, Type::TEXT_ARRAY)],
    ))
    .await
}
