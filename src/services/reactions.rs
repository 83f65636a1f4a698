//! Emoji reactions on messages: a participant adds or removes theirs (one per emoji), the
//! conversation hears `reaction-added` / `reaction-removed`, and the change counter moves so clients
//! that were away learn of it through `changedAfter=`.

use super::message_actions::visible_message;
use super::outbox::{Effect, WebhookType};
use super::{Event, Publisher};
use crate::db::rate_limit::{take, Bucket};
use crate::db::reactions::{add_reaction, reactions_of_user, reactions_on, remove_reaction, Reaction};
use crate::db::violated_constraint;
use crate::domain::{ConversationKey, Emoji, MessageId, SocketId, UserId};
use crate::error::ApiError;
use serde::Serialize;
use serde_json::json;
use tokio_postgres::GenericClient;

/// Different emoji one user may put on one message.
pub const MAX_EMOJI_PER_USER: i64 = 20;

/// Adding or removing one reaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Add,
    Remove,
}

/// One user's emoji on one message, to add or remove.
#[derive(Debug, Clone, Copy)]
pub struct ReactionChange<'a> {
    pub message: &'a MessageId,
    pub emoji: &'a Emoji,
    pub change: Change,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reacted {
    pub message_id: String,
    pub emoji: String,
    /// Whether this call changed anything (`false`: the reaction was already there, or not).
    pub changed: bool,
    /// The message's reactions afterwards, as the caller sees them.
    pub reactions: Vec<Reaction>,
}

/// Adds or removes the caller's `emoji` on a message they can see (404 otherwise; 409 when it is
/// deleted), within the caller's reaction limit (429).
pub async fn react(
    db: &impl GenericClient,
    publisher: &Publisher,
    limit: Bucket,
    caller: &UserId,
    request: ReactionChange<'_>,
    except: Option<SocketId>,
) -> Result<Reacted, ApiError> {
    let ReactionChange { message: id, emoji, change } = request;
    let message = visible_message(db, caller, id).await?;
    if message.deleted_at.is_some() {
        return Err(ApiError::conflict("message_deleted", "the message was deleted"));
    }
    if let Err(retry_after_secs) = take(db, &format!("react:{caller}"), limit).await? {
        return Err(ApiError::TooManyRequests { retry_after_secs });
    }
    let changed = match change {
        Change::Add => add_reaction(db, id, caller, emoji, MAX_EMOJI_PER_USER).await,
        Change::Remove => remove_reaction(db, id, caller, emoji).await,
    };
    let change_seq = match changed {
        Ok(change_seq) => change_seq,
        Err(err) if violated_constraint(&err) == Some("MessageReaction_userId_fkey") => {
            return Err(ApiError::forbidden("profile_required", "create the caller's User row before reacting"))
        }
        Err(err) => return Err(err.into()),
    };
    let reactions =
        reactions_on(db, std::slice::from_ref(&message.id), caller).await?.remove(&message.id).unwrap_or_default();
    let mine = reactions.iter().any(|r| r.emoji == emoji.as_str() && r.mine);
    if change == Change::Add && change_seq.is_none() && !mine {
        // Not added and not there: the caller's emoji on it are at the cap, or it was deleted since.
        return Err(match reactions_of_user(db, id, caller).await? {
            n if n >= MAX_EMOJI_PER_USER => ApiError::unprocessable(
                "too_many_reactions",
                format!("one user may react with at most {MAX_EMOJI_PER_USER} different emoji to a message"),
            ),
            _ => ApiError::conflict("message_deleted", "the message was deleted"),
        });
    }
    if let Some(change_seq) = change_seq {
        let conversation = ConversationKey::parse(&message.conversation_id).map_err(ApiError::internal)?;
        let count = reactions.iter().find(|r| r.emoji == emoji.as_str()).map_or(0, |r| r.count);
        let (name, webhook) = match change {
            Change::Add => ("reaction-added", WebhookType::ReactionAdded),
            Change::Remove => ("reaction-removed", WebhookType::ReactionRemoved),
        };
        let data = json!({
            "messageId": message.id,
            "conversationId": conversation,
            "chatId": conversation,
            "seq": message.seq,
            "emoji": emoji.as_str(),
            "userId": caller,
            "count": count,
            "changeSeq": change_seq,
        });
        publisher.enqueue(db, &[Effect::Webhook { event: webhook, data: data.clone() }]).await?;
        publisher.publish(Event::new(name, vec![conversation.channel()], data).except(except));
    }
    Ok(Reacted { message_id: message.id, emoji: emoji.as_str().to_owned(), changed: change_seq.is_some(), reactions })
}
