//! Trust and safety on the real stack: blocks and mutes (every path a blocked user could use),
//! reports (snapshots, one open per target, the limit under parallel calls), operators (who is
//! one, bans closing connections, the audit log) and the moderation of message text (the
//! blocklist and a real before-send webhook server).

use crate::helpers::*;
use crate::leaving::signed_in;
use crate::push::{push_env, Subscription};
use pusher_chat::demo::DemoUser;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

async fn call(app: &TestApp, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let mut request = app.http.request(method.parse().unwrap(), app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    read(request.send().await.expect("request")).await
}

async fn private(app: &TestApp, from: &DemoUser, to: &DemoUser, content: &str) -> (u16, Value) {
    let body = json!({"receiverId": to.id, "content": content});
    app.post_json("/api/messages/private", Some(&app.token_for(from)), &body).await
}

async fn sent(app: &TestApp, from: &DemoUser, to: &DemoUser, content: &str) -> Value {
    let (status, body) = private(app, from, to, content).await;
    assert_eq!(status, 201, "{body}");
    body["message"].clone()
}

async fn block(app: &TestApp, user: &DemoUser, other: &DemoUser, kind: &str) {
    let path = format!("/api/blocks?userId={}&kind={kind}", other.id);
    let (status, body) = call(app, "PUT", &path, Some(&app.token_for(user)), None).await;
    assert_eq!(status, 200, "{body}");
}

async fn unblock(app: &TestApp, user: &DemoUser, other: &DemoUser, kind: &str) {
    let path = format!("/api/blocks?userId={}&kind={kind}", other.id);
    let (status, body) = call(app, "DELETE", &path, Some(&app.token_for(user)), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["removed"], true, "{body}");
}

/// A token whose `app_metadata.role` is `role`, as Supabase signs one.
fn token_with_role(user: &DemoUser, role: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"sub": user.id, "aud": "authenticated", "exp": now + 600, "iat": now,
                        "app_metadata": {"role": role}});
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap()
}

/// An app whose operators are `operator` (by `ADMIN_USER_IDS`) and any token with role `moderator`.
async fn app_with_operator(extra: &[(&str, &str)]) -> (TestApp, &'static DemoUser) {
    let database_url = migrated_database().await;
    let probe = TestApp::spawn_with(test_env(&database_url)).await;
    let operator = probe.unique_user(bob()).await.unwrap();
    let mut env = test_env(&database_url);
    env.insert("ADMIN_USER_IDS".into(), operator.id.into());
    env.insert("ADMIN_ROLE_CLAIM".into(), "moderator".into());
    for (name, value) in extra {
        env.insert((*name).into(), (*value).into());
    }
    (TestApp::spawn_with(env).await, operator)
}

/// The one refusal a blocked user gets, which does not give the block away.
fn assert_refused(status: u16, body: &Value, what: &str) {
    assert_eq!((status, error_code(body)), (403, "not_allowed"), "{what}: {body}");
    assert!(!body.to_string().to_lowercase().contains("block"), "{what} says why: {body}");
}

#[tokio::test]
async fn a_blocked_user_cannot_send_type_or_react_in_the_blockers_chat_until_unblocked() {
    let app = TestApp::spawn().await;
    let (alice, bob) = (app.alice, app.bob);
    let from_alice = sent(&app, alice, bob, "hi bob").await;
    sent(&app, bob, alice, "hi alice").await;
    block(&app, alice, bob, "block").await;
    let bob_token = app.token_for(bob);

    let (status, body) = private(&app, bob, alice, "are you there?").await;
    assert_refused(status, &body, "send");
    let typing = json!({"chatId": alice.id, "typing": true});
    let (status, body) = app.post_json("/api/typing", Some(&bob_token), &typing).await;
    assert_refused(status, &body, "typing");
    let reaction = json!({"messageId": from_alice["id"], "emoji": "👍"});
    let (status, body) = app.post_json("/api/messages/reactions", Some(&bob_token), &reaction).await;
    assert_refused(status, &body, "reaction");

    // The 1:1 history stays readable to both, and the blocker may still write.
    for user in [alice, bob] {
        let other = if user.id == alice.id { bob } else { alice };
        let (status, history) =
            app.get(&format!("/api/messages/private?chatId={}", other.id), Some(&app.token_for(user))).await;
        assert_eq!(status, 200, "{history}");
        assert_eq!(history["messages"].as_array().unwrap().len(), 2, "{history}");
    }
    let (listed, body) = app.get("/api/blocks", Some(&app.token_for(alice))).await;
    assert_eq!(listed, 200);
    assert_eq!(body["blocks"][0]["userId"], bob.id, "{body}");
    assert_eq!(body["mutes"], json!([]));

    unblock(&app, alice, bob, "block").await;
    assert_eq!(private(&app, bob, alice, "back again").await.0, 201);
    assert_eq!(app.post_json("/api/typing", Some(&bob_token), &typing).await.0, 202);
    assert_eq!(app.post_json("/api/messages/reactions", Some(&bob_token), &reaction).await.0, 201);
}

