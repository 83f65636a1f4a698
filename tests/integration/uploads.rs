//! Files through the API against a real S3 server (s3s-fs behind its CORS front, started by
//! `scripts/test`): presigned PUTs the store itself holds to their signed type, length and expiry,
//! FILE sends that check the stored object and use an upload once, downloads for participants
//! only, and objects deleted with their message or, unused, by the cleanup.

use crate::helpers::*;
use pusher_chat::demo::DemoUser;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;

const PRIVATE: &str = "/api/messages/private";
const WAIT: Duration = Duration::from_secs(5);
/// A tiny PNG (1×1, transparent).
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00,
    0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

fn s3_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run through scripts/test, which starts s3s-fs"))
}

/// The test settings with the store of `scripts/test`.
fn storage_env(database_url: &str) -> HashMap<String, String> {
    let mut env = test_env(database_url);
    env.insert("STORAGE_S3_ENDPOINT".into(), s3_env("TEST_S3_ENDPOINT"));
    env.insert("STORAGE_S3_BUCKET".into(), s3_env("TEST_S3_BUCKET"));
    env.insert("STORAGE_S3_ACCESS_KEY_ID".into(), s3_env("TEST_S3_ACCESS_KEY_ID"));
    env.insert("STORAGE_S3_SECRET_ACCESS_KEY".into(), s3_env("TEST_S3_SECRET_ACCESS_KEY"));
    env.insert("STORAGE_S3_PATH_STYLE".into(), "true".into());
    env
}

async fn spawn_with_storage(extra: &[(&str, &str)]) -> TestApp {
    let database_url = migrated_database().await;
    let mut env = storage_env(&database_url);
    for (name, value) in extra {
        env.insert((*name).into(), (*value).into());
    }
    TestApp::spawn_with(env).await
}

/// A client that does not follow redirects, to look at them.
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn start_upload(app: &TestApp, user: &DemoUser, body: Value) -> (u16, Value) {
    app.post_json("/api/uploads", Some(&app.token_for(user)), &body).await
}

/// `user` starts an upload of `bytes` to their chat with `other`; the upload's answer.
async fn upload_for(app: &TestApp, user: &DemoUser, other: &DemoUser, name: &str, kind: &str, size: usize) -> Value {
    let body = json!({"chatId": other.id, "fileName": name, "contentType": kind, "size": size});
    let (status, answer) = start_upload(app, user, body).await;
    assert_eq!(status, 201, "{answer}");
    answer["upload"].clone()
}

/// PUTs `bytes` with the upload's headers but `content_type`, as a browser would; the store's status.
async fn put(upload: &Value, content_type: &str, bytes: Vec<u8>) -> u16 {
    assert_eq!(upload["method"], "PUT");
    let mut request = reqwest::Client::new().put(upload["url"].as_str().unwrap());
    for (name, value) in upload["headers"].as_object().unwrap() {
        if !name.eq_ignore_ascii_case("content-type") {
            request = request.header(name.as_str(), value.as_str().unwrap());
        }
    }
    let response = request.header("content-type", content_type).body(bytes).send().await.expect("PUT to the store");
    response.status().as_u16()
}

async fn send_file(app: &TestApp, from: &DemoUser, to: &DemoUser, body: Value) -> (u16, Value) {
    let mut body = body;
    body["receiverId"] = json!(to.id);
    body["type"] = json!("FILE");
    app.post_json(PRIVATE, Some(&app.token_for(from)), &body).await
}

