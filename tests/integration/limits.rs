//! Rate limits, straight against PostgreSQL: a bucket is written as it stood some seconds ago, so
//! each refill rate, capacity and `Retry-After` is checked exactly, without sleeping.

use crate::helpers::*;
use pusher_chat::db::rate_limit::{prune_idle_buckets, retry_after, take, Bucket};
use pusher_chat::db::rate_limit::{PRESENCE, ROOM_CREATE, SEND_MESSAGE, TYPING, TYPING_STOP};
use serde_json::json;

/// Bucket `key` holding `tokens`, last touched `seconds_ago` (time runs in the database).
pub async fn bucket_as_of(db: &tokio_postgres::Client, key: &str, tokens: f64, seconds_ago: f64) {
    db.execute(
        r#"INSERT INTO "RateLimit" ("key", "tokens", "updatedAt")
           VALUES ($1, $2, (clock_timestamp() AT TIME ZONE 'UTC') - make_interval(secs => $3))
           ON CONFLICT ("key") DO UPDATE SET "tokens" = EXCLUDED."tokens", "updatedAt" = EXCLUDED."updatedAt""#,
        &[&key, &tokens, &seconds_ago],
    )
    .await
    .unwrap();
}

/// Checks one bucket: an empty one refills one token every `seconds_per_token`, holds at most
/// `capacity`, and a refused take says how many whole seconds remain.
async fn check_bucket(db: &tokio_postgres::Client, name: &str, bucket: Bucket, seconds_per_token: f64, capacity: u32) {
    let key = format!("check:{name}");
    // Most of a token, with at least 0.25 s to spare for the statements' own time on a busy machine.
    let almost = (seconds_per_token * 0.9).min(seconds_per_token - 0.25);
    bucket_as_of(db, &key, 0.0, almost).await;
    assert!(take(db, &key, bucket).await.unwrap().is_err(), "{name}: {almost} s of refill is not a token");
    bucket_as_of(db, &key, 0.0, seconds_per_token * 1.05).await;
    assert_eq!(take(db, &key, bucket).await.unwrap(), Ok(()), "{name}: a token after {seconds_per_token} s");
    assert!(take(db, &key, bucket).await.unwrap().is_err(), "{name}: and only one");

    // Half a token: the wait is the other half, rounded up to whole seconds (at least 1).
    bucket_as_of(db, &key, 0.0, seconds_per_token / 2.0).await;
    let expected = (seconds_per_token / 2.0).ceil().max(1.0) as u64;
    assert_eq!(take(db, &key, bucket).await.unwrap(), Err(expected), "{name}: the wait");
    assert_eq!(retry_after(db, &key, bucket).await.unwrap(), expected, "{name}: the wait, asked again");

    // Idle for a long time: full, but no fuller than the capacity.
    bucket_as_of(db, &key, 0.0, seconds_per_token * 1000.0).await;
    for i in 0..capacity {
        assert_eq!(take(db, &key, bucket).await.unwrap(), Ok(()), "{name}: token {} of {capacity}", i + 1);
    }
    assert!(take(db, &key, bucket).await.unwrap().is_err(), "{name}: capacity {capacity}");
}

#[tokio::test]
async fn each_bucket_refills_at_its_rate_up_to_its_capacity() {
    let db = pusher_chat::db::connect(&migrated_database().await).await.unwrap();
    check_bucket(&db, "send", SEND_MESSAGE, 6.0, 10).await;
    check_bucket(&db, "presence", PRESENCE, 12.0, 5).await;
    check_bucket(&db, "rooms", ROOM_CREATE, 360.0, 10).await;
    check_bucket(&db, "typing", TYPING, 1.0, 1).await;
    check_bucket(&db, "typing-stop", TYPING_STOP, 0.5, 5).await;
}

#[tokio::test]
async fn a_new_bucket_starts_full_and_an_unknown_one_needs_no_wait() {
    let db = pusher_chat::db::connect(&migrated_database().await).await.unwrap();
    assert_eq!(retry_after(&db, "never-used", SEND_MESSAGE).await.unwrap(), 1, "the minimum");
    for i in 0..10 {
        assert_eq!(take(&db, "fresh", SEND_MESSAGE).await.unwrap(), Ok(()), "token {}", i + 1);
    }
    // Ten takes within a second leave less than a sixth of a token: 5-6 s to wait.
    let wait = take(&db, "fresh", SEND_MESSAGE).await.unwrap().unwrap_err();
    assert!((5..=6).contains(&wait), "{wait}");
}

