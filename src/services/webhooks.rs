//! Pusher's presence webhooks: who is online, recorded idempotently (Pusher retries any non-2xx
//! for five minutes and may deliver out of order) and announced after the answer; and who has a
//! 1:1 chat open (the members of its `presence-chat-…` channel, `"ChatPresence"`), which decides
//! whether `new-message` also goes to the receiver's notifications channel.

use super::{presence, Publisher};
use crate::db::chat_presence::{record_member, vacate};
use crate::domain::{ChannelKind, ChannelName, Status, Timestamp, UserId};
use crate::error::ApiError;
use serde::Deserialize;
use tokio_postgres::GenericClient;

#[derive(Debug, Deserialize)]
pub struct Webhook {
    pub time_ms: i64,
    pub events: Vec<WebhookEvent>,
}

#[derive(Debug, Deserialize)]
pub struct WebhookEvent {
    pub name: String,
    pub channel: String,
    #[serde(default)]
    pub user_id: Option<String>,
}

/// 2000-01-01T00:00:00Z.
const EARLIEST_WEBHOOK_MS: i64 = 946_684_800_000;

/// Records the status changes a webhook reports; returns how many changed a stored status.
pub async fn apply(db: &impl GenericClient, publisher: &Publisher, webhook: &Webhook) -> Result<usize, ApiError> {
    // Before 2000 is no Pusher webhook (and far enough back, no PostgreSQL timestamp either).
    let at = Timestamp::from_millis(webhook.time_ms)
        .filter(|at| *at >= Timestamp::from_millis(EARLIEST_WEBHOOK_MS).expect("a valid constant"))
        .ok_or_else(|| ApiError::bad_request("invalid_webhook", "time_ms is out of range"))?;
    // A time ahead of ours would make every later observation look older: it counts as now.
    let at = at.min(Timestamp::now());
    let mut events = Vec::new();
    for (user, status) in final_statuses(&webhook.events) {
        events.extend(presence::record(db, publisher, &user, status, at).await?);
    }
    for change in chat_presence_changes(&webhook.events) {
        match change {
            ChatPresenceChange::Member { channel, user, present } => {
                record_member(db, &channel, &user, present, at).await?
            }
            ChatPresenceChange::Vacated(channel) => vacate(db, &channel, at).await?,
        }
    }
    let changed = events.len();
    publisher.publish_all(events);
    Ok(changed)
}

#[derive(Debug, PartialEq)]
enum ChatPresenceChange {
    /// A participant opened (`present`) or closed a 1:1 chat.
    Member { channel: ChannelName, user: UserId, present: bool },
    /// Nobody has the chat open.
    Vacated(ChannelName),
}

/// What a batch says about who has which chat open: its events share one `time_ms`, so only the
/// last word on each member counts (a vacated channel ends every membership it follows), kept in
/// the batch's order. Only a participant of the chat counts (the authorization endpoint lets no
/// one else in).
fn chat_presence_changes(events: &[WebhookEvent]) -> Vec<ChatPresenceChange> {
    let mut changes: Vec<ChatPresenceChange> = Vec::new();
    for event in events {
        let Some(channel) =
            ChannelName::parse(&event.channel).ok().filter(|c| c.kind() == Some(ChannelKind::PresenceChat))
        else {
            continue;
        };
        let member = || {
            let user = UserId::parse(event.user_id.as_deref()?).ok()?;
            channel.chat_partner(&user).map(|_| user)
        };
        let change = match event.name.as_str() {
            "member_added" | "member_removed" => match member() {
                Some(user) => ChatPresenceChange::Member { channel, user, present: event.name == "member_added" },
                None => continue,
            },
            "channel_vacated" => ChatPresenceChange::Vacated(channel),
            _ => continue,
        };
        changes.retain(|earlier| !change.supersedes(earlier));
        changes.push(change);
    }
    changes
}

impl ChatPresenceChange {
    /// Whether this later change makes `earlier` of the same batch irrelevant.
    fn supersedes(&self, earlier: &ChatPresenceChange) -> bool {
        match (self, earlier) {
            (Self::Member { channel, user, .. }, Self::Member { channel: c, user: u, .. }) => channel == c && user == u,
            (Self::Vacated(channel), Self::Member { channel: c, .. } | Self::Vacated(c)) => channel == c,
            (Self::Member { .. }, Self::Vacated(_)) => false,
        }
    }
}

/// Each user's status after the whole batch: events of one batch share one `time_ms`, so only
/// the last one per user may be recorded (`[member_removed, member_added]` means online).
fn final_statuses(events: &[WebhookEvent]) -> Vec<(UserId, Status)> {
    let mut statuses: Vec<(UserId, Status)> = Vec::new();
    for (user, status) in events.iter().filter_map(status_change) {
        match statuses.iter_mut().find(|(seen, _)| *seen == user) {
            Some(entry) => entry.1 = status,
            None => statuses.push((user, status)),
        }
    }
    statuses
}

