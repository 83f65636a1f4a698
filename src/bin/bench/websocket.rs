//! A websocket subscriber on sockudo (just enough of RFC 6455 and the Pusher protocol): it
//! subscribes to every receiver's notification channel and records when each `new-message`
//! arrives.

use crate::stats::ms;
use crate::{env_or, receiver_id, Error, RECEIVERS};
use pusher_chat::pusher::signature::channel_auth_signature;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn ws_write(stream: &mut TcpStream, opcode: u8, payload: &[u8]) -> std::io::Result<()> {
    let mask = [0x5a, 0x17, 0xc3, 0x81];
    let mut frame = vec![0x80 | opcode];
    match payload.len() {
        n if n < 126 => frame.push(0x80 | n as u8),
        n if n < 65536 => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            frame.push(0x80 | 127);
            frame.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    stream.write_all(&frame).await
}

/// One whole message: (opcode, payload).
async fn ws_read(stream: &mut TcpStream) -> std::io::Result<(u8, Vec<u8>)> {
    let mut message = Vec::new();
    let mut first_opcode = None;
    loop {
        let mut head = [0u8; 2];
        stream.read_exact(&mut head).await?;
        let len = match head[1] & 0x7f {
            126 => {
                let mut b = [0u8; 2];
                stream.read_exact(&mut b).await?;
                u16::from_be_bytes(b) as usize
            }
            127 => {
                let mut b = [0u8; 8];
                stream.read_exact(&mut b).await?;
                u64::from_be_bytes(b) as usize
            }
            n => n as usize,
        };
        let mut payload = vec![0u8; len];
        stream.read_exact(&mut payload).await?;
        let opcode = head[0] & 0x0f;
        if opcode >= 8 {
            return Ok((opcode, payload)); // control frames are never fragmented
        }
        first_opcode.get_or_insert(opcode);
        message.extend_from_slice(&payload);
        if head[0] & 0x80 != 0 {
            return Ok((first_opcode.unwrap_or(1), message));
        }
    }
}

/// Send start times by send number, and delivery latencies by send number.
#[derive(Default)]
pub struct Deliveries {
    pub started: Mutex<HashMap<u64, Instant>>,
    pub delivered: Mutex<HashMap<u64, f64>>,
}

/// Subscribes to the receiver's notification channel and records each `new-message` latency.
pub async fn subscribe(deliveries: Arc<Deliveries>) -> Result<(), Error> {
    let host = env_or("PUSHER_HOST", "127.0.0.1");
    let port = env_or("PUSHER_PORT", "80");
    let (key, secret) = (env_or("PUSHER_KEY", ""), env_or("PUSHER_SECRET", ""));
    let mut stream = TcpStream::connect(format!("{host}:{port}")).await?;
    stream.set_nodelay(true)?;
    let request = format!(
        "GET /app/{key}?protocol=7&client=bench&version=1.0 HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: cHVzaGVyLWNoYXQtYmVuY2g=\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(stream.read_u8().await?);
    }
    if !head.starts_with(b"HTTP/1.1 101") {
        return Err(format!("websocket upgrade refused: {}", String::from_utf8_lossy(&head)).into());
    }
    let channels: Vec<String> = (0..RECEIVERS).map(|i| format!("private-notifications-{}", receiver_id(i))).collect();
    let mut subscribed = false;
    let mut confirmed = 0;
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let mut ready_tx = Some(ready_tx);
    tokio::spawn(async move {
        loop {
            let Ok((opcode, payload)) = ws_read(&mut stream).await else { return };
            let received = Instant::now();
            match opcode {
                9 => {
                    let _ = ws_write(&mut stream, 10, &payload).await;
                    continue;
                }
                8 => return,
                _ => {}
            }
            let Ok(event) = serde_json::from_slice::<serde_json::Value>(&payload) else { continue };
            let data = || -> serde_json::Value {
                event["data"]
                    .as_str()
                    .and_then(|d| serde_json::from_str(d).ok())
                    .unwrap_or_else(|| event["data"].clone())
            };
            match event["event"].as_str().unwrap_or("") {
                "pusher:connection_established" if !subscribed => {
                    subscribed = true;
                    let socket_id = data()["socket_id"].as_str().unwrap_or("").to_owned();
                    for channel in &channels {
                        let auth = channel_auth_signature(&key, &secret, &socket_id, channel, None);
                        let subscribe = serde_json::json!({"event": "pusher:subscribe", "data": {"channel": channel, "auth": auth}});
                        let _ = ws_write(&mut stream, 1, subscribe.to_string().as_bytes()).await;
                    }
                }
                "pusher_internal:subscription_succeeded" => {
                    confirmed += 1;
                    if confirmed < channels.len() {
                        continue;
                    }
                    if let Some(tx) = ready_tx.take() {
                        let _ = tx.send(());
                    }
                }
                "pusher:ping" => {
                    let _ = ws_write(&mut stream, 1, br#"{"event":"pusher:pong","data":{}}"#).await;
                }
                "new-message" => {
                    let number = data()["content"].as_str().and_then(|c| c.strip_prefix("bench ")?.parse::<u64>().ok());
                    if let Some(number) = number {
                        if let Some(started) = deliveries.started.lock().unwrap().remove(&number) {
                            deliveries.delivered.lock().unwrap().insert(number, ms(received - started));
                        }
                    }
                }
                _ => {}
            }
        }
    });
    tokio::time::timeout(Duration::from_secs(10), ready_rx).await.map_err(|_| "no subscription within 10 s")??;
    Ok(())
}
