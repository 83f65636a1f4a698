//! pusher-chat: real-time private messaging as Vercel Rust functions.
//!
//! Modules in layers; each uses only the layers below it:
//! 1. entry points: `api/*.rs` (one Vercel function per route), `deploy/single-function/api/all.rs`
//!    (every route as one function, docs/functions.md), `src/bin/` (server, dev server, migrate,
//!    bench), [`runtime`] (the adapter every server goes through), [`server`] (the API as one
//!    long-running process) and [`devserver`] (that plus `/dev/token` and the demo page).
//! 2. [`routes`]: the routing table and thin handlers (parse, call a service, answer).
//! 3. [`services`]: what the product does (send, history, read receipts, typing, presence, rooms,
//!    channel authorization, webhooks, a user's export, erasure and retention, file uploads and
//!    their object store) and the one
//!    [`services::Publisher`].
//! 4. [`context`] (the per-instance singleton), [`db`] (one function per SQL statement),
//!    [`pusher`] (signatures, REST client), [`auth`] (token verification), [`http`] (request and
//!    response types, CORS, body cap), [`demo`] (local demo users).
//! 5. [`error`] (the one `ApiError`) and [`config`] (typed settings).
//! 6. [`domain`]: validated values (ids, conversation keys, channel names, message content,
//!    timestamps); depends on nothing in the crate.

pub mod auth;
pub mod config;
pub mod context;
pub mod db;
pub mod demo;
pub mod devserver;
pub mod domain;
pub mod error;
pub mod http;
pub mod pusher;
pub mod routes;
pub mod runtime;
pub mod server;
pub mod services;
