//! `cargo run --release --bin server`: the whole API as one process, for Railway, Render, Fly, a
//! VM or Kubernetes. Same routes, settings and behaviour as the Vercel functions, plus
//! `/healthz` and `/readyz`; listens on `HOST:PORT`, logs JSON lines, and on SIGTERM finishes
//! what is in flight (pending Pusher publishes included) before it exits.

use pusher_chat::config::ServerSettings;
use pusher_chat::context::{init_tracing_as, AppContext};
use pusher_chat::server::{shutdown_signal, Server};
use std::process::ExitCode;
use std::sync::Arc;

#[tokio::main]
async fn main() -> ExitCode {
    let settings = match ServerSettings::from_env() {
        Ok(settings) => settings,
        Err(err) => return stop(&err),
    };
    init_tracing_as(settings.log_format);
    let ctx = match AppContext::from_env() {
        Ok(ctx) => ctx,
        Err(err) => return stop(&err),
    };
    let listener = match tokio::net::TcpListener::bind((settings.host.as_str(), settings.port)).await {
        Ok(listener) => listener,
        Err(err) => return stop(&format!("cannot listen on {}:{}: {err}", settings.host, settings.port)),
    };
    let address = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
    tracing::info!(%address, version = env!("CARGO_PKG_VERSION"), "listening");
    let server = Arc::new(Server::new(ctx, settings.public_dir));
    server.serve(listener, shutdown_signal(), settings.shutdown_timeout).await;
    ExitCode::SUCCESS
}

/// A setting that keeps the server from starting: said on stderr, exit status 1.
fn stop(reason: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("pusher-chat server cannot start: {reason}");
    ExitCode::FAILURE
}
