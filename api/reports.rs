//! `/api/reports` as a Vercel function; the route lives in the library.

#[tokio::main]
async fn main() -> Result<(), vercel_runtime::Error> {
    pusher_chat::runtime::run_function(pusher_chat::routes::Route::Reports).await
}
