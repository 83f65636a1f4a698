//! Typing indicators. At most one `typing-start` a second (`RATE_LIMIT_TYPING_PER_SECOND`) per user per conversation reaches
//! Pusher, whatever the client does; stops have a looser limit of their own so a stop right after
//! a start is never dropped. The throttles live in PostgreSQL so they hold across instances.

use super::{Event, Publisher};
use crate::auth::AuthUser;
use crate::db::rate_limit::{prune_idle_buckets, take, Bucket, TYPING_STOP};
use crate::db::users::find_user;
use crate::domain::{ConversationKey, SocketId, Timestamp};
use crate::error::ApiError;
use serde_json::json;
use tokio_postgres::GenericClient;

/// Publishes `typing-start` or `typing-stop`; `false` when the throttle dropped it.
pub async fn announce(
    db: &impl GenericClient,
    publisher: &Publisher,
    caller: &AuthUser,
    conversation: &ConversationKey,
    typing: bool,
    except: Option<SocketId>,
    start_limit: Bucket,
) -> Result<bool, ApiError> {
    let (key, bucket) = match typing {
        true => (format!("typing:{}:{conversation}", caller.id), start_limit),
        false => (format!("typing-stop:{}:{conversation}", caller.id), TYPING_STOP),
    };
    if let Some(other) = conversation.other_participant(&caller.id) {
        if find_user(db, other).await?.is_none() {
            return Err(ApiError::unprocessable("receiver_not_found", "chatId is not a known user"));
        }
    }
    if take(db, &key, bucket).await?.is_err() {
        return Ok(false);
    }
    // Typing makes a bucket per user and conversation: now and then, clear out a few idle ones
    // (the periodic jobs prune the rest, see `services::jobs`).
    if uuid::Uuid::new_v4().as_bytes()[0] < 3 {
        prune_idle_buckets(db, 100).await?;
    }
    let user_name = match find_user(db, &caller.id).await? {
        Some(user) => user.display_name(),
        None => caller.email.clone().unwrap_or_else(|| caller.id.to_string()),
    };
    let name = if typing { "typing-start" } else { "typing-stop" };
    // Events go out on separate calls (and instances) and may arrive out of order: `at` lets a
    // client drop a start that is older than the stop it already has.
    let data = json!({
        "at": Timestamp::now(),
        "userId": caller.id,
        "userName": user_name,
        "conversationId": conversation,
        "chatId": conversation,
        "roomId": conversation.room_id(),
    });
    publisher.publish(Event::new(name, vec![conversation.channel()], data).except(except));
    Ok(true)
}