#[tokio::test]
async fn a_block_hides_presence_both_ways_on_every_channel_and_in_the_inbox() {
    let app = TestApp::spawn().await;
    let (alice, bob) = (app.alice, app.bob);
    sent(&app, alice, bob, "hello").await;
    sent(&app, bob, alice, "hello back").await;
    let db = app.db().await;
    db.execute(r#"UPDATE "User" SET "status" = 'online' WHERE "id" IN ($1, $2)"#, &[&alice.id, &bob.id]).await.unwrap();
    let view = |viewer: &'static DemoUser, watched: &'static DemoUser| {
        let app = &app;
        async move {
            let token = app.token_for(viewer);
            let (user_channel, body) =
                app.channel_auth(Some(&token), "1234.5678", &presence_user_channel(watched.id)).await;
            let chat = private_chat_channel(viewer.id, watched.id).replacen("private-chat-", "presence-chat-", 1);
            let (chat_channel, _) = app.channel_auth(Some(&token), "1234.5678", &chat).await;
            let (_, inbox) = app.get("/api/conversations", Some(&token)).await;
            let status = inbox["conversations"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["otherUser"]["id"] == watched.id)
                .map(|c| c["otherUser"]["status"].clone())
                .unwrap();
            (user_channel, chat_channel, status, body)
        }
    };
    for (viewer, watched) in [(alice, bob), (bob, alice)] {
        let (user_channel, chat_channel, status, body) = view(viewer, watched).await;
        assert_eq!((user_channel, chat_channel, status), (200, 200, json!("online")), "before: {body}");
    }
    block(&app, alice, bob, "block").await;
    for (viewer, watched) in [(alice, bob), (bob, alice)] {
        let (user_channel, chat_channel, status, body) = view(viewer, watched).await;
        assert_eq!((user_channel, chat_channel, status), (403, 403, Value::Null), "{} → {}", viewer.id, watched.id);
        assert_eq!(error_code(&body), "not_allowed");
    }
    // A mute hides nothing of presence.
    unblock(&app, alice, bob, "block").await;
    block(&app, alice, bob, "mute").await;
    for (viewer, watched) in [(alice, bob), (bob, alice)] {
        let (user_channel, chat_channel, status, _) = view(viewer, watched).await;
        assert_eq!((user_channel, chat_channel, status), (200, 200, json!("online")), "after the unblock");
    }
}

#[tokio::test]
async fn a_blocked_users_room_messages_are_hidden_from_the_blockers_history_and_search_only() {
    let app = TestApp::spawn().await;
    let (alice, bob, carol) = (app.alice, app.bob, app.carol);
    let room = app.joined_room(alice, "book club", &[bob, carol]).await;
    app.send_to_room(carol, &room, "pineapple from carol").await;
    app.send_to_room(bob, &room, "pineapple from bob").await;
    block(&app, alice, bob, "block").await;
    // Blocked users still write in shared rooms; the blocker does not see it.
    app.send_to_room(bob, &room, "pineapple again from bob").await;

    let senders = |page: &Value| -> Vec<String> {
        page["messages"].as_array().unwrap().iter().map(|m| m["senderId"].as_str().unwrap().to_owned()).collect()
    };
    let history = |user: &'static DemoUser| {
        let app = &app;
        let room = room.clone();
        async move { app.get(&format!("/api/messages/room?roomId={room}"), Some(&app.token_for(user))).await.1 }
    };
    let search = |user: &'static DemoUser| {
        let app = &app;
        async move { app.get("/api/messages/search?q=pineapple", Some(&app.token_for(user))).await.1 }
    };
    assert_eq!(senders(&history(alice).await), vec![carol.id]);
    assert_eq!(senders(&search(alice).await), vec![carol.id]);
    assert_eq!(senders(&history(carol).await).len(), 3, "others see everything");
    assert_eq!(senders(&search(carol).await).len(), 3);
    // A mute is the client's to collapse: the API still returns the messages.
    unblock(&app, alice, bob, "block").await;
    block(&app, alice, bob, "mute").await;
    assert_eq!(senders(&history(alice).await).len(), 3);
    assert_eq!(senders(&search(alice).await).len(), 3);
}