#[tokio::test]
async fn buckets_idle_for_an_hour_are_pruned_and_others_kept() {
    let db = pusher_chat::db::connect(&migrated_database().await).await.unwrap();
    bucket_as_of(&db, "idle", 0.0, 3660.0).await;
    bucket_as_of(&db, "idle-too", 3.0, 7200.0).await;
    bucket_as_of(&db, "recent", 0.0, 3540.0).await;
    assert_eq!(prune_idle_buckets(&db, 1000).await.unwrap(), 2);
    let keys: Vec<String> = db
        .query(r#"SELECT "key" FROM "RateLimit" ORDER BY "key""#, &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(keys, ["recent"]);
}

fn retry_after_header(response: &reqwest::Response) -> u64 {
    response.headers()["retry-after"].to_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn every_limited_route_answers_429_with_the_real_wait_in_retry_after() {
    let app = TestApp::spawn().await;
    let db = app.db().await;
    let (alice, carol) = (app.token_for(app.alice), app.token_for(app.carol));

    // Sends: one token every 6 s; empty for 2 s leaves 4 s.
    bucket_as_of(&db, &format!("send:{}", app.alice.id), 0.0, 2.0).await;
    let body = json!({"receiverId": app.bob.id, "content": "too soon"});
    let response =
        app.http.post(app.url("/api/messages/private")).bearer_auth(&alice).json(&body).send().await.unwrap();
    assert_eq!((response.status().as_u16(), retry_after_header(&response)), (429, 4));
    assert_eq!(error_code(&read(response).await.1), "rate_limited");

    // Presence: one every 12 s; empty for 3 s leaves 9 s.
    bucket_as_of(&db, &format!("presence:{}", app.alice.id), 0.0, 3.0).await;
    let response =
        app.http.post(app.url("/api/presence")).bearer_auth(&alice).json(&json!({"status": "away"})).send().await;
    let response = response.unwrap();
    assert_eq!((response.status().as_u16(), retry_after_header(&response)), (429, 9));

    // Rooms: one every 6 minutes; empty for a minute leaves 300 s.
    bucket_as_of(&db, &format!("rooms:{}", app.carol.id), 0.0, 60.0).await;
    let response = app.http.post(app.url("/api/rooms")).bearer_auth(&carol).json(&json!({"name": "x"})).send().await;
    let response = response.unwrap();
    assert_eq!((response.status().as_u16(), retry_after_header(&response)), (429, 300));

    // Once the wait is over, each goes through again.
    bucket_as_of(&db, &format!("send:{}", app.alice.id), 0.0, 6.5).await;
    assert_eq!(app.post_json("/api/messages/private", Some(&alice), &body).await.0, 201);
    bucket_as_of(&db, &format!("presence:{}", app.alice.id), 0.0, 12.5).await;
    assert_eq!(app.post_json("/api/presence", Some(&alice), &json!({"status": "away"})).await.0, 200);
    bucket_as_of(&db, &format!("rooms:{}", app.carol.id), 0.0, 361.0).await;
    assert_eq!(app.post_json("/api/rooms", Some(&carol), &json!({"name": "x"})).await.0, 201);
}

#[tokio::test]
async fn an_over_limit_repeat_of_a_sent_message_returns_the_original() {
    let app = TestApp::spawn().await;
    let token = app.token_for(app.alice);
    let body = json!({"receiverId": app.bob.id, "content": "once", "clientMessageId": "again-1"});
    let (status, first) = app.post_json("/api/messages/private", Some(&token), &body).await;
    assert_eq!(status, 201, "{first}");
    bucket_as_of(&app.db().await, &format!("send:{}", app.alice.id), 0.0, 0.0).await;
    let (status, again) = app.post_json("/api/messages/private", Some(&token), &body).await;
    assert_eq!((status, &again["message"]), (200, &first["message"]));
    let other = json!({"receiverId": app.bob.id, "content": "new", "clientMessageId": "again-2"});
    let (status, refused) = app.post_json("/api/messages/private", Some(&token), &other).await;
    assert_eq!((status, error_code(&refused)), (429, "rate_limited"));
}

#[tokio::test]
async fn the_periodic_jobs_prune_idle_buckets_in_bounded_batches() {
    use pusher_chat::services::jobs::prune_rate_limits;
    let app = TestApp::spawn().await;
    let db = app.db().await;
    // 2 500 buckets idle for two hours (typing throttles of old conversations), 30 in use.
    db.batch_execute(
        r#"INSERT INTO "RateLimit" ("key", "tokens", "updatedAt")
           SELECT 'typing:idle:' || g, 1, (now() AT TIME ZONE 'UTC') - interval '2 hours' FROM generate_series(1, 2500) g;
           INSERT INTO "RateLimit" ("key", "tokens", "updatedAt")
           SELECT 'send:recent:' || g, 3, (now() AT TIME ZONE 'UTC') - interval '59 minutes' FROM generate_series(1, 30) g"#,
    )
    .await
    .unwrap();
    let count = |pattern: &'static str| {
        let db = &db;
        async move {
            let row = db.query_one(r#"SELECT count(*) FROM "RateLimit" WHERE "key" LIKE $1"#, &[&pattern]).await;
            row.unwrap().get::<_, i64>(0)
        }
    };
    let first = prune_rate_limits(&app.ctx, 1000, 2).await.unwrap();
    assert_eq!((first.deleted, first.batches, first.stopped_at_limit), (2000, 2, true));
    assert_eq!((count("typing:idle:%").await, count("send:recent:%").await), (500, 30));
    // The cron route runs the same job: it finishes the rest and says so.
    let request = app.http.get(app.url("/api/cron")).bearer_auth("cron-secret-0123456789");
    let (status, body) = read(request.send().await.unwrap()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (&body["rateLimits"]["status"], &body["rateLimits"]["deleted"], &body["rateLimits"]["stoppedAtLimit"]),
        (&json!("ok"), &json!(500), &json!(false)),
        "{body}"
    );
    assert_eq!((count("typing:idle:%").await, count("send:recent:%").await), (0, 30), "buckets in use stay");
}
