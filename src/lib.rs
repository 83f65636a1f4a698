//! pusher-chat: real-time private messaging as Vercel Rust functions.
//!
//! Module map:
//! - [`config`]: typed settings read from the environment once per instance.
//! - [`error`]: the one [`error::ApiError`] type and its JSON body.
//! - [`http`]: the collected request/response types every route uses, CORS, body caps.
//! - [`context`]: the per-instance singleton (config, database pool, Pusher client, token verifier).
//! - [`auth`]: Supabase access-token verification (HS256 secret or the project's JWKS).
//! - [`db`]: the connection pool, migrations and one function per SQL statement.
//! - [`messaging`]: what a valid message is and how events are published.
//! - [`pusher`]: the Pusher Channels protocol (signatures) and REST client.
//! - [`routes`]: the route functions and the routing table shared by Vercel binaries and the dev server.
//! - [`runtime`]: the adapter that turns a route into a `vercel_runtime` service.
//! - [`devserver`]: the local server that serves every route plus `public/` and `/dev/token`.

pub mod auth;
pub mod config;
pub mod context;
pub mod db;
pub mod devserver;
pub mod error;
pub mod http;
pub mod messaging;
pub mod pusher;
pub mod routes;
pub mod runtime;
