//! Supabase access-token verification.
//!
//! Legacy projects sign with a shared HS256 secret; current ones sign with ES256/RS256 keys
//! published at `<SUPABASE_URL>/auth/v1/.well-known/jwks.json`. Both are accepted; the key set
//! is cached per instance and fetched again when a token names a key id it has not seen.

use crate::config::AuthConfig;
use crate::domain::UserId;
use crate::error::ApiError;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

/// After a failed key-set fetch, the next attempt waits at least this long, doubling per failure.
const JWKS_MAX_BACKOFF: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub exp: i64,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
    /// Supabase's profile hints (`full_name`, `avatar_url`, …), used to create a first profile.
    #[serde(default)]
    pub user_metadata: Option<serde_json::Value>,
    /// Supabase's server-set claims; only its `role` is read (an operator role, `ADMIN_ROLE_CLAIM`).
    #[serde(default)]
    pub app_metadata: Option<serde_json::Value>,
}

/// The caller of an authenticated route.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthUser {
    pub id: UserId,
    pub email: Option<String>,
    pub metadata: Option<serde_json::Value>,
    /// `app_metadata.role` of the token: set by the project's backend, never by the user.
    pub app_role: Option<String>,
}

#[derive(Default)]
struct JwksCache {
    /// The last key set fetched successfully (kept while refreshes fail).
    keys: HashMap<String, (Algorithm, DecodingKey)>,
    fetched_at: Option<Instant>,
    /// The last fetch, successful or not, and how many failed in a row since the last success.
    attempted_at: Option<Instant>,
    failures: u32,
}

impl JwksCache {
    /// Whether a fetch may start now: not within `min_refresh` of the last one, nor, after
    /// failures, within the backoff (`min_refresh` doubled per failure, at most 5 minutes).
    fn may_fetch(&self, min_refresh: Duration) -> bool {
        let Some(at) = self.attempted_at else { return true };
        let wait = match self.failures {
            0 => min_refresh,
            n => (min_refresh.max(Duration::from_secs(1)) * 2u32.saturating_pow(n - 1)).min(JWKS_MAX_BACKOFF),
        };
        at.elapsed() >= wait
    }

    fn key(&self, kid: &str) -> Option<(Algorithm, DecodingKey)> {
        self.keys.get(kid).map(|(alg, key)| (*alg, key.clone()))
    }
}

#[derive(Clone)]
pub struct TokenVerifier {
    config: AuthConfig,
    hs256: Option<DecodingKey>,
    http: reqwest::Client,
    jwks: Arc<RwLock<JwksCache>>,
    /// One key-set fetch at a time; requests with known keys never wait for it.
    refreshing: Arc<tokio::sync::Mutex<()>>,
}

impl TokenVerifier {
    pub fn new(config: AuthConfig, http: reqwest::Client) -> Self {
        let hs256 = config.jwt_secret.as_ref().map(|s| DecodingKey::from_secret(s.expose().as_bytes()));
        Self { config, hs256, http, jwks: Arc::default(), refreshing: Arc::default() }
    }

    /// The caller of a request from its bearer token, or 401 when there is none.
    pub async fn authenticate(&self, bearer: Option<&str>) -> Result<AuthUser, ApiError> {
        let token = bearer
            .ok_or_else(|| ApiError::unauthorized("missing_token", "send Authorization: Bearer <access token>"))?;
        self.verify(token).await
    }

