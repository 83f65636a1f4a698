//! The database going away under a request (a restart, a failover, a pooler dropping the
//! connection) is a 503 with Retry-After that the client may retry, never a 500.

use crate::helpers::*;
use pusher_chat::error::ApiError;
use std::time::Duration;

#[tokio::test]
async fn a_connection_the_database_drops_is_503_not_500() {
    let url = migrated_database().await;
    let admin = pusher_chat::db::connect(&url).await.unwrap();
    let victim = pusher_chat::db::connect(&url).await.unwrap();
    let pid: i32 = victim.query_one("SELECT pg_backend_pid()", &[]).await.unwrap().get(0);

    // A statement in flight when the server ends the connection (as `pg_ctl restart -m fast`
    // does): SQLSTATE 57P01.
    let sleeping = tokio::spawn(async move {
        let outcome = victim.simple_query("SELECT pg_sleep(10)").await;
        (victim, outcome)
    });
    let running = "SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND query LIKE '%pg_sleep%'";
    while admin.query_one(running, &[&pid]).await.unwrap().get::<_, i64>(0) == 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    admin.query_one("SELECT pg_terminate_backend($1)", &[&pid]).await.unwrap();
    let (victim, in_flight) = tokio::time::timeout(Duration::from_secs(5), sleeping).await.unwrap().unwrap();
    let err = in_flight.expect_err("the statement fails with the connection");
    assert_eq!(err.code().map(|c| c.code()), Some("57P01"), "{err}");
    let response = ApiError::from(err).into_response();
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(response.headers()["retry-after"], "1");

    // The next statement on that connection: closed.
    let err = victim.simple_query("SELECT 1").await.expect_err("the connection is gone");
    assert!(err.is_closed(), "{err}");
    assert_eq!(ApiError::from(err).status().as_u16(), 503);
}
