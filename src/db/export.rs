//! What `GET /api/me/export` reads: a user's own rows, each as the JSON the export writes, built
//! by PostgreSQL (`jsonb_build_object`), so a page is one value however many rows it holds.
//! Messages and reactions come in keyset pages; the rest is bounded by conversations and rooms.
//! Nothing here reads another user's text: a reply names the id it quotes, not the quote, and a
//! report the user filed comes without its snapshot (the reported content).

use super::timed;
use serde_json::Value;
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

/// A timestamp as the API writes them (UTC, milliseconds, `Z`).
fn ts(column: &str) -> String {
    format!(r#"to_char({column}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"#)
}

async fn one_value(
    client: &impl GenericClient,
    sql: &str,
    params: &[(&(dyn tokio_postgres::types::ToSql + Sync), Type)],
) -> Result<Value, tokio_postgres::Error> {
    let row = timed(client.query_typed_one(sql, params)).await?;
    Ok(row.get::<_, Option<Value>>(0).unwrap_or(Value::Null))
}

/// The profile (`null` when there is none, or the account is erased).
pub async fn profile(client: &impl GenericClient, user: &str) -> Result<Value, tokio_postgres::Error> {
    let sql = format!(
        r#"SELECT (SELECT jsonb_build_object('id', "id", 'email', "email", 'firstName', "firstName",
                   'lastName', "lastName", 'avatar', "avatar", 'status', "status", 'lastActive', {},
                   'createdAt', {}, 'updatedAt', {})
               FROM "User" WHERE "id" = $1 AND "erasedAt" IS NULL)"#,
        ts(r#""lastActive""#),
        ts(r#""createdAt""#),
        ts(r#""updatedAt""#)
    );
    one_value(client, &sql, &[(&user, Type::TEXT)]).await
}

/// Up to `limit` messages `sender` wrote with an id after `after`, in id order: the final text of
/// each (after its edits), its file's metadata, and tombstones as they stand.
pub async fn messages(
    client: &impl GenericClient,
    sender: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Value>, tokio_postgres::Error> {
    let sql = format!(
        r#"SELECT jsonb_build_object('id', m."id", 'conversationId', m."chatId", 'seq', m."seq",
                   'receiverId', m."receiverId", 'roomId', m."roomId", 'content', m."content", 'type', m."type"::text,
                   'fileUrl', m."fileUrl", 'fileName', m."fileName", 'fileSize', m."fileSize",
                   'clientMessageId', m."clientMessageId", 'replyToId', m."replyToId", 'createdAt', {},
                   'editedAt', {}, 'deletedAt', {})
               FROM "Message" m
               WHERE m."senderId" = $1 AND ($2::text IS NULL OR m."id" > $2)
               ORDER BY m."id" LIMIT $3"#,
        ts(r#"m."createdAt""#),
        ts(r#"m."editedAt""#),
        ts(r#"m."deletedAt""#)
    );
    let rows =
        timed(client.query_typed(&sql, &[(&sender, Type::TEXT), (&after, Type::TEXT), (&limit, Type::INT8)])).await?;
    Ok(rows.iter().map(|row| row.get(0)).collect())
}

/// Up to `limit` of `user`'s reactions after `(message id, emoji)`, in that order.
pub async fn reactions(
    client: &impl GenericClient,
    user: &str,
    after: Option<(&str, &str)>,
    limit: i64,
) -> Result<Vec<(String, String, Value)>, tokio_postgres::Error> {
    let (after_message, after_emoji) = after.unzip();
    let sql = format!(
        r#"SELECT r."messageId", r."emoji",
                  jsonb_build_object('messageId', r."messageId", 'conversationId', m."chatId", 'emoji', r."emoji",
                      'createdAt', {})
               FROM "MessageReaction" r JOIN "Message" m ON m."id" = r."messageId"
               WHERE r."userId" = $1 AND ($2::text IS NULL OR (r."messageId", r."emoji") > ($2, $3))
               ORDER BY r."messageId", r."emoji" LIMIT $4"#,
        ts(r#"r."createdAt""#)
    );
    let rows = timed(client.query_typed(
        &sql,
        &[(&user, Type::TEXT), (&after_message, Type::TEXT), (&after_emoji, Type::TEXT), (&limit, Type::INT8)],
    ))
    .await?;
    Ok(rows.iter().map(|row| (row.get(0), row.get(1), row.get(2))).collect())
}

/// Everything else, bounded by the user's conversations and rooms: read positions, rooms and
/// memberships, invitations received and sent, mutes, push subscriptions (endpoint and date,
/// never the keys).
pub async fn the_rest(client: &impl GenericClient, user: &str) -> Result<Value, tokio_postgres::Error> {
    let sql = format!(
        r#"SELECT jsonb_build_object(
               'readPositions', COALESCE((SELECT jsonb_agg(jsonb_build_object('conversationId', "chatId",
                       'readSeq', "readSeq", 'readAt', {read_at}) ORDER BY "chatId")
                   FROM "ConversationRead" WHERE "userId" = $1), '[]'::jsonb),
               'rooms', COALESCE((SELECT jsonb_agg(jsonb_build_object('id', r."id", 'name', r."name",
                       'role', rm."role", 'joinedAt', {joined_at}) ORDER BY r."id")
                   FROM "RoomMember" rm JOIN "Room" r ON r."id" = rm."roomId" WHERE rm."userId" = $1), '[]'::jsonb),
               'invitationsReceived', COALESCE((SELECT jsonb_agg(jsonb_build_object('roomId', i."roomId",
                       'roomName', r."name", 'invitedBy', i."invitedBy", 'createdAt', {invited_at}) ORDER BY i."roomId")
                   FROM "RoomInvitation" i JOIN "Room" r ON r."id" = i."roomId" WHERE i."userId" = $1), '[]'::jsonb),
               'invitationsSent', COALESCE((SELECT jsonb_agg(jsonb_build_object('roomId', i."roomId",
                       'userId', i."userId", 'createdAt', {invited_at}) ORDER BY i."roomId", i."userId")
                   FROM "RoomInvitation" i WHERE i."invitedBy" = $1), '[]'::jsonb),
               'mutes', COALESCE((SELECT jsonb_agg(jsonb_build_object('conversationId', "chatId",
                       'until', {until}, 'createdAt', {created_at}) ORDER BY "chatId")
                   FROM "ConversationMute" WHERE "userId" = $1), '[]'::jsonb),
               'pushSubscriptions', COALESCE((SELECT jsonb_agg(jsonb_build_object('id', "id",
                       'endpoint', "endpoint", 'createdAt', {created_at}) ORDER BY "createdAt", "id")
                   FROM "PushSubscription" WHERE "userId" = $1), '[]'::jsonb),
               'blocks', COALESCE((SELECT jsonb_agg(jsonb_build_object('userId', "blockedId", 'kind', "kind",
                       'createdAt', {created_at}) ORDER BY "kind", "blockedId")
                   FROM "UserBlock" WHERE "userId" = $1), '[]'::jsonb),
               'reportsFiled', COALESCE((SELECT jsonb_agg(jsonb_build_object('id', "id", 'targetType', "targetType",
                       'targetId', "targetId", 'reason', "reason", 'note', "note", 'status', "status",
                       'createdAt', {created_at}) ORDER BY "createdAt", "id")
                   FROM "Report" WHERE "reporterId" = $1), '[]'::jsonb))"#,
        read_at = ts(r#""readAt""#),
        joined_at = ts(r#"rm."joinedAt""#),
        invited_at = ts(r#"i."createdAt""#),
        until = ts(r#""until""#),
        created_at = ts(r#""createdAt""#),
    );
    one_value(client, &sql, &[(&user, Type::TEXT)]).await
}
