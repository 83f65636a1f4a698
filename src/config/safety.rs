//! Trust and safety: who is an operator besides `ADMIN_USER_IDS` (`ADMIN_ROLE_CLAIM`), how many
//! reports a user may file (`RATE_LIMIT_REPORTS_PER_HOUR`), and the optional moderation of
//! message text: a blocklist (`MODERATION_BLOCKLIST_FILE`, `MODERATION_BLOCKLIST_ACTION`) and a
//! before-send webhook (`MODERATION_WEBHOOK_URL`, `MODERATION_WEBHOOK_SECRET`,
//! `MODERATION_WEBHOOK_TIMEOUT_MS`, `MODERATION_WEBHOOK_FAIL`, `MODERATION_WEBHOOK_ALLOW_HTTP`).

use super::env::{ConfigError, Env};
use super::webhooks::{signed_endpoint, EndpointVars};
use super::Secret;
use crate::domain::Blocklist;
use std::time::Duration;

/// The webhook runs inside a send, which has the request's 10 s: more than this would eat it.
const MAX_WEBHOOK_TIMEOUT_MS: u32 = 5_000;

#[derive(Debug, Clone)]
pub struct SafetyConfig {
    /// Callers whose token carries `app_metadata.role` equal to this are operators too.
    pub admin_role_claim: Option<String>,
    pub reports_per_hour: u32,
    pub blocklist: Option<BlocklistConfig>,
    pub webhook: Option<ModerationWebhookConfig>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlocklistAction {
    /// Refuse the send or edit with 422 `content_blocked`.
    Reject,
    /// Store the text with every match replaced by `*`.
    Mask,
}

#[derive(Debug, Clone)]
pub struct BlocklistConfig {
    pub list: Blocklist,
    pub action: BlocklistAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailMode {
    /// The webhook's silence or error lets the text through as written.
    Open,
    /// ... refuses it (503 `moderation_unavailable`).
    Closed,
}

#[derive(Debug, Clone)]
pub struct ModerationWebhookConfig {
    pub url: url::Url,
    pub secret: Secret,
    pub timeout: Duration,
    pub fail: FailMode,
}

impl SafetyConfig {
    pub(super) fn read(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            admin_role_claim: env.optional("ADMIN_ROLE_CLAIM"),
            reports_per_hour: env.at_least_one("RATE_LIMIT_REPORTS_PER_HOUR", 20)?,
            blocklist: read_blocklist(env)?,
            webhook: read_webhook(env)?,
        })
    }
}

fn read_blocklist(env: &Env) -> Result<Option<BlocklistConfig>, ConfigError> {
    let action = match env.optional("MODERATION_BLOCKLIST_ACTION").as_deref() {
        None | Some("reject") => BlocklistAction::Reject,
        Some("mask") => BlocklistAction::Mask,
        Some(_) => return Err(ConfigError::new("MODERATION_BLOCKLIST_ACTION", "must be reject or mask")),
    };
    let Some(path) = env.optional("MODERATION_BLOCKLIST_FILE") else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|err| ConfigError::new("MODERATION_BLOCKLIST_FILE", format!("cannot read {path}: {err}")))?;
    let list = Blocklist::parse(&text).map_err(|problem| ConfigError::new("MODERATION_BLOCKLIST_FILE", problem))?;
    Ok(Some(BlocklistConfig { list, action }))
}

