//! Typing indicators. At most one `typing-start` a second per user per conversation reaches
//! Pusher, whatever the client does; stops have a looser limit of their own so a stop right after
//! a start is never dropped. The throttles live in PostgreSQL so they hold across instances.

use super::{Event, Publisher};
use crate::auth::AuthUser;
use crate::db::rate_limit::{take, TYPING, TYPING_STOP};
use crate::db::users::find_user;
use crate::domain::{ConversationKey, SocketId};
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
) -> Result<bool, ApiError> {
    let (key, bucket) = match typing {
        true => (format!("typing:{}:{conversation}", caller.id), TYPING),
        false => (format!("typing-stop:{}:{conversation}", caller.id), TYPING_STOP),
    };
    if take(db, &key, bucket).await?.is_err() {
        return Ok(false);
    }
    let user_name = match find_user(db, &caller.id).await? {
        Some(user) => user.display_name(),
        None => caller.email.clone().unwrap_or_else(|| caller.id.to_string()),
    };
    let name = if typing { "typing-start" } else { "typing-stop" };
    let data = json!({
        "userId": caller.id,
        "userName": user_name,
        "conversationId": conversation,
        "chatId": conversation,
        "roomId": conversation.room_id(),
    });
    publisher.publish(Event::new(name, vec![conversation.channel()], data).except(except));
    Ok(true)
}
