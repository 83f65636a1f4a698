//! The `server` binary as Railway or Render runs it: spawned with production-style variables on
//! a free port, probed, used, and stopped with SIGTERM while work is in flight.

use crate::helpers::*;
use crate::ws::PusherSocket;
use serde_json::{json, Value};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};

const PRIVATE: &str = "/api/messages/private";

struct ServerProcess {
    child: Child,
    base_url: String,
    port: u16,
    /// Every stderr line so far (the JSON log).
    log: Arc<Mutex<Vec<String>>>,
    /// Reads stderr until the process closes it.
    log_reader: Option<tokio::task::JoinHandle<()>>,
}

impl ServerProcess {
    async fn spawn(database_url: &str, extra: &[(&str, String)]) -> Self {
        let port = closed_port();
        let mut command = Command::new(bin_path("server"));
        command
            .env_clear()
            .envs(test_env(database_url))
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("RUST_LOG", "info");
        for (name, value) in extra {
            command.env(name, value);
        }
        let mut child =
            command.stdout(Stdio::null()).stderr(Stdio::piped()).kill_on_drop(true).spawn().expect("start the server");
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let sink = log.clone();
        let log_reader = tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                sink.lock().unwrap().push(line);
            }
        });
        let base_url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(started.elapsed() < Duration::from_secs(10), "server did not listen: {:?}", log.lock().unwrap());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Self { child, base_url, port, log, log_reader: Some(log_reader) }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    fn terminate(&self) {
        let pid = self.child.id().expect("running").to_string();
        let status = std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(status.success());
    }

    /// Waits for the exit after SIGTERM; returns the status and how long it took.
    async fn exit_within(&mut self, bound: Duration) -> (std::process::ExitStatus, Duration) {
        let started = Instant::now();
        let status = tokio::time::timeout(bound, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("still running after {bound:?}: {:?}", self.log.lock().unwrap()))
            .unwrap();
        let took = started.elapsed();
        // The last lines may still be in the pipe when the process is gone.
        if let Some(reader) = self.log_reader.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), reader).await;
        }
        (status, took)
    }

    fn log_lines(&self) -> Vec<Value> {
        let lines = self.log.lock().unwrap();
        lines
            .iter()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not a JSON line: {line}")))
            .collect()
    }
}

/// A TCP proxy in front of sockudo's REST API that holds every connection for `delay` before
/// forwarding it (`None`: forever), so a publish is still in flight when the server is told to stop.
async fn slow_pusher(delay: Option<Duration>) -> u16 {
    proxy_to_pusher(0, delay).await
}

/// A proxy in front of sockudo's REST API that hangs up on its first `refused` connections (a
/// Pusher outage as a publish sees it), then forwards after `delay`.
async fn proxy_to_pusher(refused: usize, delay: Option<Duration>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let upstream = format!("127.0.0.1:{}", std::env::var("PUSHER_PORT").unwrap());
    tokio::spawn(async move {
        for connection in 0.. {
            let (mut inbound, _) = listener.accept().await.unwrap();
            if connection < refused {
                drop(inbound);
                continue;
            }
            let upstream = upstream.clone();
            tokio::spawn(async move {
                let Some(delay) = delay else {
                    let mut sink = Vec::new();
                    let _ = inbound.read_to_end(&mut sink).await;
                    return;
                };
                tokio::time::sleep(delay).await;
                let mut outbound = TcpStream::connect(upstream).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            });
        }
    });
    port
}

async fn subscribe_to(server: &ServerProcess, token: &str, channel: &str) -> PusherSocket {
    let mut socket = PusherSocket::connect().await;
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("socket_id", &socket.socket_id)
        .append_pair("channel_name", channel)
        .finish();
    let response = reqwest::Client::new()
        .post(server.url("/api/pusher/auth"))
        .bearer_auth(token)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    let (status, body) = read(response).await;
    assert_eq!(status, 200, "{body}");
    socket.subscribe(channel, body["auth"].as_str(), None).await.unwrap();
    socket
}

