//! How the API meets its callers: `CORS_ALLOWED_ORIGINS`, `MAX_BODY_BYTES`, `REQUEST_TIMEOUT_MS`,
//! `PUBLIC_BASE_URL`.

use super::env::{ConfigError, Env};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Origins allowed to call the API from a browser; `*` allows any.
    pub cors_allowed_origins: Vec<String>,
    pub max_body_bytes: usize,
    /// A route that runs longer answers 503; kept below the function's `maxDuration`.
    pub request_timeout: Duration,
    /// Where browsers reach this API (`https://chat-api.example.com`), for the absolute URLs in
    /// `/api/config`; unset, they come from the request's forwarded host and scheme.
    pub public_base_url: Option<String>,
}

impl HttpConfig {
    pub(super) fn read(env: &Env) -> Result<Self, ConfigError> {
        let cors_allowed_origins = env
            .optional("CORS_ALLOWED_ORIGINS")
            .map(|list| {
                list.split(',')
                    .map(|origin| origin.trim().trim_end_matches('/').to_owned())
                    .filter(|origin| !origin.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            cors_allowed_origins,
            max_body_bytes: env.parsed("MAX_BODY_BYTES", 64 * 1024usize)?,
            request_timeout: Duration::from_millis(env.parsed("REQUEST_TIMEOUT_MS", 8_000u64)?),
            public_base_url: env.optional("PUBLIC_BASE_URL").map(|url| public_base_url(&url)).transpose()?,
        })
    }
}

/// `http(s)://host[:port]` with no path, query or trailing slash.
fn public_base_url(raw: &str) -> Result<String, ConfigError> {
    let url = raw.trim_end_matches('/');
    let host = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    match host {
        Some(host) if !host.is_empty() && !host.contains(['/', '?', '#', '@', ' ']) => Ok(url.to_owned()),
        _ => Err(ConfigError::new("PUBLIC_BASE_URL", "must look like https://host[:port] (no path)")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{base, load};
    use super::super::Config;

    #[test]
    fn cors_origins_are_split_and_trimmed() {
        let mut vars = base();
        vars.insert("CORS_ALLOWED_ORIGINS", " https://a.example/ , https://b.example");
        let config = load(&vars).unwrap();
        assert_eq!(config.http.cors_allowed_origins, vec!["https://a.example", "https://b.example"]);
        assert_eq!(config.http.public_base_url, None);
        assert!(!config.users.auto_provision);
    }

    #[test]
    fn the_public_base_url_is_an_origin_without_a_path() {
        let with = |value: &'static str| {
            let mut env = base();
            env.insert("PUBLIC_BASE_URL", value);
            Config::from_lookup(|k| env.get(k).map(|v| v.to_string()))
        };
        assert_eq!(with("https://api.example/").unwrap().http.public_base_url.as_deref(), Some("https://api.example"));
        assert_eq!(
            with("http://127.0.0.1:4000").unwrap().http.public_base_url.as_deref(),
            Some("http://127.0.0.1:4000")
        );
        for bad in ["api.example", "https://", "https://api.example/v1", "ftp://x", "https://a b"] {
            assert_eq!(with(bad).unwrap_err().variable, "PUBLIC_BASE_URL", "{bad}");
        }
    }
}
