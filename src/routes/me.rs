//! `GET /api/me`: the authenticated caller and their profile (null when the app has not created
//! a `"User"` row for them yet).

use super::{Answer, Call};
use crate::auth::AuthUser;
use crate::db::users::find_user;
use crate::http::ok_json;
use serde_json::json;

pub async fn get(call: Call, caller: AuthUser) -> Answer {
    let profile = find_user(&**call.db().await?, &caller.id).await?;
    ok_json(&json!({"id": caller.id, "email": caller.email, "profile": profile}))
}
