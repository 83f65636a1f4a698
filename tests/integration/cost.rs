//! What a chat message costs on Pusher, held down without losing a feature (docs/cost.md): a
//! typing call carries a due read receipt as one event, a start says when it ends, a receipt skips
//! the reader's own socket, and a receiver with the chat open (a member of its presence channel)
//! gets `new-message` once. Real PostgreSQL, real sockudo; the webhooks that report who has a chat
//! open are signed here as Pusher signs them.

use crate::helpers::*;
use crate::helpers::{notifications_channel, private_chat_channel};
use crate::ws::PusherSocket;
use hmac::{Hmac, Mac};
use pusher_chat::demo::DemoUser;
use serde_json::{json, Value};
use std::time::Duration;

/// Every event a socket gets within `wait`, by name.
async fn events(socket: &mut PusherSocket, wait: Duration) -> Vec<(String, Value)> {
    let mut found = Vec::new();
    let deadline = tokio::time::Instant::now() + wait;
    while let Some(event) = socket.next_event(deadline.saturating_duration_since(tokio::time::Instant::now())).await {
        found.push((event.event, event.data));
    }
    found
}

async fn send(app: &TestApp, from: &DemoUser, to: &DemoUser, content: &str) -> Value {
    let (status, body) = app
        .post_json(
            "/api/messages/private",
            Some(&app.token_for(from)),
            &json!({"receiverId": to.id, "content": content}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["message"].clone()
}

async fn post_with_socket(app: &TestApp, path: &str, user: &DemoUser, socket: &str, body: &Value) -> (u16, Value) {
    let response = app
        .http
        .post(app.url(path))
        .bearer_auth(app.token_for(user))
        .header("x-pusher-socket-id", socket)
        .json(body)
        .send()
        .await
        .unwrap();
    read(response).await
}

fn presence_chat_channel(a: &str, b: &str) -> String {
    private_chat_channel(a, b).replacen("private-chat-", "presence-chat-", 1)
}

/// A presence webhook as Pusher sends it, signed with the app's secret.
async fn webhook(app: &TestApp, time_ms: i64, events: Value) -> (u16, Value) {
    let body = json!({"time_ms": time_ms, "events": events}).to_string();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(std::env::var("PUSHER_SECRET").unwrap().as_bytes()).unwrap();
    mac.update(body.as_bytes());
    let signature = hex::encode(mac.finalize().into_bytes());
    let response = app
        .http
        .post(app.url("/api/pusher/webhook"))
        .header("content-type", "application/json")
        .header("x-pusher-key", std::env::var("PUSHER_KEY").unwrap())
        .header("x-pusher-signature", signature)
        .body(body)
        .send()
        .await
        .unwrap();
    read(response).await
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

#[tokio::test]
async fn a_typing_call_carries_a_due_read_receipt_as_one_event_and_a_start_says_when_it_ends() {
    let app = TestApp::spawn().await;
    let chat = private_chat_channel(app.alice.id, app.bob.id);
    let mut alice_socket = subscribed(&app, app.alice, std::slice::from_ref(&chat)).await;
    let first = send(&app, app.alice, app.bob, "are you there?").await;
    let _ = events(&mut alice_socket, Duration::from_millis(300)).await;

    // Bob has seen it and starts typing: one call, one event.
    let (status, answer) = app
        .post_json(
            "/api/typing",
            Some(&app.token_for(app.bob)),
            &json!({"chatId": app.alice.id, "typing": true, "readUpToSeq": first["seq"]}),
        )
        .await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["sent"], true);
    assert_eq!(answer["read"]["messageIds"], json!([first["id"]]), "{answer}");
    assert!(answer["read"]["readAt"].as_str().unwrap().ends_with('Z'));
    let got = events(&mut alice_socket, Duration::from_millis(800)).await;
    let names: Vec<&str> = got.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["message-read"], "the typing rides on the receipt: {got:?}");
    let receipt = &got[0].1;
    assert_eq!(receipt["readBy"], app.bob.id);
    assert_eq!(receipt["messageIds"], json!([first["id"]]));
    assert_eq!(receipt["typing"]["userId"], app.bob.id);
    assert_eq!(receipt["typing"]["typing"], true);
    assert_eq!(receipt["typing"]["expiresInMs"], 6000);
    assert!(receipt["typing"]["expiresAt"].as_str().unwrap() > receipt["typing"]["at"].as_str().unwrap());
    let (_, history) =
        app.get(&format!("/api/messages/private?chatId={}", app.bob.id), Some(&app.token_for(app.alice))).await;
    assert_eq!(history["messages"][0]["isRead"], true, "the read is stored: {history}");

    // Nothing left to read: a plain start, with its end.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let body = json!({"chatId": app.alice.id, "typing": true, "readUpToSeq": first["seq"]});
    let (_, answer) = app.post_json("/api/typing", Some(&app.token_for(app.bob)), &body).await;
    assert_eq!((answer["sent"].as_bool(), answer.get("read")), (Some(true), None), "{answer}");
    let got = events(&mut alice_socket, Duration::from_millis(800)).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, "typing-start");
    assert_eq!(got[0].1["expiresInMs"], 6000);
    assert!(got[0].1["expiresAt"].as_str().unwrap().ends_with('Z'));

    // Throttled (a second start within the second): the read still counts and goes out alone.
    let second = send(&app, app.alice, app.bob, "hello?").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let _ = events(&mut alice_socket, Duration::from_millis(300)).await;
    let start = json!({"chatId": app.alice.id, "typing": true});
    assert_eq!(app.post_json("/api/typing", Some(&app.token_for(app.bob)), &start).await.1["sent"], true);
    let body = json!({"chatId": app.alice.id, "typing": true, "readUpToSeq": second["seq"]});
    let (_, answer) = app.post_json("/api/typing", Some(&app.token_for(app.bob)), &body).await;
    assert_eq!(answer["sent"], false, "{answer}");
    assert_eq!(answer["read"]["messageIds"], json!([second["id"]]));
    let got = events(&mut alice_socket, Duration::from_millis(800)).await;
    // Two calls, two publishes: in either order.
    let mut names: Vec<&str> = got.iter().map(|(name, _)| name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["message-read", "typing-start"], "{got:?}");
    let receipt = got.iter().find(|(name, _)| name == "message-read").map(|(_, data)| data).unwrap();
    assert!(receipt.get("typing").is_none(), "no typing when the start was dropped: {receipt}");

    // A stop that carries a read stays an event of its own: a client that knows no `typing`
    // field must still hear it.
    let third = send(&app, app.alice, app.bob, "still there?").await;
    let _ = events(&mut alice_socket, Duration::from_millis(300)).await;
    let body = json!({"chatId": app.alice.id, "typing": false, "readUpToSeq": third["seq"]});
    let (_, answer) = app.post_json("/api/typing", Some(&app.token_for(app.bob)), &body).await;
    assert_eq!(answer["read"]["messageIds"], json!([third["id"]]), "{answer}");
    let got = events(&mut alice_socket, Duration::from_millis(800)).await;
    let mut names: Vec<&str> = got.iter().map(|(name, _)| name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["message-read", "typing-stop"], "{got:?}");

    for bad in [json!(-1), json!("1"), json!(1.5)] {
        let body = json!({"chatId": app.alice.id, "typing": true, "readUpToSeq": bad});
        let (status, answer) = app.post_json("/api/typing", Some(&app.token_for(app.bob)), &body).await;
        assert!(status == 422 || status == 400, "{bad}: {status} {answer}");
        assert!(answer["error"]["code"].is_string(), "{answer}");
    }
}

