//! Health, client config, authentication, body caps, CORS and the dev server's token endpoint.

use crate::helpers::*;
use pusher_chat::auth::sign_hs256_token;

#[tokio::test]
async fn health_reports_database_and_pusher_ok() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/api/health", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"]["status"], "ok");
    assert_eq!(body["pusher"]["status"], "ok");
}

#[tokio::test]
async fn health_is_503_and_names_pusher_when_it_is_unreachable() {
    let mut env = test_env(&migrated_database().await);
    env.insert("PUSHER_PORT".into(), closed_port().to_string());
    let app = TestApp::spawn_with(env).await;
    let (status, body) = app.get("/api/health", None).await;
    assert_eq!(status, 503);
    assert_eq!(body["database"]["status"], "ok");
    assert_eq!(body["pusher"]["status"], "error");
}

/// An HTTP server in place of Pusher's REST API that counts the requests it answers.
async fn counting_pusher() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = count.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let body = r#"{"channels":{}}"#;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
    (port, count)
}

#[tokio::test]
async fn health_checks_pusher_at_most_once_in_five_seconds_however_often_it_is_called() {
    let (port, pusher_calls) = counting_pusher().await;
    let mut env = test_env(&migrated_database().await);
    env.insert("PUSHER_PORT".into(), port.to_string());
    let app = TestApp::spawn_with(env).await;
    let answers = futures_util::future::join_all((0..8).map(|_| app.get("/api/health", None))).await;
    for (status, body) in &answers {
        assert_eq!((*status, &body["pusher"]["status"]), (200, &serde_json::json!("ok")), "{body}");
    }
    let (_, last) = app.get("/api/health", None).await;
    assert!(last["pusher"]["ageMs"].as_u64().is_some(), "a reused check says how old it is: {last}");
    assert_eq!(pusher_calls.load(std::sync::atomic::Ordering::SeqCst), 1, "nine health checks, one Pusher call");
}

#[tokio::test]
async fn health_reports_a_wrong_pusher_secret() {
    let mut env = test_env(&migrated_database().await);
    env.insert("PUSHER_SECRET".into(), "not-the-secret".into());
    let app = TestApp::spawn_with(env).await;
    let (status, body) = app.get("/api/health", None).await;
    assert_eq!(status, 503);
    assert!(body["pusher"]["error"].as_str().unwrap().contains("refused"), "{body}");
}

#[tokio::test]
async fn health_reports_an_unmigrated_database() {
    let (url, _) = fresh_database().await;
    let app = TestApp::spawn_with(test_env(&url)).await;
    let (status, body) = app.get("/api/health", None).await;
    assert_eq!(status, 503);
    assert_eq!(body["database"]["status"], "error");
    assert!(body["database"]["error"].as_str().unwrap().contains("migrations"));
}

#[tokio::test]
async fn health_reports_an_unreachable_database_without_leaking_its_url() {
    let url = format!("postgres://postgres:s3cretpw@127.0.0.1:{}/nope", closed_port());
    let app = TestApp::spawn_with(test_env(&url)).await;
    let (status, body) = app.get("/api/health", None).await;
    assert_eq!(status, 503);
    assert_eq!(body["database"]["status"], "error");
    assert!(!body.to_string().contains("s3cretpw"));
}

#[tokio::test]
async fn config_gives_the_browser_what_pusher_js_needs_and_no_secret() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/api/config", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["pusher"]["key"], std::env::var("PUSHER_KEY").unwrap());
    let options = &body["pusher"]["options"];
    assert_eq!(options["wsHost"], std::env::var("PUSHER_HOST").unwrap());
    assert_eq!(options["wsPort"].to_string(), std::env::var("PUSHER_PORT").unwrap());
    // Absolute, so a frontend on another origin posts to this API and not to itself.
    assert_eq!(options["channelAuthorization"]["endpoint"], app.url("/api/pusher/auth"));
    assert_eq!(options["userAuthentication"]["endpoint"], app.url("/api/pusher/user-auth"));
    assert!(!body.to_string().contains(&std::env::var("PUSHER_SECRET").unwrap()));
    assert_eq!(body["messageEditWindowSecs"], 900, "MESSAGE_EDIT_WINDOW_SECS's default");
}

