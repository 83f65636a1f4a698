//! A browser's push subscription as the API accepts it: an endpoint on a known push service (or
//! an origin the operator allowed) and the keys RFC 8291 encrypts with. Endpoints are checked by
//! name, never by resolving them: anything else (plain http, an IP literal or private address,
//! credentials in the URL, another port) is refused, so a subscription cannot point the API's
//! pushes at an address of the attacker's choosing.

use super::Invalid;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// Longer than any push service's endpoint (they are a few hundred bytes).
pub const MAX_ENDPOINT_LEN: usize = 2048;

/// The push services browsers subscribe through: FCM (Chrome, Edge on Android, most Chromium
/// browsers), Mozilla (Firefox), Apple (Safari) and Windows (Edge on Windows).
const PUSH_SERVICE_HOSTS: &[&str] = &["fcm.googleapis.com", "updates.push.services.mozilla.com"];
const PUSH_SERVICE_DOMAINS: &[&str] = &[".push.apple.com", ".notify.windows.com"];

/// An endpoint the API may send pushes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushEndpoint(url::Url);

impl PushEndpoint {
    /// `allowed_origins` (`WEB_PUSH_ALLOWED_ORIGINS`, as `scheme://host[:port]`) adds endpoints
    /// beside the known services, e.g. a local push service in tests.
    pub fn parse(raw: &str, allowed_origins: &[String]) -> Result<Self, Invalid> {
        let refuse = |why: &str| Invalid::new("invalid_push_endpoint", format!("endpoint {why}"));
        if raw.len() > MAX_ENDPOINT_LEN {
            return Err(refuse(&format!("must be at most {MAX_ENDPOINT_LEN} bytes")));
        }
        let url = url::Url::parse(raw).map_err(|_| refuse("is not a URL"))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refuse("must not carry a user name or password"));
        }
        if allowed_origins.contains(&url.origin().ascii_serialization()) {
            return Ok(Self(url));
        }
        if url.scheme() != "https" {
            return Err(refuse("must be https://"));
        }
        if url.port().is_some() {
            return Err(refuse("must use the default port"));
        }
        let known = match url.host() {
            Some(url::Host::Domain(host)) => {
                PUSH_SERVICE_HOSTS.contains(&host)
                    || PUSH_SERVICE_DOMAINS.iter().any(|domain| host.ends_with(domain) && host.len() > domain.len())
            }
            _ => false,
        };
        if !known {
            return Err(refuse("must be on a known push service (FCM, Mozilla, Apple or Windows)"));
        }
        Ok(Self(url))
    }

    pub fn url(&self) -> &url::Url {
        &self.0
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// A subscription's keys: the browser's P-256 public key (65-byte uncompressed point) and its
/// 16-byte authentication secret, both base64url as `PushSubscription.toJSON()` gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushKeys {
    pub p256dh: String,
    pub auth: String,
}

impl PushKeys {
    pub fn parse(p256dh: &str, auth: &str) -> Result<Self, Invalid> {
        let decode = |raw: &str| URL_SAFE_NO_PAD.decode(raw.trim_end_matches('='));
        let point = decode(p256dh).ok().filter(|b| b.len() == 65 && p256::PublicKey::from_sec1_bytes(b).is_ok());
        let Some(point) = point else {
            return Err(Invalid::new(
                "invalid_push_keys",
                "keys.p256dh must be a P-256 public key (65 bytes, base64url)",
            ));
        };
        let Some(secret) = decode(auth).ok().filter(|b| b.len() == 16) else {
            return Err(Invalid::new("invalid_push_keys", "keys.auth must be 16 bytes, base64url"));
        };
        Ok(Self { p256dh: URL_SAFE_NO_PAD.encode(point), auth: URL_SAFE_NO_PAD.encode(secret) })
    }

