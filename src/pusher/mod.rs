//! The Pusher Channels protocol: pure signing code, channel names, and the REST client.

pub mod channels;
pub mod client;
pub mod signature;

pub use client::{BatchEvent, PusherClient, PusherError, TriggerOutcome};
