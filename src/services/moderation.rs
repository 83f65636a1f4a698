//! Moderation of message text before it is stored (sends and edits): the blocklist
//! (`MODERATION_BLOCKLIST_FILE`) refuses or masks, then the before-send webhook
//! (`MODERATION_WEBHOOK_URL`) may allow, reject or replace the text within a hard time budget,
//! failing open or closed as configured. The webhook's time goes into the request's log line.

use super::webhook_delivery::{signature_header, SIGNATURE_HEADER};
use crate::config::{BlocklistAction, FailMode, ModerationWebhookConfig};
use crate::context::AppContext;
use crate::domain::{ConversationKey, MessageContent, UserId};
use crate::error::ApiError;
use serde::Deserialize;
use serde_json::json;
use std::cell::Cell;
use std::time::{Duration, Instant};

tokio::task_local! {
    /// Time the request running on this task spent waiting for the moderation webhook.
    static MODERATION_TIME: Cell<Option<Duration>>;
}

/// Runs `work` and reports how long its webhook calls took (`None`: it made none).
pub async fn measuring<F: std::future::Future>(work: F) -> (F::Output, Option<Duration>) {
    MODERATION_TIME
        .scope(Cell::new(None), async {
            let output = work.await;
            (output, MODERATION_TIME.with(Cell::get))
        })
        .await
}

fn add_time(spent: Duration) {
    let _ = MODERATION_TIME.try_with(|time| time.set(Some(time.get().unwrap_or_default() + spent)));
}

/// Whether a text is a new message or an edit, for the webhook.
#[derive(Debug, Clone, Copy)]
pub enum Action {
    Send,
    Edit,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Self::Send => "send",
            Self::Edit => "edit",
        }
    }
}

/// What the text may be stored as, or why not: 422 `content_blocked` (blocklist),
/// 422 `content_rejected` (webhook), 503 `moderation_unavailable` (webhook down, fail-closed).
pub async fn moderate(
    ctx: &AppContext,
    sender: &UserId,
    conversation: Option<&ConversationKey>,
    action: Action,
    content: MessageContent,
) -> Result<MessageContent, ApiError> {
    if content.as_str().is_empty() {
        return Ok(content);
    }
    let mut content = content;
    if let Some(blocklist) = &ctx.config.safety.blocklist {
        if blocklist.list.matches(content.as_str()) {
            content = match blocklist.action {
                BlocklistAction::Reject => {
                    return Err(ApiError::unprocessable(
                        "content_blocked",
                        "the message contains words this chat does not allow",
                    ))
                }
                BlocklistAction::Mask => MessageContent::parse(&blocklist.list.mask(content.as_str()))?,
            };
        }
    }
    let Some(hook) = &ctx.config.safety.webhook else {
        return Ok(content);
    };
    let started = Instant::now();
    let verdict = ask(ctx, hook, sender, conversation, action, &content).await;
    add_time(started.elapsed());
    match verdict {
        Ok(Verdict::Allow) => Ok(content),
        Ok(Verdict::Reject) => {
            Err(ApiError::unprocessable("content_rejected", "the message was refused by this chat's moderation"))
        }
        Ok(Verdict::Replace(text)) => Ok(text),
        Err(problem) => {
            tracing::warn!(%problem, fail = ?hook.fail, "moderation webhook failed");
            match hook.fail {
                FailMode::Open => Ok(content),
                FailMode::Closed => Err(ApiError::Disabled {
                    code: "moderation_unavailable",
                    message: "moderation is unavailable; try again shortly".into(),
                }),
            }
        }
    }
}

#[derive(Debug, PartialEq)]
enum Verdict {
    Allow,
    Reject,
    Replace(MessageContent),
}

#[derive(Deserialize)]
struct Answer {
    action: String,
    content: Option<String>,
}

/// The webhook's verdict, or why there is none (unreachable, too slow, not 2xx, not understood).
async fn ask(
    ctx: &AppContext,
    hook: &ModerationWebhookConfig,
    sender: &UserId,
    conversation: Option<&ConversationKey>,
    action: Action,
    content: &MessageContent,
) -> Result<Verdict, String> {
    let body = json!({
        "type": "message.check",
        "action": action.as_str(),
        "senderId": sender,
        "conversationId": conversation.map(ToString::to_string),
        "content": content.as_str(),
    })
    .to_string();
    let signature = signature_header(hook.secret.expose().as_bytes(), chrono::Utc::now().timestamp(), &body);
    let call = async {
        let response = ctx
            .outbound
            .post(hook.url.clone())
            .timeout(hook.timeout)
            .header("content-type", "application/json")
            .header(SIGNATURE_HEADER, signature)
            .body(body)
            .send()
            .await
            .map_err(|err| format!("could not reach the webhook: {}", err.without_url()))?;
        if !response.status().is_success() {
            return Err(format!("the webhook answered {}", response.status().as_u16()));
        }
        let bytes = response.bytes().await.map_err(|err| format!("the answer broke off: {}", err.without_url()))?;
        verdict(&bytes)
    };
    // The whole exchange, body included, within the budget.
    tokio::time::timeout(hook.timeout, call)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {} ms", hook.timeout.as_millis())))
}

/// `{"action": "allow" | "reject" | "replace", "content"?}`.
fn verdict(body: &[u8]) -> Result<Verdict, String> {
    let answer: Answer = serde_json::from_slice(body).map_err(|_| "the answer is not {\"action\": …}".to_owned())?;
    match (answer.action.as_str(), answer.content) {
        ("allow", _) => Ok(Verdict::Allow),
        ("reject", _) => Ok(Verdict::Reject),
        ("replace", Some(text)) => MessageContent::parse(&text)
            .map(Verdict::Replace)
            .map_err(|invalid| format!("the replacement is not a valid message: {invalid}")),
        ("replace", None) => Err("a replace without content".into()),
        (other, _) => Err(format!("unknown action {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_webhook_time_is_reported_only_for_requests_that_asked_it() {
        let ((), none) = measuring(async {}).await;
        assert_eq!(none, None);
        let ((), some) = measuring(async {
            add_time(Duration::from_millis(5));
            add_time(Duration::from_millis(7));
        })
        .await;
        assert_eq!(some, Some(Duration::from_millis(12)));
        add_time(Duration::from_millis(1)); // outside a request: nothing to add to, and no panic
    }

    #[test]
    fn the_webhook_answer_allows_rejects_or_replaces() {
        assert_eq!(verdict(br#"{"action":"allow"}"#), Ok(Verdict::Allow));
        assert_eq!(verdict(br#"{"action":"reject","reason":"spam"}"#), Ok(Verdict::Reject));
        assert_eq!(
            verdict(br#"{"action":"replace","content":"[removed]"}"#),
            Ok(Verdict::Replace(MessageContent::parse("[removed]").unwrap()))
        );
        for bad in [
            &br#"{"action":"replace"}"#[..],
            br#"{"action":"replace","content":"  "}"#,
            b"ok",
            br#"{"action":"maybe"}"#,
        ] {
            assert!(verdict(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
