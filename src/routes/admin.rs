//! Operators' routes: `/api/admin/bans` (`GET` lists app-wide bans, `PUT ?userId=` `{reason?}`
//! bans, `DELETE ?userId=` lifts a ban) and `/api/admin/audit` (`GET`: every operator action).

use super::{finish, page_limit, Answer, Call};
use crate::auth::AuthUser;
use crate::db::safety as db;
use crate::domain::{Invalid, UserId};
use crate::error::ApiError;
use crate::http::ok_json;
use crate::services::reports::note;
use crate::services::safety::require_operator;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct BanQuery {
    user_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct BanBody {
    reason: Option<String>,
}

fn banned_user(call: &Call, caller: &AuthUser) -> Result<UserId, ApiError> {
    let query: BanQuery = call.request.query()?;
    let user = UserId::from_field(query.user_id.as_deref(), "userId")?;
    if user == caller.id {
        return Err(Invalid::new("cannot_ban_self", "an operator cannot ban themselves").into());
    }
    Ok(user)
}

/// `PUT ?userId=` `{reason?}` → 200 `{userId, banned: true, created}`; the user's connections close.
pub async fn ban(call: Call, caller: AuthUser) -> Answer {
    require_operator(&call.ctx, &caller)?;
    let user = banned_user(&call, &caller)?;
    let body: BanBody = if call.request.body.is_empty() { BanBody::default() } else { call.request.json()? };
    let reason = note(body.reason.as_deref(), "reason")?;
    let mut conn = call.db().await?;
    let tx = conn.transaction().await?;
    let outcome = async {
        let created = db::ban(&*tx, &user, &caller.id, reason.as_deref()).await?;
        if created {
            db::audit(&*tx, &caller.id, "user.ban", ("user", user.as_str()), &json!({"reason": reason})).await?;
        }
        Ok::<_, ApiError>(created)
    }
    .await;
    let created = finish(tx, outcome).await?;
    call.ctx.bans.remember(&user, true);
    call.publisher.revoke_realtime_access_after_commit(&user);
    ok_json(&json!({"userId": user, "banned": true, "created": created}))
}

/// `DELETE ?userId=` → 200 `{userId, banned: false, removed}`.
pub async fn unban(call: Call, caller: AuthUser) -> Answer {
    require_operator(&call.ctx, &caller)?;
    let user = banned_user(&call, &caller)?;
    let mut conn = call.db().await?;
    let tx = conn.transaction().await?;
    let outcome = async {
        let removed = db::unban(&*tx, &user).await?;
        if removed {
            db::audit(&*tx, &caller.id, "user.unban", ("user", user.as_str()), &json!({})).await?;
        }
        Ok::<_, ApiError>(removed)
    }
    .await;
    let removed = finish(tx, outcome).await?;
    call.ctx.bans.remember(&user, false);
    ok_json(&json!({"userId": user, "banned": false, "removed": removed}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct BansQuery {
    before: Option<String>,
    limit: Option<i64>,
}

/// `GET ?before=&limit=` → `{bans, hasMore, cursor: {before}}`, newest first.
pub async fn bans(call: Call, caller: AuthUser) -> Answer {
    require_operator(&call.ctx, &caller)?;
    let query: BansQuery = call.request.query()?;
    if query.before.as_deref().is_some_and(|b| UserId::parse(b).is_err()) {
        return Err(Invalid::new("invalid_query", "before is not a valid id").into());
    }
    let limit = page_limit(query.limit)?;
    let db = call.db().await?;
    let (bans, has_more) = db::list_bans(&**db, query.before.as_deref(), limit).await?;
    let before = if has_more { bans.last().map(|b| b["userId"].clone()) } else { None };
    ok_json(&json!({"bans": bans, "hasMore": has_more, "cursor": {"before": before}}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AuditQuery {
    before: Option<i64>,
    limit: Option<i64>,
}

/// `GET ?before=&limit=` → `{entries, hasMore, cursor: {before}}`, newest first.
pub async fn audit(call: Call, caller: AuthUser) -> Answer {
    require_operator(&call.ctx, &caller)?;
    let query: AuditQuery = call.request.query()?;
    if query.before.is_some_and(|b| b < 1) {
        return Err(Invalid::new("invalid_query", "before must be an entry id, 1 or more").into());
    }
    let limit = page_limit(query.limit)?;
    let db = call.db().await?;
    let (entries, has_more) = db::audit_log(&**db, query.before, limit).await?;
    let before = if has_more { entries.last().map(|e| e["id"].clone()) } else { None };
    ok_json(&json!({"entries": entries, "hasMore": has_more, "cursor": {"before": before}}))
}
