//! The inbox's unread count is capped, so its cost does not grow with the backlog.

use crate::helpers::*;
use pusher_chat::demo::DemoUser;
use serde_json::{json, Value};

/// `count` messages from `from` to `to`, written straight to the table (numbered by its trigger).
async fn backlog(app: &TestApp, from: &DemoUser, to: &DemoUser, count: i64) {
    app.db()
        .await
        .execute(
            r#"INSERT INTO "Message" ("id", "senderId", "receiverId", "content", "updatedAt")
               SELECT gen_random_uuid()::text, $1, $2, 'backlog ' || g, now() FROM generate_series(1, $3::bigint) g"#,
            &[&from.id, &to.id, &count],
        )
        .await
        .unwrap();
}

async fn unread_from(app: &TestApp, reader: &DemoUser, other: &DemoUser) -> (Value, Value) {
    let (_, inbox) = app.get("/api/conversations", Some(&app.token_for(reader))).await;
    let entry = inbox["conversations"].as_array().unwrap().iter().find(|c| c["otherUser"]["id"] == other.id).unwrap();
    (entry["unreadCount"].clone(), entry["unreadCapped"].clone())
}

#[tokio::test]
async fn unread_counts_stop_at_one_hundred_and_say_so() {
    let app = TestApp::spawn().await;
    backlog(&app, app.bob, app.alice, 99).await;
    assert_eq!(unread_from(&app, app.alice, app.bob).await, (json!(99), json!(false)));
    backlog(&app, app.bob, app.alice, 1).await;
    assert_eq!(unread_from(&app, app.alice, app.bob).await, (json!(100), json!(false)), "exactly the cap");
    backlog(&app, app.bob, app.alice, 1).await;
    assert_eq!(unread_from(&app, app.alice, app.bob).await, (json!(100), json!(true)), "one past the cap");
    backlog(&app, app.bob, app.alice, 5000).await;
    assert_eq!(unread_from(&app, app.alice, app.bob).await, (json!(100), json!(true)));
    // The reader's own messages are never unread, however many there are.
    backlog(&app, app.alice, app.carol, 300).await;
    assert_eq!(unread_from(&app, app.alice, app.carol).await, (json!(0), json!(false)));
    assert_eq!(unread_from(&app, app.carol, app.alice).await, (json!(100), json!(true)));
}
