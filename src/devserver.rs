//! The local dev server: every route of the routing table, the static files of `public/`, and
//! `GET /dev/token?user=<handle>`, which signs a real access token for a demo user so the local
//! page and the tests log in exactly like production. Never deployed: no `api/` file serves it.

use crate::auth::sign_hs256_token;
use crate::context::AppContext;
use crate::demo::{DemoUser, DEMO_USERS};
use crate::error::ApiError;
use crate::http::{apply_cors, json_response, ApiResponse};
use crate::server::Server;
use hyper::body::Incoming;
use hyper::{Request, StatusCode};
use serde_json::json;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// Demo tokens live a day: long enough for a working session, short enough to be obviously local.
const DEV_TOKEN_TTL_SECS: i64 = 24 * 3600;

/// Serves until the process ends (tests run one per test this way).
pub async fn serve(ctx: Arc<AppContext>, listener: TcpListener, public_dir: PathBuf) {
    serve_until(ctx, listener, public_dir, std::future::pending()).await;
}

/// Serves until `shutdown`, then finishes open requests and pending publishes (5 s at most).
pub async fn serve_until(
    ctx: Arc<AppContext>,
    listener: TcpListener,
    public_dir: PathBuf,
    shutdown: impl Future<Output = ()>,
) {
    let server = Server::new(ctx, Some(public_dir)).with_extra_route(dev_routes);
    Arc::new(server).serve(listener, shutdown, Duration::from_secs(5)).await;
}

fn dev_routes(ctx: &AppContext, request: &Request<Incoming>) -> Option<ApiResponse> {
    if request.uri().path() != "/dev/token" {
        return None;
    }
    // A frontend on another origin (the Next.js example) signs in here too.
    let origin = request.headers().get("origin").and_then(|o| o.to_str().ok());
    let mut response = dev_token(ctx, request.uri().query().unwrap_or(""));
    apply_cors(origin, &ctx.config.http.cors_allowed_origins, &mut response);
    Some(response)
}

fn dev_token(ctx: &AppContext, query: &str) -> ApiResponse {
    let handle = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "user")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let Some(demo) = DemoUser::find(&handle) else {
        let known: Vec<&str> = DEMO_USERS.iter().map(|u| u.handle).collect();
        return ApiError::bad_request("unknown_demo_user", format!("user must be one of {}", known.join(", ")))
            .into_response();
    };
    let Some(secret) = &ctx.config.auth.jwt_secret else {
        return ApiError::conflict("no_signing_secret", "set SUPABASE_JWT_SECRET to issue local tokens")
            .into_response();
    };
    let email = demo.email();
    let token = sign_hs256_token(secret.expose(), &ctx.config.auth.audience, demo.id, Some(&email), DEV_TOKEN_TTL_SECS);
    json_response(
        StatusCode::OK,
        &json!({"token": token, "user": demo.user(ctx.config.http.public_base_url.as_deref()), "expiresIn": DEV_TOKEN_TTL_SECS}),
    )
}
