//! `POST /api/reports` `{messageId | userId | roomId, reason, note?}` files a report (any user);
//! `GET /api/admin/reports` lists reports and `PATCH /api/admin/reports?id=` `{status, note?}`
//! closes one (operators only).

use super::{finish, page_limit, Answer, Call};
use crate::auth::AuthUser;
use crate::db::rate_limit::Bucket;
use crate::db::safety::{ReportFilter, TargetType};
use crate::domain::{Invalid, MessageId, RoomId, UserId};
use crate::http::{json_response, ok_json};
use crate::services::reports::{self, Filing};
use crate::services::safety::require_operator;
use hyper::StatusCode;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ReportBody {
    message_id: Option<String>,
    user_id: Option<String>,
    room_id: Option<String>,
    reason: Option<String>,
    note: Option<String>,
}

impl ReportBody {
    fn target(&self) -> Result<(TargetType, String), Invalid> {
        match (&self.message_id, &self.user_id, &self.room_id) {
            (Some(id), None, None) => {
                Ok((TargetType::Message, MessageId::from_field(Some(id), "messageId")?.as_str().to_owned()))
            }
            (None, Some(id), None) => {
                Ok((TargetType::User, UserId::from_field(Some(id), "userId")?.as_str().to_owned()))
            }
            (None, None, Some(id)) => {
                Ok((TargetType::Room, RoomId::from_field(Some(id), "roomId")?.as_str().to_owned()))
            }
            _ => Err(Invalid::new("invalid_target", "name exactly one of messageId, userId and roomId")),
        }
    }
}

/// `POST` → 201 `{report}`, or 200 `{report, duplicate: true}` with the reporter's open report of
/// the same target.
pub async fn post(call: Call, caller: AuthUser) -> Answer {
    let body: ReportBody = call.request.json()?;
    let (target, target_id) = body.target()?;
    let reason = reports::reason(body.reason.as_deref())?;
    let note = reports::note(body.note.as_deref(), "note")?;
    let limit = Bucket::per_hour(call.ctx.config.safety.reports_per_hour);
    let db = call.db().await?;
    let filing = Filing { target, target_id: &target_id, reason, note: note.as_deref() };
    let (report, created) = reports::file(&**db, &caller.id, filing, limit).await?;
    match created {
        true => Ok(json_response(StatusCode::CREATED, &json!({"report": reports::as_filed(&report)}))),
        false => ok_json(&json!({"report": reports::as_filed(&report), "duplicate": true})),
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ListQuery {
    status: Option<String>,
    reason: Option<String>,
    target_type: Option<String>,
    target_id: Option<String>,
    before: Option<String>,
    limit: Option<i64>,
}

fn one_of(value: Option<&str>, allowed: &[&str], name: &str) -> Result<(), Invalid> {
    match value {
        Some(v) if !allowed.contains(&v) => {
            Err(Invalid::new("invalid_query", format!("{name} must be one of {}", allowed.join(", "))))
        }
        _ => Ok(()),
    }
}

/// An id-shaped query parameter (the ids of reports, users, rooms and messages share one rule).
fn id_param(value: Option<&str>, name: &'static str) -> Result<(), Invalid> {
    match value {
        Some(v) if UserId::parse(v).is_err() => Err(Invalid::new("invalid_query", format!("{name} is not a valid id"))),
        _ => Ok(()),
    }
}

const STATUSES: &[&str] = &["open", "resolved", "dismissed"];
const TARGET_TYPES: &[&str] = &["message", "user", "room"];

/// `GET ?status=&reason=&targetType=&targetId=&before=&limit=` → `{reports, hasMore, cursor: {before}}`.
pub async fn get(call: Call, caller: AuthUser) -> Answer {
    require_operator(&call.ctx, &caller)?;
    let query: ListQuery = call.request.query()?;
    one_of(query.status.as_deref(), STATUSES, "status")?;
    one_of(query.reason.as_deref(), reports::REASONS, "reason")?;
    one_of(query.target_type.as_deref(), TARGET_TYPES, "targetType")?;
    id_param(query.target_id.as_deref(), "targetId")?;
    id_param(query.before.as_deref(), "before")?;
    let limit = page_limit(query.limit)?;
    let filter = ReportFilter {
        status: query.status.as_deref(),
        reason: query.reason.as_deref(),
        target_type: query.target_type.as_deref(),
        target_id: query.target_id.as_deref(),
        before: query.before.as_deref(),
    };
    let db = call.db().await?;
    ok_json(&reports::list(&**db, &filter, limit).await?)
}

#[derive(Debug, Deserialize)]
struct IdQuery {
    id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResolveBody {
    status: Option<String>,
    note: Option<String>,
}

/// `PATCH ?id=` `{status: resolved | dismissed, note?}` → 200 `{report}`; 409 when already closed.
pub async fn patch(call: Call, caller: AuthUser) -> Answer {
    require_operator(&call.ctx, &caller)?;
    let query: IdQuery = call.request.query()?;
    let id = query.id.filter(|id| !id.is_empty()).ok_or_else(|| Invalid::new("missing_field", "id is required"))?;
    id_param(Some(&id), "id")?;
    let body: ResolveBody = call.request.json()?;
    let status = match body.status.as_deref() {
        Some(s @ ("resolved" | "dismissed")) => s,
        _ => return Err(Invalid::new("invalid_status", "status must be resolved or dismissed").into()),
    };
    let note = reports::note(body.note.as_deref(), "note")?;
    let mut db = call.db().await?;
    let tx = db.transaction().await?;
    let outcome = reports::resolve(&*tx, &caller.id, &id, status, note.as_deref()).await;
    let report = finish(tx, outcome).await?;
    ok_json(&json!({"report": report}))
}
