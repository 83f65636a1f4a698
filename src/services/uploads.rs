//! Uploads: a participant asks for a presigned PUT to a key the server chooses, puts the bytes
//! straight into the store, then sends a FILE message naming the upload; the API checks the
//! stored object before the message is stored, and hands out short-lived presigned GETs to the
//! conversation's participants only.

use super::conversations::{resolve, Target};
use super::messages::{send_as, Sent};
use super::storage::{self, ObjectStore};
use super::Publisher;
use crate::context::AppContext;
use crate::db::messages::find_by_client_id;
use crate::db::rate_limit::{self, Bucket};
use crate::db::uploads::{
    discard_unused, discarded_uploads, file_path, find_upload, insert_upload, upload_of_message, MessageFile,
    NewUpload, Upload,
};
use crate::domain::{
    Attachment, ContentType, ConversationKey, Draft, FileName, FileSize, MessageId, SizeProblem, SocketId, Timestamp,
    UserId,
};
use crate::error::ApiError;
use serde::Serialize;
use std::collections::BTreeMap;
use tokio_postgres::GenericClient;

/// Only png, jpeg, gif and webp images are shown inline; everything else is an attachment.
fn disposition_for(content_type: &ContentType, force_download: bool) -> &'static str {
    match content_type.is_safe_inline_image() && !force_download {
        true => "inline",
        false => "attachment",
    }
}

/// What a client asks to upload.
pub struct UploadRequest<'a> {
    pub target: Target,
    pub file_name: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub size: Option<i64>,
}

/// A presigned PUT, as `POST /api/uploads` answers it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PresignedUpload {
    pub id: String,
    pub url: String,
    pub method: &'static str,
    /// What the PUT must send (besides `Content-Length`, which browsers set themselves).
    pub headers: BTreeMap<&'static str, String>,
    pub max_bytes: u64,
    pub expires_at: Timestamp,
}

/// The key of an upload: under its conversation, named by the server only. The conversation's
/// key is made of ids (`A-Za-z0-9_-`, `:`), so it is safe as a path segment.
pub fn object_key(conversation: &ConversationKey, upload_id: &str) -> String {
    format!("c/{}/{upload_id}", conversation.to_string().replace(':', "_"))
}

/// A participant's conversation, or 404 (as messages answer strangers): no one learns whether a
/// chat or room they are not part of exists.
async fn participant_conversation(
    db: &impl GenericClient,
    caller: &UserId,
    target: &Target,
) -> Result<ConversationKey, ApiError> {
    match resolve(db, caller, target).await {
        Err(ApiError::Forbidden { .. }) => Err(ApiError::NotFound),
        other => other,
    }
}

/// `POST /api/uploads`: checks the request, takes a token from the caller's upload bucket,
/// records the upload and signs its PUT.
pub async fn create_upload(
    ctx: &AppContext,
    db: &impl GenericClient,
    caller: &UserId,
    request: UploadRequest<'_>,
) -> Result<PresignedUpload, ApiError> {
    let store = storage::store(ctx)?;
    let uploads = &ctx.config.uploads;
    let conversation = participant_conversation(db, caller, &request.target).await?;
    // Someone the other side of a 1:1 chat blocked may not send there, files included.
    super::safety::refuse_if_blocked(db, caller, &conversation).await?;
    let name = FileName::parse(request.file_name.unwrap_or(""))?;
    let content_type = ContentType::parse(request.content_type.unwrap_or(""))?;
    let size = match FileSize::parse(request.size, uploads.max_bytes) {
        Ok(size) => size,
        Err(SizeProblem::Invalid(invalid)) => return Err(invalid.into()),
        Err(SizeProblem::TooLarge { limit }) => {
            return Err(ApiError::FileTooLarge { limit });
        }
    };
    if !uploads.allows(content_type.as_str()) {
        return Err(ApiError::unprocessable(
            "file_type_not_allowed",
            format!("files of type {} cannot be uploaded here", content_type.as_str()),
        ));
    }
    let limit = Bucket::per_minute(uploads.per_minute);
    let limit_key = format!("upload:{caller}");
    if let Err(retry_after_secs) = rate_limit::take(db, &limit_key, limit).await? {
        return Err(ApiError::TooManyRequests { retry_after_secs });
    }
    let id = uuid::Uuid::new_v4().to_string();
    let key = object_key(&conversation, &id);
    let chat_id = conversation.to_string();
    insert_upload(
        db,
        &NewUpload {
            id: &id,
            uploader: caller.as_str(),
            chat_id: &chat_id,
            object_key: &key,
            file_name: name.as_str(),
            content_type: content_type.as_str(),
            size: size.bytes() as i64,
        },
    )
    .await?;
    let expires_at = expiry(uploads.put_expiry);
    let disposition = name.disposition(disposition_for(&content_type, false));
    let url = store.presign_put(&key, content_type.as_str(), size.bytes(), &disposition, uploads.put_expiry);
    Ok(PresignedUpload {
        id,
        url: url.to_string(),
        method: "PUT",
        headers: BTreeMap::from([
            ("Content-Disposition", disposition),
            ("Content-Type", content_type.as_str().to_owned()),
        ]),
        max_bytes: size.bytes(),
        expires_at,
    })
}

