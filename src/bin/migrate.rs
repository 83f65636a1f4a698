//! `cargo run --bin migrate [-- --seed-demo]`: applies `migrations/` to `$MIGRATIONS_DATABASE_URL`
//! (else `$DATABASE_URL`) and, with `--seed-demo`, inserts the demo users alice, bob and carol
//! (avatars under `$PUBLIC_BASE_URL` when set). Migrations need a direct connection (Supabase:
//! port 5432, not the 6543 transaction pooler): a deployment whose `DATABASE_URL` is the pooler
//! sets `MIGRATIONS_DATABASE_URL` to the direct one.

use pusher_chat::db;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = ["MIGRATIONS_DATABASE_URL", "DATABASE_URL"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|url| !url.trim().is_empty()))
        .ok_or("DATABASE_URL is not set (nor MIGRATIONS_DATABASE_URL)")?;
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
