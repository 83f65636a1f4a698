//! Replies, edits, deletions, reactions and search through the API, on real PostgreSQL and sockudo:
//! what each does, what it announces, and who may do it.

use crate::helpers::*;
use crate::ws::PusherSocket;
use pusher_chat::demo::DemoUser;
use serde_json::{json, Value};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(5);
const PRIVATE: &str = "/api/messages/private";

async fn subscribed(app: &TestApp, user: &DemoUser, channels: &[String]) -> PusherSocket {
    let mut socket = PusherSocket::connect().await;
    let token = app.token_for(user);
    for channel in channels {
        let (status, body) = app.channel_auth(Some(&token), &socket.socket_id, channel).await;
        assert_eq!(status, 200, "{channel}: {body}");
        socket.subscribe(channel, body["auth"].as_str(), body["channel_data"].as_str()).await.unwrap();
    }
    socket
}

/// A private message; returns the stored message.
async fn send(app: &TestApp, from: &DemoUser, to: &DemoUser, body: Value) -> Value {
    let mut body = body;
    body["receiverId"] = json!(to.id);
    let (status, answer) = app.post_json(PRIVATE, Some(&app.token_for(from)), &body).await;
    assert_eq!(status, 201, "{answer}");
    answer["message"].clone()
}

/// A room of `owner`'s with `members` in it (their invitations accepted).
async fn room_with(app: &TestApp, owner: &DemoUser, members: &[&DemoUser]) -> String {
    let ids: Vec<&str> = members.iter().map(|m| m.id).collect();
    let (status, created) =
        app.post_json("/api/rooms", Some(&app.token_for(owner)), &json!({"name": "Team", "memberIds": ids})).await;
    assert_eq!(status, 201, "{created}");
    let room_id = created["room"]["id"].as_str().unwrap().to_owned();
    for member in members {
        app.accept_room(member, &room_id).await;
    }
    room_id
}

async fn message_count(app: &TestApp) -> i64 {
    app.db().await.query_one(r#"SELECT count(*) FROM "Message""#, &[]).await.unwrap().get(0)
}

#[tokio::test]
async fn a_reply_carries_the_quoted_message_in_its_answer_event_and_history() {
    let app = TestApp::spawn().await;
    let question = send(&app, app.bob, app.alice, json!({"content": "lunch at noon?"})).await;
    let mut bob_socket = subscribed(&app, app.bob, &[private_chat_channel(app.alice.id, app.bob.id)]).await;
    let reply = send(&app, app.alice, app.bob, json!({"content": "yes", "replyToId": question["id"]})).await;
    let quoted = json!({"id": question["id"], "seq": 1, "senderId": app.bob.id, "content": "lunch at noon?"});
    assert_eq!(reply["replyToId"], question["id"]);
    assert_eq!(reply["replyTo"], quoted);
    assert_eq!(reply["seq"], 2);
    let event = bob_socket.next_event(WAIT).await.expect("new-message");
    assert_eq!((event.event.as_str(), &event.data), ("new-message", &reply));
    let (_, page) = app.get(&format!("{PRIVATE}?chatId={}", app.alice.id), Some(&app.token_for(app.bob))).await;
    assert_eq!(page["messages"][0]["replyTo"], Value::Null, "not a reply");
    assert_eq!(page["messages"][0]["replyToId"], Value::Null);
    assert_eq!(page["messages"][1]["replyTo"], quoted);

    // Rooms too: a member replies to another member's message.
    let room = room_with(&app, app.alice, &[app.bob]).await;
    let token = app.token_for(app.bob);
    let (_, first) = app
        .post_json("/api/messages/room", Some(&app.token_for(app.alice)), &json!({"roomId": room, "content": "hi all"}))
        .await;
    let (status, answer) = app
        .post_json(
            "/api/messages/room",
            Some(&token),
            &json!({"roomId": room, "content": "hi", "replyToId": first["message"]["id"]}),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["message"]["replyTo"]["content"], "hi all");
    assert_eq!(answer["message"]["replyTo"]["senderId"], app.alice.id);
}

#[tokio::test]
async fn a_reply_to_a_message_of_another_conversation_is_refused_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let theirs = send(&app, app.bob, app.carol, json!({"content": "between bob and carol"})).await;
    let own = send(&app, app.alice, app.carol, json!({"content": "alice to carol"})).await;
    let room = room_with(&app, app.alice, &[app.bob]).await;
    let before = message_count(&app).await;
    let token = app.token_for(app.alice);
    let to_bob = |reply_to: Value| json!({"receiverId": app.bob.id, "content": "re", "replyToId": reply_to});
    for (body, code) in [
        (to_bob(theirs["id"].clone()), "invalid_reply_to"),
        (to_bob(own["id"].clone()), "invalid_reply_to"),
        (to_bob(json!("no-such-message")), "invalid_reply_to"),
        (to_bob(json!("not an id")), "invalid_id"),
        (to_bob(json!(7)), "invalid_body"),
    ] {
        let (status, answer) = app.post_json(PRIVATE, Some(&token), &body).await;
        assert_eq!((status, error_code(&answer)), (422, code), "{body}");
    }
    // A room message cannot quote a chat's message, nor a chat message a room's.
    let (status, answer) = app
        .post_json(
            "/api/messages/room",
            Some(&token),
            &json!({"roomId": room, "content": "re", "replyToId": own["id"]}),
        )
        .await;
    assert_eq!((status, error_code(&answer)), (422, "invalid_reply_to"));
    let (_, in_room) =
        app.post_json("/api/messages/room", Some(&token), &json!({"roomId": room, "content": "room words"})).await;
    let (status, answer) = app.post_json(PRIVATE, Some(&token), &to_bob(in_room["message"]["id"].clone())).await;
    assert_eq!((status, error_code(&answer)), (422, "invalid_reply_to"));
    assert_eq!(message_count(&app).await, before + 1, "only the plain room message was stored");
    let (_, page) = app.get(&format!("{PRIVATE}?chatId={}", app.bob.id), Some(&token)).await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 0, "no gap-making sends in the chat");
    let (_, sent) = app.post_json(PRIVATE, Some(&token), &json!({"receiverId": app.bob.id, "content": "first"})).await;
    assert_eq!(sent["message"]["seq"], 1, "refused replies took no sequence number");
}