#[tokio::test]
async fn blocks_and_mutes_refuse_bad_input_and_unknown_users() {
    let app = TestApp::spawn().await;
    let token = app.token_for(app.alice);
    for (method, path, want, code) in [
        ("PUT", format!("/api/blocks?userId={}", app.alice.id), 422, "cannot_block_self"),
        ("PUT", "/api/blocks?userId=nobody-here".to_owned(), 404, "not_found"),
        ("PUT", "/api/blocks".to_owned(), 422, "missing_field"),
        ("PUT", format!("/api/blocks?userId={}&kind=ignore", app.bob.id), 422, "invalid_query"),
        ("PUT", "/api/blocks?userId=bad%20id".to_owned(), 422, "invalid_id"),
        ("POST", "/api/blocks".to_owned(), 405, "method_not_allowed"),
    ] {
        let (status, body) = call(&app, method, &path, Some(&token), None).await;
        assert_eq!((status, error_code(&body)), (want, code), "{method} {path}: {body}");
    }
    let (status, body) = call(&app, "GET", "/api/blocks", None, None).await;
    assert_eq!((status, error_code(&body)), (401, "missing_token"));
    // Twice is fine, and says so.
    block(&app, app.alice, app.bob, "mute").await;
    let (_, again) =
        call(&app, "PUT", &format!("/api/blocks?userId={}&kind=mute", app.bob.id), Some(&token), None).await;
    assert_eq!(again["created"], false);
    let (_, list) = app.get("/api/blocks", Some(&token)).await;
    assert_eq!(
        (list["mutes"][0]["userId"].as_str(), list["blocks"].as_array().map(Vec::len)),
        (Some(app.bob.id), Some(0))
    );
}

#[tokio::test]
async fn a_mute_or_a_block_of_the_sender_stops_their_pushes() {
    let app = TestApp::spawn_with(push_env(&migrated_database().await)).await;
    let (alice, bob, carol) = (app.alice, app.bob, app.carol);
    let dana = app.unique_user(app.carol).await.unwrap();
    let room = app.joined_room(carol, "pushes", &[alice, bob, dana]).await;
    let mut subscriptions = Vec::new();
    for user in [alice, bob, dana] {
        let subscription = Subscription::create().await;
        let (status, body) =
            app.post_json("/api/push/subscriptions", Some(&app.token_for(user)), &subscription.json).await;
        assert_eq!(status, 201, "{body}");
        subscriptions.push(subscription);
    }
    block(&app, alice, carol, "mute").await;
    block(&app, dana, carol, "block").await;
    app.send_to_room(carol, &room, "a push for bob only").await;
    subscriptions[1].wait_for(1, Duration::from_secs(15)).await;
    // The fan-out that reached bob is the one that would have reached the others.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(subscriptions[0].received().await, (vec![], vec![]), "alice muted carol");
    assert_eq!(subscriptions[2].received().await, (vec![], vec![]), "dana blocked carol");
    unblock(&app, alice, carol, "mute").await;
    app.send_to_room(carol, &room, "now alice hears it").await;
    assert_eq!(subscriptions[0].wait_for(1, Duration::from_secs(15)).await[0]["payload"]["body"], "now alice hears it");
}

#[tokio::test]
async fn a_report_keeps_its_snapshot_through_an_edit_and_a_delete_and_is_filed_once() {
    let (app, operator) = app_with_operator(&[]).await;
    let (alice, bob) = (app.alice, app.bob);
    let message = sent(&app, bob, alice, "you are awful").await;
    let id = message["id"].as_str().unwrap();
    let token = app.token_for(alice);
    let report = json!({"messageId": id, "reason": "harassment", "note": "third time today"});
    // Five at once: one report, the others find it.
    let filings =
        futures_util::future::join_all((0..5).map(|_| app.post_json("/api/reports", Some(&token), &report))).await;
    let created: Vec<_> = filings.iter().filter(|(status, _)| *status == 201).collect();
    assert_eq!(created.len(), 1, "{filings:?}");
    let report_id = created[0].1["report"]["id"].clone();
    for (status, body) in &filings {
        assert!(*status == 201 || (*status == 200 && body["duplicate"] == true), "{body}");
        assert_eq!(body["report"]["id"], report_id);
        assert!(body["report"].get("snapshot").is_none(), "the reporter is not shown the evidence");
    }

    let bob_token = app.token_for(bob);
    let edit = app.http.patch(app.url(&format!("/api/messages?id={id}"))).bearer_auth(&bob_token);
    let (status, _) = read(edit.json(&json!({"content": "you are lovely"})).send().await.unwrap()).await;
    assert_eq!(status, 200);
    let (status, _) = call(&app, "DELETE", &format!("/api/messages?id={id}"), Some(&bob_token), None).await;
    assert_eq!(status, 200);

    let admin = app.token_for(operator);
    let (status, list) = app.get("/api/admin/reports?targetType=message&status=open", Some(&admin)).await;
    assert_eq!(status, 200, "{list}");
    let filed = &list["reports"][0];
    assert_eq!(filed["id"], report_id);
    assert_eq!(filed["snapshot"]["content"], "you are awful", "{filed}");
    assert_eq!(filed["snapshot"]["senderId"], bob.id);
    assert_eq!((filed["reason"].as_str(), filed["note"].as_str()), (Some("harassment"), Some("third time today")));

    // A deleted message can no longer be reported; a resolved report makes room for a new one.
    let (status, _) = app.post_json("/api/reports", Some(&token), &report).await;
    assert_eq!(status, 200, "the open report is still found");
    let resolve = app.http.patch(app.url(&format!("/api/admin/reports?id={}", report_id.as_str().unwrap())));
    let (status, resolved) =
        read(resolve.bearer_auth(&admin).json(&json!({"status": "resolved", "note": "warned"})).send().await.unwrap())
            .await;
    assert_eq!((status, &resolved["report"]["status"]), (200, &json!("resolved")), "{resolved}");
    let again = app.http.patch(app.url(&format!("/api/admin/reports?id={}", report_id.as_str().unwrap())));
    let (status, body) =
        read(again.bearer_auth(&admin).json(&json!({"status": "dismissed"})).send().await.unwrap()).await;
    assert_eq!((status, error_code(&body)), (409, "report_closed"));
    let (status, body) = app.post_json("/api/reports", Some(&token), &report).await;
    assert_eq!((status, error_code(&body)), (404, "not_found"), "the message is deleted now");
    let user_report = json!({"userId": bob.id, "reason": "spam"});
    assert_eq!(app.post_json("/api/reports", Some(&token), &user_report).await.0, 201);

    let (_, audit) = app.get("/api/admin/audit", Some(&admin)).await;
    assert_eq!(audit["entries"][0]["action"], "report.resolved", "{audit}");
    assert_eq!(audit["entries"][0]["adminId"], operator.id);
}

