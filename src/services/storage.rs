//! The object store for uploaded files: presigned PUTs and GETs for browsers (signed here with
//! rusty-s3, sans-IO, no call made), and the API's own HEAD and DELETE calls (presigned too, sent
//! with the instance's outbound client, each with `STORAGE_S3_TIMEOUT_MS`). No file byte passes
//! through the API.
//!
//! [`delete_objects`] is what erasure and retention call with a batch of messages before they
//! tombstone it, and retry the batch if it fails, so an object never outlives the row that named
//! it; a single message's delete and the periodic cleanup use [`delete_discarded`].

use crate::config::StorageConfig;
use crate::context::AppContext;
use crate::db::uploads::{delete_discarded, discard_uploads_of_messages, Upload};
use crate::error::ApiError;
use rusty_s3::actions::S3Action;
use rusty_s3::{Bucket, Credentials, UrlStyle};
use std::time::Duration;

/// A configured store.
pub struct ObjectStore<'a> {
    bucket: Bucket,
    credentials: Credentials,
    http: &'a reqwest::Client,
    timeout: Duration,
}

/// What the store holds under a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub size: u64,
    pub content_type: Option<String>,
}

/// How long the API's own signed calls stay valid (they are sent at once).
const CALL_SIGNATURE: Duration = Duration::from_secs(60);

/// The store of this deployment, or 501 `storage_disabled`.
pub fn store(ctx: &AppContext) -> Result<ObjectStore<'_>, ApiError> {
    let config = ctx.config.storage.as_ref().ok_or_else(disabled)?;
    ObjectStore::new(config, &ctx.outbound)
}

pub fn disabled() -> ApiError {
    ApiError::NotImplemented {
        code: "storage_disabled",
        message: "file uploads are not configured on this server (STORAGE_S3_BUCKET is unset)".into(),
    }
}

impl<'a> ObjectStore<'a> {
    pub fn new(config: &StorageConfig, http: &'a reqwest::Client) -> Result<Self, ApiError> {
        let style = if config.path_style { UrlStyle::Path } else { UrlStyle::VirtualHost };
        let bucket = Bucket::new(config.endpoint.clone(), style, config.bucket.clone(), config.region.clone())
            .map_err(|err| ApiError::internal(format!("storage bucket: {err:?}")))?;
        let credentials = Credentials::new(config.access_key_id.clone(), config.secret_access_key.expose().to_owned());
        Ok(Self { bucket, credentials, http, timeout: config.timeout })
    }

    /// A PUT of exactly `size` bytes of `content_type` to `key`, stored with `disposition`, valid
    /// for `expires_in`: the three headers are signed, so the store refuses any other type, length
    /// or disposition, and keeps the object as one that downloads (or shows, for safe images)
    /// however it is fetched.
    pub fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        size: u64,
        disposition: &str,
        expires_in: Duration,
    ) -> url::Url {
        let mut action = self.bucket.put_object(Some(&self.credentials), key);
        action.headers_mut().insert("content-type", content_type.to_owned());
        action.headers_mut().insert("content-length", size.to_string());
        action.headers_mut().insert("content-disposition", disposition.to_owned());
        action.sign(expires_in)
    }

    /// A GET of `key` whose answer carries this type and disposition (stores that honour the
    /// `response-*` parameters; the object carries its own from the PUT), valid for `expires_in`.
    pub fn presign_get(&self, key: &str, content_type: &str, disposition: &str, expires_in: Duration) -> url::Url {
        let mut action = self.bucket.get_object(Some(&self.credentials), key);
        action.query_mut().insert("response-content-type", content_type.to_owned());
        action.query_mut().insert("response-content-disposition", disposition.to_owned());
        action.query_mut().insert("response-cache-control", "private, max-age=300".to_owned());
        action.sign(expires_in)
    }

    /// The object's size and type; `None` when there is none under `key`.
    pub async fn head(&self, key: &str) -> Result<Option<StoredObject>, ApiError> {
        let url = self.bucket.head_object(Some(&self.credentials), key).sign(CALL_SIGNATURE);
        let response = self.http.head(url).timeout(self.timeout).send().await.map_err(unreachable)?;
        match response.status() {
            status if status.is_success() => {
                let header = |name| response.headers().get(name).and_then(|v| v.to_str().ok());
                let size = header(reqwest::header::CONTENT_LENGTH).and_then(|v| v.parse().ok());
                let size = size.ok_or_else(|| ApiError::internal("storage HEAD without Content-Length"))?;
                Ok(Some(StoredObject { size, content_type: header(reqwest::header::CONTENT_TYPE).map(str::to_owned) }))
            }
            reqwest::StatusCode::NOT_FOUND => Ok(None),
            status => Err(refused("HEAD", status)),
        }
    }

    /// Deletes the object; one already gone counts as deleted.
    pub async fn delete(&self, key: &str) -> Result<(), ApiError> {
        let url = self.bucket.delete_object(Some(&self.credentials), key).sign(CALL_SIGNATURE);
        let response = self.http.delete(url).timeout(self.timeout).send().await.map_err(unreachable)?;
        match response.status() {
            status if status.is_success() || status == reqwest::StatusCode::NOT_FOUND => Ok(()),
            status => Err(refused("DELETE", status)),
        }
    }
}

