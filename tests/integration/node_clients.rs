//! The official Node libraries as counterparts: npm `pusher` cross-checks every signature on
//! random inputs, and the real `pusher-js` client subscribes through the auth endpoints.

use crate::helpers::*;
use crate::helpers::{notifications_channel, presence_user_channel, private_chat_channel};
use base64::Engine;
use pusher_chat::pusher::signature::*;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{ChildStdout, Command};

fn node_script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/node").join(name)
}

/// Random bytes without another dependency: v4 UUIDs are 122 random bits each.
fn random_bytes(n: usize) -> Vec<u8> {
    std::iter::repeat_with(|| uuid::Uuid::new_v4().into_bytes()).flatten().take(n).collect()
}

fn random_from(alphabet: &[u8], len: usize) -> String {
    random_bytes(len).iter().map(|b| alphabet[*b as usize % alphabet.len()] as char).collect()
}

fn random_len(max: usize) -> usize {
    1 + random_bytes(1)[0] as usize % max
}

const CHANNEL_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-=@,.;";
const DIGITS: &[u8] = b"0123456789";
const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

fn random_case(tamper_webhook: bool) -> Value {
    let secret = random_from(ALNUM, 20 + random_len(20));
    let body = json!({
        "name": random_from(ALNUM, random_len(20)),
        "channels": [random_from(CHANNEL_ALPHABET, random_len(40))],
        "data": format!("{{\"text\":\"Zoë 🚀 \\\"{}\\\"\"}}", random_from(CHANNEL_ALPHABET, random_len(60))),
    })
    .to_string();
    let mut webhook_signature = hex::encode(hmac_of(&secret, body.as_bytes()));
    if tamper_webhook {
        webhook_signature.replace_range(0..2, if webhook_signature.starts_with("00") { "11" } else { "00" });
    }
    json!({
        "appId": random_from(DIGITS, 6),
        "key": random_from(ALNUM, 20),
        "secret": secret,
        "masterKeyBase64": base64::engine::general_purpose::STANDARD.encode(random_bytes(32)),
        "socketId": format!("{}.{}", random_from(DIGITS, random_len(10)), random_from(DIGITS, random_len(10))),
        "channel": random_from(CHANNEL_ALPHABET, random_len(60)),
        "userId": random_from(ALNUM, random_len(36)),
        "name": format!("Zoë \"{}\" ✓", random_from(ALNUM, random_len(12))),
        "body": body,
        "params": {"info": "user_count,subscription_count"},
        "webhookSignature": webhook_signature,
    })
}

