//! Web Push against an independent push service (tests/push/push_service.py, started by
//! scripts/test): it hands out subscriptions as a browser would, verifies each push's VAPID JWT
//! with py-vapid and decrypts its aes128gcm body with http-ece. Offline receivers get exactly one
//! push per message, online and muted ones none; a 410 deletes the subscription; endpoints off
//! the known push services are refused.

use crate::helpers::*;
use pusher_chat::demo::DemoUser;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

pub const VAPID_PUBLIC: &str =
    "BL0LjdyHjMCykDxJd4A1hqPtmngEo6s5NpryJLLQgDI6yrAd6EPeIcUE-N2UyICS_PXkriQyq_te-sxLekpvKFM";
pub const VAPID_PRIVATE: &str = "ryhgoMPbpFFhiVroXRo1ul9tKd-M6rQ_DSqEeAzxgbQ";
const SUBJECT: &str = "mailto:ops@chat.example";

pub fn push_service_url() -> String {
    std::env::var("TEST_PUSH_SERVICE_URL")
        .expect("TEST_PUSH_SERVICE_URL is not set: run the tests through scripts/test, which starts the push service")
}

/// The settings of an app with Web Push on, the test push service allowed.
pub fn push_env(database_url: &str) -> HashMap<String, String> {
    let mut env = test_env(database_url);
    env.insert("WEB_PUSH_VAPID_PUBLIC_KEY".into(), VAPID_PUBLIC.into());
    env.insert("WEB_PUSH_VAPID_PRIVATE_KEY".into(), VAPID_PRIVATE.into());
    env.insert("WEB_PUSH_SUBJECT".into(), SUBJECT.into());
    env.insert("WEB_PUSH_ALLOWED_ORIGINS".into(), push_service_url());
    env
}

async fn push_app() -> TestApp {
    TestApp::spawn_with(push_env(&migrated_database().await)).await
}

/// A subscription made by the push service, as `PushSubscription.toJSON()` gives it.
pub struct Subscription {
    pub id: String,
    pub json: Value,
}

impl Subscription {
    pub async fn create() -> Self {
        let json: Value = reqwest::Client::new()
            .post(format!("{}/subscriptions", push_service_url()))
            .send()
            .await
            .expect("the push service answers")
            .json()
            .await
            .unwrap();
        Self { id: json["id"].as_str().unwrap().to_owned(), json }
    }

    pub fn endpoint(&self) -> &str {
        self.json["endpoint"].as_str().unwrap()
    }

    /// What the push service received for it: `(pushes, errors)`.
    pub async fn received(&self) -> (Vec<Value>, Vec<Value>) {
        let body: Value = reqwest::get(format!("{}/subscriptions/{}/received", push_service_url(), self.id))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (body["pushes"].as_array().unwrap().clone(), body["errors"].as_array().unwrap().clone())
    }

    /// Waits until `count` pushes arrived (or fails after `within`); what arrived.
    pub async fn wait_for(&self, count: usize, within: Duration) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let (pushes, errors) = self.received().await;
            assert!(errors.is_empty(), "the push service refused pushes: {errors:?}");
            if pushes.len() >= count {
                return pushes;
            }
            assert!(started.elapsed() < within, "{} of {count} pushes after {within:?}", pushes.len());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The push service answers later pushes with `status`.
    pub async fn answer_with(&self, status: u16) {
        let url = format!("{}/subscriptions/{}/status", push_service_url(), self.id);
        let response = reqwest::Client::new().put(url).json(&json!({"status": status})).send().await.unwrap();
        assert!(response.status().is_success());
    }
}

impl TestApp {
    /// `user` subscribes a new browser; the subscription.
    async fn subscribe(&self, user: &DemoUser) -> Subscription {
        let subscription = Subscription::create().await;
        let (status, body) =
            self.post_json("/api/push/subscriptions", Some(&self.token_for(user)), &subscription.json).await;
        assert_eq!(status, 201, "{body}");
        subscription
    }

