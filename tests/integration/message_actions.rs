//! Replies, edits, deletions, reactions and search through the API, on real PostgreSQL and sockudo:
//! what each does, what it announces, and who may do it.

use crate::helpers::*;
use crate::ws::PusherSocket;
use pusher_chat::demo::DemoUser;
use serde_json::{json, Value};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(5);
const PRIVATE: &str = "/api/messages/private";

/// A private message; returns the stored message.
async fn send(app: &TestApp, from: &DemoUser, to: &DemoUser, body: Value) -> Value {
    let mut body = body;
    body["receiverId"] = json!(to.id);
    let (status, answer) = app.post_json(PRIVATE, Some(&app.token_for(from)), &body).await;
    assert_eq!(status, 201, "{answer}");
    answer["message"].clone()
}

/// A message of a history page without its reactions, which events and send, edit and delete
/// answers leave out.
fn without_reactions(message: &Value) -> Value {
    let mut message = message.clone();
    message.as_object_mut().unwrap().remove("reactions");
    message
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
    let quoted =
        json!({"id": question["id"], "seq": 1, "senderId": app.bob.id, "content": "lunch at noon?", "deletedAt": null});
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
    let room = app.joined_room(app.alice, "Team", &[app.bob]).await;
    let token = app.token_for(app.bob);
    let first = app.send_to_room(app.alice, &room, "hi all").await;
    let (status, answer) = app
        .post_json(
            "/api/messages/room",
            Some(&token),
            &json!({"roomId": room, "content": "hi", "replyToId": first["id"]}),
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
    let room = app.joined_room(app.alice, "Team", &[app.bob]).await;
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
    let in_room = app.send_to_room(app.bob, &room, "room words").await;
    let (status, answer) = app.post_json(PRIVATE, Some(&token), &to_bob(in_room["id"].clone())).await;
    assert_eq!((status, error_code(&answer)), (422, "invalid_reply_to"));
    assert_eq!(message_count(&app).await, before + 1, "only the plain room message was stored");
    let (_, page) = app.get(&format!("{PRIVATE}?chatId={}", app.bob.id), Some(&token)).await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 0, "no gap-making sends in the chat");
    let (_, sent) = app.post_json(PRIVATE, Some(&token), &json!({"receiverId": app.bob.id, "content": "first"})).await;
    assert_eq!(sent["message"]["seq"], 1, "refused replies took no sequence number");
}

/// `PATCH` or `DELETE /api/messages?id=` as `user`.
async fn change(
    app: &TestApp,
    method: reqwest::Method,
    user: &DemoUser,
    id: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request =
        app.http.request(method, app.url(&format!("/api/messages?id={id}"))).bearer_auth(app.token_for(user));
    if let Some(body) = body {
        request = request.json(&body);
    }
    read(request.send().await.unwrap()).await
}

async fn edit(app: &TestApp, user: &DemoUser, id: &str, content: &str) -> (u16, Value) {
    change(app, reqwest::Method::PATCH, user, id, Some(json!({"content": content}))).await
}

async fn delete(app: &TestApp, user: &DemoUser, id: &str) -> (u16, Value) {
    change(app, reqwest::Method::DELETE, user, id, None).await
}

/// `name` with `data` arrives once on each of `channels` (in any order).
async fn assert_heard_on_both(socket: &mut PusherSocket, name: &str, data: &Value, channels: &[String; 2]) {
    let mut heard = Vec::new();
    for _ in 0..2 {
        let event = socket.next_event(WAIT).await.unwrap_or_else(|| panic!("{name} on {heard:?} only"));
        assert_eq!((event.event.as_str(), &event.data), (name, data));
        heard.push(event.channel.unwrap_or_default());
    }
    heard.sort();
    let mut expected = channels.to_vec();
    expected.sort();
    assert_eq!(heard, expected);
}

/// Events of one name on a socket within `wait`.
async fn events_named(socket: &mut PusherSocket, name: &str, wait: Duration) -> Vec<crate::ws::Received> {
    let mut found = Vec::new();
    let deadline = tokio::time::Instant::now() + wait;
    while let Some(event) = socket.next_event(deadline.saturating_duration_since(tokio::time::Instant::now())).await {
        if event.event == name {
            found.push(event);
        }
    }
    found
}

