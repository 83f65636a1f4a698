//! The routing table and the route handlers. The table is the single list of what the product
//! serves: each `api/` binary serves one route or a family of them, the dev server and the
//! single-function build (`runtime::run_routing_table`) serve all of them, and tests check that
//! `api/`, `Cargo.toml`, `vercel.json`, `openapi.yaml` and this table agree. Handlers are thin:
//! parse the request into domain values, call a service, write the answer. The adapter (the
//! `runtime` module) checks the method, authenticates and opens the request's tracing span before
//! a handler runs.
//!
//! Adding a route: one function per resource. Every `api/` file is a Vercel function of the
//! per-route build, and plans cap how many one deployment may have (docs/functions.md), so a path
//! is a kind of thing and its file answers all of that thing's methods, as `/api/rooms` does (GET,
//! POST, PUT, PATCH, DELETE in `api/rooms.rs`). A new operation on something that has a path is a
//! method (or a body field) there, not a new path. A new path takes a row in [`ROUTES`], its
//! [`Endpoint`]s in [`endpoints`], its description in `openapi.yaml`, and either an `api/` file of
//! its own naming its route (with a `[[bin]]` of exactly that path in `Cargo.toml`) or, for a part
//! of an existing resource (`/api/rooms/members`, the operators' `/api/admin/…`), a place in that
//! resource's file (`runtime::run_functions`) and a rewrite to it in `vercel.json`;
//! `tests/integration/layout.rs` checks each of those and fails when the per-route build outgrows
//! the cap docs/functions.md gives it.

mod admin;
mod blocks;
mod config;
mod conversations;
mod cron;
mod files;
mod health;
mod me;
mod me_export;
mod message_actions;
mod messages;
mod mute;
mod presence;
mod push_subscriptions;
mod pusher_auth;
mod pusher_webhook;
mod reactions;
mod reports;
mod room_members;
mod rooms;
mod search;
mod typing;
mod uploads;

use crate::auth::AuthUser;
use crate::context::AppContext;
use crate::domain::{Invalid, SocketId};
use crate::error::ApiError;
use crate::http::{ApiRequest, ApiResponse};
use crate::services::Publisher;
use deadpool_postgres::Object;
use hyper::Method;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Health,
    Config,
    Me,
    PusherAuth,
    PusherUserAuth,
    PusherWebhook,
    Messages,
    MessagesPrivate,
    MessagesRoom,
    MessagesRead,
    MessagesReactions,
    MessagesSearch,
    Typing,
    Conversations,
    Rooms,
    RoomsMembers,
    Presence,
    ConversationsMute,
    PushSubscriptions,
    Cron,
    MeExport,
    Uploads,
    Files,
    Blocks,
    Reports,
    AdminReports,
    AdminBans,
    AdminAudit,
}

/// URL path → route. Vercel maps `api/<path>.rs` to `/api/<path>`.
pub const ROUTES: &[(&str, Route)] = &[
    ("/api/health", Route::Health),
    ("/api/config", Route::Config),
    ("/api/me", Route::Me),
    ("/api/pusher/auth", Route::PusherAuth),
    ("/api/pusher/user-auth", Route::PusherUserAuth),
    ("/api/pusher/webhook", Route::PusherWebhook),
    ("/api/messages", Route::Messages),
    ("/api/messages/private", Route::MessagesPrivate),
    ("/api/messages/room", Route::MessagesRoom),
    ("/api/messages/read", Route::MessagesRead),
    ("/api/messages/reactions", Route::MessagesReactions),
    ("/api/messages/search", Route::MessagesSearch),
    ("/api/typing", Route::Typing),
    ("/api/conversations", Route::Conversations),
    ("/api/rooms", Route::Rooms),
    ("/api/rooms/members", Route::RoomsMembers),
    ("/api/presence", Route::Presence),
    ("/api/conversations/mute", Route::ConversationsMute),
    ("/api/push/subscriptions", Route::PushSubscriptions),
    ("/api/cron", Route::Cron),
    ("/api/me/export", Route::MeExport),
    ("/api/uploads", Route::Uploads),
    ("/api/files", Route::Files),
    ("/api/blocks", Route::Blocks),
    ("/api/reports", Route::Reports),
    ("/api/admin/reports", Route::AdminReports),
    ("/api/admin/bans", Route::AdminBans),
    ("/api/admin/audit", Route::AdminAudit),
];

