//! Publishing after the response: the one way events reach Pusher. A publish that fails for a
//! passing reason (no connection, a timeout, Pusher answering 5xx or 429) is retried with backoff
//! within [`PUBLISH_BUDGET`]; each publish logs one line (event, channels, attempts, outcome,
//! milliseconds) in the span of the request that caused it. A failed publish never fails that
//! request: clients recover through sync.
//!
//! The publisher also carries the request's outbox rows (side effects that must not be lost,
//! see [`super::outbox`]). Publishes and outbox deliveries wait until the handler has answered
//! successfully ([`Publisher::flush`], called by the adapter): a handler that fails, or times
//! out, rolls its transaction back and announces nothing.

use super::outbox::{self, Effect};
use super::realtime_access::revoke_realtime_access;
use crate::context::AppContext;
use crate::domain::{ChannelName, SocketId, UserId};
use crate::error::ApiError;
use crate::http::log_ms;
use crate::pusher::client::{event_data, MAX_EVENT_DATA_BYTES};
use crate::pusher::encryption::max_plain_len;
use crate::pusher::{BatchEvent, PusherClient, PusherError};
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_postgres::GenericClient;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

/// Waits before the second and third attempt of a publish.
const RETRY_DELAYS: [Duration; 2] = [Duration::from_millis(250), Duration::from_millis(1000)];

/// No retry starts after this long: with `PUSHER_TIMEOUT_MS` per attempt, a publish ends well
/// within a function's `maxDuration` (10 s) after a request that used its own deadline.
pub const PUBLISH_BUDGET: Duration = Duration::from_secs(6);

/// Runs `attempt` until it succeeds, fails for good, or the budget is spent; returns the last
/// outcome and the number of attempts.
pub async fn with_retries<T, F, Fut>(mut attempt: F) -> (Result<T, PusherError>, usize)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, PusherError>>,
{
    let started = tokio::time::Instant::now();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let outcome = attempt().await;
        let delay = match &outcome {
            Err(err) if err.is_transient() => RETRY_DELAYS.get(attempts - 1).copied(),
            _ => None,
        };
        match delay {
            Some(delay) if started.elapsed() + delay < PUBLISH_BUDGET => tokio::time::sleep(delay).await,
            _ => return (outcome, attempts),
        }
    }
}

/// One log line per publish, at warn when the event did not go out.
fn log_outcome<T>(event: &str, channels: usize, outcome: &Result<T, PusherError>, attempts: usize, started: Instant) {
    let ms = log_ms(started.elapsed());
    match outcome {
        Ok(_) => tracing::info!(event, channels, attempts, ms, outcome = "published", "publish"),
        Err(err) => tracing::warn!(event, channels, attempts, ms, outcome = "failed", %err, "publish"),
    }
}

/// Where work that outlives the response runs.
#[derive(Clone)]
pub enum Background {
    /// On Vercel the instance stays alive until the work ends (`waitUntil`).
    Vercel(vercel_runtime::AppState),
    /// In a long-running server, a task the server joins before it exits, so a shutdown loses
    /// no event.
    Tracked(TaskTracker),
}

impl Background {
    pub fn spawn<F: Future<Output = ()> + Send + 'static>(&self, work: F) {
        match self {
            Self::Vercel(state) => state.wait_until(work),
            Self::Tracked(tasks) => {
                tasks.spawn(work);
            }
        }
    }
}

/// One event for some channels, optionally leaving out the connection that caused it.
#[derive(Debug, Clone)]
pub struct Event {
    pub name: &'static str,
    pub channels: Vec<ChannelName>,
    pub data: Value,
    pub except: Option<SocketId>,
}

impl Event {
    pub fn new(name: &'static str, channels: Vec<ChannelName>, data: Value) -> Self {
        Self { name, channels, data, except: None }
    }

    pub fn except(mut self, socket: Option<SocketId>) -> Self {
        self.except = socket;
        self
    }
}

type Work = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// What a request leaves to do after its answer.
#[derive(Default)]
struct Pending {
    publishes: Vec<Work>,
    outbox: Vec<i64>,
    /// Users whose connections close before any of the publishes go out.
    revocations: Vec<UserId>,
}

#[derive(Clone)]
pub struct Publisher {
    ctx: Arc<AppContext>,
    pusher: PusherClient,
    background: Background,
    pending: Arc<Mutex<Pending>>,
}

