//! The one adapter between a server and the routes: `vercel_runtime` for deployed functions (one
//! per route, see `api/`, or all routes in one, [`run_routing_table`]), the server and the dev
//! server for the rest. All go through [`serve_request`], which collects the body (capped),
//! answers CORS preflights, checks the method, authenticates, runs the handler under a deadline in
//! a tracing span (route, method, caller, request id), and always answers.

use crate::context::{init_tracing, AppContext};
use crate::error::ApiError;
use crate::http::{apply_cors, collect_request, log_ms, preflight, ApiRequest, ApiResponse};
use crate::routes::{self, path_of, Call, Handler, Route};
use crate::services::profiles::provision;
use crate::services::{Background, Publisher};
use bytes::Bytes;
use hyper::header::HeaderValue;
use std::sync::{Arc, OnceLock};
use tracing::Instrument;
use vercel_runtime::{AppState, ResponseBody};

pub async fn serve_request<B>(
    route: Route,
    ctx: &Arc<AppContext>,
    request: hyper::Request<B>,
    background: Background,
) -> ApiResponse
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let started = std::time::Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let request_id = request_id(request.headers());
    let span = tracing::info_span!(
        "request",
        route = path_of(route),
        method = %method,
        caller = tracing::field::Empty,
        request_id = %request_id,
    );
    let caller = OnceLock::new();
    let ((mut response, db), moderation) =
        crate::services::moderation::measuring(crate::db::measuring(answer(route, ctx, request, background, &caller)))
            .instrument(span.clone())
            .await;
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    // One line per request; events published after the response log their own, in the same span.
    span.in_scope(|| {
        tracing::info!(
            route = path_of(route),
            %method,
            %path,
            status = response.status().as_u16(),
            ms = elapsed_ms(started),
            caller = caller.get().map(String::as_str).unwrap_or(""),
            db_ms = log_ms(db.time),
            db_calls = db.calls,
            moderation_ms = moderation.map(log_ms),
            %request_id,
            "request"
        )
    });
    response
}

/// Milliseconds with one decimal, for log lines.
pub fn elapsed_ms(since: std::time::Instant) -> f64 {
    log_ms(since.elapsed())
}

async fn answer<B>(
    route: Route,
    ctx: &Arc<AppContext>,
    request: hyper::Request<B>,
    background: Background,
    caller: &OnceLock<String>,
) -> ApiResponse
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let allowed = &ctx.config.http.cors_allowed_origins;
    let origin = request.headers().get("origin").and_then(|o| o.to_str().ok()).map(str::to_owned);
    // One deadline for the whole request, body included: a body that trickles in is refused, and
    // reading it leaves the handler only what remains (so the total stays below maxDuration).
    let deadline = tokio::time::Instant::now() + ctx.config.http.request_timeout;
    let collected = tokio::time::timeout_at(deadline, collect_request(request, ctx.config.http.max_body_bytes))
        .await
        .unwrap_or_else(|_| Err(ApiError::bad_request("body_timeout", "the request body did not arrive in time")));
    let mut response = match collected {
        Ok(request) => match preflight(&request, allowed) {
            Some(response) => return response,
            None => run(route, ctx, request, background, deadline, caller).await,
        },
        Err(err) => err.into_response(),
    };
    apply_cors(origin.as_deref(), allowed, &mut response);
    response
}

async fn run(
    route: Route,
    ctx: &Arc<AppContext>,
    request: ApiRequest,
    background: Background,
    deadline: tokio::time::Instant,
    caller: &OnceLock<String>,
) -> ApiResponse {
    let publisher = Publisher::new(ctx.clone(), background);
    let call = Call { ctx: ctx.clone(), request, publisher: publisher.clone() };
    let answer = async {
        let handler = routes::handler_for(route, &call.request.method)?;
        match tokio::time::timeout_at(deadline, dispatch(handler, call, caller)).await {
            Ok(answer) => answer,
            Err(_) => {
                tracing::error!("request timed out");
                Err(ApiError::Unavailable("the service"))
            }
        }
    };
    match answer.await {
        Ok(response) => {
            // Committed: connections that lost access close, then the events go out and the
            // outbox rows are delivered.
            publisher.flush().await;
            response
        }
        Err(err) => err.into_response(),
    }
}

