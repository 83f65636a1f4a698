//! Web Push (VAPID, RFC 8292): `WEB_PUSH_VAPID_PUBLIC_KEY`, `WEB_PUSH_VAPID_PRIVATE_KEY` (the
//! base64url forms `npx web-push generate-vapid-keys` prints), `WEB_PUSH_SUBJECT`,
//! `WEB_PUSH_ALLOWED_ORIGINS`, `WEB_PUSH_TIMEOUT_MS`. Off unless the keys are set.

use super::env::{ConfigError, Env};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use p256::ecdsa::SigningKey;
use std::fmt;
use std::time::Duration;

/// The application server's VAPID key pair; the private half never shows in `Debug` output.
#[derive(Clone)]
pub struct VapidKeys {
    signing: SigningKey,
    /// The 65-byte uncompressed public point, base64url: what browsers pass to `subscribe()`.
    public_base64: String,
}

impl VapidKeys {
    /// From the two base64url strings; the public key must be the private key's.
    pub fn from_base64(public: &str, private: &str) -> Result<Self, ConfigError> {
        let decode = |raw: &str| URL_SAFE_NO_PAD.decode(raw.trim().trim_end_matches('='));
        let private_bytes = decode(private)
            .ok()
            .filter(|b| b.len() == 32)
            .ok_or_else(|| ConfigError::new("WEB_PUSH_VAPID_PRIVATE_KEY", "must be 32 bytes, base64url"))?;
        let signing = SigningKey::from_slice(&private_bytes)
            .map_err(|_| ConfigError::new("WEB_PUSH_VAPID_PRIVATE_KEY", "is not a P-256 private key"))?;
        let public_bytes = decode(public).ok().filter(|b| b.len() == 65 && b[0] == 4).ok_or_else(|| {
            ConfigError::new("WEB_PUSH_VAPID_PUBLIC_KEY", "must be the 65-byte uncompressed P-256 point, base64url")
        })?;
        let derived = signing.verifying_key().to_encoded_point(false);
        if derived.as_bytes() != public_bytes.as_slice() {
            return Err(ConfigError::new(
                "WEB_PUSH_VAPID_PUBLIC_KEY",
                "is not the public key of WEB_PUSH_VAPID_PRIVATE_KEY",
            ));
        }
        Ok(Self { signing, public_base64: URL_SAFE_NO_PAD.encode(public_bytes) })
    }

    pub fn signing_key(&self) -> &SigningKey {
        &self.signing
    }

    pub fn public_base64(&self) -> &str {
        &self.public_base64
    }
}

impl fmt::Debug for VapidKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VapidKeys({}, ***)", self.public_base64)
    }
}

#[derive(Debug, Clone)]
pub struct PushConfig {
    pub vapid: VapidKeys,
    /// `mailto:` or `https:`: whom a push service contacts about this sender.
    pub subject: String,
    /// Origins (`scheme://host[:port]`) accepted as push endpoints beside the known push services.
    pub allowed_origins: Vec<String>,
    /// Timeout of each request to a push service.
    pub timeout: Duration,
}

impl PushConfig {
    /// `None` when neither key is set; one without the other names the missing one.
    pub(super) fn read(env: &Env) -> Result<Option<Self>, ConfigError> {
        let (public, private) = (env.optional("WEB_PUSH_VAPID_PUBLIC_KEY"), env.optional("WEB_PUSH_VAPID_PRIVATE_KEY"));
        let (public, private) = match (public, private) {
            (None, None) => return Ok(None),
            (Some(_), None) => return Err(ConfigError::new("WEB_PUSH_VAPID_PRIVATE_KEY", "is not set")),
            (None, Some(_)) => return Err(ConfigError::new("WEB_PUSH_VAPID_PUBLIC_KEY", "is not set")),
            (Some(public), Some(private)) => (public, private),
        };
        let vapid = VapidKeys::from_base64(&public, &private)?;
        let subject = env.required("WEB_PUSH_SUBJECT")?;
        let valid_subject = subject.strip_prefix("mailto:").is_some_and(|rest| rest.contains('@'))
            || url::Url::parse(&subject).is_ok_and(|u| u.scheme() == "https" && u.host_str().is_some());
        if !valid_subject {
            return Err(ConfigError::new("WEB_PUSH_SUBJECT", "must be a mailto: address or an https: URL"));
        }
        let allowed_origins = env
            .optional("WEB_PUSH_ALLOWED_ORIGINS")
            .map(|list| list.split(',').map(str::trim).filter(|o| !o.is_empty()).map(origin).collect())
            .transpose()?
            .unwrap_or_default();
        let timeout = Duration::from_millis(env.at_least_one("WEB_PUSH_TIMEOUT_MS", 5_000)?.into());
        Ok(Some(Self { vapid, subject, allowed_origins, timeout }))
    }
}