pub fn find(path: &str) -> Option<Route> {
    let path = path.trim_end_matches('/');
    ROUTES.iter().find(|(p, _)| *p == path).map(|(_, r)| *r)
}

pub fn path_of(route: Route) -> &'static str {
    ROUTES.iter().find(|(_, r)| *r == route).map(|(p, _)| *p).expect("every route is in ROUTES")
}

/// Everything a handler gets: the instance context, the collected request, and the publisher
/// for events that go out after the response.
pub struct Call {
    pub ctx: Arc<AppContext>,
    pub request: ApiRequest,
    pub publisher: Publisher,
}

impl Call {
    pub async fn db(&self) -> Result<Object, ApiError> {
        self.ctx.db().await
    }

    /// The connection to leave out of a broadcast: `X-Pusher-Socket-Id` or a body's `socketId`.
    pub fn excluded_socket(&self, from_body: Option<&str>) -> Result<Option<SocketId>, ApiError> {
        excluded_socket(self.request.header("x-pusher-socket-id"), from_body)
    }
}

/// The header wins over the body; empty means none; anything else must be a socket id (400).
fn excluded_socket(header: Option<&str>, body: Option<&str>) -> Result<Option<SocketId>, ApiError> {
    match header.or(body) {
        None | Some("") => Ok(None),
        Some(raw) => SocketId::parse(raw).map(Some).map_err(ApiError::malformed),
    }
}

/// Ends a route's transaction: commits on success, and on a refusal (4xx) too, so what the
/// request counted against a rate limit stays counted as it would without a transaction (the
/// services refuse before they change anything else); anything else rolls back.
async fn finish<T>(tx: deadpool_postgres::Transaction<'_>, outcome: Result<T, ApiError>) -> Result<T, ApiError> {
    match &outcome {
        Ok(_) => tx.commit().await?,
        Err(err) if err.status().is_client_error() => tx.commit().await?,
        Err(_) => tx.rollback().await?,
    }
    outcome
}

const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 100;

/// The `limit` query parameter of every list: 1 to 100, 50 when absent.
fn page_limit(value: Option<i64>) -> Result<i64, Invalid> {
    limit_between(value, DEFAULT_PAGE, MAX_PAGE)
}

/// A `limit` query parameter: 1 to `max`, `default` when absent.
fn limit_between(value: Option<i64>, default: i64, max: i64) -> Result<i64, Invalid> {
    match value {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err(Invalid::new("invalid_query", format!("limit must be between 1 and {max}"))),
    }
}

pub type Answer = Result<ApiResponse, ApiError>;
pub type PendingAnswer = Pin<Box<dyn Future<Output = Answer> + Send>>;

/// A handler, and whether it needs an authenticated caller.
#[derive(Clone, Copy)]
pub enum Handler {
    Public(fn(Call) -> PendingAnswer),
    Caller(fn(Call, AuthUser) -> PendingAnswer),
}

/// The methods routes serve (`HEAD` is served as `GET`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Verb {
    pub fn of(method: &Method) -> Option<Self> {
        match *method {
            Method::GET | Method::HEAD => Some(Self::Get),
            Method::POST => Some(Self::Post),
            Method::PUT => Some(Self::Put),
            Method::PATCH => Some(Self::Patch),
            Method::DELETE => Some(Self::Delete),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
        }
    }
}

pub struct Endpoint {
    pub verb: Verb,
    pub handler: Handler,
}

macro_rules! public {
    ($verb:ident, $handler:path) => {
        Endpoint { verb: Verb::$verb, handler: Handler::Public(|call| Box::pin($handler(call))) }
    };
}

macro_rules! caller {
    ($verb:ident, $handler:path) => {
        Endpoint { verb: Verb::$verb, handler: Handler::Caller(|call, caller| Box::pin($handler(call, caller))) }
    };
}