/// The store did not answer in time (or at all): 503, safe to retry.
fn unreachable(err: reqwest::Error) -> ApiError {
    tracing::warn!(timeout = err.is_timeout(), cause = %err, "storage unreachable");
    ApiError::Unavailable("storage")
}

/// The store answered with an error of its own (credentials, bucket, permissions): ours to fix.
fn refused(call: &str, status: reqwest::StatusCode) -> ApiError {
    ApiError::internal(format!("storage {call} answered {status}"))
}

/// Deletes the objects of these uploads, a few at a time, and then their rows; stops at the
/// first object that cannot be deleted (the caller, or the next run, tries again).
async fn delete_uploads(ctx: &AppContext, store: &ObjectStore<'_>, uploads: &[Upload]) -> Result<u64, ApiError> {
    let mut deleted = 0;
    for chunk in uploads.chunks(8) {
        let calls = chunk.iter().map(|upload| store.delete(&upload.object_key));
        for outcome in futures_util::future::join_all(calls).await {
            outcome?;
        }
        let ids: Vec<String> = chunk.iter().map(|upload| upload.id.clone()).collect();
        deleted += delete_discarded(&**ctx.db().await?, &ids).await?;
    }
    Ok(deleted)
}

/// Deletes the stored files of these messages (ids), and the rows of their uploads; a message
/// without one costs nothing. Without a configured store there is nothing this product stored.
pub async fn delete_objects<'a>(ctx: &AppContext, message_ids: impl Iterator<Item = &'a str>) -> Result<(), ApiError> {
    let ids: Vec<String> = message_ids.map(str::to_owned).collect();
    if ids.is_empty() || ctx.config.storage.is_none() {
        return Ok(());
    }
    let uploads = discard_uploads_of_messages(&**ctx.db().await?, &ids).await?;
    if uploads.is_empty() {
        return Ok(());
    }
    let store = store(ctx)?;
    let deleted = delete_uploads(ctx, &store, &uploads).await?;
    tracing::debug!(deleted, "stored files deleted");
    Ok(())
}

/// Deletes up to `limit` discarded uploads' objects and rows: the periodic cleanup's second half
/// (the first marks stale unused uploads as discarded), and what a message's delete runs at once.
pub async fn delete_discarded_uploads(ctx: &AppContext, uploads: &[Upload]) -> Result<u64, ApiError> {
    if uploads.is_empty() {
        return Ok(0);
    }
    let store = store(ctx)?;
    delete_uploads(ctx, &store, uploads).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    fn config(path_style: bool) -> StorageConfig {
        StorageConfig {
            endpoint: url::Url::parse("https://s3.eu-central-1.amazonaws.com").unwrap(),
            region: "eu-central-1".into(),
            bucket: "chat-files".into(),
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: Secret::new("secret"),
            path_style,
            timeout: Duration::from_secs(5),
        }
    }

    fn query(url: &url::Url, name: &str) -> Option<String> {
        url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
    }

    #[test]
    fn a_presigned_put_signs_type_length_and_disposition_for_its_lifetime() {
        let http = reqwest::Client::new();
        let store = ObjectStore::new(&config(true), &http).unwrap();
        let url = store.presign_put("c/a_b/u1", "image/png", 1234, "inline", Duration::from_secs(300));
        assert_eq!((url.host_str(), url.path()), (Some("s3.eu-central-1.amazonaws.com"), "/chat-files/c/a_b/u1"));
        assert_eq!(
            query(&url, "X-Amz-SignedHeaders").as_deref(),
            Some("content-disposition;content-length;content-type;host")
        );
        assert_eq!(query(&url, "X-Amz-Expires").as_deref(), Some("300"));
        assert!(query(&url, "X-Amz-Credential").unwrap().starts_with("AKIDEXAMPLE/"));
        assert!(query(&url, "X-Amz-Credential").unwrap().ends_with("/eu-central-1/s3/aws4_request"));
        assert!(!url.as_str().contains("secret"));
    }

    #[test]
    fn a_presigned_get_asks_for_the_type_and_disposition_and_virtual_hosts_work() {
        let http = reqwest::Client::new();
        let store = ObjectStore::new(&config(false), &http).unwrap();
        let url =
            store.presign_get("c/a_b/u1", "application/pdf", "attachment; filename=\"a.pdf\"", Duration::from_secs(60));
        assert_eq!((url.host_str(), url.path()), (Some("chat-files.s3.eu-central-1.amazonaws.com"), "/c/a_b/u1"));
        assert_eq!(query(&url, "response-content-type").as_deref(), Some("application/pdf"));
        assert_eq!(query(&url, "response-content-disposition").as_deref(), Some("attachment; filename=\"a.pdf\""));
        assert_eq!(query(&url, "X-Amz-Expires").as_deref(), Some("60"));
    }
}