impl Publisher {
    pub fn new(ctx: Arc<AppContext>, background: Background) -> Self {
        Self { pusher: ctx.pusher.clone(), ctx, background, pending: Arc::default() }
    }

    fn later(&self, work: impl Future<Output = ()> + Send + 'static) {
        if let Ok(mut pending) = self.pending.lock() {
            pending.publishes.push(Box::pin(work.instrument(tracing::Span::current())));
        }
    }

    /// Writes side effects into the outbox in `db`'s transaction (those this deployment has
    /// configured); they are delivered after the answer.
    pub async fn enqueue(&self, db: &impl GenericClient, effects: &[Effect]) -> Result<(), ApiError> {
        let ids = outbox::enqueue(db, &self.ctx.config, effects).await?;
        self.deliver_after_answer(ids);
        Ok(())
    }

    /// Outbox rows written by a statement of their own (the send), to deliver after the answer.
    pub fn deliver_after_answer(&self, ids: Vec<i64>) {
        if let Ok(mut pending) = self.pending.lock() {
            pending.outbox.extend(ids);
        }
    }

    /// Closes `user`'s signed-in connections once the request has committed, before the answer
    /// and its publishes go out (see [`revoke_realtime_access`]): a client that reconnected
    /// before the commit would be authorized again for what it just lost.
    pub fn revoke_realtime_access_after_commit(&self, user: &UserId) {
        if let Ok(mut pending) = self.pending.lock() {
            pending.revocations.push(user.clone());
        }
    }

    /// The settings of this instance (which side effects are on).
    pub fn config(&self) -> &crate::config::Config {
        &self.ctx.config
    }

    /// Finishes what the request left to do, once the handler answered successfully (and so
    /// committed): closes the connections of users who lost access (the first attempt awaited
    /// here, before the answer goes out, so nothing the caller or anyone else does after the
    /// answer reaches them), then starts the publishes and the delivery of the outbox rows.
    pub async fn flush(&self) {
        let Pending { publishes, outbox, revocations } = match self.pending.lock() {
            Ok(mut pending) => std::mem::take(&mut *pending),
            Err(_) => return,
        };
        for user in &revocations {
            revoke_realtime_access(&self.pusher, &self.background, user).await;
        }
        for work in publishes {
            self.background.spawn(work);
        }
        if !outbox.is_empty() {
            let delivery = outbox::deliver_after_response(self.ctx.clone(), outbox);
            self.background.spawn(delivery.instrument(tracing::Span::current()));
        }
    }

    /// The REST client, for calls that are not events (closing a user's connections).
    pub fn pusher(&self) -> &PusherClient {
        &self.pusher
    }

    /// Where work after the response runs.
    pub fn background(&self) -> &Background {
        &self.background
    }

    fn encrypting(&self) -> bool {
        self.pusher.config().encryption_master_key.is_some()
    }

    /// The name an event for `channel` goes out on: its encrypted twin when encryption is on.
    fn delivery_name(&self, channel: &ChannelName) -> String {
        match self.encrypting() {
            true => channel.encrypted().as_str().to_owned(),
            false => channel.as_str().to_owned(),
        }
    }

    /// The most event data that fits Pusher's 10 KB once it is on the wire (sealed, when
    /// encryption is on).
    pub fn max_event_bytes(&self) -> usize {
        match self.encrypting() {
            true => max_plain_len(MAX_EVENT_DATA_BYTES),
            false => MAX_EVENT_DATA_BYTES,
        }
    }

    /// One event, one Pusher call, after the answer.
    pub fn publish(&self, event: Event) {
        if event.channels.is_empty() {
            return;
        }
        let pusher = self.pusher.clone();
        let channels: Vec<String> = event.channels.iter().map(|c| self.delivery_name(c)).collect();
        let work = async move {
            let started = Instant::now();
            let except = event.except.as_ref().map(SocketId::as_str);
            let (outcome, attempts) = with_retries(|| pusher.trigger(&channels, event.name, &event.data, except)).await;
            log_outcome(event.name, channels.len(), &outcome, attempts, started);
        };
        self.later(work);
    }

