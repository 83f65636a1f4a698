//! Publishing after the response: the one way events reach Pusher. A failed publish is logged
//! and never fails the request that caused it; clients recover through sync.

use crate::domain::{ChannelName, SocketId};
use crate::pusher::client::event_data;
use crate::pusher::{BatchEvent, PusherClient};
use serde_json::Value;
use std::future::Future;
use tokio_util::task::TaskTracker;

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

#[derive(Clone)]
pub struct Publisher {
    pusher: PusherClient,
    background: Background,
}

impl Publisher {
    pub fn new(pusher: PusherClient, background: Background) -> Self {
        Self { pusher, background }
    }

    /// One event, one Pusher call, after the response.
    pub fn publish(&self, event: Event) {
        if event.channels.is_empty() {
            return;
        }
        let pusher = self.pusher.clone();
        self.background.spawn(async move {
            let channels: Vec<String> = event.channels.iter().map(|c| c.as_str().to_owned()).collect();
            let except = event.except.as_ref().map(SocketId::as_str);
            if let Err(err) = pusher.trigger(&channels, event.name, &event.data, except).await {
                tracing::warn!(%err, event = event.name, "event not published");
            }
        });
    }

    /// Several events in as few Pusher calls as the batch limit allows, after the response.
    pub fn publish_all(&self, events: Vec<Event>) {
        let batch: Vec<BatchEvent> = events
            .iter()
            .flat_map(|event| {
                let data = event_data(&event.data);
                event.channels.iter().map(move |channel| BatchEvent {
                    name: event.name.to_owned(),
                    channel: channel.as_str().to_owned(),
                    data: data.clone(),
                    socket_id: event.except.as_ref().map(|s| s.as_str().to_owned()),
                })
            })
            .collect();
        if batch.is_empty() {
            return;
        }
        let pusher = self.pusher.clone();
        self.background.spawn(async move {
            if let Err(err) = pusher.trigger_batch(&batch).await {
                tracing::warn!(%err, event = batch[0].name, "events not published");
            }
        });
    }
}
