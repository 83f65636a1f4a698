//! The outbox and the signed webhooks to the app's backend, from the outside: the backend is
//! tests/webhooks/receiver.mjs, which verifies every delivery with the verification the docs show
//! (tests/webhooks/verify.mjs). Faults: the receiver down for 30 s, then up; the `server` binary
//! killed with SIGKILL mid-drain; 500 messages, each delivered at least once.

use crate::helpers::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

const SECRET: &str = "whsec-integration-0123456789";

/// The app's backend: a Node process on `port` verifying signatures with the documented code.
struct Receiver {
    _child: Child,
    port: u16,
}

impl Receiver {
    async fn start(port: u16, delay_ms: u64) -> Self {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/webhooks/receiver.mjs");
        let child = Command::new("node")
            .arg(script)
            .arg(port.to_string())
            .env("WEBHOOK_SECRET", SECRET)
            .env("WEBHOOK_DELAY_MS", delay_ms.to_string())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs the webhook receiver");
        wait_for_port(port).await;
        Self { _child: child, port }
    }

    /// Every verified event so far, and how many deliveries failed verification.
    async fn events(&self) -> (Vec<Value>, u64) {
        let body: Value =
            reqwest::get(format!("http://127.0.0.1:{}/events", self.port)).await.unwrap().json().await.unwrap();
        (body["events"].as_array().unwrap().clone(), body["rejected"].as_u64().unwrap())
    }

