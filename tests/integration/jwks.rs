//! Asymmetric Supabase tokens: ES256 and RS256 keys served from a local JWKS endpoint.

use bytes::Bytes;
use http_body_util::Full;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use pusher_chat::auth::TokenVerifier;
use pusher_chat::config::AuthConfig;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const ES256_KEY: &[u8] = include_bytes!("../fixtures/es256-private.pem");
const RS256_KEY: &[u8] = include_bytes!("../fixtures/rs256-private.pem");
const JWKS: &str = include_str!("../fixtures/jwks.json");

struct JwksServer {
    url: String,
    body: Arc<Mutex<String>>,
    fetches: Arc<AtomicUsize>,
    /// Answer 500 (an outage of the key set).
    failing: Arc<AtomicBool>,
    /// Milliseconds to wait before answering (a slow key set).
    delay_ms: Arc<AtomicU64>,
}

/// A real HTTP server that serves whatever key set the test puts in `body`.
async fn jwks_server(initial: String) -> JwksServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/auth/v1/.well-known/jwks.json", listener.local_addr().unwrap());
    let body = Arc::new(Mutex::new(initial));
    let fetches = Arc::new(AtomicUsize::new(0));
    let (failing, delay_ms) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicU64::new(0)));
    let (served, counted, fail, delay) = (body.clone(), fetches.clone(), failing.clone(), delay_ms.clone());
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let (served, counted, fail, delay) = (served.clone(), counted.clone(), fail.clone(), delay.clone());
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |_req| {
                    counted.fetch_add(1, Ordering::SeqCst);
                    let body = served.lock().unwrap().clone();
                    let (fail, wait) = (fail.load(Ordering::SeqCst), delay.load(Ordering::SeqCst));
                    async move {
                        tokio::time::sleep(Duration::from_millis(wait)).await;
                        let mut response = hyper::Response::new(Full::new(Bytes::from(body)));
                        if fail {
                            *response.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
                        }
                        Ok::<_, std::convert::Infallible>(response)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    JwksServer { url, body, fetches, failing, delay_ms }
}

fn verifier(url: &str, min_refresh: Duration) -> TokenVerifier {
    verifier_with_max_age(url, min_refresh, Duration::from_secs(600))
}

fn verifier_with_max_age(url: &str, min_refresh: Duration, max_age: Duration) -> TokenVerifier {
    TokenVerifier::new(
        AuthConfig {
            jwt_secret: None,
            jwks_url: Some(url.to_owned()),
            audience: "authenticated".into(),
            issuer: None,
            jwks_timeout: Duration::from_secs(2),
            jwks_min_refresh: min_refresh,
            jwks_max_age: max_age,
        },
        reqwest::Client::new(),
    )
}

fn sign(alg: Algorithm, kid: &str, sub: &str, aud: &str, ttl: i64) -> String {
    let key = match alg {
        Algorithm::ES256 => EncodingKey::from_ec_pem(ES256_KEY).unwrap(),
        _ => EncodingKey::from_rsa_pem(RS256_KEY).unwrap(),
    };
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_owned());
    let exp = chrono::Utc::now().timestamp() + ttl;
    jsonwebtoken::encode(&header, &serde_json::json!({"sub": sub, "aud": aud, "exp": exp}), &key).unwrap()
}

fn keys_with(kids: &[&str]) -> String {
    let mut set: serde_json::Value = serde_json::from_str(JWKS).unwrap();
    set["keys"].as_array_mut().unwrap().retain(|k| kids.contains(&k["kid"].as_str().unwrap()));
    set.to_string()
}

#[tokio::test]
async fn es256_and_rs256_tokens_verify_against_the_jwks() {
    let server = jwks_server(JWKS.to_owned()).await;
    let tokens = verifier(&server.url, Duration::from_secs(30));
    let user = tokens.verify(&sign(Algorithm::ES256, "test-es256", "user-es", "authenticated", 60)).await.unwrap();
    assert_eq!(user.id, "user-es");
    let user = tokens.verify(&sign(Algorithm::RS256, "test-rs256", "user-rs", "authenticated", 60)).await.unwrap();
    assert_eq!(user.id, "user-rs");
    assert_eq!(server.fetches.load(Ordering::SeqCst), 1, "the key set is cached");
}

#[tokio::test]
async fn asymmetric_tokens_with_bad_claims_or_keys_are_refused() {
    let server = jwks_server(JWKS.to_owned()).await;
    let tokens = verifier(&server.url, Duration::from_secs(30));
    let reason = |token: String| {
        let tokens = tokens.clone();
        async move { tokens.verify(&token).await.unwrap_err().code() }
    };
    assert_eq!(reason(sign(Algorithm::ES256, "test-es256", "u", "authenticated", -600)).await, "token_expired");
    assert_eq!(reason(sign(Algorithm::ES256, "test-es256", "u", "anon", 60)).await, "invalid_audience");
    assert_eq!(reason(sign(Algorithm::ES256, "nobody", "u", "authenticated", 60)).await, "unknown_key");
    // An RS256 token that claims the EC key's id must not verify.
    assert_ne!(
        tokens
            .verify(&sign(Algorithm::RS256, "test-es256", "u", "authenticated", 60))
            .await
            .ok()
            .map(|u| u.id.to_string()),
        Some("u".into())
    );
}

