//! The operators' routes as one Vercel function: `/api/admin/reports`, `/api/admin/bans` and
//! `/api/admin/audit`, reached through the rewrite `/api/admin/(.*)` → `/api/admin` in
//! vercel.json (docs/functions.md); the routes live in the library.

use pusher_chat::routes::Route;

#[tokio::main]
async fn main() -> Result<(), vercel_runtime::Error> {
    pusher_chat::runtime::run_functions(&[Route::AdminReports, Route::AdminBans, Route::AdminAudit]).await
}
