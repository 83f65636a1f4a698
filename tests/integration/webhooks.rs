//! Presence webhooks: signed by the real sockudo, delivered to the app, recorded and announced.

use crate::helpers::presence_user_channel;
use crate::helpers::*;
use crate::ws::PusherSocket;
use hmac::{Hmac, Mac};
use serde_json::json;
use std::time::Duration;

async fn subscribe_presence(app: &TestApp, socket: &mut PusherSocket, token: &str, channel: &str) {
    let (status, body) = app.channel_auth(Some(token), &socket.socket_id, channel).await;
    assert_eq!(status, 200, "{body}");
    socket.subscribe(channel, body["auth"].as_str(), body["channel_data"].as_str()).await.unwrap();
}

async fn stored_status(app: &TestApp, user: &str) -> String {
    let row = app.db().await.query_one(r#"SELECT "status" FROM "User" WHERE "id" = $1"#, &[&user]).await.unwrap();
    row.get(0)
}

async fn next_status_change(socket: &mut PusherSocket, wait: Duration) -> serde_json::Value {
    loop {
        let event = socket.next_event(wait).await.expect("a user-status-change event");
        if event.event == "user-status-change" {
            return event.data;
        }
    }
}

/// sockudo sends every webhook to one port (`TEST_WEBHOOK_PORT`): one test app at a time listens there.
static WEBHOOK_PORT: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn app_on_the_webhook_port() -> TestApp {
    let port: u16 = std::env::var("TEST_WEBHOOK_PORT").expect("TEST_WEBHOOK_PORT").parse().unwrap();
    TestApp::spawn_on(test_env(&migrated_database().await), port).await
}

#[tokio::test]
async fn sockudo_webhooks_record_who_has_a_chat_open() {
    let _port = WEBHOOK_PORT.lock().await;
    let app = app_on_the_webhook_port().await;
    let (low, high) = if app.alice.id < app.bob.id { (app.alice.id, app.bob.id) } else { (app.bob.id, app.alice.id) };
    let channel = format!("presence-chat-{low}-{high}");
    let present = || async {
        let rows = app
            .db()
            .await
            .query(
                r#"SELECT "present" FROM "ChatPresence" WHERE "channel" = $1 AND "userId" = $2"#,
                &[&channel, &app.bob.id],
            )
            .await
            .unwrap();
        rows.first().map(|row| row.get::<_, bool>(0))
    };
    let until = |want: Option<bool>| async move {
        for _ in 0..300 {
            if present().await == want {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("ChatPresence never became {want:?}");
    };
    let mut bob = PusherSocket::connect().await;
    subscribe_presence(&app, &mut bob, &app.token_for(app.bob), &channel).await;
    until(Some(true)).await;
    bob.close().await;
    until(Some(false)).await;
}

#[tokio::test]
async fn sockudo_webhooks_record_online_state_and_contacts_hear_about_it() {
    let _port = WEBHOOK_PORT.lock().await;
    let app = app_on_the_webhook_port().await;
    // Fresh users: every test's presence subscriptions send webhooks to this one port.
    let (dana, erin) = (app.alice, app.bob);
    app.insert_message(dana, erin).await;
    let channel = presence_user_channel(dana.id);

    let mut watcher = PusherSocket::connect().await;
    subscribe_presence(&app, &mut watcher, &app.token_for(erin), &channel).await;
    assert_eq!(stored_status(&app, dana.id).await, "offline");

    let mut dana_socket = PusherSocket::connect().await;
    subscribe_presence(&app, &mut dana_socket, &app.token_for(dana), &channel).await;
    let online = next_status_change(&mut watcher, Duration::from_secs(30)).await;
    assert_eq!(online["userId"], dana.id);
    assert_eq!(online["status"], "online");
    assert!(online["lastActive"].as_str().unwrap().ends_with('Z'));
    assert_eq!(stored_status(&app, dana.id).await, "online");

    dana_socket.close().await;
    let offline = next_status_change(&mut watcher, Duration::from_secs(30)).await;
    assert_eq!(offline["userId"], dana.id);
    assert_eq!(offline["status"], "offline");
    assert_eq!(stored_status(&app, dana.id).await, "offline");
}

fn sign(body: &str) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(std::env::var("PUSHER_SECRET").unwrap().as_bytes()).unwrap();
    mac.update(body.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

async fn deliver(app: &TestApp, body: &str, key: &str, signature: &str) -> (u16, serde_json::Value) {
    let response = app
        .http
        .post(app.url("/api/pusher/webhook"))
        .header("content-type", "application/json")
        .header("x-pusher-key", key)
        .header("x-pusher-signature", signature)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    read(response).await
}

#[tokio::test]
async fn webhooks_with_a_bad_signature_are_401_and_change_nothing() {
    let app = TestApp::spawn().await;
    let key = std::env::var("PUSHER_KEY").unwrap();
    let time_ms = chrono::Utc::now().timestamp_millis();
    let body = json!({"time_ms": time_ms, "events": [
        {"name": "member_added", "channel": presence_user_channel(carol().id), "user_id": carol().id}
    ]})
    .to_string();
    let tampered = body.replace("member_added", "member_removed");
    let (status, answer) = deliver(&app, &tampered, &key, &sign(&body)).await;
    assert_eq!((status, error_code(&answer)), (401, "invalid_webhook_signature"));
    let (status, _) = deliver(&app, &body, "other-key", &sign(&body)).await;
    assert_eq!(status, 401);
    assert_eq!(stored_status(&app, carol().id).await, "offline");
}

#[tokio::test]
async fn retried_and_out_of_order_webhooks_are_harmless() {
    let app = TestApp::spawn().await;
    let key = std::env::var("PUSHER_KEY").unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    let event = |name: &str, time_ms: i64| {
        json!({"time_ms": time_ms, "events": [
            {"name": name, "channel": presence_user_channel(carol().id), "user_id": carol().id}
        ]})
        .to_string()
    };
    let joined = event("member_added", now);
    let (status, first) = deliver(&app, &joined, &key, &sign(&joined)).await;
    assert_eq!((status, first["statusChanges"].as_i64()), (200, Some(1)));
    let (status, retry) = deliver(&app, &joined, &key, &sign(&joined)).await;
    assert_eq!((status, retry["statusChanges"].as_i64()), (200, Some(0)), "a retry changes nothing");
    let stale = event("member_removed", now - 5_000);
    let (_, late) = deliver(&app, &stale, &key, &sign(&stale)).await;
    assert_eq!(late["statusChanges"], 0, "an older event does not override a newer one");
    assert_eq!(stored_status(&app, carol().id).await, "online");

    let garbage = "{\"not\": \"a webhook\"}";
    let (status, answer) = deliver(&app, garbage, &key, &sign(garbage)).await;
    assert_eq!((status, error_code(&answer)), (400, "invalid_webhook"));
}

#[tokio::test]
async fn a_far_future_or_absurd_time_cannot_freeze_a_status_and_a_batch_ends_in_its_last_event() {
    let app = TestApp::spawn().await;
    let key = std::env::var("PUSHER_KEY").unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    let batch = |names: &[&str], time_ms: i64| {
        let events: Vec<_> = names
            .iter()
            .map(|name| json!({"name": name, "channel": presence_user_channel(carol().id), "user_id": carol().id}))
            .collect();
        json!({"time_ms": time_ms, "events": events}).to_string()
    };
    // A year ahead counts as now: a later, ordinary webhook still changes the status.
    let ahead = batch(&["member_added"], now + 365 * 24 * 3600 * 1000);
    assert_eq!(deliver(&app, &ahead, &key, &sign(&ahead)).await.0, 200);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let left = batch(&["member_removed"], chrono::Utc::now().timestamp_millis());
    deliver(&app, &left, &key, &sign(&left)).await;
    assert_eq!(stored_status(&app, carol().id).await, "offline");

    let rejoined = batch(&["member_removed", "member_added"], chrono::Utc::now().timestamp_millis() + 5);
    let (status, answer) = deliver(&app, &rejoined, &key, &sign(&rejoined)).await;
    assert_eq!((status, answer["statusChanges"].as_i64()), (200, Some(1)));
    assert_eq!(stored_status(&app, carol().id).await, "online", "the batch's last event wins");

    for time_ms in [i64::MAX, i64::MIN, -8_000_000_000_000_000, 0] {
        let absurd = batch(&["member_added"], time_ms);
        let (status, answer) = deliver(&app, &absurd, &key, &sign(&absurd)).await;
        assert_eq!((status, error_code(&answer)), (400, "invalid_webhook"), "{time_ms}");
    }
}
