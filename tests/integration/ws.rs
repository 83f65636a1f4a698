//! A websocket client that speaks the Pusher protocol (v7) to the real sockudo.

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub struct PusherSocket {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub socket_id: String,
}

/// One event as a client sees it.
#[derive(Debug, Clone)]
pub struct Received {
    pub event: String,
    pub channel: Option<String>,
    pub data: Value,
}

impl PusherSocket {
    pub async fn connect() -> Self {
        Self::connect_to(std::env::var("PUSHER_PORT").unwrap().parse().unwrap()).await
    }

    /// To the sockudo node (or load balancer) on this port of `PUSHER_HOST`.
    pub async fn connect_to(port: u16) -> Self {
        let url = format!(
            "ws://{}:{port}/app/{}?protocol=7&client=rust-tests&version=1.0",
            std::env::var("PUSHER_HOST").unwrap(),
            std::env::var("PUSHER_KEY").unwrap()
        );
        let (ws, _) = tokio_tungstenite::connect_async(url).await.expect("websocket connects to sockudo");
        let mut socket = Self { ws, socket_id: String::new() };
        let established = socket.next_within(Duration::from_secs(5)).await.expect("connection_established");
        assert_eq!(established.event, "pusher:connection_established");
        socket.socket_id = established.data["socket_id"].as_str().unwrap().to_owned();
        socket
    }

    pub async fn send(&mut self, event: &str, data: Value) {
        let frame = json!({"event": event, "data": data}).to_string();
        self.ws.send(Message::Text(frame.into())).await.unwrap();
    }

    /// Subscribes and waits for the server's verdict: `Ok` on success, `Err(event)` otherwise.
    pub async fn subscribe(
        &mut self,
        channel: &str,
        auth: Option<&str>,
        channel_data: Option<&str>,
    ) -> Result<(), String> {
        let mut data = json!({"channel": channel});
        if let Some(auth) = auth {
            data["auth"] = json!(auth);
        }
        if let Some(channel_data) = channel_data {
            data["channel_data"] = json!(channel_data);
        }
        self.send("pusher:subscribe", data).await;
        loop {
            let Some(received) = self.next_within(Duration::from_secs(5)).await else {
                return Err("no answer".into());
            };
            match received.event.as_str() {
                "pusher_internal:subscription_succeeded" if received.channel.as_deref() == Some(channel) => {
                    return Ok(())
                }
                "pusher:subscription_error" | "pusher:error" => {
                    return Err(format!("{}: {}", received.event, received.data))
                }
                _ => {}
            }
        }
    }

    pub async fn sign_in(&mut self, auth: &str, user_data: &str) -> Result<(), String> {
        self.send("pusher:signin", json!({"auth": auth, "user_data": user_data})).await;
        loop {
            let Some(received) = self.next_within(Duration::from_secs(5)).await else {
                return Err("no answer".into());
            };
            match received.event.as_str() {
                "pusher:signin_success" => return Ok(()),
                "pusher:error" => return Err(received.data.to_string()),
                _ => {}
            }
        }
    }

    /// The next frame within `wait`, answering pings on the way.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Received> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.ws.next()).await.ok()??.ok()?;
            let Message::Text(text) = frame else { continue };
            let value: Value = serde_json::from_str(&text).ok()?;
            let event = value["event"].as_str().unwrap_or_default().to_owned();
            if event == "pusher:ping" {
                self.send("pusher:pong", json!({})).await;
                continue;
            }
            // Pusher sends `data` as a JSON-encoded string; decode it when it is one.
            let data = match &value["data"] {
                Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.clone())),
                other => other.clone(),
            };
            return Some(Received { event, channel: value["channel"].as_str().map(str::to_owned), data });
        }
    }

    /// The next application event (not `pusher:`/`pusher_internal:`) within `wait`.
    pub async fn next_event(&mut self, wait: Duration) -> Option<Received> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let received = self.next_within(left).await?;
            if !received.event.starts_with("pusher") {
                return Some(received);
            }
        }
    }

    /// Whether the server closes the connection within `wait` (frames before the close are skipped).
    pub async fn closed_within(&mut self, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return false,
                Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(Message::Close(_)))) => return true,
                Ok(Some(Ok(_))) => {}
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}
