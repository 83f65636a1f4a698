//! `GET|POST /api/cron`: the maintenance route Vercel Cron calls (see `vercel.json`), guarded by
//! `Authorization: Bearer $CRON_SECRET` (compared in constant time; 401 otherwise, 503
//! `cron_disabled` without a secret). Runs every periodic job once and reports what each did.

use super::{Answer, Call};
use crate::error::ApiError;
use crate::http::json_response;
use crate::services::jobs::run_periodic_jobs;
use hyper::StatusCode;
use subtle::ConstantTimeEq;

pub async fn run(call: Call) -> Answer {
    let Some(secret) = &call.ctx.config.cron.secret else {
        return Err(ApiError::Disabled {
            code: "cron_disabled",
            message: "set CRON_SECRET to enable /api/cron".into(),
        });
    };
    let presented = call.request.bearer_token().unwrap_or("");
    if !bool::from(presented.as_bytes().ct_eq(secret.expose().as_bytes())) {
        return Err(ApiError::unauthorized("invalid_cron_secret", "send Authorization: Bearer <CRON_SECRET>"));
    }
    let report = run_periodic_jobs(&call.ctx).await;
    let status = if report.ok() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    Ok(json_response(status, &report))
}
