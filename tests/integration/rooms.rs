//! Room consent: everyone but the creator is invited, becomes a member only by accepting, and may
//! decline; until then the room is closed to them and they to it.

use crate::helpers::*;
use crate::ws::PusherSocket;
use serde_json::json;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(5);

async fn put(app: &TestApp, token: &str, room_id: &str) -> (u16, serde_json::Value) {
    read(app.http.put(app.url(&format!("/api/rooms?roomId={room_id}"))).bearer_auth(token).send().await.unwrap()).await
}

async fn delete(app: &TestApp, token: &str, room_id: &str) -> (u16, serde_json::Value) {
    let request = app.http.delete(app.url(&format!("/api/rooms?roomId={room_id}"))).bearer_auth(token);
    read(request.send().await.unwrap()).await
}

#[tokio::test]
async fn an_invitee_is_shut_out_until_they_accept_and_then_is_a_member() {
    let app = TestApp::spawn().await;
    let (alice, bob, carol) = (app.token_for(app.alice), app.token_for(app.bob), app.token_for(app.carol));
    // Bob hears of the invitation on his own channel.
    let mut bob_notifications = PusherSocket::connect().await;
    let channel = notifications_channel(app.bob.id);
    let (_, auth) = app.channel_auth(Some(&bob), &bob_notifications.socket_id, &channel).await;
    bob_notifications.subscribe(&channel, auth["auth"].as_str(), None).await.unwrap();

    let (status, created) =
        app.post_json("/api/rooms", Some(&alice), &json!({"name": "Plans", "memberIds": [app.bob.id]})).await;
    assert_eq!(status, 201, "{created}");
    let room_id = created["room"]["id"].as_str().unwrap().to_owned();
    let invitation = bob_notifications.next_event(WAIT).await.expect("room-invitation");
    assert_eq!(invitation.event, "room-invitation");
    assert_eq!(
        (&invitation.data["room"]["id"], &invitation.data["invitedBy"]),
        (&json!(room_id), &json!(app.alice.id))
    );

    // Invited is not a member: no history, no channel, no sends, no room in the inbox.
    let (status, body) = app.get(&format!("/api/messages/room?roomId={room_id}"), Some(&bob)).await;
    assert_eq!((status, error_code(&body)), (403, "not_a_member"));
    let room_channel_name = room_channel(&room_id);
    assert_eq!(app.channel_auth(Some(&bob), "123.456", &room_channel_name).await.0, 403);
    let sent = app.post_json("/api/messages/room", Some(&bob), &json!({"roomId": room_id, "content": "hi"})).await;
    assert_eq!(sent.0, 403);
    let (_, inbox) = app.get("/api/conversations", Some(&bob)).await;
    assert_eq!(inbox["conversations"], json!([]), "{inbox}");
    let (status, listed) = app.get("/api/rooms", Some(&bob)).await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["rooms"], json!([]));
    assert_eq!(listed["invitations"][0]["room"], json!({"id": room_id, "name": "Plans"}));
    assert_eq!(listed["invitations"][0]["invitedBy"]["firstName"], "Alice");

    // Accepting makes him a member; the room hears it, and a repeat changes nothing.
    let mut alice_socket = PusherSocket::connect().await;
    let (_, auth) = app.channel_auth(Some(&alice), &alice_socket.socket_id, &room_channel_name).await;
    alice_socket.subscribe(&room_channel_name, auth["auth"].as_str(), None).await.unwrap();
    let (status, body) = put(&app, &bob, &room_id).await;
    assert_eq!((status, &body["alreadyMember"]), (200, &json!(false)), "{body}");
    let joined = alice_socket.next_event(WAIT).await.expect("room-member-joined");
    assert_eq!((joined.event.as_str(), &joined.data["userId"]), ("room-member-joined", &json!(app.bob.id)));
    assert_eq!(put(&app, &bob, &room_id).await.1["alreadyMember"], true);
    let sent = app.post_json("/api/messages/room", Some(&bob), &json!({"roomId": room_id, "content": "in"})).await;
    assert_eq!(sent.0, 201, "{}", sent.1);
    let (_, listed) = app.get("/api/rooms", Some(&bob)).await;
    assert_eq!((listed["rooms"][0]["id"].as_str(), &listed["invitations"]), (Some(room_id.as_str()), &json!([])));

    // Nobody joins uninvited.
    let (status, body) = put(&app, &carol, &room_id).await;
    assert_eq!((status, error_code(&body)), (403, "not_invited"));
    assert_eq!(put(&app, &carol, "no-such-room").await.0, 404);
    let members: i64 = app
        .db()
        .await
        .query_one(r#"SELECT count(*) FROM "RoomMember" WHERE "roomId" = $1"#, &[&room_id])
        .await
        .unwrap()
        .get(0);
    assert_eq!(members, 2);
}

