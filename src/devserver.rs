//! The local dev server: every route of the routing table, the static files of `public/`, and
//! `GET /dev/token?user=<handle>`, which signs a real access token for a demo user so the local
//! page and the tests log in exactly like production. Never deployed: no `api/` file serves it.

use crate::auth::sign_hs256_token;
use crate::context::AppContext;
use crate::demo::{DemoUser, DEMO_USERS};
use crate::error::ApiError;
use crate::http::{apply_cors, json_response, ApiResponse};
use crate::routes;
use crate::runtime::serve_request;
use crate::services::Background;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::json;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use tokio::net::TcpListener;

const HEADER_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Demo tokens live a day: long enough for a working session, short enough to be obviously local.
const DEV_TOKEN_TTL_SECS: i64 = 24 * 3600;

/// Serves until the listener fails; each connection runs on its own task.
pub async fn serve(ctx: Arc<AppContext>, listener: TcpListener, public_dir: PathBuf) -> std::io::Result<()> {
    let public_dir = Arc::new(public_dir);
    loop {
        let (stream, _) = listener.accept().await?;
        let ctx = ctx.clone();
        let public_dir = public_dir.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let ctx = ctx.clone();
                let public_dir = public_dir.clone();
                async move { Ok::<_, std::convert::Infallible>(route_request(&ctx, request, &public_dir).await) }
            });
            // A client that never finishes its headers is cut off instead of holding a task forever.
            let _ = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn route_request(ctx: &Arc<AppContext>, request: Request<Incoming>, public_dir: &Path) -> ApiResponse {
    let path = request.uri().path().to_owned();
    let started = std::time::Instant::now();
    let method = request.method().clone();
    let response = if let Some(route) = routes::find(&path) {
        serve_request(route, ctx, request, Background::Tokio).await
    } else if path == "/dev/token" {
        // A frontend on another origin (the Next.js example) signs in here too.
        let origin = request.headers().get("origin").and_then(|o| o.to_str().ok());
        let mut response = dev_token(ctx, request.uri().query().unwrap_or(""));
        apply_cors(origin, &ctx.config.cors_allowed_origins, &mut response);
        response
    } else if path.starts_with("/api/") {
        ApiError::NotFound.into_response()
    } else if method == Method::GET || method == Method::HEAD {
        static_file(public_dir, &path).await
    } else {
        ApiError::MethodNotAllowed { allow: "GET, HEAD".into() }.into_response()
    };
    tracing::info!(%method, %path, status = response.status().as_u16(), ms = started.elapsed().as_millis() as u64);
    response
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
        &json!({"token": token, "user": demo.user(ctx.config.public_base_url.as_deref()), "expiresIn": DEV_TOKEN_TTL_SECS}),
    )
}

async fn static_file(public_dir: &Path, url_path: &str) -> ApiResponse {
    let relative = url_path.trim_start_matches('/');
    let relative = if relative.is_empty() || relative.ends_with('/') {
        format!("{relative}index.html")
    } else {
        relative.to_owned()
    };
    let relative = Path::new(&relative);
    // Only plain path segments: no `..`, no absolute paths, so nothing outside public/ is served.
    if !relative.components().all(|c| matches!(c, Component::Normal(_))) {
        return ApiError::NotFound.into_response();
    }
    let file = public_dir.join(relative);
    match tokio::fs::read(&file).await {
        Ok(bytes) => {
            let mut response = hyper::Response::new(Full::new(Bytes::from(bytes)));
            let content_type = match file.extension().and_then(|e| e.to_str()).unwrap_or("") {
                "html" => "text/html; charset=utf-8",
                "js" | "mjs" => "text/javascript; charset=utf-8",
                "css" => "text/css; charset=utf-8",
                "json" => "application/json",
                "svg" => "image/svg+xml",
                "png" => "image/png",
                "ico" => "image/x-icon",
                _ => "application/octet-stream",
            };
            response.headers_mut().insert("content-type", hyper::header::HeaderValue::from_static(content_type));
            response.headers_mut().insert("cache-control", hyper::header::HeaderValue::from_static("no-cache"));
            response
        }
        Err(_) => ApiError::NotFound.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn static_files_cannot_escape_the_public_folder() {
        let root = std::env::temp_dir().join(format!("pusher-chat-static-{}", std::process::id()));
        let public = root.join("public");
        std::fs::create_dir_all(&public).unwrap();
        std::fs::write(root.join("secret.txt"), "secret").unwrap();
        std::fs::write(public.join("index.html"), "<p>hi</p>").unwrap();
        assert_eq!(static_file(&public, "/").await.status(), StatusCode::OK);
        assert_eq!(static_file(&public, "/../secret.txt").await.status(), StatusCode::NOT_FOUND);
        assert_eq!(static_file(&public, "//etc/passwd").await.status(), StatusCode::NOT_FOUND);
        assert_eq!(static_file(&public, "/missing.js").await.status(), StatusCode::NOT_FOUND);
        std::fs::remove_dir_all(root).unwrap();
    }
}
