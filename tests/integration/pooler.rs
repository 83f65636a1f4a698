//! Every route through PgBouncer in transaction mode, as production reaches Supabase through its
//! transaction pooler: named prepared statements would fail here ("prepared statement … already
//! exists" / "does not exist"), so this proves the unnamed-statement discipline end to end. The
//! pooler also requires TLS, as Supabase's does.

use crate::helpers::*;
use serde_json::json;

fn pooler_base() -> String {
    std::env::var("TEST_PGBOUNCER_URL_BASE").expect("TEST_PGBOUNCER_URL_BASE (scripts/test starts PgBouncer)")
}

async fn app_through_pooler() -> TestApp {
    let direct = migrated_database().await;
    let name = direct.rsplit('/').next().unwrap();
    let pooled = format!("{}/{name}?sslmode=require", pooler_base());
    let mut env = test_env(&pooled);
    env.insert("DB_POOL_SIZE".into(), "3".into());
    TestApp::spawn_with(env).await
}

#[tokio::test]
async fn the_messaging_flow_works_through_a_transaction_pooler() {
    let app = app_through_pooler().await;
    let (alice, bob) = (app.token_for(app.alice), app.token_for(app.bob));
    let (status, health) = app.get("/api/health", None).await;
    assert_eq!(status, 200, "{health}");

    // Many statements over few pooled server connections, several in flight at once.
    let sends = (0..8).map(|i| {
        app.http
            .post(app.url("/api/messages/private"))
            .bearer_auth(&alice)
            .json(&json!({"receiverId": app.bob.id, "content": format!("pooled {i}"), "clientMessageId": format!("p-{i}")}))
            .send()
    });
    for response in futures_util::future::join_all(sends).await {
        let (status, body) = read(response.unwrap()).await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, again) = app
        .post_json(
            "/api/messages/private",
            Some(&alice),
            &json!({"receiverId": app.bob.id, "content": "pooled 0", "clientMessageId": "p-0"}),
        )
        .await;
    assert_eq!((status, again["message"]["seq"].as_i64().is_some()), (200, true));
    let (status, page) = app.get(&format!("/api/messages/private?chatId={}&after=0", app.alice.id), Some(&bob)).await;
    assert_eq!(status, 200);
    assert_eq!(page["messages"].as_array().unwrap().len(), 8);
    let (status, _) =
        app.post_json("/api/messages/read", Some(&bob), &json!({"chatId": app.alice.id, "upToSeq": 8})).await;
    assert_eq!(status, 200);
    let (status, inbox) = app.get("/api/conversations", Some(&bob)).await;
    assert_eq!((status, inbox["conversations"][0]["unreadCount"].as_i64()), (200, Some(0)));
    let (status, _) = app.post_json("/api/typing", Some(&bob), &json!({"chatId": app.alice.id, "typing": true})).await;
    assert_eq!(status, 202);
    let (status, room) =
        app.post_json("/api/rooms", Some(&alice), &json!({"name": "Pooled", "memberIds": [app.bob.id]})).await;
    assert_eq!(status, 201, "{room}");
    let (status, _) = app.get("/api/me", Some(&alice)).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_pooler_refuses_plain_connections_so_the_tls_above_was_real() {
    let plain = format!("{}/postgres?sslmode=disable", pooler_base());
    assert!(pusher_chat::db::connect(&plain).await.is_err(), "plain connections must be refused");
    let encrypted = format!("{}/postgres?sslmode=require", pooler_base());
    let client = pusher_chat::db::connect(&encrypted).await.expect("TLS connection through the pooler");
    let row = client.query_typed_one("SELECT 1::int4 AS one", &[]).await.unwrap();
    assert_eq!(row.get::<_, i32>("one"), 1);
}
