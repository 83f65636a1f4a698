//! Test harness: a fresh database per test (random name) on the real PostgreSQL server, the real
//! sockudo started by `scripts/test`, and the dev server in-process on a free port.

use pusher_chat::auth::sign_hs256_token;
use pusher_chat::config::Config;
use pusher_chat::context::AppContext;
use pusher_chat::demo::DemoUser;
use pusher_chat::domain::{ChannelName, ConversationKey, RoomId, UserId};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

fn user_id(id: &str) -> UserId {
    UserId::parse(id).expect("a valid user id")
}

/// Channel names and conversation keys as the product builds them (from the domain types).
pub fn private_chat_channel(a: &str, b: &str) -> String {
    ConversationKey::private(&user_id(a), &user_id(b)).unwrap().channel().to_string()
}
pub fn private_chat_id(a: &str, b: &str) -> String {
    ConversationKey::private(&user_id(a), &user_id(b)).unwrap().to_string()
}
pub fn notifications_channel(user: &str) -> String {
    ChannelName::notifications(&user_id(user)).to_string()
}
pub fn presence_user_channel(user: &str) -> String {
    ChannelName::presence_user(&user_id(user)).to_string()
}
pub fn room_channel(room: &str) -> String {
    ChannelName::room(&RoomId::parse(room).unwrap()).to_string()
}

pub const JWT_SECRET: &str = "integration-tests-jwt-secret-0123456789abcdef";

pub fn alice() -> &'static DemoUser {
    DemoUser::find("alice").unwrap()
}
pub fn bob() -> &'static DemoUser {
    DemoUser::find("bob").unwrap()
}
pub fn carol() -> &'static DemoUser {
    DemoUser::find("carol").unwrap()
}

fn required_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the integration tests through scripts/test, which starts PostgreSQL and sockudo")
    })
}

/// A binary of this package: integration tests live in target/<profile>/deps, and Cargo builds
/// the binaries next to that folder.
pub fn bin_path(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().join(name)
}

/// A loopback port nothing listens on (bound, read, released).
pub fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The settings a test app runs with; tests may change entries before spawning.
pub fn test_env(database_url: &str) -> HashMap<String, String> {
    let mut env = HashMap::new();
    env.insert("DATABASE_URL".into(), database_url.to_owned());
    for name in ["PUSHER_APP_ID", "PUSHER_KEY", "PUSHER_SECRET", "PUSHER_HOST", "PUSHER_PORT"] {
        env.insert(name.into(), required_env(name));
    }
    env.insert("SUPABASE_JWT_SECRET".into(), JWT_SECRET.into());
    env.insert("CORS_ALLOWED_ORIGINS".into(), "https://app.example".into());
    env.insert("DB_POOL_SIZE".into(), "4".into());
    // /api/cron answers (401 without it) instead of saying it is off (503).
    env.insert("CRON_SECRET".into(), "cron-secret-0123456789".into());
    env
}

/// `scripts/test`'s run id (start time and pid), which its clean-up matches on; a run without
/// it (plain `cargo test`) uses its own start time, so a day later the next run drops them.
fn run_id() -> String {
    std::env::var("TEST_RUN_ID").unwrap_or_else(|_| {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        format!("{now}_{}", std::process::id())
    })
}

/// Creates an empty database with a random name and returns its URL.
pub async fn fresh_database() -> (String, String) {
    let base = required_env("TEST_PG_URL_BASE");
    let name = format!("pct_{}_{}", run_id(), uuid::Uuid::new_v4().simple());
    let admin = pusher_chat::db::connect(&format!("{base}/postgres")).await.expect("connect to PostgreSQL");
    admin.batch_execute(&format!("CREATE DATABASE \"{name}\"")).await.expect("create test database");
    (format!("{base}/{name}"), name)
}

