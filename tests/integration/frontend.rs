//! The contract a frontend on another origin relies on: profiles it can create, conversation
//! keys it can name, and the names payloads carry.

use crate::helpers::*;
use crate::ws::PusherSocket;
use serde_json::{json, Value};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(5);

/// A Supabase-style token for a user the database has never seen, with `user_metadata`.
pub(crate) fn new_user_token(sub: &str, email: &str, metadata: Value) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"sub": sub, "aud": "authenticated", "email": email, "user_metadata": metadata,
        "iat": now, "exp": now + 600});
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap()
}

async fn put_me(app: &TestApp, token: &str, body: &Value) -> (u16, Value) {
    read(app.http.put(app.url("/api/me")).bearer_auth(token).json(body).send().await.unwrap()).await
}

#[tokio::test]
async fn a_new_user_creates_their_profile_with_put_me_and_can_then_send() {
    let app = TestApp::spawn().await;
    let sub = format!("new-{}", uuid::Uuid::new_v4().simple());
    let token = new_user_token(&sub, &format!("{sub}@example.org"), json!({}));
    let send = json!({"receiverId": app.bob.id, "content": "hello"});
    let (status, body) = app.post_json("/api/messages/private", Some(&token), &send).await;
    assert_eq!((status, error_code(&body)), (403, "profile_required"));

    for bad in [
        json!({}),
        json!({"firstName": ""}),
        json!({"firstName": "Ada", "avatar": "/relative.png"}),
        json!({"firstName": "Ada", "avatar": "javascript:alert(1)"}),
        json!({"firstName": "Ada", "nickname": "x"}),
    ] {
        let (status, body) = put_me(&app, &token, &bad).await;
        assert_eq!(status, 422, "{bad}: {body}");
    }
    let (status, _) = app.get("/api/me", Some(&token)).await;
    assert_eq!(status, 200);
    assert_eq!(app.get("/api/me", Some(&token)).await.1["profile"], Value::Null, "refused bodies wrote nothing");

    let (status, body) = put_me(
        &app,
        &token,
        &json!({"firstName": " Ada ", "lastName": "Lovelace", "avatar": "https://cdn.example/ada.png"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["profile"]["firstName"], "Ada");
    let (status, body) = put_me(&app, &token, &json!({"firstName": "Ada", "lastName": "King"})).await;
    assert_eq!((status, &body["profile"]["lastName"], &body["profile"]["avatar"]), (200, &json!("King"), &Value::Null));

    let (status, body) = app.post_json("/api/messages/private", Some(&token), &send).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["message"]["sender"]["firstName"], "Ada");
    let (status, _) =
        read(app.http.put(app.url("/api/me")).json(&json!({"firstName": "X"})).send().await.unwrap()).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn an_email_another_user_holds_does_not_block_a_profile() {
    let app = TestApp::spawn().await;
    let email = format!("{}@example.org", uuid::Uuid::new_v4().simple());
    for _ in 0..2 {
        let sub = format!("twin-{}", uuid::Uuid::new_v4().simple());
        let (status, body) =
            put_me(&app, &new_user_token(&sub, &email, json!({})), &json!({"firstName": "Twin"})).await;
        assert_eq!(status, 200, "{body}");
    }
}

#[tokio::test]
async fn auto_provisioning_creates_the_profile_from_supabase_metadata_on_first_use() {
    let database_url = migrated_database().await;
    let mut env = test_env(&database_url);
    env.insert("AUTO_PROVISION_USERS".into(), "true".into());
    let app = TestApp::spawn_with(env).await;
    let sub = format!("auto-{}", uuid::Uuid::new_v4().simple());
    let metadata = json!({"full_name": "Grace Hopper", "avatar_url": "https://cdn.example/grace.png"});
    let token = new_user_token(&sub, &format!("{sub}@example.org"), metadata);
    let (status, body) =
        app.post_json("/api/messages/private", Some(&token), &json!({"receiverId": app.bob.id, "content": "hi"})).await;
    assert_eq!(status, 201, "{body}");
    let (_, me) = app.get("/api/me", Some(&token)).await;
    assert_eq!(me["profile"]["firstName"], "Grace");
    assert_eq!(me["profile"]["lastName"], "Hopper");
    assert_eq!(me["profile"]["avatar"], "https://cdn.example/grace.png");
    // An existing profile is never overwritten by the token.
    let (status, _) = put_me(&app, &token, &json!({"firstName": "Amazing"})).await;
    assert_eq!(status, 200);
    let fresh = TestApp::spawn_with({
        let mut env = test_env(&database_url);
        env.insert("AUTO_PROVISION_USERS".into(), "true".into());
        env
    })
    .await;
    assert_eq!(fresh.get("/api/me", Some(&token)).await.1["profile"]["firstName"], "Amazing");
}

#[tokio::test]
async fn conversations_can_be_named_by_the_key_payloads_carry() {
    let app = TestApp::spawn().await;
    let alice = app.token_for(app.alice);
    let (_, sent) = app
        .post_json("/api/messages/private", Some(&alice), &json!({"receiverId": app.bob.id, "content": "one"}))
        .await;
    let key = private_chat_id(app.alice.id, app.bob.id);
    assert_eq!(sent["message"]["conversationId"], key);
    assert_eq!(sent["message"]["chatId"], key, "the older name stays");

    let bob = app.token_for(app.bob);
    let (status, page) = app.get(&format!("/api/messages/private?conversationId={key}"), Some(&bob)).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!((page["conversationId"].as_str(), page["messages"].as_array().unwrap().len()), (Some(key.as_str()), 1));
    let (_, inbox) = app.get("/api/conversations", Some(&bob)).await;
    assert_eq!(inbox["conversations"][0]["conversationId"], key);

    let mut alice_socket = PusherSocket::connect().await;
    let chat = private_chat_channel(app.alice.id, app.bob.id);
    let (status, auth) = app.channel_auth(Some(&alice), &alice_socket.socket_id, &chat).await;
    assert_eq!(status, 200, "{auth}");
    alice_socket.subscribe(&chat, auth["auth"].as_str(), None).await.unwrap();
    let (status, _) = app.post_json("/api/typing", Some(&bob), &json!({"conversationId": key, "typing": true})).await;
    assert_eq!(status, 202);
    let typing = alice_socket.next_event(WAIT).await.expect("typing-start");
    assert_eq!((typing.event.as_str(), &typing.data["conversationId"]), ("typing-start", &json!(key)));
    let (status, _) =
        app.post_json("/api/messages/read", Some(&bob), &json!({"conversationId": key, "upToSeq": 1})).await;
    assert_eq!(status, 200);
    let read_event = alice_socket.next_event(WAIT).await.expect("message-read");
    assert_eq!((read_event.event.as_str(), &read_event.data["conversationId"]), ("message-read", &json!(key)));

    // Someone else's conversation, by key: refused everywhere.
    let carol = app.token_for(app.carol);
    let (status, body) = app.get(&format!("/api/messages/private?conversationId={key}"), Some(&carol)).await;
    assert_eq!((status, error_code(&body)), (403, "not_a_participant"));
    let (status, body) =
        app.post_json("/api/typing", Some(&carol), &json!({"conversationId": key, "typing": true})).await;
    assert_eq!((status, error_code(&body)), (403, "not_a_participant"));
    let (status, body) =
        app.post_json("/api/messages/read", Some(&carol), &json!({"conversationId": key, "upToSeq": 1})).await;
    assert_eq!((status, error_code(&body)), (403, "not_a_participant"));
    let reversed = format!("{}:{}", app.bob.id, app.alice.id);
    let (status, body) = app.get(&format!("/api/messages/private?conversationId={reversed}"), Some(&bob)).await;
    assert_eq!((status, error_code(&body)), (422, "invalid_conversation_id"));
}
