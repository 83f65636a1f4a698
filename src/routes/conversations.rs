//! `GET /api/conversations`: the caller's inbox, most recent first.

use super::allow;
use crate::context::AppContext;
use crate::db::conversations::inbox;
use crate::error::ApiError;
use crate::http::{ok_json, ApiRequest, ApiResponse};
use hyper::Method;
use serde_json::json;

pub async fn get(ctx: &AppContext, request: &ApiRequest) -> Result<ApiResponse, ApiError> {
    allow(request, &[Method::GET])?;
    let caller = ctx.authenticate(request).await?;
    let limit = match request.query_param("limit") {
        None => 50,
        Some(raw) => match raw.parse::<i64>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => return Err(ApiError::unprocessable("invalid_query", "limit must be between 1 and 100")),
        },
    };
    let conversations = inbox(&**ctx.db().await?, &caller.id, limit).await?;
    ok_json(&json!({"conversations": conversations}))
}
