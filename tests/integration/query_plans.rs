//! The reads that run on every request stay index range scans on a large table, so their latency
//! does not grow with the number of messages (scripts/bench measures it; this checks the plans).

use crate::helpers::private_chat_id;
use crate::helpers::*;
use pusher_chat::db::conversations::INBOX_SQL;
use pusher_chat::db::messages::{list_messages_sql, Page};
use serde_json::Value;
use tokio_postgres::types::{ToSql, Type};

/// Every scan of "Message" in a JSON plan.
fn message_scans(plan: &Value, found: &mut Vec<String>) {
    if plan["Relation Name"] == "Message" {
        found.push(plan["Node Type"].as_str().unwrap_or_default().to_owned());
    }
    for child in plan["Plans"].as_array().into_iter().flatten() {
        message_scans(child, found);
    }
}

async fn scans(db: &tokio_postgres::Client, sql: &str, params: &[(&(dyn ToSql + Sync), Type)]) -> Vec<String> {
    let row = db.query_typed_one(&format!("EXPLAIN (FORMAT JSON) {sql}"), params).await.unwrap();
    let plan: Value = row.get(0);
    let mut found = Vec::new();
    message_scans(&plan[0]["Plan"], &mut found);
    found
}

#[tokio::test]
async fn history_sync_and_inbox_read_messages_through_indexes_only() {
    let app = TestApp::spawn().await;
    let db = app.db().await;
    // 60,000 messages in 600 other conversations, plus the one under test.
    db.batch_execute(&format!(
        r#"INSERT INTO "Message" ("id", "senderId", "receiverId", "content", "updatedAt", "chatId", "seq")
           SELECT 'filler-' || g, '{a}', '{b}', 'filler', now(), 'filler:' || (g % 600), g FROM generate_series(1, 60000) g;
           ANALYZE;"#,
        a = app.alice.id,
        b = app.bob.id
    ))
    .await
    .unwrap();
    for i in 0..5 {
        let (status, _) = app
            .post_json(
                "/api/messages/private",
                Some(&app.token_for(app.alice)),
                &serde_json::json!({"receiverId": app.carol.id, "content": format!("m{i}")}),
            )
            .await;
        assert_eq!(status, 201);
    }
    let chat = private_chat_id(app.alice.id, app.carol.id);
    for page in [Page::Latest, Page::Before(4), Page::After(2)] {
        let (sql, bound) = list_messages_sql(page);
        let found = scans(&db, &sql, &[(&chat, Type::TEXT), (&bound, Type::INT8), (&51i64, Type::INT8)]).await;
        assert!(!found.is_empty() && found.iter().all(|s| s.starts_with("Index")), "{page:?}: {found:?}");
    }
    let found = scans(&db, INBOX_SQL, &[(&app.alice.id, Type::TEXT), (&50i64, Type::INT8)]).await;
    assert!(!found.is_empty(), "the inbox reads messages");
    assert!(found.iter().all(|s| s != "Seq Scan"), "inbox: {found:?}");
}
