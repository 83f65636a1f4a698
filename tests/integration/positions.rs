//! Sequence numbers, read positions and page bounds, as the SQL statements keep them.

use crate::helpers::*;
use crate::limits::bucket_as_of;
use pusher_chat::db::messages::{insert_message, mark_read_up_to, InsertError, NewMessage};
use pusher_chat::db::rate_limit::SEND_MESSAGE;
use pusher_chat::demo::DemoUser;
use pusher_chat::domain::{ConversationKey, Draft, MessageFields, RoomId, Timestamp, UserId};
use serde_json::{json, Value};

fn user(user: &DemoUser) -> UserId {
    UserId::parse(user.id).unwrap()
}

fn text(content: &str) -> Draft {
    Draft::parse(&MessageFields { content: Some(content.into()), ..Default::default() }).unwrap()
}

async fn send(app: &TestApp, from: &DemoUser, to: &DemoUser, content: &str) -> i64 {
    let body = json!({"receiverId": to.id, "content": content});
    let (status, answer) = app.post_json("/api/messages/private", Some(&app.token_for(from)), &body).await;
    assert_eq!(status, 201, "{answer}");
    answer["message"]["seq"].as_i64().unwrap()
}

#[tokio::test]
async fn a_read_position_moves_forward_only_and_never_past_the_last_message() {
    let app = TestApp::spawn().await;
    for i in 1..=3 {
        assert_eq!(send(&app, app.alice, app.bob, &format!("m{i}")).await, i);
    }
    let db = app.db().await;
    let (alice, bob, carol) = (user(app.alice), user(app.bob), user(app.carol));
    let chat = ConversationKey::private(&alice, &bob).unwrap();
    let read = |reader: UserId, conversation: ConversationKey, seq: i64| {
        let db = &db;
        async move {
            let outcome = mark_read_up_to(db, &reader, &conversation, seq, Timestamp::now()).await.unwrap();
            (outcome.read_seq, outcome.advanced, outcome.message_ids.len())
        }
    };
    assert_eq!(read(bob.clone(), chat.clone(), 2).await, (Some(2), true, 2));
    assert_eq!(read(bob.clone(), chat.clone(), 2).await, (Some(2), false, 0), "the same position again");
    assert_eq!(read(bob.clone(), chat.clone(), 1).await, (Some(2), false, 0), "never backwards");
    assert_eq!(read(bob.clone(), chat.clone(), 99).await, (Some(3), true, 1), "up to the last message only");
    // A message sent after a read "up to 99" is still unread.
    assert_eq!(send(&app, app.alice, app.bob, "m4").await, 4);
    assert_eq!(read(bob.clone(), chat.clone(), 4).await, (Some(4), true, 1));
    // The sender's own position moves, but marks none of her sent messages read.
    assert_eq!(read(alice, chat, 4).await, (Some(4), true, 0));
    // No conversation, no position.
    let none = ConversationKey::private(&bob, &carol).unwrap();
    assert_eq!(read(bob, none, 5).await, (None, false, 0));
}