/// Whether the store holds an object under the upload's key (a HEAD with the API's credentials).
async fn object_exists(app: &TestApp, upload_id: &str) -> bool {
    let key: String = app
        .db()
        .await
        .query_opt(r#"SELECT "objectKey" FROM "Upload" WHERE "id" = $1"#, &[&upload_id])
        .await
        .unwrap()
        .map(|row| row.get(0))
        .unwrap_or_else(|| format!("gone/{upload_id}"));
    object_exists_at(app, &key).await
}

async fn object_exists_at(app: &TestApp, key: &str) -> bool {
    let store = pusher_chat::services::storage::store(&app.ctx).unwrap();
    store.head(key).await.unwrap().is_some()
}

async fn key_of(app: &TestApp, upload_id: &str) -> String {
    app.db().await.query_one(r#"SELECT "objectKey" FROM "Upload" WHERE "id" = $1"#, &[&upload_id]).await.unwrap().get(0)
}

async fn message_count(app: &TestApp) -> i64 {
    app.db().await.query_one(r#"SELECT count(*) FROM "Message""#, &[]).await.unwrap().get(0)
}

#[tokio::test]
async fn a_file_goes_to_the_store_and_the_other_participant_downloads_the_same_bytes() {
    let app = spawn_with_storage(&[]).await;
    let bytes: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let upload = upload_for(&app, app.alice, app.bob, "../notes/report 2026.pdf", "application/pdf", bytes.len()).await;
    assert_eq!(
        upload["headers"],
        json!({"Content-Type": "application/pdf",
               "Content-Disposition": "attachment; filename=\"report 2026.pdf\"; filename*=UTF-8''report%202026.pdf"})
    );
    assert!(upload["url"].as_str().unwrap().starts_with(&s3_env("TEST_S3_ENDPOINT")), "{upload}");
    assert!(!upload["url"].as_str().unwrap().contains("report"), "the file name is never part of the key");
    assert_eq!(put(&upload, "application/pdf", bytes.clone()).await, 200);

    let mut bob_socket = subscribed(&app, app.bob, &[private_chat_channel(app.alice.id, app.bob.id)]).await;
    let (status, sent) = send_file(&app, app.alice, app.bob, json!({"uploadId": upload["id"]})).await;
    assert_eq!(status, 201, "{sent}");
    let message = &sent["message"];
    let id = message["id"].as_str().unwrap();
    let path = format!("/api/files?messageId={id}");
    assert_eq!(
        message["file"],
        json!({"id": upload["id"], "name": "report 2026.pdf", "size": bytes.len(), "contentType": "application/pdf",
               "width": null, "height": null, "url": path})
    );
    assert_eq!(
        (&message["content"], &message["fileName"], &message["fileUrl"]),
        (&json!("report 2026.pdf"), &json!("report 2026.pdf"), &json!(path))
    );
    let event = bob_socket.next_event(WAIT).await.expect("new-message");
    assert_eq!(event.data["file"], message["file"], "the event carries the file, never a store URL");
    assert!(!event.data.to_string().contains("X-Amz-Signature"));
    let (_, page) = app.get(&format!("{PRIVATE}?chatId={}", app.alice.id), Some(&app.token_for(app.bob))).await;
    assert_eq!(page["messages"][0]["file"], message["file"]);

    // Bob follows the 302 to the store and gets the very bytes, as an attachment.
    let response = no_redirects().get(app.url(&path)).bearer_auth(app.token_for(app.bob)).send().await.unwrap();
    assert_eq!(response.status(), 302);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let download = reqwest::get(&location).await.unwrap();
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["content-type"], "application/pdf");
    let disposition = download.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.starts_with("attachment;") && disposition.contains("report 2026.pdf"), "{disposition}");
    assert_eq!(download.bytes().await.unwrap().as_ref(), bytes.as_slice());
    // The same through reqwest's own redirect handling (a browser link works the same way).
    let followed = app.http.get(app.url(&path)).bearer_auth(app.token_for(app.bob)).send().await.unwrap();
    assert_eq!(followed.bytes().await.unwrap().len(), bytes.len());
}

#[tokio::test]
async fn an_image_is_served_inline_and_as_a_json_link_for_img_tags() {
    let app = spawn_with_storage(&[]).await;
    let upload = upload_for(&app, app.alice, app.bob, "cat.png", "image/png", PNG.len()).await;
    assert_eq!(put(&upload, "image/png", PNG.to_vec()).await, 200);
    let (status, sent) = send_file(
        &app,
        app.alice,
        app.bob,
        json!({"uploadId": upload["id"], "content": "look", "width": 1, "height": 1}),
    )
    .await;
    assert_eq!(status, 201, "{sent}");
    assert_eq!(
        (sent["message"]["file"]["width"].as_i64(), sent["message"]["content"].as_str()),
        (Some(1), Some("look"))
    );
    let id = sent["message"]["id"].as_str().unwrap();
    let (status, link) =
        app.get(&format!("/api/files?messageId={id}&format=json"), Some(&app.token_for(app.bob))).await;
    assert_eq!(status, 200, "{link}");
    assert_eq!((link["disposition"].as_str(), link["contentType"].as_str()), (Some("inline"), Some("image/png")));
    assert!(link["expiresAt"].as_str().is_some());
    let image = reqwest::get(link["url"].as_str().unwrap()).await.unwrap();
    assert_eq!(image.headers()["content-type"], "image/png");
    assert!(image.headers()["content-disposition"].to_str().unwrap().starts_with("inline"));
    assert_eq!(image.bytes().await.unwrap().as_ref(), PNG);
    // Accept: application/json means the same; download=true makes it an attachment.
    let response = app
        .http
        .get(app.url(&format!("/api/files?messageId={id}&download=true")))
        .bearer_auth(app.token_for(app.alice))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    let (status, link) = read(response).await;
    assert_eq!((status, link["disposition"].as_str()), (200, Some("attachment")));
}

#[tokio::test]
async fn a_third_user_gets_404_for_the_download_and_the_upload() {
    let app = spawn_with_storage(&[]).await;
    let upload = upload_for(&app, app.alice, app.bob, "a.txt", "text/plain", 5).await;
    assert_eq!(put(&upload, "text/plain", b"hello".to_vec()).await, 200);
    let (_, sent) = send_file(&app, app.alice, app.bob, json!({"uploadId": upload["id"]})).await;
    let id = sent["message"]["id"].as_str().unwrap();
    let carol = app.token_for(app.carol);
    let response =
        no_redirects().get(app.url(&format!("/api/files?messageId={id}"))).bearer_auth(&carol).send().await.unwrap();
    let (status, body) = read(response).await;
    assert_eq!((status, error_code(&body)), (404, "not_found"));
    let (status, body) = app.get(&format!("/api/files?messageId={id}&format=json"), Some(&carol)).await;
    assert_eq!((status, error_code(&body)), (404, "not_found"));
    // Carol cannot upload into their chat, nor into a room she is not in.
    let chat = private_chat_id(app.alice.id, app.bob.id);
    let body = json!({"conversationId": chat, "fileName": "x.txt", "contentType": "text/plain", "size": 3});
    let (status, answer) = start_upload(&app, app.carol, body).await;
    assert_eq!((status, error_code(&answer)), (404, "not_found"));
    let room = app.joined_room(app.alice, "Team", &[app.bob]).await;
    let body = json!({"roomId": room, "fileName": "x.txt", "contentType": "text/plain", "size": 3});
    let (status, answer) = start_upload(&app, app.carol, body.clone()).await;
    assert_eq!((status, error_code(&answer)), (404, "not_found"));
    let (status, _) = start_upload(&app, app.bob, body).await;
    assert_eq!(status, 201, "a member may");
    // No such message: 404 as well; no token: 401.
    let (status, _) = app.get("/api/files?messageId=nope", Some(&carol)).await;
    assert_eq!(status, 404);
    let (status, _) = app.get(&format!("/api/files?messageId={id}"), None).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_blocked_user_can_start_no_upload_to_the_blockers_chat_and_the_blocker_still_can() {
    let app = spawn_with_storage(&[]).await;
    let path = format!("/api/blocks?userId={}", app.bob.id);
    let response = app.http.put(app.url(&path)).bearer_auth(app.token_for(app.alice)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body = json!({"chatId": app.alice.id, "fileName": "x.txt", "contentType": "text/plain", "size": 3});
    let (status, answer) = start_upload(&app, app.bob, body).await;
    assert_eq!((status, error_code(&answer)), (403, "not_allowed"), "{answer}");
    upload_for(&app, app.alice, app.bob, "y.txt", "text/plain", 3).await;
}

#[tokio::test]
async fn a_file_sent_to_a_room_is_for_its_members_only() {
    let app = spawn_with_storage(&[]).await;
    let room = app.joined_room(app.alice, "Team", &[app.bob]).await;
    let body = json!({"roomId": room, "fileName": "plan.txt", "contentType": "text/plain", "size": 4});
    let (status, answer) = start_upload(&app, app.bob, body).await;
    assert_eq!(status, 201, "{answer}");
    let upload = &answer["upload"];
    assert_eq!(put(upload, "text/plain", b"plan".to_vec()).await, 200);
    // Not to a 1:1 chat with it, only to the room it was made for.
    let (status, refused) = send_file(&app, app.bob, app.alice, json!({"uploadId": upload["id"]})).await;
    assert_eq!((status, error_code(&refused)), (422, "invalid_upload"));
    let body = json!({"roomId": room, "type": "FILE", "uploadId": upload["id"]});
    let (status, sent) = app.post_json("/api/messages/room", Some(&app.token_for(app.bob)), &body).await;
    assert_eq!(status, 201, "{sent}");
    let path = sent["message"]["file"]["url"].as_str().unwrap().to_owned();
    let (status, link) = app.get(&format!("{path}&format=json"), Some(&app.token_for(app.alice))).await;
    assert_eq!(status, 200, "{link}");
    assert_eq!(reqwest::get(link["url"].as_str().unwrap()).await.unwrap().bytes().await.unwrap().as_ref(), b"plan");
    let (status, _) = app.get(&format!("{path}&format=json"), Some(&app.token_for(app.carol))).await;
    assert_eq!(status, 404, "not a member");
    app.leave_room(app.alice, &room).await;
    let (status, _) = app.get(&format!("{path}&format=json"), Some(&app.token_for(app.alice))).await;
    assert_eq!(status, 404, "a member who left");
}

#[tokio::test]
async fn the_store_refuses_a_put_longer_than_declared_of_another_type_or_after_expiry() {
    let app = spawn_with_storage(&[]).await;
    let upload = upload_for(&app, app.alice, app.bob, "a.txt", "text/plain", 5).await;
    let longer = put(&upload, "text/plain", b"hello, and more".to_vec()).await;
    assert!((400..500).contains(&longer), "a longer body: {longer}");
    let shorter = put(&upload, "text/plain", b"hell".to_vec()).await;
    assert!((400..500).contains(&shorter), "a shorter body: {shorter}");
    let other_type = put(&upload, "text/html", b"hello".to_vec()).await;
    assert!((400..500).contains(&other_type), "another type: {other_type}");
    let mut inline = upload.clone();
    inline["headers"]["Content-Disposition"] = json!("inline");
    let other_disposition = put(&inline, "text/plain", b"hello".to_vec()).await;
    assert!((400..500).contains(&other_disposition), "another disposition: {other_disposition}");
    assert!(!object_exists(&app, upload["id"].as_str().unwrap()).await, "nothing was stored");
    // The same PUT as signed is taken: the refusals above were the store's checks.
    let short_lived = spawn_with_storage(&[("UPLOAD_PUT_EXPIRY_SECS", "1")]).await;
    let expiring = upload_for(&short_lived, short_lived.alice, short_lived.bob, "a.txt", "text/plain", 5).await;
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let late = put(&expiring, "text/plain", b"hello".to_vec()).await;
    assert!((400..500).contains(&late), "after expiry: {late}");
    assert_eq!(put(&upload, "text/plain", b"hello".to_vec()).await, 200);
    assert!(object_exists(&app, upload["id"].as_str().unwrap()).await);
    assert!(!object_exists(&short_lived, expiring["id"].as_str().unwrap()).await);
    let upload = upload_for(&app, app.alice, app.bob, "b.txt", "text/plain", 5).await;
    // And a send of it is refused, storing nothing.
    let (status, body) = send_file(&app, app.alice, app.bob, json!({"uploadId": upload["id"]})).await;
    assert_eq!((status, error_code(&body)), (422, "upload_not_found_in_store"));
    assert_eq!(message_count(&app).await, 0);
}

#[tokio::test]
async fn uploads_are_checked_for_size_type_name_and_rate() {
    let app = spawn_with_storage(&[("UPLOAD_MAX_BYTES", "1000"), ("RATE_LIMIT_UPLOADS_PER_MINUTE", "3")]).await;
    let ask = |name: &str, kind: &str, size: i64| json!({"chatId": app.bob.id, "fileName": name, "contentType": kind, "size": size});
    for (body, status, code) in [
        (ask("a.bin", "application/pdf", 1001), 413, "file_too_large"),
        (ask("a.html", "text/html", 10), 422, "file_type_not_allowed"),
        (ask("a.svg", "image/svg+xml", 10), 422, "file_type_not_allowed"),
        (ask("a", "not a type", 10), 422, "invalid_content_type"),
        (ask("///", "text/plain", 10), 422, "invalid_file_name"),
        (ask("a.txt", "text/plain", 0), 422, "invalid_file_size"),
        (json!({"fileName": "a.txt", "contentType": "text/plain", "size": 1}), 422, "invalid_body"),
    ] {
        let (got, answer) = start_upload(&app, app.alice, body.clone()).await;
        assert_eq!((got, error_code(&answer)), (status, code), "{body}");
    }
    // Three a minute, however many arrive at once.
    let attempts = (0..6).map(|i| start_upload(&app, app.alice, ask(&format!("f{i}.txt"), "text/plain", 10)));
    let statuses: Vec<u16> = futures_util::future::join_all(attempts).await.into_iter().map(|(s, _)| s).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 3, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 3, "{statuses:?}");
}

#[tokio::test]
async fn an_upload_of_another_user_or_conversation_or_with_another_size_is_refused() {
    let app = spawn_with_storage(&[]).await;
    let upload = upload_for(&app, app.alice, app.bob, "a.txt", "text/plain", 5).await;
    assert_eq!(put(&upload, "text/plain", b"hello".to_vec()).await, 200);
    // Bob cannot send Alice's upload, even in the same chat; Alice cannot send it to Carol.
    let (status, body) = send_file(&app, app.bob, app.alice, json!({"uploadId": upload["id"]})).await;
    assert_eq!((status, error_code(&body)), (422, "invalid_upload"));
    let (status, body) = send_file(&app, app.alice, app.carol, json!({"uploadId": upload["id"]})).await;
    assert_eq!((status, error_code(&body)), (422, "invalid_upload"));
    let (status, body) = send_file(&app, app.alice, app.bob, json!({"uploadId": "no-such-upload"})).await;
    assert_eq!((status, error_code(&body)), (422, "invalid_upload"));
    assert_eq!(message_count(&app).await, 0);
    // An upload whose row says 4 bytes while the store holds 5: the HEAD catches it.
    app.db()
        .await
        .execute(r#"UPDATE "Upload" SET "size" = 4 WHERE "id" = $1"#, &[&upload["id"].as_str()])
        .await
        .unwrap();
    let (status, body) = send_file(&app, app.alice, app.bob, json!({"uploadId": upload["id"]})).await;
    assert_eq!((status, error_code(&body)), (422, "upload_mismatch"));
    assert_eq!(message_count(&app).await, 0);
}

#[tokio::test]
async fn an_upload_is_sent_once_even_by_concurrent_sends() {
    let app = spawn_with_storage(&[]).await;
    let upload = upload_for(&app, app.alice, app.bob, "a.txt", "text/plain", 5).await;
    assert_eq!(put(&upload, "text/plain", b"hello".to_vec()).await, 200);
    let sends = (0..6).map(|_| send_file(&app, app.alice, app.bob, json!({"uploadId": upload["id"]})));
    let outcomes = futures_util::future::join_all(sends).await;
    let created = outcomes.iter().filter(|(s, _)| *s == 201).count();
    let refused = outcomes.iter().filter(|(s, b)| *s == 422 && error_code(b) == "upload_already_used").count();
    assert_eq!((created, refused), (1, 5), "{outcomes:?}");
    assert_eq!(message_count(&app).await, 1);
    // Later, too; a retry of the very send (same clientMessageId) gets the original back.
    let (status, body) = send_file(&app, app.alice, app.bob, json!({"uploadId": upload["id"]})).await;
    assert_eq!((status, error_code(&body)), (422, "upload_already_used"));
    let second = upload_for(&app, app.alice, app.bob, "b.txt", "text/plain", 2).await;
    assert_eq!(put(&second, "text/plain", b"hi".to_vec()).await, 200);
    let body = json!({"uploadId": second["id"], "clientMessageId": "file-1"});
    let (status, first) = send_file(&app, app.alice, app.bob, body.clone()).await;
    assert_eq!(status, 201, "{first}");
    let (status, again) = send_file(&app, app.alice, app.bob, body).await;
    assert_eq!((status, &again["message"]["id"]), (200, &first["message"]["id"]));
    assert_eq!(again["message"]["file"], first["message"]["file"]);
    assert_eq!(message_count(&app).await, 2);
}

#[tokio::test]
async fn deleting_a_file_message_deletes_its_object() {
    let app = spawn_with_storage(&[]).await;
    let upload = upload_for(&app, app.alice, app.bob, "a.txt", "text/plain", 5).await;
    assert_eq!(put(&upload, "text/plain", b"hello".to_vec()).await, 200);
    let (_, sent) = send_file(&app, app.alice, app.bob, json!({"uploadId": upload["id"]})).await;
    let id = sent["message"]["id"].as_str().unwrap();
    let key = key_of(&app, upload["id"].as_str().unwrap()).await;
    assert!(object_exists_at(&app, &key).await);
    let response = app
        .http
        .delete(app.url(&format!("/api/messages?id={id}")))
        .bearer_auth(app.token_for(app.alice))
        .send()
        .await
        .unwrap();
    let (status, deleted) = read(response).await;
    assert_eq!(
        (status, &deleted["message"]["file"], &deleted["message"]["fileUrl"]),
        (200, &Value::Null, &Value::Null)
    );
    assert!(!object_exists_at(&app, &key).await, "the object went with the message");
    let (status, _) = app.get(&format!("/api/files?messageId={id}"), Some(&app.token_for(app.bob))).await;
    assert_eq!(status, 404);
    let rows: i64 = app.db().await.query_one(r#"SELECT count(*) FROM "Upload""#, &[]).await.unwrap().get(0);
    assert_eq!(rows, 0);
}

#[tokio::test]
async fn erasing_an_account_deletes_the_objects_of_its_file_messages() {
    let app = spawn_with_storage(&[]).await;
    let upload = upload_for(&app, app.alice, app.bob, "a.txt", "text/plain", 5).await;
    assert_eq!(put(&upload, "text/plain", b"hello".to_vec()).await, 200);
    let (status, _) = send_file(&app, app.alice, app.bob, json!({"uploadId": upload["id"]})).await;
    assert_eq!(status, 201);
    let key = key_of(&app, upload["id"].as_str().unwrap()).await;
    let response = app.http.delete(app.url("/api/me")).bearer_auth(app.token_for(app.alice)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(!object_exists_at(&app, &key).await, "erasure deletes the object before the tombstone");
}

#[tokio::test]
async fn retention_deletes_the_objects_of_the_messages_it_expires() {
    let app = spawn_with_storage(&[("MESSAGE_RETENTION_DAYS", "1")]).await;
    let upload = upload_for(&app, app.alice, app.bob, "a.txt", "text/plain", 5).await;
    assert_eq!(put(&upload, "text/plain", b"hello".to_vec()).await, 200);
    let (status, sent) = send_file(&app, app.alice, app.bob, json!({"uploadId": upload["id"]})).await;
    assert_eq!(status, 201);
    let key = key_of(&app, upload["id"].as_str().unwrap()).await;
    let id = sent["message"]["id"].as_str().unwrap();
    app.db()
        .await
        .execute(r#"UPDATE "Message" SET "createdAt" = "createdAt" - interval '2 days' WHERE "id" = $1"#, &[&id])
        .await
        .unwrap();
    // Retention's own run, without the upload cleanup that would catch what it left.
    let report = pusher_chat::services::retention::expire_old_messages(&app.ctx).await.unwrap();
    assert_eq!(report.messages_expired, 1);
    assert!(!object_exists_at(&app, &key).await, "the expired message's object is gone");
}

#[tokio::test]
async fn the_cleanup_removes_an_unsent_upload_older_than_a_day_and_keeps_the_rest() {
    let app = spawn_with_storage(&[]).await;
    let stale = upload_for(&app, app.alice, app.bob, "old.txt", "text/plain", 5).await;
    let fresh = upload_for(&app, app.alice, app.bob, "new.txt", "text/plain", 5).await;
    let sent = upload_for(&app, app.alice, app.bob, "sent.txt", "text/plain", 5).await;
    for upload in [&stale, &fresh, &sent] {
        assert_eq!(put(upload, "text/plain", b"hello".to_vec()).await, 200);
    }
    let (status, _) = send_file(&app, app.alice, app.bob, json!({"uploadId": sent["id"]})).await;
    assert_eq!(status, 201);
    let keys: Vec<String> =
        futures_util::future::join_all([&stale, &fresh, &sent].map(|u| key_of(&app, u["id"].as_str().unwrap()))).await;
    app.db()
        .await
        .execute(
            r#"UPDATE "Upload" SET "createdAt" = "createdAt" - interval '25 hours' WHERE "id" = ANY($1)"#,
            &[&vec![stale["id"].as_str().unwrap(), sent["id"].as_str().unwrap()]],
        )
        .await
        .unwrap();
    // A file message turned into a tombstone by SQL of the app's own: its upload is marked for the cleanup.
    let tombstoned = upload_for(&app, app.alice, app.bob, "gone.txt", "text/plain", 5).await;
    assert_eq!(put(&tombstoned, "text/plain", b"hello".to_vec()).await, 200);
    let (_, gone) = send_file(&app, app.alice, app.bob, json!({"uploadId": tombstoned["id"]})).await;
    let gone_key = key_of(&app, tombstoned["id"].as_str().unwrap()).await;
    app.db()
        .await
        .execute(r#"UPDATE "Message" SET "deletedAt" = now() WHERE "id" = $1"#, &[&gone["message"]["id"].as_str()])
        .await
        .unwrap();
    let response = app.http.get(app.url("/api/cron")).bearer_auth("cron-secret-0123456789").send().await.unwrap();
    let (status, report) = read(response).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["uploads"], json!({"status": "ok", "enabled": true, "deleted": 2, "stoppedAtLimit": false}));
    assert!(!object_exists_at(&app, &gone_key).await, "the tombstone's object is gone");
    assert!(!object_exists_at(&app, &keys[0]).await, "the stale upload is gone");
    assert!(object_exists_at(&app, &keys[1]).await, "a fresh one stays");
    assert!(object_exists_at(&app, &keys[2]).await, "a sent one stays, however old");
    let (status, body) = send_file(&app, app.alice, app.bob, json!({"uploadId": stale["id"]})).await;
    assert_eq!((status, error_code(&body)), (422, "invalid_upload"));
}

#[tokio::test]
async fn without_storage_uploads_and_downloads_answer_501_and_the_rest_works() {
    let app = TestApp::spawn().await;
    let body = json!({"chatId": app.bob.id, "fileName": "a.txt", "contentType": "text/plain", "size": 3});
    let (status, answer) = start_upload(&app, app.alice, body).await;
    assert_eq!((status, error_code(&answer)), (501, "storage_disabled"));
    let (status, answer) = app.get("/api/files?messageId=m1", Some(&app.token_for(app.alice))).await;
    assert_eq!((status, error_code(&answer)), (501, "storage_disabled"));
    let (status, answer) = send_file(&app, app.alice, app.bob, json!({"uploadId": "u1"})).await;
    assert_eq!((status, error_code(&answer)), (501, "storage_disabled"));
    // The seed's form stays as it was, and /api/config says uploads are off.
    let seed = json!({"fileUrl": "https://cdn.example/a.png", "fileName": "a.png", "fileSize": 3});
    let (status, sent) = send_file(&app, app.alice, app.bob, seed).await;
    assert_eq!(
        (status, &sent["message"]["fileUrl"], &sent["message"]["file"]),
        (201, &json!("https://cdn.example/a.png"), &Value::Null)
    );
    let (_, config) = app.get("/api/config", None).await;
    assert_eq!((&config["uploads"]["enabled"], &config["uploads"]["maxBytes"]), (&json!(false), &json!(26_214_400)));
}