#[tokio::test]
async fn a_declined_invitation_is_gone_and_cannot_be_accepted_later() {
    let app = TestApp::spawn().await;
    let (alice, carol) = (app.token_for(app.alice), app.token_for(app.carol));
    let (_, created) =
        app.post_json("/api/rooms", Some(&alice), &json!({"name": "Unwanted", "memberIds": [app.carol.id]})).await;
    let room_id = created["room"]["id"].as_str().unwrap().to_owned();
    let (status, body) = delete(&app, &carol, &room_id).await;
    assert_eq!((status, &body["left"]), (200, &json!(room_id)));
    let (_, listed) = app.get("/api/rooms", Some(&carol)).await;
    assert_eq!(listed["invitations"], json!([]));
    let (status, body) = put(&app, &carol, &room_id).await;
    assert_eq!((status, error_code(&body)), (403, "not_invited"));
    // Declining twice is refused like leaving a room one is not in.
    assert_eq!(delete(&app, &carol, &room_id).await.0, 403);
    // The creator is still a member, untouched.
    let (status, _) = app.get(&format!("/api/messages/room?roomId={room_id}"), Some(&alice)).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn every_limit_follows_its_environment_variable() {
    let mut env = test_env(&migrated_database().await);
    env.insert("RATE_LIMIT_ROOMS_PER_HOUR".into(), "1".into());
    env.insert("RATE_LIMIT_PRESENCE_PER_MINUTE".into(), "2".into());
    env.insert("RATE_LIMIT_TYPING_PER_SECOND".into(), "3".into());
    env.insert("RATE_LIMIT_MESSAGES_PER_MINUTE".into(), "2".into());
    let app = TestApp::spawn_with(env).await;
    let alice = app.token_for(app.alice);

    let room = json!({"name": "One", "memberIds": []});
    assert_eq!(app.post_json("/api/rooms", Some(&alice), &room).await.0, 201);
    let (status, body) = app.post_json("/api/rooms", Some(&alice), &room).await;
    assert_eq!((status, error_code(&body)), (429, "rate_limited"), "one room an hour");

    for expected in [200, 200, 429] {
        let status = app.post_json("/api/presence", Some(&alice), &json!({"status": "online"})).await.0;
        assert_eq!(status, expected, "two status updates a minute");
    }
    let mut sent = Vec::new();
    for _ in 0..4 {
        let (status, body) =
            app.post_json("/api/typing", Some(&alice), &json!({"chatId": app.bob.id, "typing": true})).await;
        assert_eq!(status, 202, "{body}");
        sent.push(body["sent"] == true);
    }
    assert_eq!(sent, [true, true, true, false], "three typing-starts a second");
    for expected in [201, 201, 429] {
        let body = json!({"receiverId": app.bob.id, "content": "hi"});
        assert_eq!(app.post_json("/api/messages/private", Some(&alice), &body).await.0, expected, "two sends a minute");
    }
}
