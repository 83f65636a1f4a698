//! Message search latency on a large table: creates a database of its own, migrates it, fills it
//! with `SEARCH_BENCH_ROWS` messages (1 000 000) in 10 000 chats of 2 000 users and one room that
//! holds every tenth message, with words drawn from a skewed vocabulary (a few words in most
//! messages, a long tail of rare ones), then times what `GET /api/messages/search` runs for two
//! readers and prints p50 / p99: `u1`, in a few chats, and `u2`, in as many chats and the big room.
//! The database is dropped at the end.
//!
//!   cargo run --release --bin search-bench
//!   SEARCH_BENCH_ADMIN_URL (postgres://postgres@127.0.0.1:5432/postgres)  SEARCH_BENCH_ROWS
//!   SEARCH_BENCH_RUNS (200 per query)  SEARCH_BENCH_KEEP=1 (keep the database to look at plans)

use pusher_chat::db::search::{search_messages, search_scope};
use pusher_chat::domain::{SearchQuery, UserId};
use std::time::{Duration, Instant};

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_owned())
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

/// Common words first: drawn with a skew, so the first ones are in most messages.
const COMMON: &str = "the to and you is it that for of on in we at be have this can with are will not what just so \
    lunch meeting tomorrow today call please thanks send file photo later morning night weekend";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let admin_url = env_or("SEARCH_BENCH_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres");
    let rows: i64 = env_or("SEARCH_BENCH_ROWS", "1000000").parse()?;
    let runs: usize = env_or("SEARCH_BENCH_RUNS", "200").parse()?;
    let name = format!("search_bench_{}", std::process::id());
    let base =
        admin_url.rsplit_once('/').map(|(base, _)| base.to_owned()).ok_or("SEARCH_BENCH_ADMIN_URL has no database")?;
    let admin = pusher_chat::db::connect(&admin_url).await?;
    admin.batch_execute(&format!(r#"CREATE DATABASE "{name}""#)).await?;
    let outcome = run(&format!("{base}/{name}"), rows, runs).await;
    if std::env::var("SEARCH_BENCH_KEEP").is_ok_and(|v| v == "1") {
        println!("kept database {name}");
    } else {
        admin.batch_execute(&format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#)).await?;
    }
    outcome
}

async fn run(url: &str, rows: i64, runs: usize) -> Result<(), Box<dyn std::error::Error>> {
    let mut db = pusher_chat::db::connect(url).await?;
    pusher_chat::db::migrate(&mut db).await?;
    let common: Vec<&str> = COMMON.split_whitespace().collect();
    let started = Instant::now();
    // The index is built once after the rows are in (as on a table that grew over time).
    db.batch_execute(&format!(
        r#"DROP INDEX "Message_searchVector_idx";
           INSERT INTO "User" ("id", "firstName") SELECT 'u' || g, 'User ' || g FROM generate_series(1, 2000) g;
           INSERT INTO "Conversation" ("id", "kind", "userA", "userB", "lastSeq")
               SELECT 'c' || k, 'private', 'u' || (k % 2000 + 1), 'u' || ((k % 2000 + 1 + k / 2000 * 397) % 2000 + 1), 0
               FROM generate_series(0, 9999) k;
           INSERT INTO "Message" ("id", "senderId", "receiverId", "content", "createdAt", "updatedAt", "chatId", "seq")
               SELECT 'm' || g, c."userA", c."userB",
                      (SELECT string_agg(CASE WHEN x.i < {common_count} THEN split_part('{common}', ' ', x.i + 1)
                                              ELSE 'k' || x.i END, ' ')
                       FROM (SELECT floor(random() ^ 4 * 50000)::int AS i
                             FROM generate_series(1, 6 + (g % 7)) w WHERE g >= 0) x),
                      now() - (g || ' seconds')::interval, now(), c."id", g / 10000 + 1
               FROM generate_series(0, {last}) g
               JOIN "Conversation" c ON c."id" = 'c' || (g % 10000);
           INSERT INTO "Room" ("id", "name") VALUES ('big', 'Everyone');
           INSERT INTO "RoomMember" ("roomId", "userId") VALUES ('big', 'u2');
           UPDATE "Message" SET "chatId" = 'room:big', "receiverId" = NULL, "roomId" = 'big',
                  "seq" = substr("id", 2)::bigint / 10 + 1
           WHERE substr("id", 2)::bigint % 10 = 0;
           INSERT INTO "Conversation" ("id", "kind", "roomId", "lastSeq")
               SELECT 'room:big', 'room', 'big', count(*) FROM "Message" WHERE "chatId" = 'room:big';
           UPDATE "Conversation" c SET "lastSeq" = (SELECT count(*) FROM "Message" m WHERE m."chatId" = c."id");
           CREATE INDEX "Message_searchVector_idx" ON "Message" USING GIN ("searchVector");"#,
        last = rows - 1,
        common = common.join(" "),
        common_count = common.len(),
    ))
    .await?;
    // Outside the batch: VACUUM cannot run in the implicit transaction of a multi-statement query.
    db.batch_execute(r#"VACUUM ANALYZE "Message""#).await?;
    db.batch_execute(r#"VACUUM ANALYZE "Conversation""#).await?;
    let stored: i64 = db.query_one(r#"SELECT count(*) FROM "Message""#, &[]).await?.get(0);
    println!("{stored} messages; filled and indexed in {:.0?}", started.elapsed());
    println!("| reader (messages in their conversations) | query | matches in the table | p50 | p99 |");
    println!("|---|---|---|---|---|");
    for user in ["u1", "u2"] {
        let reader = UserId::parse(user)?;
        let own: i64 = search_scope(&db, &reader).await?.iter().map(|(_, size)| size).sum();
        for text in ["k49999", "lunch tomorrow", "meeting", "the", "t", "k4"] {
            measure(&db, &reader, own, text, runs).await?;
        }
    }
    Ok(())
}

async fn measure(
    db: &tokio_postgres::Client,
    reader: &UserId,
    own: i64,
    text: &str,
    runs: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let query = SearchQuery::parse(text)?;
    let matches: i64 = db
        .query_one(
            r#"SELECT count(*) FROM "Message" WHERE "searchVector" @@ to_tsquery('simple'::regconfig, $1)"#,
            &[&query.to_tsquery()],
        )
        .await?
        .get(0);
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        search_messages(db, reader, &query, 20).await?;
        times.push(started.elapsed());
    }
    times.sort();
    let (p50, p99) = (percentile(&times, 0.5), percentile(&times, 0.99));
    println!("| {reader} ({own}) | `{text}` | {matches} | {p50:.2} ms | {p99:.2} ms |");
    Ok(())
}
