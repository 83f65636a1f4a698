//! Pusher signatures. Pure functions: the timestamp is a parameter, so known-answer tests pin them.

use base64::Engine;
use hmac::{Hmac, Mac};
use md5::{Digest as _, Md5};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

fn hmac_sha256_hex(secret: &str, message: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length");
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// `auth` for a private or presence subscription: `key:hex(HMAC(secret, socket_id:channel[:data]))`.
/// For presence channels `channel_data` must be the exact string returned to the client.
pub fn channel_auth_signature(
    key: &str,
    secret: &str,
    socket_id: &str,
    channel_name: &str,
    channel_data: Option<&str>,
) -> String {
    let mut message = format!("{socket_id}:{channel_name}");
    if let Some(data) = channel_data {
        message.push(':');
        message.push_str(data);
    }
    format!("{key}:{}", hmac_sha256_hex(secret, message.as_bytes()))
}

/// `auth` for user sign-in: signs `socket_id::user::user_data`.
pub fn user_auth_signature(key: &str, secret: &str, socket_id: &str, user_data: &str) -> String {
    let message = format!("{socket_id}::user::{user_data}");
    format!("{key}:{}", hmac_sha256_hex(secret, message.as_bytes()))
}

/// The per-channel key for `private-encrypted-` channels: `SHA256(channel ‖ master_key)`.
pub fn encrypted_channel_key(channel_name: &str, master_key: &[u8; 32]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(channel_name.as_bytes());
    hasher.update(master_key);
    hasher.finalize().into()
}

/// [`encrypted_channel_key`] as the channel authorization's `shared_secret`: base64.
pub fn encrypted_channel_shared_secret(channel_name: &str, master_key: &[u8; 32]) -> String {
    base64::engine::general_purpose::STANDARD.encode(encrypted_channel_key(channel_name, master_key))
}

pub fn body_md5(body: &[u8]) -> String {
    hex::encode(Md5::digest(body))
}

/// The signed query string for a REST call to `path` (which starts with `/apps/<id>/`).
/// `params` are the call's own query parameters; auth parameters are added and everything is
/// sorted by key, joined unescaped, as Pusher's servers reconstruct it.
pub fn signed_rest_query(
    method: &str,
    path: &str,
    params: &[(&str, &str)],
    body: Option<&[u8]>,
    key: &str,
    secret: &str,
    timestamp: i64,
) -> String {
    let timestamp = timestamp.to_string();
    let md5 = body.filter(|b| !b.is_empty()).map(body_md5);
    let mut all: Vec<(&str, &str)> = params.to_vec();
    all.push(("auth_key", key));
    all.push(("auth_timestamp", &timestamp));
    all.push(("auth_version", "1.0"));
    if let Some(md5) = &md5 {
        all.push(("body_md5", md5));
    }
    all.sort_by(|a, b| a.0.cmp(b.0));
    let query = all.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
    let signature = hmac_sha256_hex(secret, format!("{method}\n{path}\n{query}").as_bytes());
    format!("{query}&auth_signature={signature}")
}

/// Checks `X-Pusher-Key` / `X-Pusher-Signature` of a webhook against the raw body, in constant time.
pub fn verify_webhook(
    expected_key: &str,
    secret: &str,
    header_key: &str,
    header_signature: &str,
    raw_body: &[u8],
) -> bool {
    let expected = hmac_sha256_hex(secret, raw_body);
    let key_ok: bool = expected_key.as_bytes().ct_eq(header_key.as_bytes()).into();
    let signature_ok: bool = expected.as_bytes().ct_eq(header_signature.trim().to_ascii_lowercase().as_bytes()).into();
    key_ok & signature_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    // Known-answer vectors from Pusher's documentation.
    const KEY: &str = "278d425bdf160c739803";
    const SECRET: &str = "7ad3773142a6692b25b8";

    #[test]
    fn private_channel_signature_matches_pusher_docs() {
        assert_eq!(
            channel_auth_signature(KEY, SECRET, "1234.1234", "private-foobar", None),
            "278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4"
        );
    }

    #[test]
    fn presence_channel_signature_matches_pusher_docs() {
        let data = r#"{"user_id":10,"user_info":{"name":"Mr. Channels"}}"#;
        assert_eq!(
            channel_auth_signature(KEY, SECRET, "1234.1234", "presence-foobar", Some(data)),
            "278d425bdf160c739803:31935e7d86dba64c2a90aed31fdc61869f9b22ba9d8863bba239c03ca481bc80"
        );
    }

    #[test]
    fn rest_signature_matches_pusher_docs() {
        let body = br#"{"name":"foo","channels":["project-3"],"data":"{\"some\":\"data\"}"}"#;
        assert_eq!(body_md5(body), "ec365a775a4cd0599faeb73354201b6f");
        let query = signed_rest_query("POST", "/apps/3/events", &[], Some(body), KEY, SECRET, 1353088179);
        assert_eq!(
            query,
            "auth_key=278d425bdf160c739803&auth_timestamp=1353088179&auth_version=1.0\
             &body_md5=ec365a775a4cd0599faeb73354201b6f\
             &auth_signature=da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c"
        );
    }

    #[test]
    fn rest_query_parameters_are_sorted_with_the_auth_ones() {
        let query = signed_rest_query(
            "GET",
            "/apps/3/channels",
            &[("info", "user_count"), ("filter_by_prefix", "presence-")],
            None,
            KEY,
            SECRET,
            1,
        );
        let keys: Vec<&str> = query.split('&').map(|kv| kv.split('=').next().unwrap()).collect();
        assert_eq!(keys, ["auth_key", "auth_timestamp", "auth_version", "filter_by_prefix", "info", "auth_signature"]);
    }

    #[test]
    fn user_signature_signs_the_user_separator() {
        let a = user_auth_signature(KEY, SECRET, "1.1", r#"{"id":"u"}"#);
        let b = channel_auth_signature(KEY, SECRET, "1.1", ":user:", Some(r#"{"id":"u"}"#));
        assert_eq!(a, b, "socket::user::data is socket + ':' + ':user:' + ':' + data");
        assert!(a.starts_with("278d425bdf160c739803:"));
    }

    #[test]
    fn encrypted_shared_secret_is_sha256_of_channel_and_key() {
        let key = [7u8; 32];
        let expected = {
            let mut h = Sha256::new();
            h.update(b"private-encrypted-x");
            h.update(key);
            base64::engine::general_purpose::STANDARD.encode(h.finalize())
        };
        assert_eq!(encrypted_channel_shared_secret("private-encrypted-x", &key), expected);
        assert_ne!(encrypted_channel_shared_secret("private-encrypted-y", &key), expected);
    }

    #[test]
    fn webhook_signature_is_checked_against_the_raw_body() {
        let body = br#"{"time_ms":1,"events":[]}"#;
        let signature = hmac_sha256_hex(SECRET, body);
        assert!(verify_webhook(KEY, SECRET, KEY, &signature, body));
        assert!(!verify_webhook(KEY, SECRET, KEY, &signature, b"{\"time_ms\":2,\"events\":[]}"));
        assert!(!verify_webhook(KEY, SECRET, "other-key", &signature, body));
        assert!(!verify_webhook(KEY, SECRET, KEY, "", body));
    }
}
