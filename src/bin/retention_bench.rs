//! `scripts/bench-retention` runs this: whether a retention drain stalls sends.
//!
//! `BENCH_RETENTION_MESSAGES` (200 000) messages older than the limit are written into 20
//! conversations of 40 users, then 4 senders send `BENCH_RETENTION_SENDS` (500 each) messages
//! one after another into those same conversations (the sends whose conversation rows the drain
//! locks), first with nothing else running, then while drains (`/api/cron`'s retention job, with
//! `RETENTION_MESSAGES_PER_RUN` large enough to expire everything) run back to back. Prints the
//! send latency p50/p99/max of both, and how many messages the drain expired per second.
//!
//! Settings: BENCH_DATABASE_URL (a migrated database it may fill and empty), and PUSHER_* and
//! SUPABASE_JWT_SECRET (any values: nothing is published).

use pusher_chat::config::Config;
use pusher_chat::context::AppContext;
use pusher_chat::db::messages::{insert_message, NewMessage};
use pusher_chat::db::rate_limit::Bucket;
use pusher_chat::domain::{ConversationKey, Draft, MessageFields, UserId};
use pusher_chat::services::retention::expire_old_messages;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

type Error = Box<dyn std::error::Error + Send + Sync>;

const USERS: usize = 40;
const SENDERS: usize = 4;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn context() -> Result<Arc<AppContext>, Error> {
    let mut vars: HashMap<String, String> = std::env::vars().collect();
    vars.insert("DATABASE_URL".into(), std::env::var("BENCH_DATABASE_URL")?);
    vars.insert("DB_POOL_SIZE".into(), "8".into());
    vars.insert("MESSAGE_RETENTION_DAYS".into(), "30".into());
    vars.insert("RETENTION_MESSAGES_PER_RUN".into(), "20000".into());
    Ok(AppContext::new(Config::from_lookup(|k| vars.get(k).cloned())?)?)
}

fn user(n: usize) -> UserId {
    UserId::parse(&format!("retention-user-{n:02}")).expect("a valid id")
}

/// The conversation of pair `n`: users 2n and 2n + 1.
fn conversation(n: usize) -> ConversationKey {
    ConversationKey::private(&user(2 * n), &user(2 * n + 1)).expect("two users")
}

async fn seed(ctx: &AppContext, messages: u64) -> Result<(), Error> {
    let db = ctx.db().await?;
    db.batch_execute(r#"TRUNCATE "Message", "Conversation", "MessageReaction", "RateLimit" CASCADE"#).await?;
    for n in 0..USERS {
        db.execute(
            r#"INSERT INTO "User" ("id", "firstName", "updatedAt") VALUES ($1, 'Bench', now()) ON CONFLICT DO NOTHING"#,
            &[&user(n).as_str()],
        )
        .await?;
    }
    let per_chat = (messages / (USERS as u64 / 2)) as i64;
    for n in 0..USERS / 2 {
        let key = conversation(n);
        let chat = key.to_string();
        let (a, b) = key.participants().expect("a private chat");
        db.execute(
            r#"INSERT INTO "Conversation" ("id", "kind", "userA", "userB", "lastSeq", "lastMessageAt")
               VALUES ($1, 'private', $2, $3, $4, now() AT TIME ZONE 'UTC')"#,
            &[&chat, &a.as_str(), &b.as_str(), &per_chat],
        )
        .await?;
        db.execute(
            r#"INSERT INTO "Message" ("id", "senderId", "receiverId", "content", "createdAt", "updatedAt", "chatId", "seq")
               SELECT $1 || '-' || s, CASE WHEN s % 2 = 0 THEN $2 ELSE $3 END, CASE WHEN s % 2 = 0 THEN $3 ELSE $2 END,
                      'an old message number ' || s, (now() AT TIME ZONE 'UTC') - interval '40 days', now(), $4, s
               FROM generate_series(1, $5::bigint) AS s"#,
            &[&format!("old{n}"), &a.as_str(), &b.as_str(), &chat, &per_chat],
        )
        .await?;
    }
    db.batch_execute(r#"ANALYZE "Message"; ANALYZE "Conversation""#).await?;
    Ok(())
}

/// `sends` sends from each of [`SENDERS`] senders, one after another, into the drained
/// conversations; every latency in milliseconds.
async fn send_many(ctx: &Arc<AppContext>, sends: u64) -> Result<Vec<f64>, Error> {
    let mut tasks = tokio::task::JoinSet::new();
    for sender in 0..SENDERS {
        let ctx = ctx.clone();
        tasks.spawn(async move {
            let mut samples = Vec::new();
            let draft = Draft::parse(&MessageFields { content: Some("a new message".into()), ..Default::default() })?;
            let limit = Bucket::per_second(1_000_000);
            for i in 0..sends {
                let pair = (sender * 5 + i as usize) % (USERS / 2);
                let key = conversation(pair);
                let from = user(2 * pair);
                let id = uuid::Uuid::new_v4().to_string();
                let started = Instant::now();
                let db = ctx.db().await?;
                let message = NewMessage { id: &id, sender: &from, conversation: &key, draft: &draft };
                insert_message(&**db, &message, &format!("bench:{sender}"), limit).await?;
                samples.push(started.elapsed().as_secs_f64() * 1000.0);
            }
            Ok::<_, Error>(samples)
        });
    }
    let mut all = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        all.extend(joined??);
    }
    Ok(all)
}

fn summary(samples: &mut [f64]) -> String {
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let at = |p: f64| samples[((samples.len() as f64 - 1.0) * p).round() as usize];
    format!("p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms", at(0.5), at(0.99), samples[samples.len() - 1])
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let messages = env_number("BENCH_RETENTION_MESSAGES", 200_000);
    let sends = env_number("BENCH_RETENTION_SENDS", 500);
    let ctx = context()?;
    seed(&ctx, messages).await?;
    let mut quiet = send_many(&ctx, sends).await?;

    let stop = Arc::new(AtomicBool::new(false));
    let expired = Arc::new(AtomicU64::new(0));
    let drain = {
        let (ctx, stop, expired) = (ctx.clone(), stop.clone(), expired.clone());
        tokio::spawn(async move {
            let started = Instant::now();
            let mut runs = 0u32;
            while !stop.load(Ordering::Relaxed) {
                let report = expire_old_messages(&ctx).await.expect("a retention run");
                runs += 1;
                expired.fetch_add(report.messages_expired, Ordering::Relaxed);
                if report.messages_expired == 0 {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
            (runs, started.elapsed())
        })
    };
    let mut draining = send_many(&ctx, sends).await?;
    let during_sends = expired.load(Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    let (runs, took) = drain.await?;
    let total = expired.load(Ordering::Relaxed);
    let rate = total as f64 / took.as_secs_f64();

    println!("| measurement | result |");
    println!("|---|---|");
    println!("| {} sends ({SENDERS} senders × {sends}), nothing else running | {} |", quiet.len(), summary(&mut quiet));
    println!(
        "| the same sends while retention drains run back to back over {messages} expired messages in the same 20 conversations | {} |",
        summary(&mut draining)
    );
    println!(
        "| the drain meanwhile | {during_sends} messages expired during the sends, {total} in {runs} runs ({rate:.0} a second) |"
    );
    Ok(())
}
