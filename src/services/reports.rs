//! Reports: a user files one about a message, a user or a room they can see, with a snapshot of
//! it as it is now; operators list and close them. One open report per reporter and target;
//! filing is rate-limited per reporter across instances (`RATE_LIMIT_REPORTS_PER_HOUR`).

use crate::db::rate_limit::{self, Bucket};
use crate::db::safety::{self as db, NewReport, ReportFilter, Resolved, TargetType};
use crate::domain::{Invalid, UserId};
use crate::error::ApiError;
use serde_json::{json, Value};
use tokio_postgres::GenericClient;

/// A note longer than this is refused.
pub const MAX_NOTE_CHARS: usize = 1_000;
pub const REASONS: &[&str] = &["spam", "harassment", "hate", "sexual", "violence", "other"];

/// A report's reason, one of [`REASONS`].
pub fn reason(raw: Option<&str>) -> Result<&'static str, Invalid> {
    let raw = raw.ok_or_else(|| Invalid::new("missing_field", "reason is required"))?;
    REASONS
        .iter()
        .find(|r| **r == raw)
        .copied()
        .ok_or_else(|| Invalid::new("invalid_reason", format!("reason must be one of {}", REASONS.join(", "))))
}

/// A free-text note: trimmed, at most [`MAX_NOTE_CHARS`], no control characters but newlines and
/// tabs; empty counts as none.
pub fn note(raw: Option<&str>, field: &'static str) -> Result<Option<String>, Invalid> {
    let Some(text) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > MAX_NOTE_CHARS {
        return Err(Invalid::new("invalid_note", format!("{field} is over {MAX_NOTE_CHARS} characters")));
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(Invalid::new("invalid_note", format!("{field} may not contain control characters")));
    }
    Ok(Some(text.to_owned()))
}

pub struct Filing<'a> {
    pub target: TargetType,
    pub target_id: &'a str,
    pub reason: &'static str,
    pub note: Option<&'a str>,
}

/// Files a report: `(report, true)` when new, `(the open one, false)` for a repeat. 429 past the
/// limit, 404 when the reporter cannot see the target.
pub async fn file(
    client: &impl GenericClient,
    reporter: &UserId,
    filing: Filing<'_>,
    limit: Bucket,
) -> Result<(Value, bool), ApiError> {
    if filing.target == TargetType::User && filing.target_id == reporter.as_str() {
        return Err(Invalid::new("cannot_report_self", "you cannot report yourself").into());
    }
    if let Err(retry_after_secs) = rate_limit::take(client, &format!("report:{reporter}"), limit).await? {
        return Err(ApiError::TooManyRequests { retry_after_secs });
    }
    // A repeat finds the open report even when the target has changed or gone since.
    if let Some(open) = db::open_report(client, reporter, filing.target, filing.target_id).await? {
        return Ok((open, false));
    }
    let snapshot = db::snapshot(client, reporter, filing.target, filing.target_id).await?.ok_or(ApiError::NotFound)?;
    let id = uuid::Uuid::new_v4().to_string();
    let report = NewReport {
        id: &id,
        reporter,
        target: filing.target,
        target_id: filing.target_id,
        reason: filing.reason,
        note: filing.note,
        snapshot: &snapshot,
    };
    Ok(db::file_report(client, &report).await?)
}

/// What the reporter is told of their report: not the snapshot, nor how operators handle it.
pub fn as_filed(report: &Value) -> Value {
    json!({
        "id": report["id"],
        "targetType": report["targetType"],
        "targetId": report["targetId"],
        "reason": report["reason"],
        "note": report["note"],
        "createdAt": report["createdAt"],
    })
}

pub async fn list(client: &impl GenericClient, filter: &ReportFilter<'_>, limit: i64) -> Result<Value, ApiError> {
    let (reports, has_more) = db::list_reports(client, filter, limit).await?;
    let before = reports.last().and_then(|r| r["id"].as_str()).map(str::to_owned);
    Ok(json!({"reports": reports, "hasMore": has_more, "cursor": {"before": if has_more { before } else { None }}}))
}

/// Closes an open report and records it in the audit log, in one transaction (the route's).
pub async fn resolve(
    client: &impl GenericClient,
    admin: &UserId,
    id: &str,
    status: &str,
    note: Option<&str>,
) -> Result<Value, ApiError> {
    match db::resolve_report(client, id, status, admin, note).await? {
        Resolved::Done(report) => {
            db::audit(client, admin, &format!("report.{status}"), ("report", id), &json!({"note": note})).await?;
            Ok(report)
        }
        Resolved::Closed => Err(ApiError::conflict("report_closed", "this report is already resolved or dismissed")),
        Resolved::Missing => Err(ApiError::NotFound),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_a_closed_list() {
        for r in REASONS {
            assert_eq!(reason(Some(r)).unwrap(), *r);
        }
        assert_eq!(reason(Some("Spam")).unwrap_err().code, "invalid_reason");
        assert_eq!(reason(None).unwrap_err().code, "missing_field");
    }

    #[test]
    fn notes_are_short_plain_text() {
        assert_eq!(
            note(Some("  he keeps writing \n at night "), "note").unwrap().as_deref(),
            Some("he keeps writing \n at night")
        );
        assert_eq!(note(Some("   "), "note").unwrap(), None);
        assert_eq!(note(None, "note").unwrap(), None);
        assert!(note(Some(&"x".repeat(MAX_NOTE_CHARS)), "note").unwrap().is_some());
        assert_eq!(note(Some(&"é".repeat(MAX_NOTE_CHARS + 1)), "note").unwrap_err().code, "invalid_note");
        assert_eq!(note(Some("a\u{7}b"), "note").unwrap_err().code, "invalid_note");
    }
}