    async fn send_private(&self, from: &DemoUser, to: &DemoUser, content: &str) -> Value {
        let body = json!({"receiverId": to.id, "content": content});
        let (status, answer) = self.post_json("/api/messages/private", Some(&self.token_for(from)), &body).await;
        assert_eq!(status, 201, "{answer}");
        answer["message"].clone()
    }

    async fn set_status(&self, user: &DemoUser, status: &str) {
        let (code, body) =
            self.post_json("/api/presence", Some(&self.token_for(user)), &json!({"status": status})).await;
        assert_eq!(code, 200, "{body}");
    }

    async fn subscriptions_of(&self, user: &DemoUser) -> i64 {
        let db = self.db().await;
        db.query_one(r#"SELECT count(*) FROM "PushSubscription" WHERE "userId" = $1"#, &[&user.id])
            .await
            .unwrap()
            .get(0)
    }

    async fn mute(&self, user: &DemoUser, body: Value) -> (u16, Value) {
        let request = self.http.put(self.url("/api/conversations/mute")).bearer_auth(self.token_for(user)).json(&body);
        read(request.send().await.unwrap()).await
    }
}

#[tokio::test]
async fn an_offline_receiver_gets_exactly_one_verified_decrypted_push_per_message() {
    let app = push_app().await;
    let browser = app.subscribe(app.bob).await;
    let mut sent = Vec::new();
    for text in ["first message", "second\nmessage", "third"] {
        sent.push(app.send_private(app.alice, app.bob, text).await);
    }
    browser.wait_for(3, Duration::from_secs(15)).await;
    // Time for a duplicate to show up, if any were coming.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (pushes, errors) = browser.received().await;
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(pushes.len(), 3, "exactly one push per message: {pushes:#?}");
    let ids: HashSet<&str> = pushes.iter().map(|p| p["payload"]["messageId"].as_str().unwrap()).collect();
    let expected: HashSet<&str> = sent.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids, expected);
    let second = pushes.iter().find(|p| p["payload"]["messageId"] == sent[1]["id"]).unwrap();
    let payload = &second["payload"];
    assert_eq!(payload["type"], "message");
    assert_eq!(payload["title"], format!("{} {}", app.alice.first_name, app.alice.last_name));
    assert_eq!(payload["body"], "second message", "a one-line preview");
    assert_eq!(payload["conversationId"], sent[1]["conversationId"]);
    assert_eq!(payload["senderId"], app.alice.id);
    assert_eq!(payload["seq"], 2);
    // VAPID as the push service checked it: our key, our subject, its own origin as audience.
    assert_eq!(second["claims"]["k"], VAPID_PUBLIC);
    assert_eq!(second["claims"]["sub"], SUBJECT);
    assert_eq!(second["claims"]["aud"], push_service_url(), "aud keeps the port");
    assert_eq!(second["urgency"], "high");
    let topics: HashSet<&str> = pushes.iter().map(|p| p["topic"].as_str().unwrap()).collect();
    assert_eq!(topics.len(), 3, "every push has its own idempotency id");
    assert!(topics.iter().all(|t| t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit())), "{topics:?}");
    let sender_pushes = app.subscribe(app.alice).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(sender_pushes.received().await.0.is_empty(), "the sender is never pushed their own message");
}

