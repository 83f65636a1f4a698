//! The whole API as one long-running process: the `server` binary (Railway, Render, Fly, a VM)
//! and, with `/dev/token` and the demo page added, the dev server. Every route of the routing
//! table, `GET /healthz` (liveness: the process answers, nothing else is checked) and
//! `GET /readyz` (readiness: the database answers), static files only when a folder is given,
//! one log line per request, the periodic jobs (the outbox drain) every
//! `OUTBOX_DRAIN_INTERVAL_MS`, and a graceful shutdown: stop accepting, let in-flight requests
//! finish, wait for pending Pusher publishes and outbox deliveries, all within one bound.

use crate::context::AppContext;
use crate::error::ApiError;
use crate::http::{json_response, ApiResponse};
use crate::routes;
use crate::runtime::{elapsed_ms, serve_request};
use crate::services::{jobs, Background};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::server::conn::http1;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use serde_json::json;
use std::future::Future;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio_util::task::TaskTracker;

/// A client that never finishes its headers is cut off instead of holding a task forever.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Readiness is a quick question: a database that takes longer counts as not ready.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// A route of one kind of server only (the dev server's `/dev/token`), tried before the rest.
pub type ExtraRoute = fn(&AppContext, &Request<Incoming>) -> Option<ApiResponse>;

pub struct Server {
    ctx: Arc<AppContext>,
    public_dir: Option<PathBuf>,
    extra: Option<ExtraRoute>,
    /// Publishes still running after their response; joined on shutdown.
    tasks: TaskTracker,
}

impl Server {
    pub fn new(ctx: Arc<AppContext>, public_dir: Option<PathBuf>) -> Self {
        Self { ctx, public_dir, extra: None, tasks: TaskTracker::new() }
    }

    pub fn with_extra_route(mut self, extra: ExtraRoute) -> Self {
        self.extra = Some(extra);
        self
    }

    pub async fn handle(&self, request: Request<Incoming>) -> ApiResponse {
        if let Some(route) = routes::find(request.uri().path()) {
            // The adapter logs the request's line itself, with its route, caller and id.
            return serve_request(route, &self.ctx, request, Background::Tracked(self.tasks.clone())).await;
        }
        let started = Instant::now();
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let response = self.handle_other(request).await;
        tracing::info!(%method, %path, status = response.status().as_u16(), ms = elapsed_ms(started), "request");
        response
    }

    async fn handle_other(&self, request: Request<Incoming>) -> ApiResponse {
        if let Some(response) = self.extra.and_then(|extra| extra(&self.ctx, &request)) {
            return response;
        }
        let path = request.uri().path();
        let readable = matches!(*request.method(), Method::GET | Method::HEAD);
        match path {
            "/healthz" | "/readyz" if !readable => {
                ApiError::MethodNotAllowed { allow: "GET, HEAD".into() }.into_response()
            }
            "/healthz" => json_response(StatusCode::OK, &json!({"status": "ok"})),
            "/readyz" => self.readiness().await,
            _ if path.starts_with("/api/") => ApiError::NotFound.into_response(),
            _ => match &self.public_dir {
                Some(_) if !readable => ApiError::MethodNotAllowed { allow: "GET, HEAD".into() }.into_response(),
                Some(public_dir) => static_file(public_dir, path).await,
                None => ApiError::NotFound.into_response(),
            },
        }
    }

    /// Ready when a pooled connection runs a query within [`READY_TIMEOUT`]; a platform stops
    /// routing to an instance that says 503 here.
    async fn readiness(&self) -> ApiResponse {
        let probe = async {
            let client = self.ctx.db.get().await.ok()?;
            client.simple_query("SELECT 1").await.ok()
        };
        match tokio::time::timeout(READY_TIMEOUT, probe).await {
            Ok(Some(_)) => json_response(StatusCode::OK, &json!({"status": "ready"})),
            _ => ApiError::Unavailable("database").into_response(),
        }
    }

    /// Serves until `shutdown` completes, then stops accepting, lets open requests finish and
    /// waits for pending publishes, giving up on whatever is left after `grace`.
    pub async fn serve(
        self: Arc<Self>,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
        grace: Duration,
    ) -> ShutdownReport {
        let connections = GracefulShutdown::new();
        // The periodic jobs run beside the requests, tracked like publishes: a shutdown lets the
        // current run finish (its deliveries are bounded), then joins it.
        let stop_jobs = tokio_util::sync::CancellationToken::new();
        self.tasks.spawn(jobs::run_every(self.ctx.clone(), self.ctx.config.outbox.drain_interval, stop_jobs.clone()));
        tokio::pin!(shutdown);
        loop {
            let stream = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(err) => {
                        // Out of file descriptors and the like: wait a moment, keep serving.
                        tracing::warn!(%err, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let server = self.clone();
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let server = server.clone();
                async move { Ok::<_, std::convert::Infallible>(server.handle(request).await) }
            });
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service);
            let connection = connections.watch(connection);
            tokio::spawn(async move {
                let _ = connection.await;
            });
        }
        drop(listener);
        stop_jobs.cancel();
        let started = Instant::now();
        let deadline = tokio::time::Instant::now() + grace;
        tracing::info!(connections = connections.count(), publishes = self.tasks.len(), "shutting down");
        let requests_finished = tokio::time::timeout_at(deadline, connections.shutdown()).await.is_ok();
        self.tasks.close();
        let publishes_finished = tokio::time::timeout_at(deadline, self.tasks.wait()).await.is_ok();
        let report = ShutdownReport {
            requests_finished,
            publishes_abandoned: if publishes_finished { 0 } else { self.tasks.len() },
            took: started.elapsed(),
        };
        if report.clean() {
            tracing::info!(ms = report.took.as_millis() as u64, "stopped");
        } else {
            tracing::warn!(
                requests_finished,
                publishes_abandoned = report.publishes_abandoned,
                "stopped at the shutdown deadline"
            );
        }
        report
    }
}

/// How a shutdown went: whether every open request finished and how many publishes did not.
#[derive(Debug, Clone, Copy)]
pub struct ShutdownReport {
    pub requests_finished: bool,
    pub publishes_abandoned: usize,
    pub took: Duration,
}

impl ShutdownReport {
    pub fn clean(&self) -> bool {
        self.requests_finished && self.publishes_abandoned == 0
    }
}

/// Completes on SIGTERM (what platforms send before stopping an instance) or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// A file under `public_dir` for a URL path; `/` and folders mean their `index.html`.
pub async fn static_file(public_dir: &Path, url_path: &str) -> ApiResponse {
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
            let headers = response.headers_mut();
            headers.insert("content-type", HeaderValue::from_static(content_type));
            headers.insert("cache-control", HeaderValue::from_static("no-cache"));
            headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
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
        let index = static_file(&public, "/").await;
        assert_eq!(index.status(), StatusCode::OK);
        assert_eq!(index.headers()["content-type"], "text/html; charset=utf-8");
        assert_eq!(static_file(&public, "/../secret.txt").await.status(), StatusCode::NOT_FOUND);
        assert_eq!(static_file(&public, "//etc/passwd").await.status(), StatusCode::NOT_FOUND);
        assert_eq!(static_file(&public, "/missing.js").await.status(), StatusCode::NOT_FOUND);
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn a_shutdown_is_clean_only_when_nothing_was_cut_off() {
        let report = |requests_finished, publishes_abandoned| ShutdownReport {
            requests_finished,
            publishes_abandoned,
            took: Duration::ZERO,
        };
        assert!(report(true, 0).clean());
        assert!(!report(false, 0).clean());
        assert!(!report(true, 1).clean());
    }
}