const HEALTH: &[Endpoint] = &[public!(Get, health::get)];
const CONFIG: &[Endpoint] = &[public!(Get, config::get)];
const ME: &[Endpoint] = &[caller!(Get, me::get), caller!(Put, me::put), caller!(Delete, me::delete)];
const PUSHER_AUTH: &[Endpoint] = &[caller!(Post, pusher_auth::channel)];
const PUSHER_USER_AUTH: &[Endpoint] = &[caller!(Post, pusher_auth::user)];
const PUSHER_WEBHOOK: &[Endpoint] = &[public!(Post, pusher_webhook::post)];
const MESSAGES: &[Endpoint] = &[caller!(Patch, message_actions::edit), caller!(Delete, message_actions::delete)];
const MESSAGES_PRIVATE: &[Endpoint] = &[caller!(Get, messages::private_history), caller!(Post, messages::send_private)];
const MESSAGES_ROOM: &[Endpoint] = &[caller!(Get, messages::room_history), caller!(Post, messages::send_to_room)];
const MESSAGES_READ: &[Endpoint] = &[caller!(Post, messages::read)];
const MESSAGES_REACTIONS: &[Endpoint] = &[caller!(Post, reactions::add), caller!(Delete, reactions::remove)];
const MESSAGES_SEARCH: &[Endpoint] = &[caller!(Get, search::get)];
const TYPING: &[Endpoint] = &[caller!(Post, typing::post)];
const CONVERSATIONS: &[Endpoint] = &[caller!(Get, conversations::get)];
const ROOMS: &[Endpoint] = &[
    caller!(Get, rooms::get),
    caller!(Post, rooms::post),
    caller!(Put, rooms::put),
    caller!(Patch, rooms::patch),
    caller!(Delete, rooms::delete),
];
const ROOMS_MEMBERS: &[Endpoint] = &[
    caller!(Get, room_members::get),
    caller!(Post, room_members::post),
    caller!(Patch, room_members::patch),
    caller!(Delete, room_members::delete),
];
const PRESENCE: &[Endpoint] = &[caller!(Post, presence::post)];
const CONVERSATIONS_MUTE: &[Endpoint] = &[caller!(Put, mute::put), caller!(Delete, mute::delete)];
const PUSH_SUBSCRIPTIONS: &[Endpoint] =
    &[caller!(Post, push_subscriptions::post), caller!(Delete, push_subscriptions::delete)];
// Vercel Cron sends GET; POST is there for schedulers that prefer it.
const CRON: &[Endpoint] = &[public!(Get, cron::run), public!(Post, cron::run)];
const ME_EXPORT: &[Endpoint] = &[caller!(Get, me_export::get)];
const UPLOADS: &[Endpoint] = &[caller!(Post, uploads::post)];
const FILES: &[Endpoint] = &[caller!(Get, files::get)];
const BLOCKS: &[Endpoint] = &[caller!(Get, blocks::get), caller!(Put, blocks::put), caller!(Delete, blocks::delete)];
const REPORTS: &[Endpoint] = &[caller!(Post, reports::post)];
const ADMIN_REPORTS: &[Endpoint] = &[caller!(Get, reports::get), caller!(Patch, reports::patch)];
const ADMIN_BANS: &[Endpoint] = &[caller!(Get, admin::bans), caller!(Put, admin::ban), caller!(Delete, admin::unban)];
const ADMIN_AUDIT: &[Endpoint] = &[caller!(Get, admin::audit)];