/// A fresh, migrated database with the demo users.
pub async fn migrated_database() -> String {
    let (url, _) = fresh_database().await;
    let mut client = pusher_chat::db::connect(&url).await.unwrap();
    pusher_chat::db::migrate(&mut client).await.expect("migrations apply");
    pusher_chat::demo::seed_demo_users(&client, None).await.unwrap();
    url
}

pub struct TestApp {
    /// Users only this test knows: tests run in parallel against one sockudo, so fixed ids
    /// would put every test's events on the same channels.
    pub alice: &'static DemoUser,
    pub bob: &'static DemoUser,
    pub carol: &'static DemoUser,
    pub ctx: Arc<AppContext>,
    pub base_url: String,
    pub database_url: String,
    pub http: reqwest::Client,
}

impl TestApp {
    pub async fn spawn() -> Self {
        let database_url = migrated_database().await;
        Self::spawn_with(test_env(&database_url)).await
    }

    pub async fn spawn_with(env: HashMap<String, String>) -> Self {
        Self::spawn_on(env, 0).await
    }

    /// On a given port: sockudo's webhooks go to a fixed one (`TEST_WEBHOOK_PORT`).
    pub async fn spawn_on(env: HashMap<String, String>, port: u16) -> Self {
        let database_url = env["DATABASE_URL"].clone();
        let config = Config::from_lookup(|k| env.get(k).cloned()).expect("test configuration");
        let ctx = AppContext::new(config).expect("context");
        // A fixed port may still be held for a moment by the test that used it before (its
        // runtime closes the listener as it shuts down).
        let mut listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await;
        for _ in 0..50 {
            if listener.is_ok() || port == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await;
        }
        let listener = listener.expect("bind the test server port");
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let public_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("public");
        tokio::spawn(pusher_chat::devserver::serve(ctx.clone(), listener, public_dir));
        let http = reqwest::Client::builder().timeout(std::time::Duration::from_secs(15)).build().unwrap();
        let (alice, bob, carol) = (alice(), bob(), carol());
        let mut app = Self { alice, bob, carol, ctx, base_url, database_url, http };
        // Apps on a database without the schema (health tests) keep the demo users.
        if let (Ok(a), Ok(b), Ok(c)) =
            (app.unique_user(alice).await, app.unique_user(bob).await, app.unique_user(carol).await)
        {
            (app.alice, app.bob, app.carol) = (a, b, c);
        }
        app
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    pub fn token_for(&self, user: &DemoUser) -> String {
        sign_hs256_token(JWT_SECRET, "authenticated", user.id, Some(&user.email()), 600)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, serde_json::Value) {
        let mut request = self.http.get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        read(request.send().await.expect("request")).await
    }

    pub async fn post_json(
        &self,
        path: &str,
        token: Option<&str>,
        body: &serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let mut request = self.http.post(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        read(request.send().await.expect("request")).await
    }
}

pub async fn read(response: reqwest::Response) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    (status, body)
}

/// The `error.code` of an error body.
pub fn error_code(body: &serde_json::Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_else(|| panic!("not an error body: {body}"))
}

impl TestApp {
    /// A copy of a demo user (same names) under a fresh id, stored in this test's database.
    pub async fn unique_user(&self, like: &DemoUser) -> Result<&'static DemoUser, tokio_postgres::Error> {
        let id: &'static str = Box::leak(format!("{}-{}", like.handle, uuid::Uuid::new_v4().simple()).into_boxed_str());
        let user: &'static DemoUser = Box::leak(Box::new(DemoUser { id, ..*like }));
        let db = pusher_chat::db::connect(&self.database_url).await?;
        pusher_chat::db::users::upsert_user(&db, &user.user(None), None).await?;
        Ok(user)
    }

