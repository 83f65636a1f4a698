//! `GET /api/conversations`: the caller's inbox, most recent first.

use super::{page_limit, Answer, Call};
use crate::auth::AuthUser;
use crate::db::conversations::inbox;
use crate::http::ok_json;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
struct InboxQuery {
    limit: Option<i64>,
}

pub async fn get(call: Call, caller: AuthUser) -> Answer {
    let query: InboxQuery = call.request.query()?;
    let limit = page_limit(query.limit)?;
    let conversations = inbox(&**call.db().await?, &caller.id, limit).await?;
    ok_json(&json!({"conversations": conversations}))
}