fn hmac_of(secret: &str, message: &[u8]) -> Vec<u8> {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

#[tokio::test]
async fn signatures_agree_with_the_official_node_library_on_random_inputs() {
    let cases: Vec<Value> = (0..60).map(|i| random_case(i % 3 == 0)).collect();
    let mut child = Command::new("node")
        .arg(node_script("crosscheck.js"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node runs (scripts/test installs it)");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(Value::Array(cases.clone()).to_string().as_bytes()).await.unwrap();
    drop(stdin);
    let output = child.wait_with_output().await.unwrap();
    assert!(output.status.success());
    let results: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(results.len(), cases.len());

    for (case, node) in cases.iter().zip(&results) {
        let s = |k: &str| case[k].as_str().unwrap().to_owned();
        let (key, secret, socket_id, channel) = (s("key"), s("secret"), s("socketId"), s("channel"));
        assert_eq!(
            channel_auth_signature(&key, &secret, &socket_id, &format!("private-{channel}"), None),
            node["privateAuth"].as_str().unwrap(),
            "private channel, {case}"
        );
        let presence_data = json!({"user_id": case["userId"], "user_info": {"name": case["name"]}}).to_string();
        assert_eq!(presence_data, node["presenceChannelData"].as_str().unwrap(), "channel_data serialises identically");
        assert_eq!(
            channel_auth_signature(&key, &secret, &socket_id, &format!("presence-{channel}"), Some(&presence_data)),
            node["presenceAuth"].as_str().unwrap()
        );
        let user_data = json!({"id": case["userId"], "user_info": {"name": case["name"]}}).to_string();
        assert_eq!(user_data, node["userData"].as_str().unwrap());
        assert_eq!(user_auth_signature(&key, &secret, &socket_id, &user_data), node["userAuth"].as_str().unwrap());

        let node_query = node["restQuery"].as_str().unwrap();
        let timestamp: i64 =
            node_query.split('&').find_map(|kv| kv.strip_prefix("auth_timestamp=")).unwrap().parse().unwrap();
        let path = format!("/apps/{}/events", s("appId"));
        let info = case["params"]["info"].as_str().unwrap();
        let ours =
            signed_rest_query("POST", &path, &[("info", info)], Some(s("body").as_bytes()), &key, &secret, timestamp);
        assert_eq!(ours, node_query, "REST signature");

        let master: [u8; 32] =
            base64::engine::general_purpose::STANDARD.decode(s("masterKeyBase64")).unwrap().try_into().unwrap();
        assert_eq!(
            encrypted_channel_shared_secret(&format!("private-encrypted-{channel}"), &master),
            node["sharedSecret"].as_str().unwrap()
        );
        assert_eq!(
            verify_webhook(&key, &secret, &key, &s("webhookSignature"), s("body").as_bytes()),
            node["webhookValid"].as_bool().unwrap(),
            "webhook verdict"
        );
    }
    assert!(results.iter().any(|r| r["webhookValid"] == false), "tampered webhooks were part of the sample");
}

struct NodeClient {
    lines: Lines<BufReader<ChildStdout>>,
    _child: tokio::process::Child,
}

impl NodeClient {
    async fn start(app: &TestApp, token: &str, channels: &[String]) -> Self {
        let mut child = Command::new("node")
            .arg(node_script("pusher-js-client.js"))
            .env("PUSHER_KEY", std::env::var("PUSHER_KEY").unwrap())
            .env("WS_HOST", std::env::var("PUSHER_HOST").unwrap())
            .env("WS_PORT", std::env::var("PUSHER_PORT").unwrap())
            .env("API_BASE", &app.base_url)
            .env("TOKEN", token)
            .env("CHANNELS", channels.join(","))
            .env("SIGN_IN", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs");
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        Self { lines, _child: child }
    }

    /// The next report matching `wanted`, skipping others; panics after `wait`.
    async fn expect(&mut self, wait: Duration, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let line = tokio::time::timeout_at(deadline, self.lines.next_line())
                .await
                .expect("pusher-js reported in time")
                .unwrap()
                .expect("pusher-js client exited");
            let report: Value = serde_json::from_str(&line).unwrap();
            if wanted(&report) {
                return report;
            }
        }
    }
}

#[tokio::test]
async fn pusher_js_subscribes_through_the_auth_endpoint_and_receives_events() {
    let app = TestApp::spawn().await;
    // Bob has written to alice, so alice may watch his presence.
    app.insert_message(app.bob, app.alice).await;
    let chat = private_chat_channel(app.alice.id, app.bob.id);
    let presence = presence_user_channel(app.bob.id);
    let forbidden = notifications_channel(app.bob.id);
    let mut client =
        NodeClient::start(&app, &app.token_for(app.alice), &[chat.clone(), presence.clone(), forbidden.clone()]).await;
    let wait = Duration::from_secs(10);

    // Reports arrive in any order: collect until each expected one has come.
    let (mut subscribed, mut refused, mut signed_in) = (Vec::new(), None, false);
    while subscribed.len() < 2 || refused.is_none() || !signed_in {
        let report = client.expect(wait, |_| true).await;
        match report["type"].as_str().unwrap() {
            "subscribed" => subscribed.push(report["channel"].as_str().unwrap().to_owned()),
            "subscription_error" => refused = Some(report),
            "signed_in" => {
                assert_eq!(report["userId"], app.alice.id);
                signed_in = true
            }
            "connected" => {}
            other => panic!("unexpected report {other}: {report}"),
        }
    }
    subscribed.sort();
    let mut expected = vec![chat.clone(), presence.clone()];
    expected.sort();
    assert_eq!(subscribed, expected);
    let refused = refused.unwrap();
    assert_eq!(refused["channel"], forbidden.as_str());
    assert_eq!(refused["status"], 403);

    let message = json!({"id": "m1", "content": "hello from Rust"});
    app.ctx.pusher.trigger(std::slice::from_ref(&chat), "new-message", &message, None).await.unwrap();
    let received = client.expect(wait, |r| r["type"] == "event").await;
    assert_eq!(received["channel"], chat.as_str());
    assert_eq!(received["event"], "new-message");
    assert_eq!(received["data"], message);
}

#[tokio::test]
async fn pusher_js_opens_an_encrypted_chat_with_the_secret_the_api_hands_it() {
    let app = crate::encryption::encrypted_app().await;
    let chat = private_chat_channel(app.alice.id, app.bob.id).replacen("private-", "private-encrypted-", 1);
    let mut client = NodeClient::start(&app, &app.token_for(app.alice), std::slice::from_ref(&chat)).await;
    let wait = Duration::from_secs(10);
    let subscribed = client.expect(wait, |r| r["type"] == "subscribed" || r["type"] == "subscription_error").await;
    assert_eq!(subscribed["type"], "subscribed", "{subscribed}");

    let sent = json!({"receiverId": app.alice.id, "content": "for alice's eyes"});
    let (status, body) = app.post_json("/api/messages/private", Some(&app.token_for(app.bob)), &sent).await;
    assert_eq!(status, 201, "{body}");
    let received = client.expect(wait, |r| r["type"] == "event").await;
    assert_eq!((&received["channel"], &received["event"]), (&json!(chat), &json!("new-message")));
    assert_eq!(received["data"]["content"], "for alice's eyes", "pusher-js decrypted it: {received}");
}