    /// Several events in as few Pusher calls as the batch limit allows, after the response.
    pub fn publish_all(&self, events: Vec<Event>) {
        let batch: Vec<BatchEvent> = events
            .iter()
            .flat_map(|event| {
                let data = event_data(&event.data);
                event.channels.iter().map(move |channel| BatchEvent {
                    name: event.name.to_owned(),
                    channel: self.delivery_name(channel),
                    data: data.clone(),
                    socket_id: event.except.as_ref().map(|s| s.as_str().to_owned()),
                })
            })
            .collect();
        if batch.is_empty() {
            return;
        }
        let pusher = self.pusher.clone();
        let work = async move {
            let started = Instant::now();
            let (outcome, attempts) = with_retries(|| pusher.trigger_batch(&batch)).await;
            log_outcome(&batch[0].name, batch.len(), &outcome, attempts, started);
        };
        self.later(work);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    async fn attempts_until(outcomes: &[Result<(), PusherError>]) -> (Result<(), PusherError>, usize) {
        let next = Cell::new(0);
        with_retries(|| {
            let i = next.replace(next.get() + 1);
            let outcome = match &outcomes[i.min(outcomes.len() - 1)] {
                Ok(()) => Ok(()),
                Err(PusherError::Network(m)) => Err(PusherError::Network(m.clone())),
                Err(PusherError::Rejected { status, body }) => {
                    Err(PusherError::Rejected { status: *status, body: body.clone() })
                }
                Err(_) => Err(PusherError::ChannelCount(0)),
            };
            async move { outcome }
        })
        .await
    }

    fn network() -> Result<(), PusherError> {
        Err(PusherError::Network("refused".into()))
    }
    fn rejected(status: u16) -> Result<(), PusherError> {
        Err(PusherError::Rejected { status, body: String::new() })
    }

    #[tokio::test(start_paused = true)]
    async fn a_passing_failure_is_retried_until_the_event_goes_out() {
        let started = tokio::time::Instant::now();
        let (outcome, attempts) = attempts_until(&[network(), rejected(503), Ok(())]).await;
        assert!(outcome.is_ok());
        assert_eq!(attempts, 3);
        assert_eq!(started.elapsed(), RETRY_DELAYS[0] + RETRY_DELAYS[1], "backoff between attempts");
    }

    #[tokio::test(start_paused = true)]
    async fn three_attempts_at_most_then_the_failure_is_reported() {
        let (outcome, attempts) = attempts_until(&[rejected(429)]).await;
        assert!(matches!(outcome, Err(PusherError::Rejected { status: 429, .. })));
        assert_eq!(attempts, 3);
    }

    /// Attempts that each take `took` and fail for a passing reason: how many were made.
    async fn slow_failures(took: Duration) -> usize {
        with_retries(|| async move {
            tokio::time::sleep(took).await;
            Err::<(), _>(PusherError::Network("timeout".into()))
        })
        .await
        .1
    }

    #[tokio::test(start_paused = true)]
    async fn no_retry_starts_once_the_budget_would_be_spent() {
        // 5 s + 0.25 s < 6 s: one retry; it ends at 10.25 s, past the budget: no third.
        assert_eq!(slow_failures(Duration::from_secs(5)).await, 2);
        // 5.75 s + 0.25 s is exactly the budget: no retry starts at its edge.
        assert_eq!(slow_failures(Duration::from_millis(5750)).await, 1);
        // Quick failures get all three attempts.
        assert_eq!(slow_failures(Duration::from_millis(10)).await, 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_refusal_that_would_repeat_is_not_retried() {
        for refusal in [rejected(401), rejected(413), Err(PusherError::ChannelCount(0))] {
            let (outcome, attempts) = attempts_until(&[refusal, Ok(())]).await;
            assert!(outcome.is_err());
            assert_eq!(attempts, 1);
        }
    }

    #[test]
    fn transient_means_network_5xx_or_429() {
        assert!(PusherError::Network("timeout".into()).is_transient());
        for (status, transient) in [(500, true), (502, true), (429, true), (400, false), (401, false), (413, false)] {
            assert_eq!(PusherError::Rejected { status, body: String::new() }.is_transient(), transient, "{status}");
        }
        assert!(!PusherError::DataTooLarge { size: 20_000 }.is_transient());
        assert!(!PusherError::InvalidResponse("x".into()).is_transient());
    }
}
