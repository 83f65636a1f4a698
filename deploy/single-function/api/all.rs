//! The whole API as one Vercel function: every route of the routing table, for a plan whose cap
//! on functions per deployment the per-route build exceeds (docs/functions.md).
//! `scripts/vercel-single-function` assembles a deployment in which this is `api/all.rs`, the only
//! function, and `vercel.json` rewrites every `/api/…` path to it.

#[tokio::main]
async fn main() -> Result<(), vercel_runtime::Error> {
    pusher_chat::runtime::run_routing_table().await
}