#[tokio::test]
async fn reports_need_a_visible_target_one_target_and_a_known_reason() {
    let app = TestApp::spawn().await;
    let (alice, bob, carol) = (app.alice, app.bob, app.carol);
    let message = sent(&app, bob, alice, "between us").await;
    let room = app.joined_room(alice, "private club", &[bob]).await;
    let carol_token = app.token_for(carol);
    for body in [
        json!({"messageId": message["id"], "reason": "spam"}),
        json!({"userId": bob.id, "reason": "spam"}),
        json!({"roomId": room, "reason": "spam"}),
        json!({"userId": "nobody-at-all", "reason": "spam"}),
    ] {
        let (status, answer) = app.post_json("/api/reports", Some(&carol_token), &body).await;
        assert_eq!((status, error_code(&answer)), (404, "not_found"), "a stranger reporting {body}");
    }
    let token = app.token_for(alice);
    for (body, code) in [
        (json!({"messageId": message["id"], "userId": bob.id, "reason": "spam"}), "invalid_target"),
        (json!({"reason": "spam"}), "invalid_target"),
        (json!({"userId": bob.id, "reason": "rude"}), "invalid_reason"),
        (json!({"userId": bob.id}), "missing_field"),
        (json!({"userId": alice.id, "reason": "spam"}), "cannot_report_self"),
        (json!({"userId": bob.id, "reason": "spam", "note": "x".repeat(1001)}), "invalid_note"),
        (json!({"userId": bob.id, "reason": "spam", "extra": 1}), "invalid_body"),
    ] {
        let (status, answer) = app.post_json("/api/reports", Some(&token), &body).await;
        assert_eq!((status, error_code(&answer)), (422, code), "{body}: {answer}");
    }
    for body in [
        json!({"messageId": message["id"], "reason": "spam"}),
        json!({"userId": bob.id, "reason": "other", "note": "odd"}),
        json!({"roomId": room, "reason": "hate"}),
    ] {
        let (status, answer) = app.post_json("/api/reports", Some(&token), &body).await;
        assert_eq!(status, 201, "{body}: {answer}");
    }
}

#[tokio::test]
async fn the_report_limit_holds_under_parallel_calls() {
    let database_url = migrated_database().await;
    let mut env = test_env(&database_url);
    env.insert("RATE_LIMIT_REPORTS_PER_HOUR".into(), "3".into());
    let app = TestApp::spawn_with(env).await;
    let mut ids = Vec::new();
    for n in 0..8 {
        ids.push(sent(&app, app.bob, app.alice, &format!("spam number {n}")).await["id"].clone());
    }
    let token = app.token_for(app.alice);
    let bodies: Vec<Value> = ids.iter().map(|id| json!({"messageId": id, "reason": "spam"})).collect();
    let answers =
        futures_util::future::join_all(bodies.iter().map(|b| app.post_json("/api/reports", Some(&token), b))).await;
    let statuses: Vec<u16> = answers.iter().map(|(s, _)| *s).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 3, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 5, "{statuses:?}");
    let refused = answers.iter().find(|(s, _)| *s == 429).unwrap();
    assert_eq!(error_code(&refused.1), "rate_limited");
}

