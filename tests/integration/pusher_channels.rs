//! `/api/pusher/auth`, `/api/pusher/user-auth` and delivery through the real sockudo.

use crate::helpers::*;
use crate::helpers::{notifications_channel, presence_user_channel, private_chat_channel};
use crate::ws::PusherSocket;
use pusher_chat::pusher::BatchEvent;
use serde_json::json;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(5);

/// Authorizes through the endpoint, then subscribes with what it returned.
async fn authorized_subscribe(
    app: &TestApp,
    socket: &mut PusherSocket,
    token: &str,
    channel: &str,
) -> Result<(), String> {
    let (status, body) = app.channel_auth(Some(token), &socket.socket_id, channel).await;
    if status != 200 {
        return Err(format!("auth endpoint said {status}: {body}"));
    }
    socket.subscribe(channel, body["auth"].as_str(), body["channel_data"].as_str()).await
}

/// Whether `watcher` gets a presence channel authorization for `watched`.
async fn may_watch(
    app: &TestApp,
    watcher: &pusher_chat::demo::DemoUser,
    watched: &pusher_chat::demo::DemoUser,
) -> bool {
    let channel = presence_user_channel(watched.id);
    let (status, body) = app.channel_auth(Some(&app.token_for(watcher)), "123.456", &channel).await;
    assert!(status == 200 || (status == 403 && error_code(&body) == "channel_forbidden"), "{status}: {body}");
    status == 200
}

#[tokio::test]
async fn presence_shows_only_to_people_the_user_has_written_to() {
    let app = TestApp::spawn().await;
    let (alice, carol) = (app.alice, app.carol);
    let alice_in_carols_inbox = |inbox: serde_json::Value| {
        let entries = inbox["conversations"].as_array().unwrap().clone();
        entries.into_iter().find(|c| c["otherUser"]["id"] == alice.id).map(|c| c["otherUser"].clone())
    };
    // A stranger's unsolicited message shows the stranger nothing of alice…
    let (status, _) = app
        .post_json(
            "/api/messages/private",
            Some(&app.token_for(carol)),
            &json!({"receiverId": alice.id, "content": "hi"}),
        )
        .await;
    assert_eq!(status, 201);
    assert!(!may_watch(&app, carol, alice).await, "carol wrote to alice; alice never answered");
    assert!(may_watch(&app, alice, carol).await, "carol engaged alice, so alice may see carol");
    let shown = alice_in_carols_inbox(app.get("/api/conversations", Some(&app.token_for(carol))).await.1).unwrap();
    assert_eq!((&shown["status"], &shown["lastActive"]), (&json!(null), &json!(null)), "{shown}");

    // …nor does putting alice in a room with the stranger…
    let (status, room) = app
        .post_json("/api/rooms", Some(&app.token_for(app.bob)), &json!({"name": "Strangers", "memberIds": [alice.id]}))
        .await;
    assert_eq!(status, 201, "{room}");
    let room_id = room["room"]["id"].as_str().unwrap();
    assert!(!may_watch(&app, app.bob, alice).await, "an invitation alice has not accepted");
    app.accept_room(alice, room_id).await;
    assert!(!may_watch(&app, app.bob, alice).await, "sharing a room alice never wrote in");
    // …until alice writes there (bob may then watch her) or answers carol.
    let (status, _) = app
        .post_json(
            "/api/messages/room",
            Some(&app.token_for(alice)),
            &json!({"roomId": room_id, "content": "hello all"}),
        )
        .await;
    assert_eq!(status, 201);
    assert!(may_watch(&app, app.bob, alice).await);
    assert!(!may_watch(&app, carol, alice).await, "a room message of alice's is not one to carol");
    let (status, _) = app
        .post_json(
            "/api/messages/private",
            Some(&app.token_for(alice)),
            &json!({"receiverId": carol.id, "content": "hey"}),
        )
        .await;
    assert_eq!(status, 201);
    assert!(may_watch(&app, carol, alice).await);
    let shown = alice_in_carols_inbox(app.get("/api/conversations", Some(&app.token_for(carol))).await.1).unwrap();
    assert!(shown["status"].is_string(), "{shown}");
}