/// When a URL signed from now on for `lifetime` stops working (at the latest): signatures count
/// whole seconds from their signing time, which is not before this second.
fn expiry(lifetime: std::time::Duration) -> Timestamp {
    let now = chrono::Utc::now().timestamp();
    Timestamp::from_millis((now + lifetime.as_secs() as i64) * 1000).unwrap_or_else(Timestamp::now)
}

fn invalid_upload() -> ApiError {
    ApiError::unprocessable("invalid_upload", "uploadId must name an upload of yours to this conversation")
}

fn already_used() -> ApiError {
    ApiError::unprocessable("upload_already_used", "this upload was already sent in a message")
}

/// Sends a FILE message that carries an upload: the upload must be the sender's, to this
/// conversation and unused; the object must be in the store with the declared size and type.
/// The claim and the message commit together (two sends of one upload: one wins, the other is
/// 422 `upload_already_used`); on any refusal nothing is stored.
#[allow(clippy::too_many_arguments)]
pub async fn send_upload(
    ctx: &AppContext,
    db: &mut deadpool_postgres::Object,
    publisher: &Publisher,
    limit: Bucket,
    sender: &UserId,
    conversation: &ConversationKey,
    mut draft: Draft,
    except: Option<SocketId>,
) -> Result<Sent, ApiError> {
    let store = storage::store(ctx)?;
    let request = draft.upload.clone().ok_or_else(|| ApiError::internal("send_upload without an upload"))?;
    let upload = find_upload(&***db, request.id.as_str()).await?.ok_or_else(invalid_upload)?;
    if upload.uploader_id != sender.as_str() || upload.chat_id != conversation.to_string() || upload.discarded {
        return Err(invalid_upload());
    }
    if let Some(used_by) = &upload.message_id {
        return repeated_send(&***db, sender, &draft, used_by).await;
    }
    check_stored_object(&store, &upload).await?;
    let message_id = uuid::Uuid::new_v4().to_string();
    let name = FileName::stored(upload.file_name.clone());
    draft.attach_upload(Attachment {
        url: file_path(&message_id),
        name: name.as_str().to_owned(),
        size: i32::try_from(upload.size).unwrap_or(i32::MAX),
    });
    let file = MessageFile {
        id: upload.id.clone(),
        name: upload.file_name.clone(),
        size: upload.size,
        content_type: upload.content_type.clone(),
        width: request.dimensions.width,
        height: request.dimensions.height,
        url: file_path(&message_id),
    };
    let tx = db.transaction().await?;
    let claimed = crate::db::uploads::claim_upload(
        &*tx,
        &upload.id,
        sender.as_str(),
        &upload.chat_id,
        &message_id,
        request.dimensions.width,
        request.dimensions.height,
    )
    .await?;
    if !claimed {
        tx.rollback().await?;
        // Another send took it a moment ago: the same repeat rules apply.
        let now = find_upload(&***db, &upload.id).await?.ok_or_else(invalid_upload)?;
        return match now.message_id {
            Some(used_by) => repeated_send(&***db, sender, &draft, &used_by).await,
            None => Err(invalid_upload()),
        };
    }
    match send_as(&*tx, publisher, limit, sender, conversation, &draft, except, &message_id, Some(file)).await {
        Ok(sent) if sent.created => {
            tx.commit().await?;
            Ok(sent)
        }
        // A repeat of a clientMessageId: the original stands, this claim goes.
        Ok(sent) => {
            tx.rollback().await?;
            Ok(sent)
        }
        Err(err) => {
            tx.rollback().await?;
            Err(err)
        }
    }
}

/// An upload that a message already carries: the original message when this is a retry of that
/// very send (same `clientMessageId`), else 422 `upload_already_used`.
async fn repeated_send(
    db: &impl GenericClient,
    sender: &UserId,
    draft: &Draft,
    used_by: &str,
) -> Result<Sent, ApiError> {
    if let Some(client_id) = &draft.client_message_id {
        if let Some(original) = find_by_client_id(db, sender, client_id).await? {
            if original.id == used_by {
                return Ok(Sent { message: original, created: false });
            }
        }
    }
    Err(already_used())
}

/// The object must exist with exactly the declared size and type.
async fn check_stored_object(store: &ObjectStore<'_>, upload: &Upload) -> Result<(), ApiError> {
    let Some(object) = store.head(&upload.object_key).await? else {
        return Err(ApiError::unprocessable(
            "upload_not_found_in_store",
            "the file is not in the store: PUT it to the upload's url first",
        ));
    };
    let stored_type = object.content_type.as_deref().and_then(|t| ContentType::parse(t).ok());
    if object.size != upload.size as u64 || stored_type.as_ref().map(ContentType::as_str) != Some(&upload.content_type)
    {
        return Err(ApiError::unprocessable(
            "upload_mismatch",
            "the stored file's size or type differs from the ones the upload declared",
        ));
    }
    Ok(())
}