#[tokio::test]
async fn the_sender_edits_a_message_in_place_and_the_chat_hears_of_it() {
    let app = TestApp::spawn().await;
    let first = send(&app, app.alice, app.bob, json!({"content": "helo"})).await;
    send(&app, app.bob, app.alice, json!({"content": "hi"})).await;
    let id = first["id"].as_str().unwrap();
    let channels = [private_chat_channel(app.alice.id, app.bob.id), notifications_channel(app.bob.id)];
    let mut bob_socket = subscribed(&app, app.bob, &channels).await;
    let (status, body) = edit(&app, app.alice, id, "  hello  ").await;
    assert_eq!(status, 200, "{body}");
    let edited = &body["message"];
    assert_eq!((&edited["content"], &edited["seq"], &edited["id"]), (&json!("hello"), &json!(1), &first["id"]));
    assert!(edited["editedAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!((&edited["deletedAt"], &edited["changeSeq"]), (&Value::Null, &json!(1)));
    assert_eq!(first["editedAt"], Value::Null);
    // On the chat and on bob's notifications channel (his inbox shows the new text).
    assert_heard_on_both(&mut bob_socket, "message-updated", edited, &channels).await;
    // History keeps the position; the page says how far the changes go.
    let (_, page) = app.get(&format!("{PRIVATE}?chatId={}", app.alice.id), Some(&app.token_for(app.bob))).await;
    assert_eq!((&without_reactions(&page["messages"][0]), &page["changeSeq"]), (edited, &json!(1)));
    assert_eq!(page["messages"][1]["changeSeq"], 0);
    // A second edit takes the next change number.
    let (_, again) = edit(&app, app.alice, id, "hello bob").await;
    assert_eq!((&again["message"]["content"], &again["message"]["changeSeq"]), (&json!("hello bob"), &json!(2)));

    for (body, code) in [
        (json!({"content": "   "}), "empty_content"),
        (json!({}), "empty_content"),
        (json!({"content": "x".repeat(10 * 1024 + 1)}), "content_too_long"),
        (json!({"content": "bell\u{7}"}), "invalid_content"),
        (json!({"content": 5}), "invalid_body"),
    ] {
        let (status, answer) = change(&app, reqwest::Method::PATCH, app.alice, id, Some(body.clone())).await;
        assert_eq!((status, error_code(&answer)), (422, code), "{body}");
    }
    let (status, answer) =
        change(&app, reqwest::Method::PATCH, app.alice, "bad%20id", Some(json!({"content": "x"}))).await;
    assert_eq!((status, error_code(&answer)), (422, "invalid_id"));
    let request =
        app.http.patch(app.url("/api/messages")).bearer_auth(app.token_for(app.alice)).json(&json!({"content": "x"}));
    let (status, answer) = read(request.send().await.unwrap()).await;
    assert_eq!((status, error_code(&answer)), (422, "missing_field"));
    let request = app.http.patch(app.url(&format!("/api/messages?id={id}"))).bearer_auth(app.token_for(app.alice));
    let (status, answer) =
        read(request.header("content-type", "application/json").body("{oops").send().await.unwrap()).await;
    assert_eq!((status, error_code(&answer)), (400, "invalid_json"));
    let (status, _) = read(
        app.http.patch(app.url(&format!("/api/messages?id={id}"))).json(&json!({"content": "x"})).send().await.unwrap(),
    )
    .await;
    assert_eq!(status, 401);
    let (_, page) = app.get(&format!("{PRIVATE}?chatId={}", app.alice.id), Some(&app.token_for(app.bob))).await;
    assert_eq!(
        (&page["messages"][0]["content"], &page["changeSeq"]),
        (&json!("hello bob"), &json!(2)),
        "refusals changed nothing"
    );
}

#[tokio::test]
async fn a_deleted_message_stays_as_a_tombstone_in_its_place() {
    let app = TestApp::spawn().await;
    let file = json!({"type": "FILE", "fileUrl": "https://cdn.example/a.png", "fileName": "a.png", "fileSize": 3, "content": "look"});
    let photo = send(&app, app.alice, app.bob, file).await;
    let id = photo["id"].as_str().unwrap();
    let reply = send(&app, app.bob, app.alice, json!({"content": "nice", "replyToId": id})).await;
    let channels = [private_chat_channel(app.alice.id, app.bob.id), notifications_channel(app.bob.id)];
    let mut bob_socket = subscribed(&app, app.bob, &channels).await;
    let (status, body) = delete(&app, app.alice, id).await;
    assert_eq!(status, 200, "{body}");
    let tombstone = &body["message"];
    assert_eq!((&tombstone["id"], &tombstone["seq"], &tombstone["content"]), (&photo["id"], &json!(1), &json!("")));
    assert_eq!(
        (&tombstone["fileUrl"], &tombstone["fileName"], &tombstone["fileSize"]),
        (&Value::Null, &Value::Null, &Value::Null)
    );
    assert!(tombstone["deletedAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(tombstone["changeSeq"], 1);
    assert_heard_on_both(&mut bob_socket, "message-deleted", tombstone, &channels).await;

    // Again: the same tombstone, nothing announced, no new change.
    let (status, again) = delete(&app, app.alice, id).await;
    assert_eq!((status, &again["message"]), (200, tombstone));
    assert_eq!(events_named(&mut bob_socket, "message-deleted", Duration::from_millis(800)).await.len(), 0);
    // A deleted message cannot be edited back.
    let (status, answer) = edit(&app, app.alice, id, "undo").await;
    assert_eq!((status, error_code(&answer)), (409, "message_deleted"));
    // History keeps the tombstone at its seq, and a reply quotes it as deleted.
    let (_, page) = app.get(&format!("{PRIVATE}?chatId={}", app.alice.id), Some(&app.token_for(app.bob))).await;
    let seqs: Vec<&Value> = page["messages"].as_array().unwrap().iter().map(|m| &m["seq"]).collect();
    assert_eq!(seqs, [&json!(1), &json!(2)]);
    assert_eq!(&without_reactions(&page["messages"][0]), tombstone);
    let quote = &page["messages"][1]["replyTo"];
    assert_eq!(
        (&quote["id"], &quote["content"], &quote["deletedAt"]),
        (&reply["replyTo"]["id"], &json!(""), &tombstone["deletedAt"])
    );
    assert_eq!(reply["replyTo"]["deletedAt"], Value::Null);
    let stored: String =
        app.db().await.query_one(r#"SELECT "content" FROM "Message" WHERE "id" = $1"#, &[&id]).await.unwrap().get(0);
    assert_eq!(stored, "", "the text is gone from the database too");
}

#[tokio::test]
async fn nobody_but_the_sender_edits_or_deletes_and_strangers_learn_nothing() {
    let app = TestApp::spawn().await;
    let dave = app.unique_user(app.carol).await.unwrap();
    let chat_message = send(&app, app.alice, app.bob, json!({"content": "between us"})).await;
    let room = app.joined_room(app.alice, "Team", &[app.bob, dave]).await;
    let room_message = app.send_to_room(app.alice, &room, "team words").await;
    // Dave leaves the room: its messages are closed to him from then on.
    app.leave_room(dave, &room).await;
    let (chat_id, room_id) = (chat_message["id"].as_str().unwrap(), room_message["id"].as_str().unwrap());
    let cases: Vec<(&DemoUser, &str, u16, &str)> = vec![
        (app.bob, chat_id, 403, "not_sender"),
        (app.carol, chat_id, 404, "not_found"),
        (app.bob, room_id, 403, "not_sender"),
        (app.carol, room_id, 404, "not_found"),
        (dave, room_id, 404, "not_found"),
        (app.alice, "no-such-message", 404, "not_found"),
    ];
    for (user, id, status, code) in cases {
        let (got, answer) = edit(&app, user, id, "taken over").await;
        assert_eq!((got, error_code(&answer)), (status, code), "edit {id} by {}", user.handle);
        let (got, answer) = delete(&app, user, id).await;
        assert_eq!((got, error_code(&answer)), (status, code), "delete {id} by {}", user.handle);
    }
    let db = app.db().await;
    let rows = db.query(r#"SELECT "content", "editedAt" IS NULL AND "deletedAt" IS NULL, "changeSeq" FROM "Message" ORDER BY "content""#, &[]).await.unwrap();
    let stored: Vec<(String, bool, i64)> = rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect();
    assert_eq!(stored, [("between us".to_owned(), true, 0), ("team words".to_owned(), true, 0)]);
    // The sender, still a member, may.
    assert_eq!(edit(&app, app.alice, room_id, "team words!").await.0, 200);
    assert_eq!(delete(&app, app.alice, chat_id).await.0, 200);
}

#[tokio::test]
async fn edits_close_after_the_window_but_deletion_stays_open() {
    let mut env = test_env(&migrated_database().await);
    env.insert("MESSAGE_EDIT_WINDOW_SECS".into(), "1".into());
    let app = TestApp::spawn_with(env).await;
    // Clients learn the window from /api/config, to hide "Edit" once it has closed.
    assert_eq!(app.get("/api/config", None).await.1["messageEditWindowSecs"], 1);
    let message = send(&app, app.alice, app.bob, json!({"content": "quick"})).await;
    let id = message["id"].as_str().unwrap();
    assert_eq!(edit(&app, app.alice, id, "quick fix").await.0, 200);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (status, answer) = edit(&app, app.alice, id, "too late").await;
    assert_eq!((status, error_code(&answer)), (403, "edit_window_closed"));
    assert_eq!(delete(&app, app.alice, id).await.0, 200);
}

#[tokio::test]
async fn a_client_that_was_away_catches_up_on_changes_with_changed_after() {
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for i in 1..=4 {
        ids.push(
            send(&app, app.alice, app.bob, json!({"content": format!("m{i}")})).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let bob = app.token_for(app.bob);
    let chat = format!("{PRIVATE}?chatId={}", app.alice.id);
    let (_, seen) = app.get(&chat, Some(&bob)).await;
    assert_eq!((&seen["changeSeq"], seen["messages"].as_array().unwrap().len()), (&json!(0), 4));
    // While Bob is away: m1 edited twice, m3 deleted, m2 edited.
    edit(&app, app.alice, &ids[0], "m1 fixed").await;
    delete(&app, app.alice, &ids[2]).await;
    edit(&app, app.alice, &ids[1], "m2 fixed").await;
    edit(&app, app.alice, &ids[0], "m1 fixed twice").await;
    let (status, changes) = app.get(&format!("{chat}&changedAfter=0"), Some(&bob)).await;
    assert_eq!(status, 200, "{changes}");
    let summary = |page: &Value| -> Vec<(String, i64)> {
        page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["content"].as_str().unwrap().to_owned(), m["changeSeq"].as_i64().unwrap()))
            .collect()
    };
    assert_eq!(
        summary(&changes),
        [("".to_owned(), 2), ("m2 fixed".to_owned(), 3), ("m1 fixed twice".to_owned(), 4)],
        "each message once, latest state, in change order"
    );
    assert_eq!(
        (&changes["changeSeq"], &changes["cursor"]["changedAfter"], &changes["hasMore"]),
        (&json!(4), &json!(4), &json!(false))
    );
    // Paged, and read on from the cursor.
    let (_, first) = app.get(&format!("{chat}&changedAfter=0&limit=2"), Some(&bob)).await;
    assert_eq!(
        (summary(&first).len(), &first["hasMore"], &first["cursor"]["changedAfter"]),
        (2, &json!(true), &json!(3))
    );
    let (_, rest) = app.get(&format!("{chat}&changedAfter=3"), Some(&bob)).await;
    assert_eq!(summary(&rest), [("m1 fixed twice".to_owned(), 4)]);
    let (_, none) = app.get(&format!("{chat}&changedAfter=4"), Some(&bob)).await;
    assert_eq!((summary(&none).len(), &none["cursor"]["changedAfter"]), (0, &json!(4)));
    // Rooms too, members only.
    let room = app.joined_room(app.alice, "Team", &[app.bob]).await;
    let sent = app.send_to_room(app.alice, &room, "r1").await;
    edit(&app, app.alice, sent["id"].as_str().unwrap(), "r1 fixed").await;
    let (_, room_changes) = app.get(&format!("/api/messages/room?roomId={room}&changedAfter=0"), Some(&bob)).await;
    assert_eq!(summary(&room_changes), [("r1 fixed".to_owned(), 1)], "every conversation counts its own changes");
    let (status, _) =
        app.get(&format!("/api/messages/room?roomId={room}&changedAfter=0"), Some(&app.token_for(app.carol))).await;
    assert_eq!(status, 403);
    for query in ["&changedAfter=-1", "&changedAfter=1&after=1", "&changedAfter=1&before=1", "&changedAfter=x"] {
        let (status, body) = app.get(&format!("{chat}{query}"), Some(&bob)).await;
        assert_eq!((status, error_code(&body)), (422, "invalid_query"), "{query}");
    }
}

const REACTIONS: &str = "/api/messages/reactions";

/// `user`'s newest page of their chat with `other`.
async fn history(app: &TestApp, user: &DemoUser, other: &DemoUser) -> Value {
    app.get(&format!("{PRIVATE}?chatId={}", other.id), Some(&app.token_for(user))).await.1
}

async fn react(app: &TestApp, user: &DemoUser, id: &str, emoji: &str) -> (u16, Value) {
    app.post_json(REACTIONS, Some(&app.token_for(user)), &json!({"messageId": id, "emoji": emoji})).await
}

async fn unreact(app: &TestApp, user: &DemoUser, id: &str, emoji: &str) -> (u16, Value) {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("messageId", id)
        .append_pair("emoji", emoji)
        .finish();
    let request = app.http.delete(app.url(&format!("{REACTIONS}?{query}"))).bearer_auth(app.token_for(user));
    read(request.send().await.unwrap()).await
}

#[tokio::test]
async fn reactions_are_counted_per_emoji_announced_and_shown_in_history() {
    let app = TestApp::spawn().await;
    let message = send(&app, app.alice, app.bob, json!({"content": "party tonight"})).await;
    let id = message["id"].as_str().unwrap();
    let mut alice_socket = subscribed(&app, app.alice, &[private_chat_channel(app.alice.id, app.bob.id)]).await;

    let (status, body) = react(&app, app.bob, id, "👍🏽").await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body,
        json!({"messageId": id, "emoji": "👍🏽", "changed": true, "reactions": [{"emoji": "👍🏽", "count": 1, "mine": true}]})
    );
    let event = alice_socket.next_event(WAIT).await.expect("reaction-added");
    assert_eq!(event.event, "reaction-added");
    let chat_id = private_chat_id(app.alice.id, app.bob.id);
    assert_eq!(
        event.data,
        json!({"messageId": id, "conversationId": chat_id, "chatId": chat_id, "seq": 1, "emoji": "👍🏽", "userId": app.bob.id, "count": 1, "changeSeq": 1})
    );
    // Once per user and emoji: a repeat changes and announces nothing.
    let (status, again) = react(&app, app.bob, id, "👍🏽").await;
    assert_eq!((status, &again["changed"]), (200, &json!(false)));
    assert_eq!(react(&app, app.alice, id, "👍🏽").await.0, 201);
    assert_eq!(react(&app, app.alice, id, "🎉").await.0, 201);
    let counts: Vec<i64> = events_named(&mut alice_socket, "reaction-added", Duration::from_secs(1))
        .await
        .iter()
        .map(|e| e.data["count"].as_i64().unwrap())
        .collect();
    assert_eq!(counts, [2, 1], "alice's own 👍🏽 (2) and 🎉 (1); the repeat published nothing");

    // History: counts for everyone, `mine` for the reader, in first-use order.
    let page = history(&app, app.bob, app.alice).await;
    assert_eq!(
        page["messages"][0]["reactions"],
        json!([{"emoji": "👍🏽", "count": 2, "mine": true}, {"emoji": "🎉", "count": 1, "mine": false}])
    );
    assert_eq!((&page["changeSeq"], &page["messages"][0]["changeSeq"]), (&json!(3), &json!(3)));
    let page = history(&app, app.alice, app.bob).await;
    assert_eq!(
        page["messages"][0]["reactions"],
        json!([{"emoji": "👍🏽", "count": 2, "mine": true}, {"emoji": "🎉", "count": 1, "mine": true}])
    );

    let (status, removed) = unreact(&app, app.bob, id, "👍🏽").await;
    assert_eq!((status, &removed["changed"]), (200, &json!(true)), "{removed}");
    assert_eq!(
        removed["reactions"],
        json!([{"emoji": "👍🏽", "count": 1, "mine": false}, {"emoji": "🎉", "count": 1, "mine": false}])
    );
    let event = alice_socket.next_event(WAIT).await.expect("reaction-removed");
    assert_eq!(
        (event.event.as_str(), &event.data["count"], &event.data["userId"]),
        ("reaction-removed", &json!(1), &json!(app.bob.id))
    );
    let (status, none) = unreact(&app, app.bob, id, "👍🏽").await;
    assert_eq!((status, &none["changed"]), (200, &json!(false)));
    // A client that was away learns of them through changedAfter.
    let (_, changes) =
        app.get(&format!("{PRIVATE}?chatId={}&changedAfter=3", app.alice.id), Some(&app.token_for(app.bob))).await;
    assert_eq!(changes["messages"][0]["reactions"][0], json!({"emoji": "👍🏽", "count": 1, "mine": false}));
    assert_eq!(changes["changeSeq"], 4);

    for (body, code) in [
        (json!({"messageId": id, "emoji": "ok"}), "invalid_emoji"),
        (json!({"messageId": id, "emoji": "👍👍"}), "invalid_emoji"),
        (json!({"messageId": id, "emoji": ""}), "invalid_emoji"),
        (json!({"messageId": id}), "missing_field"),
        (json!({"emoji": "👍"}), "missing_field"),
        (json!({"messageId": "bad id", "emoji": "👍"}), "invalid_id"),
        (json!({"messageId": id, "emoji": 1}), "invalid_body"),
    ] {
        let (status, answer) = app.post_json(REACTIONS, Some(&app.token_for(app.bob)), &body).await;
        assert_eq!((status, error_code(&answer)), (422, code), "{body}");
    }
    let (status, answer) = unreact(&app, app.bob, id, "not emoji").await;
    assert_eq!((status, error_code(&answer)), (422, "invalid_emoji"));

    // Deleting the message takes its reactions with it; a tombstone takes no new ones.
    assert_eq!(delete(&app, app.alice, id).await.0, 200);
    let page = history(&app, app.bob, app.alice).await;
    assert_eq!(page["messages"][0]["reactions"], json!([]));
    let (status, answer) = react(&app, app.bob, id, "👍").await;
    assert_eq!((status, error_code(&answer)), (409, "message_deleted"));
}

#[tokio::test]
async fn nobody_reacts_in_a_conversation_that_is_not_theirs() {
    let app = TestApp::spawn().await;
    let dave = app.unique_user(app.carol).await.unwrap();
    let chat_message = send(&app, app.alice, app.bob, json!({"content": "between us"})).await;
    let room = app.joined_room(app.alice, "Team", &[app.bob, dave]).await;
    let room_message = app.send_to_room(app.alice, &room, "team").await;
    app.leave_room(dave, &room).await;
    let mut watcher =
        subscribed(&app, app.alice, &[private_chat_channel(app.alice.id, app.bob.id), room_channel(&room)]).await;
    let (chat_id, room_id) = (chat_message["id"].as_str().unwrap(), room_message["id"].as_str().unwrap());
    for (user, id) in [(app.carol, chat_id), (app.carol, room_id), (dave, room_id), (app.bob, "no-such-message")] {
        let (status, answer) = react(&app, user, id, "👀").await;
        assert_eq!((status, error_code(&answer)), (404, "not_found"), "{} on {id}", user.handle);
        let (status, answer) = unreact(&app, user, id, "👀").await;
        assert_eq!((status, error_code(&answer)), (404, "not_found"), "{} on {id}", user.handle);
    }
    let stored: i64 = app.db().await.query_one(r#"SELECT count(*) FROM "MessageReaction""#, &[]).await.unwrap().get(0);
    assert_eq!(stored, 0);
    assert_eq!(events_named(&mut watcher, "reaction-added", Duration::from_millis(800)).await.len(), 0);
    // Members and participants may, their own messages included.
    assert_eq!(react(&app, app.bob, room_id, "👀").await.0, 201);
    assert_eq!(react(&app, app.alice, chat_id, "👀").await.0, 201);
}

#[tokio::test]
async fn reactions_are_rate_limited_and_capped_per_user_and_message() {
    let mut env = test_env(&migrated_database().await);
    // 20 reactions, a refused 21st emoji, then the limit.
    env.insert("RATE_LIMIT_REACTIONS_PER_MINUTE".into(), "21".into());
    let app = TestApp::spawn_with(env).await;
    let id = send(&app, app.alice, app.bob, json!({"content": "react away"})).await["id"].as_str().unwrap().to_owned();
    let emoji: Vec<String> = (0..21u32).map(|i| char::from_u32(0x1F600 + i).unwrap().to_string()).collect();
    for e in &emoji[..20] {
        assert_eq!(react(&app, app.bob, &id, e).await.0, 201, "{e}");
    }
    let (status, answer) = react(&app, app.bob, &id, &emoji[20]).await;
    assert_eq!((status, error_code(&answer)), (422, "too_many_reactions"));
    let response = app
        .http
        .post(app.url(REACTIONS))
        .bearer_auth(app.token_for(app.bob))
        .json(&json!({"messageId": id, "emoji": emoji[0]}))
        .send()
        .await
        .unwrap();
    let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let (status, answer) = read(response).await;
    assert_eq!((status, error_code(&answer)), (429, "rate_limited"));
    let stored: i64 = app.db().await.query_one(r#"SELECT count(*) FROM "MessageReaction""#, &[]).await.unwrap().get(0);
    assert_eq!(stored, 20);
    // Alice's limit is her own.
    assert_eq!(react(&app, app.alice, &id, &emoji[0]).await.0, 201);
}

/// `user`'s search for `q`: (status, answer).
async fn search(app: &TestApp, user: &DemoUser, q: &str) -> (u16, Value) {
    let query = form_urlencoded::Serializer::new(String::new()).append_pair("q", q).finish();
    app.get(&format!("/api/messages/search?{query}"), Some(&app.token_for(user))).await
}

fn contents(answer: &Value) -> Vec<&str> {
    answer["messages"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn search_finds_words_by_prefix_in_the_callers_own_conversations_only() {
    let app = TestApp::spawn().await;
    let dave = app.unique_user(app.carol).await.unwrap();
    send(&app, app.alice, app.bob, json!({"content": "Pizza tonight?"})).await;
    let second = send(&app, app.bob, app.alice, json!({"content": "pizzas are great, tonight works"})).await;
    let gone = send(&app, app.alice, app.bob, json!({"content": "pizza secret"})).await;
    let typo = send(&app, app.alice, app.bob, json!({"content": "piza party"})).await;
    send(&app, app.bob, app.carol, json!({"content": "pizza without alice"})).await;
    let room = app.joined_room(app.alice, "Team", &[app.bob]).await;
    let in_room = app.send_to_room(app.bob, &room, "Room pizza order").await;
    // A room alice was invited to but never joined, and one she left.
    let (_, invited) = app
        .post_json(
            "/api/rooms",
            Some(&app.token_for(app.carol)),
            &json!({"name": "Closed", "memberIds": [app.alice.id]}),
        )
        .await;
    let invited = invited["room"]["id"].as_str().unwrap().to_owned();
    app.send_to_room(app.carol, &invited, "pizza for members").await;
    let left = app.joined_room(dave, "Team", &[app.alice]).await;
    app.leave_room(app.alice, &left).await;
    app.send_to_room(dave, &left, "pizza after she left").await;
    delete(&app, app.alice, gone["id"].as_str().unwrap()).await;
    edit(&app, app.alice, typo["id"].as_str().unwrap(), "pizza party").await;

    let (status, found) = search(&app, app.alice, "PIZ").await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(
        contents(&found),
        ["Room pizza order", "pizza party", "pizzas are great, tonight works", "Pizza tonight?"],
        "newest first; not the deleted one, not other people's chats, not rooms she is not in"
    );
    assert_eq!((&found["hasMore"], &found["words"]), (&json!(false), &json!(["piz"])));
    let hit = &found["messages"][2];
    assert_eq!(
        (&hit["id"], &hit["seq"], &hit["conversationId"]),
        (&second["id"], &json!(2), &second["conversationId"])
    );
    assert_eq!(found["messages"][0]["conversationId"], format!("room:{room}"));
    assert_eq!(found["messages"][0]["seq"], in_room["seq"]);
    assert_eq!(found["messages"][1]["reactions"], json!([]));
    // Every word must match, each as a prefix; an edit's old text is gone from the index.
    assert_eq!(
        contents(&search(&app, app.alice, "pizza tonig").await.1),
        ["pizzas are great, tonight works", "Pizza tonight?"]
    );
    assert_eq!(contents(&search(&app, app.alice, "piza").await.1), Vec::<&str>::new());
    assert_eq!(contents(&search(&app, app.alice, "secret").await.1), Vec::<&str>::new());
    let (_, paged) = app.get("/api/messages/search?q=pizza&limit=2", Some(&app.token_for(app.alice))).await;
    assert_eq!((contents(&paged).len(), &paged["hasMore"]), (2, &json!(true)));
    // Each user searches their own: carol finds her chat with bob and her room, not alice's chats.
    assert_eq!(contents(&search(&app, app.carol, "pizza").await.1), ["pizza for members", "pizza without alice"]);
    assert_eq!(contents(&search(&app, dave, "pizza").await.1), ["pizza after she left"]);

    for (query, code) in [
        ("/api/messages/search", "missing_field"),
        ("/api/messages/search?q=", "invalid_query"),
        ("/api/messages/search?q=%21%3F%20%27%3A%2A", "invalid_query"),
        ("/api/messages/search?q=pizza&limit=0", "invalid_query"),
        ("/api/messages/search?q=pizza&limit=51", "invalid_query"),
        ("/api/messages/search?q=pizza&limit=x", "invalid_query"),
    ] {
        let (status, body) = app.get(query, Some(&app.token_for(app.alice))).await;
        assert_eq!((status, error_code(&body)), (422, code), "{query}");
    }
    let (status, body) = search(&app, app.alice, &"p".repeat(201)).await;
    assert_eq!((status, error_code(&body)), (422, "invalid_query"));
    // tsquery syntax in a query is only text.
    for q in ["pizza & !order", "'pizza':* | x", "pizza\\", "(pizza", "pizza<->order", "\u{0}pizza"] {
        let (status, body) = search(&app, app.alice, q).await;
        assert_eq!(status, 200, "{q}: {body}");
    }
    assert_eq!(app.get("/api/messages/search?q=pizza", None).await.0, 401);
}

#[tokio::test]
async fn search_reads_small_conversations_and_uses_the_index_in_large_ones_alike() {
    let app = TestApp::spawn().await;
    let room = app.joined_room(app.bob, "Team", &[app.alice]).await;
    // A room over the size searched by reading (2 000), written directly (Prisma-style inserts
    // that the numbering trigger puts in order): every 500th message mentions the word.
    app.db()
        .await
        .execute(
            r#"INSERT INTO "Message" ("id", "senderId", "roomId", "content", "createdAt", "updatedAt")
               SELECT 'big-' || i, $1, $2, CASE WHEN i % 500 = 0 THEN 'quarterly report ' || i ELSE 'chatter ' || i END,
                      now() - ((3000 - i) || ' seconds')::interval, now()
               FROM generate_series(1, 2600) i"#,
            &[&app.bob.id, &room],
        )
        .await
        .unwrap();
    send(&app, app.alice, app.carol, json!({"content": "the report is late"})).await;
    let (status, found) = search(&app, app.alice, "report").await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(
        contents(&found),
        [
            "the report is late",
            "quarterly report 2500",
            "quarterly report 2000",
            "quarterly report 1500",
            "quarterly report 1000",
            "quarterly report 500"
        ],
        "both kinds of conversation, newest first"
    );
    assert_eq!(found["messages"][1]["seq"], 2500);
    // A word in most messages of the large room: the newest page, and more beyond it.
    let (_, common) = app.get("/api/messages/search?q=chatter&limit=3", Some(&app.token_for(app.alice))).await;
    assert_eq!(
        (contents(&common), &common["hasMore"]),
        (vec!["chatter 2600", "chatter 2599", "chatter 2598"], &json!(true))
    );
    // Carol is not in the room: only her chat.
    assert_eq!(contents(&search(&app, app.carol, "report").await.1), ["the report is late"]);
}

#[tokio::test]
async fn the_inbox_shows_an_edited_or_deleted_last_message_as_such_and_does_not_count_it_unread() {
    let app = TestApp::spawn().await;
    send(&app, app.alice, app.bob, json!({"content": "one"})).await;
    let last = send(&app, app.alice, app.bob, json!({"content": "two"})).await;
    let id = last["id"].as_str().unwrap();
    let inbox =
        || async { app.get("/api/conversations", Some(&app.token_for(app.bob))).await.1["conversations"][0].clone() };
    let entry = inbox().await;
    assert_eq!(
        (&entry["unreadCount"], &entry["lastMessage"]["editedAt"], &entry["lastMessage"]["deletedAt"]),
        (&json!(2), &Value::Null, &Value::Null)
    );
    edit(&app, app.alice, id, "two!").await;
    let entry = inbox().await;
    assert_eq!(
        (&entry["lastMessage"]["content"], entry["lastMessage"]["editedAt"].is_string()),
        (&json!("two!"), true)
    );
    delete(&app, app.alice, id).await;
    let entry = inbox().await;
    assert_eq!((&entry["lastMessage"]["content"], entry["lastMessage"]["deletedAt"].is_string()), (&json!(""), true));
    assert_eq!(
        (&entry["unreadCount"], &entry["lastSeq"]),
        (&json!(1), &json!(2)),
        "a deleted message is not waiting to be read"
    );
}