/// Answered on every response, so a caller can quote the id that finds its log lines.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Vercel names each invocation; a load balancer (Render, Heroku-style routers) may send its own
/// `x-request-id`; otherwise a fresh id ties the log lines of one request together.
fn request_id(headers: &hyper::HeaderMap) -> String {
    let plausible = |id: &&str| {
        (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
    };
    ["x-vercel-id", REQUEST_ID_HEADER]
        .iter()
        .filter_map(|name| headers.get(*name).and_then(|v| v.to_str().ok()))
        .find(plausible)
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string())
}

async fn dispatch(handler: Handler, call: Call, caller_seen: &OnceLock<String>) -> Result<ApiResponse, ApiError> {
    match handler {
        Handler::Public(handler) => handler(call).await,
        Handler::Caller(handler) => {
            let caller = call.ctx.tokens.authenticate(call.request.bearer_token()).await?;
            tracing::Span::current().record("caller", caller.id.as_str());
            let _ = caller_seen.set(caller.id.as_str().to_owned());
            crate::services::safety::refuse_banned(&call.ctx, &caller.id).await?;
            if call.ctx.config.users.auto_provision && !call.ctx.is_provisioned(&caller.id) {
                provision(&**call.db().await?, &caller).await?;
                call.ctx.mark_provisioned(&caller.id);
            }
            handler(call, caller).await
        }
    }
}

/// Entry point of every `api/` binary: builds the context once, then serves `route` under
/// `vercel_runtime`. A missing setting stops the instance at start, naming the variable.
pub async fn run_function(route: Route) -> Result<(), vercel_runtime::Error> {
    run_under_vercel(move |_| Some(route)).await
}

/// Entry point of an `api/` binary that serves a family of routes (`api/rooms.rs`: `/api/rooms`
/// and `/api/rooms/members`), which rewrites in vercel.json send to it (docs/functions.md): the
/// function sees the path the caller asked for and serves it if it is one of `routes`; any other
/// path answers the JSON 404.
pub async fn run_functions(routes: &'static [Route]) -> Result<(), vercel_runtime::Error> {
    run_under_vercel(move |path| routes::find(path).filter(|route| routes.contains(route))).await
}

/// Entry point of the single-function build (`scripts/vercel-single-function`, docs/functions.md):
/// the whole routing table as one Vercel function, to which a rewrite sends every `/api/…` path.
/// The function sees the path the caller asked for, so each request reaches the route it names
/// through the same adapter as in that route's own function; a path that names no route answers
/// the JSON 404 the server answers for it.
pub async fn run_routing_table() -> Result<(), vercel_runtime::Error> {
    run_under_vercel(routes::find).await
}

async fn run_under_vercel(
    route_for: impl Fn(&str) -> Option<Route> + Copy + Send + Sync + 'static,
) -> Result<(), vercel_runtime::Error> {
    init_tracing();
    let ctx = match AppContext::from_env() {
        Ok(ctx) => ctx,
        Err(err) => {
            eprintln!("pusher-chat cannot start: {err}");
            return Err(err.into());
        }
    };
    let service = vercel_runtime::service_fn(move |request: vercel_runtime::Request, state: AppState| {
        let ctx = ctx.clone();
        async move {
            let response = match route_for(request.uri().path()) {
                Some(route) => serve_request(route, &ctx, request, Background::Vercel(state)).await,
                None => unrouted(request.method(), request.uri().path()),
            };
            Ok::<_, vercel_runtime::Error>(response.map(ResponseBody::from))
        }
    });
    vercel_runtime::run(service).await
}

/// A path outside the routing table: the JSON 404, with the log line every request has.
fn unrouted(method: &hyper::Method, path: &str) -> ApiResponse {
    let response = ApiError::NotFound.into_response();
    tracing::info!(%method, %path, status = response.status().as_u16(), "request");
    response
}