/// A presigned GET of a message's file, as `GET /api/files` answers it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileLink {
    pub url: String,
    pub expires_at: Timestamp,
    pub content_type: String,
    pub disposition: &'static str,
}

/// The file of a message `caller` may see (404 otherwise: not a participant, no such message,
/// deleted, or no uploaded file), as a short-lived link. Only png, jpeg, gif and webp images are
/// served inline; everything else is an attachment, so no file runs script on a browser origin.
pub async fn file_link(
    ctx: &AppContext,
    db: &impl GenericClient,
    caller: &UserId,
    message: &MessageId,
    force_download: bool,
) -> Result<FileLink, ApiError> {
    let store = storage::store(ctx)?;
    let found = super::message_actions::visible_message(db, caller, message).await?;
    if found.deleted_at.is_some() {
        return Err(ApiError::NotFound);
    }
    let upload = upload_of_message(db, message.as_str()).await?.ok_or(ApiError::NotFound)?;
    let content_type = ContentType::parse(&upload.content_type).map_err(ApiError::internal)?;
    let disposition = disposition_for(&content_type, force_download);
    let name = FileName::stored(upload.file_name.clone());
    let lifetime = ctx.config.uploads.get_expiry;
    let url = store.presign_get(&upload.object_key, content_type.as_str(), &name.disposition(disposition), lifetime);
    Ok(FileLink { url: url.to_string(), expires_at: expiry(lifetime), content_type: upload.content_type, disposition })
}

/// What the periodic cleanup did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadCleanupReport {
    /// Whether a store is configured.
    pub enabled: bool,
    /// Objects (and their rows) deleted.
    pub deleted: u64,
    /// Whether it stopped at its bound (more may be due).
    pub stopped_at_limit: bool,
}

/// Uploads handled per run.
const CLEANUP_PER_RUN: i64 = 200;

/// The periodic job: marks uploads no message used within `UPLOAD_UNUSED_TTL_SECS` as discarded,
/// then deletes the objects and rows of discarded uploads (those and the files of deleted
/// messages whose immediate delete failed), at most [`CLEANUP_PER_RUN`] a run.
pub async fn clean_up(ctx: &AppContext) -> Result<UploadCleanupReport, ApiError> {
    if ctx.config.storage.is_none() {
        return Ok(UploadCleanupReport::default());
    }
    let ttl = chrono::Duration::from_std(ctx.config.uploads.unused_ttl).map_err(ApiError::internal)?;
    let cutoff = chrono::Utc::now().naive_utc() - ttl;
    discard_unused(&**ctx.db().await?, cutoff, CLEANUP_PER_RUN).await?;
    let due = discarded_uploads(&**ctx.db().await?, CLEANUP_PER_RUN).await?;
    let deleted = storage::delete_discarded_uploads(ctx, &due).await?;
    Ok(UploadCleanupReport { enabled: true, deleted, stopped_at_limit: due.len() as i64 == CLEANUP_PER_RUN })
}

/// After a message's delete committed: deletes its file at once. A failure is left to the
/// periodic cleanup (the tombstone already marked the upload discarded), so the delete itself
/// never fails for it.
pub async fn delete_file_of(ctx: &AppContext, message: &str) {
    if ctx.config.storage.is_none() {
        return;
    }
    let outcome = async {
        let uploads =
            crate::db::uploads::discard_uploads_of_messages(&**ctx.db().await?, &[message.to_owned()]).await?;
        storage::delete_discarded_uploads(ctx, &uploads).await
    };
    if let Err(err) = outcome.await {
        tracing::warn!(%err, "a deleted message's file is left to the periodic cleanup");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::RoomId;

    #[test]
    fn keys_live_under_their_conversation_and_name_no_file() {
        let a = UserId::parse("alice").unwrap();
        let b = UserId::parse("bob").unwrap();
        let chat = ConversationKey::private(&b, &a).unwrap();
        assert_eq!(object_key(&chat, "u1"), "c/alice_bob/u1");
        let room = ConversationKey::room(&RoomId::parse("r-9").unwrap());
        assert_eq!(object_key(&room, "u2"), "c/room_r-9/u2");
    }

    #[test]
    fn only_safe_images_are_inline_and_a_download_never_is() {
        let kind = |t: &str| ContentType::parse(t).unwrap();
        assert_eq!(disposition_for(&kind("image/png"), false), "inline");
        assert_eq!(disposition_for(&kind("image/webp"), false), "inline");
        assert_eq!(disposition_for(&kind("image/png"), true), "attachment");
        for other in ["image/svg+xml", "text/html", "application/pdf", "text/plain"] {
            assert_eq!(disposition_for(&kind(other), false), "attachment", "{other}");
        }
    }

    #[test]
    fn an_expiry_is_the_whole_second_of_now_plus_the_lifetime() {
        let before = chrono::Utc::now().timestamp();
        let at = expiry(std::time::Duration::from_secs(300)).naive().and_utc().timestamp_millis();
        assert_eq!(at % 1000, 0);
        assert!((before + 300..=before + 301).contains(&(at / 1000)), "{at}");
    }
}
