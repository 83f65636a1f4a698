//! Scale-out on real engines: two sockudo nodes serving one app through Redis (sockudo's Redis
//! adapter, cache and webhook queue), and several API processes on one database.
//! `scripts/test` starts nodes A and B (`TEST_CLUSTER_A_PORT`, `TEST_CLUSTER_B_PORT`, webhooks to
//! `TEST_CLUSTER_WEBHOOK_PORT`) from `TEST_SOCKUDO_CLUSTER_TEMPLATE`; a test that kills a node
//! starts a pair of its own from the same template, under a Redis prefix of its own.

use crate::helpers::*;
use crate::ws::PusherSocket;
use pusher_chat::demo::DemoUser;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};

const PRIVATE: &str = "/api/messages/private";
const WAIT: Duration = Duration::from_secs(5);

fn env_port(name: &str) -> u16 {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is not set: run the cluster tests through scripts/test"))
        .parse()
        .unwrap()
}

fn node_a() -> u16 {
    env_port("TEST_CLUSTER_A_PORT")
}

fn node_b() -> u16 {
    env_port("TEST_CLUSTER_B_PORT")
}

/// Test settings with the API publishing through the sockudo node (or balancer) on `port`.
fn publishing_to(database_url: &str, port: u16) -> HashMap<String, String> {
    let mut env = test_env(database_url);
    env.insert("PUSHER_PORT".into(), port.to_string());
    env
}

/// Authorizes `channel` for `user` through `app` and subscribes `socket` to it.
async fn join(app: &TestApp, user: &DemoUser, socket: &mut PusherSocket, channel: &str) {
    let (status, body) = app.channel_auth(Some(&app.token_for(user)), &socket.socket_id, channel).await;
    assert_eq!(status, 200, "{channel}: {body}");
    socket.subscribe(channel, body["auth"].as_str(), body["channel_data"].as_str()).await.unwrap();
}

async fn connected(app: &TestApp, user: &DemoUser, port: u16, channel: &str) -> PusherSocket {
    let mut socket = PusherSocket::connect_to(port).await;
    join(app, user, &mut socket, channel).await;
    socket
}

async fn send(app: &TestApp, from: &DemoUser, to: &DemoUser, content: &str) -> Value {
    let (status, body) =
        app.post_json(PRIVATE, Some(&app.token_for(from)), &json!({"receiverId": to.id, "content": content})).await;
    assert_eq!(status, 201, "{body}");
    body["message"].clone()
}

/// The `seq` of every `new-message` the socket receives within `wait` (it stops at the first quiet
/// `wait`, or when the connection closes).
async fn received_seqs(socket: &mut PusherSocket, wait: Duration) -> Vec<i64> {
    let mut seqs = Vec::new();
    while let Some(event) = socket.next_event(wait).await {
        if event.event == "new-message" {
            seqs.push(event.data["seq"].as_i64().unwrap());
        }
    }
    seqs
}

/// Exactly `count` new-message seqs, failing after `WAIT` without one.
async fn next_seqs(socket: &mut PusherSocket, count: usize) -> Vec<i64> {
    let mut seqs = Vec::new();
    while seqs.len() < count {
        let event = socket.next_event(WAIT).await.unwrap_or_else(|| panic!("only {seqs:?} of {count} arrived"));
        if event.event == "new-message" {
            seqs.push(event.data["seq"].as_i64().unwrap());
        }
    }
    seqs
}

/// The highest `seq` up to which a client has every message (live events can arrive out of
/// order: each publish is its own call).
fn contiguous(have: &[i64]) -> i64 {
    let mut sorted = have.to_vec();
    sorted.sort();
    sorted.iter().zip(1..).take_while(|(seq, n)| **seq == *n).count() as i64
}

/// Each message exactly once: no live event came twice, and together they are 1..=n.
fn assert_exactly_once(live: &[i64], synced: &[i64], n: i64) {
    let mut sorted = live.to_vec();
    sorted.sort();
    let before = sorted.len();
    sorted.dedup();
    assert_eq!(sorted.len(), before, "an event was delivered twice: {live:?}");
    sorted.extend(synced);
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, (1..=n).collect::<Vec<_>>(), "live {live:?}, synced {synced:?}");
}

