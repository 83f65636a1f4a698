//! Leaving a room takes its events away from the leaver at once: the connections they signed in
//! with are closed, and a new one is authorized only for what they may still have.

use crate::frozen_socket::{shows, ChatClientProcess};
use crate::helpers::*;
use crate::ws::{PusherSocket, Received};
use pusher_chat::demo::DemoUser;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

const WAIT: Duration = Duration::from_secs(5);

/// A socket signed in as `user` and subscribed to `channels`.
pub async fn signed_in(app: &TestApp, user: &DemoUser, channels: &[String]) -> PusherSocket {
    signed_in_on(app, user, channels, std::env::var("PUSHER_PORT").unwrap().parse().unwrap()).await
}

/// The same on the sockudo node on `port`.
async fn signed_in_on(app: &TestApp, user: &DemoUser, channels: &[String], port: u16) -> PusherSocket {
    let mut socket = PusherSocket::connect_to(port).await;
    let token = app.token_for(user);
    let request = app
        .http
        .post(app.url("/api/pusher/user-auth"))
        .bearer_auth(&token)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("socket_id={}", socket.socket_id));
    let (status, body) = read(request.send().await.unwrap()).await;
    assert_eq!(status, 200, "{body}");
    socket.sign_in(body["auth"].as_str().unwrap(), body["user_data"].as_str().unwrap()).await.unwrap();
    for channel in channels {
        let (status, body) = app.channel_auth(Some(&token), &socket.socket_id, channel).await;
        assert_eq!(status, 200, "{channel}: {body}");
        socket.subscribe(channel, body["auth"].as_str(), body["channel_data"].as_str()).await.unwrap();
    }
    socket
}

/// Everything `socket` hears until the server closes it (or `wait` passes): the events, and when
/// it closed.
pub async fn heard_until_closed(socket: &mut PusherSocket, wait: Duration) -> (Vec<Received>, Option<Duration>) {
    let started = Instant::now();
    let mut heard = Vec::new();
    while let Some(received) = socket.next_within(wait.saturating_sub(started.elapsed())).await {
        heard.push(received);
    }
    let closed = started.elapsed() < wait;
    (heard, closed.then(|| started.elapsed()))
}

#[tokio::test]
async fn a_member_who_leaves_hears_nothing_more_of_the_room_and_keeps_their_chats() {
    let app = TestApp::spawn().await;
    let (alice, bob, carol) = (app.alice, app.bob, app.carol);
    let room = app.joined_room(alice, "team", &[bob, carol]).await;
    let (room_channel, chat) = (room_channel(&room), private_chat_channel(alice.id, bob.id));
    let mut leaver = signed_in(&app, bob, &[room_channel.clone(), chat.clone()]).await;
    let mut stayer = signed_in(&app, carol, std::slice::from_ref(&room_channel)).await;

    let left = Instant::now();
    app.leave_room(bob, &room).await;
    app.send_to_room(alice, &room, "after bob left").await;
    let (heard, closed) = heard_until_closed(&mut leaver, WAIT).await;
    let from_room: Vec<&Received> =
        heard.iter().filter(|r| r.channel.as_deref() == Some(room_channel.as_str())).collect();
    assert!(from_room.is_empty(), "the leaver heard the room: {from_room:?}");
    let closed = closed.expect("the leaver's connection stayed open");
    eprintln!("leaving: the leaver's connection closed {:?} after the leave", left.elapsed());
    assert!(closed < Duration::from_secs(2), "closed after {closed:?}");

    // Who stays hears it all, on a connection that stays open.
    let mut stayer_heard = Vec::new();
    while let Some(event) = stayer.next_event(Duration::from_secs(1)).await {
        stayer_heard.push(event.event);
    }
    assert_eq!(stayer_heard, ["room-member-left", "new-message"]);

    // Reconnected, the leaver may have their chat back, and not the room.
    let mut again = signed_in(&app, bob, std::slice::from_ref(&chat)).await;
    let (status, body) = app.channel_auth(Some(&app.token_for(bob)), &again.socket_id, &room_channel).await;
    assert_eq!((status, error_code(&body)), (403, "not_a_member"));
    let body = json!({"receiverId": bob.id, "content": "still friends"});
    assert_eq!(app.post_json("/api/messages/private", Some(&app.token_for(alice)), &body).await.0, 201);
    let event = again.next_event(WAIT).await.expect("the chat keeps working");
    assert_eq!((event.event.as_str(), &event.data["content"]), ("new-message", &json!("still friends")));
}

#[tokio::test]
async fn declining_an_invitation_closes_nothing() {
    let app = TestApp::spawn().await;
    let body = json!({"name": "maybe", "memberIds": [app.bob.id]});
    let (status, created) = app.post_json("/api/rooms", Some(&app.token_for(app.alice)), &body).await;
    assert_eq!(status, 201, "{created}");
    let mut invitee = signed_in(&app, app.bob, &[notifications_channel(app.bob.id)]).await;
    app.leave_room(app.bob, created["room"]["id"].as_str().unwrap()).await;
    assert!(!invitee.closed_within(Duration::from_secs(2)).await, "an invitee had no room channel to lose");
}

