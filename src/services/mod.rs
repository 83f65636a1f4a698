//! What the product does, independent of HTTP: each function takes validated domain values, a
//! database client and the [`Publisher`], and returns data or an [`crate::error::ApiError`].
//! Routes parse requests into these calls and write the answers.

pub mod channel_auth;
pub mod conversations;
pub mod erasure;
pub mod export;
pub mod jobs;
pub mod message_actions;
pub mod messages;
pub mod moderation;
pub mod mutes;
pub mod outbox;
pub mod presence;
pub mod profiles;
pub mod publisher;
pub mod push;
pub mod reactions;
pub mod realtime_access;
pub mod reports;
pub mod retention;
pub mod room_roles;
pub mod rooms;
pub mod safety;
pub mod search;
pub mod storage;
pub mod typing;
pub mod uploads;
pub mod webhook_delivery;
pub mod webhooks;

pub use publisher::{Background, Event, Publisher};
