//! `GET /api/files?messageId=`: a FILE message's file, for the conversation's participants only.
//! 302 to a short-lived presigned GET of the store; with `format=json` (or `Accept:
//! application/json`) 200 `{url, expiresAt, contentType, disposition}`, for clients that
//! authenticate with a bearer token (which an `<img src>` cannot send) and then set the link.

use super::{Answer, Call};
use crate::auth::AuthUser;
use crate::domain::{Invalid, MessageId};
use crate::http::{json_response, ApiResponse};
use crate::services::{storage, uploads};
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, CACHE_CONTROL, LOCATION};
use hyper::StatusCode;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FileQuery {
    message_id: Option<String>,
    format: Option<String>,
    download: Option<bool>,
}

pub async fn get(call: Call, caller: AuthUser) -> Answer {
    let query: FileQuery = call.request.query()?;
    let message = MessageId::from_field(query.message_id.as_deref(), "messageId")?;
    storage::store(&call.ctx)?;
    let accepts_json = call.request.header("accept").is_some_and(|accept| accept.contains("application/json"));
    let json = match query.format.as_deref() {
        None => accepts_json,
        Some("json") => true,
        Some("redirect") => false,
        Some(_) => return Err(Invalid::new("invalid_query", "format must be json or redirect").into()),
    };
    let db = call.db().await?;
    let link = uploads::file_link(&call.ctx, &**db, &caller.id, &message, query.download.unwrap_or(false)).await?;
    let mut response = match json {
        true => json_response(StatusCode::OK, &link),
        false => {
            let mut response = ApiResponse::new(Full::new(Bytes::new()));
            *response.status_mut() = StatusCode::FOUND;
            let location = HeaderValue::from_str(&link.url).map_err(crate::error::ApiError::internal)?;
            response.headers_mut().insert(LOCATION, location);
            response
        }
    };
    // The link is the caller's for a minute: no shared cache may keep it.
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}
