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
        tokio::spawn(async move {
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
        Self { child, base_url, port, log }
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
        (status, started.elapsed())
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
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let upstream = format!("127.0.0.1:{}", std::env::var("PUSHER_PORT").unwrap());
    tokio::spawn(async move {
        loop {
            let (mut inbound, _) = listener.accept().await.unwrap();
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
