//! A user's data: the export holds exactly theirs, erasure leaves nothing of them and no gap in
//! anyone else's conversation (and finishes after being cut off half-way), retention removes only
//! what is older than the limit, and a 100 k-message account does both in bounded calls.

use crate::helpers::*;
use pusher_chat::demo::DemoUser;
use pusher_chat::services::jobs::run_periodic_jobs;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Instant;

/// An app whose webhooks go to a port nothing listens on, so the rows stay in the outbox to read.
async fn app_with(extra: &[(&str, &str)]) -> TestApp {
    let database_url = migrated_database().await;
    let mut env: HashMap<String, String> = test_env(&database_url);
    env.insert("OUTBOUND_WEBHOOK_URL".into(), format!("http://127.0.0.1:{}/hook", closed_port()));
    env.insert("OUTBOUND_WEBHOOK_SECRET".into(), "webhook-secret-0123456789abcdef".into());
    env.insert("OUTBOUND_WEBHOOK_ALLOW_HTTP".into(), "true".into());
    env.insert("OUTBOX_PIGGYBACK_ROWS".into(), "0".into());
    // No periodic jobs in the background: each test runs them itself when it means to.
    env.insert("OUTBOX_DRAIN_INTERVAL_MS".into(), "0".into());
    env.insert("RATE_LIMIT_MESSAGES_PER_MINUTE".into(), "100000".into());
    for (name, value) in extra {
        env.insert((*name).into(), (*value).into());
    }
    TestApp::spawn_with(env).await
}

impl TestApp {
    async fn say(&self, from: &DemoUser, to: &DemoUser, content: &str) -> Value {
        let body = json!({"receiverId": to.id, "content": content});
        let (status, answer) = self.post_json("/api/messages/private", Some(&self.token_for(from)), &body).await;
        assert_eq!(status, 201, "{answer}");
        answer["message"].clone()
    }

    async fn react(&self, user: &DemoUser, message_id: &str, emoji: &str) {
        let body = json!({"messageId": message_id, "emoji": emoji});
        let (status, answer) = self.post_json("/api/messages/reactions", Some(&self.token_for(user)), &body).await;
        assert!(status == 200 || status == 201, "{answer}");
    }

    async fn erase(&self, caller: &DemoUser, user_id: Option<&str>) -> (u16, Value) {
        let path = match user_id {
            Some(id) => format!("/api/me?userId={id}"),
            None => "/api/me".to_owned(),
        };
        read(self.http.delete(self.url(&path)).bearer_auth(self.token_for(caller)).send().await.unwrap()).await
    }

    /// Every page of `user`'s export, first to last, and the size of each in bytes.
    async fn export(&self, user: &DemoUser) -> (Vec<Value>, Vec<usize>) {
        let (mut pages, mut sizes, mut cursor) = (Vec::new(), Vec::new(), None::<String>);
        loop {
            let mut request = self.http.get(self.url("/api/me/export")).bearer_auth(self.token_for(user));
            if let Some(cursor) = &cursor {
                request = request.query(&[("cursor", cursor)]);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            assert_eq!(status, 200, "{text}");
            sizes.push(text.len());
            let page: Value = serde_json::from_str(&text).unwrap();
            cursor = page["nextCursor"].as_str().map(str::to_owned);
            pages.push(page);
            if cursor.is_none() {
                return (pages, sizes);
            }
        }
    }

    async fn count(&self, sql: &str, user: &str) -> i64 {
        self.db().await.query_one(sql, &[&user]).await.unwrap().get(0)
    }

    /// Each conversation's numbers, in order, so a gap shows.
    async fn seqs(&self, chat_id: &str) -> Vec<i64> {
        let rows = self
            .db()
            .await
            .query(r#"SELECT "seq" FROM "Message" WHERE "chatId" = $1 ORDER BY "seq""#, &[&chat_id])
            .await
            .unwrap();
        rows.iter().map(|r| r.get(0)).collect()
    }
}

/// A file message written as the seed's code writes one (the trigger numbers it).
async fn insert_file_message(app: &TestApp, from: &DemoUser, to: &DemoUser, url: &str) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    app.db()
        .await
        .execute(
            r#"INSERT INTO "Message" ("id", "senderId", "receiverId", "content", "type", "fileUrl", "fileName",
                   "fileSize", "updatedAt")
               VALUES ($1, $2, $3, 'see the plan', 'FILE', $4, 'plan.pdf', 1234, now())"#,
            &[&id, &from.id, &to.id, &url],
        )
        .await
        .unwrap();
    id
}

