//! The request and response types every route sees, whichever server delivered them.
//!
//! A route gets an [`ApiRequest`] whose body is already collected (and capped), and returns an
//! [`ApiResponse`]. The Vercel adapter and the dev server both go through [`collect_request`].
//! Errors become their JSON body here.

use crate::error::ApiError;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;

pub type ApiResponse = hyper::Response<Full<Bytes>>;

#[derive(Debug, Clone)]
pub struct ApiRequest {
    pub method: Method,
    pub path: String,
    /// The raw query string (without `?`).
    pub query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl ApiRequest {
    /// A request built by hand, for tests and internal calls.
    pub fn new(method: Method, path_and_query: &str) -> Self {
        let (path, query) = split_path_and_query(path_and_query);
        Self { method, path, query, headers: HeaderMap::new(), body: Bytes::new() }
    }

    pub fn with_header(mut self, name: &'static str, value: &str) -> Self {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.insert(HeaderName::from_static(name), value);
        }
        self
    }

    pub fn with_json(mut self, value: &serde_json::Value) -> Self {
        self.headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        self.body = Bytes::from(value.to_string());
        self
    }

    pub fn with_form(mut self, form: &str) -> Self {
        self.headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/x-www-form-urlencoded"));
        self.body = Bytes::from(form.to_owned());
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The query string as a typed value; a malformed or mistyped parameter is 422 `invalid_query`.
    pub fn query<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_urlencoded::from_str(&self.query)
            .map_err(|err| ApiError::unprocessable("invalid_query", format!("invalid query string: {err}")))
    }

    /// The token from `Authorization: Bearer <token>`.
    pub fn bearer_token(&self) -> Option<&str> {
        let value = self.header("authorization")?;
        let (scheme, token) = value.split_once(' ')?;
        let token = token.trim();
        (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
    }

    fn media_type(&self) -> Option<String> {
        self.header("content-type").map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
    }

    /// Parses a JSON body. A body sent without a content type, or as `text/plain` (what a bare
    /// `fetch(url, {body: JSON.stringify(…)})` sends, and what needs no CORS preflight), is read as
    /// JSON too; other types are 415. Malformed JSON is 400, JSON of the wrong shape 422.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        match self.media_type().as_deref() {
            None | Some("application/json" | "text/plain") => {}
            Some(other) if other.ends_with("+json") => {}
            Some(_) => return Err(ApiError::UnsupportedMediaType),
        }
        serde_json::from_slice(&self.body).map_err(|err| {
            if err.is_data() {
                ApiError::unprocessable("invalid_body", format!("invalid request body: {err}"))
            } else {
                ApiError::bad_request("invalid_json", "request body is not valid JSON")
            }
        })
    }

    /// The origin browsers used to reach this server, from the forwarded host and scheme a proxy
    /// (Vercel) sets, else the `Host` header; `None` when neither is usable.
    pub fn origin_seen_by_client(&self) -> Option<String> {
        let first = |name: &str| self.header(name).and_then(|v| v.split(',').next()).map(str::trim);
        let host = first("x-forwarded-host").or_else(|| self.header("host")).filter(|h| is_host(h))?;
        let scheme = match first("x-forwarded-proto") {
            Some("https") => "https",
            Some("http") => "http",
            _ => "http",
        };
        Some(format!("{scheme}://{host}"))
    }

    /// Reads string fields from a form-encoded or JSON body, as Pusher's clients send either.
    pub fn fields(&self) -> Result<HashMap<String, String>, ApiError> {
        match self.media_type().as_deref() {
            Some("application/x-www-form-urlencoded") | None => {
                Ok(form_urlencoded::parse(&self.body).into_owned().collect())
            }
            Some("application/json") => {
                let value: serde_json::Map<String, serde_json::Value> = self.json()?;
                Ok(value
                    .into_iter()
                    .filter_map(|(k, v)| match v {
                        serde_json::Value::String(s) => Some((k, s)),
                        serde_json::Value::Number(n) => Some((k, n.to_string())),
                        _ => None,
                    })
                    .collect())
            }
            Some(_) => Err(ApiError::UnsupportedMediaType),
        }
    }
}

/// `host[:port]` of letters, digits, `.`, `-`, `:` and IPv6 brackets only.
fn is_host(host: &str) -> bool {
    !host.is_empty() && host.len() <= 255 && host.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
}

fn split_path_and_query(path_and_query: &str) -> (String, String) {
    match path_and_query.split_once('?') {
        Some((path, query)) => (path.to_owned(), query.to_owned()),
        None => (path_and_query.to_owned(), String::new()),
    }
}

/// Turns any hyper request into an [`ApiRequest`], refusing a body over `limit` bytes with 413
/// as soon as the declared length or the bytes read so far exceed it.
pub async fn collect_request<B>(request: hyper::Request<B>, limit: usize) -> Result<ApiRequest, ApiError>
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let (parts, body) = request.into_parts();
    let declared = parts.headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    let body = match Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(err) if err.is::<http_body_util::LengthLimitError>() => return Err(ApiError::PayloadTooLarge { limit }),
        Err(_) => return Err(ApiError::bad_request("body_read_failed", "could not read the request body")),
    };
    let (path, query) =
        split_path_and_query(parts.uri.path_and_query().map(|pq| pq.as_str()).unwrap_or_else(|| parts.uri.path()));
    Ok(ApiRequest { method: parts.method, path, query, headers: parts.headers, body })
}