#[tokio::test]
async fn a_rotated_key_is_picked_up_on_an_unknown_key_id() {
    let server = jwks_server(keys_with(&["test-es256"])).await;
    let tokens = verifier(&server.url, Duration::ZERO);
    tokens.verify(&sign(Algorithm::ES256, "test-es256", "u", "authenticated", 60)).await.unwrap();
    *server.body.lock().unwrap() = keys_with(&["test-es256", "test-rs256"]);
    let user = tokens.verify(&sign(Algorithm::RS256, "test-rs256", "rotated", "authenticated", 60)).await.unwrap();
    assert_eq!(user.id, "rotated");
    assert_eq!(server.fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn unknown_key_ids_do_not_refetch_within_the_refresh_interval() {
    let server = jwks_server(keys_with(&["test-es256"])).await;
    let tokens = verifier(&server.url, Duration::from_secs(30));
    tokens.verify(&sign(Algorithm::ES256, "test-es256", "u", "authenticated", 60)).await.unwrap();
    for i in 0..5 {
        let err =
            tokens.verify(&sign(Algorithm::ES256, &format!("random-{i}"), "u", "authenticated", 60)).await.unwrap_err();
        assert_eq!(err.code(), "unknown_key");
    }
    assert_eq!(server.fetches.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn forged_key_ids_cause_one_fetch_at_a_time_and_never_stall_known_keys() {
    let server = jwks_server(keys_with(&["test-es256"])).await;
    let tokens = verifier(&server.url, Duration::from_secs(1));
    tokens.verify(&sign(Algorithm::ES256, "test-es256", "u", "authenticated", 60)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    server.delay_ms.store(1500, Ordering::SeqCst);
    let forged: Vec<_> = (0..20)
        .map(|i| {
            let (tokens, token) =
                (tokens.clone(), sign(Algorithm::ES256, &format!("forged-{i}"), "u", "authenticated", 60));
            tokio::spawn(async move { tokens.verify(&token).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = std::time::Instant::now();
    tokens.verify(&sign(Algorithm::ES256, "test-es256", "valid", "authenticated", 60)).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "a known key waited {:?} behind a fetch",
        started.elapsed()
    );
    for attempt in forged {
        assert_eq!(attempt.await.unwrap().unwrap_err().code(), "unknown_key");
    }
    assert_eq!(server.fetches.load(Ordering::SeqCst), 2, "20 forged key ids, one fetch");
}

#[tokio::test]
async fn a_failing_key_set_is_not_fetched_again_and_again() {
    let server = jwks_server(JWKS.to_owned()).await;
    server.failing.store(true, Ordering::SeqCst);
    let tokens = verifier(&server.url, Duration::from_secs(30));
    for _ in 0..5 {
        let err = tokens.verify(&sign(Algorithm::ES256, "test-es256", "u", "authenticated", 60)).await.unwrap_err();
        assert_eq!(err.code(), "unavailable", "no keys at all: 503, not 401");
    }
    assert_eq!(server.fetches.load(Ordering::SeqCst), 1, "the failure is remembered (backoff)");
}

#[tokio::test]
async fn the_last_good_keys_keep_working_while_the_key_set_is_down() {
    let server = jwks_server(JWKS.to_owned()).await;
    let tokens = verifier_with_max_age(&server.url, Duration::ZERO, Duration::from_millis(200));
    tokens.verify(&sign(Algorithm::ES256, "test-es256", "u", "authenticated", 60)).await.unwrap();
    server.failing.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..3 {
        let user = tokens.verify(&sign(Algorithm::RS256, "test-rs256", "still-in", "authenticated", 60)).await;
        assert_eq!(user.expect("stale keys serve during an outage").id, "still-in");
    }
    assert_eq!(server.fetches.load(Ordering::SeqCst), 2, "one refresh was tried, then backoff");
    // Once the key set answers again (after the backoff), keys are refreshed.
    server.failing.store(false, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    tokens.verify(&sign(Algorithm::ES256, "test-es256", "u", "authenticated", 60)).await.unwrap();
    assert_eq!(server.fetches.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn known_keys_are_read_again_after_their_max_age_and_a_revoked_key_then_stops_working() {
    let server = jwks_server(JWKS.to_owned()).await;
    let tokens = verifier_with_max_age(&server.url, Duration::ZERO, Duration::from_millis(300));
    let rs256 = || sign(Algorithm::RS256, "test-rs256", "u", "authenticated", 60);
    for _ in 0..3 {
        tokens.verify(&sign(Algorithm::ES256, "test-es256", "u", "authenticated", 60)).await.unwrap();
    }
    assert_eq!(server.fetches.load(Ordering::SeqCst), 1, "fresh keys are used without asking again");
    *server.body.lock().unwrap() = keys_with(&["test-es256"]);
    tokens.verify(&rs256()).await.expect("a revoked key works until the keys are read again");
    assert_eq!(server.fetches.load(Ordering::SeqCst), 1);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(tokens.verify(&rs256()).await.unwrap_err().code(), "unknown_key", "revoked once re-read");
    assert_eq!(server.fetches.load(Ordering::SeqCst), 2);
    tokens.verify(&sign(Algorithm::ES256, "test-es256", "u", "authenticated", 60)).await.unwrap();
    assert_eq!(server.fetches.load(Ordering::SeqCst), 2, "and the new set is fresh again");
}
