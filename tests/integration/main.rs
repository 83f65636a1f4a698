//! Integration tests against real PostgreSQL and a real Pusher-protocol server (sockudo).
//! Run them with `scripts/test`, which starts both.

mod cluster;
mod concurrency;
mod cost;
mod encryption;
mod foundation;
mod frontend;
mod frozen_socket;
mod functions;
mod helpers;
mod inbox_backlog;
mod invisible_input;
mod jwks;
mod layout;
mod leaving;
mod limits;
mod message_actions;
mod messaging;
mod node_clients;
mod outages;
mod outbox;
mod pooler;
mod positions;
mod presence_rule;
mod privacy;
mod push;
mod pusher_channels;
mod query_plans;
mod rooms;
mod safety;
mod server;
mod shardability;
mod sql_capture;
mod webhooks;
mod ws;
