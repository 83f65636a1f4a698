//! `GET /api/me/export[?cursor=]`: one page of the caller's data (see `services::export`);
//! follow `nextCursor` until it is `null`. The first page is limited to one an hour (429 with
//! `Retry-After`).

use super::{Answer, Call};
use crate::auth::AuthUser;
use crate::http::ok_json;
use crate::services::export::{page, Cursor};
use serde::Deserialize;

#[derive(Deserialize)]
struct ExportQuery {
    cursor: Option<String>,
}

pub async fn get(call: Call, caller: AuthUser) -> Answer {
    let query: ExportQuery = call.request.query()?;
    let cursor = Cursor::parse(query.cursor.as_deref()).map_err(crate::error::ApiError::malformed)?;
    ok_json(&page(&**call.db().await?, &caller.id, &cursor).await?)
}