/// Alice's account with a bit of everything: chats, an edit, a file, reactions both ways, a room,
/// an invitation, a mute and a push subscription; bob and carol write things of their own.
async fn alice_with_data(app: &TestApp) -> String {
    let (alice, bob, carol) = (app.alice, app.bob, app.carol);
    let from_bob = app.say(bob, alice, "bob-secret-text").await;
    let mine = app.say(alice, bob, "alice-first-draft").await;
    let id = mine["id"].as_str().unwrap();
    let edit = app
        .http
        .patch(app.url(&format!("/api/messages?id={id}")))
        .bearer_auth(app.token_for(alice))
        .json(&json!({"content": "alice-final-text"}))
        .send()
        .await
        .unwrap();
    assert_eq!(edit.status(), 200);
    insert_file_message(app, alice, bob, "https://files.example/alice/plan.pdf").await;
    app.react(alice, from_bob["id"].as_str().unwrap(), "👍").await;
    app.react(bob, id, "❤️").await;
    app.say(bob, alice, "bob-after").await;
    let room = app.joined_room(carol, "team", &[alice]).await;
    app.send_to_room(carol, &room, "carol-secret-text").await;
    app.send_to_room(alice, &room, "alice-in-room").await;
    let (status, _) = app
        .post_json("/api/messages/read", Some(&app.token_for(alice)), &json!({"chatId": bob.id, "upToSeq": 4}))
        .await;
    assert!(status < 300, "read: {status}");
    let db = app.db().await;
    db.execute(
        r#"INSERT INTO "RoomInvitation" ("roomId", "userId", "invitedBy") VALUES ($1, $2, $3)"#,
        &[&room, &bob.id, &alice.id],
    )
    .await
    .unwrap();
    db.execute(
        r#"INSERT INTO "PushSubscription" ("id", "userId", "endpoint", "p256dh", "auth")
           VALUES ($1, $2, 'https://push.example/alice', 'alice-p256dh-key', 'alice-auth-key')"#,
        &[&uuid::Uuid::new_v4().to_string(), &alice.id],
    )
    .await
    .unwrap();
    db.execute(
        r#"INSERT INTO "ChatPresence" ("channel", "userId", "present", "at") VALUES ($1, $2, true, now())"#,
        &[&format!("presence-chat-{}", alice.id), &alice.id],
    )
    .await
    .unwrap();
    db.execute(
        r#"INSERT INTO "ConversationMute" ("userId", "chatId") VALUES ($1, $2)"#,
        &[&alice.id, &format!("room:{room}")],
    )
    .await
    .unwrap();
    // Her block of carol and a report she filed, whose snapshot holds carol's text.
    db.execute(
        r#"INSERT INTO "UserBlock" ("userId", "blockedId", "kind") VALUES ($1, $2, 'block')"#,
        &[&alice.id, &carol.id],
    )
    .await
    .unwrap();
    db.execute(
        r#"INSERT INTO "Report" ("id", "reporterId", "targetType", "targetId", "reason", "note", "snapshot")
           VALUES ($1, $2, 'user', $3, 'spam', 'alice-report-note', '{"content": "carol-secret-text"}')"#,
        &[&uuid::Uuid::new_v4().to_string(), &alice.id, &carol.id],
    )
    .await
    .unwrap();
    room
}

