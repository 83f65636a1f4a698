//! Per-conversation mutes (`"ConversationMute"`, V14): a muted conversation never pushes.

use super::timed;
use crate::domain::{ConversationKey, Timestamp, UserId};
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

/// Mutes a conversation for the user until `until` (`None`: until unmuted); again replaces the end.
pub async fn mute(
    client: &impl GenericClient,
    user: &UserId,
    conversation: &ConversationKey,
    until: Option<Timestamp>,
) -> Result<(), tokio_postgres::Error> {
    timed(client.execute_typed(
        r#"INSERT INTO "ConversationMute" ("userId", "chatId", "until") VALUES ($1, $2, $3)
           ON CONFLICT ("userId", "chatId") DO UPDATE SET "until" = EXCLUDED."until""#,
        &[
            (&user.as_str(), Type::TEXT),
            (&conversation.to_string(), Type::TEXT),
            (&until.map(Timestamp::naive), Type::TIMESTAMP),
        ],
    ))
    .await?;
    Ok(())
}

/// Unmutes; whether it was muted.
pub async fn unmute(
    client: &impl GenericClient,
    user: &UserId,
    conversation: &ConversationKey,
) -> Result<bool, tokio_postgres::Error> {
    let deleted = timed(client.execute_typed(
        r#"DELETE FROM "ConversationMute" WHERE "userId" = $1 AND "chatId" = $2"#,
        &[(&user.as_str(), Type::TEXT), (&conversation.to_string(), Type::TEXT)],
    ))
    .await?;
    Ok(deleted > 0)
}
