//! What a participant may do to a stored message: its sender edits it (within the edit window) or
//! deletes it (any time). Each change is announced on the conversation's channel (and, in a 1:1
//! chat, on the other participant's notifications channel, for their inbox) and counted in the
//! conversation's change counter, so clients that were away catch up with `changedAfter=`.

use super::messages::{audience, new_message_payload};
use super::outbox::{Effect, WebhookType};
use super::{Event, Publisher};
use crate::db::message_actions::{delete_message, edit_message};
use crate::db::messages::{find_message, Message};
use crate::db::rooms::membership;
use crate::domain::{ConversationKey, MessageContent, MessageId, SocketId, Timestamp, UserId};
use crate::error::ApiError;
use chrono::NaiveDateTime;
use std::time::Duration;
use tokio_postgres::GenericClient;

/// The message, when `caller` may see it: a participant of its 1:1 chat or a member of its room.
/// Anything else is 404, so a stranger learns nothing about a message id.
pub async fn visible_message(db: &impl GenericClient, caller: &UserId, id: &MessageId) -> Result<Message, ApiError> {
    let message = find_message(db, id).await?.ok_or(ApiError::NotFound)?;
    let visible = match ConversationKey::parse(&message.conversation_id) {
        Ok(ConversationKey::Room(room)) => membership(db, &room, caller).await?.1,
        Ok(key) => key.other_participant(caller).is_some(),
        Err(_) => false,
    };
    if visible {
        Ok(message)
    } else {
        Err(ApiError::NotFound)
    }
}

fn conversation_of(message: &Message) -> Result<ConversationKey, ApiError> {
    ConversationKey::parse(&message.conversation_id).map_err(ApiError::internal)
}

/// Why `caller` may not change `message` (in this order): not theirs, deleted, too old to edit.
fn refusal(message: &Message, caller: &UserId, edit_window: Option<Duration>) -> Option<ApiError> {
    if message.sender_id != caller.as_str() {
        return Some(ApiError::forbidden("not_sender", "only the sender may change a message"));
    }
    if message.deleted_at.is_some() {
        return Some(ApiError::conflict("message_deleted", "the message was deleted"));
    }
    let window = edit_window?;
    match edit_window_open(message.created_at.naive(), window, Timestamp::now().naive()) {
        true => None,
        false => Some(ApiError::forbidden(
            "edit_window_closed",
            format!("messages can be edited for {} seconds after sending", window.as_secs()),
        )),
    }
}

/// Whether a message sent at `sent` may still be edited at `now`: the window is open for exactly
/// `window` after sending (a zero window never opens; one that ends past the last date never closes).
fn edit_window_open(sent: NaiveDateTime, window: Duration, now: NaiveDateTime) -> bool {
    match chrono::Duration::from_std(window).ok().and_then(|w| sent.checked_add_signed(w)) {
        Some(closes) => closes > now,
        None => true,
    }
}

/// Replaces the text of the caller's own message and publishes `message-updated` (the message);
/// `message.updated` goes to the app's backend (run in a transaction: the outbox row commits with it).
pub async fn edit(
    db: &impl GenericClient,
    publisher: &Publisher,
    caller: &UserId,
    id: &MessageId,
    content: &MessageContent,
    window: Duration,
    except: Option<SocketId>,
) -> Result<Message, ApiError> {
    let message = visible_message(db, caller, id).await?;
    if let Some(refused) = refusal(&message, caller, Some(window)) {
        return Err(refused);
    }
    let Some(edited) = edit_message(db, id, caller, content, window).await? else {
        // Changed since it was read: deleted, or the window closed in between.
        let now = visible_message(db, caller, id).await?;
        return Err(refusal(&now, caller, Some(window)).unwrap_or_else(|| ApiError::internal("edit matched no row")));
    };
    let payload = new_message_payload(&edited, publisher.max_event_bytes());
    let channels = audience(db, &conversation_of(&edited)?, caller).await?;
    publisher
        .enqueue(db, &[Effect::MessageWebhook { event: WebhookType::MessageUpdated, message_id: edited.id.clone() }])
        .await?;
    publisher.publish(Event::new("message-updated", channels, payload).except(except));
    Ok(edited)
}

/// Turns the caller's own message (or, for a room's owner or admin, a message of someone they
/// outrank there: the tombstone then says `deletedBy: "moderator"`) into a tombstone and publishes
/// `message-deleted` (the tombstone). Deleting it again answers the tombstone and announces nothing.
pub async fn delete(
    db: &impl GenericClient,
    publisher: &Publisher,
    caller: &UserId,
    id: &MessageId,
    except: Option<SocketId>,
) -> Result<Message, ApiError> {
    let message = visible_message(db, caller, id).await?;
    // A room's owner or admin deletes a message of someone they outrank as its sender would.
    let moderator = super::room_roles::moderates(db, &message, caller).await?.then_some(caller);
    let sender = match moderator {
        Some(_) => UserId::parse(&message.sender_id).map_err(ApiError::internal)?,
        None => caller.clone(),
    };
    match refusal(&message, &sender, None) {
        Some(ApiError::Conflict { .. }) => return Ok(message),
        Some(refused) => return Err(refused),
        None => {}
    }
    let Some(deleted) = delete_message(db, id, &sender, moderator).await? else {
        // Deleted in between by another request of the sender's: the same outcome.
        return visible_message(db, caller, id).await;
    };
    let payload = new_message_payload(&deleted, publisher.max_event_bytes());
    let channels = audience(db, &conversation_of(&deleted)?, caller).await?;
    publisher
        .enqueue(db, &[Effect::MessageWebhook { event: WebhookType::MessageDeleted, message_id: deleted.id.clone() }])
        .await?;
    publisher.publish(Event::new("message-deleted", channels, payload).except(except));
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_edit_window_is_open_until_exactly_its_length_after_sending() {
        let sent = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap().naive_utc();
        let at = |ms: i64| sent + chrono::Duration::milliseconds(ms);
        let window = Duration::from_secs(900);
        assert!(edit_window_open(sent, window, at(0)));
        assert!(edit_window_open(sent, window, at(899_999)));
        assert!(!edit_window_open(sent, window, at(900_000)), "closed at the boundary");
        assert!(!edit_window_open(sent, window, at(900_001)));
        assert!(!edit_window_open(sent, Duration::ZERO, at(0)), "a zero window never opens");
        assert!(edit_window_open(sent, Duration::MAX, at(0)), "a window too long for a date stays open");
        assert!(edit_window_open(sent, Duration::from_secs(u64::MAX / 2), at(1)));
    }
}
