//! One error type for every route: it alone decides the status code and the JSON body.

use crate::http::{json_response, ApiResponse};
use hyper::StatusCode;
use serde_json::json;

/// Everything a route can fail with. Client-facing variants carry a safe message; internal
/// variants log their cause and answer with a fixed body, so no detail leaks to a caller.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{message}")]
    Unauthorized { code: &'static str, message: String },
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("unsupported content type")]
    UnsupportedMediaType,
    #[error("{message}")]
    Unprocessable { code: &'static str, message: String },
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("{0} is unavailable")]
    Unavailable(&'static str),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest { code, message: message.into() }
    }
    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::Unauthorized { code, message: message.into() }
    }
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::Forbidden { code, message: message.into() }
    }
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::Unprocessable { code, message: message.into() }
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict { code, message: message.into() }
    }
    /// Logs the cause and hides it from the caller.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal(cause.to_string())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { code, .. }
            | Self::Unauthorized { code, .. }
            | Self::Forbidden { code, .. }
            | Self::Conflict { code, .. }
            | Self::Unprocessable { code, .. } => code,
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::TooManyRequests { .. } => "rate_limited",
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal",
        }
    }

    fn public_message(&self) -> String {
        match self {
            Self::Internal(_) => "internal error".to_owned(),
            other => other.to_string(),
        }
    }

    /// The JSON answer `{"error":{"code","message"}}`; internal causes go to the log only.
    pub fn into_response(self) -> ApiResponse {
        if let Self::Internal(cause) = &self {
            tracing::error!(%cause, "request failed");
        }
        let mut response = json_response(
            self.status(),
            &json!({"error": {"code": self.code(), "message": self.public_message()}}),
        );
        if let Self::TooManyRequests { retry_after_secs } = self {
            response.headers_mut().insert(
                hyper::header::RETRY_AFTER,
                hyper::header::HeaderValue::from(retry_after_secs.max(1)),
            );
        }
        response
    }
}

impl From<tokio_postgres::Error> for ApiError {
    fn from(err: tokio_postgres::Error) -> Self {
        use tokio_postgres::error::SqlState;
        match err.code() {
            Some(code) if *code == SqlState::UNIQUE_VIOLATION => {
                let constraint = err.as_db_error().and_then(|e| e.constraint()).unwrap_or("?");
                tracing::warn!(constraint, "unique violation");
                Self::conflict("conflict", "the resource already exists")
            }
            Some(code) if *code == SqlState::FOREIGN_KEY_VIOLATION => {
                Self::unprocessable("unknown_reference", "a referenced resource does not exist")
            }
            Some(code) if *code == SqlState::QUERY_CANCELED => Self::Unavailable("database"),
            _ => Self::internal(format!("database: {err}")),
        }
    }
}

impl From<deadpool_postgres::PoolError> for ApiError {
    fn from(err: deadpool_postgres::PoolError) -> Self {
        tracing::error!(cause = %err, "database pool");
        Self::Unavailable("database")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn body_json(response: ApiResponse) -> serde_json::Value {
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn internal_errors_hide_their_cause() {
        let response = ApiError::internal("password=hunter2 in connection string").into_response();
        assert_eq!(response.status(), 500);
        let body = body_json(response).await;
        assert_eq!(body["error"]["code"], "internal");
        assert!(!body.to_string().contains("hunter2"));
    }

    #[tokio::test]
    async fn rate_limit_sets_retry_after() {
        let response = ApiError::TooManyRequests { retry_after_secs: 7 }.into_response();
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()["retry-after"], "7");
    }
}
