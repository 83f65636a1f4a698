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
use super::Background;
use crate::domain::UserId;
use crate::http::log_ms;
use crate::pusher::PusherClient;
use std::time::Instant;
use tracing::Instrument;

/// Closes every connection `user` signed in with. Services ask for it with
/// `Publisher::revoke_realtime_access_after_commit`, which runs this after the change committed
/// and before the request's publishes. The first attempt is awaited, so nothing published after
/// this returns reaches those connections; if it fails (Pusher unreachable), it is retried in
/// the background within the publish budget, and the failure is logged, never returned: the
/// caller's change (the leave) stands either way.
pub async fn revoke_realtime_access(pusher: &PusherClient, background: &Background, user: &UserId) {
    let pusher = pusher.clone();
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
    background.spawn(work.instrument(tracing::Span::current()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{PusherConfig, PusherEndpoint, Secret};
    use crate::pusher::PusherClient;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_util::task::TaskTracker;

    /// A stand-in for Pusher's REST API that answers every request with `status`; counts them.
    async fn pusher_answering(status: u16) -> (PusherClient, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let count = Arc::new(AtomicUsize::new(0));
        let counter = count.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let answer = format!("HTTP/1.1 {status} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{{}}");
                    let _ = stream.write_all(answer.as_bytes()).await;
                });
            }
        });
        let config = PusherConfig {
            app_id: "1".into(),
            key: "key".into(),
            secret: Secret::new("secret"),
            cluster: "mt1".into(),
            endpoint: PusherEndpoint::SelfHosted { host: "127.0.0.1".into(), port, use_tls: false },
            encryption_master_key: None,
            ws_host: None,
            ws_port: None,
            timeout: std::time::Duration::from_secs(2),
        };
        (PusherClient::new(config, reqwest::Client::new()), count)
    }

    /// How many times revoking asks Pusher, the retries after the response included.
    async fn attempts_when_pusher_answers(status: u16) -> usize {
        let (pusher, count) = pusher_answering(status).await;
        let tasks = TaskTracker::new();
        revoke_realtime_access(&pusher, &Background::Tracked(tasks.clone()), &UserId::parse("u1").unwrap()).await;
        tasks.close();
        tasks.wait().await;
        count.load(Ordering::SeqCst)
    }

    #[tokio::test]
    async fn a_passing_failure_is_retried_after_the_response_and_a_lasting_one_is_not() {
        assert_eq!(attempts_when_pusher_answers(200).await, 1);
        assert_eq!(attempts_when_pusher_answers(400).await, 1, "a refusal would repeat");
        // The awaited attempt, then the publish retries: at once, after 250 ms and after 1 s.
        assert_eq!(attempts_when_pusher_answers(503).await, 4);
    }
}