    /// Waits until events satisfy `done` (fails after `within`); the events.
    async fn wait_until(&self, within: Duration, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let (events, rejected) = self.events().await;
            assert_eq!(rejected, 0, "a delivery failed the documented verification");
            if done(&events) {
                return events;
            }
            assert!(started.elapsed() < within, "not there after {within:?}: {} events", events.len());
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

async fn wait_for_port(port: u16) {
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(15), "nothing listens on {port}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An app that sends its webhooks to `port`, retrying quickly (so the tests stay short).
fn webhook_env(database_url: &str, port: u16) -> HashMap<String, String> {
    let mut env = test_env(database_url);
    env.insert("OUTBOUND_WEBHOOK_URL".into(), format!("http://127.0.0.1:{port}/hook"));
    env.insert("OUTBOUND_WEBHOOK_SECRET".into(), SECRET.into());
    env.insert("OUTBOUND_WEBHOOK_ALLOW_HTTP".into(), "true".into());
    env.insert("OUTBOUND_WEBHOOK_TIMEOUT_MS".into(), "2000".into());
    env.insert("OUTBOX_RETRY_BASE_MS".into(), "100".into());
    env.insert("OUTBOX_DRAIN_INTERVAL_MS".into(), "300".into());
    env.insert("RATE_LIMIT_MESSAGES_PER_MINUTE".into(), "100000".into());
    env.insert("CRON_SECRET".into(), "cron-secret-0123456789".into());
    env
}

fn of_type<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == kind).collect()
}

fn created_ids(events: &[Value]) -> HashSet<String> {
    of_type(events, "message.created").iter().map(|e| e["data"]["id"].as_str().unwrap().to_owned()).collect()
}

async fn send(http: &reqwest::Client, base_url: &str, token: &str, to: &str, content: &str) -> Value {
    let response = http
        .post(format!("{base_url}/api/messages/private"))
        .bearer_auth(token)
        .json(&json!({"receiverId": to, "content": content}))
        .send()
        .await
        .expect("send");
    let (status, body) = read(response).await;
    assert_eq!(status, 201, "{body}");
    body["message"].clone()
}

#[tokio::test]
async fn every_event_reaches_the_apps_backend_signed_in_the_documented_shape() {
    let port = closed_port();
    let receiver = Receiver::start(port, 0).await;
    let app = TestApp::spawn_with(webhook_env(&migrated_database().await, port)).await;
    let (alice, bob) = (app.token_for(app.alice), app.token_for(app.bob));
    let message = send(&app.http, &app.base_url, &alice, app.bob.id, "hello backend").await;
    let id = message["id"].as_str().unwrap();
    let edit = app
        .http
        .patch(app.url(&format!("/api/messages?id={id}")))
        .bearer_auth(&alice)
        .json(&json!({"content": "hello, backend"}));
    assert_eq!(edit.send().await.unwrap().status(), 200);
    let (status, _) =
        app.post_json("/api/messages/reactions", Some(&bob), &json!({"messageId": id, "emoji": "👍"})).await;
    assert_eq!(status, 201);
    let unreact = app
        .http
        .delete(app.url(&format!("/api/messages/reactions?messageId={id}&emoji=%F0%9F%91%8D")))
        .bearer_auth(&bob);
    assert_eq!(unreact.send().await.unwrap().status(), 200);
    let delete = app.http.delete(app.url(&format!("/api/messages?id={id}"))).bearer_auth(&alice);
    assert_eq!(delete.send().await.unwrap().status(), 200);
    let room = app.joined_room(app.alice, "Backend room", &[app.bob]).await;
    app.leave_room(app.bob, &room).await;
    let (status, _) = app.post_json("/api/presence", Some(&bob), &json!({"status": "online"})).await;
    assert_eq!(status, 200);
    let kinds = [
        "message.created",
        "message.updated",
        "message.deleted",
        "reaction.added",
        "reaction.removed",
        "room.member_joined",
        "room.member_left",
        "user.status_changed",
    ];
    let events = receiver
        .wait_until(Duration::from_secs(20), |events| kinds.iter().all(|kind| !of_type(events, kind).is_empty()))
        .await;
    for event in &events {
        assert!(uuid::Uuid::parse_str(event["id"].as_str().unwrap()).is_ok(), "{event}");
        assert!(chrono::DateTime::parse_from_rfc3339(event["time"].as_str().unwrap()).is_ok(), "{event}");
        assert_eq!(event.as_object().unwrap().len(), 4, "exactly id, type, time and data: {event}");
    }
    let ids: HashSet<&str> = events.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), events.len(), "one id per event: {events:#?}");
    assert_eq!(of_type(&events, "message.created")[0]["data"]["id"], id);
    assert_eq!(of_type(&events, "message.updated")[0]["data"]["id"], id);
    assert!(of_type(&events, "message.deleted")[0]["data"]["deletedAt"].is_string());
    let added = of_type(&events, "reaction.added")[0];
    assert_eq!((added["data"]["emoji"].as_str(), added["data"]["userId"].as_str()), (Some("👍"), Some(app.bob.id)));
    assert_eq!(of_type(&events, "room.member_joined")[0]["data"], json!({"roomId": room, "userId": app.bob.id}));
    assert_eq!(of_type(&events, "room.member_left")[0]["data"], json!({"roomId": room, "userId": app.bob.id}));
    let status = of_type(&events, "user.status_changed")[0];
    assert_eq!(
        (status["data"]["userId"].as_str(), status["data"]["status"].as_str()),
        (Some(app.bob.id), Some("online"))
    );
}

