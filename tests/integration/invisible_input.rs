//! Input that looks like nothing or like something else: reactions that are not emoji, and names
//! made of invisible or direction-control characters, through the API as an attacker sends them.

use crate::frontend::new_user_token;
use crate::helpers::*;
use serde_json::{json, Value};

const REACTIONS: &str = "/api/messages/reactions";

async fn react(app: &TestApp, user: &pusher_chat::demo::DemoUser, id: &str, emoji: &str) -> (u16, Value) {
    app.post_json(REACTIONS, Some(&app.token_for(user)), &json!({"messageId": id, "emoji": emoji})).await
}

async fn put_me(app: &TestApp, token: &str, body: &Value) -> (u16, Value) {
    read(app.http.put(app.url("/api/me")).bearer_auth(token).json(body).send().await.unwrap()).await
}

#[tokio::test]
async fn reactions_accept_one_emoji_of_any_shape_and_refuse_invisible_characters_and_symbols() {
    let mut env = test_env(&migrated_database().await);
    env.insert("RATE_LIMIT_REACTIONS_PER_MINUTE".into(), "100".into());
    let app = TestApp::spawn_with(env).await;
    let body = json!({"receiverId": app.bob.id, "content": "react to me"});
    let (status, sent) = app.post_json("/api/messages/private", Some(&app.token_for(app.alice)), &body).await;
    assert_eq!(status, 201, "{sent}");
    let id = sent["message"]["id"].as_str().unwrap();

    let tags = |text: &str| text.chars().map(|c| char::from_u32(0xE0000 + c as u32).unwrap()).collect::<String>();
    let hidden_text = format!("👍{}\u{E007F}", tags("pwned"));
    for bad in [
        "\u{202E}",
        "\u{200B}",
        "\u{FEFF}",
        "\u{2060}",
        "\u{2066}",
        "€",
        "→",
        "。",
        "\u{E000}",
        "\u{3164}",
        "a",
        "👍👍",
        &hidden_text,
    ] {
        let (status, answer) = react(&app, app.bob, id, bad).await;
        assert_eq!((status, error_code(&answer)), (422, "invalid_emoji"), "{bad:?}: {answer}");
    }
    let stored: i64 = app.db().await.query_one(r#"SELECT count(*) FROM "MessageReaction""#, &[]).await.unwrap().get(0);
    assert_eq!(stored, 0, "nothing refused was stored");

    let scotland = format!("🏴{}\u{E007F}", tags("gbsct"));
    for ok in ["👍", "👍🏽", "👨‍👩‍👧", "🇫🇷", "1️⃣", &scotland, "❤️"] {
        let (status, answer) = react(&app, app.bob, id, ok).await;
        assert_eq!((status, &answer["emoji"]), (201, &json!(ok)), "{ok:?}: {answer}");
    }
    // U+2764 without its variation selector is the same heart: one reaction, stored fully qualified.
    let (status, answer) = react(&app, app.bob, id, "\u{2764}").await;
    assert_eq!((status, &answer["emoji"], &answer["changed"]), (200, &json!("❤️"), &json!(false)), "{answer}");
    let (status, answer) = react(&app, app.alice, id, "\u{2764}").await;
    assert_eq!(status, 201, "{answer}");
    let hearts: Vec<&Value> = answer["reactions"].as_array().unwrap().iter().filter(|r| r["emoji"] == "❤️").collect();
    assert_eq!(hearts, [&json!({"emoji": "❤️", "count": 2, "mine": true})], "{answer}");
    // Removing by either form removes the one reaction.
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("messageId", id)
        .append_pair("emoji", "\u{2764}")
        .finish();
    let request = app.http.delete(app.url(&format!("{REACTIONS}?{query}"))).bearer_auth(app.token_for(app.bob));
    let (status, answer) = read(request.send().await.unwrap()).await;
    assert_eq!((status, &answer["changed"]), (200, &json!(true)), "{answer}");
}

/// Names that render as nothing, or that turn the text around them backwards.
const INVISIBLE_OR_REVERSING: [&str; 12] = [
    "\u{200B}",
    "\u{202E}evil",
    "\u{2066}x",
    "x\u{2069}",
    "Ada\u{202A}",
    "\u{200F}Ada",
    " \u{FEFF} ",
    "\u{2060}\u{2061}",
    "\u{3164}",
    "\u{115F}\u{1160}",
    "\u{00AD}",
    "\u{2800}",
];

#[tokio::test]
async fn profile_names_must_show_a_visible_character_and_carry_no_direction_controls() {
    let app = TestApp::spawn().await;
    let token = app.token_for(app.alice);
    for bad in INVISIBLE_OR_REVERSING {
        for body in [json!({"firstName": bad}), json!({"firstName": "Ada", "lastName": bad})] {
            let (status, answer) = put_me(&app, &token, &body).await;
            assert_eq!((status, error_code(&answer)), (422, "invalid_profile"), "{body}: {answer}");
        }
    }
    let (_, me) = app.get("/api/me", Some(&token)).await;
    assert_eq!(me["profile"]["firstName"], "Alice", "nothing refused was written: {me}");
    // Scripts that need joiners, right-to-left names, and emoji keep working.
    for (first, last) in [("نوشین", "می\u{200C}خواهم"), ("דוד", "כהן"), ("Zoë 🦊", "O'Brien-Łukasz"), ("क्ष", "")]
    {
        let (status, answer) = put_me(&app, &token, &json!({"firstName": first, "lastName": last})).await;
        assert_eq!(
            (status, &answer["profile"]["firstName"], &answer["profile"]["lastName"]),
            (200, &json!(first), &json!(last))
        );
    }
}

#[tokio::test]
async fn room_names_follow_the_same_rule() {
    let app = TestApp::spawn().await;
    let token = app.token_for(app.alice);
    for bad in INVISIBLE_OR_REVERSING {
        let (status, answer) = app.post_json("/api/rooms", Some(&token), &json!({"name": bad, "memberIds": []})).await;
        assert_eq!((status, error_code(&answer)), (422, "invalid_name"), "{bad:?}: {answer}");
    }
    let rooms: i64 = app.db().await.query_one(r#"SELECT count(*) FROM "Room""#, &[]).await.unwrap().get(0);
    assert_eq!(rooms, 0);
    let (status, answer) =
        app.post_json("/api/rooms", Some(&token), &json!({"name": "فريق 🚀", "memberIds": []})).await;
    assert_eq!((status, &answer["room"]["name"]), (201, &json!("فريق 🚀")), "{answer}");
}

#[tokio::test]
async fn auto_provisioning_cleans_names_from_token_metadata_instead_of_refusing_them() {
    let mut env = test_env(&migrated_database().await);
    env.insert("AUTO_PROVISION_USERS".into(), "true".into());
    let app = TestApp::spawn_with(env).await;
    for (metadata, first, last) in [
        (json!({"first_name": "\u{202E}Grace\u{202C}", "last_name": "Hop\u{200B}per"}), "Grace", "Hopper"),
        (json!({"full_name": "\u{2066}Ada\u{2069} \u{200F}Lovelace"}), "Ada", "Lovelace"),
        (json!({"first_name": "\u{3164}", "last_name": "\u{2800}"}), "mail-local", ""),
    ] {
        let sub = format!("auto-{}", uuid::Uuid::new_v4().simple());
        let token = new_user_token(&sub, "mail-local@example.org", metadata.clone());
        let body = json!({"receiverId": app.bob.id, "content": "hi"});
        let (status, answer) = app.post_json("/api/messages/private", Some(&token), &body).await;
        assert_eq!(status, 201, "{metadata}: {answer}");
        let (_, me) = app.get("/api/me", Some(&token)).await;
        assert_eq!(
            (&me["profile"]["firstName"], &me["profile"]["lastName"]),
            (&json!(first), &json!(last)),
            "{metadata}"
        );
    }
}
