//! Searching the caller's own messages.

use super::messages::with_reactions;
use crate::db::messages::Message;
use crate::db::search::search_messages;
use crate::domain::{SearchQuery, UserId};
use crate::error::ApiError;
use serde::Serialize;
use tokio_postgres::GenericClient;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchResults {
    /// The words searched for, as matched (lower-cased prefixes).
    pub words: Vec<String>,
    /// Newest first; each names its `conversationId` and `seq`, so a client can open it there.
    pub messages: Vec<Message>,
    pub has_more: bool,
}

/// The newest messages matching `query` in chats the reader is in and rooms they are a member of.
pub async fn search(
    db: &impl GenericClient,
    reader: &UserId,
    query: &SearchQuery,
    limit: i64,
) -> Result<SearchResults, ApiError> {
    let (mut messages, has_more) = search_messages(db, reader, query, limit).await?;
    with_reactions(db, reader, &mut messages).await?;
    Ok(SearchResults { words: query.words().to_vec(), messages, has_more })
}