/// Nothing lost when a node dies: together they are 1..=n. A publish whose answer died with the
/// node is retried through the survivor, so an event may come twice; clients keep one per `seq`.
fn assert_none_lost(live: &[i64], synced: &[i64], n: i64) {
    let mut view: Vec<i64> = live.iter().chain(synced).copied().collect();
    view.sort();
    view.dedup();
    assert_eq!(view, (1..=n).collect::<Vec<_>>(), "live {live:?}, synced {synced:?}");
}

/// Live new-message seqs until every one of `wanted` has come (failing after `WAIT` without one).
async fn live_until(socket: &mut PusherSocket, wanted: std::ops::RangeInclusive<i64>) -> Vec<i64> {
    let mut live = Vec::new();
    while !wanted.clone().all(|seq| live.contains(&seq)) {
        live.extend(next_seqs(socket, 1).await);
    }
    live
}

/// What a client does after a reconnect: everything after the last `seq` it has, from the API.
async fn sync_after(app: &TestApp, user: &DemoUser, other: &DemoUser, after: i64) -> Vec<i64> {
    let path = format!("{PRIVATE}?chatId={}&after={after}", other.id);
    let (status, body) = app.get(&path, Some(&app.token_for(user))).await;
    assert_eq!((status, body["hasMore"].as_bool()), (200, Some(false)), "{body}");
    body["messages"].as_array().unwrap().iter().map(|m| m["seq"].as_i64().unwrap()).collect()
}

/// The next report of this type from the pusher-js client, skipping others.
async fn next_report(lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>, wanted: &str) -> Value {
    loop {
        let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("pusher-js reported no {wanted}"))
            .unwrap()
            .expect("pusher-js client exited");
        let report: Value = serde_json::from_str(&line).unwrap();
        if report["type"] == wanted {
            return report;
        }
    }
}

#[tokio::test]
async fn events_published_through_one_node_reach_clients_on_the_other() {
    let database_url = migrated_database().await;
    let app_a = TestApp::spawn_with(publishing_to(&database_url, node_a())).await;
    let app_b = TestApp::spawn_with(publishing_to(&database_url, node_b())).await;
    let (alice, bob) = (app_a.alice, app_a.bob);
    let chat = private_chat_channel(alice.id, bob.id);

    // The official pusher-js on node B, authorized by the API; the message goes out through node A.
    let mut client = Command::new("node")
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/node/pusher-js-client.js"))
        .env("PUSHER_KEY", std::env::var("PUSHER_KEY").unwrap())
        .env("WS_HOST", std::env::var("PUSHER_HOST").unwrap())
        .env("WS_PORT", node_b().to_string())
        .env("API_BASE", &app_b.base_url)
        .env("TOKEN", app_b.token_for(bob))
        .env("CHANNELS", &chat)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs");
    let mut lines = BufReader::new(client.stdout.take().unwrap()).lines();
    assert_eq!(next_report(&mut lines, "subscribed").await["channel"], chat.as_str());
    let sent = send(&app_a, alice, bob, "from node A to node B").await;
    let event = next_report(&mut lines, "event").await;
    assert_eq!((&event["event"], &event["channel"]), (&json!("new-message"), &json!(chat)));
    assert_eq!(event["data"]["content"], "from node A to node B");
    assert_eq!(event["data"]["id"], sent["id"]);

    // And the other way: a raw socket on node A hears what node B's REST API published.
    let mut alice_on_a = connected(&app_a, alice, node_a(), &chat).await;
    let sent = send(&app_b, bob, alice, "from node B to node A").await;
    let event = alice_on_a.next_event(WAIT).await.expect("new-message on node A");
    assert_eq!((event.event.as_str(), &event.data["id"]), ("new-message", &sent["id"]));
}