#[tokio::test]
async fn each_channel_kind_subscribes_and_receives_a_triggered_event() {
    let app = TestApp::spawn().await;
    // Alice has written to bob, so bob may watch her presence.
    app.insert_message(app.alice, app.bob).await;
    let alice_token = app.token_for(app.alice);
    let bob_token = app.token_for(app.bob);
    let channels = [
        (alice_token.clone(), private_chat_channel(app.alice.id, app.bob.id)),
        (bob_token.clone(), private_chat_channel(app.alice.id, app.bob.id)),
        (alice_token.clone(), notifications_channel(app.alice.id)),
        (alice_token.clone(), presence_user_channel(app.alice.id)),
        (bob_token.clone(), presence_user_channel(app.alice.id)),
    ];
    for (token, channel) in channels {
        let mut socket = PusherSocket::connect().await;
        authorized_subscribe(&app, &mut socket, &token, &channel).await.unwrap_or_else(|e| panic!("{channel}: {e}"));
        let payload = json!({"channel": channel, "n": 1});
        app.ctx.pusher.trigger(std::slice::from_ref(&channel), "new-message", &payload, None).await.unwrap();
        let received = socket.next_event(WAIT).await.unwrap_or_else(|| panic!("no event on {channel}"));
        assert_eq!(received.event, "new-message");
        assert_eq!(received.channel.as_deref(), Some(channel.as_str()));
        assert_eq!(received.data, payload);
        socket.close().await;
    }
}

#[tokio::test]
async fn presence_channel_data_carries_the_profile_and_is_signed_verbatim() {
    let app = TestApp::spawn().await;
    let socket = PusherSocket::connect().await;
    let channel = presence_user_channel(app.alice.id);
    let (status, body) = app.channel_auth(Some(&app.token_for(app.alice)), &socket.socket_id, &channel).await;
    assert_eq!(status, 200, "{body}");
    let data: serde_json::Value = serde_json::from_str(body["channel_data"].as_str().unwrap()).unwrap();
    assert_eq!(data["user_id"], app.alice.id);
    assert_eq!(data["user_info"]["name"], "Alice Anders");
    assert_eq!(data["user_info"]["avatar"], "/avatars/alice.svg");
}

#[tokio::test]
async fn refused_channels_are_refused_by_the_endpoint_and_by_the_server() {
    let app = TestApp::spawn().await;
    let (alice_token, carol_token) = (app.token_for(app.alice), app.token_for(app.carol));
    let mut socket = PusherSocket::connect().await;
    let sid = socket.socket_id.clone();
    let chat = private_chat_channel(app.alice.id, app.bob.id);
    let (low, high) = if app.alice.id < app.bob.id { (app.alice.id, app.bob.id) } else { (app.bob.id, app.alice.id) };
    let unsorted = format!("private-chat-{high}-{low}");
    let with_self = format!("private-chat-{}-{}", app.alice.id, app.alice.id);
    let with_stranger = private_chat_channel(app.alice.id, "not-a-user");
    let cases: Vec<(Option<&str>, &str, String, u16, &str)> = vec![
        (Some(&carol_token), &sid, chat.clone(), 403, "channel_forbidden"),
        (Some(&alice_token), &sid, unsorted, 403, "channel_forbidden"),
        (Some(&alice_token), &sid, with_self, 403, "channel_forbidden"),
        (Some(&alice_token), &sid, with_stranger, 403, "channel_forbidden"),
        (Some(&alice_token), &sid, notifications_channel(app.bob.id), 403, "channel_forbidden"),
        (Some(&carol_token), &sid, presence_user_channel(app.alice.id), 403, "channel_forbidden"),
        (Some(&alice_token), &sid, "private-room-r1".into(), 403, "not_a_member"),
        (Some(&alice_token), &sid, "private-anything".into(), 403, "channel_forbidden"),
        (Some(&alice_token), &sid, "presence-lobby".into(), 403, "channel_forbidden"),
        (Some(&alice_token), &sid, "private-chat-a:b".into(), 400, "invalid_channel_name"),
        (Some(&alice_token), &sid, "x".repeat(201), 400, "invalid_channel_name"),
        (Some(&alice_token), "12.ab", chat.clone(), 400, "invalid_socket_id"),
        (None, &sid, chat.clone(), 401, "missing_token"),
        (Some("forged.token.here"), &sid, chat.clone(), 401, "invalid_token"),
    ];
    for (token, socket_id, channel, status, code) in cases {
        let (got, body) = app.channel_auth(token, socket_id, &channel).await;
        assert_eq!(got, status, "{channel}: {body}");
        assert_eq!(error_code(&body), code, "{channel}");
    }
    // Without the endpoint's signature the server refuses the subscription too.
    let forged = format!("{}:{}", std::env::var("PUSHER_KEY").unwrap(), "0".repeat(64));
    assert!(socket.subscribe(&chat, Some(&forged), None).await.is_err());
    let mut carol_socket = PusherSocket::connect().await;
    assert!(authorized_subscribe(&app, &mut carol_socket, &carol_token, &chat).await.is_err());
}

