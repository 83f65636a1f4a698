//! Asymmetric Supabase tokens: ES256 and RS256 keys served from a local JWKS endpoint.

use bytes::Bytes;
use http_body_util::Full;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use pusher_chat::auth::TokenVerifier;
use pusher_chat::config::AuthConfig;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const ES256_KEY: &[u8] = include_bytes!("../fixtures/es256-private.pem");
const RS256_KEY: &[u8] = include_bytes!("../fixtures/rs256-private.pem");
const JWKS: &str = include_str!("../fixtures/jwks.json");

struct JwksServer {
    url: String,
    body: Arc<Mutex<String>>,
    fetches: Arc<AtomicUsize>,
}

/// A real HTTP server that serves whatever key set the test puts in `body`.
async fn jwks_server(initial: String) -> JwksServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/auth/v1/.well-known/jwks.json", listener.local_addr().unwrap());
    let body = Arc::new(Mutex::new(initial));
    let fetches = Arc::new(AtomicUsize::new(0));
    let (served, counted) = (body.clone(), fetches.clone());
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let (served, counted) = (served.clone(), counted.clone());
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |_req| {
                    counted.fetch_add(1, Ordering::SeqCst);
                    let body = served.lock().unwrap().clone();
                    async move { Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(Bytes::from(body)))) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    JwksServer { url, body, fetches }
}

fn verifier(url: &str, min_refresh: Duration) -> TokenVerifier {
    TokenVerifier::new(
        AuthConfig {
            jwt_secret: None,
            jwks_url: Some(url.to_owned()),
            audience: "authenticated".into(),
            issuer: None,
            jwks_timeout: Duration::from_secs(2),
            jwks_min_refresh: min_refresh,
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