#[tokio::test]
async fn the_server_binary_serves_the_api_with_probes_and_json_logs() {
    let app = TestApp::spawn().await;
    let mut server = ServerProcess::spawn(&app.database_url, &[]).await;
    let http = reqwest::Client::new();

    let (status, body) = read(http.get(server.url("/healthz")).send().await.unwrap()).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
    let (status, body) = read(http.get(server.url("/readyz")).send().await.unwrap()).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ready")));
    let (status, _) = read(http.post(server.url("/healthz")).send().await.unwrap()).await;
    assert_eq!(status, 405);
    // Nothing of the dev server: no tokens, no demo page.
    for path in ["/dev/token?user=alice", "/", "/index.html", "/api/nothing-here"] {
        let (status, body) = read(http.get(server.url(path)).send().await.unwrap()).await;
        assert_eq!((status, error_code(&body)), (404, "not_found"), "{path}");
    }

    // A whole round: channel authorization, a send, the history, through the one process.
    let (alice, bob) = (app.token_for(app.alice), app.token_for(app.bob));
    let chat = private_chat_channel(app.alice.id, app.bob.id);
    let mut bob_socket = subscribe_to(&server, &bob, &chat).await;
    let response = http
        .post(server.url(PRIVATE))
        .bearer_auth(&alice)
        .header("x-request-id", "deploy-check-1")
        .json(&json!({"receiverId": app.bob.id, "content": "through the server"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "deploy-check-1");
    let (status, body) = read(response).await;
    assert_eq!(status, 201, "{body}");
    let event = bob_socket.next_event(Duration::from_secs(5)).await.expect("new-message");
    assert_eq!((event.event.as_str(), &event.data["content"]), ("new-message", &json!("through the server")));
    let history = http.get(server.url(&format!("{PRIVATE}?chatId={}", app.alice.id))).bearer_auth(&bob).send();
    let (status, body) = read(history.await.unwrap()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["messages"][0]["content"], "through the server");
    let fresh_id = http.get(server.url("/api/me")).bearer_auth(&bob).send().await.unwrap();
    assert_eq!(fresh_id.headers()["x-request-id"].len(), 32, "a fresh id when the caller sends none");

    // One JSON object per line; the request's line carries its id, status and duration.
    server.terminate();
    let (status, _) = server.exit_within(Duration::from_secs(10)).await;
    assert!(status.success(), "{status}");
    let lines = server.log_lines();
    let sent = lines
        .iter()
        .find(|line| line["request_id"] == "deploy-check-1" && line["message"] == "request")
        .unwrap_or_else(|| panic!("no request line: {lines:?}"));
    assert_eq!((&sent["method"], &sent["path"], &sent["status"]), (&json!("POST"), &json!(PRIVATE), &json!(201)));
    assert!(sent["ms"].as_f64().is_some_and(|ms| ms > 0.0), "{sent}");
    // A send takes a connection and runs its statements: all of it is database time.
    assert!(sent["db_calls"].as_u64().is_some_and(|calls| calls >= 2), "{sent}");
    let (db_ms, ms) = (sent["db_ms"].as_f64().unwrap(), sent["ms"].as_f64().unwrap());
    assert!(db_ms > 0.0 && db_ms <= ms, "{sent}");
    assert!(lines.iter().any(|line| line["message"] == "listening"), "{lines:?}");
    assert!(lines.iter().any(|line| line["message"] == "stopped"), "{lines:?}");
}

#[tokio::test]
async fn sigterm_lets_an_open_request_and_a_pending_publish_finish_then_exits_0() {
    let app = TestApp::spawn().await;
    let delay = Duration::from_millis(1500);
    let pusher_port = slow_pusher(Some(delay)).await;
    let settings = [("PUSHER_PORT", pusher_port.to_string()), ("SHUTDOWN_TIMEOUT_MS", "8000".to_owned())];
    let mut server = ServerProcess::spawn(&app.database_url, &settings).await;
    let (alice, bob) = (app.token_for(app.alice), app.token_for(app.bob));
    let mut bob_socket = subscribe_to(&server, &bob, &private_chat_channel(app.alice.id, app.bob.id)).await;

    // A send whose publish is now held by the slow Pusher for 1.5 s.
    let sent = reqwest::Client::new()
        .post(server.url(PRIVATE))
        .bearer_auth(&alice)
        .json(&json!({"receiverId": app.bob.id, "content": "first"}))
        .send();
    let (status, body) = read(sent.await.unwrap()).await;
    assert_eq!(status, 201, "{body}");

    // A second send still uploading its body when the signal comes.
    let body = json!({"receiverId": app.bob.id, "content": "second"}).to_string();
    let mut upload = TcpStream::connect(("127.0.0.1", server.port)).await.unwrap();
    let head = format!(
        "POST {PRIVATE} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer {alice}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    upload.write_all(head.as_bytes()).await.unwrap();
    upload.write_all(&body.as_bytes()[..10]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    server.terminate();
    let signalled = Instant::now();
    // New connections are refused at once…
    let refused = async {
        while TcpStream::connect(("127.0.0.1", server.port)).await.is_ok() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(2), refused).await.expect("the listener closes on SIGTERM");
    // …while the open request still completes.
    upload.write_all(&body.as_bytes()[10..]).await.unwrap();
    let mut answer = String::new();
    upload.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");

    // Both events reach the subscriber, though the process was told to stop before either left.
    let mut contents = Vec::new();
    while let Some(event) = bob_socket.next_event(Duration::from_secs(6)).await {
        if event.event == "new-message" {
            contents.push(event.data["content"].as_str().unwrap().to_owned());
        }
        if contents.len() == 2 {
            break;
        }
    }
    contents.sort();
    assert_eq!(contents, ["first", "second"]);
    let (status, _) = server.exit_within(Duration::from_secs(9)).await;
    let took = signalled.elapsed();
    assert!(status.success(), "{status}");
    assert!(took >= Duration::from_millis(1000), "exited after {took:?}, before the held publishes could finish");
    let lines = server.log_lines();
    assert!(lines.iter().any(|line| line["message"] == "stopped"), "{lines:?}");
}

#[tokio::test]
async fn a_publish_that_never_finishes_holds_the_shutdown_no_longer_than_its_bound() {
    let app = TestApp::spawn().await;
    let pusher_port = slow_pusher(None).await;
    let settings = [
        ("PUSHER_PORT", pusher_port.to_string()),
        ("PUSHER_TIMEOUT_MS", "60000".to_owned()),
        ("SHUTDOWN_TIMEOUT_MS", "1000".to_owned()),
    ];
    let mut server = ServerProcess::spawn(&app.database_url, &settings).await;
    let sent = reqwest::Client::new()
        .post(server.url(PRIVATE))
        .bearer_auth(app.token_for(app.alice))
        .json(&json!({"receiverId": app.bob.id, "content": "stuck"}))
        .send();
    assert_eq!(read(sent.await.unwrap()).await.0, 201);
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.terminate();
    let (status, took) = server.exit_within(Duration::from_secs(5)).await;
    assert!(status.success(), "{status}");
    assert!(took >= Duration::from_millis(900) && took < Duration::from_millis(3000), "took {took:?}");
    let lines = server.log_lines();
    let stopped = lines.iter().find(|line| line["message"] == "stopped at the shutdown deadline");
    assert_eq!(stopped.map(|line| &line["publishes_abandoned"]), Some(&json!(1)), "{lines:?}");
}

#[tokio::test]
async fn a_bad_server_setting_stops_the_start_naming_it() {
    for (name, value) in [("PORT", "eighty"), ("LOG_FORMAT", "xml"), ("SHUTDOWN_TIMEOUT_MS", "soon")] {
        let output = Command::new(bin_path("server"))
            .env_clear()
            .envs(test_env("postgres://unused@127.0.0.1:1/x"))
            .env(name, value)
            .output()
            .await
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{name}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(name), "{name}: {stderr}");
    }
}

#[tokio::test]
async fn a_publish_that_fails_for_a_moment_is_retried_and_logged_with_its_request() {
    let app = TestApp::spawn().await;
    let pusher_port = proxy_to_pusher(1, Some(Duration::ZERO)).await;
    let mut server = ServerProcess::spawn(&app.database_url, &[("PUSHER_PORT", pusher_port.to_string())]).await;
    let bob = app.token_for(app.bob);
    // Channel authorization makes no Pusher call, so the first one the proxy refuses is the publish.
    let mut bob_socket = subscribe_to(&server, &bob, &private_chat_channel(app.alice.id, app.bob.id)).await;
    let sent = reqwest::Client::new()
        .post(server.url(PRIVATE))
        .bearer_auth(app.token_for(app.alice))
        .json(&json!({"receiverId": app.bob.id, "content": "despite the outage"}))
        .send()
        .await
        .unwrap();
    let request_id = sent.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(read(sent).await.0, 201);
    let event = bob_socket.next_event(Duration::from_secs(5)).await.expect("the retried publish arrives");
    assert_eq!(event.data["content"], "despite the outage");

    server.terminate();
    assert!(server.exit_within(Duration::from_secs(10)).await.0.success());
    let lines = server.log_lines();
    let publish = lines.iter().find(|line| line["message"] == "publish").unwrap_or_else(|| panic!("{lines:?}"));
    assert_eq!((&publish["event"], &publish["outcome"]), (&json!("new-message"), &json!("published")), "{publish}");
    assert_eq!(publish["attempts"], 2, "{publish}");
    assert_eq!(publish["span"]["request_id"], json!(request_id), "the publish line carries its request's id");
}

/// Every secret the server knows, every token its callers sent, the database URL and password:
/// none of them may appear in any log line, at any level, whatever the request did.
#[tokio::test]
async fn no_secret_token_or_database_url_reaches_the_log() {
    let app = TestApp::spawn().await;
    let password = "db-password-must-not-leak";
    let database_url = match app.database_url.split_once('@') {
        Some((scheme_user, rest)) if !scheme_user.trim_start_matches("postgres://").contains(':') => {
            format!("{scheme_user}:{password}@{rest}")
        }
        _ => app.database_url.clone(),
    };
    let mut server = ServerProcess::spawn(&database_url, &[("RUST_LOG", "debug".to_owned())]).await;
    let http = reqwest::Client::new();
    let (alice, bob) = (app.token_for(app.alice), app.token_for(app.bob));
    let forged = pusher_chat::auth::sign_hs256_token(
        "not-the-secret-0123456789abcdef",
        "authenticated",
        app.alice.id,
        None,
        600,
    );
    let expired = pusher_chat::auth::sign_hs256_token(JWT_SECRET, "authenticated", app.alice.id, None, -120);
    for path in ["/healthz", "/readyz", "/api/health", "/api/config"] {
        http.get(server.url(path)).send().await.unwrap();
    }
    for token in [&alice, &forged, &expired, &"not.a.token".to_owned()] {
        http.get(server.url("/api/me")).bearer_auth(token).send().await.unwrap();
        http.get(server.url(&format!("/api/me?access_token={token}"))).send().await.unwrap();
    }
    for receiver in [app.bob.id, "nobody"] {
        let body = json!({"receiverId": receiver, "content": "hello"});
        http.post(server.url(PRIVATE)).bearer_auth(&alice).json(&body).send().await.unwrap();
    }
    http.get(server.url(&format!("{PRIVATE}?chatId={}", app.alice.id))).bearer_auth(&bob).send().await.unwrap();
    for channel in [private_chat_channel(app.alice.id, app.bob.id), "private-chat-someone-else".to_owned()] {
        let form = format!("socket_id=123.456&channel_name={channel}");
        let auth = http.post(server.url("/api/pusher/auth")).bearer_auth(&bob);
        auth.header("content-type", "application/x-www-form-urlencoded").body(form).send().await.unwrap();
    }
    let webhook = http.post(server.url("/api/pusher/webhook")).header("x-pusher-key", "test-key");
    webhook.header("x-pusher-signature", "00").body(r#"{"time_ms":1,"events":[]}"#).send().await.unwrap();

    server.terminate();
    assert!(server.exit_within(Duration::from_secs(10)).await.0.success());
    let lines = server.log.lock().unwrap().clone();
    assert!(lines.len() > 20, "the suite logged: {lines:?}");
    assert!(lines.iter().any(|line| line.contains("\"status\":401")), "the refused tokens were logged as requests");
    let mut secrets = vec![JWT_SECRET.to_owned(), std::env::var("PUSHER_SECRET").unwrap(), database_url.clone()];
    for token in [&alice, &bob, &forged, &expired] {
        secrets.push(token.clone());
        secrets.push(token.rsplit('.').next().unwrap().to_owned());
    }
    if database_url.contains(password) {
        secrets.push(password.to_owned());
    }
    for line in &lines {
        for secret in &secrets {
            assert!(!line.contains(secret.as_str()), "a log line shows a secret: {line}");
        }
    }
}