#[tokio::test]
async fn json_bodies_are_accepted_like_forms() {
    let app = TestApp::spawn().await;
    let socket = PusherSocket::connect().await;
    let body = json!({"socket_id": socket.socket_id, "channel_name": notifications_channel(app.alice.id)});
    let (status, answer) = app.post_json("/api/pusher/auth", Some(&app.token_for(app.alice)), &body).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer["auth"].as_str().unwrap().starts_with(&std::env::var("PUSHER_KEY").unwrap()));
}

#[tokio::test]
async fn an_excluded_socket_does_not_receive_its_own_event() {
    let app = TestApp::spawn().await;
    let token = app.token_for(app.alice);
    let channel = private_chat_channel(app.alice.id, app.bob.id);
    let mut sender = PusherSocket::connect().await;
    let mut other_tab = PusherSocket::connect().await;
    authorized_subscribe(&app, &mut sender, &token, &channel).await.unwrap();
    authorized_subscribe(&app, &mut other_tab, &token, &channel).await.unwrap();
    let payload = json!({"content": "hi"});
    app.ctx
        .pusher
        .trigger(std::slice::from_ref(&channel), "new-message", &payload, Some(&sender.socket_id))
        .await
        .unwrap();
    assert_eq!(other_tab.next_event(WAIT).await.expect("the other tab receives it").data, payload);
    // A second, unexcluded event: the sender sees that one first, proving the first never came.
    app.ctx.pusher.trigger(std::slice::from_ref(&channel), "marker", &json!({}), None).await.unwrap();
    assert_eq!(sender.next_event(WAIT).await.expect("marker").event, "marker");
}

#[tokio::test]
async fn a_batch_of_25_events_arrives_complete() {
    let app = TestApp::spawn().await;
    let channel = notifications_channel(app.alice.id);
    let mut socket = PusherSocket::connect().await;
    authorized_subscribe(&app, &mut socket, &app.token_for(app.alice), &channel).await.unwrap();
    let events: Vec<BatchEvent> = (0..25)
        .map(|i| BatchEvent {
            name: "new-message".into(),
            channel: channel.clone(),
            data: json!({"i": i}).to_string(),
            socket_id: None,
        })
        .collect();
    app.ctx.pusher.trigger_batch(&events).await.unwrap();
    let mut seen = Vec::new();
    while seen.len() < 25 {
        let received = socket.next_event(WAIT).await.unwrap_or_else(|| panic!("only {} of 25 arrived", seen.len()));
        seen.push(received.data["i"].as_i64().unwrap());
    }
    seen.sort();
    assert_eq!(seen, (0..25).collect::<Vec<_>>());
}

#[tokio::test]
async fn oversized_event_data_is_refused_before_sending() {
    let app = TestApp::spawn().await;
    let big = json!({"content": "x".repeat(11 * 1024)});
    let err = app.ctx.pusher.trigger(&[notifications_channel(app.alice.id)], "e", &big, None).await.unwrap_err();
    assert!(matches!(err, pusher_chat::pusher::PusherError::DataTooLarge { .. }), "{err}");
}

#[tokio::test]
async fn rest_reads_report_channels_and_presence_members() {
    let app = TestApp::spawn().await;
    let channel = presence_user_channel(app.alice.id);
    let mut socket = PusherSocket::connect().await;
    authorized_subscribe(&app, &mut socket, &app.token_for(app.alice), &channel).await.unwrap();
    let info = app.ctx.pusher.channel(&channel, Some("user_count")).await.unwrap();
    assert_eq!(info["occupied"], true);
    assert_eq!(app.ctx.pusher.presence_users(&channel).await.unwrap(), vec![app.alice.id.to_owned()]);
    // sockudo caches listings per prefix for a moment: a prefix only this test uses reads fresh.
    let listed = app.ctx.pusher.channels(Some(&channel)).await.unwrap();
    assert!(listed["channels"].get(&channel).is_some(), "{listed}");
}

#[tokio::test]
async fn signed_in_users_can_be_disconnected_by_the_server() {
    let app = TestApp::spawn().await;
    let mut socket = PusherSocket::connect().await;
    let form = format!("socket_id={}", socket.socket_id);
    let response = app
        .http
        .post(app.url("/api/pusher/user-auth"))
        .bearer_auth(app.token_for(app.bob))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    let (status, body) = read(response).await;
    assert_eq!(status, 200, "{body}");
    let user_data: serde_json::Value = serde_json::from_str(body["user_data"].as_str().unwrap()).unwrap();
    assert_eq!(user_data["id"], app.bob.id);
    socket.sign_in(body["auth"].as_str().unwrap(), body["user_data"].as_str().unwrap()).await.unwrap();
    app.ctx.pusher.terminate_user_connections(app.bob.id).await.unwrap();
    assert!(socket.closed_within(Duration::from_secs(5)).await, "the connection was not terminated");
}
