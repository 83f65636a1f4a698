//! Pusher's end-to-end encrypted channels (`private-encrypted-…`). Each event's data is sealed with
//! NaCl secretbox (XSalsa20-Poly1305) under the channel's shared secret, SHA-256(channel name ‖
//! master key), so Pusher relays `{"nonce","ciphertext"}` it cannot read; pusher-js's encryption
//! build opens it with the `shared_secret` the channel authorization hands the subscriber.

use super::signature::encrypted_channel_key;
use base64::Engine;
use crypto_secretbox::aead::{Aead, AeadCore, KeyInit, OsRng};
use crypto_secretbox::{Key, Nonce, XSalsa20Poly1305};

pub const ENCRYPTED_PREFIX: &str = "private-encrypted-";

/// secretbox adds a 16-byte tag; the sealed data is `{"nonce":"<32>","ciphertext":"<base64>"}`.
const TAG_BYTES: usize = 16;
const WRAPPER_BYTES: usize = r#"{"nonce":"","ciphertext":""}"#.len() + 32;

pub fn is_encrypted_channel(name: &str) -> bool {
    name.starts_with(ENCRYPTED_PREFIX)
}

/// Seals `data` (the event data string) for `channel` with a fresh random nonce.
pub fn seal(data: &str, channel: &str, master_key: &[u8; 32]) -> String {
    let nonce = XSalsa20Poly1305::generate_nonce(&mut OsRng);
    seal_with_nonce(data, channel, master_key, nonce.as_slice().try_into().expect("24-byte nonce"))
}

/// [`seal`] with a given nonce (known-answer tests; a nonce must never repeat under one key).
pub fn seal_with_nonce(data: &str, channel: &str, master_key: &[u8; 32], nonce: &[u8; 24]) -> String {
    let key = encrypted_channel_key(channel, master_key);
    let cipher = XSalsa20Poly1305::new(Key::from_slice(&key));
    let ciphertext =
        cipher.encrypt(Nonce::from_slice(nonce), data.as_bytes()).expect("sealing in memory does not fail");
    let b64 = base64::engine::general_purpose::STANDARD;
    // Built by hand in the order Pusher's libraries write it; base64 needs no JSON escaping.
    format!(r#"{{"nonce":"{}","ciphertext":"{}"}}"#, b64.encode(nonce), b64.encode(ciphertext))
}

/// Opens what [`seal`] made (and what Pusher's own libraries make); `None` for a wrong key,
/// channel or a tampered message.
pub fn open(sealed: &str, channel: &str, master_key: &[u8; 32]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(sealed).ok()?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let nonce = b64.decode(value["nonce"].as_str()?).ok()?;
    let ciphertext = b64.decode(value["ciphertext"].as_str()?).ok()?;
    if nonce.len() != 24 {
        return None;
    }
    let key = encrypted_channel_key(channel, master_key);
    let plain = XSalsa20Poly1305::new(Key::from_slice(&key)).decrypt(Nonce::from_slice(&nonce), &*ciphertext).ok()?;
    String::from_utf8(plain).ok()
}

/// The length of the sealed form of `plain_len` bytes of data.
pub fn sealed_len(plain_len: usize) -> usize {
    WRAPPER_BYTES + (plain_len + TAG_BYTES).div_ceil(3) * 4
}

/// The most data that still fits `limit` once sealed.
pub fn max_plain_len(limit: usize) -> usize {
    (limit.saturating_sub(WRAPPER_BYTES) / 4 * 3).saturating_sub(TAG_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = *b"an example master key of 32 byt!";

    #[test]
    fn sealed_data_opens_only_with_its_channel_and_key() {
        let sealed = seal(r#"{"content":"secret plans"}"#, "private-encrypted-room-r1", &KEY);
        assert!(!sealed.contains("secret"));
        assert_eq!(open(&sealed, "private-encrypted-room-r1", &KEY).as_deref(), Some(r#"{"content":"secret plans"}"#));
        assert_eq!(open(&sealed, "private-encrypted-room-r2", &KEY), None, "another channel's secret");
        let mut other = KEY;
        other[0] ^= 1;
        assert_eq!(open(&sealed, "private-encrypted-room-r1", &other), None, "another master key");
        let tampered = sealed.replacen("\"ciphertext\":\"", "\"ciphertext\":\"AA", 1);
        assert_eq!(open(&tampered, "private-encrypted-room-r1", &KEY), None);
    }

    #[test]
    fn every_seal_uses_a_fresh_nonce() {
        let a = seal("same", "private-encrypted-x", &KEY);
        let b = seal("same", "private-encrypted-x", &KEY);
        assert_ne!(a, b);
    }

    #[test]
    fn the_sealed_length_is_known_in_advance_and_the_limit_is_exact() {
        for n in [0, 1, 2, 3, 100, 7000] {
            let data = "x".repeat(n);
            assert_eq!(seal(&data, "private-encrypted-x", &KEY).len(), sealed_len(n), "{n}");
        }
        let most = max_plain_len(10_240);
        assert!(sealed_len(most) <= 10_240);
        assert!(sealed_len(most + 3) > 10_240, "{most} is the largest that fits (up to base64's rounding)");
    }

    #[test]
    fn a_known_answer_matches_nacl_secretbox() {
        // The same key, nonce and data sealed by tweetnacl (the NaCl port Pusher's JavaScript
        // libraries use); the official Node library is also checked end to end in tests/integration.
        let sealed = seal_with_nonce("hello", "private-encrypted-x", &KEY, &[7; 24]);
        assert_eq!(
            sealed,
            r#"{"nonce":"BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH","ciphertext":"q+p22EJmHhINxJYvGkWBzyl+5569"}"#
        );
        assert_eq!(open(&sealed, "private-encrypted-x", &KEY).as_deref(), Some("hello"));
    }
}