#[tokio::test]
async fn config_endpoints_follow_the_forwarded_origin_or_public_base_url() {
    let app = TestApp::spawn().await;
    let response = app
        .http
        .get(app.url("/api/config"))
        .header("x-forwarded-host", "chat-api.example")
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    let (_, body) = read(response).await;
    assert_eq!(
        body["pusher"]["options"]["channelAuthorization"]["endpoint"],
        "https://chat-api.example/api/pusher/auth"
    );
    assert_eq!(body["apiBaseUrl"], "https://chat-api.example");

    let mut env = test_env(&app.database_url);
    env.insert("PUBLIC_BASE_URL".into(), "https://api.chat.example/".into());
    let app = TestApp::spawn_with(env).await;
    let (_, body) = app.get("/api/config", None).await;
    assert_eq!(
        body["pusher"]["options"]["userAuthentication"]["endpoint"],
        "https://api.chat.example/api/pusher/user-auth"
    );
}

#[tokio::test]
async fn a_cross_origin_client_can_read_retry_after_and_send_json_without_a_content_type() {
    let app = TestApp::spawn().await;
    let token = app.token_for(app.alice);
    let mut last = None;
    // The seed's fetch: a JSON string body with no Content-Type header (reqwest sends none for a
    // plain string body), from an allowed origin, until the send limit answers 429.
    for i in 0..11 {
        let response = app
            .http
            .post(app.url("/api/messages/private"))
            .bearer_auth(&token)
            .header("origin", "https://app.example")
            .body(serde_json::json!({"receiverId": app.bob.id, "content": format!("hi {i}")}).to_string())
            .send()
            .await
            .unwrap();
        if i < 10 {
            assert_eq!(response.status(), 201, "send {i} without a Content-Type");
        }
        last = Some(response);
    }
    let response = last.unwrap();
    assert_eq!(response.status(), 429);
    let headers = response.headers();
    assert_eq!(headers["access-control-allow-origin"], "https://app.example");
    let exposed = headers["access-control-expose-headers"].to_str().unwrap().to_ascii_lowercase();
    assert!(exposed.split(',').any(|h| h.trim() == "retry-after"), "{exposed}");
    assert!(headers["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
}

#[tokio::test]
async fn me_accepts_a_dev_token_and_returns_the_profile() {
    let app = TestApp::spawn().await;
    let (status, issued) = app.get("/dev/token?user=alice", None).await;
    assert_eq!(status, 200);
    assert_eq!(issued["user"]["id"], alice().id);
    let (status, me) = app.get("/api/me", issued["token"].as_str()).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["id"], alice().id);
    assert_eq!(me["profile"]["firstName"], "Alice");
}

#[tokio::test]
async fn dev_token_is_readable_from_an_allowed_origin_only() {
    let app = TestApp::spawn().await;
    let get = |origin: &'static str| app.http.get(app.url("/dev/token?user=bob")).header("origin", origin).send();
    let allowed = get("https://app.example").await.unwrap();
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://app.example");
    let other = get("https://evil.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn dev_token_refuses_unknown_users() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/dev/token?user=mallory", None).await;
    assert_eq!(status, 400);
    assert_eq!(error_code(&body), "unknown_demo_user");
}

#[tokio::test]
async fn bad_tokens_are_401_with_a_reason() {
    let app = TestApp::spawn().await;
    let forged = sign_hs256_token("another-secret", "authenticated", alice().id, None, 600);
    let expired = sign_hs256_token(JWT_SECRET, "authenticated", alice().id, None, -600);
    let wrong_audience = sign_hs256_token(JWT_SECRET, "anon", alice().id, None, 600);
    let cases = [
        (None, "missing_token"),
        (Some("garbage"), "invalid_token"),
        (Some(forged.as_str()), "invalid_signature"),
        (Some(expired.as_str()), "token_expired"),
        (Some(wrong_audience.as_str()), "invalid_audience"),
    ];
    for (token, reason) in cases {
        let (status, body) = app.get("/api/me", token).await;
        assert_eq!(status, 401, "{reason}: {body}");
        assert_eq!(error_code(&body), reason);
    }
}

#[tokio::test]
async fn a_body_over_the_cap_is_413_json() {
    let app = TestApp::spawn().await;
    let big = "x".repeat(200 * 1024);
    let response =
        app.http.post(app.url("/api/me")).header("origin", "https://app.example").body(big).send().await.unwrap();
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://app.example",
        "a browser can read the error"
    );
    let (status, body) = read(response).await;
    assert_eq!(status, 413);
    assert_eq!(error_code(&body), "payload_too_large");
}