/// `scheme://host[:port]` as the `url` crate writes an origin (default ports left out).
fn origin(raw: &str) -> Result<String, ConfigError> {
    let refuse =
        || ConfigError::new("WEB_PUSH_ALLOWED_ORIGINS", format!("{raw:?} is not an origin (scheme://host[:port])"));
    let url = url::Url::parse(raw).map_err(|_| refuse())?;
    let bare = url.path() == "/" && url.query().is_none() && url.username().is_empty() && url.password().is_none();
    match (url.scheme(), bare, url.origin()) {
        ("http" | "https", true, origin @ url::Origin::Tuple(..)) => Ok(origin.ascii_serialization()),
        _ => Err(refuse()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{base, load};

    // A P-256 key pair in the form `npx web-push generate-vapid-keys` prints.
    pub const PUBLIC: &str = "BL0LjdyHjMCykDxJd4A1hqPtmngEo6s5NpryJLLQgDI6yrAd6EPeIcUE-N2UyICS_PXkriQyq_te-sxLekpvKFM";
    pub const PRIVATE: &str = "ryhgoMPbpFFhiVroXRo1ul9tKd-M6rQ_DSqEeAzxgbQ";

    #[test]
    fn push_is_off_unless_both_keys_and_a_subject_are_set() {
        assert!(load(&base()).unwrap().push.is_none());
        let mut vars = base();
        vars.insert("WEB_PUSH_VAPID_PUBLIC_KEY", PUBLIC);
        assert_eq!(load(&vars).unwrap_err().variable, "WEB_PUSH_VAPID_PRIVATE_KEY");
        vars.insert("WEB_PUSH_VAPID_PRIVATE_KEY", PRIVATE);
        assert_eq!(load(&vars).unwrap_err().variable, "WEB_PUSH_SUBJECT");
        vars.insert("WEB_PUSH_SUBJECT", "mailto:ops@chat.example");
        let push = load(&vars).unwrap().push.unwrap();
        assert_eq!(push.vapid.public_base64(), PUBLIC);
        assert!(!format!("{push:?}").contains(PRIVATE), "the private key never shows");
        assert!(push.allowed_origins.is_empty());
        vars.insert("WEB_PUSH_SUBJECT", "https://chat.example/contact");
        assert!(load(&vars).is_ok());
        for bad in ["ops@chat.example", "http://chat.example", "mailto:nobody"] {
            vars.insert("WEB_PUSH_SUBJECT", bad);
            assert_eq!(load(&vars).unwrap_err().variable, "WEB_PUSH_SUBJECT", "{bad}");
        }
    }

    #[test]
    fn the_public_key_must_be_the_private_keys() {
        let mut vars = base();
        vars.insert("WEB_PUSH_SUBJECT", "mailto:ops@chat.example");
        vars.insert("WEB_PUSH_VAPID_PRIVATE_KEY", PRIVATE);
        // Another key pair's public key.
        vars.insert(
            "WEB_PUSH_VAPID_PUBLIC_KEY",
            "BLn9b-VR0ca83knDNZ32dCHGyjJp-1riX9ZTN40MqV8K_LpQmLqxC_DoHvqvFXO_nGdAB4W9dogZb_sM-uV4JbY",
        );
        assert_eq!(load(&vars).unwrap_err().variable, "WEB_PUSH_VAPID_PUBLIC_KEY");
        vars.insert("WEB_PUSH_VAPID_PUBLIC_KEY", "not-a-key");
        assert_eq!(load(&vars).unwrap_err().variable, "WEB_PUSH_VAPID_PUBLIC_KEY");
        vars.insert("WEB_PUSH_VAPID_PUBLIC_KEY", PUBLIC);
        vars.insert("WEB_PUSH_VAPID_PRIVATE_KEY", "AAAA");
        assert_eq!(load(&vars).unwrap_err().variable, "WEB_PUSH_VAPID_PRIVATE_KEY");
    }

    #[test]
    fn allowed_origins_are_bare_origins() {
        let mut vars = base();
        vars.insert("WEB_PUSH_SUBJECT", "mailto:ops@chat.example");
        vars.insert("WEB_PUSH_VAPID_PRIVATE_KEY", PRIVATE);
        vars.insert("WEB_PUSH_VAPID_PUBLIC_KEY", PUBLIC);
        vars.insert("WEB_PUSH_ALLOWED_ORIGINS", "http://127.0.0.1:21850, https://push.internal.example:443");
        assert_eq!(
            load(&vars).unwrap().push.unwrap().allowed_origins,
            ["http://127.0.0.1:21850", "https://push.internal.example"]
        );
        for bad in ["127.0.0.1:21850", "http://127.0.0.1:21850/path", "ftp://x.example", "http://u@x.example"] {
            vars.insert("WEB_PUSH_ALLOWED_ORIGINS", bad);
            assert_eq!(load(&vars).unwrap_err().variable, "WEB_PUSH_ALLOWED_ORIGINS", "{bad}");
        }
    }
}