    /// The decoded keys, for encrypting (they were checked when parsed).
    pub fn decoded(&self) -> Option<(p256::PublicKey, [u8; 16])> {
        let point = URL_SAFE_NO_PAD.decode(&self.p256dh).ok()?;
        let secret: [u8; 16] = URL_SAFE_NO_PAD.decode(&self.auth).ok()?.try_into().ok()?;
        Some((p256::PublicKey::from_sec1_bytes(&point).ok()?, secret))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(raw: &str, allowed: &[String]) -> Result<String, &'static str> {
        PushEndpoint::parse(raw, allowed).map(|e| e.as_str().to_owned()).map_err(|e| e.code)
    }

    #[test]
    fn endpoints_on_the_known_push_services_are_accepted() {
        for ok in [
            "https://fcm.googleapis.com/fcm/send/dQw4w9WgXcQ:APA91b",
            "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABk",
            "https://web.push.apple.com/QGuQyavXutnMH",
            "https://wns2-par02p.notify.windows.com/w/?token=BQYAAA",
            "https://FCM.googleapis.com:443/fcm/send/x",
        ] {
            assert!(code(ok, &[]).is_ok(), "{ok}");
        }
    }

    #[test]
    fn anything_else_is_refused_unless_its_origin_is_allowed() {
        for bad in [
            "http://fcm.googleapis.com/fcm/send/x",
            "https://fcm.googleapis.com:8443/fcm/send/x",
            "https://fcm.googleapis.com.evil.example/x",
            "https://evil.example/#@fcm.googleapis.com",
            "https://user:pw@fcm.googleapis.com/x",
            "https://push.apple.com/x",
            "https://evilpush.apple.com/x",
            "https://127.0.0.1/x",
            "https://[::1]/x",
            "https://10.0.0.8/x",
            "https://169.254.169.254/latest/meta-data",
            "http://127.0.0.1:21850/push/x",
            "https://localhost/x",
            "file:///etc/passwd",
            "not a url",
            "",
        ] {
            assert_eq!(code(bad, &[]), Err("invalid_push_endpoint"), "{bad}");
        }
        let allowed = vec!["http://127.0.0.1:21850".to_owned()];
        assert!(code("http://127.0.0.1:21850/push/abc", &allowed).is_ok());
        assert_eq!(code("http://127.0.0.1:21851/push/abc", &allowed), Err("invalid_push_endpoint"), "another port");
        assert_eq!(code("http://u:p@127.0.0.1:21850/push/abc", &allowed), Err("invalid_push_endpoint"));
        let long = format!("https://fcm.googleapis.com/{}", "a".repeat(MAX_ENDPOINT_LEN));
        assert_eq!(code(&long, &[]), Err("invalid_push_endpoint"));
    }

    #[test]
    fn keys_must_be_a_curve_point_and_a_sixteen_byte_secret() {
        let p256dh = "BLn9b-VR0ca83knDNZ32dCHGyjJp-1riX9ZTN40MqV8K_LpQmLqxC_DoHvqvFXO_nGdAB4W9dogZb_sM-uV4JbY";
        let auth = "_ordMnz7uTCmrpBTeUV4Bw";
        let keys = PushKeys::parse(p256dh, auth).unwrap();
        assert!(keys.decoded().is_some());
        assert_eq!(PushKeys::parse(&format!("{auth}=="), auth).unwrap_err().code, "invalid_push_keys");
        let off_curve = format!("BA{}", &p256dh[2..]);
        assert_eq!(PushKeys::parse(&off_curve, auth).unwrap_err().code, "invalid_push_keys");
        assert_eq!(PushKeys::parse(p256dh, "c2hvcnQ").unwrap_err().code, "invalid_push_keys");
        assert_eq!(PushKeys::parse(p256dh, "not base64!").unwrap_err().code, "invalid_push_keys");
        assert!(PushKeys::parse(p256dh, "_ordMnz7uTCmrpBTeUV4Bw==").is_ok(), "padding is tolerated");
    }
}