#[tokio::test]
async fn wrong_methods_and_unknown_routes_are_json_errors() {
    let app = TestApp::spawn().await;
    let (status, body) = app.post_json("/api/health", None, &serde_json::json!({})).await;
    assert_eq!((status, error_code(&body)), (405, "method_not_allowed"));
    let (status, body) = app.get("/api/nothing-here", None).await;
    assert_eq!((status, error_code(&body)), (404, "not_found"));
}

#[tokio::test]
async fn cors_preflight_is_answered_for_configured_origins() {
    let app = TestApp::spawn().await;
    let preflight = |origin: &'static str| {
        app.http
            .request(reqwest::Method::OPTIONS, app.url("/api/me"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
    };
    let allowed = preflight("https://app.example").await.unwrap();
    assert_eq!(allowed.status(), 204);
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://app.example");
    assert!(allowed.headers()["access-control-allow-headers"].to_str().unwrap().contains("authorization"));
    let refused = preflight("https://evil.example").await.unwrap();
    assert_eq!(refused.status(), 403);
    assert!(refused.headers().get("access-control-allow-origin").is_none());

    let response = app.http.get(app.url("/api/config")).header("origin", "https://app.example").send().await.unwrap();
    assert_eq!(response.headers()["access-control-allow-origin"], "https://app.example");
}

#[tokio::test]
async fn the_demo_page_is_served() {
    let app = TestApp::spawn().await;
    let page = app.http.get(app.url("/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(page.text().await.unwrap().contains("/vendor/pusher-with-encryption.min.js"));
    let script = app.http.get(app.url("/vendor/pusher-with-encryption.min.js")).send().await.unwrap();
    assert_eq!(script.status(), 200, "scripts/test copies pusher-js into public/vendor");
    assert!(script.text().await.unwrap().contains("Pusher"));
}

#[tokio::test]
async fn migrations_run_on_a_database_prisma_already_created() {
    let (url, _) = fresh_database().await;
    let mut client = pusher_chat::db::connect(&url).await.unwrap();
    // What `prisma migrate` creates for the seed's schema, without this product's additions.
    client
        .batch_execute(
            r#"CREATE TYPE "MessageType" AS ENUM ('TEXT', 'FILE');
               CREATE TABLE "User" ("id" TEXT PRIMARY KEY, "email" TEXT, "firstName" TEXT NOT NULL,
                   "lastName" TEXT NOT NULL, "avatar" TEXT,
                   "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" TIMESTAMP(3) NOT NULL);
               CREATE TABLE "Room" ("id" TEXT PRIMARY KEY, "name" TEXT NOT NULL,
                   "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" TIMESTAMP(3) NOT NULL);
               CREATE TABLE "Message" ("id" TEXT PRIMARY KEY, "senderId" TEXT NOT NULL REFERENCES "User"("id"),
                   "receiverId" TEXT REFERENCES "User"("id"), "roomId" TEXT REFERENCES "Room"("id"),
                   "content" TEXT NOT NULL, "type" "MessageType" NOT NULL DEFAULT 'TEXT', "fileUrl" TEXT,
                   "fileName" TEXT, "fileSize" INTEGER, "isRead" BOOLEAN NOT NULL DEFAULT false,
                   "readAt" TIMESTAMP(3), "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
                   "updatedAt" TIMESTAMP(3) NOT NULL);
               INSERT INTO "User" ("id", "firstName", "lastName", "updatedAt") VALUES ('existing', 'Ex', 'Isting', now()),
                   ('Zed', 'Zed', 'Older', now());
               INSERT INTO "Message" ("id", "senderId", "receiverId", "content", "isRead", "createdAt", "updatedAt") VALUES
                   ('m-b', 'Zed', 'existing', 'second', false, '2024-01-01 10:00:02', now()),
                   ('m-a', 'Zed', 'existing', 'first', true, '2024-01-01 10:00:01', now()),
                   ('m-c', 'existing', 'Zed', 'third', false, '2024-01-01 10:00:03', now());"#,
        )
        .await
        .unwrap();
    let applied = pusher_chat::db::migrate(&mut client).await.expect("migrations apply over Prisma's schema");
    assert!(!applied.is_empty());
    let row =
        client.query_one(r#"SELECT "firstName", "status" FROM "User" WHERE "id" = 'existing'"#, &[]).await.unwrap();
    assert_eq!(row.get::<_, String>(0), "Ex");
    assert_eq!(row.get::<_, String>(1), "offline");
    assert!(pusher_chat::db::migrate(&mut client).await.unwrap().is_empty(), "a second run applies nothing");

    // Existing messages joined the numbered history, oldest first, with their read state.
    let app = TestApp::spawn_with(test_env(&url)).await;
    let existing = pusher_chat::auth::sign_hs256_token(JWT_SECRET, "authenticated", "existing", None, 600);
    let (status, page) = app.get("/api/messages/private?chatId=Zed", Some(&existing)).await;
    assert_eq!(status, 200, "{page}");
    let listed: Vec<(i64, &str)> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["seq"].as_i64().unwrap(), m["content"].as_str().unwrap()))
        .collect();
    assert_eq!(listed, vec![(1, "first"), (2, "second"), (3, "third")]);
    let (_, inbox) = app.get("/api/conversations", Some(&existing)).await;
    assert_eq!(
        inbox["conversations"][0]["unreadCount"], 1,
        "only 'second' is unread: 'first' was read, 'third' is theirs"
    );

    // Code that still writes like Prisma (no chatId, no seq) keeps the numbering going.
    client
        .batch_execute(r#"INSERT INTO "Message" ("id", "senderId", "receiverId", "content", "updatedAt") VALUES ('m-d', 'Zed', 'existing', 'from old code', now())"#)
        .await
        .unwrap();
    let (_, synced) = app.get("/api/messages/private?chatId=Zed&after=3", Some(&existing)).await;
    assert_eq!(synced["messages"][0]["seq"], 4);
    assert_eq!(synced["messages"][0]["content"], "from old code");
    let (status, sent) = app
        .post_json(
            "/api/messages/private",
            Some(&existing),
            &serde_json::json!({"receiverId": "Zed", "content": "new code"}),
        )
        .await;
    assert_eq!((status, sent["message"]["seq"].as_i64()), (201, Some(5)));
}

#[tokio::test]
async fn constraints_the_code_maps_by_name_exist_in_the_migrated_schema() {
    let url = migrated_database().await;
    let client = pusher_chat::db::connect(&url).await.unwrap();
    let mut names: Vec<&str> = pusher_chat::db::USER_FOREIGN_KEYS.to_vec();
    names.push(pusher_chat::db::messages::CLIENT_MESSAGE_ID_KEY);
    for name in names {
        // A unique index reports its own name as the violated constraint.
        let row = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = $1)
                     OR EXISTS (SELECT 1 FROM pg_class WHERE relname = $1 AND relkind = 'i') AS found",
                &[&name],
            )
            .await
            .unwrap();
        assert!(row.get::<_, bool>("found"), "no constraint or index named {name}: a violation would be a 500");
    }
}

#[tokio::test]
async fn a_client_that_trickles_its_headers_or_body_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut env = test_env(&migrated_database().await);
    env.insert("REQUEST_TIMEOUT_MS".into(), "500".into());
    let app = TestApp::spawn_with(env).await;
    let address = app.base_url.trim_start_matches("http://").to_owned();

    // A body that never completes: 400 once the route deadline passes.
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    stream
        .write_all(b"POST /api/typing HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"ty")
        .await
        .unwrap();
    let mut answer = vec![0; 1024];
    let read = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut answer)).await;
    let text = String::from_utf8_lossy(&answer[..read.expect("an answer before 5 s").unwrap()]).to_string();
    assert!(text.starts_with("HTTP/1.1 400") && text.contains("body_timeout"), "{text}");

    // Headers that never complete: the connection is closed (after 10 s).
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    stream.write_all(b"GET /api/health HTTP/1.1\r\nhost: x\r\n").await.unwrap();
    let closed = tokio::time::timeout(std::time::Duration::from_secs(15), stream.read(&mut answer)).await;
    assert!(closed.is_ok(), "the server still waits for the rest of the headers after 15 s");
}
