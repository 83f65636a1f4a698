//! One error type for every route: it alone decides the status code and the error code. (Its
//! JSON body is written by the `http` module.)

use crate::domain::Invalid;
use hyper::StatusCode;

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
    MethodNotAllowed { allow: String },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("unsupported content type")]
    UnsupportedMediaType,
    /// A file to upload larger than `UPLOAD_MAX_BYTES` (the body itself is small: 413 all the same).
    #[error("the file is larger than {limit} bytes")]
    FileTooLarge { limit: u64 },
    #[error("{message}")]
    Unprocessable { code: &'static str, message: String },
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    /// A feature this deployment has not configured (Web Push without VAPID keys).
    #[error("{message}")]
    NotImplemented { code: &'static str, message: String },
    /// A route switched off by its configuration (`/api/cron` without `CRON_SECRET`): 503.
    #[error("{message}")]
    Disabled { code: &'static str, message: String },
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
    /// A malformed protocol field (socket id, channel name): 400 rather than 422.
    pub fn malformed(invalid: Invalid) -> Self {
        Self::BadRequest { code: invalid.code, message: invalid.message }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::FileTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::NotImplemented { .. } => StatusCode::NOT_IMPLEMENTED,
            Self::Disabled { .. } => StatusCode::SERVICE_UNAVAILABLE,
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
            | Self::Unprocessable { code, .. }
            | Self::NotImplemented { code, .. }
            | Self::Disabled { code, .. } => code,
            Self::NotFound => "not_found",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::FileTooLarge { .. } => "file_too_large",
            Self::TooManyRequests { .. } => "rate_limited",
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal",
        }
    }

    /// What the caller may read: internal causes are replaced by a fixed text.
    pub fn public_message(&self) -> String {
        match self {
            Self::Internal(_) => "internal error".to_owned(),
            other => other.to_string(),
        }
    }
}

/// A value refused at the boundary: 422 with the value's own code.
impl From<Invalid> for ApiError {
    fn from(invalid: Invalid) -> Self {
        Self::Unprocessable { code: invalid.code, message: invalid.message }
    }
}

/// A database error no caller expected. Violations a caller can cause are mapped by constraint
/// name where the statement runs (see `db::constraint`); what is left is ours to fix, so it is
/// internal, with the SQLSTATE and constraint in the log. A statement cancelled by a timeout means
/// the database is overloaded, and a connection lost under a statement (a restart, a failover, a
/// pooler dropping it) means it is away for a moment: 503, which the caller may retry.
impl From<tokio_postgres::Error> for ApiError {
    fn from(err: tokio_postgres::Error) -> Self {
        if database_unavailable(&err) {
            let sqlstate = err.code().map_or("-", |code| code.code());
            tracing::warn!(sqlstate, closed = err.is_closed(), "database unavailable");
            return Self::Unavailable("database");
        }
        match err.as_db_error() {
            Some(db) => Self::internal(format!(
                "database: {} (SQLSTATE {}, constraint {})",
                db.message(),
                db.code().code(),
                db.constraint().unwrap_or("-")
            )),
            None => Self::internal(format!("database: {err}")),
        }
    }
}

/// A statement cancelled by a timeout; the connection closed, or its socket failed, under it;
/// the server shutting down or starting (SQLSTATE 57P01–57P03) or the connection failing (08…).
fn database_unavailable(err: &tokio_postgres::Error) -> bool {
    match err.code().map(|code| code.code()) {
        Some(code) => matches!(code, "57014" | "57P01" | "57P02" | "57P03") || code.starts_with("08"),
        None => err.is_closed() || std::error::Error::source(err).is_some_and(|cause| cause.is::<std::io::Error>()),
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

    #[test]
    fn invalid_values_are_422_with_their_code() {
        let err = ApiError::from(Invalid::new("invalid_id", "receiverId is not a valid id"));
        assert_eq!((err.status(), err.code()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_id"));
        assert_eq!(err.public_message(), "receiverId is not a valid id");
        let err = ApiError::malformed(Invalid::new("invalid_socket_id", "bad"));
        assert_eq!((err.status(), err.code()), (StatusCode::BAD_REQUEST, "invalid_socket_id"));
    }

    #[test]
    fn internal_messages_are_fixed() {
        assert_eq!(ApiError::internal("password=hunter2").public_message(), "internal error");
    }
}