/// A duration as log lines show it: milliseconds with one decimal.
pub fn log_ms(duration: std::time::Duration) -> f64 {
    (duration.as_secs_f64() * 10_000.0).round() / 10.0
}

pub fn json_response<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> ApiResponse {
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = hyper::Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    response.headers_mut().insert("cache-control", HeaderValue::from_static("no-store"));
    // Never sniffed into something a browser would run.
    response.headers_mut().insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    response
}

pub fn ok_json<T: Serialize + ?Sized>(value: &T) -> Result<ApiResponse, ApiError> {
    Ok(json_response(StatusCode::OK, value))
}

impl ApiError {
    /// The JSON answer `{"error":{"code","message"}}`; internal causes go to the log only (with
    /// the request's span: route, method, caller, request id).
    pub fn into_response(self) -> ApiResponse {
        if let Self::Internal(cause) = &self {
            tracing::error!(%cause, "request failed");
        }
        let mut response = json_response(
            self.status(),
            &serde_json::json!({"error": {"code": self.code(), "message": self.public_message()}}),
        );
        let headers = response.headers_mut();
        match self {
            Self::TooManyRequests { retry_after_secs } => {
                headers.insert(hyper::header::RETRY_AFTER, HeaderValue::from(retry_after_secs.max(1)));
            }
            // The database or a deadline failed for a moment: a client may try again shortly.
            Self::Unavailable(_) => {
                headers.insert(hyper::header::RETRY_AFTER, HeaderValue::from_static(UNAVAILABLE_RETRY_AFTER));
            }
            Self::MethodNotAllowed { allow } => {
                if let Ok(value) = HeaderValue::from_str(&allow) {
                    headers.insert(hyper::header::ALLOW, value);
                }
            }
            _ => {}
        }
        response
    }
}

/// Seconds a client waits after a 503: about what a database restart or failover takes.
pub const UNAVAILABLE_RETRY_AFTER: &str = "1";

const CORS_ALLOW_HEADERS: &str = "authorization, content-type, x-pusher-socket-id";
/// Response headers a cross-origin client needs to read: how long to wait after a 429, and the
/// id that finds a request in the server's logs.
const CORS_EXPOSE_HEADERS: &str = "retry-after, x-request-id";

/// Adds CORS headers for an allowed origin; answers a preflight `OPTIONS` itself.
/// Returns `Some(response)` when the request was a preflight and must not reach the route.
pub fn preflight(request: &ApiRequest, allowed: &[String]) -> Option<ApiResponse> {
    if request.method != Method::OPTIONS {
        return None;
    }
    let origin = request.header("origin");
    let mut response = match origin {
        Some(origin) if !origin_allowed(origin, allowed) => {
            return Some(ApiError::forbidden("origin_not_allowed", "this origin may not call the API").into_response())
        }
        _ => hyper::Response::new(Full::new(Bytes::new())),
    };
    *response.status_mut() = StatusCode::NO_CONTENT;
    let headers = response.headers_mut();
    headers.insert("access-control-allow-methods", HeaderValue::from_static("GET, POST, PUT, PATCH, DELETE, OPTIONS"));
    headers.insert("access-control-allow-headers", HeaderValue::from_static(CORS_ALLOW_HEADERS));
    headers.insert("access-control-max-age", HeaderValue::from_static("600"));
    apply_cors(request.header("origin"), allowed, &mut response);
    Some(response)
}

/// Lets an allowed `Origin` read the response.
pub fn apply_cors(origin: Option<&str>, allowed: &[String], response: &mut ApiResponse) {
    let Some(origin) = origin else { return };
    if !origin_allowed(origin, allowed) {
        return;
    }
    if let Ok(value) = HeaderValue::from_str(origin) {
        let headers = response.headers_mut();
        headers.insert("access-control-allow-origin", value);
        headers.insert("access-control-expose-headers", HeaderValue::from_static(CORS_EXPOSE_HEADERS));
        headers.insert("vary", HeaderValue::from_static("Origin"));
    }
}

