//! Signed webhooks to the app's own backend: `OUTBOUND_WEBHOOK_URL`, `OUTBOUND_WEBHOOK_SECRET`,
//! `OUTBOUND_WEBHOOK_TIMEOUT_MS`, `OUTBOUND_WEBHOOK_ALLOW_HTTP`. Off unless the URL is set.

use super::env::{ConfigError, Env};
use super::Secret;
use std::time::Duration;

/// A shorter signing secret is guessable.
const MIN_SECRET_LEN: usize = 16;

#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub url: url::Url,
    pub secret: Secret,
    pub timeout: Duration,
}

impl WebhookConfig {
    /// `None` when `OUTBOUND_WEBHOOK_URL` is unset; the secret is then required.
    pub(super) fn read(env: &Env) -> Result<Option<Self>, ConfigError> {
        let Some(raw) = env.optional("OUTBOUND_WEBHOOK_URL") else {
            return match env.optional("OUTBOUND_WEBHOOK_SECRET") {
                Some(_) => Err(ConfigError::new("OUTBOUND_WEBHOOK_URL", "is not set (OUTBOUND_WEBHOOK_SECRET is)")),
                None => Ok(None),
            };
        };
        let allow_http: bool = env.parsed("OUTBOUND_WEBHOOK_ALLOW_HTTP", false)?;
        let url = webhook_url(&raw, allow_http)?;
        let secret = env.required("OUTBOUND_WEBHOOK_SECRET")?;
        if secret.len() < MIN_SECRET_LEN {
            return Err(ConfigError::new(
                "OUTBOUND_WEBHOOK_SECRET",
                format!("must be at least {MIN_SECRET_LEN} characters"),
            ));
        }
        let timeout = Duration::from_millis(env.at_least_one("OUTBOUND_WEBHOOK_TIMEOUT_MS", 5_000)?.into());
        Ok(Some(Self { url, secret: Secret::new(secret), timeout }))
    }
}

/// An `https://` URL without credentials in it; `http://` only when allowed (local use).
fn webhook_url(raw: &str, allow_http: bool) -> Result<url::Url, ConfigError> {
    let refuse = |problem: &str| ConfigError::new("OUTBOUND_WEBHOOK_URL", problem.to_owned());
    let url = url::Url::parse(raw).map_err(|_| refuse("is not a URL"))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_http => {}
        "http" => return Err(refuse("must be https:// (set OUTBOUND_WEBHOOK_ALLOW_HTTP=true for local use)")),
        _ => return Err(refuse("must be https://")),
    }
    if url.host_str().is_none_or(str::is_empty) || !url.username().is_empty() || url.password().is_some() {
        return Err(refuse("must name a host and carry no user name or password"));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{base, load};

    #[test]
    fn webhooks_are_off_unless_a_url_and_a_secret_are_set() {
        assert!(load(&base()).unwrap().webhooks.is_none());
        let mut vars = base();
        vars.insert("OUTBOUND_WEBHOOK_URL", "https://backend.example/hooks/chat");
        assert_eq!(load(&vars).unwrap_err().variable, "OUTBOUND_WEBHOOK_SECRET");
        vars.insert("OUTBOUND_WEBHOOK_SECRET", "whsec-0123456789abcdef");
        let webhooks = load(&vars).unwrap().webhooks.unwrap();
        assert_eq!(webhooks.url.as_str(), "https://backend.example/hooks/chat");
        assert_eq!(webhooks.timeout, std::time::Duration::from_secs(5));
        assert!(!format!("{webhooks:?}").contains("whsec"));
        vars.remove("OUTBOUND_WEBHOOK_URL");
        assert_eq!(load(&vars).unwrap_err().variable, "OUTBOUND_WEBHOOK_URL", "a secret without a URL");
    }

    #[test]
    fn the_webhook_url_is_https_unless_http_is_allowed() {
        let with = |url: &'static str, allow: Option<&'static str>| {
            let mut vars = base();
            vars.insert("OUTBOUND_WEBHOOK_URL", url);
            vars.insert("OUTBOUND_WEBHOOK_SECRET", "whsec-0123456789abcdef");
            if let Some(allow) = allow {
                vars.insert("OUTBOUND_WEBHOOK_ALLOW_HTTP", allow);
            }
            load(&vars).map(|c| c.webhooks.unwrap().url.to_string()).map_err(|e| e.variable)
        };
        assert_eq!(with("http://127.0.0.1:9000/hook", None), Err("OUTBOUND_WEBHOOK_URL"));
        assert_eq!(with("http://127.0.0.1:9000/hook", Some("true")).as_deref(), Ok("http://127.0.0.1:9000/hook"));
        for bad in ["ftp://backend.example/", "https://user:pw@backend.example/", "backend.example", "https://"] {
            assert_eq!(with(bad, Some("true")), Err("OUTBOUND_WEBHOOK_URL"), "{bad}");
        }
        assert_eq!(with("https://a.example/x", Some("maybe")), Err("OUTBOUND_WEBHOOK_ALLOW_HTTP"));
    }
}