fn read_webhook(env: &Env) -> Result<Option<ModerationWebhookConfig>, ConfigError> {
    let Some((url, secret)) = signed_endpoint(
        env,
        EndpointVars {
            url: "MODERATION_WEBHOOK_URL",
            secret: "MODERATION_WEBHOOK_SECRET",
            allow_http: "MODERATION_WEBHOOK_ALLOW_HTTP",
        },
    )?
    else {
        return Ok(None);
    };
    // The answer decides a send: a URL that differs from what is called only after a `#` is refused.
    if url.fragment().is_some() {
        return Err(ConfigError::new("MODERATION_WEBHOOK_URL", "must not have a #fragment"));
    }
    let timeout_ms = env.at_least_one("MODERATION_WEBHOOK_TIMEOUT_MS", 1_500)?;
    if timeout_ms > MAX_WEBHOOK_TIMEOUT_MS {
        return Err(ConfigError::new(
            "MODERATION_WEBHOOK_TIMEOUT_MS",
            format!("must be at most {MAX_WEBHOOK_TIMEOUT_MS} (it runs inside a send)"),
        ));
    }
    let fail = match env.optional("MODERATION_WEBHOOK_FAIL").as_deref() {
        None | Some("open") => FailMode::Open,
        Some("closed") => FailMode::Closed,
        Some(_) => return Err(ConfigError::new("MODERATION_WEBHOOK_FAIL", "must be open or closed")),
    };
    Ok(Some(ModerationWebhookConfig { url, secret, timeout: Duration::from_millis(timeout_ms.into()), fail }))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{base, load};
    use super::*;

    #[test]
    fn moderation_is_off_and_reports_are_20_an_hour_by_default() {
        let safety = load(&base()).unwrap().safety;
        assert!(safety.blocklist.is_none() && safety.webhook.is_none() && safety.admin_role_claim.is_none());
        assert_eq!(safety.reports_per_hour, 20);
    }

    #[test]
    fn the_blocklist_file_is_read_at_start_and_a_bad_one_is_named() {
        let dir = std::env::temp_dir().join(format!("blocklist-{}", uuid::Uuid::new_v4()));
        std::fs::write(&dir, "darn\n").unwrap();
        let path: &'static str = Box::leak(dir.to_string_lossy().into_owned().into_boxed_str());
        let mut vars = base();
        vars.insert("MODERATION_BLOCKLIST_FILE", path);
        let list = load(&vars).unwrap().safety.blocklist.unwrap();
        assert_eq!((list.action, list.list.entries()), (BlocklistAction::Reject, 1));
        vars.insert("MODERATION_BLOCKLIST_ACTION", "mask");
        assert_eq!(load(&vars).unwrap().safety.blocklist.unwrap().action, BlocklistAction::Mask);
        vars.insert("MODERATION_BLOCKLIST_ACTION", "drop");
        assert_eq!(load(&vars).unwrap_err().variable, "MODERATION_BLOCKLIST_ACTION");
        vars.remove("MODERATION_BLOCKLIST_ACTION");
        vars.insert("MODERATION_BLOCKLIST_FILE", "/nonexistent/blocklist.txt");
        assert_eq!(load(&vars).unwrap_err().variable, "MODERATION_BLOCKLIST_FILE");
        std::fs::remove_file(dir).unwrap();
    }

    #[test]
    fn the_webhook_needs_an_https_url_a_long_secret_and_a_short_budget() {
        let mut vars = base();
        vars.insert("MODERATION_WEBHOOK_URL", "https://mod.example/check");
        assert_eq!(load(&vars).unwrap_err().variable, "MODERATION_WEBHOOK_SECRET");
        vars.insert("MODERATION_WEBHOOK_SECRET", "short");
        assert_eq!(load(&vars).unwrap_err().variable, "MODERATION_WEBHOOK_SECRET");
        vars.insert("MODERATION_WEBHOOK_SECRET", "modsec-0123456789abcdef");
        let hook = load(&vars).unwrap().safety.webhook.unwrap();
        assert_eq!((hook.timeout, hook.fail), (Duration::from_millis(1_500), FailMode::Open));
        assert!(!format!("{hook:?}").contains("modsec"));
        for (name, value) in [
            ("MODERATION_WEBHOOK_TIMEOUT_MS", "6000"),
            ("MODERATION_WEBHOOK_FAIL", "sometimes"),
            ("MODERATION_WEBHOOK_URL", "http://mod.example/check"),
            ("MODERATION_WEBHOOK_URL", "https://user:pw@mod.example/check"),
            ("MODERATION_WEBHOOK_URL", "ftp://mod.example/check"),
            ("MODERATION_WEBHOOK_URL", "not a url"),
        ] {
            let mut bad = vars.clone();
            bad.insert(name, value);
            assert_eq!(load(&bad).unwrap_err().variable, name, "{name}={value}");
        }
        vars.insert("MODERATION_WEBHOOK_URL", "http://127.0.0.1:9/check");
        vars.insert("MODERATION_WEBHOOK_ALLOW_HTTP", "true");
        vars.insert("MODERATION_WEBHOOK_FAIL", "closed");
        assert_eq!(load(&vars).unwrap().safety.webhook.unwrap().fail, FailMode::Closed);
        let mut secret_only = base();
        secret_only.insert("MODERATION_WEBHOOK_SECRET", "modsec-0123456789abcdef");
        assert_eq!(load(&secret_only).unwrap_err().variable, "MODERATION_WEBHOOK_URL");
    }
}