#[tokio::test]
async fn only_operators_reach_the_operator_routes_and_every_route_refuses_a_banned_user() {
    let (app, operator) = app_with_operator(&[]).await;
    let (alice, bob, carol) = (app.alice, app.bob, app.carol);
    let (member, stranger, banned) = (alice, carol, app.unique_user(carol).await.unwrap());
    let room = app.joined_room(member, "matrix", &[bob, banned]).await;
    let admin = app.token_for(operator);
    let (status, body) = call(&app, "PUT", &format!("/api/admin/bans?userId={}", banned.id), Some(&admin), None).await;
    assert_eq!((status, &body["banned"]), (200, &json!(true)), "{body}");

    let by_role = token_with_role(stranger, "moderator");
    let who: [(&str, Option<String>); 6] = [
        ("nobody", None),
        ("member", Some(app.token_for(member))),
        ("stranger", Some(app.token_for(stranger))),
        ("operator by id", Some(admin.clone())),
        ("operator by role", Some(by_role)),
        ("banned", Some(app.token_for(banned))),
    ];
    // (method, path, body, expected status per caller in the order of `who`)
    let message = sent(&app, bob, member, "report me").await;
    let routes: Vec<(&str, String, Option<Value>, [u16; 6])> = vec![
        ("GET", "/api/blocks".into(), None, [401, 200, 200, 200, 200, 403]),
        ("PUT", format!("/api/blocks?userId={}&kind=mute", bob.id), None, [401, 200, 200, 200, 200, 403]),
        ("DELETE", format!("/api/blocks?userId={}&kind=mute", bob.id), None, [401, 200, 200, 200, 200, 403]),
        (
            "POST",
            "/api/reports".into(),
            Some(json!({"messageId": message["id"], "reason": "spam"})),
            [401, 201, 404, 404, 404, 403],
        ),
        (
            "POST",
            "/api/reports".into(),
            Some(json!({"roomId": room, "reason": "spam"})),
            [401, 201, 404, 404, 404, 403],
        ),
        ("GET", "/api/admin/reports".into(), None, [401, 403, 403, 200, 200, 403]),
        (
            "PATCH",
            "/api/admin/reports?id=none".into(),
            Some(json!({"status": "dismissed"})),
            [401, 403, 403, 404, 404, 403],
        ),
        ("GET", "/api/admin/bans".into(), None, [401, 403, 403, 200, 200, 403]),
        ("PUT", format!("/api/admin/bans?userId={}", banned.id), None, [401, 403, 403, 200, 200, 403]),
        ("GET", "/api/admin/audit".into(), None, [401, 403, 403, 200, 200, 403]),
        ("GET", "/api/conversations".into(), None, [401, 200, 200, 200, 200, 403]),
        (
            "POST",
            "/api/messages/private".into(),
            Some(json!({"receiverId": bob.id, "content": "hi"})),
            [401, 201, 201, 201, 201, 403],
        ),
        ("POST", "/api/typing".into(), Some(json!({"roomId": room, "typing": true})), [401, 202, 403, 403, 403, 403]),
        ("GET", "/api/me".into(), None, [401, 200, 200, 200, 200, 403]),
    ];
    for (method, path, body, expected) in routes {
        for ((name, token), want) in who.iter().zip(expected) {
            let (status, answer) = call(&app, method, &path, token.as_deref(), body.clone()).await;
            assert_eq!(status, want, "{method} {path} as {name}: {answer}");
            if *name == "banned" {
                assert_eq!(error_code(&answer), "account_suspended");
            }
        }
    }
    let (status, body) =
        call(&app, "GET", "/api/admin/reports", Some(&token_with_role(stranger, "authenticated")), None).await;
    assert_eq!((status, error_code(&body)), (403, "not_an_admin"), "another role is no operator");
    let (status, body) =
        call(&app, "PUT", &format!("/api/admin/bans?userId={}", operator.id), Some(&admin), None).await;
    assert_eq!((status, error_code(&body)), (422, "cannot_ban_self"));
}