#[tokio::test]
async fn the_client_package_reconnects_after_a_leave_without_the_room_and_its_chats_keep_working() {
    let app = TestApp::spawn().await;
    let (alice, bob) = (app.alice, app.bob);
    let room = app.joined_room(alice, "team", &[bob]).await;
    app.send_to_room(alice, &room, "before bob left").await;
    let env = [("CHATS", alice.id.to_owned()), ("ROOMS", room.clone())];
    let mut client = ChatClientProcess::start(&app, &app.token_for(bob), &env).await;
    let (room_key, chat_key) = (format!("room:{room}"), format!("chat:{}", alice.id));
    // The room shown, its channel subscribed and the connection signed in, in any order: only a
    // signed-in connection can be closed by the API (SECURITY.md), and the sign-in is a call of
    // its own.
    let (mut shown, mut subscribed, mut signed_in) = (false, false, false);
    client
        .expect(WAIT, |r| {
            shown |= shows(r, &room_key, "before bob left");
            subscribed |= r["type"] == "subscribed" && r["channel"] == room_channel(&room);
            signed_in |= r["type"] == "signed-in";
            shown && subscribed && signed_in
        })
        .await;

    let left = Instant::now();
    app.leave_room(bob, &room).await;
    client.expect(WAIT, |r| r["type"] == "state" && r["current"] == "disconnected").await;
    let closed = left.elapsed();
    eprintln!("leaving: the client package was disconnected {closed:?} after the leave");
    assert!(closed < Duration::from_secs(2), "{closed:?}");
    app.send_to_room(alice, &room, "after bob left").await;
    client.expect(WAIT, |r| r["type"] == "state" && r["current"] == "connected").await;
    eprintln!("leaving: the client package was connected again {:?} after the leave", left.elapsed());
    let body = json!({"receiverId": bob.id, "content": "still friends"});
    assert_eq!(app.post_json("/api/messages/private", Some(&app.token_for(alice)), &body).await.0, 201);
    // Everything until the chat shows it: never the room's new message, never the room's channel.
    let mut reports = Vec::new();
    let shown = client
        .expect(WAIT, |r| {
            reports.push(r.clone());
            shows(r, &chat_key, "still friends")
        })
        .await;
    assert!(shows(&shown, &chat_key, "still friends"));
    // A little longer, for anything late.
    while let Some(report) = client.next_within(Duration::from_secs(2)).await {
        reports.push(report);
    }
    assert!(!reports.iter().any(|r| shows(r, &room_key, "after bob left")), "{reports:?}");
    let resubscribed: Vec<&Value> =
        reports.iter().filter(|r| r["type"] == "subscribed" && r["channel"] == room_channel(&room)).collect();
    assert!(resubscribed.is_empty(), "{resubscribed:?}");
    assert!(
        reports.iter().any(|r| r["type"] == "error" && r["channel"] == room_channel(&room)),
        "the refused room is reported: {reports:?}"
    );
}

#[tokio::test]
async fn in_a_sockudo_cluster_leaving_closes_the_leavers_connection_on_the_other_node() {
    let port = |name: &str| -> u16 { std::env::var(name).expect("scripts/test starts the cluster").parse().unwrap() };
    let (node_a, node_b) = (port("TEST_CLUSTER_A_PORT"), port("TEST_CLUSTER_B_PORT"));
    let mut env = test_env(&migrated_database().await);
    env.insert("PUSHER_PORT".into(), node_a.to_string());
    let app = TestApp::spawn_with(env).await;
    let room = app.joined_room(app.alice, "team", &[app.bob]).await;
    let channel = room_channel(&room);
    // The API talks to node A; bob's socket is on node B.
    let mut leaver = signed_in_on(&app, app.bob, std::slice::from_ref(&channel), node_b).await;
    let mut stayer = signed_in_on(&app, app.alice, std::slice::from_ref(&channel), node_b).await;
    app.leave_room(app.bob, &room).await;
    app.send_to_room(app.alice, &room, "after bob left").await;
    let (heard, closed) = heard_until_closed(&mut leaver, WAIT).await;
    assert!(heard.iter().all(|r| r.channel.as_deref() != Some(channel.as_str())), "{heard:?}");
    assert!(closed.is_some_and(|after| after < Duration::from_secs(2)), "closed: {closed:?}");
    let event = stayer.next_event(WAIT).await.expect("the stayer hears the room");
    assert_eq!(event.event, "room-member-left");
}

/// A stand-in for Pusher's REST API that answers every call with `{}`, and a user's
/// `terminate_connections` only after `delay`; when it answered each of those.
async fn pusher_slow_to_terminate(delay: Duration) -> (u16, Arc<Mutex<Vec<Instant>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let answered = Arc::new(Mutex::new(Vec::new()));
    let record = answered.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let record = record.clone();
            tokio::spawn(async move {
                let Some((head, _)) = read_http_request(&mut stream).await else { return };
                let terminate = head.contains("terminate_connections");
                if terminate {
                    tokio::time::sleep(delay).await;
                    record.lock().unwrap().push(Instant::now());
                }
                let answer = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}";
                let _ = stream.write_all(answer.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    (port, answered)
}

#[tokio::test]
async fn a_leave_answers_only_once_pusher_has_closed_the_leavers_connections() {
    let delay = Duration::from_millis(400);
    let (port, terminated) = pusher_slow_to_terminate(delay).await;
    let mut env = test_env(&migrated_database().await);
    env.insert("PUSHER_PORT".into(), port.to_string());
    let app = TestApp::spawn_with(env).await;
    let room = app.joined_room(app.alice, "team", &[app.bob]).await;
    let asked = Instant::now();
    app.leave_room(app.bob, &room).await;
    let answered = Instant::now();
    let terminated = terminated.lock().unwrap().clone();
    assert_eq!(terminated.len(), 1, "pusher had closed bob's connections when the leave answered");
    assert!(asked + delay <= terminated[0] && terminated[0] <= answered, "{terminated:?}");
}