#[tokio::test]
async fn presence_members_and_channel_reads_agree_on_both_nodes() {
    let database_url = migrated_database().await;
    let app_a = TestApp::spawn_with(publishing_to(&database_url, node_a())).await;
    let app_b = TestApp::spawn_with(publishing_to(&database_url, node_b())).await;
    let (alice, bob) = (app_a.alice, app_a.bob);
    // Bob has written to alice, so she may watch his presence.
    app_a.insert_message(bob, alice).await;
    let presence = presence_user_channel(bob.id);
    let chat = private_chat_channel(alice.id, bob.id);

    let mut bob_on_a = connected(&app_a, bob, node_a(), &presence).await;
    join(&app_a, bob, &mut bob_on_a, &chat).await;
    // Alice on node B: her subscription's member list already has bob, who is on node A.
    let mut alice_on_b = PusherSocket::connect_to(node_b()).await;
    let (status, auth) = app_b.channel_auth(Some(&app_b.token_for(alice)), &alice_on_b.socket_id, &presence).await;
    assert_eq!(status, 200, "{auth}");
    let subscribe = json!({"channel": presence, "auth": auth["auth"], "channel_data": auth["channel_data"]});
    alice_on_b.send("pusher:subscribe", subscribe).await;
    let succeeded = loop {
        let received = alice_on_b.next_within(WAIT).await.expect("subscription_succeeded");
        if received.event == "pusher_internal:subscription_succeeded" {
            break received;
        }
    };
    let mut ids: Vec<String> = serde_json::from_value(succeeded.data["presence"]["ids"].clone()).unwrap();
    ids.sort();
    let mut both = vec![alice.id.to_owned(), bob.id.to_owned()];
    both.sort();
    assert_eq!(ids, both, "members from both nodes: {}", succeeded.data);
    let joined = loop {
        let received = bob_on_a.next_within(WAIT).await.expect("member_added on node A");
        if received.event == "pusher_internal:member_added" {
            break received;
        }
    };
    assert_eq!(joined.data["user_id"], alice.id);
    join(&app_b, alice, &mut alice_on_b, &chat).await;

    // Each node's REST API answers for the whole cluster.
    for app in [&app_a, &app_b] {
        let mut users = app.ctx.pusher.presence_users(&presence).await.unwrap();
        users.sort();
        assert_eq!(users, both);
        let info = app.ctx.pusher.channel(&presence, Some("user_count")).await.unwrap();
        assert_eq!((&info["occupied"], &info["user_count"]), (&json!(true), &json!(2)), "{info}");
        let info = app.ctx.pusher.channel(&chat, Some("subscription_count")).await.unwrap();
        assert_eq!(info["subscription_count"], 2, "{info}");
        let listed = app.ctx.pusher.channels(Some(&presence)).await.unwrap();
        assert!(listed["channels"].get(&presence).is_some(), "{listed}");
    }

    // Alice leaves node B: node A hears it, and both nodes count one member.
    alice_on_b.close().await;
    let left = loop {
        let received = bob_on_a.next_within(WAIT).await.expect("member_removed on node A");
        if received.event == "pusher_internal:member_removed" {
            break received;
        }
    };
    assert_eq!(left.data["user_id"], alice.id);
    for app in [&app_a, &app_b] {
        assert_eq!(app.ctx.pusher.presence_users(&presence).await.unwrap(), vec![bob.id.to_owned()]);
        let info = app.ctx.pusher.channel(&chat, Some("subscription_count")).await.unwrap();
        assert_eq!(info["subscription_count"], 1, "{info}");
    }
}

#[tokio::test]
async fn a_client_that_reconnects_to_the_other_node_loses_nothing() {
    let database_url = migrated_database().await;
    let app_a = TestApp::spawn_with(publishing_to(&database_url, node_a())).await;
    let app_b = TestApp::spawn_with(publishing_to(&database_url, node_b())).await;
    let (alice, bob) = (app_a.alice, app_a.bob);
    let chat = private_chat_channel(alice.id, bob.id);

    let mut bob_socket = connected(&app_a, bob, node_a(), &chat).await;
    for i in 1..=3 {
        send(&app_a, alice, bob, &format!("live {i}")).await;
    }
    let mut have = next_seqs(&mut bob_socket, 3).await;
    bob_socket.close().await;
    // While bob is away, through the other node.
    for i in 4..=5 {
        send(&app_b, alice, bob, &format!("missed {i}")).await;
    }
    let mut bob_socket = connected(&app_b, bob, node_b(), &chat).await;
    let synced = sync_after(&app_b, bob, alice, contiguous(&have)).await;
    assert_eq!(synced, [4, 5]);
    send(&app_a, alice, bob, "live again").await;
    have.extend(next_seqs(&mut bob_socket, 1).await);
    have.extend(received_seqs(&mut bob_socket, Duration::from_millis(300)).await);
    assert_exactly_once(&have, &synced, 6);
}