/// What an event says about a user's online state: the user's own presence channel gaining or
/// losing them, or their notifications channel (only they can join it) being occupied or vacated.
fn status_change(event: &WebhookEvent) -> Option<(UserId, Status)> {
    let kind = ChannelName::parse(&event.channel).ok()?.kind()?;
    let member_is = |user: &UserId| event.user_id.as_deref() == Some(user.as_str());
    match (event.name.as_str(), kind) {
        ("member_added", ChannelKind::PresenceUser(user)) if member_is(&user) => Some((user, Status::Online)),
        ("member_removed", ChannelKind::PresenceUser(user)) if member_is(&user) => Some((user, Status::Offline)),
        ("channel_vacated", ChannelKind::PresenceUser(user)) => Some((user, Status::Offline)),
        ("channel_occupied", ChannelKind::Notifications(user)) => Some((user, Status::Online)),
        ("channel_vacated", ChannelKind::Notifications(user)) => Some((user, Status::Offline)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(name: &str, channel: &str, user_id: Option<&str>) -> WebhookEvent {
        WebhookEvent { name: name.into(), channel: channel.into(), user_id: user_id.map(Into::into) }
    }

    fn change(name: &str, channel: &str, user_id: Option<&str>) -> Option<(String, Status)> {
        status_change(&event(name, channel, user_id)).map(|(user, status)| (user.to_string(), status))
    }

    #[test]
    fn only_the_channel_owner_joining_or_leaving_changes_their_status() {
        assert_eq!(change("member_added", "presence-user-u1", Some("u1")), Some(("u1".into(), Status::Online)));
        assert_eq!(change("member_added", "presence-user-u1", Some("u2")), None);
        assert_eq!(change("member_removed", "presence-user-u1", Some("u1")), Some(("u1".into(), Status::Offline)));
        assert_eq!(change("member_removed", "presence-user-u1", Some("u2")), None, "a contact leaving");
        assert_eq!(change("channel_vacated", "presence-user-u1", None), Some(("u1".into(), Status::Offline)));
    }

    #[test]
    fn the_last_event_of_a_batch_decides_each_users_status() {
        let batch = [
            event("member_removed", "presence-user-u1", Some("u1")),
            event("channel_occupied", "private-notifications-u2", None),
            event("member_added", "presence-user-u1", Some("u1")),
            event("member_added", "presence-user-u2", Some("u9")),
            event("channel_vacated", "private-notifications-u2", None),
        ];
        let statuses: Vec<(String, Status)> =
            final_statuses(&batch).into_iter().map(|(user, status)| (user.to_string(), status)).collect();
        assert_eq!(statuses, [("u1".to_owned(), Status::Online), ("u2".to_owned(), Status::Offline)]);
    }

    #[test]
    fn participants_joining_and_leaving_a_chats_presence_channel_are_recorded() {
        let events = [
            event("member_added", "presence-chat-u1-u2", Some("u2")),
            event("member_removed", "presence-chat-u1-u2", Some("u1")),
            event("member_added", "presence-chat-u1-u2", Some("u3")),
            event("member_added", "presence-chat-u3-u4", Some("u3")),
            event("channel_vacated", "presence-chat-u3-u4", None),
            event("member_added", "presence-user-u1", Some("u2")),
            event("member_added", "private-chat-u1-u2", Some("u2")),
            event("channel_occupied", "presence-chat-u1-u2", None),
        ];
        let channel = |name: &str| ChannelName::parse(name).unwrap();
        let user = |id: &str| UserId::parse(id).unwrap();
        assert_eq!(
            chat_presence_changes(&events),
            [
                ChatPresenceChange::Member { channel: channel("presence-chat-u1-u2"), user: user("u2"), present: true },
                ChatPresenceChange::Member {
                    channel: channel("presence-chat-u1-u2"),
                    user: user("u1"),
                    present: false
                },
                ChatPresenceChange::Vacated(channel("presence-chat-u3-u4")),
            ],
            "a stranger (u3), a contact's presence channel and other channels change nothing; a vacate ends what it follows"
        );
        // One batch, one time: the last word on a member is what counts.
        let batch = [
            event("member_added", "presence-chat-u1-u2", Some("u2")),
            event("member_removed", "presence-chat-u1-u2", Some("u2")),
            event("channel_vacated", "presence-chat-u5-u6", None),
            event("member_added", "presence-chat-u5-u6", Some("u5")),
        ];
        assert_eq!(
            chat_presence_changes(&batch),
            [
                ChatPresenceChange::Member {
                    channel: channel("presence-chat-u1-u2"),
                    user: user("u2"),
                    present: false
                },
                ChatPresenceChange::Vacated(channel("presence-chat-u5-u6")),
                ChatPresenceChange::Member { channel: channel("presence-chat-u5-u6"), user: user("u5"), present: true },
            ]
        );
    }

    #[test]
    fn notifications_channel_occupancy_tracks_its_owner() {
        assert_eq!(change("channel_occupied", "private-notifications-u1", None), Some(("u1".into(), Status::Online)));
        assert_eq!(change("channel_vacated", "private-notifications-u1", None), Some(("u1".into(), Status::Offline)));
        assert_eq!(change("channel_occupied", "private-chat-a-b", None), None);
        assert_eq!(change("client_event", "private-notifications-u1", None), None);
        assert_eq!(change("channel_occupied", "not a channel", None), None);
    }
}
