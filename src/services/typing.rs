//! Typing indicators. At most one `typing-start` a second (`RATE_LIMIT_TYPING_PER_SECOND`) per user per conversation reaches
//! Pusher, whatever the client does; stops have a looser limit of their own so a stop right after
//! a start is never dropped. The throttles live in PostgreSQL so they hold across instances.
//!
//! A start carries its own end (`expiresAt`, [`TYPING_TTL_MS`] ahead): the project's client sends
//! one per burst of typing, again every few seconds while it lasts, and no stop after a send (the
//! message ends the indicator). A start may carry the typist's read position (`readUpToSeq`): what
//! they have seen is marked read and the conversation hears one event, `message-read` with the
//! typing in its `typing` field, instead of two (docs/cost.md).

use super::messages::{read_receipts, ReadScope, Receipt};
use super::{Event, Publisher};
use crate::auth::AuthUser;
use crate::db::rate_limit::{prune_idle_buckets, take, Bucket, TYPING_STOP};
use crate::db::users::find_user;
use crate::domain::{ConversationKey, SocketId, Timestamp};
use crate::error::ApiError;
use serde_json::json;
use tokio_postgres::GenericClient;

/// How long a `typing-start` holds without another: the client refreshes it while typing goes on.
pub const TYPING_TTL_MS: i64 = 6000;

/// What a typing call did: whether the typing event went out (`false`: throttled) and the read
/// receipt of the position it carried, if that advanced anything.
pub struct Announced {
    pub sent: bool,
    pub read: Option<Receipt>,
}

/// Publishes `typing-start` or `typing-stop` (folded into the `message-read` of `read_up_to`, when
/// that marks anything read); `sent` is `false` when the throttle dropped the typing event (the
/// read still counts and is announced on its own).
#[allow(clippy::too_many_arguments)]
pub async fn announce(
    db: &impl GenericClient,
    publisher: &Publisher,
    caller: &AuthUser,
    conversation: &ConversationKey,
    typing: bool,
    read_up_to: Option<i64>,
    except: Option<SocketId>,
    start_limit: Bucket,
) -> Result<Announced, ApiError> {
    let (key, bucket) = match typing {
        true => (format!("typing:{}:{conversation}", caller.id), start_limit),
        false => (format!("typing-stop:{}:{conversation}", caller.id), TYPING_STOP),
    };
    if let Some(other) = conversation.other_participant(&caller.id) {
        if find_user(db, other).await?.is_none() {
            return Err(ApiError::unprocessable("receiver_not_found", "chatId is not a known user"));
        }
    }
    let (read, mut read_events) = match read_up_to {
        Some(seq) => {
            let (receipt, events) = read_receipts(db, &caller.id, ReadScope::UpTo(conversation.clone(), seq)).await?;
            (Some(receipt).filter(|_| !events.is_empty()), events)
        }
        None => (None, Vec::new()),
    };
    let except_all = |events: Vec<Event>| events.into_iter().map(|e| e.except(except.clone())).collect::<Vec<_>>();
    if take(db, &key, bucket).await?.is_err() {
        publisher.publish_all(except_all(read_events));
        return Ok(Announced { sent: false, read });
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
    let at = Timestamp::now();
    let mut data = json!({
        "at": at,
        "userId": caller.id,
        "userName": user_name,
        "conversationId": conversation,
        "chatId": conversation,
        "roomId": conversation.room_id(),
    });
    if typing {
        data["expiresAt"] = json!(at.plus_millis(TYPING_TTL_MS));
        data["expiresInMs"] = json!(TYPING_TTL_MS);
    }
    // The receipt's last part (the reader's new position) carries the typing; a stop stays its own
    // event, since a client that knows no `typing` field would miss it.
    match read_events.last_mut() {
        Some(receipt) if typing => {
            data["typing"] = json!(true);
            receipt.data["typing"] = data;
        }
        _ => read_events.push(Event::new(name, vec![conversation.channel()], data)),
    }
    publisher.publish_all(except_all(read_events));
    Ok(Announced { sent: true, read })
}
