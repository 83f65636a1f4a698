//! Taking realtime access away from a user at once: leaving a room (and removal, a ban or an
//! erased account) must stop delivery to channels they subscribed while they were allowed.
//!
//! Pusher cannot unsubscribe one connection from one channel from the server. What it can do is
//! close every connection a user signed in with (`terminate_connections`, close code 4009). The
//! client package then reconnects by itself after a short delay and subscribes again, and each
//! channel is authorized anew, so only what the user may still have comes back. Connections that
//! never signed in (`pusher.signin()`) cannot be reached this way; they keep hearing a channel
//! until they unsubscribe or disconnect, and everything else (history, sends, a new
//! subscription) is refused to them all the same.

use super::publisher::with_retries;
use super::Publisher;
use crate::domain::UserId;
use crate::http::log_ms;
use std::time::Instant;
use tracing::Instrument;

/// Closes every connection `user` signed in with. The first attempt is awaited, so nothing
/// published after this returns reaches those connections; if it fails (Pusher unreachable), it
/// is retried after the response within the publish budget, and the failure is logged, never
/// returned: the caller's change (the leave) stands either way.
pub async fn revoke_realtime_access(publisher: &Publisher, user: &UserId) {
    let pusher = publisher.pusher().clone();
    let started = Instant::now();
    let first = pusher.terminate_user_connections(user.as_str()).await;
    let outcome = match first {
        Err(err) if err.is_transient() => err,
        Err(err) => return tracing::warn!(ms = log_ms(started.elapsed()), %err, "realtime access not revoked"),
        Ok(()) => return tracing::info!(ms = log_ms(started.elapsed()), "realtime access revoked"),
    };
    tracing::warn!(%outcome, "revoking realtime access failed once; retrying after the response");
    let user = user.clone();
    let work = async move {
        let (outcome, attempts) = with_retries(|| pusher.terminate_user_connections(user.as_str())).await;
        let ms = log_ms(started.elapsed());
        match outcome {
            Ok(()) => tracing::info!(attempts, ms, "realtime access revoked"),
            Err(err) => tracing::warn!(attempts, ms, %err, "realtime access not revoked"),
        }
    };
    publisher.background().spawn(work.instrument(tracing::Span::current()));
}
