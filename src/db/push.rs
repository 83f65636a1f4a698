//! Browsers' push subscriptions (`"PushSubscription"`, V14) and the push fan-out: which
//! subscriptions a notification goes to (recipients who are offline and have not muted the
//! conversation), written as outbox rows in the statement that retires the fan-out row.

use super::timed;
use serde_json::Value;
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

/// A stored subscription: where to send and the keys to encrypt with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: String,
    pub user_id: String,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
}

/// What saving a subscription did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub id: String,
    /// `false`: this endpoint was stored already (its keys and owner are now these).
    pub created: bool,
    /// The user's oldest subscriptions removed to stay within the limit.
    pub replaced: i64,
}

/// Takes the user's row lock, so that concurrent saves of one user count each other's rows and
/// the limit holds. Run in the transaction that saves.
pub async fn lock_user(client: &impl GenericClient, user_id: &str) -> Result<bool, tokio_postgres::Error> {
    let rows =
        timed(client.query_typed(r#"SELECT 1 FROM "User" WHERE "id" = $1 FOR UPDATE"#, &[(&user_id, Type::TEXT)]))
            .await?;
    Ok(!rows.is_empty())
}

/// Stores a subscription for the user (an endpoint seen before moves to them with its new keys:
/// one browser profile signed in as someone else now) and removes the user's oldest beyond `max`.
/// Run after [`lock_user`] in one transaction.
pub async fn save(
    client: &impl GenericClient,
    id: &str,
    user_id: &str,
    endpoint: &str,
    keys: (&str, &str),
    max: i64,
) -> Result<Saved, tokio_postgres::Error> {
    let row = timed(client.query_typed_one(
        r#"INSERT INTO "PushSubscription" ("id", "userId", "endpoint", "p256dh", "auth")
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT ("endpoint") DO UPDATE SET "userId" = EXCLUDED."userId", "p256dh" = EXCLUDED."p256dh",
               "auth" = EXCLUDED."auth", "createdAt" = (now() AT TIME ZONE 'UTC')
           RETURNING "id", ("xmax" = 0) AS created"#,
        &[
            (&id, Type::TEXT),
            (&user_id, Type::TEXT),
            (&endpoint, Type::TEXT),
            (&keys.0, Type::TEXT),
            (&keys.1, Type::TEXT),
        ],
    ))
    .await?;
    let saved_id: String = row.get("id");
    let replaced = timed(client.execute_typed(
        r#"DELETE FROM "PushSubscription" WHERE "userId" = $1 AND "id" IN (
               SELECT "id" FROM "PushSubscription" WHERE "userId" = $1 AND "id" <> $2
               ORDER BY "createdAt" DESC, "id" DESC OFFSET $3)"#,
        &[(&user_id, Type::TEXT), (&saved_id, Type::TEXT), (&(max - 1), Type::INT8)],
    ))
    .await?;
    Ok(Saved { id: saved_id, created: row.get("created"), replaced: replaced as i64 })
}

/// Removes the user's subscription to `endpoint`; whether there was one.
pub async fn delete_for_user(
    client: &impl GenericClient,
    user_id: &str,
    endpoint: &str,
) -> Result<bool, tokio_postgres::Error> {
    let deleted = timed(client.execute_typed(
        r#"DELETE FROM "PushSubscription" WHERE "userId" = $1 AND "endpoint" = $2"#,
        &[(&user_id, Type::TEXT), (&endpoint, Type::TEXT)],
    ))
    .await?;
    Ok(deleted > 0)
}

/// Removes a subscription the push service said is gone (404/410).
pub async fn delete(client: &impl GenericClient, id: &str) -> Result<(), tokio_postgres::Error> {
    timed(client.execute_typed(r#"DELETE FROM "PushSubscription" WHERE "id" = $1"#, &[(&id, Type::TEXT)])).await?;
    Ok(())
}

pub async fn find(client: &impl GenericClient, id: &str) -> Result<Option<Subscription>, tokio_postgres::Error> {
    let rows = timed(client.query_typed(
        r#"SELECT "id", "userId", "endpoint", "p256dh", "auth" FROM "PushSubscription" WHERE "id" = $1"#,
        &[(&id, Type::TEXT)],
    ))
    .await?;
    Ok(rows.first().map(|row| Subscription {
        id: row.get("id"),
        user_id: row.get("userId"),
        endpoint: row.get("endpoint"),
        p256dh: row.get("p256dh"),
        auth: row.get("auth"),
    }))
}

/// How many subscriptions a user has.
pub async fn count_for_user(client: &impl GenericClient, user_id: &str) -> Result<i64, tokio_postgres::Error> {
    let row =
        timed(client.query_typed_one(
            r#"SELECT count(*) FROM "PushSubscription" WHERE "userId" = $1"#,
            &[(&user_id, Type::TEXT)],
        ))
        .await?;
    Ok(row.get(0))
}

/// Who a notification is for, before the offline and mute rules.
pub struct Audience<'a> {
    /// Named users (a 1:1 message's receiver, a room's invitees).
    pub users: &'a [String],
    /// Every member of this room too.
    pub room_id: Option<&'a str>,
    /// Never this user (the sender).
    pub except: &'a str,
    /// The conversation whose mutes apply (`None`: no mute applies, e.g. an invitation).
    pub chat_id: Option<&'a str>,
}

/// In one statement: a `push.send` outbox row with `notification` for every subscription of the
/// audience's users who are offline (presence as the webhooks keep it) and have not muted the
/// conversation, and the fan-out row `outbox_id` deleted. Returns the new rows' ids. A fan-out
/// retried after this committed finds its row gone and nothing to do, so no one is notified twice.
pub async fn fan_out(
    client: &impl GenericClient,
    outbox_id: i64,
    audience: &Audience<'_>,
    notification: &Value,
) -> Result<Vec<i64>, tokio_postgres::Error> {
    let row = timed(client.query_typed_one(
        r#"WITH retired AS (DELETE FROM "Outbox" WHERE "id" = $1 RETURNING "id"),
           recipients AS (
               SELECT unnest($2::text[]) AS "userId"
               UNION
               SELECT rm."userId" FROM "RoomMember" rm WHERE $3::text IS NOT NULL AND rm."roomId" = $3),
           targets AS (
               SELECT s."id" FROM recipients r
               JOIN "User" u ON u."id" = r."userId" AND u."status" = 'offline'
               JOIN "PushSubscription" s ON s."userId" = r."userId"
               WHERE r."userId" <> $4
                 -- A recipient who blocked or muted the sender gets no push from them.
                 AND NOT EXISTS (SELECT 1 FROM "UserBlock" ub WHERE ub."userId" = r."userId" AND ub."blockedId" = $4)
                 AND NOT EXISTS (SELECT 1 FROM "ConversationMute" cm
                                 WHERE cm."userId" = r."userId" AND cm."chatId" = $5
                                   AND (cm."until" IS NULL OR cm."until" > (now() AT TIME ZONE 'UTC')))),
           sends AS (
               INSERT INTO "Outbox" ("kind", "payload")
               SELECT 'push.send', jsonb_build_object('subscriptionId', t."id", 'notification', $6::jsonb)
               FROM targets t, retired
               RETURNING "id")
           SELECT ARRAY(SELECT "id" FROM sends ORDER BY "id") AS ids"#,
        &[
            (&outbox_id, Type::INT8),
            (&audience.users, Type::TEXT_ARRAY),
            (&audience.room_id, Type::TEXT),
            (&audience.except, Type::TEXT),
            (&audience.chat_id, Type::TEXT),
            (notification, Type::JSONB),
        ],
    ))
    .await?;
    Ok(row.get("ids"))
}

/// A room's name, for the title of its notifications.
pub async fn room_name(client: &impl GenericClient, room_id: &str) -> Result<Option<String>, tokio_postgres::Error> {
    let rows =
        timed(client.query_typed(r#"SELECT "name" FROM "Room" WHERE "id" = $1"#, &[(&room_id, Type::TEXT)])).await?;
    Ok(rows.first().map(|row| row.get(0)))
}