#[tokio::test]
async fn an_online_receiver_and_a_muted_one_get_no_push_and_an_unmuted_one_does() {
    let app = push_app().await;
    let online = app.subscribe(app.carol).await;
    let muted = app.subscribe(app.bob).await;
    app.set_status(app.carol, "online").await;
    let chat = json!({"conversationId": private_chat_id(app.alice.id, app.bob.id)});
    let (status, body) = app.mute(app.bob, chat.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["muted"].clone(), body["mutedUntil"].clone()), (json!(true), Value::Null));
    app.send_private(app.alice, app.carol, "carol is here").await;
    app.send_private(app.alice, app.bob, "bob muted this chat").await;
    // A marker: once the receiver after them got theirs, their fan-outs ran too.
    let dana = app.unique_user(app.carol).await.unwrap();
    let marker = app.subscribe(dana).await;
    app.send_private(app.alice, dana, "marker").await;
    marker.wait_for(1, Duration::from_secs(15)).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(online.received().await, (vec![], vec![]), "online: the message arrived live");
    assert_eq!(muted.received().await, (vec![], vec![]), "muted");
    let (_, inbox) = app.get("/api/conversations", Some(&app.token_for(app.bob))).await;
    assert_eq!(inbox["conversations"][0]["muted"], true);
    assert_eq!(inbox["conversations"][0]["mutedUntil"], Value::Null);
    // Unmuted, and carol away: both get the next one.
    let request = app.http.delete(app.url("/api/conversations/mute")).bearer_auth(app.token_for(app.bob)).json(&chat);
    let (status, body) = read(request.send().await.unwrap()).await;
    assert_eq!((status, body["changed"].clone()), (200, json!(true)), "{body}");
    app.set_status(app.carol, "offline").await;
    app.send_private(app.alice, app.bob, "now bob hears it").await;
    app.send_private(app.alice, app.carol, "and carol too").await;
    assert_eq!(muted.wait_for(1, Duration::from_secs(15)).await[0]["payload"]["body"], "now bob hears it");
    assert_eq!(online.wait_for(1, Duration::from_secs(15)).await[0]["payload"]["body"], "and carol too");
}