    /// Verifies a bearer token and returns its user, or a 401 with a reason code.
    pub async fn verify(&self, token: &str) -> Result<AuthUser, ApiError> {
        let header = decode_header(token).map_err(|_| {
            ApiError::unauthorized("invalid_token", "the token is malformed or uses an unsupported algorithm")
        })?;
        let key = match header.alg {
            Algorithm::HS256 => self
                .hs256
                .clone()
                .ok_or_else(|| ApiError::unauthorized("unsupported_algorithm", "HS256 tokens are not accepted here"))?,
            Algorithm::ES256 | Algorithm::RS256 => {
                let kid = header
                    .kid
                    .as_deref()
                    .ok_or_else(|| ApiError::unauthorized("unknown_key", "the token names no key id"))?;
                self.jwks_key(kid, header.alg).await?
            }
            _ => {
                return Err(ApiError::unauthorized(
                    "unsupported_algorithm",
                    "tokens must be signed with HS256, ES256 or RS256",
                ))
            }
        };
        let mut validation = Validation::new(header.alg);
        validation.set_audience(&[&self.config.audience]);
        validation.set_required_spec_claims(&["exp", "sub", "aud"]);
        // A token is not valid before its `nbf` (jsonwebtoken leaves that check off by default).
        validation.validate_nbf = true;
        if let Some(issuer) = &self.config.issuer {
            // Required too: jsonwebtoken would let a token without `iss` through.
            validation.set_required_spec_claims(&["exp", "sub", "aud", "iss"]);
            validation.set_issuer(&[issuer]);
        }
        validation.leeway = 30;
        let data = decode::<Claims>(token, &key, &validation).map_err(|err| match err.kind() {
            ErrorKind::ExpiredSignature => ApiError::unauthorized("token_expired", "the token has expired"),
            ErrorKind::ImmatureSignature => {
                ApiError::unauthorized("token_not_yet_valid", "the token is not valid yet (nbf)")
            }
            ErrorKind::InvalidIssuer => {
                ApiError::unauthorized("invalid_issuer", "the token was issued by someone else")
            }
            ErrorKind::InvalidAudience => {
                ApiError::unauthorized("invalid_audience", "the token is not meant for this API")
            }
            ErrorKind::InvalidSignature => {
                ApiError::unauthorized("invalid_signature", "the token signature does not verify")
            }
            ErrorKind::MissingRequiredClaim(claim) => {
                ApiError::unauthorized("invalid_token", format!("the token has no {claim} claim"))
            }
            _ => ApiError::unauthorized("invalid_token", "the token could not be verified"),
        })?;
        let id = UserId::parse(&data.claims.sub)
            .map_err(|_| ApiError::unauthorized("invalid_subject", "the token subject is not a valid user id"))?;
        let app_role = data.claims.app_metadata.as_ref().and_then(|m| m["role"].as_str()).map(str::to_owned);
        Ok(AuthUser { id, email: data.claims.email, metadata: data.claims.user_metadata, app_role })
    }

    /// The key for `kid`. Known keys are used without waiting; keys older than `jwks_max_age` are
    /// refreshed when no fetch is running, and still used if the refresh fails (an outage of the
    /// key set must not lock every user out). An unknown key id fetches the set at most once per
    /// `jwks_min_refresh` (with backoff after failures), one fetch at a time, so forged key ids
    /// cannot stall or flood anything.
    async fn jwks_key(&self, kid: &str, alg: Algorithm) -> Result<DecodingKey, ApiError> {
        if self.config.jwks_url.is_none() {
            return Err(ApiError::unauthorized("unsupported_algorithm", "only HS256 tokens are accepted here"));
        }
        let (known, fresh) = {
            let cache = self.jwks.read().await;
            (cache.key(kid), cache.fetched_at.is_some_and(|t| t.elapsed() < self.config.jwks_max_age))
        };
        match known {
            Some(found) if fresh => checked_alg(found, alg),
            Some(_) => {
                // Refresh if nobody else is; otherwise (or if it fails) the cached key serves. A
                // failed refresh keeps the last good keys, so a key gone now was left out by a key
                // set that answered: it was revoked.
                if let Ok(_guard) = self.refreshing.try_lock() {
                    if self.jwks.read().await.may_fetch(self.config.jwks_min_refresh) {
                        self.refresh().await;
                    }
                }
                match self.jwks.read().await.key(kid) {
                    Some(found) => checked_alg(found, alg),
                    None => Err(ApiError::unauthorized("unknown_key", "the token was signed with an unknown key")),
                }
            }
            None => {
                let _guard = self.refreshing.lock().await;
                // Whoever held the lock before may have fetched the key already.
                let (found, may_fetch, have_keys) = {
                    let cache = self.jwks.read().await;
                    (cache.key(kid), cache.may_fetch(self.config.jwks_min_refresh), cache.fetched_at.is_some())
                };
                if let Some(found) = found {
                    return checked_alg(found, alg);
                }
                let fetched = if may_fetch { Some(self.refresh().await) } else { None };
                match (self.jwks.read().await.key(kid), fetched, have_keys) {
                    (Some(found), _, _) => checked_alg(found, alg),
                    // The key set cannot be read now: the token may be fine, so 503, not 401.
                    (None, Some(false), _) | (None, None, false) => Err(ApiError::Unavailable("token key set")),
                    (None, _, _) => {
                        Err(ApiError::unauthorized("unknown_key", "the token was signed with an unknown key"))
                    }
                }
            }
        }
    }