fn origin_allowed(origin: &str, allowed: &[String]) -> bool {
    allowed.iter().any(|a| a == "*" || a == origin.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_token_is_read_case_insensitively() {
        let request = ApiRequest::new(Method::GET, "/").with_header("authorization", "bearer abc.def");
        assert_eq!(request.bearer_token(), Some("abc.def"));
        let request = ApiRequest::new(Method::GET, "/").with_header("authorization", "Basic abc");
        assert_eq!(request.bearer_token(), None);
    }

    #[test]
    fn query_strings_are_percent_decoded_into_types() {
        #[derive(serde::Deserialize)]
        struct Query {
            user: String,
            n: Option<i64>,
        }
        let request = ApiRequest::new(Method::GET, "/api/x?user=al%20ice&n=1");
        assert_eq!(request.path, "/api/x");
        let query: Query = request.query().unwrap();
        assert_eq!((query.user.as_str(), query.n), ("al ice", Some(1)));
        let err = ApiRequest::new(Method::GET, "/api/x?user=a&n=x").query::<Query>().err().unwrap();
        assert_eq!((err.status(), err.code()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_query"));
    }

    #[tokio::test]
    async fn internal_errors_hide_their_cause() {
        let response = ApiError::internal("password=hunter2 in connection string").into_response();
        assert_eq!(response.status(), 500);
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(body["error"]["code"], "internal");
        assert!(!body.to_string().contains("hunter2"));
    }

    #[test]
    fn rate_limits_set_retry_after_and_wrong_methods_set_allow() {
        let response = ApiError::TooManyRequests { retry_after_secs: 7 }.into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()["retry-after"], "7");
        let response = ApiError::MethodNotAllowed { allow: "GET, POST".into() }.into_response();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()["allow"], "GET, POST");
    }

    #[test]
    fn every_503_says_when_to_try_again() {
        for cause in ["database", "the service"] {
            let response = ApiError::Unavailable(cause).into_response();
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(response.headers()["retry-after"], "1", "{cause}");
        }
    }

    #[test]
    fn form_fields_are_percent_decoded() {
        let request = ApiRequest::new(Method::POST, "/").with_form("socket_id=123.456&channel_name=private-chat-a%2Cb");
        let fields = request.fields().unwrap();
        assert_eq!(fields["channel_name"], "private-chat-a,b");
    }

    #[test]
    fn json_is_read_without_a_content_type_or_as_text_but_not_as_other_types() {
        let body = serde_json::json!({"a": 1});
        for content_type in
            [None, Some("text/plain;charset=UTF-8"), Some("application/json"), Some("application/ld+json")]
        {
            let mut request = ApiRequest::new(Method::POST, "/").with_json(&body);
            request.headers.remove(CONTENT_TYPE);
            if let Some(value) = content_type {
                request.headers.insert(CONTENT_TYPE, HeaderValue::from_static(value));
            }
            assert_eq!(request.json::<serde_json::Value>().unwrap(), body, "{content_type:?}");
        }
        for value in ["application/xml", "application/x-www-form-urlencoded", "multipart/form-data"] {
            let mut request = ApiRequest::new(Method::POST, "/").with_json(&body);
            request.headers.insert(CONTENT_TYPE, HeaderValue::from_static(value));
            let err = request.json::<serde_json::Value>().unwrap_err();
            assert_eq!(err.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{value}");
        }
    }

    #[test]
    fn the_client_origin_comes_from_forwarded_headers_or_host() {
        let request = ApiRequest::new(Method::GET, "/")
            .with_header("x-forwarded-host", "chat.example, proxy.internal")
            .with_header("x-forwarded-proto", "https")
            .with_header("host", "internal:3000");
        assert_eq!(request.origin_seen_by_client().as_deref(), Some("https://chat.example"));
        let request = ApiRequest::new(Method::GET, "/").with_header("host", "127.0.0.1:4000");
        assert_eq!(request.origin_seen_by_client().as_deref(), Some("http://127.0.0.1:4000"));
        let request = ApiRequest::new(Method::GET, "/").with_header("host", "evil.example/path?x");
        assert_eq!(request.origin_seen_by_client(), None);
        assert_eq!(ApiRequest::new(Method::GET, "/").origin_seen_by_client(), None);
    }

    #[tokio::test]
    async fn a_body_over_the_cap_is_413() {
        let request = hyper::Request::builder().uri("/api/x").body(Full::new(Bytes::from(vec![b'a'; 100]))).unwrap();
        let err = collect_request(request, 10).await.unwrap_err();
        assert_eq!(err.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[test]
    fn preflight_is_answered_for_allowed_origins_only() {
        let allowed = vec!["https://app.example".to_owned()];
        let request = ApiRequest::new(Method::OPTIONS, "/api/x").with_header("origin", "https://app.example");
        let response = preflight(&request, &allowed).unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        assert_eq!(response.headers()["access-control-allow-origin"], "https://app.example");
        assert_eq!(response.headers()["access-control-expose-headers"], "retry-after, x-request-id");
        let request = ApiRequest::new(Method::OPTIONS, "/api/x").with_header("origin", "https://evil.example");
        assert_eq!(preflight(&request, &allowed).unwrap().status(), StatusCode::FORBIDDEN);
    }

    #[test]
    fn log_lines_show_milliseconds_with_one_decimal() {
        assert_eq!(log_ms(std::time::Duration::from_micros(1_234)), 1.2);
        assert_eq!(log_ms(std::time::Duration::from_micros(1_250)), 1.3);
        assert_eq!(log_ms(std::time::Duration::from_secs(2)), 2000.0);
        assert_eq!(log_ms(std::time::Duration::ZERO), 0.0);
    }
}
