//! Verifying callers' Supabase access tokens: `SUPABASE_URL`, `SUPABASE_JWT_SECRET`,
//! `SUPABASE_JWKS_URL`, `JWT_AUDIENCE`, `JWT_ISSUER`, `JWKS_TIMEOUT_MS`.

use super::env::{ConfigError, Env};
use super::Secret;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// Legacy Supabase projects sign access tokens with this HS256 secret.
    pub jwt_secret: Option<Secret>,
    /// Newer projects publish ES256/RS256 keys here.
    pub jwks_url: Option<String>,
    pub audience: String,
    /// The `iss` tokens must carry: Supabase's is `<SUPABASE_URL>/auth/v1` (`JWT_ISSUER` overrides;
    /// unset when neither is set, as with a bare HS256 secret).
    pub issuer: Option<String>,
    pub jwks_timeout: Duration,
    /// A refresh for an unknown key id happens at most this often, so forged tokens with random
    /// key ids cannot make every request fetch the key set.
    pub jwks_min_refresh: Duration,
    /// Known keys are re-read after this long, so a revoked key stops working (while the key set
    /// answers; during an outage the last good keys keep serving).
    pub jwks_max_age: Duration,
}

impl AuthConfig {
    pub(super) fn read(env: &Env) -> Result<Self, ConfigError> {
        let jwt_secret = env.optional("SUPABASE_JWT_SECRET").map(Secret::new);
        let jwks_url = env.optional("SUPABASE_JWKS_URL").or_else(|| {
            env.optional("SUPABASE_URL")
                .map(|url| format!("{}/auth/v1/.well-known/jwks.json", url.trim_end_matches('/')))
        });
        if jwt_secret.is_none() && jwks_url.is_none() {
            return Err(ConfigError::new(
                "SUPABASE_URL",
                "is not set (set SUPABASE_URL for JWKS keys and/or SUPABASE_JWT_SECRET for HS256 tokens)",
            ));
        }
        Ok(Self {
            jwt_secret,
            jwks_url,
            audience: env.optional("JWT_AUDIENCE").unwrap_or_else(|| "authenticated".to_owned()),
            issuer: env
                .optional("JWT_ISSUER")
                .or_else(|| env.optional("SUPABASE_URL").map(|url| format!("{}/auth/v1", url.trim_end_matches('/')))),
            jwks_timeout: Duration::from_millis(env.parsed("JWKS_TIMEOUT_MS", 3_000u64)?),
            jwks_min_refresh: Duration::from_secs(30),
            jwks_max_age: Duration::from_secs(600),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{base, load};

    #[test]
    fn jwks_url_is_derived_from_the_supabase_url() {
        let mut vars = base();
        vars.insert("SUPABASE_URL", "https://abc.supabase.co/");
        let config = load(&vars).unwrap();
        assert_eq!(config.auth.jwks_url.as_deref(), Some("https://abc.supabase.co/auth/v1/.well-known/jwks.json"));
        assert_eq!(config.auth.issuer.as_deref(), Some("https://abc.supabase.co/auth/v1"));
        vars.insert("JWT_ISSUER", "https://auth.example");
        assert_eq!(load(&vars).unwrap().auth.issuer.as_deref(), Some("https://auth.example"));
        vars.remove("JWT_ISSUER");
        vars.remove("SUPABASE_URL");
        assert_eq!(load(&vars).unwrap().auth.issuer, None, "a bare HS256 secret checks no issuer");
        vars.remove("SUPABASE_JWT_SECRET");
        assert_eq!(load(&vars).unwrap_err().variable, "SUPABASE_URL");
    }
}
