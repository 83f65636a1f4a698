//! The durable outbox of side effects (webhooks, Web Push): `OUTBOX_*`. How long a failing
//! delivery is retried, how retries back off, and how much one drain may do.

use super::env::{ConfigError, Env};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct OutboxConfig {
    /// A row still failing this long after it was written is given up on (kept, `gaveUpAt` set).
    pub max_age: Duration,
    /// The wait after a first failed attempt; each further failure doubles it, up to 256 times it.
    pub retry_base: Duration,
    /// Rows one drain call delivers at most.
    pub drain_batch: u32,
    /// Time one drain call may take; it claims no more rows after it.
    pub drain_budget: Duration,
    /// How often the `server` binary drains in the background (0: never; Vercel uses `/api/cron`).
    pub drain_interval: Duration,
    /// Due retries a request delivers after its own rows, so retries go on between cron runs.
    pub piggyback_rows: u32,
}

impl OutboxConfig {
    pub(super) fn read(env: &Env) -> Result<Self, ConfigError> {
        let retry_base_ms: u64 = env.parsed("OUTBOX_RETRY_BASE_MS", 2_000)?;
        if retry_base_ms == 0 {
            return Err(ConfigError::new("OUTBOX_RETRY_BASE_MS", "must be at least 1"));
        }
        Ok(Self {
            max_age: Duration::from_secs(env.at_least_one("OUTBOX_MAX_AGE_SECS", 86_400)?.into()),
            retry_base: Duration::from_millis(retry_base_ms),
            drain_batch: env.at_least_one("OUTBOX_DRAIN_BATCH", 200)?,
            drain_budget: Duration::from_millis(env.at_least_one("OUTBOX_DRAIN_BUDGET_MS", 5_000)?.into()),
            drain_interval: Duration::from_millis(env.parsed("OUTBOX_DRAIN_INTERVAL_MS", 5_000u64)?),
            piggyback_rows: env.parsed("OUTBOX_PIGGYBACK_ROWS", 10u32)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{base, load};
    use std::time::Duration;

    #[test]
    fn the_outbox_retries_for_a_day_unless_set() {
        let outbox = load(&base()).unwrap().outbox;
        assert_eq!(outbox.max_age, Duration::from_secs(86_400));
        assert_eq!(outbox.retry_base, Duration::from_secs(2));
        assert_eq!((outbox.drain_batch, outbox.piggyback_rows), (200, 10));
        assert_eq!((outbox.drain_budget, outbox.drain_interval), (Duration::from_secs(5), Duration::from_secs(5)));
        let mut vars = base();
        vars.insert("OUTBOX_MAX_AGE_SECS", "60");
        vars.insert("OUTBOX_DRAIN_INTERVAL_MS", "0");
        let outbox = load(&vars).unwrap().outbox;
        assert_eq!((outbox.max_age, outbox.drain_interval), (Duration::from_secs(60), Duration::ZERO));
        for (name, bad) in [("OUTBOX_MAX_AGE_SECS", "0"), ("OUTBOX_RETRY_BASE_MS", "0"), ("OUTBOX_DRAIN_BATCH", "x")] {
            let mut vars = base();
            vars.insert(name, bad);
            assert_eq!(load(&vars).unwrap_err().variable, name);
        }
    }
}
