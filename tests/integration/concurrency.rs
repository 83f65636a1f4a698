//! Limits that must hold for any number of parallel requests across API processes.

use crate::helpers::*;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

/// One `server` process (the whole API) with `env`; its base URL.
pub async fn server_process(env: &HashMap<String, String>) -> (Child, String) {
    let port = closed_port();
    let child = Command::new(bin_path("server"))
        .env_clear()
        .envs(env)
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start the server");
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(10), "the server did not listen");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (child, format!("http://127.0.0.1:{port}"))
}

#[tokio::test]
async fn thirty_parallel_reactions_through_three_processes_never_pass_the_cap_of_twenty() {
    let database_url = migrated_database().await;
    let mut env = test_env(&database_url);
    env.insert("RATE_LIMIT_REACTIONS_PER_MINUTE".into(), "1000".into());
    let app = TestApp::spawn_with(env.clone()).await;
    let processes = [server_process(&env).await, server_process(&env).await, server_process(&env).await];
    let apis: Vec<&str> = processes.iter().map(|(_, url)| url.as_str()).collect();
    let token = app.token_for(app.bob);
    let emoji: Vec<String> = (0..49u32).map(|i| char::from_u32(0x1F600 + i).unwrap().to_string()).collect();
    // Several rounds: one lucky interleaving must not hide an overshoot.
    for round in 0..4 {
        let body = json!({"receiverId": app.bob.id, "content": format!("round {round}")});
        let (status, sent) = app.post_json("/api/messages/private", Some(&app.token_for(app.alice)), &body).await;
        assert_eq!(status, 201, "{sent}");
        let id = sent["message"]["id"].as_str().unwrap().to_owned();
        for e in &emoji[..19] {
            let (status, answer) =
                app.post_json("/api/messages/reactions", Some(&token), &json!({"messageId": id, "emoji": e})).await;
            assert_eq!(status, 201, "{e}: {answer}");
        }
        let requests = emoji[19..].iter().enumerate().map(|(i, e)| {
            let request = app.http.post(format!("{}/api/messages/reactions", apis[i % 3]));
            request.bearer_auth(&token).json(&json!({"messageId": id, "emoji": e})).send()
        });
        let mut outcomes: BTreeMap<(u16, String), usize> = BTreeMap::new();
        for response in futures_util::future::join_all(requests).await {
            let (status, answer) = read(response.unwrap()).await;
            let code = answer["error"]["code"].as_str().unwrap_or("").to_owned();
            *outcomes.entry((status, code)).or_default() += 1;
        }
        let stored: i64 = app
            .db()
            .await
            .query_one(
                r#"SELECT count(*) FROM "MessageReaction" WHERE "messageId" = $1 AND "userId" = $2"#,
                &[&id, &app.bob.id],
            )
            .await
            .unwrap()
            .get(0);
        let expected = BTreeMap::from([((201, String::new()), 1), ((422, "too_many_reactions".to_owned()), 29)]);
        assert_eq!((stored, &outcomes), (20, &expected), "round {round}");
    }
}