#[tokio::test]
async fn a_read_receipt_skips_the_readers_own_socket_but_reaches_their_other_devices() {
    let app = TestApp::spawn().await;
    let chat = private_chat_channel(app.alice.id, app.bob.id);
    let mut alice_socket = subscribed(&app, app.alice, std::slice::from_ref(&chat)).await;
    let mut bob_phone = subscribed(&app, app.bob, std::slice::from_ref(&chat)).await;
    let mut bob_laptop = subscribed(&app, app.bob, std::slice::from_ref(&chat)).await;
    let message = send(&app, app.alice, app.bob, "hi").await;
    for socket in [&mut alice_socket, &mut bob_phone, &mut bob_laptop] {
        let _ = events(socket, Duration::from_millis(300)).await;
    }
    let body = json!({"chatId": app.alice.id, "upToSeq": message["seq"]});
    let (status, answer) = post_with_socket(&app, "/api/messages/read", app.bob, &bob_phone.socket_id, &body).await;
    assert_eq!(status, 200, "{answer}");
    let reads = |got: Vec<(String, Value)>| got.into_iter().filter(|(name, _)| name == "message-read").count();
    assert_eq!(reads(events(&mut alice_socket, Duration::from_millis(800)).await), 1, "the sender's tick");
    assert_eq!(reads(events(&mut bob_laptop, Duration::from_millis(100)).await), 1, "the reader's other device");
    assert_eq!(reads(events(&mut bob_phone, Duration::from_millis(100)).await), 0, "not the reader's own socket");
}