    /// Fetches the key set and records the attempt; `true` when it succeeded. The cache is
    /// written only after the fetch, so readers never wait for the network.
    async fn refresh(&self) -> bool {
        let fetched = self.fetch_jwks().await;
        let mut cache = self.jwks.write().await;
        cache.attempted_at = Some(Instant::now());
        match fetched {
            Ok(keys) => {
                cache.keys = keys;
                cache.fetched_at = Some(Instant::now());
                cache.failures = 0;
                true
            }
            Err(cause) => {
                cache.failures = cache.failures.saturating_add(1);
                tracing::warn!(%cause, failures = cache.failures, "could not fetch the JWKS; keeping the last good keys");
                false
            }
        }
    }

    async fn fetch_jwks(&self) -> Result<HashMap<String, (Algorithm, DecodingKey)>, String> {
        let url = self.config.jwks_url.as_deref().ok_or("no JWKS URL is configured")?;
        let set: JwkSet = self
            .http
            .get(url)
            .timeout(self.config.jwks_timeout)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| e.without_url().to_string())?
            .json()
            .await
            .map_err(|e| e.without_url().to_string())?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let (Some(kid), Ok(key)) = (jwk.common.key_id.clone(), DecodingKey::from_jwk(jwk)) else {
                continue;
            };
            let alg = match &jwk.algorithm {
                jsonwebtoken::jwk::AlgorithmParameters::EllipticCurve(_) => Algorithm::ES256,
                jsonwebtoken::jwk::AlgorithmParameters::RSA(_) => Algorithm::RS256,
                _ => continue,
            };
            keys.insert(kid, (alg, key));
        }
        Ok(keys)
    }
}

/// A key may only verify tokens of its own algorithm (no RSA key used as an HMAC secret).
fn checked_alg(found: (Algorithm, DecodingKey), alg: Algorithm) -> Result<DecodingKey, ApiError> {
    if found.0 == alg {
        Ok(found.1)
    } else {
        Err(ApiError::unauthorized("unsupported_algorithm", "the token algorithm does not match its key"))
    }
}