#[tokio::test]
async fn a_ban_closes_the_users_connections_refuses_their_channels_and_hides_their_presence_until_lifted() {
    let (app, operator) = app_with_operator(&[]).await;
    let (alice, carol) = (app.alice, app.carol);
    sent(&app, carol, alice, "hello alice").await;
    sent(&app, alice, carol, "hello carol").await;
    app.db().await.execute(r#"UPDATE "User" SET "status" = 'online' WHERE "id" = $1"#, &[&carol.id]).await.unwrap();
    let mut socket = signed_in(&app, carol, &[notifications_channel(carol.id)]).await;
    let admin = app.token_for(operator);
    let body = json!({"reason": "spam waves"});
    let (status, answer) =
        call(&app, "PUT", &format!("/api/admin/bans?userId={}", carol.id), Some(&admin), Some(body)).await;
    assert_eq!(status, 200, "{answer}");
    let banned_at = std::time::Instant::now();
    assert!(socket.closed_within(Duration::from_secs(2)).await, "the banned user's socket stayed open");
    eprintln!("safety: the banned user's socket closed {:?} after the ban", banned_at.elapsed());

    let carol_token = app.token_for(carol);
    let (status, answer) = app.channel_auth(Some(&carol_token), "1234.5678", &notifications_channel(carol.id)).await;
    assert_eq!((status, error_code(&answer)), (403, "account_suspended"));
    let alice_token = app.token_for(alice);
    let (status, _) = app.channel_auth(Some(&alice_token), "1234.5678", &presence_user_channel(carol.id)).await;
    assert_eq!(status, 403, "a banned user's presence is hidden");
    let (_, inbox) = app.get("/api/conversations", Some(&alice_token)).await;
    assert_eq!(inbox["conversations"][0]["otherUser"]["status"], Value::Null, "{inbox}");

    let (_, bans) = app.get("/api/admin/bans", Some(&admin)).await;
    assert_eq!(
        (bans["bans"][0]["userId"].as_str(), bans["bans"][0]["reason"].as_str()),
        (Some(carol.id), Some("spam waves"))
    );
    let (status, answer) =
        call(&app, "DELETE", &format!("/api/admin/bans?userId={}", carol.id), Some(&admin), None).await;
    assert_eq!((status, &answer["removed"]), (200, &json!(true)));
    assert_eq!(app.get("/api/conversations", Some(&carol_token)).await.0, 200);
    assert_eq!(app.channel_auth(Some(&alice_token), "1234.5678", &presence_user_channel(carol.id)).await.0, 200);
    let (_, audit) = app.get("/api/admin/audit", Some(&admin)).await;
    let actions: Vec<&str> =
        audit["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["user.unban", "user.ban"], "{audit}");
}

#[tokio::test]
async fn an_operator_erasing_an_account_is_audited_and_the_audit_pages() {
    let (app, operator) = app_with_operator(&[]).await;
    let admin = app.token_for(operator);
    sent(&app, app.carol, app.alice, "soon gone").await;
    block(&app, app.carol, app.alice, "block").await;
    block(&app, app.carol, app.bob, "mute").await;
    let (status, body) = call(&app, "DELETE", &format!("/api/me?userId={}", app.carol.id), Some(&admin), None).await;
    assert_eq!((status, &body["done"]), (200, &json!(true)), "{body}");
    let left: i64 = app
        .db()
        .await
        .query_one(r#"SELECT count(*) FROM "UserBlock" WHERE "userId" = $1"#, &[&app.carol.id])
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "an erased account's blocks and mutes are erased with it");
    for user in [app.alice, app.bob] {
        let (status, _) = call(&app, "PUT", &format!("/api/admin/bans?userId={}", user.id), Some(&admin), None).await;
        assert_eq!(status, 200);
    }
    let (_, first) = app.get("/api/admin/audit?limit=2", Some(&admin)).await;
    assert_eq!(first["hasMore"], true, "{first}");
    let before = first["cursor"]["before"].as_i64().unwrap();
    let (_, rest) = app.get(&format!("/api/admin/audit?limit=2&before={before}"), Some(&admin)).await;
    assert_eq!(rest["hasMore"], false, "{rest}");
    assert_eq!(rest["entries"][0]["action"], "user.erase");
    assert_eq!(rest["entries"][0]["targetId"], app.carol.id);
    for bad in [
        "/api/admin/audit?before=0",
        "/api/admin/audit?limit=0",
        "/api/admin/bans?limit=101",
        "/api/admin/reports?status=closed",
        "/api/admin/bans?before=%00",
        "/api/admin/reports?before=%00E",
        "/api/admin/reports?targetId=a%00b",
    ] {
        let (status, body) = app.get(bad, Some(&admin)).await;
        assert_eq!((status, error_code(&body)), (422, "invalid_query"), "{bad}");
    }
    let patch =
        app.http.patch(app.url("/api/admin/reports?id=%00x")).bearer_auth(&admin).json(&json!({"status": "resolved"}));
    let (status, body) = read(patch.send().await.unwrap()).await;
    assert_eq!((status, error_code(&body)), (422, "invalid_query"), "{body}");
}

fn blocklist_file(text: &str) -> String {
    let path = std::env::temp_dir().join(format!("blocklist-{}.txt", uuid::Uuid::new_v4().simple()));
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

#[tokio::test]
async fn the_blocklist_refuses_or_masks_sends_and_edits() {
    let list = blocklist_file("# test words\ndarn\n/fr[e3]{2} m[o0]ney/\n");
    let database_url = migrated_database().await;
    let mut env = test_env(&database_url);
    env.insert("MODERATION_BLOCKLIST_FILE".into(), list.clone());
    let app = TestApp::spawn_with(env.clone()).await;
    let (status, body) = private(&app, app.bob, app.alice, "get FR33 m0ney here").await;
    assert_eq!((status, error_code(&body)), (422, "content_blocked"), "{body}");
    let room = app.joined_room(app.alice, "words", &[app.bob]).await;
    let (status, body) = app
        .post_json("/api/messages/room", Some(&app.token_for(app.bob)), &json!({"roomId": room, "content": "oh darn"}))
        .await;
    assert_eq!((status, error_code(&body)), (422, "content_blocked"));
    let fine = sent(&app, app.bob, app.alice, "darning socks is fine").await;
    let edit = app.http.patch(app.url(&format!("/api/messages?id={}", fine["id"].as_str().unwrap())));
    let (status, body) =
        read(edit.bearer_auth(app.token_for(app.bob)).json(&json!({"content": "darn it"})).send().await.unwrap()).await;
    assert_eq!((status, error_code(&body)), (422, "content_blocked"));

    env.insert("MODERATION_BLOCKLIST_ACTION".into(), "mask".into());
    let masking = TestApp::spawn_with(env).await;
    let message = sent(&masking, masking.bob, masking.alice, "Darn, free money!").await;
    assert_eq!(message["content"], "****, **********!", "{message}");
    let edit = masking.http.patch(masking.url(&format!("/api/messages?id={}", message["id"].as_str().unwrap())));
    let (status, body) = read(
        edit.bearer_auth(masking.token_for(masking.bob)).json(&json!({"content": "darn again"})).send().await.unwrap(),
    )
    .await;
    assert_eq!((status, body["message"]["content"].as_str()), (200, Some("**** again")), "{body}");
    std::fs::remove_file(list).unwrap();
}

/// A tiny moderation webhook: answers by the message's first word (`allow`, `reject`, `replace`,
/// `slow`: 3 s late, `broken`: 500) and keeps every body whose signature verified.
async fn moderation_server(secret: &'static str) -> (u16, Arc<Mutex<Vec<Value>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let kept = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let kept = kept.clone();
            tokio::spawn(async move {
                let Some((head, body)) = read_http_request(&mut stream).await else { return };
                let headers: HashMap<&str, &str> =
                    head.lines().filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim(), v.trim())).collect();
                let signature = headers.get("pusher-chat-signature").copied().unwrap_or("");
                let time: i64 = signature
                    .split(',')
                    .next()
                    .and_then(|t| t.strip_prefix("t="))
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(0);
                let expected =
                    pusher_chat::services::webhook_delivery::signature_header(secret.as_bytes(), time, &body);
                let request: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                if signature == expected {
                    kept.lock().unwrap().push(request.clone());
                }
                let word = request["content"].as_str().unwrap_or("").split(' ').next().unwrap_or("").to_owned();
                let (status, answer) = match word.as_str() {
                    "reject" => (200, json!({"action": "reject"})),
                    "replace" => (200, json!({"action": "replace", "content": "[edited by moderation]"})),
                    "slow" => {
                        tokio::time::sleep(Duration::from_secs(3)).await;
                        (200, json!({"action": "allow"}))
                    }
                    "broken" => (500, json!({})),
                    _ => (200, json!({"action": "allow"})),
                };
                let text = answer.to_string();
                let response = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                    text.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
            });
        }
    });
    (port, seen)
}

