//! End-to-end encrypted channels: with PUSHER_ENCRYPTION_MASTER_KEY_BASE64 set, chats, rooms and
//! notifications travel on `private-encrypted-…` channels whose events Pusher (here sockudo) relays
//! as `{nonce, ciphertext}`; only a subscriber with the channel's shared secret reads them.

use crate::helpers::*;
use crate::ws::PusherSocket;
use pusher_chat::pusher::encryption::{open, seal};
use pusher_chat::pusher::signature::encrypted_channel_shared_secret;
use serde_json::{json, Value};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

const WAIT: Duration = Duration::from_secs(5);
pub const MASTER_KEY: &[u8; 32] = b"an example master key of 32 byt!";
pub const MASTER_KEY_BASE64: &str = "YW4gZXhhbXBsZSBtYXN0ZXIga2V5IG9mIDMyIGJ5dCE=";

pub async fn encrypted_app() -> TestApp {
    let mut env = test_env(&migrated_database().await);
    env.insert("PUSHER_ENCRYPTION_MASTER_KEY_BASE64".into(), MASTER_KEY_BASE64.into());
    TestApp::spawn_with(env).await
}

fn encrypted(channel: &str) -> String {
    channel.replacen("private-", "private-encrypted-", 1)
}

/// A raw Pusher-protocol subscriber (no decryption of its own) on `channel`, authorized by the API.
async fn raw_subscriber(app: &TestApp, token: &str, channel: &str) -> (PusherSocket, Value) {
    let mut socket = PusherSocket::connect().await;
    let (status, auth) = app.channel_auth(Some(token), &socket.socket_id, channel).await;
    assert_eq!(status, 200, "{channel}: {auth}");
    socket.subscribe(channel, auth["auth"].as_str(), None).await.unwrap();
    (socket, auth)
}

#[tokio::test]
async fn events_reach_subscribers_sealed_and_open_only_with_the_channel_secret() {
    let app = encrypted_app().await;
    let bob = app.token_for(app.bob);
    let (_, config) = app.get("/api/config", None).await;
    assert_eq!(config["encryptedChannels"], true);
    assert_eq!(config["channels"]["privateChat"], "private-encrypted-chat-{low}-{high}");
    assert_eq!(config["channels"]["presenceUser"], "presence-user-{userId}", "presence cannot be encrypted");

    let chat = encrypted(&private_chat_channel(app.alice.id, app.bob.id));
    let notifications = encrypted(&notifications_channel(app.bob.id));
    let (mut chat_socket, auth) = raw_subscriber(&app, &bob, &chat).await;
    assert_eq!(auth["shared_secret"], encrypted_channel_shared_secret(&chat, MASTER_KEY));
    let (mut own_socket, _) = raw_subscriber(&app, &bob, &notifications).await;

    let text = "the launch code is 0000";
    let sent = json!({"receiverId": app.bob.id, "content": text});
    let (status, body) = app.post_json("/api/messages/private", Some(&app.token_for(app.alice)), &sent).await;
    assert_eq!(status, 201, "{body}");
    // One send, two channels, two keys: each channel's copy opens with its own secret only.
    for (socket, channel, other) in
        [(&mut chat_socket, &chat, &notifications), (&mut own_socket, &notifications, &chat)]
    {
        let event = socket.next_event(WAIT).await.unwrap_or_else(|| panic!("nothing on {channel}"));
        assert_eq!(event.event, "new-message");
        let sealed = event.data.to_string();
        assert!(!sealed.contains("launch") && event.data["nonce"].is_string(), "Pusher sees only: {sealed}");
        let opened: Value = serde_json::from_str(&open(&sealed, channel, MASTER_KEY).expect("opens")).unwrap();
        assert_eq!(opened["content"], text);
        assert_eq!(opened["id"], body["message"]["id"]);
        assert_eq!(open(&sealed, other, MASTER_KEY), None, "another channel's secret does not open it");
        let mut wrong = *MASTER_KEY;
        wrong[31] ^= 0xff;
        assert_eq!(open(&sealed, channel, &wrong), None, "a wrong master key does not open it");
    }

    // The 10 KB limit holds for the sealed event: a text that fits plain but not sealed arrives
    // truncated (to be read through the API), not lost.
    let long = "y".repeat(9_000);
    let (status, _) = app
        .post_json(
            "/api/messages/private",
            Some(&app.token_for(app.alice)),
            &json!({"receiverId": app.bob.id, "content": long}),
        )
        .await;
    assert_eq!(status, 201);
    let event = chat_socket.next_event(WAIT).await.expect("the long message's event");
    assert!(event.data.to_string().len() <= 10_240);
    let opened: Value = serde_json::from_str(&open(&event.data.to_string(), &chat, MASTER_KEY).unwrap()).unwrap();
    assert_eq!((&opened["truncated"], &opened["content"]), (&json!(true), &json!("")));
}

#[tokio::test]
async fn with_encryption_on_only_encrypted_twins_are_authorized_and_without_it_none() {
    let app = encrypted_app().await;
    let bob = app.token_for(app.bob);
    let plain = private_chat_channel(app.alice.id, app.bob.id);
    let (status, body) = app.channel_auth(Some(&bob), "123.456", &plain).await;
    assert_eq!((status, error_code(&body)), (403, "encrypted_channel_required"));
    // The twin of someone else's channel is as closed as the channel.
    let (status, _) = app.channel_auth(Some(&bob), "123.456", &encrypted(&notifications_channel(app.alice.id))).await;
    assert_eq!(status, 403);
    let (status, body) = app.channel_auth(Some(&bob), "123.456", &presence_user_channel(app.bob.id)).await;
    assert_eq!(status, 200, "presence channels stay as they are: {body}");
    assert!(body.get("shared_secret").is_none());

    let plain_app = TestApp::spawn().await;
    let token = plain_app.token_for(plain_app.bob);
    let twin = encrypted(&notifications_channel(plain_app.bob.id));
    let (status, body) = plain_app.channel_auth(Some(&token), "123.456", &twin).await;
    assert_eq!((status, error_code(&body)), (403, "encryption_off"));
    let (_, config) = plain_app.get("/api/config", None).await;
    assert_eq!(
        (&config["encryptedChannels"], &config["channels"]["room"]),
        (&json!(false), &json!("private-room-{roomId}"))
    );
}

#[tokio::test]
async fn the_official_node_library_and_the_api_seal_and_open_each_others_events() {
    let channel = "private-encrypted-chat-a-b";
    let plain = r#"{"content":"between libraries"}"#;
    let case = json!({"masterKeyBase64": MASTER_KEY_BASE64, "channel": channel, "plain": plain,
                      "sealedByRust": seal(plain, channel, MASTER_KEY)});
    let mut child = tokio::process::Command::new("node")
        .arg(std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/node/encryption.js"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node runs");
    child.stdin.take().unwrap().write_all(case.to_string().as_bytes()).await.unwrap();
    let output = child.wait_with_output().await.unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stdout));
    let node: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(node["sharedSecret"], encrypted_channel_shared_secret(channel, MASTER_KEY));
    assert_eq!(node["openedRust"], plain, "Node opens what the API sealed");
    let sealed_by_node = node["sealedByNode"].as_str().unwrap();
    assert_eq!(open(sealed_by_node, channel, MASTER_KEY).as_deref(), Some(plain), "the API opens what Node sealed");
}
