//! Stored objects (uploaded files). Files are not built yet: no object is stored, and a
//! message's `fileUrl` is metadata only (the seed's column), which erasure and retention remove
//! with the message's text. When uploads arrive, [`delete_objects`] is where their objects are
//! deleted: erasure and retention call it with a batch's file URLs before they tombstone it, and
//! retry the batch if it fails, so an object never outlives the row that named it.

use crate::context::AppContext;
use crate::error::ApiError;

/// Deletes the objects behind these file URLs; deleting one already gone must succeed. Today
/// there are none: every URL points somewhere this product did not store.
pub async fn delete_objects<'a>(_ctx: &AppContext, urls: impl Iterator<Item = &'a str>) -> Result<(), ApiError> {
    let count = urls.count();
    if count > 0 {
        tracing::debug!(count, "file urls removed (no object storage configured)");
    }
    Ok(())
}