#[tokio::test]
async fn the_moderation_webhook_allows_rejects_replaces_and_fails_open_or_closed_within_its_budget() {
    const SECRET: &str = "moderation-secret-0123456789";
    let (port, seen) = moderation_server(SECRET).await;
    let database_url = migrated_database().await;
    let mut env = test_env(&database_url);
    env.insert("MODERATION_WEBHOOK_URL".into(), format!("http://127.0.0.1:{port}/check"));
    env.insert("MODERATION_WEBHOOK_ALLOW_HTTP".into(), "true".into());
    env.insert("MODERATION_WEBHOOK_SECRET".into(), SECRET.into());
    env.insert("MODERATION_WEBHOOK_TIMEOUT_MS".into(), "400".into());
    let open = TestApp::spawn_with(env.clone()).await;
    let (bob, alice) = (open.bob, open.alice);

    assert_eq!(sent(&open, bob, alice, "allow this one").await["content"], "allow this one");
    let (status, body) = private(&open, bob, alice, "reject this one").await;
    assert_eq!((status, error_code(&body)), (422, "content_rejected"));
    assert_eq!(sent(&open, bob, alice, "replace this one").await["content"], "[edited by moderation]");
    let started = std::time::Instant::now();
    assert_eq!(sent(&open, bob, alice, "slow but open").await["content"], "slow but open");
    let waited = started.elapsed();
    eprintln!("safety: a send past the webhook's 400 ms budget answered after {waited:?} (fail-open)");
    assert!(waited < Duration::from_millis(1_500), "{waited:?}");
    assert_eq!(sent(&open, bob, alice, "broken but open").await["content"], "broken but open");
    // Edits are moderated too.
    let message = sent(&open, bob, alice, "allow at first").await;
    let edit = open.http.patch(open.url(&format!("/api/messages?id={}", message["id"].as_str().unwrap())));
    let (status, body) =
        read(edit.bearer_auth(open.token_for(bob)).json(&json!({"content": "reject later"})).send().await.unwrap())
            .await;
    assert_eq!((status, error_code(&body)), (422, "content_rejected"));
    {
        let seen = seen.lock().unwrap();
        assert!(seen.len() >= 7, "every call was signed: {seen:?}");
        let last = seen.last().unwrap();
        assert_eq!((last["action"].as_str(), last["senderId"].as_str()), (Some("edit"), Some(bob.id)), "{last}");
        assert_eq!(seen[0]["conversationId"], private_chat_id(bob.id, alice.id));
    }

    env.insert("MODERATION_WEBHOOK_FAIL".into(), "closed".into());
    let closed = TestApp::spawn_with(env).await;
    for text in ["slow and closed", "broken and closed"] {
        let (status, body) = private(&closed, bob, alice, text).await;
        assert_eq!((status, error_code(&body)), (503, "moderation_unavailable"), "{text}: {body}");
    }
    assert_eq!(sent(&closed, bob, alice, "allow when it answers").await["content"], "allow when it answers");
}

