//! Trust and safety rules: blocks refuse a blocked user's sends, typing and reactions in the
//! blocker's 1:1 chat (one generic 403, [`refused`], that does not say why) and hide their room
//! messages from the blocker; operators (`ADMIN_USER_IDS` or the `ADMIN_ROLE_CLAIM` role) and
//! app-wide bans, checked in the authentication path through a short per-instance cache.

use super::moderation::Action;
use crate::auth::AuthUser;
use crate::context::AppContext;
use crate::db::messages::Message;
use crate::db::safety as db;
use crate::domain::{ConversationKey, UserId};
use crate::error::ApiError;
use tokio_postgres::GenericClient;

/// The one answer to a blocked user's send, typing, reaction or presence subscription: the same
/// code on every path, and one that does not say the other side blocked them.
pub fn refused() -> ApiError {
    ApiError::forbidden("not_allowed", "this action is not allowed")
}

/// Refuses `actor` when `conversation` is a 1:1 chat whose other participant blocked them.
pub async fn refuse_if_blocked(
    client: &impl GenericClient,
    actor: &UserId,
    conversation: &ConversationKey,
) -> Result<(), ApiError> {
    match conversation.other_participant(actor) {
        Some(other) if db::has_blocked(client, other, actor).await? => Err(refused()),
        _ => Ok(()),
    }
}

/// Refuses `actor` when `message` is in a 1:1 chat whose other participant blocked them.
pub async fn refuse_if_blocked_on_message(
    client: &impl GenericClient,
    actor: &UserId,
    message: &crate::domain::MessageId,
) -> Result<(), ApiError> {
    match db::blocked_in_chat_of(client, actor, message.as_str()).await? {
        true => Err(refused()),
        false => Ok(()),
    }
}

/// Refuses when either of two users blocked the other (presence is hidden both ways).
pub async fn refuse_if_blocked_either_way(client: &impl GenericClient, a: &UserId, b: &UserId) -> Result<(), ApiError> {
    match a != b && db::blocked_either_way(client, a, b).await? {
        true => Err(refused()),
        false => Ok(()),
    }
}

/// Takes the room messages of users `reader` blocked out of a page (1:1 history stays as it is:
/// a blocked user can no longer add to it).
pub async fn hide_blocked(
    client: &impl GenericClient,
    reader: &UserId,
    messages: &mut Vec<Message>,
) -> Result<(), ApiError> {
    if messages.iter().all(|m| m.room_id.is_none()) {
        return Ok(());
    }
    let blocked = db::blocked_ids(client, reader).await?;
    if !blocked.is_empty() {
        messages.retain(|m| m.room_id.is_none() || !blocked.contains(&m.sender_id));
    }
    Ok(())
}

/// Whether the caller is an operator: listed in `ADMIN_USER_IDS`, or their token's
/// `app_metadata.role` is `ADMIN_ROLE_CLAIM` (Supabase sets `app_metadata` from the server side
/// only, so a user cannot give it to themselves).
pub fn is_operator(ctx: &AppContext, caller: &AuthUser) -> bool {
    ctx.config.privacy.is_admin(&caller.id)
        || matches!((&ctx.config.safety.admin_role_claim, &caller.app_role), (Some(want), Some(has)) if want == has)
}

/// 403 unless the caller is an operator.
pub fn require_operator(ctx: &AppContext, caller: &AuthUser) -> Result<(), ApiError> {
    match is_operator(ctx, caller) {
        true => Ok(()),
        false => Err(ApiError::forbidden("not_an_admin", "only an operator may do this")),
    }
}

/// 403 `account_suspended` for a banned caller, on every authenticated route.
pub async fn refuse_banned(ctx: &AppContext, caller: &UserId) -> Result<(), ApiError> {
    let banned = match ctx.bans.lookup(caller) {
        Some(banned) => banned,
        None => {
            let banned = db::is_banned(&**ctx.db().await?, caller).await?;
            ctx.bans.remember(caller, banned);
            banned
        }
    };
    match banned {
        true => Err(ApiError::forbidden("account_suspended", "this account is suspended")),
        false => Ok(()),
    }
}

/// Everything a send must pass before it is stored: refused in a 1:1 chat whose other side
/// blocked the sender, then the text moderated (which may mask or replace it).
pub async fn screen_send(
    ctx: &AppContext,
    client: &impl GenericClient,
    sender: &UserId,
    conversation: &ConversationKey,
    mut draft: crate::domain::Draft,
) -> Result<crate::domain::Draft, ApiError> {
    refuse_if_blocked(client, sender, conversation).await?;
    draft.content = super::moderation::moderate(ctx, sender, Some(conversation), Action::Send, draft.content).await?;
    Ok(draft)
}

/// Records an operator action taken outside a transaction of its own (an erase on someone's behalf).
pub async fn record(ctx: &AppContext, admin: &UserId, action: &str, target: (&str, &str)) -> Result<(), ApiError> {
    db::audit(&**ctx.db().await?, admin, action, target, &serde_json::json!({})).await?;
    Ok(())
}