    /// What pusher-js sends to the auth endpoint: a form with socket_id and channel_name.
    pub async fn channel_auth(&self, token: Option<&str>, socket_id: &str, channel: &str) -> (u16, serde_json::Value) {
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("socket_id", socket_id)
            .append_pair("channel_name", channel)
            .finish();
        let mut request = self
            .http
            .post(self.url("/api/pusher/auth"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        read(request.send().await.expect("request")).await
    }

    /// `user` accepts their invitation to a room (members other than the creator are invited).
    pub async fn accept_room(&self, user: &DemoUser, room_id: &str) {
        let request =
            self.http.put(self.url(&format!("/api/rooms?roomId={room_id}"))).bearer_auth(self.token_for(user));
        let (status, body) = read(request.send().await.expect("request")).await;
        assert_eq!(status, 200, "{} accepting {room_id}: {body}", user.id);
    }

    /// `user` leaves a room.
    pub async fn leave_room(&self, user: &DemoUser, room_id: &str) {
        let request =
            self.http.delete(self.url(&format!("/api/rooms?roomId={room_id}"))).bearer_auth(self.token_for(user));
        let (status, body) = read(request.send().await.expect("request")).await;
        assert_eq!(status, 200, "{} leaving {room_id}: {body}", user.id);
    }

    /// A plain message `from` sends to a room they are a member of; the stored message.
    pub async fn send_to_room(&self, from: &DemoUser, room_id: &str, content: &str) -> serde_json::Value {
        let body = serde_json::json!({"roomId": room_id, "content": content});
        let (status, answer) = self.post_json("/api/messages/room", Some(&self.token_for(from)), &body).await;
        assert_eq!(status, 201, "{} sending to {room_id}: {answer}", from.id);
        answer["message"].clone()
    }

    /// A room `creator` made with `members` invited, which each of them has joined; its id.
    pub async fn joined_room(&self, creator: &DemoUser, name: &str, members: &[&DemoUser]) -> String {
        let ids: Vec<&str> = members.iter().map(|m| m.id).collect();
        let body = serde_json::json!({"name": name, "memberIds": ids});
        let (status, created) = self.post_json("/api/rooms", Some(&self.token_for(creator)), &body).await;
        assert_eq!(status, 201, "{created}");
        let room_id = created["room"]["id"].as_str().unwrap().to_owned();
        for member in members {
            self.accept_room(member, &room_id).await;
        }
        room_id
    }

    pub async fn db(&self) -> tokio_postgres::Client {
        pusher_chat::db::connect(&self.database_url).await.unwrap()
    }

    /// A message row written directly, for tests that need two users to share a conversation.
    pub async fn insert_message(&self, sender: &DemoUser, receiver: &DemoUser) {
        self.db()
            .await
            .execute(
                r#"INSERT INTO "Message" ("id", "senderId", "receiverId", "content", "updatedAt")
                   VALUES ($1, $2, $3, 'hello', now())"#,
                &[&uuid::Uuid::new_v4().to_string(), &sender.id, &receiver.id],
            )
            .await
            .unwrap();
    }
}

/// A websocket of `user`'s, subscribed (authorized through the API) to each of `channels`.
pub async fn subscribed(app: &TestApp, user: &DemoUser, channels: &[String]) -> crate::ws::PusherSocket {
    let mut socket = crate::ws::PusherSocket::connect().await;
    let token = app.token_for(user);
    for channel in channels {
        let (status, body) = app.channel_auth(Some(&token), &socket.socket_id, channel).await;
        assert_eq!(status, 200, "{channel}: {body}");
        socket.subscribe(channel, body["auth"].as_str(), body["channel_data"].as_str()).await.unwrap();
    }
    socket
}

/// One HTTP/1.1 request read from `stream` by a stand-in server: its head (lowercased) and its
/// body (as long as its Content-Length says); None if the peer closes first.
pub async fn read_http_request(stream: &mut tokio::net::TcpStream) -> Option<(String, String)> {
    use tokio::io::AsyncReadExt;
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
        let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") else { continue };
        let head = String::from_utf8_lossy(&data[..end]).to_lowercase();
        let length = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        if data.len() >= end + 4 + length {
            return Some((head, String::from_utf8_lossy(&data[end + 4..end + 4 + length]).into_owned()));
        }
    }
}