#[tokio::test]
async fn the_export_holds_exactly_the_callers_data_and_no_one_elses_text() {
    let app = app_with(&[]).await;
    let room = alice_with_data(&app).await;
    let (pages, _) = app.export(app.alice).await;
    let all = serde_json::to_string(&pages).unwrap();
    let first = &pages[0];
    assert_eq!(first["profile"]["id"], app.alice.id);
    let texts: Vec<&str> =
        pages.iter().flat_map(|p| p["messages"].as_array().unwrap()).map(|m| m["content"].as_str().unwrap()).collect();
    let mut sorted = texts.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, ["alice-final-text", "alice-in-room", "see the plan"], "her messages, as they stand now");
    let file = pages.iter().flat_map(|p| p["messages"].as_array().unwrap()).find(|m| m["type"] == "FILE").unwrap();
    assert_eq!((file["fileName"].as_str(), file["fileSize"].as_i64()), (Some("plan.pdf"), Some(1234)));
    let reactions: Vec<&Value> = pages.iter().flat_map(|p| p["reactions"].as_array().unwrap()).collect();
    assert_eq!(reactions.len(), 1, "her reaction, not bob's on her message: {reactions:?}");
    assert_eq!(reactions[0]["emoji"], "👍");
    assert_eq!(first["rooms"][0]["id"], room.as_str());
    assert_eq!(first["invitationsSent"][0]["userId"], app.bob.id);
    assert_eq!(first["readPositions"].as_array().unwrap().len(), 1, "{}", first["readPositions"]);
    assert_eq!(first["mutes"].as_array().unwrap().len(), 1);
    assert_eq!(first["pushSubscriptions"][0]["endpoint"], "https://push.example/alice");
    assert_eq!((&first["blocks"][0]["userId"], &first["blocks"][0]["kind"]), (&json!(app.carol.id), &json!("block")));
    let report = &first["reportsFiled"][0];
    assert_eq!(
        (&report["reason"], &report["note"], &report["targetId"]),
        (&json!("spam"), &json!("alice-report-note"), &json!(app.carol.id))
    );
    assert!(report.get("snapshot").is_none(), "the evidence is carol's text, not alice's data");
    assert_eq!(first["rooms"][0]["role"], "member");
    for foreign in
        ["bob-secret-text", "bob-after", "carol-secret-text", "alice-first-draft", "alice-p256dh-key", "alice-auth-key"]
    {
        assert!(!all.contains(foreign), "the export holds {foreign:?}");
    }
    // Bob's export is his alone.
    let (bobs, _) = app.export(app.bob).await;
    let bobs = serde_json::to_string(&bobs).unwrap();
    assert!(bobs.contains("bob-secret-text") && !bobs.contains("alice-final-text"));

    // One export an hour; a cursor that is not one is refused.
    let again = app.http.get(app.url("/api/me/export")).bearer_auth(app.token_for(app.alice)).send().await.unwrap();
    assert_eq!(again.status(), 429);
    assert!(again.headers().contains_key("retry-after"));
    let (status, body) = app.get("/api/me/export?cursor=m.a%20b", Some(&app.token_for(app.alice))).await;
    assert_eq!((status, error_code(&body)), (400, "invalid_cursor"));
}