#[tokio::test]
async fn sequence_numbers_count_per_conversation_and_a_refused_insert_takes_none() {
    let app = TestApp::spawn().await;
    let db = app.db().await;
    let (alice, bob, carol) = (user(app.alice), user(app.bob), user(app.carol));
    let (ab, ac) = (ConversationKey::private(&alice, &bob).unwrap(), ConversationKey::private(&alice, &carol).unwrap());
    let insert = |conversation: ConversationKey, limit_key: &'static str| {
        let (db, alice) = (&db, &alice);
        async move {
            let (id, draft) = (uuid::Uuid::new_v4().to_string(), text("hello"));
            let new = NewMessage { id: &id, sender: alice, conversation: &conversation, draft: &draft };
            insert_message(db, &new, limit_key, SEND_MESSAGE).await
        }
    };
    assert_eq!(insert(ab.clone(), "a").await.unwrap().seq, 1);
    assert_eq!(insert(ab.clone(), "a").await.unwrap().seq, 2);
    assert_eq!(insert(ac.clone(), "a").await.unwrap().seq, 1, "each conversation counts on its own");
    bucket_as_of(&db, "empty", 0.0, 0.0).await;
    assert!(matches!(insert(ab.clone(), "empty").await, Err(InsertError::RateLimited)));
    let message = insert(ab.clone(), "a").await.unwrap();
    assert_eq!((message.seq, message.receiver_id.as_deref()), (3, Some(app.bob.id)), "no gap after a refusal");
    assert_eq!(insert(ac, "a").await.unwrap().seq, 2);

    // A room that does not exist is a database error, not an unknown user.
    let room = ConversationKey::room(&RoomId::parse("no-such-room").unwrap());
    assert!(matches!(insert(room, "a").await, Err(InsertError::Database(_))));
    assert_eq!(insert(ab.clone(), "a").await.unwrap().seq, 4);

    // A reply whose message is gone by the time it is stored (the service checks it first, so
    // only a race gets here) is an unknown reply, and takes no number either.
    let fields = MessageFields { content: Some("re".into()), reply_to_id: Some("gone".into()), ..Default::default() };
    let (id, reply) = (uuid::Uuid::new_v4().to_string(), Draft::parse(&fields).unwrap());
    let new = NewMessage { id: &id, sender: &alice, conversation: &ab, draft: &reply };
    assert!(matches!(insert_message(&db, &new, "a", SEND_MESSAGE).await, Err(InsertError::UnknownReply)));
    assert_eq!(insert(ab, "a").await.unwrap().seq, 5);
}

#[tokio::test]
async fn has_more_is_false_when_exactly_the_limit_remains() {
    let app = TestApp::spawn().await;
    for i in 1..=3 {
        send(&app, app.alice, app.bob, &format!("m{i}")).await;
    }
    let token = app.token_for(app.alice);
    let page = |query: String| {
        let (app, token) = (&app, &token);
        async move {
            let (status, page) =
                app.get(&format!("/api/messages/private?chatId={}{query}", app.bob.id), Some(token)).await;
            assert_eq!(status, 200, "{page}");
            let seqs: Vec<i64> =
                page["messages"].as_array().unwrap().iter().map(|m| m["seq"].as_i64().unwrap()).collect();
            (seqs, page["hasMore"].as_bool().unwrap(), page["cursor"].clone())
        }
    };
    assert_eq!(page("&limit=3".into()).await, (vec![1, 2, 3], false, json!({"before": 1, "after": 3})));
    assert_eq!(page("&limit=2".into()).await, (vec![2, 3], true, json!({"before": 2, "after": 3})));
    assert!(!page("&after=0&limit=3".into()).await.1);
    assert_eq!(page("&after=0&limit=2".into()).await, (vec![1, 2], true, json!({"before": 1, "after": 2})));
    assert!(!page("&before=3&limit=2".into()).await.1);
    assert!(page("&before=4&limit=2".into()).await.1);
    assert_eq!(page("&after=3".into()).await, (vec![], false, json!({"before": null, "after": null})));
}

#[tokio::test]
async fn a_send_with_a_client_message_id_to_an_unknown_user_is_refused_as_such() {
    let app = TestApp::spawn().await;
    let token = app.token_for(app.alice);
    let body = json!({"receiverId": "nobody-here", "content": "hi", "clientMessageId": "c-unknown"});
    let (status, answer) = app.post_json("/api/messages/private", Some(&token), &body).await;
    assert_eq!((status, error_code(&answer)), (422, "receiver_not_found"));
    // The id was not used up: the same id to a real receiver is a new message.
    let body = json!({"receiverId": app.bob.id, "content": "hi", "clientMessageId": "c-unknown"});
    let (status, answer) = app.post_json("/api/messages/private", Some(&token), &body).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["message"]["receiverId"], Value::from(app.bob.id));
}