/// Listens where the cluster sends webhooks and delivers each one to `app_url` twice, as a retry
/// after a lost answer would; returns how many webhooks arrived.
async fn doubling_webhook_relay(port: u16, app_url: String) -> Arc<Mutex<usize>> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("bind TEST_CLUSTER_WEBHOOK_PORT");
    let count = Arc::new(Mutex::new(0));
    let counted = count.clone();
    tokio::spawn(async move {
        let http = reqwest::Client::new();
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let (http, app_url, counted) = (http.clone(), app_url.clone(), counted.clone());
            tokio::spawn(async move {
                let mut reader = BufReader::new(stream);
                let mut headers = HashMap::new();
                let mut line = String::new();
                reader.read_line(&mut line).await.unwrap();
                loop {
                    line.clear();
                    reader.read_line(&mut line).await.unwrap();
                    let Some((name, value)) = line.trim_end().split_once(':') else { break };
                    headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
                }
                let mut body = vec![0; headers["content-length"].parse().unwrap()];
                reader.read_exact(&mut body).await.unwrap();
                *counted.lock().unwrap() += 1;
                let mut status = 0;
                for _ in 0..2 {
                    let response = http
                        .post(format!("{app_url}/api/pusher/webhook"))
                        .header("content-type", "application/json")
                        .header("x-pusher-key", &headers["x-pusher-key"])
                        .header("x-pusher-signature", &headers["x-pusher-signature"])
                        .body(body.clone())
                        .send()
                        .await
                        .unwrap();
                    status = response.status().as_u16();
                }
                let answer = format!("HTTP/1.1 {status} OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                let _ = reader.get_mut().write_all(answer.as_bytes()).await;
            });
        }
    });
    count
}

#[tokio::test]
async fn one_presence_change_seen_by_both_nodes_and_delivered_twice_is_acted_on_once() {
    let database_url = migrated_database().await;
    let app = TestApp::spawn_with(publishing_to(&database_url, node_a())).await;
    let deliveries = doubling_webhook_relay(env_port("TEST_CLUSTER_WEBHOOK_PORT"), app.base_url.clone()).await;
    let (dana, erin) = (app.alice, app.bob);
    app.insert_message(dana, erin).await;
    let channel = presence_user_channel(dana.id);
    let mut watcher = connected(&app, erin, node_b(), &channel).await;

    // Dana opens the app in two places at once, one on each node.
    let (mut on_a, mut on_b) = (PusherSocket::connect_to(node_a()).await, PusherSocket::connect_to(node_b()).await);
    tokio::join!(join(&app, dana, &mut on_a, &channel), join(&app, dana, &mut on_b, &channel));
    let statuses = |events: Vec<crate::ws::Received>| -> Vec<String> {
        let changes = events.iter().filter(|e| e.event == "user-status-change" && e.data["userId"] == dana.id);
        changes.map(|e| e.data["status"].as_str().unwrap().to_owned()).collect()
    };
    let mut events = vec![watcher.next_event(Duration::from_secs(10)).await.expect("dana comes online")];
    events.extend(events_within(&mut watcher, Duration::from_secs(2)).await);
    assert_eq!(statuses(events), ["online"], "one announcement for one change");
    let row = app.db().await.query_one(r#"SELECT "status" FROM "User" WHERE "id" = $1"#, &[&dana.id]).await.unwrap();
    assert_eq!(row.get::<_, String>(0), "online");

    // Closing one place changes nothing; closing both announces offline once.
    on_a.close().await;
    assert_eq!(statuses(events_within(&mut watcher, Duration::from_secs(2)).await), Vec::<String>::new());
    on_b.close().await;
    let mut events = vec![watcher.next_event(Duration::from_secs(15)).await.expect("dana goes offline")];
    events.extend(events_within(&mut watcher, Duration::from_secs(2)).await);
    assert_eq!(statuses(events), ["offline"]);
    assert!(*deliveries.lock().unwrap() >= 2, "the cluster's webhooks went through the relay");
}

/// Every event within `wait`.
async fn events_within(socket: &mut PusherSocket, wait: Duration) -> Vec<crate::ws::Received> {
    let deadline = tokio::time::Instant::now() + wait;
    let mut events = Vec::new();
    while let Some(event) = socket.next_event(deadline.saturating_duration_since(tokio::time::Instant::now())).await {
        events.push(event);
    }
    events
}

/// A sockudo node this test owns: started from the cluster template under its own Redis prefix
/// (so only its own pair shares channels and webhook jobs), killed with SIGKILL or on drop.
struct Node {
    child: Child,
    port: u16,
}

impl Node {
    async fn start(cluster: &str, port: u16, webhook_url: &str) -> Self {
        let template = std::fs::read_to_string(std::env::var("TEST_SOCKUDO_CLUSTER_TEMPLATE").unwrap()).unwrap();
        let prefix = std::env::var("TEST_REDIS_PREFIX").unwrap();
        let env = |name: &str| std::env::var(name).unwrap();
        let config = template
            .replace(&prefix, &format!("{prefix}{cluster}:"))
            .replace("@APP_ID@", &env("PUSHER_APP_ID"))
            .replace("@KEY@", &env("PUSHER_KEY"))
            .replace("@SECRET@", &env("PUSHER_SECRET"))
            .replace("@WEBHOOK_URL@", webhook_url)
            .replace("@PORT@", &port.to_string())
            .replace("@METRICS_PORT@", &closed_port().to_string());
        let dir = std::env::temp_dir().join(format!("cluster-node-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("sockudo.toml"), config).unwrap();
        let log = std::fs::File::create(dir.join("sockudo.log")).unwrap();
        let child = Command::new("sockudo")
            .arg("--config")
            .arg(dir.join("sockudo.toml"))
            .current_dir(&dir)
            .env_remove("PORT")
            .env_remove("HOST")
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("sockudo runs (scripts/test installs it)");
        let up = format!("http://127.0.0.1:{port}/up/{}", env("PUSHER_APP_ID"));
        let started = Instant::now();
        while !reqwest::get(&up).await.is_ok_and(|r| r.status().is_success()) {
            assert!(started.elapsed() < Duration::from_secs(15), "sockudo did not start: {}", dir.display());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self { child, port }
    }
}

/// A TCP load balancer in front of `ports`: each connection goes to the first node that accepts it,
/// so when one dies, its clients' reconnects and new REST calls land on the next.
async fn balancer(ports: Vec<u16>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let (mut inbound, _) = listener.accept().await.unwrap();
            let ports = ports.clone();
            tokio::spawn(async move {
                for port in ports {
                    if let Ok(mut outbound) = TcpStream::connect(("127.0.0.1", port)).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        return;
                    }
                }
            });
        }
    });
    port
}

