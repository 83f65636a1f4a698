//! Signed webhooks to the app's own backend: `OUTBOUND_WEBHOOK_URL`, `OUTBOUND_WEBHOOK_SECRET`,
//! `OUTBOUND_WEBHOOK_TIMEOUT_MS`, `OUTBOUND_WEBHOOK_ALLOW_HTTP`. Off unless the URL is set.

use super::env::{ConfigError, Env};
use super::Secret;
use std::time::Duration;

/// The variables of the webhooks to the app's backend.
const OUTBOUND: EndpointVars = EndpointVars {
    url: "OUTBOUND_WEBHOOK_URL",
    secret: "OUTBOUND_WEBHOOK_SECRET",
    allow_http: "OUTBOUND_WEBHOOK_ALLOW_HTTP",
};

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
        let Some((url, secret)) = signed_endpoint(env, OUTBOUND)? else {
            return Ok(None);
        };
        let timeout = Duration::from_millis(env.at_least_one("OUTBOUND_WEBHOOK_TIMEOUT_MS", 5_000)?.into());
        Ok(Some(Self { url, secret, timeout }))
    }
}

/// The variables of a signed endpoint the operator configures.
pub(super) struct EndpointVars {
    pub url: &'static str,
    pub secret: &'static str,
    pub allow_http: &'static str,
}

/// A signed endpoint: its `https://` URL (`http://` when `allow_http` is set, for local use) and
/// its secret (16+ characters); `None` when the URL is unset (then the secret must be too).
pub(super) fn signed_endpoint(env: &Env, vars: EndpointVars) -> Result<Option<(url::Url, Secret)>, ConfigError> {
    let Some(raw) = env.optional(vars.url) else {
        return match env.optional(vars.secret) {
            Some(_) => Err(ConfigError::new(vars.url, format!("is not set ({} is)", vars.secret))),
            None => Ok(None),
        };
    };
    let allow_http: bool = env.parsed(vars.allow_http, false)?;
    let url = webhook_url(&raw, allow_http, &vars)?;
    let secret = env.required(vars.secret)?;
    if secret.len() < MIN_SECRET_LEN {
        return Err(ConfigError::new(vars.secret, format!("must be at least {MIN_SECRET_LEN} characters")));
    }
    Ok(Some((url, Secret::new(secret))))
}

/// An `https://` URL without credentials in it; `http://` only when allowed (local use).
fn webhook_url(raw: &str, allow_http: bool, vars: &EndpointVars) -> Result<url::Url, ConfigError> {
    let refuse = |problem: String| ConfigError::new(vars.url, problem);
    let url = url::Url::parse(raw).map_err(|_| refuse("is not a URL".into()))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_http => {}
        "http" => return Err(refuse(format!("must be https:// (set {}=true for local use)", vars.allow_http))),
        _ => return Err(refuse("must be https://".into())),
    }
    if url.host_str().is_none_or(str::is_empty) || !url.username().is_empty() || url.password().is_some() {
        return Err(refuse("must name a host and carry no user name or password".into()));
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
