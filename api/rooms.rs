//! Rooms as one Vercel function: `/api/rooms` and `/api/rooms/members`, which the rewrite
//! `/api/rooms/members` → `/api/rooms` in vercel.json reaches (docs/functions.md); the routes live
//! in the library.

use pusher_chat::routes::Route;

#[tokio::main]
async fn main() -> Result<(), vercel_runtime::Error> {
    pusher_chat::runtime::run_functions(&[Route::Rooms, Route::RoomsMembers]).await
}
