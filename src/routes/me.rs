//! `GET /api/me`: the authenticated caller and their profile (null until one exists).
//! `PUT /api/me` `{firstName, lastName?, avatar?}`: creates or updates the caller's profile.

use super::{Answer, Call};
use crate::auth::AuthUser;
use crate::db::users::find_user;
use crate::domain::{Profile, ProfileFields};
use crate::http::ok_json;
use crate::services::profiles::update_own;
use serde_json::json;

pub async fn get(call: Call, caller: AuthUser) -> Answer {
    let profile = find_user(&**call.db().await?, &caller.id).await?;
    ok_json(&json!({"id": caller.id, "email": caller.email, "profile": profile}))
}

pub async fn put(call: Call, caller: AuthUser) -> Answer {
    let fields: ProfileFields = call.request.json()?;
    let profile = Profile::parse(&fields)?;
    let saved = update_own(&**call.db().await?, &caller, &profile).await?;
    ok_json(&json!({"id": caller.id, "email": caller.email, "profile": saved}))
}
