//! `cargo run --bin migrate [-- --seed-demo]`: applies `migrations/` to `$DATABASE_URL` and,
//! with `--seed-demo`, inserts the demo users alice, bob and carol (avatars under
//! `$PUBLIC_BASE_URL` when set). Use a direct connection (Supabase: port 5432, not the 6543
//! transaction pooler).

use pusher_chat::db;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DATABASE_URL").map_err(|_| "DATABASE_URL is not set")?;
    let seed = std::env::args().any(|a| a == "--seed-demo");
    let mut client = db::connect(&url).await?;
    let applied = db::migrate(&mut client).await?;
    if applied.is_empty() {
        println!("migrations: up to date");
    }
    for name in applied {
        println!("migrations: applied {name}");
    }
    if seed {
        let public_base_url = std::env::var("PUBLIC_BASE_URL").ok().map(|url| url.trim_end_matches('/').to_owned());
        pusher_chat::demo::seed_demo_users(&client, public_base_url.as_deref()).await?;
        println!("demo users: alice, bob, carol");
    }
    Ok(())
}
