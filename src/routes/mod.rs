//! Route functions and the routing table. The table is the single list of what the product
//! serves: each `api/` binary names one entry, the dev server serves all of them, and tests check
//! that `api/`, `Cargo.toml`, `openapi.yaml` and this table agree.

mod config;
mod conversations;
mod health;
mod me;
mod messages;
mod presence;
mod pusher_auth;
mod pusher_webhook;
mod rooms;
mod typing;

use crate::context::AppContext;
use crate::error::ApiError;
use crate::http::{apply_cors, preflight, ApiRequest, ApiResponse};
use crate::runtime::Background;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Health,
    Config,
    Me,
    PusherAuth,
    PusherUserAuth,
    PusherWebhook,
    MessagesPrivate,
    MessagesRoom,
    MessagesRead,
    Typing,
    Conversations,
    Rooms,
    Presence,
}

/// URL path → route. Vercel maps `api/<path>.rs` to `/api/<path>`.
pub const ROUTES: &[(&str, Route)] = &[
    ("/api/health", Route::Health),
    ("/api/config", Route::Config),
    ("/api/me", Route::Me),
    ("/api/pusher/auth", Route::PusherAuth),
    ("/api/pusher/user-auth", Route::PusherUserAuth),
    ("/api/pusher/webhook", Route::PusherWebhook),
    ("/api/messages/private", Route::MessagesPrivate),
    ("/api/messages/room", Route::MessagesRoom),
    ("/api/messages/read", Route::MessagesRead),
    ("/api/typing", Route::Typing),
    ("/api/conversations", Route::Conversations),
    ("/api/rooms", Route::Rooms),
    ("/api/presence", Route::Presence),
];

pub fn find(path: &str) -> Option<Route> {
    let path = path.trim_end_matches('/');
    ROUTES.iter().find(|(p, _)| *p == path).map(|(_, r)| *r)
}

pub fn path_of(route: Route) -> &'static str {
    ROUTES.iter().find(|(_, r)| *r == route).map(|(p, _)| *p).expect("every route is in ROUTES")
}

/// Runs a route with CORS, the preflight answer, a deadline, and errors turned into JSON.
pub async fn handle(
    route: Route,
    ctx: &Arc<AppContext>,
    request: ApiRequest,
    background: Background,
) -> ApiResponse {
    let allowed = &ctx.config.cors_allowed_origins;
    if let Some(response) = preflight(&request, allowed) {
        return response;
    }
    let outcome = tokio::time::timeout(ctx.config.request_timeout, dispatch(route, ctx, &request, &background)).await;
    let mut response = match outcome {
        Ok(Ok(response)) => response,
        Ok(Err(err)) => err.into_response(),
        Err(_) => {
            tracing::error!(path = path_of(route), "request timed out");
            ApiError::Unavailable("the service").into_response()
        }
    };
    apply_cors(request.header("origin"), allowed, &mut response);
    response
}

async fn dispatch(
    route: Route,
    ctx: &Arc<AppContext>,
    request: &ApiRequest,
    background: &Background,
) -> Result<ApiResponse, ApiError> {
    match route {
        Route::Health => health::get(ctx, request).await,
        Route::Config => config::get(ctx, request).await,
        Route::Me => me::get(ctx, request).await,
        Route::PusherAuth => pusher_auth::post(ctx, request).await,
        Route::PusherUserAuth => pusher_auth::user_auth(ctx, request).await,
        Route::PusherWebhook => pusher_webhook::post(ctx, request, background).await,
        Route::MessagesPrivate => messages::private(ctx, request, background).await,
        Route::MessagesRoom => messages::room(ctx, request, background).await,
        Route::MessagesRead => messages::read(ctx, request, background).await,
        Route::Typing => typing::post(ctx, request, background).await,
        Route::Conversations => conversations::get(ctx, request).await,
        Route::Rooms => rooms::post(ctx, request, background).await,
        Route::Presence => presence::post(ctx, request, background).await,
    }
}

/// Refuses any method but the ones a route serves.
pub(crate) fn allow(request: &ApiRequest, methods: &[hyper::Method]) -> Result<(), ApiError> {
    if methods.contains(&request.method) {
        Ok(())
    } else {
        Err(ApiError::MethodNotAllowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_with_or_without_a_trailing_slash() {
        assert_eq!(find("/api/health"), Some(Route::Health));
        assert_eq!(find("/api/health/"), Some(Route::Health));
        assert_eq!(find("/api/nope"), None);
    }
}
