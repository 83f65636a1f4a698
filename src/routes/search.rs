//! `GET /api/messages/search?q=&limit=`: full-text search over the caller's own conversations.

use super::{limit_between, Answer, Call};
use crate::auth::AuthUser;
use crate::domain::{Invalid, SearchQuery};
use crate::http::ok_json;
use crate::services::search;
use serde::Deserialize;

const DEFAULT_RESULTS: i64 = 20;
const MAX_RESULTS: i64 = 50;

#[derive(Debug, Deserialize)]
struct SearchParams {
    q: Option<String>,
    limit: Option<i64>,
}

fn result_limit(value: Option<i64>) -> Result<i64, Invalid> {
    limit_between(value, DEFAULT_RESULTS, MAX_RESULTS)
}

pub async fn get(call: Call, caller: AuthUser) -> Answer {
    let params: SearchParams = call.request.query()?;
    let query = match params.q.as_deref() {
        Some(q) => SearchQuery::parse(q)?,
        None => return Err(Invalid::new("missing_field", "q is required").into()),
    };
    let limit = result_limit(params.limit)?;
    let db = call.db().await?;
    let mut results = search::search(&**db, &caller.id, &query, limit).await?;
    crate::services::safety::hide_blocked(&**db, &caller.id, &mut results.messages).await?;
    ok_json(&results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twenty_results_by_default_and_at_most_fifty() {
        assert_eq!(result_limit(None).unwrap(), DEFAULT_RESULTS);
        assert_eq!(result_limit(Some(1)).unwrap(), 1);
        assert_eq!(result_limit(Some(MAX_RESULTS)).unwrap(), MAX_RESULTS);
        for bad in [0, -1, MAX_RESULTS + 1] {
            assert_eq!(result_limit(Some(bad)).unwrap_err().code, "invalid_query", "{bad}");
        }
    }
}