/// Signs an HS256 access token the way Supabase does; used by the local dev server and tests.
pub fn sign_hs256_token(secret: &str, audience: &str, user_id: &str, email: Option<&str>, ttl_secs: i64) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = serde_json::json!({
        "sub": user_id,
        "aud": audience,
        "role": "authenticated",
        "email": email,
        "iat": now,
        "exp": now + ttl_secs,
    });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("HS256 signing cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    fn verifier() -> TokenVerifier {
        TokenVerifier::new(
            AuthConfig {
                jwt_secret: Some(Secret::new("secret-one")),
                jwks_url: None,
                audience: "authenticated".into(),
                issuer: None,
                jwks_timeout: Duration::from_secs(1),
                jwks_min_refresh: Duration::from_secs(30),
                jwks_max_age: Duration::from_secs(600),
            },
            reqwest::Client::new(),
        )
    }

    async fn reason(token: &str) -> &'static str {
        verifier().verify(token).await.unwrap_err().code()
    }

    #[tokio::test]
    async fn a_valid_hs256_token_yields_its_subject() {
        let token = sign_hs256_token("secret-one", "authenticated", "user-1", Some("a@b.c"), 60);
        let user = verifier().verify(&token).await.unwrap();
        assert_eq!(user.id.as_str(), "user-1");
        assert_eq!(user.email.as_deref(), Some("a@b.c"));
    }

    #[tokio::test]
    async fn forged_expired_and_foreign_tokens_are_refused_with_a_reason() {
        assert_eq!(reason(&sign_hs256_token("other", "authenticated", "u", None, 60)).await, "invalid_signature");
        assert_eq!(reason(&sign_hs256_token("secret-one", "authenticated", "u", None, -120)).await, "token_expired");
        assert_eq!(reason(&sign_hs256_token("secret-one", "anon", "u", None, 60)).await, "invalid_audience");
        assert_eq!(reason(&sign_hs256_token("secret-one", "authenticated", "a b", None, 60)).await, "invalid_subject");
        assert_eq!(reason("not-a-token").await, "invalid_token");
    }

    fn signed(claims: serde_json::Value) -> String {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(b"secret-one"),
        )
        .unwrap()
    }

    #[test]
    fn failed_fetches_back_off_doubling_up_to_five_minutes() {
        let min = Duration::from_secs(30);
        let mut cache = JwksCache::default();
        assert!(cache.may_fetch(min), "the first fetch");
        cache.attempted_at = Some(Instant::now());
        assert!(!cache.may_fetch(min));
        assert!(cache.may_fetch(Duration::ZERO));
        cache.attempted_at = Some(Instant::now() - Duration::from_secs(45));
        cache.failures = 1;
        assert!(cache.may_fetch(min), "30 s after one failure");
        cache.failures = 2;
        assert!(!cache.may_fetch(min), "60 s after two");
        cache.attempted_at = Some(Instant::now() - Duration::from_secs(299));
        cache.failures = 30;
        assert!(!cache.may_fetch(min), "capped at 300 s, not overflowing");
        cache.attempted_at = Some(Instant::now() - Duration::from_secs(301));
        assert!(cache.may_fetch(min));
        cache.failures = 1;
        cache.attempted_at = Some(Instant::now());
        assert!(!cache.may_fetch(Duration::ZERO), "a failure waits at least a second even with no minimum");
    }

    #[tokio::test]
    async fn a_token_is_refused_before_its_nbf() {
        let now = chrono::Utc::now().timestamp();
        let claims = |nbf: i64| serde_json::json!({"sub": "u", "aud": "authenticated", "exp": now + 600, "nbf": nbf});
        assert_eq!(reason(&signed(claims(now + 300))).await, "token_not_yet_valid");
        assert!(verifier().verify(&signed(claims(now - 5))).await.is_ok());
    }

    #[tokio::test]
    async fn the_issuer_is_checked_when_one_is_configured() {
        let mut tokens = verifier();
        tokens.config.issuer = Some("https://abc.supabase.co/auth/v1".into());
        let now = chrono::Utc::now().timestamp();
        let claims = |iss: &str| serde_json::json!({"sub": "u", "aud": "authenticated", "exp": now + 600, "iss": iss});
        assert!(tokens.verify(&signed(claims("https://abc.supabase.co/auth/v1"))).await.is_ok());
        let wrong = tokens.verify(&signed(claims("https://evil.supabase.co/auth/v1"))).await.unwrap_err();
        assert_eq!(wrong.code(), "invalid_issuer");
        let none = serde_json::json!({"sub": "u", "aud": "authenticated", "exp": now + 600});
        assert_eq!(tokens.verify(&signed(none)).await.unwrap_err().code(), "invalid_token", "iss is required then");
    }

    #[tokio::test]
    async fn a_token_without_a_required_claim_is_refused_naming_it() {
        let exp = chrono::Utc::now().timestamp() + 600;
        let without_aud = verifier().verify(&signed(serde_json::json!({"sub": "u", "exp": exp}))).await;
        let err = without_aud.unwrap_err();
        assert_eq!((err.code(), err.public_message().as_str()), ("invalid_token", "the token has no aud claim"));
        let mut tokens = verifier();
        tokens.config.issuer = Some("https://abc.supabase.co/auth/v1".into());
        let without_iss = signed(serde_json::json!({"sub": "u", "aud": "authenticated", "exp": exp}));
        assert_eq!(tokens.verify(&without_iss).await.unwrap_err().public_message(), "the token has no iss claim");
    }

    #[tokio::test]
    async fn alg_none_is_refused() {
        use base64::Engine;
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let exp = chrono::Utc::now().timestamp() + 60;
        let token = format!(
            "{}.{}.",
            b64(r#"{"alg":"none","typ":"JWT"}"#),
            b64(&format!(r#"{{"sub":"u","aud":"authenticated","exp":{exp}}}"#))
        );
        assert_eq!(reason(&token).await, "invalid_token");
    }

    #[tokio::test]
    async fn asymmetric_tokens_without_a_jwks_url_are_refused() {
        use base64::Engine;
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let token = format!("{}.{}.c2ln", b64(r#"{"alg":"ES256","kid":"k1"}"#), b64(r#"{"sub":"u"}"#));
        assert_eq!(reason(&token).await, "unsupported_algorithm");
    }
}
