//! A connection that goes silent without closing (a laptop lid, a VPN switch, a NAT timeout):
//! the client package, through a TCP proxy that stops forwarding on the open socket but keeps it
//! open, still shows a message sent meanwhile within seconds.

use crate::helpers::*;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, ChildStdout, Command};

/// A TCP proxy to `target`: `freeze()` stops forwarding on every connection open at that time,
/// in both directions, without closing any; connections made later pass.
pub struct FreezingProxy {
    pub port: u16,
    opened: Arc<AtomicU64>,
    frozen_upto: Arc<AtomicU64>,
}

impl FreezingProxy {
    pub async fn start(target: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (opened, frozen_upto) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let (count, frozen) = (opened.clone(), frozen_upto.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let id = count.fetch_add(1, Ordering::SeqCst) + 1;
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)).await else { continue };
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = server.into_split();
                tokio::spawn(pipe(id, client_read, server_write, frozen.clone()));
                tokio::spawn(pipe(id, server_read, client_write, frozen.clone()));
            }
        });
        Self { port, opened, frozen_upto }
    }

    pub fn freeze(&self) {
        self.frozen_upto.store(self.opened.load(Ordering::SeqCst), Ordering::SeqCst);
    }

    pub fn connections(&self) -> u64 {
        self.opened.load(Ordering::SeqCst)
    }
}

/// Copies bytes until the connection `id` is frozen; then holds both halves open, silent.
async fn pipe(
    id: u64,
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    frozen_upto: Arc<AtomicU64>,
) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let read = tokio::select! {
            read = from.read(&mut buffer) => read,
            _ = tokio::time::sleep(Duration::from_millis(50)) => {
                if frozen_upto.load(Ordering::SeqCst) >= id { break } else { continue }
            }
        };
        let n = match read {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if frozen_upto.load(Ordering::SeqCst) >= id {
            break;
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
    // Frozen: keep the socket open and read nothing more, as a dead path does.
    std::future::pending::<()>().await;
    drop((from, to));
}

fn node_script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/node").join(name)
}

/// The client package in a Node process (tests/node/chat-client.mjs), reporting JSON lines.
pub struct ChatClientProcess {
    lines: Lines<BufReader<ChildStdout>>,
    _child: Child,
}

impl ChatClientProcess {
    pub async fn start(app: &TestApp, token: &str, env: &[(&str, String)]) -> Self {
        let mut command = Command::new("node");
        command.arg(node_script("chat-client.mjs")).env("API_BASE", &app.base_url).env("TOKEN", token);
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child =
            command.stdin(Stdio::piped()).stdout(Stdio::piped()).kill_on_drop(true).spawn().expect("node runs");
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut client = Self { lines, _child: child };
        client.expect(Duration::from_secs(10), |r| r["type"] == "ready").await;
        client
    }

    /// The next report within `wait`, if any.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Value> {
        let line = tokio::time::timeout(wait, self.lines.next_line()).await.ok()?.ok()??;
        Some(serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line}")))
    }

    /// The next report matching `wanted`, skipping others; panics after `wait`.
    pub async fn expect(&mut self, wait: Duration, mut wanted: impl FnMut(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let line = tokio::time::timeout_at(deadline, self.lines.next_line())
                .await
                .unwrap_or_else(|_| panic!("no matching report within {wait:?}"))
                .unwrap()
                .expect("the client process exited");
            let report: Value = serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line}"));
            if wanted(&report) {
                return report;
            }
        }
    }
}

/// Whether a `messages` report of `chat` shows `text`.
pub fn shows(report: &Value, chat: &str, text: &str) -> bool {
    report["type"] == "messages"
        && report["chat"] == chat
        && report["contents"].as_array().is_some_and(|c| c.iter().any(|m| m == text))
}

/// Alice writes `text` to Bob.
async fn send(app: &TestApp, text: &str) {
    let body = json!({"receiverId": app.bob.id, "content": text});
    assert_eq!(app.post_json("/api/messages/private", Some(&app.token_for(app.alice)), &body).await.0, 201);
}

#[tokio::test]
async fn a_socket_frozen_without_closing_heals_and_shows_a_message_sent_meanwhile_within_fifteen_seconds() {
    let proxy = FreezingProxy::start(std::env::var("PUSHER_PORT").unwrap().parse().unwrap()).await;
    let mut env = test_env(&migrated_database().await);
    env.insert("PUSHER_WS_HOST".into(), "127.0.0.1".into());
    env.insert("PUSHER_WS_PORT".into(), proxy.port.to_string());
    let app = TestApp::spawn_with(env).await;
    // No safety sync: only noticing the dead socket may bring the message.
    let env = [("CHATS", app.alice.id.to_owned()), ("SAFETY_SYNC_MS", "3600000".to_owned())];
    let mut client = ChatClientProcess::start(&app, &app.token_for(app.bob), &env).await;
    let chat = format!("chat:{}", app.alice.id);
    // Live on the chat's channel (not polling, which would find the message by itself).
    let channel = private_chat_channel(app.alice.id, app.bob.id);
    client.expect(Duration::from_secs(10), |r| r["type"] == "subscribed" && r["channel"] == channel).await;
    // A live message first: the connection's last activity is now, the worst case for noticing.
    send(&app, "before the freeze").await;
    client.expect(Duration::from_secs(10), |r| shows(r, &chat, "before the freeze")).await;
    let connections = proxy.connections();

    proxy.freeze();
    let frozen = Instant::now();
    send(&app, "while frozen").await;
    client.expect(Duration::from_secs(40), |r| shows(r, &chat, "while frozen")).await;
    let healed = frozen.elapsed();
    eprintln!("frozen socket: the message sent meanwhile showed after {healed:.1?}");
    assert!(proxy.connections() > connections, "the client reconnected through a new socket");
    assert!(healed < Duration::from_secs(20), "a frozen socket took {healed:?} to heal");
}
