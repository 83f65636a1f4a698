//! Pusher REST client: the same code talks to hosted Pusher and to a self-hosted server.

use super::encryption::{is_encrypted_channel, seal};
use super::signature::signed_rest_query;
use crate::config::PusherConfig;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

/// Pusher refuses event data over 10 KB; checking first saves a round trip and names the cause.
pub const MAX_EVENT_DATA_BYTES: usize = 10 * 1024;
pub const MAX_CHANNELS_PER_EVENT: usize = 100;
pub const MAX_BATCH_EVENTS: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum PusherError {
    #[error("event data is {size} bytes; Pusher accepts at most {MAX_EVENT_DATA_BYTES}")]
    DataTooLarge { size: usize },
    #[error("an event goes to 1..={MAX_CHANNELS_PER_EVENT} channels, not {0}")]
    ChannelCount(usize),
    #[error("Pusher refused the request with {status}: {body}")]
    Rejected { status: u16, body: String },
    #[error("Pusher could not be reached: {0}")]
    Network(String),
    #[error("Pusher answered with an unreadable body: {0}")]
    InvalidResponse(String),
    #[error("an encrypted channel needs PUSHER_ENCRYPTION_MASTER_KEY_BASE64")]
    NoEncryptionKey,
}

impl PusherError {
    /// Whether trying again may work: the network, a timeout, or Pusher answering 5xx or 429.
    /// A refused signature, a payload too large or a bad channel fail the same way every time.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Network(_) => true,
            Self::Rejected { status, .. } => *status >= 500 || *status == 429,
            Self::DataTooLarge { .. } | Self::ChannelCount(_) | Self::InvalidResponse(_) | Self::NoEncryptionKey => {
                false
            }
        }
    }
}

/// One event of a batch.
#[derive(Debug, Clone, Serialize)]
pub struct BatchEvent {
    pub name: String,
    pub channel: String,
    pub data: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub socket_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct TriggerOutcome {
    #[serde(default)]
    pub channels: Value,
}

/// Cheap to clone: every clone shares one connection pool and one configuration.
#[derive(Clone)]
pub struct PusherClient {
    http: reqwest::Client,
    config: Arc<PusherConfig>,
    base_url: Arc<str>,
}

impl PusherClient {
    pub fn new(config: PusherConfig, http: reqwest::Client) -> Self {
        let base_url = config.rest_base_url().into();
        Self { http, config: Arc::new(config), base_url }
    }

    pub fn config(&self) -> &PusherConfig {
        &self.config
    }

    /// Publishes one event to up to 100 channels, optionally excluding one connection. Encrypted
    /// channels each get their own sealed copy (their keys differ), sent as a batch.
    pub async fn trigger(
        &self,
        channels: &[String],
        event: &str,
        data: &Value,
        socket_id: Option<&str>,
    ) -> Result<TriggerOutcome, PusherError> {
        if channels.is_empty() || channels.len() > MAX_CHANNELS_PER_EVENT {
            return Err(PusherError::ChannelCount(channels.len()));
        }
        let (encrypted, channels): (Vec<&String>, Vec<&String>) =
            channels.iter().partition(|channel| is_encrypted_channel(channel));
        if !encrypted.is_empty() {
            let data = event_data(data);
            let batch: Vec<BatchEvent> = encrypted
                .iter()
                .map(|channel| BatchEvent {
                    name: event.to_owned(),
                    channel: (*channel).clone(),
                    data: data.clone(),
                    socket_id: socket_id.map(str::to_owned),
                })
                .collect();
            self.trigger_batch(&batch).await?;
            if channels.is_empty() {
                return Ok(TriggerOutcome::default());
            }
        }
        let data = encode_data(data)?;
        let mut body = serde_json::json!({"name": event, "channels": channels, "data": data});
        if let Some(socket_id) = socket_id {
            body["socket_id"] = Value::String(socket_id.to_owned());
        }
        let answer = self.send("POST", "events", &[], Some(body.to_string())).await?;
        Ok(serde_json::from_value(answer).unwrap_or_default())
    }

