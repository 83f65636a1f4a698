//! Files as one Vercel function: `/api/uploads` and `/api/files`, which the rewrite `/api/files` →
//! `/api/uploads` in vercel.json reaches (docs/functions.md); the routes live in the library.

use pusher_chat::routes::Route;

#[tokio::main]
async fn main() -> Result<(), vercel_runtime::Error> {
    pusher_chat::runtime::run_functions(&[Route::Uploads, Route::Files]).await
}
