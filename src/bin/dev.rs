//! `cargo run --bin dev`: the local dev server on 127.0.0.1:$PORT (3000), serving every `/api/`
//! route, `public/` and `/dev/token`. `scripts/dev` starts it with the local stack's settings.

use pusher_chat::context::{init_tracing, AppContext};
use pusher_chat::server::shutdown_signal;
use std::path::PathBuf;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    init_tracing();
    let ctx = AppContext::from_env()?;
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(3000);
    let public_dir = std::env::var("PUBLIC_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("public"));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    tracing::info!("dev server on http://127.0.0.1:{port}");
    pusher_chat::devserver::serve_until(ctx, listener, public_dir, shutdown_signal()).await;
    Ok(())
}