#[tokio::test]
async fn killing_a_node_moves_its_clients_to_the_other_without_losing_a_message() {
    // Ports first: the nodes send their webhooks to the app, which publishes through the balancer.
    let (first_port, second_port, app_port) = (closed_port(), closed_port(), closed_port());
    let lb = balancer(vec![first_port, second_port]).await;
    let mut env = publishing_to(&migrated_database().await, lb);
    env.insert("RATE_LIMIT_MESSAGES_PER_MINUTE".into(), "1000".into());
    let app = TestApp::spawn_on(env, app_port).await;
    let cluster = uuid::Uuid::new_v4().simple().to_string();
    let webhooks = format!("http://127.0.0.1:{app_port}/api/pusher/webhook");
    let (mut first, second) =
        tokio::join!(Node::start(&cluster, first_port, &webhooks), Node::start(&cluster, second_port, &webhooks));
    let (alice, bob) = (app.alice, app.bob);
    let chat = private_chat_channel(alice.id, bob.id);
    let status = async |user: &DemoUser| -> String {
        let row = app.db().await.query_one(r#"SELECT "status" FROM "User" WHERE "id" = $1"#, &[&user.id]).await;
        row.unwrap().get(0)
    };

    // Bob's phone reaches the first node through the balancer (and is online there); his laptop is
    // on the second.
    let mut phone = connected(&app, bob, lb, &chat).await;
    join(&app, bob, &mut phone, &presence_user_channel(bob.id)).await;
    let mut laptop = connected(&app, bob, second.port, &notifications_channel(bob.id)).await;
    for i in 1..=10 {
        send(&app, alice, bob, &format!("before {i}")).await;
    }
    let mut have = next_seqs(&mut phone, 10).await;
    let started = Instant::now();
    while status(bob).await != "online" {
        assert!(started.elapsed() < Duration::from_secs(10), "bob never came online");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The first node dies while alice keeps writing.
    first.child.start_kill().unwrap();
    let killed = Instant::now();
    for i in 11..=20 {
        send(&app, alice, bob, &format!("during {i}")).await;
    }
    have.extend(received_seqs(&mut phone, Duration::from_secs(2)).await);
    // The survivor drops the dead node's members: bob's presence ends (a member_removed webhook).
    while status(bob).await != "offline" {
        assert!(killed.elapsed() < Duration::from_secs(40), "the dead node's member was never removed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!("cluster: a killed node's presence members were removed after {:?}", killed.elapsed());
    assert_eq!(app.ctx.pusher.presence_users(&presence_user_channel(bob.id)).await.unwrap(), Vec::<String>::new());

    // The phone's connection is gone: it reconnects (to the second node), resubscribes and syncs.
    let mut phone = connected(&app, bob, lb, &chat).await;
    let synced = sync_after(&app, bob, alice, contiguous(&have)).await;
    for i in 21..=30 {
        send(&app, alice, bob, &format!("after {i}")).await;
    }
    // Live again, on the second node.
    have.extend(live_until(&mut phone, 21..=30).await);
    assert_none_lost(&have, &synced, 30);
    // The laptop, on the surviving node, heard all thirty live.
    assert_none_lost(&live_until(&mut laptop, 1..=30).await, &[], 30);
}

/// One `server` process (the whole API) on `database_url`, publishing through `pusher_port`.
async fn api_process(database_url: &str, pusher_port: u16) -> (Child, String) {
    let port = closed_port();
    let child = Command::new(bin_path("server"))
        .env_clear()
        .envs(publishing_to(database_url, pusher_port))
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start the server");
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(10), "the server did not listen");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (child, format!("http://127.0.0.1:{port}"))
}

#[tokio::test]
async fn three_api_processes_share_the_send_limit_the_typing_throttle_and_retries() {
    let database_url = migrated_database().await;
    let app = TestApp::spawn_with(publishing_to(&database_url, node_a())).await;
    let (alice, bob, carol) = (app.alice, app.bob, app.carol);
    let (_one, a) = api_process(&database_url, node_a()).await;
    let (_two, b) = api_process(&database_url, node_b()).await;
    let (_three, c) = api_process(&database_url, node_a()).await;
    let apis = [a, b, c];
    let mut bob_socket = connected(&app, bob, node_b(), &private_chat_channel(alice.id, bob.id)).await;
    // The same burst through all three: request i goes to process i % 3.
    let burst = |from: &DemoUser, path: &'static str, bodies: Vec<Value>| {
        let token = app.token_for(from);
        let requests: Vec<_> = bodies
            .into_iter()
            .enumerate()
            .map(|(i, body)| app.http.post(format!("{}{path}", apis[i % 3])).bearer_auth(&token).json(&body).send())
            .collect();
        async move {
            let mut answers = Vec::new();
            for response in futures_util::future::join_all(requests).await {
                answers.push(read(response.unwrap()).await);
            }
            answers
        }
    };

    // Fifteen sends: the limit of ten a minute holds across the processes.
    let sends = (0..15).map(|i| json!({"receiverId": bob.id, "content": format!("burst {i}")})).collect();
    let started = Instant::now();
    let answers = burst(alice, PRIVATE, sends).await;
    // The bucket refills one token every 6 s: a burst that took longer would rightly earn another.
    assert!(started.elapsed() < Duration::from_secs(6), "the burst took {:?}", started.elapsed());
    let statuses = answers.iter().fold(BTreeMap::new(), |mut counts, (status, _)| {
        *counts.entry(*status).or_insert(0) += 1;
        counts
    });
    assert_eq!(statuses, BTreeMap::from([(201, 10), (429, 5)]), "{answers:?}");
    assert_exactly_once(&next_seqs(&mut bob_socket, 10).await, &[], 10);

    // Nine typing-starts: one goes out (two if the burst spans a second), heard once each.
    let started = Instant::now();
    let typing = (0..9).map(|_| json!({"chatId": bob.id, "typing": true})).collect();
    let sent = burst(alice, "/api/typing", typing).await.iter().filter(|(_, body)| body["sent"] == true).count();
    let allowed = 1 + started.elapsed().as_secs() as usize;
    assert!((1..=allowed).contains(&sent), "{sent} typing-starts went out of 9 (at most {allowed})");
    let heard = events_within(&mut bob_socket, Duration::from_millis(800)).await;
    assert_eq!(heard.iter().filter(|e| e.event == "typing-start").count(), sent);

    // Nine copies of one retried send: one message, the same answer everywhere.
    let retry = json!({"receiverId": carol.id, "content": "once", "clientMessageId": "three-ways"});
    let answers = burst(bob, PRIVATE, vec![retry; 9]).await;
    let created = answers.iter().filter(|(status, _)| *status == 201).count();
    assert!(answers.iter().all(|(status, _)| *status == 201 || *status == 200), "{answers:?}");
    let mut ids: Vec<&str> = answers.iter().map(|(_, body)| body["message"]["id"].as_str().unwrap()).collect();
    ids.dedup();
    assert_eq!((created, ids.len()), (1, 1), "{answers:?}");
    let stored: i64 = app
        .db()
        .await
        .query_one(r#"SELECT count(*) FROM "Message" WHERE "senderId" = $1"#, &[&bob.id])
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 1);
}

/// Percentile of sorted samples.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Publishes `events` through `publish_port`'s REST API (4 at a time) to one channel with
/// `subscribers` clients on `receive_port`; returns (REST triggers/s, deliveries/s, p50 ms, p99 ms).
async fn fan_out(app: &TestApp, publish_port: u16, receive_port: u16, events: usize, subscribers: usize) -> [f64; 4] {
    let channel = format!("cluster-load-{}", uuid::Uuid::new_v4().simple());
    let mut sockets = Vec::new();
    for _ in 0..subscribers {
        let mut socket = PusherSocket::connect_to(receive_port).await;
        socket.subscribe(&channel, None, None).await.unwrap();
        sockets.push(socket);
    }
    let now_us = || std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_micros() as f64;
    let receivers: Vec<_> = sockets
        .into_iter()
        .map(|mut socket| {
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(events);
                while latencies.len() < events {
                    let Some(event) = socket.next_event(WAIT).await else { break };
                    latencies.push((now_us() - event.data["sentUs"].as_f64().unwrap()) / 1000.0);
                }
                (latencies, now_us())
            })
        })
        .collect();
    let mut env = test_env(&app.database_url);
    env.insert("PUSHER_PORT".into(), publish_port.to_string());
    let publisher = TestApp::spawn_with(env).await.ctx.pusher.clone();
    let started = now_us();
    let next = Arc::new(Mutex::new(0));
    let workers = (0..4).map(|_| {
        let (publisher, channel, next) = (publisher.clone(), channel.clone(), next.clone());
        tokio::spawn(async move {
            loop {
                let i = {
                    let mut next = next.lock().unwrap();
                    *next += 1;
                    *next
                };
                if i > events {
                    return;
                }
                let data = json!({"i": i, "sentUs": now_us()});
                publisher.trigger(std::slice::from_ref(&channel), "load", &data, None).await.unwrap();
            }
        })
    });
    futures_util::future::join_all(workers).await;
    let published = now_us();
    let mut latencies = Vec::new();
    let mut last = published;
    for receiver in receivers {
        let (got, finished) = receiver.await.unwrap();
        assert_eq!(got.len(), events, "a subscriber missed events");
        latencies.extend(got);
        last = last.max(finished);
    }
    latencies.sort_by(f64::total_cmp);
    let seconds = |until: f64| (until - started) / 1e6;
    [
        events as f64 / seconds(published),
        latencies.len() as f64 / seconds(last),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
    ]
}

