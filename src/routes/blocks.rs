//! `/api/blocks`: `PUT ?userId=&kind=block|mute` blocks (or mutes) a user for the caller, `DELETE`
//! with the same query takes it back, `GET` lists whom the caller blocked and muted.

use super::{Answer, Call};
use crate::auth::AuthUser;
use crate::db::safety::{self as db, Relation};
use crate::db::violated_constraint;
use crate::domain::{Invalid, UserId};
use crate::error::ApiError;
use crate::http::ok_json;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct BlockQuery {
    user_id: Option<String>,
    kind: Option<String>,
}

impl BlockQuery {
    fn parse(&self, caller: &AuthUser) -> Result<(UserId, Relation), Invalid> {
        let other = UserId::from_field(self.user_id.as_deref(), "userId")?;
        if other == caller.id {
            return Err(Invalid::new("cannot_block_self", "you cannot block or mute yourself"));
        }
        let relation = match self.kind.as_deref() {
            None | Some("block") => Relation::Block,
            Some("mute") => Relation::Mute,
            Some(_) => return Err(Invalid::new("invalid_query", "kind must be block or mute")),
        };
        Ok((other, relation))
    }
}

/// `PUT` → 200 `{userId, kind, created}` (`created: false` when it was already so).
pub async fn put(call: Call, caller: AuthUser) -> Answer {
    let (other, relation) = call.request.query::<BlockQuery>()?.parse(&caller)?;
    let db = call.db().await?;
    let created = match db::add_relation(&**db, &caller.id, &other, relation).await {
        Ok(created) => created,
        Err(err) => match violated_constraint(&err) {
            Some("UserBlock_blockedId_fkey") => return Err(ApiError::NotFound),
            Some("UserBlock_userId_fkey") => {
                return Err(ApiError::forbidden("profile_required", "create your User row first"))
            }
            _ => return Err(err.into()),
        },
    };
    // A block ends what the blocked user's open connections still hear of the caller (their
    // presence channel): they reconnect, and each channel is authorized anew.
    if relation == Relation::Block && created {
        call.publisher.revoke_realtime_access_after_commit(&other);
    }
    ok_json(&json!({"userId": other, "kind": relation.as_str(), "created": created}))
}

/// `DELETE` → 200 `{userId, kind, removed}`.
pub async fn delete(call: Call, caller: AuthUser) -> Answer {
    let (other, relation) = call.request.query::<BlockQuery>()?.parse(&caller)?;
    let db = call.db().await?;
    let removed = db::remove_relation(&**db, &caller.id, &other, relation).await?;
    ok_json(&json!({"userId": other, "kind": relation.as_str(), "removed": removed}))
}

/// `GET` → 200 `{blocks: [...], mutes: [...]}`, each `{userId, kind, createdAt, firstName, lastName, avatar}`.
pub async fn get(call: Call, caller: AuthUser) -> Answer {
    let db = call.db().await?;
    let all = db::relations_of(&**db, &caller.id).await?;
    let (blocks, mutes): (Vec<Value>, Vec<Value>) = all.into_iter().partition(|item| item["kind"] == "block");
    ok_json(&json!({"blocks": blocks, "mutes": mutes}))
}