#[tokio::test]
async fn a_mute_with_an_end_shows_in_the_inbox_and_bad_mutes_are_refused() {
    let app = push_app().await;
    app.send_private(app.alice, app.bob, "hi").await;
    let until = (chrono::Utc::now() + chrono::Duration::hours(8)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let key = private_chat_id(app.alice.id, app.bob.id);
    let (status, body) = app.mute(app.bob, json!({"conversationId": key, "until": until})).await;
    assert_eq!((status, body["mutedUntil"].as_str()), (200, Some(until.as_str())), "{body}");
    let (_, inbox) = app.get("/api/conversations", Some(&app.token_for(app.bob))).await;
    assert_eq!(inbox["conversations"][0]["mutedUntil"], until.as_str());
    let (_, inbox) = app.get("/api/conversations", Some(&app.token_for(app.alice))).await;
    assert_eq!(inbox["conversations"][0]["muted"], false, "a mute is the muter's own");
    let stranger_chat = private_chat_id(app.alice.id, app.carol.id);
    for (body, expected) in [
        (json!({"conversationId": stranger_chat}), (403, "not_a_participant")),
        (json!({"conversationId": key, "until": "2001-01-01T00:00:00Z"}), (422, "invalid_until")),
        (json!({"conversationId": key, "until": "soon"}), (422, "invalid_until")),
        (json!({}), (422, "invalid_body")),
        (json!({"conversationId": "nope"}), (422, "invalid_conversation_id")),
    ] {
        let (status, answer) = app.mute(app.bob, body.clone()).await;
        assert_eq!((status, error_code(&answer)), expected, "{body}");
    }
    // Unmute through the query string, twice: the second changes nothing.
    for changed in [true, false] {
        let url = app.url(&format!("/api/conversations/mute?conversationId={key}"));
        let (status, body) = read(app.http.delete(url).bearer_auth(app.token_for(app.bob)).send().await.unwrap()).await;
        assert_eq!((status, body["changed"].clone()), (200, json!(changed)), "{body}");
    }
}

#[tokio::test]
async fn a_subscription_the_push_service_says_is_gone_is_deleted() {
    let app = push_app().await;
    let browser = app.subscribe(app.bob).await;
    browser.answer_with(410).await;
    app.send_private(app.alice, app.bob, "to a browser that unsubscribed").await;
    let started = Instant::now();
    while app.subscriptions_of(app.bob).await > 0 {
        assert!(started.elapsed() < Duration::from_secs(15), "the subscription is still there");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let db = app.db().await;
    let left: i64 = db.query_one(r#"SELECT count(*) FROM "Outbox""#, &[]).await.unwrap().get(0);
    assert_eq!(left, 0, "nothing left to retry");
}

#[tokio::test]
async fn endpoints_off_the_push_services_are_refused_unless_their_origin_is_allowed() {
    let database_url = migrated_database().await;
    let mut env = push_env(&database_url);
    env.remove("WEB_PUSH_ALLOWED_ORIGINS");
    let strict = TestApp::spawn_with(env).await;
    let local = Subscription::create().await;
    let keys = local.json["keys"].clone();
    let token = strict.token_for(strict.bob);
    let port: u16 = push_service_url().rsplit(':').next().unwrap().parse().unwrap();
    for endpoint in [
        local.endpoint().to_owned(),
        format!("https://127.0.0.1:{port}/push/x"),
        "https://10.1.2.3/push".into(),
        "https://192.168.1.1/push".into(),
        "https://169.254.169.254/latest/meta-data".into(),
        "https://[fd00::1]/push".into(),
        "https://user:pw@fcm.googleapis.com/fcm/send/x".into(),
        "https://fcm.googleapis.com:8443/fcm/send/x".into(),
        "http://fcm.googleapis.com/fcm/send/x".into(),
        "https://fcm.googleapis.com.attacker.example/x".into(),
    ] {
        let (status, body) = strict
            .post_json("/api/push/subscriptions", Some(&token), &json!({"endpoint": endpoint, "keys": keys}))
            .await;
        assert_eq!((status, error_code(&body)), (422, "invalid_push_endpoint"), "{endpoint}");
    }
    let (status, body) = strict
        .post_json(
            "/api/push/subscriptions",
            Some(&token),
            &json!({"endpoint": "https://fcm.googleapis.com/fcm/send/abc", "keys": keys}),
        )
        .await;
    assert_eq!(status, 201, "a real push service's endpoint: {body}");
    for bad_keys in [
        json!({"p256dh": "AAAA", "auth": keys["auth"]}),
        json!({"p256dh": keys["p256dh"], "auth": "AAAA"}),
        json!(null),
    ] {
        let (status, body) = strict
            .post_json(
                "/api/push/subscriptions",
                Some(&token),
                &json!({"endpoint": "https://fcm.googleapis.com/fcm/send/k", "keys": bad_keys}),
            )
            .await;
        assert_eq!(status, 422, "{body}");
    }
    // With the test service's origin allowed, its endpoints are fine (the other tests' setting).
    let allowed = TestApp::spawn_with(push_env(&database_url)).await;
    let (status, body) =
        allowed.post_json("/api/push/subscriptions", Some(&allowed.token_for(allowed.bob)), &local.json).await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test]
async fn a_user_keeps_at_most_ten_subscriptions_under_concurrent_requests() {
    let app = push_app().await;
    let mut subscriptions = Vec::new();
    for _ in 0..14 {
        subscriptions.push(Subscription::create().await);
    }
    let token = app.token_for(app.bob);
    let requests = subscriptions.iter().map(|s| app.post_json("/api/push/subscriptions", Some(&token), &s.json));
    for (status, body) in futures_util::future::join_all(requests).await {
        assert_eq!(status, 201, "{body}");
    }
    assert_eq!(app.subscriptions_of(app.bob).await, 10, "the oldest were replaced");
    // The same browser again is an update, not a new one.
    let (status, body) = app.post_json("/api/push/subscriptions", Some(&token), &subscriptions[13].json).await;
    assert_eq!((status, body["subscription"]["created"].clone()), (200, json!(false)), "{body}");
    // DELETE by body, then by query: gone, then nothing to delete.
    let endpoint = subscriptions[13].endpoint().to_owned();
    let request =
        app.http.delete(app.url("/api/push/subscriptions")).bearer_auth(&token).json(&json!({"endpoint": endpoint}));
    assert_eq!(read(request.send().await.unwrap()).await.1["deleted"], true);
    let url = app.url(&format!("/api/push/subscriptions?endpoint={}", urlencode(&endpoint)));
    assert_eq!(read(app.http.delete(url).bearer_auth(&token).send().await.unwrap()).await.1["deleted"], false);
    assert_eq!(app.subscriptions_of(app.bob).await, 9);
    for bad in ["https://fcm.googleapis.com/\u{0}", "x\ny"] {
        let request =
            app.http.delete(app.url("/api/push/subscriptions")).bearer_auth(&token).json(&json!({"endpoint": bad}));
        let (status, body) = read(request.send().await.unwrap()).await;
        assert_eq!((status, error_code(&body)), (422, "invalid_push_endpoint"), "{bad:?}");
    }
}

fn urlencode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[tokio::test]
async fn push_is_off_without_vapid_keys_and_config_says_so() {
    let app = TestApp::spawn().await;
    let token = app.token_for(app.bob);
    let (status, body) = app.post_json("/api/push/subscriptions", Some(&token), &json!({"endpoint": "x"})).await;
    assert_eq!((status, error_code(&body)), (501, "push_disabled"));
    let (_, config) = app.get("/api/config", None).await;
    assert_eq!(config["webPush"], json!({"enabled": false, "vapidPublicKey": null}));
    let on = push_app().await;
    let (_, config) = on.get("/api/config", None).await;
    assert_eq!(config["webPush"], json!({"enabled": true, "vapidPublicKey": VAPID_PUBLIC}));
}

#[tokio::test]
async fn an_offline_invitee_is_pushed_the_invitation_and_room_messages_name_the_room() {
    let app = push_app().await;
    let browser = app.subscribe(app.bob).await;
    let body = json!({"name": "Launch plans", "memberIds": [app.bob.id]});
    let (status, created) = app.post_json("/api/rooms", Some(&app.token_for(app.alice)), &body).await;
    assert_eq!(status, 201, "{created}");
    let room_id = created["room"]["id"].as_str().unwrap().to_owned();
    let invitation = &browser.wait_for(1, Duration::from_secs(15)).await[0]["payload"];
    assert_eq!(invitation["type"], "room-invitation");
    assert_eq!(invitation["roomId"], room_id.as_str());
    assert_eq!(
        invitation["body"],
        format!("{} {} invited you to Launch plans", app.alice.first_name, app.alice.last_name)
    );
    app.accept_room(app.bob, &room_id).await;
    app.send_to_room(app.alice, &room_id, "kickoff at nine").await;
    let pushes = browser.wait_for(2, Duration::from_secs(15)).await;
    let message = &pushes[1]["payload"];
    assert_eq!(message["title"], format!("{} {} in Launch plans", app.alice.first_name, app.alice.last_name));
    assert_eq!(
        (message["body"].as_str(), message["roomId"].as_str()),
        (Some("kickoff at nine"), Some(room_id.as_str()))
    );
}

#[tokio::test]
async fn with_end_to_end_encryption_a_push_carries_no_text() {
    let mut env = push_env(&migrated_database().await);
    env.insert("PUSHER_ENCRYPTION_MASTER_KEY_BASE64".into(), "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=".into());
    let app = TestApp::spawn_with(env).await;
    let browser = app.subscribe(app.bob).await;
    app.send_private(app.alice, app.bob, "the secret plan").await;
    let push = &browser.wait_for(1, Duration::from_secs(15)).await[0]["payload"];
    assert_eq!(push["body"], "New message");
    assert!(!push.to_string().contains("secret"), "{push}");
}