#[tokio::test]
async fn events_fan_out_across_nodes_without_loss_and_within_a_second() {
    let app = TestApp::spawn_with(publishing_to(&migrated_database().await, node_a())).await;
    // CLUSTER_FAN_OUT=<events>x<subscribers> measures a bigger run (docs/benchmarks.md: Cluster fan-out).
    let size = std::env::var("CLUSTER_FAN_OUT").unwrap_or_else(|_| "300x20".into());
    let (events, subscribers) = size.split_once('x').expect("CLUSTER_FAN_OUT=<events>x<subscribers>");
    let (events, subscribers) = (events.parse().unwrap(), subscribers.parse().unwrap());
    let single: u16 = std::env::var("PUSHER_PORT").unwrap().parse().unwrap();
    let alone = fan_out(&app, single, single, events, subscribers).await;
    let same = fan_out(&app, node_b(), node_b(), events, subscribers).await;
    let across = fan_out(&app, node_a(), node_b(), events, subscribers).await;
    let runs = [("one node without Redis", alone), ("cluster, same node", same), ("cluster, across nodes", across)];
    for (name, [triggers, deliveries, p50, p99]) in runs {
        eprintln!(
            "fan-out, {name}: {events} events x {subscribers} subscribers: {triggers:.0} triggers/s, \
             {deliveries:.0} deliveries/s, trigger->receive p50 {p50:.1} ms, p99 {p99:.1} ms"
        );
        assert!(p99 < 1000.0, "{name}: p99 {p99:.1} ms");
    }
}
