//! The one adapter between the library's routes and a server: `vercel_runtime` for deployed
//! functions (see `api/`), the dev server for local work. Both go through [`serve_request`].

use crate::context::{init_tracing, AppContext};
use crate::http::{apply_cors, collect_request, ApiResponse};
use crate::routes::{self, Route};
use bytes::Bytes;
use std::future::Future;
use std::sync::Arc;
use vercel_runtime::{AppState, ResponseBody};

/// Work that may finish after the response is sent (publishing to Pusher).
#[derive(Clone)]
pub enum Background {
    /// On Vercel the instance stays alive until the work ends (`waitUntil`).
    Vercel(AppState),
    /// In the dev server and tests, a plain task.
    Tokio,
}

impl Background {
    pub fn spawn<F: Future<Output = ()> + Send + 'static>(&self, work: F) {
        match self {
            Self::Vercel(state) => state.wait_until(work),
            Self::Tokio => {
                tokio::spawn(work);
            }
        }
    }
}

/// Collects the body (capped), runs the route, and always answers with a response.
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
    let origin = request.headers().get("origin").cloned();
    match collect_request(request, ctx.config.max_body_bytes).await {
        Ok(request) => routes::handle(route, ctx, request, background).await,
        Err(err) => {
            let mut response = err.into_response();
            apply_cors(origin.as_ref().and_then(|o| o.to_str().ok()), &ctx.config.cors_allowed_origins, &mut response);
            response
        }
    }
}

/// Entry point of every `api/` binary: builds the context once, then serves `route` under
/// `vercel_runtime`. A missing setting stops the instance at start, naming the variable.
pub async fn run_function(route: Route) -> Result<(), vercel_runtime::Error> {
    init_tracing();
    let ctx = match AppContext::from_env() {
        Ok(ctx) => ctx,
        Err(message) => {
            eprintln!("pusher-chat cannot start: {message}");
            return Err(message.into());
        }
    };
    let service = vercel_runtime::service_fn(move |request: vercel_runtime::Request, state: AppState| {
        let ctx = ctx.clone();
        async move {
            let response = serve_request(route, &ctx, request, Background::Vercel(state)).await;
            Ok::<_, vercel_runtime::Error>(response.map(ResponseBody::from))
        }
    });
    vercel_runtime::run(service).await
}