/// What is left of `user` anywhere: a row that names them with data, or holds their text.
async fn remains_of(app: &TestApp, user: &str) -> Vec<(&'static str, i64)> {
    let checks: [(&'static str, &str); 10] = [
        (
            "profile",
            r#"SELECT count(*) FROM "User" WHERE "id" = $1 AND ("email" IS NOT NULL OR "firstName" <> '' OR "lastName" <> '' OR "avatar" IS NOT NULL OR "erasureDoneAt" IS NULL)"#,
        ),
        (
            "live messages",
            r#"SELECT count(*) FROM "Message" WHERE "senderId" = $1 AND ("deletedAt" IS NULL OR "content" <> '' OR "fileUrl" IS NOT NULL OR "fileName" IS NOT NULL)"#,
        ),
        ("reactions", r#"SELECT count(*) FROM "MessageReaction" WHERE "userId" = $1"#),
        ("read positions", r#"SELECT count(*) FROM "ConversationRead" WHERE "userId" = $1"#),
        ("push subscriptions", r#"SELECT count(*) FROM "PushSubscription" WHERE "userId" = $1"#),
        ("mutes", r#"SELECT count(*) FROM "ConversationMute" WHERE "userId" = $1"#),
        ("open chats", r#"SELECT count(*) FROM "ChatPresence" WHERE "userId" = $1"#),
        ("invitations", r#"SELECT count(*) FROM "RoomInvitation" WHERE "userId" = $1 OR "invitedBy" = $1"#),
        ("memberships", r#"SELECT count(*) FROM "RoomMember" WHERE "userId" = $1"#),
        (
            "searchable text",
            r#"SELECT count(*) FROM "Message" WHERE "senderId" = $1 AND "searchVector" <> ''::tsvector"#,
        ),
    ];
    let mut left = Vec::new();
    for (what, sql) in checks {
        let n = app.count(sql, user).await;
        if n > 0 {
            left.push((what, n));
        }
    }
    left
}

#[tokio::test]
async fn erasing_leaves_nothing_of_the_user_and_no_gap_in_anyone_elses_conversation() {
    // Two messages a call: her three take two calls, as if the first had been cut off.
    let app = app_with(&[("ERASE_MESSAGES_PER_CALL", "2")]).await;
    let (alice, bob) = (app.alice, app.bob);
    let room = alice_with_data(&app).await;
    let chat = private_chat_id(alice.id, bob.id);
    let (private_before, room_before) = (app.seqs(&chat).await, app.seqs(&format!("room:{room}")).await);

    let (status, first) = app.erase(alice, None).await;
    assert_eq!((status, &first["done"], &first["messagesErased"]), (202, &json!(false), &json!(2)), "{first}");
    // Half-way, the account is already gone for everyone.
    let (_, me) = app.get("/api/me", Some(&app.token_for(alice))).await;
    assert_eq!(me["profile"], Value::Null);
    assert!(!remains_of(&app, alice.id).await.is_empty(), "one call must not have finished it");

    let (status, second) = app.erase(alice, None).await;
    assert_eq!((status, &second["done"]), (200, &json!(true)), "{second}");
    assert_eq!(remains_of(&app, alice.id).await, [], "what is left of her");
    // Every number of both conversations is still there, hers as tombstones.
    assert_eq!(app.seqs(&chat).await, private_before);
    assert_eq!(app.seqs(&format!("room:{room}")).await, room_before);
    let (status, history) =
        app.get(&format!("/api/messages/private?chatId={}", alice.id), Some(&app.token_for(bob))).await;
    assert_eq!(status, 200, "{history}");
    let texts: Vec<&str> =
        history["messages"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap()).collect();
    assert_eq!(texts, ["bob-secret-text", "", "", "bob-after"], "bob keeps his words, hers are tombstones");
    let (_, carols) = app.get(&format!("/api/messages/room?roomId={room}"), Some(&app.token_for(app.carol))).await;
    assert_eq!(carols["messages"][0]["content"], "carol-secret-text");

    // One user.erased event, however often it is asked again.
    let (status, third) = app.erase(alice, None).await;
    assert_eq!((status, &third["done"], &third["messagesErased"]), (200, &json!(true), &json!(0)));
    let events = app
        .db()
        .await
        .query(r#"SELECT "payload" FROM "Outbox" WHERE "payload"->>'type' = 'user.erased'"#, &[])
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    let payload: Value = events[0].get(0);
    assert_eq!(payload["data"]["userId"], alice.id);

    // The account stays gone: no profile again, no message to or from it.
    let put = app.http.put(app.url("/api/me")).bearer_auth(app.token_for(alice)).json(&json!({"firstName": "Alice"}));
    let (status, body) = read(put.send().await.unwrap()).await;
    assert_eq!((status, error_code(&body)), (403, "account_erased"));
    let (status, body) = app
        .post_json(
            "/api/messages/private",
            Some(&app.token_for(bob)),
            &json!({"receiverId": alice.id, "content": "hi"}),
        )
        .await;
    assert_eq!((status, error_code(&body)), (422, "receiver_not_found"));
    let (status, body) = app
        .post_json(
            "/api/messages/private",
            Some(&app.token_for(alice)),
            &json!({"receiverId": bob.id, "content": "hi"}),
        )
        .await;
    assert_eq!((status, error_code(&body)), (403, "profile_required"));
}

#[tokio::test]
async fn an_erasure_cut_off_half_way_is_finished_by_the_periodic_jobs() {
    let app = app_with(&[("ERASE_MESSAGES_PER_CALL", "1")]).await;
    alice_with_data(&app).await;
    let (status, _) = app.erase(app.alice, None).await;
    assert_eq!(status, 202);
    let mut runs = 0;
    while !remains_of(&app, app.alice.id).await.is_empty() {
        runs += 1;
        assert!(runs <= 5, "still not erased after {runs} runs: {:?}", remains_of(&app, app.alice.id).await);
        let report = run_periodic_jobs(&app.ctx).await;
        assert!(report.ok(), "{report:?}");
    }
    assert_eq!(runs, 3, "one message a run for the two left, then the run that finds none finishes it");
}

#[tokio::test]
async fn only_an_operator_may_erase_another_account() {
    let operator_id: &'static str = Box::leak(format!("operator-{}", uuid::Uuid::new_v4().simple()).into_boxed_str());
    let operator: &'static DemoUser = Box::leak(Box::new(DemoUser { id: operator_id, ..*carol() }));
    let app = app_with(&[("ADMIN_USER_IDS", &format!("someone-else,{operator_id}"))]).await;
    alice_with_data(&app).await;

    let (status, body) = app.erase(app.bob, Some(app.alice.id)).await;
    assert_eq!((status, error_code(&body)), (403, "not_an_admin"));
    assert_eq!(
        app.count(r#"SELECT count(*) FROM "User" WHERE "id" = $1 AND "erasedAt" IS NULL"#, app.alice.id).await,
        1
    );
    let (status, body) = app.erase(operator, Some("not an id")).await;
    assert_eq!((status, error_code(&body)), (422, "invalid_id"));
    let (status, body) = app.erase(operator, Some("nobody-here")).await;
    assert_eq!((status, error_code(&body)), (404, "not_found"));

    let (status, body) = app.erase(operator, Some(app.alice.id)).await;
    assert_eq!((status, &body["done"]), (200, &json!(true)), "{body}");
    assert_eq!(remains_of(&app, app.alice.id).await, []);
    let payload: Value = app
        .db()
        .await
        .query_one(r#"SELECT "payload" FROM "Outbox" WHERE "payload"->>'type' = 'user.erased'"#, &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(payload["data"]["requestedBy"], operator_id);
    // Naming oneself needs no operator.
    let (status, _) = app.erase(app.bob, Some(app.bob.id)).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn retention_turns_only_messages_older_than_the_limit_into_tombstones() {
    let app = app_with(&[("MESSAGE_RETENTION_DAYS", "30")]).await;
    let (alice, bob) = (app.alice, app.bob);
    let db = app.db().await;
    for (content, days_ago) in [("old-1", 40), ("old-2", 31), ("young-1", 29), ("young-2", 0)] {
        db.execute(
            r#"INSERT INTO "Message" ("id", "senderId", "receiverId", "content", "fileUrl", "createdAt", "updatedAt")
               VALUES ($1, $2, $3, $4, 'https://files.example/x', (now() AT TIME ZONE 'UTC') - make_interval(days => $5), now())"#,
            &[&uuid::Uuid::new_v4().to_string(), &alice.id, &bob.id, &content, &days_ago],
        )
        .await
        .unwrap();
    }
    let report = run_periodic_jobs(&app.ctx).await;
    assert!(report.ok(), "{report:?}");
    let rows = db
        .query(
            r#"SELECT "seq", "content", "fileUrl" IS NULL AS no_file, "deletedAt" IS NOT NULL AS tombstone
               FROM "Message" WHERE "chatId" = $1 ORDER BY "seq""#,
            &[&private_chat_id(alice.id, bob.id)],
        )
        .await
        .unwrap();
    let seen: Vec<(i64, String, bool, bool)> = rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3))).collect();
    assert_eq!(
        seen,
        [
            (1, String::new(), true, true),
            (2, String::new(), true, true),
            (3, "young-1".to_owned(), false, false),
            (4, "young-2".to_owned(), false, false),
        ]
    );
    // Off (unset), nothing expires.
    let keep_all = app_with(&[]).await;
    keep_all.insert_message(keep_all.alice, keep_all.bob).await;
    keep_all.db().await.execute(r#"UPDATE "Message" SET "createdAt" = '2000-01-01'"#, &[]).await.unwrap();
    run_periodic_jobs(&keep_all.ctx).await;
    let live = keep_all
        .count(r#"SELECT count(*) FROM "Message" WHERE "senderId" = $1 AND "deletedAt" IS NULL"#, keep_all.alice.id)
        .await;
    assert_eq!(live, 1);
}

/// 100 k messages written in one statement, numbered as sends number them.
async fn seed_messages(app: &TestApp, from: &DemoUser, to: &DemoUser, count: i64) {
    let chat = private_chat_id(from.id, to.id);
    let (a, b) = chat.split_once(':').unwrap();
    let db = app.db().await;
    db.execute(
        r#"INSERT INTO "Conversation" ("id", "kind", "userA", "userB", "lastSeq", "lastMessageAt")
           VALUES ($1, 'private', $2, $3, $4, now() AT TIME ZONE 'UTC')"#,
        &[&chat, &a, &b, &count],
    )
    .await
    .unwrap();
    db.execute(
        r#"INSERT INTO "Message" ("id", "senderId", "receiverId", "content", "createdAt", "updatedAt", "chatId", "seq")
           SELECT 'bulk-' || lpad(n::text, 7, '0'), $1, $2, 'bulk message number ' || n,
                  (now() AT TIME ZONE 'UTC') - make_interval(secs => ($4::bigint - n)::float8), now(), $3, n
           FROM generate_series(1::bigint, $4::bigint) AS n"#,
        &[&from.id, &to.id, &chat, &count],
    )
    .await
    .unwrap();
    // As autovacuum would before long: plans as on a database that has the rows for a while.
    db.batch_execute(r#"ANALYZE "Message""#).await.unwrap();
}

/// The bounds stated in docs/privacy.md: an export page holds at most 1000 messages and stays
/// under 1 MB; an erase call tombstones at most ERASE_MESSAGES_PER_CALL (5000) messages, so
/// 100 k take 20 calls and a 21st that finishes. Times are printed, not asserted.
#[tokio::test]
async fn a_100k_message_account_exports_and_erases_in_bounded_calls() {
    const MESSAGES: i64 = 100_000;
    let app = app_with(&[]).await;
    seed_messages(&app, app.alice, app.bob, MESSAGES).await;

    let started = Instant::now();
    let (pages, sizes) = app.export(app.alice).await;
    let exported: usize = pages.iter().map(|p| p["messages"].as_array().unwrap().len()).sum();
    assert_eq!(exported as i64, MESSAGES);
    assert!(pages.iter().all(|p| p["messages"].as_array().unwrap().len() <= 1000));
    let largest = sizes.iter().max().copied().unwrap();
    assert!(largest < 1_000_000, "a page of {largest} bytes");
    eprintln!(
        "privacy: exported {MESSAGES} messages in {} pages in {:?} (largest page {largest} bytes)",
        pages.len(),
        started.elapsed()
    );

    let mut calls = Vec::new();
    loop {
        let started = Instant::now();
        let (status, body) = app.erase(app.alice, None).await;
        calls.push(started.elapsed());
        eprintln!("privacy: erase call {}: {status} {body} in {:?}", calls.len(), started.elapsed());
        assert!(body["messagesErased"].as_u64().unwrap() <= 5_000, "{body}");
        assert!(calls.len() <= 21, "not done after {} calls", calls.len());
        if status == 200 {
            break;
        }
        assert_eq!(status, 202, "{body}");
    }
    assert_eq!(calls.len(), 21);
    assert_eq!(remains_of(&app, app.alice.id).await, []);
    assert_eq!(app.seqs(&private_chat_id(app.alice.id, app.bob.id)).await.len() as i64, MESSAGES);
    eprintln!(
        "privacy: erased {MESSAGES} messages in {} calls, slowest {:?}, total {:?}",
        calls.len(),
        calls.iter().max().unwrap(),
        calls.iter().sum::<std::time::Duration>()
    );
}

#[tokio::test]
async fn erasing_closes_the_accounts_connections_and_its_chats_are_refused_after() {
    use crate::leaving::{heard_until_closed, signed_in};
    let app = app_with(&[]).await;
    let (alice, bob) = (app.alice, app.bob);
    app.say(bob, alice, "hello").await;
    let chat = private_chat_channel(alice.id, bob.id);
    let mut socket = signed_in(&app, alice, &[notifications_channel(alice.id), chat.clone()]).await;
    let (status, _) = app.erase(alice, None).await;
    assert_eq!(status, 200);
    let (_, closed) = heard_until_closed(&mut socket, std::time::Duration::from_secs(5)).await;
    assert!(closed.is_some(), "the erased account's connection stayed open");
    // Nobody subscribes to a chat with an erased account any more.
    let (status, body) = app.channel_auth(Some(&app.token_for(bob)), "1234.5678", &chat).await;
    assert_eq!(status, 403, "{body}");
}
