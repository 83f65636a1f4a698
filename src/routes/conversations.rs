//! `GET /api/conversations`: the caller's inbox, most recent first.

use super::allow;
use super::messages::limit_param;
use crate::context::AppContext;
use crate::db::conversations::inbox;
use crate::error::ApiError;
use crate::http::{ok_json, ApiRequest, ApiResponse};
use hyper::Method;
use serde_json::json;

pub async fn get(ctx: &AppContext, request: &ApiRequest) -> Result<ApiResponse, ApiError> {
    allow(request, &[Method::GET])?;
    let caller = ctx.authenticate(request).await?;
    let limit = limit_param(request)?;
    let conversations = inbox(&**ctx.db().await?, &caller.id, limit).await?;
    ok_json(&json!({"conversations": conversations}))
}
