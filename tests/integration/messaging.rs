//! The messaging API end to end: real PostgreSQL, real sockudo, a websocket subscriber.

use crate::helpers::*;
use crate::helpers::{notifications_channel, presence_user_channel, private_chat_channel, room_channel};
use crate::ws::PusherSocket;
use pusher_chat::demo::DemoUser;
use serde_json::{json, Value};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(5);
const PRIVATE: &str = "/api/messages/private";

async fn send(app: &TestApp, from: &DemoUser, to: &DemoUser, content: &str) -> (u16, Value) {
    app.post_json(PRIVATE, Some(&app.token_for(from)), &json!({"receiverId": to.id, "content": content})).await
}

async fn message_count(app: &TestApp) -> i64 {
    app.db().await.query_one(r#"SELECT count(*) FROM "Message""#, &[]).await.unwrap().get(0)
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
async fn a_private_message_is_saved_numbered_and_published_to_the_chat_and_the_receiver() {
    let app = TestApp::spawn().await;
    let chat = private_chat_channel(app.alice.id, app.bob.id);
    let mut bob_socket = subscribed(&app, app.bob, &[chat.clone(), notifications_channel(app.bob.id)]).await;
    let (status, body) = app
        .post_json(
            PRIVATE,
            Some(&app.token_for(app.alice)),
            &json!({"receiverId": app.bob.id, "content": "  hi bob  ", "clientMessageId": "c-1"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let message = &body["message"];
    assert_eq!(message["content"], "hi bob");
    assert_eq!(message["seq"], 1);
    assert_eq!(message["senderId"], app.alice.id);
    assert_eq!(message["receiverId"], app.bob.id);
    assert_eq!(message["type"], "TEXT");
    assert_eq!(message["isRead"], false);
    assert_eq!(message["readAt"], Value::Null);
    assert_eq!(message["clientMessageId"], "c-1");
    assert_eq!(message["sender"]["firstName"], "Alice");
    assert!(message["createdAt"].as_str().unwrap().ends_with('Z'));
    assert!(message["chatId"].as_str().unwrap().contains(app.bob.id));

    let mut channels_seen = Vec::new();
    for _ in 0..2 {
        let event = bob_socket.next_event(WAIT).await.expect("new-message");
        assert_eq!(event.event, "new-message");
        assert_eq!(&event.data, message);
        channels_seen.push(event.channel.unwrap());
    }
    channels_seen.sort();
    let mut expected = vec![chat, notifications_channel(app.bob.id)];
    expected.sort();
    assert_eq!(channels_seen, expected);

    let (status, second) = send(&app, app.bob, app.alice, "hello alice").await;
    assert_eq!((status, second["message"]["seq"].as_i64()), (201, Some(2)), "one sequence per chat, both directions");
}

#[tokio::test]
async fn the_senders_own_connection_is_left_out() {
    let app = TestApp::spawn().await;
    let chat = private_chat_channel(app.alice.id, app.bob.id);
    let mut alice_socket = subscribed(&app, app.alice, std::slice::from_ref(&chat)).await;
    let mut bob_socket = subscribed(&app, app.bob, std::slice::from_ref(&chat)).await;
    let response = app
        .http
        .post(app.url(PRIVATE))
        .bearer_auth(app.token_for(app.alice))
        .header("x-pusher-socket-id", &alice_socket.socket_id)
        .json(&json!({"receiverId": app.bob.id, "content": "not an echo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(bob_socket.next_event(WAIT).await.unwrap().data["content"], "not an echo");
    send(&app, app.bob, app.alice, "marker").await;
    assert_eq!(alice_socket.next_event(WAIT).await.unwrap().data["content"], "marker", "the first event never came");
}

#[tokio::test]
async fn every_invalid_send_is_refused_with_its_reason_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let token = app.token_for(app.alice);
    let file = |url: &str, name: &str, size: Value| json!({"receiverId": app.bob.id, "type": "FILE", "fileUrl": url, "fileName": name, "fileSize": size});
    let cases: Vec<(Value, u16, &str)> = vec![
        (json!({"content": "hi"}), 422, "missing_field"),
        (json!({"receiverId": "bad id!", "content": "hi"}), 422, "invalid_id"),
        (json!({"receiverId": app.alice.id, "content": "hi"}), 422, "cannot_message_self"),
        (json!({"receiverId": "nobody-here", "content": "hi"}), 422, "receiver_not_found"),
        (json!({"receiverId": app.bob.id, "content": "   "}), 422, "empty_content"),
        (json!({"receiverId": app.bob.id}), 422, "empty_content"),
        (json!({"receiverId": app.bob.id, "content": "x".repeat(10 * 1024 + 1)}), 422, "content_too_long"),
        (json!({"receiverId": app.bob.id, "content": "bell\u{7}"}), 422, "invalid_content"),
        (json!({"receiverId": app.bob.id, "content": 5}), 422, "invalid_body"),
        (json!({"receiverId": app.bob.id, "content": "hi", "type": "VIDEO"}), 422, "invalid_type"),
        (file("javascript:alert(1)", "a.png", json!(1)), 422, "invalid_file_url"),
        (file("data:text/html;base64,AAAA", "a.png", json!(1)), 422, "invalid_file_url"),
        (file("http://cdn.example/a.png", "a.png", json!(1)), 422, "invalid_file_url"),
        (file("https://cdn.example/a.png", "", json!(1)), 422, "invalid_file_name"),
        (file("https://cdn.example/a.png", "a.png", json!(-1)), 422, "invalid_file_size"),
        (
            json!({"receiverId": app.bob.id, "content": "hi", "clientMessageId": "no spaces"}),
            422,
            "invalid_client_message_id",
        ),
        (json!({"receiverId": app.bob.id, "content": "hi", "socketId": "nope"}), 400, "invalid_socket_id"),
    ];
    for (body, status, code) in cases {
        let (got, answer) = app.post_json(PRIVATE, Some(&token), &body).await;
        assert_eq!((got, error_code(&answer)), (status, code), "{body}");
    }
    let raw = |body: &'static str, content_type: &'static str| {
        app.http.post(app.url(PRIVATE)).bearer_auth(&token).header("content-type", content_type).body(body).send()
    };
    let (status, answer) = read(raw("{not json", "application/json").await.unwrap()).await;
    assert_eq!((status, error_code(&answer)), (400, "invalid_json"));
    let (status, answer) = read(raw("content=hi", "application/x-www-form-urlencoded").await.unwrap()).await;
    assert_eq!((status, error_code(&answer)), (415, "unsupported_media_type"));
    let (status, _) = app.post_json(PRIVATE, None, &json!({"receiverId": app.bob.id, "content": "hi"})).await;
    assert_eq!(status, 401);
    assert_eq!(message_count(&app).await, 0);

    // A valid FILE message still goes through afterwards, and none of the refusals spent a token.
    let (status, body) =
        app.post_json(PRIVATE, Some(&token), &file("https://cdn.example/a.png", "a.png", json!(2048))).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["message"]["fileName"], "a.png");
    assert_eq!(body["message"]["content"], "a.png");
    let remaining: f64 = app
        .db()
        .await
        .query_one(r#"SELECT "tokens" FROM "RateLimit" WHERE "key" = $1"#, &[&format!("send:{}", app.alice.id)])
        .await
        .unwrap()
        .get(0);
    assert!(remaining > 8.5 && remaining < 9.5, "one token spent, not {}", 10.0 - remaining);
}

#[tokio::test]
async fn twenty_parallel_sends_let_exactly_ten_through_and_the_rest_get_429_with_retry_after() {
    let app = TestApp::spawn().await;
    let token = app.token_for(app.alice);
    let sends = (0..20).map(|i| {
        app.http
            .post(app.url(PRIVATE))
            .bearer_auth(&token)
            .json(&json!({"receiverId": app.bob.id, "content": format!("burst {i}")}))
            .send()
    });
    let started = std::time::Instant::now();
    let responses = futures_util::future::join_all(sends).await;
    // The bucket refills one token every 6 s; a burst is far shorter, but say so if it was not.
    assert!(started.elapsed() < Duration::from_secs(6), "the burst took {:?}", started.elapsed());
    let mut accepted = 0;
    let mut limited = 0;
    for response in responses {
        let response = response.unwrap();
        match response.status().as_u16() {
            201 => accepted += 1,
            429 => {
                let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
                assert!((1..=60).contains(&retry_after));
                let body: Value = response.json().await.unwrap();
                assert_eq!(body["error"]["code"], "rate_limited");
                limited += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((accepted, limited), (10, 10));
    assert_eq!(message_count(&app).await, 10);
    let seqs: Vec<i64> = app
        .db()
        .await
        .query(r#"SELECT "seq" FROM "Message" ORDER BY "seq""#, &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(seqs, (1..=10).collect::<Vec<_>>(), "refused sends leave no gaps");
}

#[tokio::test]
async fn a_repeated_client_message_id_returns_the_original_once_even_in_parallel() {
    let app = TestApp::spawn().await;
    let token = app.token_for(app.alice);
    let body = json!({"receiverId": app.bob.id, "content": "exactly once", "clientMessageId": "retry-me"});
    let (status, first) = app.post_json(PRIVATE, Some(&token), &body).await;
    assert_eq!(status, 201);
    let (status, again) = app.post_json(PRIVATE, Some(&token), &body).await;
    assert_eq!(status, 200);
    assert_eq!(again["message"], first["message"]);

    let parallel_body = json!({"receiverId": app.bob.id, "content": "parallel", "clientMessageId": "parallel-1"});
    let sends = (0..6).map(|_| app.http.post(app.url(PRIVATE)).bearer_auth(&token).json(&parallel_body).send());
    let mut ids = Vec::new();
    let mut created = 0;
    for response in futures_util::future::join_all(sends).await {
        let (status, body) = read(response.unwrap()).await;
        assert!(status == 201 || status == 200, "{status}: {body}");
        created += (status == 201) as i32;
        ids.push(body["message"]["id"].as_str().unwrap().to_owned());
    }
    ids.dedup();
    assert_eq!((created, ids.len()), (1, 1));
    assert_eq!(message_count(&app).await, 2);
    let (_, next) = send(&app, app.alice, app.bob, "after the retries").await;
    assert_eq!(next["message"]["seq"], 3, "retries consumed no sequence numbers");
    // The same client id from another sender is a different message.
    let (status, _) = app
        .post_json(
            PRIVATE,
            Some(&app.token_for(app.bob)),
            &json!({"receiverId": app.alice.id, "content": "x", "clientMessageId": "retry-me"}),
        )
        .await;
    assert_eq!(status, 201);
}

async fn extra_users(app: &TestApp, count: usize) -> Vec<&'static DemoUser> {
    let mut users = Vec::new();
    for _ in 0..count {
        users.push(app.unique_user(app.carol).await.unwrap());
    }
    users
}

#[tokio::test]
async fn fifty_concurrent_senders_into_one_room_get_sequence_numbers_without_gaps() {
    let app = TestApp::spawn().await;
    let senders = extra_users(&app, 50).await;
    let member_ids: Vec<&str> = senders.iter().map(|u| u.id).collect();
    let (status, created) = app
        .post_json("/api/rooms", Some(&app.token_for(app.alice)), &json!({"name": "Crowd", "memberIds": member_ids}))
        .await;
    assert_eq!(status, 201, "{created}");
    let room_id = created["room"]["id"].as_str().unwrap().to_owned();
    futures_util::future::join_all(senders.iter().map(|user| app.accept_room(user, &room_id))).await;
    let sends = senders.iter().map(|user| {
        app.http
            .post(app.url("/api/messages/room"))
            .bearer_auth(app.token_for(user))
            .json(&json!({"roomId": room_id, "content": format!("from {}", user.id)}))
            .send()
    });
    let mut seqs = Vec::new();
    for response in futures_util::future::join_all(sends).await {
        let (status, body) = read(response.unwrap()).await;
        assert_eq!(status, 201, "{body}");
        seqs.push(body["message"]["seq"].as_i64().unwrap());
    }
    seqs.sort();
    assert_eq!(seqs, (1..=50).collect::<Vec<_>>());
    let (_, page) =
        app.get(&format!("/api/messages/room?roomId={room_id}&limit=100"), Some(&app.token_for(app.alice))).await;
    let listed: Vec<i64> = page["messages"].as_array().unwrap().iter().map(|m| m["seq"].as_i64().unwrap()).collect();
    assert_eq!(listed, (1..=50).collect::<Vec<_>>());
}

#[tokio::test]
async fn history_pages_backwards_and_sync_reads_forwards_by_sequence() {
    let app = TestApp::spawn().await;
    for i in 1..=7 {
        let (from, to) = if i % 2 == 0 { (app.bob, app.alice) } else { (app.alice, app.bob) };
        assert_eq!(send(&app, from, to, &format!("m{i}")).await.0, 201);
    }
    let token = app.token_for(app.alice);
    let seqs = |page: &Value| {
        page["messages"].as_array().unwrap().iter().map(|m| m["seq"].as_i64().unwrap()).collect::<Vec<_>>()
    };
    let chat = format!("{PRIVATE}?chatId={}", app.bob.id);

    let (status, latest) = app.get(&format!("{chat}&limit=3"), Some(&token)).await;
    assert_eq!(status, 200);
    assert_eq!((seqs(&latest), latest["hasMore"].as_bool()), (vec![5, 6, 7], Some(true)));
    assert_eq!(latest["cursor"]["before"], 5);
    let (_, older) = app.get(&format!("{chat}&before=5&limit=3"), Some(&token)).await;
    assert_eq!((seqs(&older), older["hasMore"].as_bool()), (vec![2, 3, 4], Some(true)));
    let (_, oldest) = app.get(&format!("{chat}&before=2&limit=3"), Some(&token)).await;
    assert_eq!((seqs(&oldest), oldest["hasMore"].as_bool()), (vec![1], Some(false)));
    let (_, newer) = app.get(&format!("{chat}&after=4"), Some(&token)).await;
    assert_eq!((seqs(&newer), newer["hasMore"].as_bool()), (vec![5, 6, 7], Some(false)));
    assert_eq!(newer["messages"][2]["content"], "m7");
    let (_, none) = app.get(&format!("{chat}&after=7"), Some(&token)).await;
    assert_eq!(seqs(&none), Vec::<i64>::new());
    // Bob sees the same conversation from his side.
    let (_, bobs) = app.get(&format!("{PRIVATE}?chatId={}&after=0", app.alice.id), Some(&app.token_for(app.bob))).await;
    assert_eq!(seqs(&bobs), (1..=7).collect::<Vec<_>>());

    for (query, code) in [
        ("&after=1&before=3", "invalid_query"),
        ("&limit=0", "invalid_query"),
        ("&limit=101", "invalid_query"),
        ("&after=-1", "invalid_query"),
        ("&before=x", "invalid_query"),
    ] {
        let (status, body) = app.get(&format!("{chat}{query}"), Some(&token)).await;
        assert_eq!((status, error_code(&body)), (422, code), "{query}");
    }
    let (status, _) = app.get(&format!("{PRIVATE}?chatId=nobody-at-all"), Some(&token)).await;
    assert_eq!(status, 404);
    let (status, _) = app.get(&chat, None).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn nobody_reads_a_chat_they_are_not_in() {
    let app = TestApp::spawn().await;
    send(&app, app.alice, app.bob, "private words").await;
    let carol_token = app.token_for(app.carol);
    for other in [app.alice.id, app.bob.id] {
        let (status, page) = app.get(&format!("{PRIVATE}?chatId={other}"), Some(&carol_token)).await;
        assert_eq!(status, 200);
        assert_eq!(page["messages"].as_array().unwrap().len(), 0, "carol's chat with {other} is her own");
    }
    let socket = PusherSocket::connect().await;
    let (status, _) =
        app.channel_auth(Some(&carol_token), &socket.socket_id, &private_chat_channel(app.alice.id, app.bob.id)).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn reading_updates_unread_counts_and_tells_the_sender_once() {
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for i in 1..=3 {
        let (_, body) = send(&app, app.alice, app.bob, &format!("m{i}")).await;
        ids.push(body["message"]["id"].as_str().unwrap().to_owned());
    }
    let bob_token = app.token_for(app.bob);
    let unread = |inbox: &Value| inbox["conversations"][0]["unreadCount"].as_i64().unwrap();
    let (_, inbox) = app.get("/api/conversations", Some(&bob_token)).await;
    assert_eq!(unread(&inbox), 3);

    let mut alice_socket = subscribed(&app, app.alice, &[private_chat_channel(app.alice.id, app.bob.id)]).await;
    let (status, body) =
        app.post_json("/api/messages/read", Some(&bob_token), &json!({"chatId": app.alice.id, "upToSeq": 2})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["messageIds"], json!(ids[..2]));
    let event = alice_socket.next_event(WAIT).await.expect("message-read");
    assert_eq!(event.event, "message-read");
    assert_eq!(event.data["messageIds"], json!(ids[..2]));
    assert_eq!(event.data["messageId"], ids[1].as_str());
    assert_eq!(event.data["readBy"], app.bob.id);
    assert!(event.data["readAt"].as_str().unwrap().ends_with('Z'));
    let (_, inbox) = app.get("/api/conversations", Some(&bob_token)).await;
    assert_eq!(unread(&inbox), 1);

    // Again: nothing changes and nothing is published.
    let (_, again) =
        app.post_json("/api/messages/read", Some(&bob_token), &json!({"chatId": app.alice.id, "upToSeq": 2})).await;
    assert_eq!(again["messageIds"], json!([]));
    // Alice cannot mark her own sent message read on Bob's behalf.
    let (_, hers) =
        app.post_json("/api/messages/read", Some(&app.token_for(app.alice)), &json!({"messageIds": [ids[2]]})).await;
    assert_eq!(hers["messageIds"], json!([]));
    let (_, page) = app.get(&format!("{PRIVATE}?chatId={}", app.bob.id), Some(&app.token_for(app.alice))).await;
    assert_eq!(page["messages"][2]["isRead"], false);

    let (_, by_id) = app.post_json("/api/messages/read", Some(&bob_token), &json!({"messageIds": [ids[2]]})).await;
    assert_eq!(by_id["messageIds"], json!([ids[2]]));
    let next = alice_socket.next_event(WAIT).await.expect("second message-read");
    assert_eq!(next.data["messageIds"], json!([ids[2]]), "the repeated read published nothing");
    let (_, inbox) = app.get("/api/conversations", Some(&bob_token)).await;
    assert_eq!(unread(&inbox), 0);
    let (_, page) = app.get(&format!("{PRIVATE}?chatId={}", app.bob.id), Some(&app.token_for(app.alice))).await;
    assert!(page["messages"].as_array().unwrap().iter().all(|m| m["isRead"] == true && m["readAt"].is_string()));

    for body in [
        json!({}),
        json!({"chatId": app.alice.id}),
        json!({"chatId": app.alice.id, "upToSeq": -1}),
        json!({"messageIds": []}),
        json!({"chatId": app.alice.id, "upToSeq": 1, "messageIds": ["x"]}),
    ] {
        let (status, answer) = app.post_json("/api/messages/read", Some(&bob_token), &body).await;
        assert_eq!(status, 422, "{body}: {answer}");
    }
}

#[tokio::test]
async fn typing_events_reach_the_other_side_at_most_once_a_second() {
    let app = TestApp::spawn().await;
    let mut bob_socket = subscribed(&app, app.bob, &[private_chat_channel(app.alice.id, app.bob.id)]).await;
    let token = app.token_for(app.alice);
    let burst = (0..10).map(|_| {
        app.http
            .post(app.url("/api/typing"))
            .bearer_auth(&token)
            .json(&json!({"chatId": app.bob.id, "typing": true}))
            .send()
    });
    let started = std::time::Instant::now();
    let mut sent = 0;
    for response in futures_util::future::join_all(burst).await {
        let (status, body) = read(response.unwrap()).await;
        assert_eq!(status, 202);
        sent += (body["sent"] == true) as usize;
    }
    // One event per second: a burst that a loaded machine stretches past a second may earn one more.
    let allowed = 1 + started.elapsed().as_secs() as usize;
    assert!((1..=allowed).contains(&sent), "{sent} typing events went out in a burst of 10 (at most {allowed})");
    let events = events_named(&mut bob_socket, "typing-start", Duration::from_millis(800)).await;
    assert_eq!(events.len(), sent);
    assert_eq!(events[0].data["userId"], app.alice.id);
    assert_eq!(events[0].data["userName"], "Alice Anders");
    assert!(events[0].data["chatId"].as_str().unwrap().contains(app.alice.id));

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, body) =
        app.post_json("/api/typing", Some(&token), &json!({"chatId": app.bob.id, "typing": false})).await;
    assert_eq!((status, body["sent"].as_bool()), (202, Some(true)));
    assert_eq!(bob_socket.next_event(WAIT).await.unwrap().event, "typing-stop");

    // A stop right after a start always goes out, or the other side's indicator would stick.
    let start = json!({"chatId": app.bob.id, "typing": true});
    let stop = json!({"chatId": app.bob.id, "typing": false});
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(app.post_json("/api/typing", Some(&token), &start).await.1["sent"], true);
    assert_eq!(app.post_json("/api/typing", Some(&token), &stop).await.1["sent"], true);
    assert_eq!(app.post_json("/api/typing", Some(&token), &start).await.1["sent"], false, "starts stay throttled");
    // Both arrive (in either order: each is its own Pusher call); `at` orders them.
    let mut events: Vec<_> = [bob_socket.next_event(WAIT).await, bob_socket.next_event(WAIT).await]
        .into_iter()
        .map(|e| e.expect("typing event"))
        .collect();
    events.sort_by_key(|e| e.data["at"].as_str().unwrap_or("").to_owned());
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        names,
        ["typing-start", "typing-stop"],
        "{:?}",
        events.iter().map(|e| &e.data["at"]).collect::<Vec<_>>()
    );

    for body in [
        json!({"typing": true}),
        json!({"chatId": app.alice.id, "typing": true}),
        json!({"chatId": app.bob.id}),
        json!({"chatId": app.bob.id, "roomId": "r", "typing": true}),
    ] {
        let (status, _) = app.post_json("/api/typing", Some(&token), &body).await;
        assert_eq!(status, 422, "{body}");
    }
}

#[tokio::test]
async fn the_inbox_lists_chats_and_rooms_by_recency_with_last_messages() {
    let app = TestApp::spawn().await;
    send(&app, app.alice, app.bob, "to bob").await;
    let (_, room) = app
        .post_json(
            "/api/rooms",
            Some(&app.token_for(app.carol)),
            &json!({"name": "Book club", "memberIds": [app.alice.id]}),
        )
        .await;
    app.accept_room(app.alice, room["room"]["id"].as_str().unwrap()).await;
    let (_, latest) = send(&app, app.carol, app.alice, "to alice from carol").await;
    let (_, inbox) = app.get("/api/conversations", Some(&app.token_for(app.alice))).await;
    let entries = inbox["conversations"].as_array().unwrap();
    assert_eq!(entries.len(), 3, "{inbox}");
    assert_eq!(entries[0]["otherUser"]["id"], app.carol.id);
    assert_eq!(entries[0]["lastMessage"]["content"], "to alice from carol");
    assert_eq!(
        entries[0]["lastMessage"]["createdAt"], latest["message"]["createdAt"],
        "times read the same everywhere"
    );
    assert_eq!(entries[0]["unreadCount"], 1);
    assert_eq!(entries[1]["otherUser"]["firstName"], "Bob");
    assert_eq!(entries[1]["unreadCount"], 0, "own messages are never unread");
    assert_eq!(entries[2]["kind"], "room");
    assert_eq!(entries[2]["room"]["id"], room["room"]["id"]);
    assert_eq!(entries[2]["room"]["name"], "Book club");
    let (_, bobs) = app.get("/api/conversations", Some(&app.token_for(app.bob))).await;
    assert_eq!(bobs["conversations"].as_array().unwrap().len(), 1);
    let (status, _) = app.get("/api/conversations?limit=0", Some(&app.token_for(app.bob))).await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn rooms_enforce_membership_on_every_route_and_on_the_channel() {
    let app = TestApp::spawn().await;
    let (alice_token, carol_token) = (app.token_for(app.alice), app.token_for(app.carol));
    let (status, created) = app
        .post_json(
            "/api/rooms",
            Some(&alice_token),
            &json!({"name": "  Team  ", "memberIds": [app.bob.id, app.bob.id]}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let room_id = created["room"]["id"].as_str().unwrap().to_owned();
    assert_eq!(created["room"]["name"], "Team");
    assert_eq!(created["room"]["memberIds"], json!([app.alice.id]));
    assert_eq!(created["room"]["invitedIds"], json!([app.bob.id]));
    app.accept_room(app.bob, &room_id).await;

    let channel = room_channel(&room_id);
    let mut bob_socket = subscribed(&app, app.bob, std::slice::from_ref(&channel)).await;
    let (status, sent) = app
        .post_json(
            &format!("/api/messages/room?roomId={room_id}"),
            Some(&alice_token),
            &json!({"content": "hello team"}),
        )
        .await;
    assert_eq!(status, 201, "{sent}");
    assert_eq!(sent["message"]["roomId"], room_id.as_str());
    assert_eq!(sent["message"]["seq"], 1);
    let event = bob_socket.next_event(WAIT).await.unwrap();
    assert_eq!((event.event.as_str(), event.channel.as_deref()), ("new-message", Some(channel.as_str())));

    let socket = PusherSocket::connect().await;
    let (status, _) = app.channel_auth(Some(&carol_token), &socket.socket_id, &channel).await;
    assert_eq!(status, 403);
    let (status, body) = app.get(&format!("/api/messages/room?roomId={room_id}"), Some(&carol_token)).await;
    assert_eq!((status, error_code(&body)), (403, "not_a_member"));
    let (status, _) = app
        .post_json("/api/messages/room", Some(&carol_token), &json!({"roomId": room_id, "content": "let me in"}))
        .await;
    assert_eq!(status, 403);
    let (status, _) =
        app.post_json("/api/typing", Some(&carol_token), &json!({"roomId": room_id, "typing": true})).await;
    assert_eq!(status, 403);
    let (status, _) =
        app.post_json("/api/messages/read", Some(&carol_token), &json!({"roomId": room_id, "upToSeq": 1})).await;
    assert_eq!(status, 403);
    let (status, _) = app.get("/api/messages/room?roomId=no-such-room", Some(&alice_token)).await;
    assert_eq!(status, 404);

    let (status, body) =
        app.post_json("/api/rooms", Some(&alice_token), &json!({"name": "Ghosts", "memberIds": ["ghost-1"]})).await;
    assert_eq!((status, error_code(&body)), (422, "unknown_members"));
    let (status, _) = app.post_json("/api/rooms", Some(&alice_token), &json!({"name": " ", "memberIds": []})).await;
    assert_eq!(status, 422);
    let rooms: i64 = app.db().await.query_one(r#"SELECT count(*) FROM "Room""#, &[]).await.unwrap().get(0);
    assert_eq!(rooms, 1, "refused rooms leave nothing behind");

    let (_, read) = app
        .post_json("/api/messages/read", Some(&app.token_for(app.bob)), &json!({"roomId": room_id, "upToSeq": 1}))
        .await;
    assert_eq!(read["readBy"], app.bob.id);
    let (_, inbox) = app.get("/api/conversations", Some(&app.token_for(app.bob))).await;
    assert_eq!(inbox["conversations"][0]["unreadCount"], 0);
}

#[tokio::test]
async fn presence_updates_are_recorded_announced_and_throttled() {
    let app = TestApp::spawn().await;
    send(&app, app.alice, app.bob, "hi").await;
    let mut bob_socket = subscribed(&app, app.bob, &[presence_user_channel(app.alice.id)]).await;
    let token = app.token_for(app.alice);
    let (status, body) = app.post_json("/api/presence", Some(&token), &json!({"status": "away"})).await;
    assert_eq!((status, body["changed"].as_bool()), (200, Some(true)), "{body}");
    let event = events_named(&mut bob_socket, "user-status-change", Duration::from_secs(2)).await;
    assert_eq!(event.len(), 1);
    assert_eq!(event[0].data["status"], "away");
    assert_eq!(event[0].data["userId"], app.alice.id);
    let (_, again) = app.post_json("/api/presence", Some(&token), &json!({"status": "away"})).await;
    assert_eq!(again["changed"], false);
    let (status, _) = app.post_json("/api/presence", Some(&token), &json!({"status": "sleeping"})).await;
    assert_eq!(status, 422);
    let mut limited = None;
    for _ in 0..5 {
        let response = app
            .http
            .post(app.url("/api/presence"))
            .bearer_auth(&token)
            .json(&json!({"status": "online"}))
            .send()
            .await
            .unwrap();
        if response.status() == 429 {
            limited = Some(response.headers()["retry-after"].to_str().unwrap().to_owned());
            break;
        }
    }
    assert!(limited.is_some(), "presence updates are throttled");
}

#[tokio::test]
async fn a_send_succeeds_while_the_pusher_server_is_down() {
    let mut env = test_env(&migrated_database().await);
    env.insert("PUSHER_PORT".into(), closed_port().to_string());
    let app = TestApp::spawn_with(env).await;
    let (status, body) = send(&app, app.alice, app.bob, "saved anyway").await;
    assert_eq!(status, 201, "{body}");
    let (_, page) = app.get(&format!("{PRIVATE}?chatId={}&after=0", app.alice.id), Some(&app.token_for(app.bob))).await;
    assert_eq!(page["messages"][0]["content"], "saved anyway");
}

#[tokio::test]
async fn a_message_too_big_for_one_event_is_announced_without_its_text() {
    let app = TestApp::spawn().await;
    let mut bob_socket = subscribed(&app, app.bob, &[notifications_channel(app.bob.id)]).await;
    let content = "\"quoted\" ".repeat(1000);
    let (status, body) = send(&app, app.alice, app.bob, &content).await;
    assert_eq!(status, 201, "{body}");
    let event = bob_socket.next_event(WAIT).await.expect("a new-message event despite the size");
    assert_eq!(event.data["truncated"], true);
    assert_eq!(event.data["id"], body["message"]["id"]);
    let (_, page) = app.get(&format!("{PRIVATE}?chatId={}", app.alice.id), Some(&app.token_for(app.bob))).await;
    assert_eq!(page["messages"][0]["content"].as_str().unwrap(), content.trim());
}

#[tokio::test]
async fn typing_to_an_unknown_user_is_refused_and_idle_buckets_are_pruned() {
    let app = TestApp::spawn().await;
    let token = app.token_for(app.alice);
    let (status, body) =
        app.post_json("/api/typing", Some(&token), &json!({"chatId": "nobody-here", "typing": true})).await;
    assert_eq!((status, error_code(&body)), (422, "receiver_not_found"));
    let db = app.db().await;
    let bucket = format!("typing:{}:nobody-here", app.alice.id);
    let count = |key: String| {
        let db = &db;
        async move {
            db.query_one(r#"SELECT count(*) FROM "RateLimit" WHERE "key" = $1"#, &[&key])
                .await
                .unwrap()
                .get::<_, i64>(0)
        }
    };
    assert_eq!(count(bucket).await, 0, "a refused typing event leaves no bucket");

    db.execute(
        r#"INSERT INTO "RateLimit" ("key", "tokens", "updatedAt") VALUES ('idle', 0, (now() AT TIME ZONE 'UTC') - interval '2 hours'),
               ('recent', 0, now() AT TIME ZONE 'UTC')"#,
        &[],
    )
    .await
    .unwrap();
    let pruned = pusher_chat::db::rate_limit::prune_idle_buckets(&db, 1000).await.unwrap();
    assert!(pruned >= 1);
    assert_eq!((count("idle".into()).await, count("recent".into()).await), (0, 1));
}

#[tokio::test]
async fn a_read_receipt_for_hundreds_of_messages_arrives_in_parts_under_the_event_limit() {
    let app = TestApp::spawn().await;
    // 300 messages from alice to bob, written directly (the send limit is 10 a minute); the
    // numbering trigger gives them seq 1..=300.
    app.db()
        .await
        .execute(
            r#"INSERT INTO "Message" ("id", "senderId", "receiverId", "content", "updatedAt")
               SELECT gen_random_uuid()::text, $1, $2, 'hello ' || i, now() FROM generate_series(1, 300) AS i"#,
            &[&app.alice.id, &app.bob.id],
        )
        .await
        .unwrap();
    let mut alice_socket = subscribed(&app, app.alice, &[private_chat_channel(app.alice.id, app.bob.id)]).await;
    let token = app.token_for(app.bob);
    let (status, receipt) =
        app.post_json("/api/messages/read", Some(&token), &json!({"chatId": app.alice.id, "upToSeq": 300})).await;
    assert_eq!(status, 200, "{receipt}");
    assert_eq!(receipt["messageIds"].as_array().unwrap().len(), 300);
    let events = events_named(&mut alice_socket, "message-read", Duration::from_secs(3)).await;
    assert!(events.len() >= 3, "300 ids need several events, got {}", events.len());
    let mut announced = Vec::new();
    for event in &events {
        assert!(event.data.to_string().len() <= 10 * 1024, "every part fits Pusher's limit");
        assert_eq!(event.data["upToSeq"], 300);
        announced.extend(event.data["messageIds"].as_array().unwrap().iter().cloned());
    }
    assert_eq!(announced, receipt["messageIds"].as_array().unwrap().clone(), "every id once, in order");
}

#[tokio::test]
async fn a_message_id_with_a_nul_character_is_422_not_500() {
    let app = TestApp::spawn().await;
    let token = app.token_for(app.bob);
    let (status, body) =
        app.post_json("/api/messages/read", Some(&token), &json!({"messageIds": ["a\u{0}b", "ok-id"]})).await;
    assert_eq!((status, error_code(&body)), (422, "invalid_id"));
}

#[tokio::test]
async fn a_member_can_leave_a_room_and_is_then_shut_out_of_it() {
    let app = TestApp::spawn().await;
    let (alice, bob) = (app.token_for(app.alice), app.token_for(app.bob));
    let room_id = app.joined_room(app.alice, "Team", &[app.bob]).await;
    let channel = room_channel(&room_id);
    let mut alice_socket = subscribed(&app, app.alice, std::slice::from_ref(&channel)).await;
    let leave = |token: String, room: String| {
        let request = app.http.delete(app.url(&format!("/api/rooms?roomId={room}"))).bearer_auth(token).send();
        async move { read(request.await.unwrap()).await }
    };

    let (status, body) = leave(bob.clone(), room_id.clone()).await;
    assert_eq!(status, 200, "{body}");
    // Bob's `room-member-joined` goes out after his accept's answer and may still be on its way.
    let left = events_named(&mut alice_socket, "room-member-left", WAIT).await;
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0].data["userId"], json!(app.bob.id));
    let (status, body) = app.get(&format!("/api/messages/room?roomId={room_id}"), Some(&bob)).await;
    assert_eq!((status, error_code(&body)), (403, "not_a_member"));
    let socket = PusherSocket::connect().await;
    assert_eq!(app.channel_auth(Some(&bob), &socket.socket_id, &channel).await.0, 403);
    let (status, body) = leave(bob.clone(), room_id.clone()).await;
    assert_eq!((status, error_code(&body)), (403, "not_a_member"), "leaving twice");
    let (status, body) = leave(bob, "no-such-room".into()).await;
    assert_eq!((status, error_code(&body)), (404, "not_found"));
    // Alice, still a member, keeps the room.
    assert_eq!(app.get(&format!("/api/messages/room?roomId={room_id}"), Some(&alice)).await.0, 200);
}

#[tokio::test]
async fn room_creation_is_rate_limited_per_user() {
    let app = TestApp::spawn().await;
    let token = app.token_for(app.carol);
    for i in 0..10 {
        let (status, body) = app.post_json("/api/rooms", Some(&token), &json!({"name": format!("room {i}")})).await;
        assert_eq!(status, 201, "{body}");
    }
    let response = app
        .http
        .post(app.url("/api/rooms"))
        .bearer_auth(&token)
        .json(&json!({"name": "one too many"}))
        .send()
        .await
        .unwrap();
    let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((300..=360).contains(&retry_after), "one room every 6 minutes, not {retry_after} s");
    let (status, body) = read(response).await;
    assert_eq!((status, error_code(&body)), (429, "rate_limited"));
}

#[tokio::test]
async fn reading_a_room_tells_its_members_how_far_the_reader_got() {
    let app = TestApp::spawn().await;
    let (alice, bob) = (app.token_for(app.alice), app.token_for(app.bob));
    let room_id = app.joined_room(app.alice, "Team", &[app.bob]).await;
    for i in 1..=2 {
        let body = json!({"roomId": room_id, "content": format!("r{i}")});
        assert_eq!(app.post_json("/api/messages/room", Some(&alice), &body).await.0, 201);
    }
    let mut alice_socket = subscribed(&app, app.alice, &[room_channel(&room_id)]).await;
    let read = json!({"roomId": room_id, "upToSeq": 2});
    let (status, body) = app.post_json("/api/messages/read", Some(&bob), &read).await;
    assert_eq!(status, 200, "{body}");
    // Room messages have no per-message read flag: the event carries the position.
    let events = events_named(&mut alice_socket, "message-read", Duration::from_secs(2)).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].data["upToSeq"], 2);
    assert_eq!(events[0].data["readBy"], app.bob.id);
    assert_eq!(events[0].data["conversationId"], format!("room:{room_id}"));
    assert_eq!(events[0].data["messageIds"], json!([]));
    // The same position again moves nothing and announces nothing.
    assert_eq!(app.post_json("/api/messages/read", Some(&bob), &read).await.0, 200);
    assert_eq!(events_named(&mut alice_socket, "message-read", Duration::from_secs(2)).await.len(), 0);
}
