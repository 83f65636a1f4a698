//! Pusher Channels (hosted or a self-hosted Pusher-protocol server): `PUSHER_*`.

use super::env::{ConfigError, Env};
use super::Secret;
use std::fmt;
use std::time::Duration;

/// The 32-byte master key of Pusher's encrypted channels; never shown in `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKey([u8; 32]);

impl MasterKey {
    /// From its base64 form, as Pusher's libraries take it (`encryptionMasterKeyBase64`).
    pub fn from_base64(raw: &str) -> Option<Self> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD.decode(raw.trim()).ok()?;
        bytes.try_into().ok().map(Self)
    }

    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(***)")
    }
}

/// Where the Pusher REST API and websocket live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PusherEndpoint {
    /// Pusher's hosted service: `api-<cluster>.pusher.com` over TLS.
    Hosted { cluster: String },
    /// A self-hosted Pusher-protocol server such as sockudo.
    SelfHosted { host: String, port: u16, use_tls: bool },
}

#[derive(Debug, Clone)]
pub struct PusherConfig {
    pub app_id: String,
    pub key: String,
    pub secret: Secret,
    /// Sent to pusher-js, which insists on one even for a self-hosted server.
    pub cluster: String,
    pub endpoint: PusherEndpoint,
    /// `PUSHER_ENCRYPTION_MASTER_KEY_BASE64`: with it, chats, rooms and notifications travel on
    /// end-to-end encrypted `private-encrypted-…` channels.
    pub encryption_master_key: Option<MasterKey>,
    /// Where browsers open the websocket when it differs from the REST host (self-hosted only).
    pub ws_host: Option<String>,
    pub ws_port: Option<u16>,
    pub timeout: Duration,
}

impl PusherConfig {
    /// Base URL of the REST API, e.g. `https://api-eu.pusher.com`.
    pub fn rest_base_url(&self) -> String {
        match &self.endpoint {
            PusherEndpoint::Hosted { cluster } => format!("https://api-{cluster}.pusher.com"),
            PusherEndpoint::SelfHosted { host, port, use_tls } => {
                let scheme = if *use_tls { "https" } else { "http" };
                format!("{scheme}://{host}:{port}")
            }
        }
    }

    pub(super) fn read(env: &Env) -> Result<Self, ConfigError> {
        let host = env.optional("PUSHER_HOST");
        let cluster = env.optional("PUSHER_CLUSTER");
        let endpoint = match (host, &cluster) {
            (Some(host), _) => {
                let use_tls = env.parsed("PUSHER_USE_TLS", false)?;
                let port = env.parsed("PUSHER_PORT", if use_tls { 443u16 } else { 80u16 })?;
                PusherEndpoint::SelfHosted { host, port, use_tls }
            }
            (None, Some(cluster)) => PusherEndpoint::Hosted { cluster: cluster.clone() },
            (None, None) => {
                return Err(ConfigError::new(
                    "PUSHER_CLUSTER",
                    "is not set (set PUSHER_CLUSTER for hosted Pusher or PUSHER_HOST for a self-hosted server)",
                ))
            }
        };
        Ok(Self {
            app_id: env.required("PUSHER_APP_ID")?,
            key: env.required("PUSHER_KEY")?,
            secret: Secret::new(env.required("PUSHER_SECRET")?),
            cluster: cluster.unwrap_or_else(|| "mt1".to_owned()),
            endpoint,
            encryption_master_key: env
                .optional("PUSHER_ENCRYPTION_MASTER_KEY_BASE64")
                .map(|raw| {
                    MasterKey::from_base64(&raw).ok_or_else(|| {
                        ConfigError::new("PUSHER_ENCRYPTION_MASTER_KEY_BASE64", "must be 32 bytes in base64")
                    })
                })
                .transpose()?,
            ws_host: env.optional("PUSHER_WS_HOST"),
            ws_port: env.optional("PUSHER_WS_PORT").map(|_| env.parsed("PUSHER_WS_PORT", 0u16)).transpose()?,
            timeout: Duration::from_millis(env.parsed("PUSHER_TIMEOUT_MS", 3_000u64)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{base, load};

    #[test]
    fn hosted_pusher_uses_the_cluster_api_host() {
        let config = load(&base()).unwrap();
        assert_eq!(config.pusher.rest_base_url(), "https://api-eu.pusher.com");
    }

    #[test]
    fn self_hosted_pusher_uses_host_port_and_tls_flag() {
        let mut vars = base();
        vars.insert("PUSHER_HOST", "127.0.0.1");
        vars.insert("PUSHER_PORT", "6001");
        let config = load(&vars).unwrap();
        assert_eq!(config.pusher.rest_base_url(), "http://127.0.0.1:6001");
        vars.insert("PUSHER_PORT", "six");
        assert_eq!(load(&vars).unwrap_err().variable, "PUSHER_PORT");
    }

    #[test]
    fn the_encryption_master_key_is_32_bytes_of_base64_and_never_printed() {
        assert!(load(&base()).unwrap().pusher.encryption_master_key.is_none());
        let mut vars = base();
        vars.insert("PUSHER_ENCRYPTION_MASTER_KEY_BASE64", "YW4gZXhhbXBsZSBtYXN0ZXIga2V5IG9mIDMyIGJ5dCE=");
        let config = load(&vars).unwrap();
        assert_eq!(config.pusher.encryption_master_key.as_ref().unwrap().bytes(), b"an example master key of 32 byt!");
        assert!(!format!("{config:?}").contains("YW4gZXhhbXBsZ"), "the key never reaches a log");
        for bad in ["c2hvcnQ=", "not base64!", "YW4gZXhhbXBsZSBtYXN0ZXIga2V5IG9mIDMyIGJ5dCEh"] {
            vars.insert("PUSHER_ENCRYPTION_MASTER_KEY_BASE64", bad);
            assert_eq!(load(&vars).unwrap_err().variable, "PUSHER_ENCRYPTION_MASTER_KEY_BASE64", "{bad}");
        }
    }
}
