//! `POST /api/uploads`: `{conversationId | chatId | roomId, fileName, contentType, size}` → 201
//! `{upload: {id, url, method, headers, maxBytes, expiresAt}}`, a presigned PUT straight to the
//! object store. 501 `storage_disabled` without one.

use super::{finish, Answer, Call};
use crate::auth::AuthUser;
use crate::http::json_response;
use crate::services::conversations::{Target, TargetFields};
use crate::services::{storage, uploads};
use hyper::StatusCode;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UploadBody {
    conversation_id: Option<String>,
    chat_id: Option<String>,
    room_id: Option<String>,
    file_name: Option<String>,
    content_type: Option<String>,
    size: Option<i64>,
}

pub async fn post(call: Call, caller: AuthUser) -> Answer {
    storage::store(&call.ctx)?;
    let body: UploadBody = call.request.json()?;
    let target = Target::from_fields(TargetFields {
        chat_id: body.chat_id.as_deref(),
        room_id: body.room_id.as_deref(),
        conversation_id: body.conversation_id.as_deref(),
    })?;
    let request = uploads::UploadRequest {
        target,
        file_name: body.file_name.as_deref(),
        content_type: body.content_type.as_deref(),
        size: body.size,
    };
    // One transaction: the rate-limit token and the upload's row commit together.
    let mut db = call.db().await?;
    let tx = db.transaction().await?;
    let outcome = uploads::create_upload(&call.ctx, &*tx, &caller.id, request).await;
    let upload = finish(tx, outcome).await?;
    Ok(json_response(StatusCode::CREATED, &json!({"upload": upload})))
}
