//! Who may see whose presence: the `presence-user-…` channel and the inbox's `status` answer
//! alike, in each case of who wrote to whom.

use crate::helpers::*;
use pusher_chat::demo::DemoUser;
use serde_json::{json, Value};

/// `viewer`'s view of `watched`: whether `presence-user-{watched}` may be subscribed, and the
/// status their inbox shows in their 1:1 chat (`None` when there is no such chat).
async fn view_of(app: &TestApp, viewer: &DemoUser, watched: &DemoUser) -> (u16, Option<Value>) {
    let token = app.token_for(viewer);
    let (status, _) = app.channel_auth(Some(&token), "1234.5678", &presence_user_channel(watched.id)).await;
    let (_, inbox) = app.get("/api/conversations", Some(&token)).await;
    let shown = inbox["conversations"]
        .as_array()
        .unwrap_or_else(|| panic!("{inbox}"))
        .iter()
        .find(|c| c["otherUser"]["id"] == watched.id)
        .map(|c| c["otherUser"]["status"].clone());
    (status, shown)
}

async fn private_message(app: &TestApp, from: &DemoUser, to: &DemoUser) {
    let body = json!({"receiverId": to.id, "content": "hello"});
    let (status, answer) = app.post_json("/api/messages/private", Some(&app.token_for(from)), &body).await;
    assert_eq!(status, 201, "{answer}");
}

async fn online(app: &TestApp, user: &DemoUser) {
    app.db().await.execute(r#"UPDATE "User" SET "status" = 'online' WHERE "id" = $1"#, &[&user.id]).await.unwrap();
}

#[tokio::test]
async fn presence_channel_and_inbox_status_follow_one_rule_in_every_case() {
    let app = TestApp::spawn().await;
    let (a, v) = (app.alice, app.bob);
    online(&app, v).await;
    let room = app.joined_room(v, "shared", &[a]).await;

    // Nothing written: neither shows anything.
    assert_eq!(view_of(&app, a, v).await, (403, None), "nothing written");
    // Unsolicited: A wrote to V, V never answered.
    private_message(&app, a, v).await;
    assert_eq!(view_of(&app, a, v).await, (403, Some(Value::Null)), "unsolicited");
    // V writes in the room they share: both show V's status.
    app.send_to_room(v, &room, "hi all").await;
    assert_eq!(view_of(&app, a, v).await, (200, Some(json!("online"))), "written in a shared room");
    // A leaves the room, so it is no longer shared: neither shows V's status any more.
    app.leave_room(a, &room).await;
    assert_eq!(view_of(&app, a, v).await, (403, Some(Value::Null)), "the room is no longer shared");
    // V writes to A directly.
    private_message(&app, v, a).await;
    assert_eq!(view_of(&app, a, v).await, (200, Some(json!("online"))), "written 1:1");
    // A wrote to V first, so V sees A too; a stranger sees nothing.
    online(&app, a).await;
    assert_eq!(view_of(&app, v, a).await, (200, Some(json!("online"))), "the other way round");
    assert_eq!(view_of(&app, app.carol, v).await, (403, None), "a stranger");
}