#[tokio::test]
async fn a_webhook_receiver_down_for_thirty_seconds_then_up_gets_every_event() {
    let port = closed_port();
    let app = TestApp::spawn_with(webhook_env(&migrated_database().await, port)).await;
    let token = app.token_for(app.alice);
    let mut sent = HashSet::new();
    for n in 0..20 {
        sent.insert(
            send(&app.http, &app.base_url, &token, app.bob.id, &format!("while down {n}")).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (_, health) = app.get("/api/health", None).await;
    assert_eq!(health["outbox"]["pending"], 20, "waiting for the receiver: {health}");
    assert_eq!(health["outbox"]["givenUp"], 0);
    tokio::time::sleep(Duration::from_secs(28)).await;
    let receiver = Receiver::start(port, 0).await;
    let events = receiver.wait_until(Duration::from_secs(60), |events| created_ids(events).len() == 20).await;
    assert_eq!(created_ids(&events), sent);
    let started = Instant::now();
    loop {
        let (_, health) = app.get("/api/health", None).await;
        if health["outbox"]["pending"] == 0 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "rows left after delivery: {health}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_row_past_its_age_limit_is_given_up_on_and_kept_visible() {
    let port = closed_port();
    let mut env = webhook_env(&migrated_database().await, port);
    env.insert("OUTBOX_MAX_AGE_SECS".into(), "1".into());
    let app = TestApp::spawn_with(env).await;
    send(&app.http, &app.base_url, &app.token_for(app.alice), app.bob.id, "nobody listens").await;
    let started = Instant::now();
    loop {
        let (_, health) = app.get("/api/health", None).await;
        if health["outbox"]["givenUp"] == 1 {
            assert_eq!(health["outbox"]["pending"], 0);
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "not given up on: {health}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let db = app.db().await;
    let row =
        db.query_one(r#"SELECT "kind", "payload", "lastError", "attempts" FROM "OutboxGivenUp""#, &[]).await.unwrap();
    assert_eq!(row.get::<_, String>("kind"), "webhook");
    assert_eq!(row.get::<_, Value>("payload")["type"], "message.created");
    let error: String = row.get("lastError");
    assert!(error.starts_with("gave up after"), "{error}");
    assert!(row.get::<_, i32>("attempts") >= 1);
}

#[tokio::test]
async fn the_cron_route_needs_its_secret_and_runs_the_drain() {
    let port = closed_port();
    let database_url = migrated_database().await;
    let mut env = webhook_env(&database_url, port);
    env.insert("OUTBOX_DRAIN_INTERVAL_MS".into(), "0".into());
    env.insert("OUTBOX_PIGGYBACK_ROWS".into(), "0".into());
    env.insert("OUTBOX_RETRY_BASE_MS".into(), "1".into());
    let app = TestApp::spawn_with(env.clone()).await;
    let cron = |token: Option<&str>| {
        let mut request = app.http.get(app.url("/api/cron"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move { read(request.send().await.unwrap()).await }
    };
    assert_eq!(error_code(&cron(None).await.1), "invalid_cron_secret");
    let (status, body) = cron(Some("cron-secret-012345678")).await;
    assert_eq!((status, error_code(&body)), (401, "invalid_cron_secret"));
    send(&app.http, &app.base_url, &app.token_for(app.alice), app.bob.id, "for the drain").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, body) = cron(Some("cron-secret-0123456789")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["outbox"]["status"].as_str(), body["outbox"]["retrying"].as_u64()),
        (Some("ok"), Some(1)),
        "the receiver is down: {body}"
    );
    let receiver = Receiver::start(port, 0).await;
    let (status, body) = cron(Some("cron-secret-0123456789")).await;
    assert_eq!((status, body["outbox"]["delivered"].clone()), (200, json!(1)), "{body}");
    assert_eq!(receiver.events().await.0.len(), 1);
    env.remove("CRON_SECRET");
    let off = TestApp::spawn_with(env).await;
    let (status, body) =
        read(off.http.get(off.url("/api/cron")).bearer_auth("anything-at-all-here").send().await.unwrap()).await;
    assert_eq!((status, error_code(&body)), (503, "cron_disabled"));
}

/// The `server` binary on a free port with `env`, killed when dropped.
async fn server(env: &HashMap<String, String>) -> (Child, String) {
    let port = closed_port();
    let child = Command::new(bin_path("server"))
        .env_clear()
        .envs(env)
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start the server");
    wait_for_port(port).await;
    (child, format!("http://127.0.0.1:{port}"))
}

/// Sends `count` messages through `base_url`, 25 at a time, from `senders` to `receiver`.
async fn send_many(app: &TestApp, base_url: &str, senders: &[&str], receiver: &str, range: std::ops::Range<usize>) {
    let tokens: Vec<String> = senders
        .iter()
        .map(|id| pusher_chat::auth::sign_hs256_token(JWT_SECRET, "authenticated", id, None, 600))
        .collect();
    let numbers: Vec<usize> = range.collect();
    for chunk in numbers.chunks(25) {
        let texts: Vec<String> = chunk.iter().map(|n| format!("message {n}")).collect();
        let sends = chunk
            .iter()
            .zip(&texts)
            .map(|(n, text)| send(&app.http, base_url, &tokens[n % tokens.len()], receiver, text));
        futures_util::future::join_all(sends).await;
    }
}

#[tokio::test]
async fn five_hundred_messages_reach_the_backend_although_the_server_is_killed_mid_drain() {
    let port = closed_port();
    // Each delivery takes 300 ms, so deliveries are in flight whenever the server is killed.
    let receiver = Receiver::start(port, 300).await;
    let database_url = migrated_database().await;
    let app = TestApp::spawn_with(test_env(&database_url)).await;
    let mut senders = Vec::new();
    for like in [app.alice, app.bob, app.carol, app.alice, app.bob] {
        senders.push(app.unique_user(like).await.unwrap().id);
    }
    let env = webhook_env(&database_url, port);
    let (mut first, first_url) = server(&env).await;
    send_many(&app, &first_url, &senders, app.carol.id, 0..250).await;
    first.start_kill().unwrap(); // SIGKILL
    first.wait().await.unwrap();
    let db = app.db().await;
    let held: i64 = db.query_one(r#"SELECT count(*) FROM "Outbox""#, &[]).await.unwrap().get(0);
    assert!(held > 0, "the server was killed with deliveries still to make");
    // Two servers take over (their drains run side by side) and take the other 250.
    let (_second, second_url) = server(&env).await;
    let (_third, _) = server(&env).await;
    send_many(&app, &second_url, &senders, app.carol.id, 250..500).await;
    let events = receiver.wait_until(Duration::from_secs(90), |events| created_ids(events).len() == 500).await;
    // Every message stored is announced once at least, with its own event id.
    let stored: HashSet<String> =
        db.query(r#"SELECT "id" FROM "Message""#, &[]).await.unwrap().iter().map(|r| r.get(0)).collect();
    assert_eq!(stored.len(), 500);
    assert_eq!(created_ids(&events), stored);
    let mut deliveries: HashMap<&str, usize> = HashMap::new();
    for event in of_type(&events, "message.created") {
        *deliveries.entry(event["id"].as_str().unwrap()).or_default() += 1;
    }
    assert_eq!(deliveries.len(), 500, "one event id per message");
    let repeated: usize = deliveries.values().map(|n| n - 1).sum();
    assert!(repeated as i64 <= held, "only rows the killed server held may arrive twice: {repeated} > {held}");
    // Order is not guaranteed across deliveries; each conversation's seq numbers let the backend
    // put them in order, and none is missing.
    let mut seqs: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for event in of_type(&events, "message.created") {
        seqs.entry(event["data"]["conversationId"].as_str().unwrap())
            .or_default()
            .push(event["data"]["seq"].as_i64().unwrap());
    }
    assert_eq!(seqs.len(), senders.len());
    for (conversation, mut numbers) in seqs {
        numbers.sort_unstable();
        numbers.dedup();
        assert_eq!(numbers, (1..=100).collect::<Vec<i64>>(), "{conversation}");
    }
}

#[tokio::test]
async fn the_docs_show_the_verification_the_tests_run() {
    let root = env!("CARGO_MANIFEST_DIR");
    let module = std::fs::read_to_string(format!("{root}/tests/webhooks/verify.mjs")).unwrap();
    let start = module.find("// BEGIN verifyChatWebhook\n").unwrap() + "// BEGIN verifyChatWebhook\n".len();
    let function = &module[start..module.find("// END verifyChatWebhook").unwrap()];
    let docs = std::fs::read_to_string(format!("{root}/docs/webhooks.md")).unwrap();
    assert!(
        docs.contains(function.trim()),
        "docs/webhooks.md must show verifyChatWebhook as tests/webhooks/verify.mjs has it"
    );
}