#[tokio::test]
async fn a_blocked_users_live_room_message_reaches_the_socket_but_the_client_package_never_shows_it() {
    use crate::frozen_socket::{shows, ChatClientProcess};
    let app = TestApp::spawn().await;
    let (alice, bob, carol) = (app.alice, app.bob, app.carol);
    let room = app.joined_room(alice, "live", &[bob, carol]).await;
    block(&app, alice, bob, "block").await;
    // A plain socket of alice's on the room: the channel carries every member's events.
    let mut socket = subscribed(&app, alice, &[room_channel(&room)]).await;
    let env = [("ROOMS", room.clone()), ("SAFETY_SYNC_MS", "3600000".to_owned())];
    let mut client = ChatClientProcess::start(&app, &app.token_for(alice), &env).await;
    let channel = room_channel(&room);
    client.expect(Duration::from_secs(10), |r| r["type"] == "subscribed" && r["channel"] == channel).await;

    app.send_to_room(bob, &room, "from bob, blocked").await;
    app.send_to_room(carol, &room, "from carol, after").await;
    let mut heard = Vec::new();
    while let Some(event) = socket.next_event(Duration::from_secs(3)).await {
        if event.event == "new-message" {
            heard.push(event.data["content"].as_str().unwrap_or_default().to_owned());
        }
    }
    assert_eq!(heard, ["from bob, blocked", "from carol, after"], "the socket hears both");
    let chat = format!("room:{room}");
    let report = client.expect(Duration::from_secs(10), |r| shows(r, &chat, "from carol, after")).await;
    assert!(!shows(&report, &chat, "from bob, blocked"), "{report}");
    // Nothing more arrives that shows bob's message.
    while let Some(report) = client.next_within(Duration::from_secs(2)).await {
        assert!(!shows(&report, &chat, "from bob, blocked"), "{report}");
    }
}

#[tokio::test]
async fn a_ban_reaches_another_instance_within_its_cache_time() {
    let (first, operator) = app_with_operator(&[]).await;
    let mut env = test_env(&first.database_url);
    env.insert("ADMIN_USER_IDS".into(), operator.id.into());
    let second = TestApp::spawn_with(env).await;
    let carol = first.carol;
    let token = first.token_for(carol);
    assert_eq!(second.get("/api/blocks", Some(&token)).await.0, 200, "the second instance remembers: not banned");
    let path = format!("/api/admin/bans?userId={}", carol.id);
    assert_eq!(call(&first, "PUT", &path, Some(&first.token_for(operator)), None).await.0, 200);
    let banned = std::time::Instant::now();
    assert_eq!(first.get("/api/blocks", Some(&token)).await.0, 403, "at once where the ban was made");
    loop {
        let (status, body) = second.get("/api/blocks", Some(&token)).await;
        if status == 403 {
            assert_eq!(error_code(&body), "account_suspended");
            break;
        }
        assert!(banned.elapsed() < Duration::from_secs(7), "the other instance still serves a banned user");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!("safety: another instance refused the banned user {:?} after the ban", banned.elapsed());
}