/// What a route serves, by method.
pub fn endpoints(route: Route) -> &'static [Endpoint] {
    match route {
        Route::Health => HEALTH,
        Route::Config => CONFIG,
        Route::Me => ME,
        Route::PusherAuth => PUSHER_AUTH,
        Route::PusherUserAuth => PUSHER_USER_AUTH,
        Route::PusherWebhook => PUSHER_WEBHOOK,
        Route::Messages => MESSAGES,
        Route::MessagesPrivate => MESSAGES_PRIVATE,
        Route::MessagesRoom => MESSAGES_ROOM,
        Route::MessagesRead => MESSAGES_READ,
        Route::MessagesReactions => MESSAGES_REACTIONS,
        Route::MessagesSearch => MESSAGES_SEARCH,
        Route::Typing => TYPING,
        Route::Conversations => CONVERSATIONS,
        Route::Rooms => ROOMS,
        Route::RoomsMembers => ROOMS_MEMBERS,
        Route::Presence => PRESENCE,
        Route::ConversationsMute => CONVERSATIONS_MUTE,
        Route::PushSubscriptions => PUSH_SUBSCRIPTIONS,
        Route::Cron => CRON,
        Route::MeExport => ME_EXPORT,
        Route::Uploads => UPLOADS,
        Route::Files => FILES,
        Route::Blocks => BLOCKS,
        Route::Reports => REPORTS,
        Route::AdminReports => ADMIN_REPORTS,
        Route::AdminBans => ADMIN_BANS,
        Route::AdminAudit => ADMIN_AUDIT,
    }
}

/// The handler for a method, or 405 naming the methods the route does serve.
pub fn handler_for(route: Route, method: &Method) -> Result<Handler, ApiError> {
    let endpoints = endpoints(route);
    Verb::of(method).and_then(|verb| endpoints.iter().find(|e| e.verb == verb)).map(|e| e.handler).ok_or_else(|| {
        ApiError::MethodNotAllowed { allow: endpoints.iter().map(|e| e.verb.as_str()).collect::<Vec<_>>().join(", ") }
    })
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

    #[test]
    fn methods_are_routed_and_others_refused_with_allow() {
        assert!(matches!(handler_for(Route::MessagesPrivate, &Method::GET), Ok(Handler::Caller(_))));
        assert!(matches!(handler_for(Route::Health, &Method::HEAD), Ok(Handler::Public(_))));
        assert!(matches!(handler_for(Route::PusherWebhook, &Method::POST), Ok(Handler::Public(_))));
        match handler_for(Route::MessagesPrivate, &Method::DELETE) {
            Err(ApiError::MethodNotAllowed { allow }) => assert_eq!(allow, "GET, POST"),
            _ => panic!("DELETE must be refused"),
        }
        assert!(handler_for(Route::Typing, &Method::GET).is_err());
        assert!(matches!(handler_for(Route::Me, &Method::PUT), Ok(Handler::Caller(_))));
        assert!(matches!(handler_for(Route::Rooms, &Method::DELETE), Ok(Handler::Caller(_))));
        assert!(matches!(handler_for(Route::Me, &Method::GET), Ok(Handler::Caller(_))));
        assert!(matches!(handler_for(Route::Messages, &Method::PATCH), Ok(Handler::Caller(_))));
        match handler_for(Route::Messages, &Method::GET) {
            Err(ApiError::MethodNotAllowed { allow }) => assert_eq!(allow, "PATCH, DELETE"),
            _ => panic!("GET /api/messages must be refused"),
        }
        match handler_for(Route::Me, &Method::POST) {
            Err(ApiError::MethodNotAllowed { allow }) => assert_eq!(allow, "GET, PUT, DELETE"),
            _ => panic!("POST /api/me must be refused"),
        }
    }

    #[test]
    fn the_excluded_socket_comes_from_the_header_or_the_body() {
        let id = |r: Result<Option<SocketId>, ApiError>| r.unwrap().map(|s| s.as_str().to_owned());
        assert_eq!(id(excluded_socket(Some("1.2"), Some("3.4"))).as_deref(), Some("1.2"));
        assert_eq!(id(excluded_socket(None, Some("3.4"))).as_deref(), Some("3.4"));
        assert_eq!(id(excluded_socket(None, None)), None);
        assert_eq!(id(excluded_socket(Some(""), None)), None);
        let err = excluded_socket(Some("nope"), None).unwrap_err();
        assert_eq!((err.status(), err.code()), (hyper::StatusCode::BAD_REQUEST, "invalid_socket_id"));
    }

    #[test]
    fn every_route_serves_at_least_one_method() {
        for (path, route) in ROUTES {
            assert!(!endpoints(*route).is_empty(), "{path}");
            assert_eq!(path_of(*route), *path);
        }
    }
}
