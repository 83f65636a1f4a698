//! The Pusher Channels protocol: pure signing code and the REST client. Channel names are domain
//! values ([`crate::domain::ChannelName`]).

pub mod client;
pub mod encryption;
pub mod signature;

pub use client::{BatchEvent, PusherClient, PusherError, TriggerOutcome};