#[tokio::test]
async fn a_receiver_with_the_chat_open_gets_new_message_once() {
    let app = TestApp::spawn().await;
    let chat = private_chat_channel(app.alice.id, app.bob.id);
    let open = presence_chat_channel(app.alice.id, app.bob.id);
    let mut bob_chat = subscribed(&app, app.bob, std::slice::from_ref(&chat)).await;
    let mut bob_inbox = subscribed(&app, app.bob, &[notifications_channel(app.bob.id)]).await;
    let copies = |got: Vec<(String, Value)>| got.into_iter().filter(|(name, _)| name == "new-message").count();

    send(&app, app.alice, app.bob, "chat closed").await;
    assert_eq!(copies(events(&mut bob_inbox, Duration::from_millis(600)).await), 1, "closed: the inbox copy");
    assert_eq!(copies(events(&mut bob_chat, Duration::from_millis(100)).await), 1);

    // Bob opens the chat: Pusher reports him joining its presence channel.
    let t0 = now_ms();
    let joined = json!([{"name": "member_added", "channel": open, "user_id": app.bob.id}]);
    assert_eq!(webhook(&app, t0, joined.clone()).await.0, 200);
    send(&app, app.alice, app.bob, "chat open").await;
    assert_eq!(copies(events(&mut bob_chat, Duration::from_millis(600)).await), 1, "open: the chat channel's copy");
    assert_eq!(copies(events(&mut bob_inbox, Duration::from_millis(100)).await), 0, "and no inbox copy");
    // Edits follow the same rule.
    let typo = send(&app, app.alice, app.bob, "typo").await;
    let _ = events(&mut bob_chat, Duration::from_millis(300)).await;
    let id = typo["id"].as_str().unwrap();
    let response = app
        .http
        .patch(app.url(&format!("/api/messages?id={id}")))
        .bearer_auth(app.token_for(app.alice))
        .json(&json!({"content": "fixed"}))
        .send()
        .await
        .unwrap();
    let (status, edited) = read(response).await;
    assert_eq!(status, 200, "{edited}");
    let chat_events = events(&mut bob_chat, Duration::from_millis(600)).await;
    assert!(chat_events.iter().any(|(name, _)| name == "message-updated"), "{chat_events:?}");
    let inbox_events = events(&mut bob_inbox, Duration::from_millis(600)).await;
    assert!(inbox_events.is_empty(), "nothing on the inbox channel while the chat is open: {inbox_events:?}");

    // A retried older webhook (he left before he joined) changes nothing; leaving does.
    let left = json!([{"name": "member_removed", "channel": open, "user_id": app.bob.id}]);
    assert_eq!(webhook(&app, t0 - 1000, left.clone()).await.0, 200);
    send(&app, app.alice, app.bob, "still open").await;
    assert_eq!(copies(events(&mut bob_inbox, Duration::from_millis(600)).await), 0);
    assert_eq!(webhook(&app, t0 + 1000, left).await.0, 200);
    send(&app, app.alice, app.bob, "closed again").await;
    assert_eq!(copies(events(&mut bob_inbox, Duration::from_millis(600)).await), 1, "closed again: the inbox copy");

    // Someone else's webhook about this chat (not a participant) counts for nothing.
    let stranger = json!([{"name": "member_added", "channel": open, "user_id": app.carol.id}]);
    assert_eq!(webhook(&app, t0 + 2000, stranger).await.0, 200);
    let rows: i64 = app
        .db()
        .await
        .query_one(
            r#"SELECT count(*) FROM "ChatPresence" WHERE "channel" = $1 AND "userId" = $2"#,
            &[&open, &app.carol.id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, 0);

    // Joined again, and the channel vacated: closed.
    assert_eq!(webhook(&app, t0 + 3000, joined.clone()).await.0, 200);
    let vacated = json!([{"name": "channel_vacated", "channel": open}]);
    assert_eq!(webhook(&app, t0 + 4000, vacated).await.0, 200);
    send(&app, app.alice, app.bob, "vacated").await;
    assert_eq!(copies(events(&mut bob_inbox, Duration::from_millis(600)).await), 1, "vacated: the inbox copy");

    // A membership with no news for over an hour is not trusted (a member_removed may have been lost).
    assert_eq!(webhook(&app, t0 + 5000, joined).await.0, 200);
    app.db()
        .await
        .execute(r#"UPDATE "ChatPresence" SET "at" = "at" - interval '61 minutes' WHERE "channel" = $1"#, &[&open])
        .await
        .unwrap();
    send(&app, app.alice, app.bob, "stale").await;
    assert_eq!(copies(events(&mut bob_inbox, Duration::from_millis(600)).await), 1, "stale: the inbox copy again");
}

#[tokio::test]
async fn a_chats_presence_channel_admits_its_two_participants_only() {
    let app = TestApp::spawn().await;
    let open = presence_chat_channel(app.alice.id, app.bob.id);
    let socket = PusherSocket::connect().await;
    for user in [app.alice, app.bob] {
        let (status, body) = app.channel_auth(Some(&app.token_for(user)), &socket.socket_id, &open).await;
        assert_eq!(status, 200, "{body}");
        let data: Value = serde_json::from_str(body["channel_data"].as_str().unwrap()).unwrap();
        assert_eq!(data["user_id"], user.id, "the member is the caller");
    }
    let (status, body) = app.channel_auth(Some(&app.token_for(app.carol)), &socket.socket_id, &open).await;
    assert_eq!((status, error_code(&body)), (403, "channel_forbidden"));
    let (low, high) = if app.alice.id < app.bob.id { (app.alice.id, app.bob.id) } else { (app.bob.id, app.alice.id) };
    let unsorted = format!("presence-chat-{high}-{low}");
    let (status, _) = app.channel_auth(Some(&app.token_for(app.alice)), &socket.socket_id, &unsorted).await;
    assert_eq!(status, 403, "only the ordered name is the chat's");
    let with_nobody = format!("presence-chat-{}-zzzz-nobody", app.alice.id);
    let (status, _) = app.channel_auth(Some(&app.token_for(app.alice)), &socket.socket_id, &with_nobody).await;
    assert_eq!(status, 403, "a chat with an unknown user");
}

#[tokio::test]
async fn channels_asked_for_together_are_authorized_in_one_call_each_on_its_own() {
    let app = TestApp::spawn().await;
    let mut socket = PusherSocket::connect().await;
    let chat = private_chat_channel(app.alice.id, app.bob.id);
    let open = presence_chat_channel(app.alice.id, app.bob.id);
    let theirs = notifications_channel(app.bob.id);
    let body = json!({"socket_id": socket.socket_id, "channel_names": [chat, open, theirs, "not a channel"]});
    let (status, answer) = app.post_json("/api/pusher/auth", Some(&app.token_for(app.alice)), &body).await;
    assert_eq!(status, 200, "{answer}");
    let channels = &answer["channels"];
    assert!(channels[&chat]["auth"].is_string(), "{answer}");
    assert!(channels[&open]["channel_data"].is_string(), "a presence channel's answer has its member");
    assert_eq!(channels[&theirs]["error"]["status"], 403, "someone else's channel is refused on its own: {answer}");
    assert_eq!(channels[&theirs]["error"]["code"], "channel_forbidden");
    assert_eq!(channels["not a channel"]["error"]["status"], 400);
    // The signatures are the ones a one-channel call gives: the socket subscribes with them.
    socket.subscribe(&chat, channels[&chat]["auth"].as_str(), None).await.unwrap();
    socket.subscribe(&open, channels[&open]["auth"].as_str(), channels[&open]["channel_data"].as_str()).await.unwrap();
    let (_, single) = app.channel_auth(Some(&app.token_for(app.alice)), &socket.socket_id, &chat).await;
    assert_eq!(single["auth"], channels[&chat]["auth"]);

    let too_many: Vec<String> = (0..21).map(|i| format!("private-room-r{i}")).collect();
    for bad in [
        json!({"socket_id": socket.socket_id, "channel_names": too_many}),
        json!({"socket_id": socket.socket_id, "channel_names": []}),
        json!({"socket_id": "x", "channel_names": [chat]}),
        json!({"socket_id": socket.socket_id, "channel_names": "private-chat-a-b"}),
    ] {
        let (status, answer) = app.post_json("/api/pusher/auth", Some(&app.token_for(app.alice)), &bad).await;
        assert!(status == 400 || status == 422, "{bad}: {status} {answer}");
        assert!(answer["error"]["code"].is_string(), "{answer}");
    }
    let (status, _) = app.post_json("/api/pusher/auth", None, &body).await;
    assert_eq!(status, 401);
}
