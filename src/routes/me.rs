//! `GET /api/me`: the authenticated caller and their profile (null until one exists).
//! `PUT /api/me` `{firstName, lastName?, avatar?}`: creates or updates the caller's profile.
//! `DELETE /api/me[?userId=]`: erases the caller's account (or, for an operator listed in
//! `ADMIN_USER_IDS`, any account): 200 with `done: true` when everything is gone, 202 with
//! `done: false` when a large account needs another call (or the periodic jobs finish it).

use super::{Answer, Call};
use crate::auth::AuthUser;
use crate::db::users::find_user;
use crate::domain::{Profile, ProfileFields, UserId};
use crate::error::ApiError;
use crate::http::{json_response, ok_json};
use crate::services::erasure::erase;
use crate::services::profiles::update_own;
use hyper::StatusCode;
use serde::Deserialize;
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

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EraseQuery {
    user_id: Option<String>,
}

pub async fn delete(call: Call, caller: AuthUser) -> Answer {
    let query: EraseQuery = call.request.query()?;
    let target = match query.user_id.as_deref() {
        None => caller.id.clone(),
        Some(raw) => UserId::from_field(Some(raw), "userId")?,
    };
    let on_behalf = target != caller.id;
    if on_behalf && !call.ctx.config.privacy.is_admin(&caller.id) {
        return Err(ApiError::forbidden(
            "not_an_admin",
            "only an operator in ADMIN_USER_IDS may erase another account",
        ));
    }
    let step = erase(&call.ctx, &target, &caller.id).await?;
    if on_behalf && step.is_some() {
        crate::services::safety::record(&call.ctx, &caller.id, "user.erase", ("user", target.as_str())).await?;
    }
    // Every call closes what the account still has open: a client that reconnected meanwhile
    // is refused its channels now.
    call.publisher.revoke_realtime_access_after_commit(&target);
    let Some(step) = step else {
        if on_behalf {
            return Err(ApiError::NotFound);
        }
        // A caller who never had a profile has nothing stored to erase.
        return ok_json(&json!({"userId": target, "done": true, "messagesErased": 0, "erasedAt": null}));
    };
    call.publisher.deliver_after_answer(step.outbox_ids);
    let status = if step.progress.done { StatusCode::OK } else { StatusCode::ACCEPTED };
    Ok(json_response(status, &step.progress))
}