    /// Publishes any number of events, in calls of at most 10 (Pusher's batch limit). Events for
    /// encrypted channels are sealed here; the 10 KB limit holds for what is sent.
    pub async fn trigger_batch(&self, events: &[BatchEvent]) -> Result<(), PusherError> {
        let sealed: Vec<BatchEvent>;
        let events = if events.iter().any(|event| is_encrypted_channel(&event.channel)) {
            let key = self.config.encryption_master_key.as_ref().ok_or(PusherError::NoEncryptionKey)?;
            sealed = events
                .iter()
                .map(|event| match is_encrypted_channel(&event.channel) {
                    true => BatchEvent { data: seal(&event.data, &event.channel, key.bytes()), ..event.clone() },
                    false => event.clone(),
                })
                .collect();
            &sealed[..]
        } else {
            events
        };
        for event in events {
            if event.data.len() > MAX_EVENT_DATA_BYTES {
                return Err(PusherError::DataTooLarge { size: event.data.len() });
            }
        }
        for chunk in events.chunks(MAX_BATCH_EVENTS) {
            let body = serde_json::json!({ "batch": chunk }).to_string();
            self.send("POST", "batch_events", &[], Some(body)).await?;
        }
        Ok(())
    }

    /// `GET /channels`: occupied channels, optionally filtered by prefix.
    pub async fn channels(&self, prefix: Option<&str>) -> Result<Value, PusherError> {
        let params: Vec<(&str, &str)> = prefix.map(|p| ("filter_by_prefix", p)).into_iter().collect();
        self.send("GET", "channels", &params, None).await
    }

    /// `GET /channels/<name>`: whether a channel is occupied (and its counts where asked).
    pub async fn channel(&self, name: &str, info: Option<&str>) -> Result<Value, PusherError> {
        let params: Vec<(&str, &str)> = info.map(|i| ("info", i)).into_iter().collect();
        self.send("GET", &format!("channels/{name}"), &params, None).await
    }

    /// `GET /channels/<presence>/users`: ids of the members of a presence channel.
    pub async fn presence_users(&self, name: &str) -> Result<Vec<String>, PusherError> {
        let answer = self.send("GET", &format!("channels/{name}/users"), &[], None).await?;
        let users = answer["users"].as_array().cloned().unwrap_or_default();
        Ok(users.iter().filter_map(|u| u["id"].as_str().map(str::to_owned)).collect())
    }

    /// Closes every connection a signed-in user holds.
    pub async fn terminate_user_connections(&self, user_id: &str) -> Result<(), PusherError> {
        self.send("POST", &format!("users/{user_id}/terminate_connections"), &[], Some("{}".into())).await.map(|_| ())
    }

