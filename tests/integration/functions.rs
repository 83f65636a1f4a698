//! Every `api/` binary booted the way `vercel dev` runs it: `VERCEL_DEV_PORT=<port>`, wait for
//! `Dev server listening`, send a real request.

use crate::helpers::*;
use crate::layout::{bin_name_for, function_for};
use pusher_chat::routes::ROUTES;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

async fn boot(bin: &str, env: &std::collections::HashMap<String, String>) -> (Child, u16) {
    let port = closed_port();
    let mut child = Command::new(bin_path(bin))
        .env_clear()
        .envs(env)
        .env("VERCEL_DEV_PORT", port.to_string())
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("start {bin}: {e}"));
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains("Dev server listening") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(ready, Ok(true), "{bin} did not print 'Dev server listening'");
    (child, port)
}

#[tokio::test]
async fn every_api_binary_serves_its_route_under_the_vercel_runtime() {
    let database_url = migrated_database().await;
    let env = test_env(&database_url);
    let http = reqwest::Client::new();
    let token = pusher_chat::auth::sign_hs256_token(JWT_SECRET, "authenticated", alice().id, None, 600);
    for (path, _) in ROUTES {
        // Its own file's binary, or the one of the resource a vercel.json rewrite sends it to.
        let bin = bin_name_for(&function_for(path).unwrap_or_else(|| panic!("no function reaches {path}")));
        let (_child, port) = boot(&bin, &env).await;
        let base = format!("http://127.0.0.1:{port}");
        let ping = http.get(format!("{base}/_vercel/ping")).send().await.unwrap();
        assert_eq!(ping.status(), 200, "{bin} answers the runtime's ping");
        // The runtime hands every path to the function; Vercel's router decides which one runs.
        let response = http.get(format!("{base}{path}")).bearer_auth(&token).send().await.unwrap();
        let status = response.status().as_u16();
        let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
        let body = response.text().await.unwrap();
        assert!(content_type.starts_with("application/json"), "{bin}: {content_type}");
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert!(status < 500, "{bin} answered {status}: {body}");
    }
}

#[tokio::test]
async fn a_function_of_a_family_serves_its_routes_and_no_other() {
    let env = test_env(&migrated_database().await);
    let (_admin, port) = boot("api-admin", &env).await;
    let base = format!("http://127.0.0.1:{port}");
    let token = pusher_chat::auth::sign_hs256_token(JWT_SECRET, "authenticated", alice().id, None, 600);
    let http = reqwest::Client::new();
    for path in ["/api/admin/reports", "/api/admin/bans", "/api/admin/audit"] {
        let (status, body) = read(http.get(format!("{base}{path}")).bearer_auth(&token).send().await.unwrap()).await;
        assert_eq!((status, body["error"]["code"].as_str()), (403, Some("not_an_admin")), "{path}: {body}");
    }
    // A route of another function, or a path of the family that names no route: the JSON 404.
    for path in ["/api/health", "/api/admin", "/api/admin/other"] {
        let (status, body) = read(http.get(format!("{base}{path}")).bearer_auth(&token).send().await.unwrap()).await;
        assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")), "{path}: {body}");
    }
}

#[tokio::test]
async fn health_and_an_authenticated_route_work_as_functions() {
    let env = test_env(&migrated_database().await);
    let (_health, port) = boot("api-health", &env).await;
    let (status, body) = read(reqwest::get(format!("http://127.0.0.1:{port}/api/health")).await.unwrap()).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")), "{body}");

    let (_me, port) = boot("api-me", &env).await;
    let token = pusher_chat::auth::sign_hs256_token(JWT_SECRET, "authenticated", bob().id, None, 600);
    let response = reqwest::Client::new().get(format!("http://127.0.0.1:{port}/api/me")).bearer_auth(token).send();
    let (status, body) = read(response.await.unwrap()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["profile"]["firstName"], "Bob");
}

#[tokio::test]
async fn a_function_without_its_settings_stops_at_start_naming_the_variable() {
    let mut env = test_env("postgres://unused@127.0.0.1:1/x");
    env.remove("PUSHER_SECRET");
    let output = Command::new(bin_path("api-health"))
        .env_clear()
        .envs(&env)
        .env("VERCEL_DEV_PORT", closed_port().to_string())
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("PUSHER_SECRET"), "{stderr}");
}
