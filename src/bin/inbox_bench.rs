//! Inbox latency with an unread backlog: creates a database of its own, migrates it, fills one
//! room with `INBOX_BENCH_ROWS` messages (300 000) from 20 writers and gives two readers 30
//! private chats each besides it; then times what `GET /api/conversations` runs for a reader with
//! 10 unread messages in the room and for one who has read none of it, and prints p50 / p99. The
//! database is dropped at the end.
//!
//!   cargo run --release --bin inbox-bench
//!   INBOX_BENCH_ADMIN_URL (postgres://postgres@127.0.0.1:5432/postgres)  INBOX_BENCH_ROWS
//!   INBOX_BENCH_RUNS (200 per reader)  INBOX_BENCH_KEEP=1 (keep the database to look at plans)

use pusher_chat::db::conversations::inbox;
use pusher_chat::domain::UserId;
use std::time::{Duration, Instant};

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_owned())
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let admin_url = env_or("INBOX_BENCH_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres");
    let rows: i64 = env_or("INBOX_BENCH_ROWS", "300000").parse()?;
    let runs: usize = env_or("INBOX_BENCH_RUNS", "200").parse()?;
    let name = format!("inbox_bench_{}", std::process::id());
    let base =
        admin_url.rsplit_once('/').map(|(base, _)| base.to_owned()).ok_or("INBOX_BENCH_ADMIN_URL has no database")?;
    let admin = pusher_chat::db::connect(&admin_url).await?;
    admin.batch_execute(&format!(r#"CREATE DATABASE "{name}""#)).await?;
    let outcome = run(&format!("{base}/{name}"), rows, runs).await;
    if std::env::var("INBOX_BENCH_KEEP").is_ok_and(|v| v == "1") {
        println!("kept database {name}");
    } else {
        admin.batch_execute(&format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#)).await?;
    }
    outcome
}

async fn run(url: &str, rows: i64, runs: usize) -> Result<(), Box<dyn std::error::Error>> {
    let mut db = pusher_chat::db::connect(url).await?;
    pusher_chat::db::migrate(&mut db).await?;
    let started = Instant::now();
    // Writers w1..w20 fill the room; readers r1 (10 unread) and r2 (none read) are members, and
    // each has 30 private chats of 20 messages with the writers, all read.
    db.batch_execute(&format!(
        r#"INSERT INTO "User" ("id", "firstName") SELECT 'w' || g, 'Writer ' || g FROM generate_series(1, 20) g;
           INSERT INTO "User" ("id", "firstName") VALUES ('r1', 'Reader'), ('r2', 'Reader');
           INSERT INTO "Room" ("id", "name") VALUES ('big', 'Everyone');
           INSERT INTO "RoomMember" ("roomId", "userId")
               SELECT 'big', id FROM "User";
           INSERT INTO "Conversation" ("id", "kind", "roomId", "lastSeq", "lastMessageAt")
               VALUES ('room:big', 'room', 'big', {rows}, now());
           INSERT INTO "Message" ("id", "senderId", "roomId", "content", "createdAt", "updatedAt", "chatId", "seq")
               SELECT 'm' || g, 'w' || (g % 20 + 1), 'big', 'message ' || g,
                      now() - (({rows} - g) || ' seconds')::interval, now(), 'room:big', g
               FROM generate_series(1, {rows}) g;
           INSERT INTO "Conversation" ("id", "kind", "userA", "userB", "lastSeq", "lastMessageAt")
               SELECT r || ':w' || k, 'private', r, 'w' || k, 20, now() - (k || ' minutes')::interval
               FROM unnest(ARRAY['r1', 'r2']) r, generate_series(1, 20) k;
           INSERT INTO "Message" ("id", "senderId", "receiverId", "content", "createdAt", "updatedAt", "chatId", "seq")
               SELECT c."id" || ':' || s, CASE WHEN s % 2 = 0 THEN c."userA" ELSE c."userB" END,
                      CASE WHEN s % 2 = 0 THEN c."userB" ELSE c."userA" END, 'hi ' || s,
                      now() - (s || ' minutes')::interval, now(), c."id", s
               FROM "Conversation" c, generate_series(1, 20) s WHERE c."kind" = 'private';
           INSERT INTO "ConversationRead" ("chatId", "userId", "readSeq", "readAt")
               SELECT c."id", c."userA", 20, now() FROM "Conversation" c WHERE c."kind" = 'private';
           INSERT INTO "ConversationRead" ("chatId", "userId", "readSeq", "readAt") VALUES ('room:big', 'r1', {read}, now());"#,
        read = rows - 10,
    ))
    .await?;
    // Outside the batch: VACUUM cannot run in the implicit transaction of a multi-statement query.
    db.batch_execute(r#"VACUUM ANALYZE "Message""#).await?;
    db.batch_execute(r#"VACUUM ANALYZE "Conversation""#).await?;
    println!("{rows} messages in the room; filled in {:.0?}", started.elapsed());
    println!("| reader | unread in the room | unreadCount shown | p50 | p99 |");
    println!("|---|---|---|---|---|");
    for (user, unread) in [("r1", 10), ("r2", rows)] {
        let reader = UserId::parse(user)?;
        let mut times = Vec::with_capacity(runs);
        let mut shown = String::new();
        for _ in 0..runs {
            let started = Instant::now();
            let entries = inbox(&db, &reader, 50).await?;
            times.push(started.elapsed());
            let room = entries.iter().find(|e| e.kind == "room").ok_or("the room is not in the inbox")?;
            let room = serde_json::to_value(room)?;
            shown = format!("{} (unreadCapped: {})", room["unreadCount"], room["unreadCapped"]);
        }
        times.sort();
        let (p50, p99) = (percentile(&times, 0.5), percentile(&times, 0.99));
        println!("| {user} | {unread} | {shown} | {p50:.2} ms | {p99:.2} ms |");
    }
    Ok(())
}