    async fn send(
        &self,
        method: &str,
        resource: &str,
        params: &[(&str, &str)],
        body: Option<String>,
    ) -> Result<Value, PusherError> {
        let path = format!("/apps/{}/{}", self.config.app_id, resource);
        let query = signed_rest_query(
            method,
            &path,
            params,
            body.as_deref().map(str::as_bytes),
            &self.config.key,
            self.config.secret.expose(),
            chrono::Utc::now().timestamp(),
        );
        let url = format!("{}{}?{}", self.base_url, path, query);
        let request = match method {
            "GET" => self.http.get(url),
            _ => self.http.post(url).header("content-type", "application/json").body(body.unwrap_or_default()),
        };
        let response = request
            .timeout(self.config.timeout)
            .send()
            .await
            .map_err(|err| PusherError::Network(err.without_url().to_string()))?;
        let status = response.status();
        let text = response.text().await.map_err(|err| PusherError::Network(err.without_url().to_string()))?;
        if !status.is_success() {
            return Err(PusherError::Rejected { status: status.as_u16(), body: truncate(&text, 300) });
        }
        if text.trim().is_empty() {
            return Ok(Value::Object(Default::default()));
        }
        serde_json::from_str(&text).map_err(|err| PusherError::InvalidResponse(err.to_string()))
    }
}

/// Event data travels as a string; a JSON string value is sent as-is, anything else serialised.
pub fn event_data(data: &Value) -> String {
    match data {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// [`event_data`], refused when over Pusher's 10 KB.
fn encode_data(data: &Value) -> Result<String, PusherError> {
    let encoded = event_data(data);
    if encoded.len() > MAX_EVENT_DATA_BYTES {
        return Err(PusherError::DataTooLarge { size: encoded.len() });
    }
    Ok(encoded)
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((idx, _)) => format!("{}…", &text[..idx]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_over_ten_kilobytes_is_refused_before_sending() {
        let big = Value::String("x".repeat(MAX_EVENT_DATA_BYTES + 1));
        assert!(matches!(encode_data(&big), Err(PusherError::DataTooLarge { .. })));
        let fits = Value::String("x".repeat(MAX_EVENT_DATA_BYTES));
        assert_eq!(encode_data(&fits).unwrap().len(), MAX_EVENT_DATA_BYTES);
    }

    /// A client whose server refuses connections: a call that gets as far as sending fails with
    /// `Network`, one refused before sending fails with its own error.
    fn offline_client() -> PusherClient {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let config = PusherConfig {
            app_id: "1".into(),
            key: "key".into(),
            secret: crate::config::Secret::new("secret"),
            cluster: "mt1".into(),
            endpoint: crate::config::PusherEndpoint::SelfHosted { host: "127.0.0.1".into(), port, use_tls: false },
            encryption_master_key: None,
            ws_host: None,
            ws_port: None,
            timeout: std::time::Duration::from_secs(2),
        };
        PusherClient::new(config, reqwest::Client::new())
    }

    #[tokio::test]
    async fn an_event_goes_to_one_to_a_hundred_channels() {
        let client = offline_client();
        let names = |n: usize| (0..n).map(|i| format!("private-c{i}")).collect::<Vec<_>>();
        let data = serde_json::json!({});
        for refused in [0, MAX_CHANNELS_PER_EVENT + 1] {
            let err = client.trigger(&names(refused), "e", &data, None).await.unwrap_err();
            assert!(matches!(err, PusherError::ChannelCount(n) if n == refused), "{refused}: {err}");
        }
        for allowed in [1, MAX_CHANNELS_PER_EVENT] {
            let err = client.trigger(&names(allowed), "e", &data, None).await.unwrap_err();
            assert!(matches!(err, PusherError::Network(_)), "{allowed} channels are sent: {err}");
        }
    }

    #[tokio::test]
    async fn a_batch_with_an_event_over_ten_kilobytes_is_refused_before_sending() {
        let client = offline_client();
        let event = |size: usize| BatchEvent {
            name: "e".into(),
            channel: "private-c".into(),
            data: "x".repeat(size),
            socket_id: None,
        };
        let err = client.trigger_batch(&[event(1), event(MAX_EVENT_DATA_BYTES + 1)]).await.unwrap_err();
        assert!(matches!(err, PusherError::DataTooLarge { size } if size == MAX_EVENT_DATA_BYTES + 1), "{err}");
        let err = client.trigger_batch(&[event(MAX_EVENT_DATA_BYTES)]).await.unwrap_err();
        assert!(matches!(err, PusherError::Network(_)), "10 KB exactly is sent: {err}");
        assert!(client.trigger_batch(&[]).await.is_ok(), "nothing to send, no call");
    }

    #[test]
    fn long_error_bodies_are_cut_at_a_character_boundary() {
        assert_eq!(truncate("short", 300), "short");
        assert_eq!(truncate(&"é".repeat(301), 300), format!("{}…", "é".repeat(300)));
        assert_eq!(truncate(&"a".repeat(300), 300), "a".repeat(300));
    }

    #[test]
    fn objects_are_serialised_and_strings_sent_verbatim() {
        assert_eq!(encode_data(&serde_json::json!({"a": 1})).unwrap(), r#"{"a":1}"#);
        assert_eq!(encode_data(&Value::String("hi".into())).unwrap(), "hi");
    }
}
