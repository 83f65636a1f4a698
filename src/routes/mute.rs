//! `/api/conversations/mute`: `PUT {conversationId, until?}` mutes a conversation for the caller
//! (no push for it), `DELETE` (same body, or `?conversationId=`) unmutes it.

use super::{Answer, Call};
use crate::auth::AuthUser;
use crate::domain::Timestamp;
use crate::http::ok_json;
use crate::services::conversations::{Target, TargetFields};
use crate::services::mutes::{self, mute_end};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MuteBody {
    conversation_id: Option<String>,
    chat_id: Option<String>,
    room_id: Option<String>,
    until: Option<String>,
}

impl MuteBody {
    fn target(&self) -> Result<Target, crate::domain::Invalid> {
        Target::from_fields(TargetFields {
            chat_id: self.chat_id.as_deref(),
            room_id: self.room_id.as_deref(),
            conversation_id: self.conversation_id.as_deref(),
        })
    }
}

pub async fn put(call: Call, caller: AuthUser) -> Answer {
    let body: MuteBody = call.request.json()?;
    let target = body.target()?;
    let until = mute_end(body.until.as_deref(), Timestamp::now())?;
    let db = call.db().await?;
    ok_json(&mutes::mute(&**db, &caller.id, &target, until).await?)
}

pub async fn delete(call: Call, caller: AuthUser) -> Answer {
    // The body, or the query when there is none (DELETE bodies are dropped by some clients).
    let body: MuteBody = match call.request.body.is_empty() {
        true => call.request.query()?,
        false => call.request.json()?,
    };
    if body.until.is_some() {
        return Err(crate::domain::Invalid::new("invalid_body", "an unmute takes no until").into());
    }
    let target = body.target()?;
    let db = call.db().await?;
    ok_json(&mutes::unmute(&**db, &caller.id, &target).await?)
}
