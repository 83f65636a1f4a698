//! `GET /api/me`: the authenticated caller and their profile (null when the app has not created
//! a `"User"` row for them yet).

use super::allow;
use crate::context::AppContext;
use crate::db::users::find_user;
use crate::error::ApiError;
use crate::http::{ok_json, ApiRequest, ApiResponse};
use hyper::Method;
use serde_json::json;

pub async fn get(ctx: &AppContext, request: &ApiRequest) -> Result<ApiResponse, ApiError> {
    allow(request, &[Method::GET])?;
    let caller = ctx.authenticate(request).await?;
    let profile = find_user(&**ctx.db().await?, &caller.id).await?;
    ok_json(&json!({"id": caller.id, "email": caller.email, "profile": profile}))
}
