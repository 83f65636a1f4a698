//! Blocks and mutes (`"UserBlock"`), reports (`"Report"`), app-wide bans (`"UserBan"`) and the
//! operators' audit log (`"AdminAudit"`), V19. Lists come back as JSON objects built by the
//! statement, in the shape the API answers with.

use super::timed;
use crate::domain::UserId;
use serde_json::Value;
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

/// An ISO 8601 UTC text of a `TIMESTAMP(3)` column, as the API writes times.
fn ts(column: &str) -> String {
    format!(r#"to_char({column}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"#)
}

/// `block` or `mute`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Block,
    Mute,
}

impl Relation {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Block => "block",
            Self::Mute => "mute",
        }
    }
}

/// Blocks or mutes `other` for `user`; whether it is new. `Err` with a foreign-key violation when
/// `other` is not a known user.
pub async fn add_relation(
    client: &impl GenericClient,
    user: &UserId,
    other: &UserId,
    relation: Relation,
) -> Result<bool, tokio_postgres::Error> {
    let added = timed(client.execute_typed(
        r#"INSERT INTO "UserBlock" ("userId", "blockedId", "kind") VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING"#,
        &[(&user.as_str(), Type::TEXT), (&other.as_str(), Type::TEXT), (&relation.as_str(), Type::TEXT)],
    ))
    .await?;
    Ok(added > 0)
}

/// Takes a block or mute back; whether there was one.
pub async fn remove_relation(
    client: &impl GenericClient,
    user: &UserId,
    other: &UserId,
    relation: Relation,
) -> Result<bool, tokio_postgres::Error> {
    let removed = timed(client.execute_typed(
        r#"DELETE FROM "UserBlock" WHERE "userId" = $1 AND "kind" = $3 AND "blockedId" = $2"#,
        &[(&user.as_str(), Type::TEXT), (&other.as_str(), Type::TEXT), (&relation.as_str(), Type::TEXT)],
    ))
    .await?;
    Ok(removed > 0)
}

/// Everyone `user` blocked or muted, newest first: `{userId, kind, createdAt, firstName, lastName, avatar}`.
pub async fn relations_of(client: &impl GenericClient, user: &UserId) -> Result<Vec<Value>, tokio_postgres::Error> {
    let sql = format!(
        r#"SELECT jsonb_build_object('userId', b."blockedId", 'kind', b."kind", 'createdAt', {created},
                  'firstName', u."firstName", 'lastName', u."lastName", 'avatar', u."avatar") AS item
           FROM "UserBlock" b JOIN "User" u ON u."id" = b."blockedId"
           WHERE b."userId" = $1 ORDER BY b."createdAt" DESC, b."blockedId" LIMIT 5000"#,
        created = ts(r#"b."createdAt""#)
    );
    let rows = timed(client.query_typed(&sql, &[(&user.as_str(), Type::TEXT)])).await?;
    Ok(rows.iter().map(|row| row.get("item")).collect())
}

/// The ids `user` blocked (not muted): whose messages in rooms are hidden from them.
pub async fn blocked_ids(client: &impl GenericClient, user: &UserId) -> Result<Vec<String>, tokio_postgres::Error> {
    let rows = timed(client.query_typed(
        r#"SELECT "blockedId" FROM "UserBlock" WHERE "userId" = $1 AND "kind" = 'block' LIMIT 5000"#,
        &[(&user.as_str(), Type::TEXT)],
    ))
    .await?;
    Ok(rows.iter().map(|row| row.get(0)).collect())
}

/// Whether `blocker` blocked `blocked`.
pub async fn has_blocked(
    client: &impl GenericClient,
    blocker: &UserId,
    blocked: &UserId,
) -> Result<bool, tokio_postgres::Error> {
    let row = timed(client.query_typed_one(
        r#"SELECT EXISTS (SELECT 1 FROM "UserBlock"
                          WHERE "userId" = $1 AND "kind" = 'block' AND "blockedId" = $2) AS yes"#,
        &[(&blocker.as_str(), Type::TEXT), (&blocked.as_str(), Type::TEXT)],
    ))
    .await?;
    Ok(row.get("yes"))
}

/// Whether either of two users blocked the other.
pub async fn blocked_either_way(
    client: &impl GenericClient,
    a: &UserId,
    b: &UserId,
) -> Result<bool, tokio_postgres::Error> {
    let row = timed(client.query_typed_one(
        r#"SELECT EXISTS (SELECT 1 FROM "UserBlock" WHERE "kind" = 'block'
                          AND (("userId" = $1 AND "blockedId" = $2) OR ("userId" = $2 AND "blockedId" = $1))) AS yes"#,
        &[(&a.as_str(), Type::TEXT), (&b.as_str(), Type::TEXT)],
    ))
    .await?;
    Ok(row.get("yes"))
}

/// Whether `message` is in a 1:1 chat whose other participant blocked `user`.
pub async fn blocked_in_chat_of(
    client: &impl GenericClient,
    user: &UserId,
    message: &str,
) -> Result<bool, tokio_postgres::Error> {
    let row = timed(client.query_typed_one(
        r#"SELECT EXISTS (
               SELECT 1 FROM "Message" m
               JOIN "UserBlock" b ON b."kind" = 'block' AND b."blockedId" = $1
                AND b."userId" = CASE WHEN m."senderId" = $1 THEN m."receiverId" ELSE m."senderId" END
               WHERE m."id" = $2 AND m."receiverId" IS NOT NULL) AS yes"#,
        &[(&user.as_str(), Type::TEXT), (&message, Type::TEXT)],
    ))
    .await?;
    Ok(row.get("yes"))
}

/// What a report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetType {
    Message,
    User,
    Room,
}

impl TargetType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Message => "message",
            Self::User => "user",
            Self::Room => "room",
        }
    }
}

/// The target as `reporter` may see it now, as a JSON snapshot; `None` when it does not exist or
/// `reporter` cannot see it (a message of a conversation they are not in, a user they share no
/// conversation, room or invitation with, a room they are neither in nor invited to).
pub async fn snapshot(
    client: &impl GenericClient,
    reporter: &UserId,
    target: TargetType,
    id: &str,
) -> Result<Option<Value>, tokio_postgres::Error> {
    let sql = match target {
        TargetType::Message => format!(
            r#"SELECT jsonb_build_object('id', m."id", 'conversationId', m."chatId", 'senderId', m."senderId",
                      'receiverId', m."receiverId", 'roomId', m."roomId", 'content', m."content",
                      'type', m."type"::text, 'fileUrl', m."fileUrl", 'fileName', m."fileName",
                      'createdAt', {created}, 'editedAt', {edited}) AS snapshot
               FROM "Message" m
               WHERE m."id" = $2 AND m."deletedAt" IS NULL
                 AND (m."senderId" = $1 OR m."receiverId" = $1
                      OR EXISTS (SELECT 1 FROM "RoomMember" rm WHERE rm."roomId" = m."roomId" AND rm."userId" = $1))"#,
            created = ts(r#"m."createdAt""#),
            edited = ts(r#"m."editedAt""#)
        ),
        TargetType::User => format!(
            r#"SELECT jsonb_build_object('id', u."id", 'firstName', u."firstName", 'lastName', u."lastName",
                      'avatar', u."avatar",
                      'recentMessages', COALESCE((
                          SELECT jsonb_agg(jsonb_build_object('id', r."id", 'content', r."content",
                                           'createdAt', {created}) ORDER BY r."createdAt")
                          FROM (SELECT * FROM "Message" m
                                WHERE m."chatId" = LEAST($1, $2) || ':' || GREATEST($1, $2)
                                  AND m."senderId" = $2 AND m."deletedAt" IS NULL
                                ORDER BY m."seq" DESC LIMIT 20) r), '[]'::jsonb)) AS snapshot
               FROM "User" u
               WHERE u."id" = $2
                 AND (EXISTS (SELECT 1 FROM "Conversation" c WHERE c."id" = LEAST($1, $2) || ':' || GREATEST($1, $2))
                      OR EXISTS (SELECT 1 FROM "RoomMember" a JOIN "RoomMember" b ON b."roomId" = a."roomId"
                                 WHERE a."userId" = $1 AND b."userId" = $2)
                      OR EXISTS (SELECT 1 FROM "RoomInvitation" i WHERE i."userId" = $1 AND i."invitedBy" = $2))"#,
            created = ts(r#"r."createdAt""#)
        ),
        TargetType::Room => format!(
            r#"SELECT jsonb_build_object('id', r."id", 'name', r."name", 'createdAt', {created}) AS snapshot
               FROM "Room" r
               WHERE r."id" = $2
                 AND (EXISTS (SELECT 1 FROM "RoomMember" rm WHERE rm."roomId" = r."id" AND rm."userId" = $1)
                      OR EXISTS (SELECT 1 FROM "RoomInvitation" i WHERE i."roomId" = r."id" AND i."userId" = $1))"#,
            created = ts(r#"r."createdAt""#)
        ),
    };
    let rows = timed(client.query_typed(&sql, &[(&reporter.as_str(), Type::TEXT), (&id, Type::TEXT)])).await?;
    Ok(rows.first().map(|row| row.get("snapshot")))
}

pub struct NewReport<'a> {
    pub id: &'a str,
    pub reporter: &'a UserId,
    pub target: TargetType,
    pub target_id: &'a str,
    pub reason: &'a str,
    pub note: Option<&'a str>,
    pub snapshot: &'a Value,
}

fn report_json(alias: &str) -> String {
    format!(
        r#"jsonb_build_object('id', {a}."id", 'reporterId', {a}."reporterId", 'targetType', {a}."targetType",
               'targetId', {a}."targetId", 'reason', {a}."reason", 'note', {a}."note", 'snapshot', {a}."snapshot",
               'status', {a}."status", 'createdAt', {created}, 'resolvedBy', {a}."resolvedBy",
               'resolvedAt', {resolved}, 'resolutionNote', {a}."resolutionNote")"#,
        a = alias,
        created = ts(&format!(r#"{alias}."createdAt""#)),
        resolved = ts(&format!(r#"{alias}."resolvedAt""#)),
    )
}

/// Files a report; `(report, true)` when new, `(the open one, false)` when the reporter already
/// has an open report of this target (also when two arrive at once: the unique index decides).
pub async fn file_report(
    client: &impl GenericClient,
    report: &NewReport<'_>,
) -> Result<(Value, bool), tokio_postgres::Error> {
    let sql = format!(
        r#"WITH added AS (
               INSERT INTO "Report" ("id", "reporterId", "targetType", "targetId", "reason", "note", "snapshot")
               VALUES ($1, $2, $3, $4, $5, $6, $7)
               ON CONFLICT ("reporterId", "targetType", "targetId") WHERE "status" = 'open' DO NOTHING
               RETURNING *)
           SELECT {json} AS report, true AS created FROM added r
           UNION ALL
           SELECT {json} AS report, false AS created FROM "Report" r
           WHERE NOT EXISTS (SELECT 1 FROM added)
             AND r."reporterId" = $2 AND r."targetType" = $3 AND r."targetId" = $4 AND r."status" = 'open'"#,
        json = report_json("r")
    );
    let params: [(&(dyn tokio_postgres::types::ToSql + Sync), Type); 7] = [
        (&report.id, Type::TEXT),
        (&report.reporter.as_str(), Type::TEXT),
        (&report.target.as_str(), Type::TEXT),
        (&report.target_id, Type::TEXT),
        (&report.reason, Type::TEXT),
        (&report.note, Type::TEXT),
        (report.snapshot, Type::JSONB),
    ];
    let rows = timed(client.query_typed(&sql, &params)).await?;
    match rows.first() {
        Some(row) => Ok((row.get("report"), row.get("created"))),
        // The open report was resolved between the insert's check and the read: file again.
        None => Box::pin(file_report(client, report)).await,
    }
}

/// The reporter's open report of a target, if any.
pub async fn open_report(
    client: &impl GenericClient,
    reporter: &UserId,
    target: TargetType,
    id: &str,
) -> Result<Option<Value>, tokio_postgres::Error> {
    let sql = format!(
        r#"SELECT {json} AS report FROM "Report" r
           WHERE r."reporterId" = $1 AND r."targetType" = $2 AND r."targetId" = $3 AND r."status" = 'open'"#,
        json = report_json("r")
    );
    let rows = timed(
        client
            .query_typed(&sql, &[(&reporter.as_str(), Type::TEXT), (&target.as_str(), Type::TEXT), (&id, Type::TEXT)]),
    )
    .await?;
    Ok(rows.first().map(|row| row.get("report")))
}

/// Filters of the operators' report list.
#[derive(Debug, Default)]
pub struct ReportFilter<'a> {
    pub status: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub target_type: Option<&'a str>,
    pub target_id: Option<&'a str>,
    /// Reports older than this one (its id): the next page.
    pub before: Option<&'a str>,
}

/// Up to `limit` reports matching `filter`, newest first, and whether there are more.
pub async fn list_reports(
    client: &impl GenericClient,
    filter: &ReportFilter<'_>,
    limit: i64,
) -> Result<(Vec<Value>, bool), tokio_postgres::Error> {
    let sql = format!(
        r#"SELECT {json} AS report FROM "Report" r
           WHERE ($1::text IS NULL OR r."status" = $1) AND ($2::text IS NULL OR r."reason" = $2)
             AND ($3::text IS NULL OR r."targetType" = $3) AND ($4::text IS NULL OR r."targetId" = $4)
             AND ($5::text IS NULL OR (r."createdAt", r."id") <
                  (SELECT c."createdAt", c."id" FROM "Report" c WHERE c."id" = $5))
           ORDER BY r."createdAt" DESC, r."id" DESC
           LIMIT $6"#,
        json = report_json("r")
    );
    let rows = timed(client.query_typed(
        &sql,
        &[
            (&filter.status, Type::TEXT),
            (&filter.reason, Type::TEXT),
            (&filter.target_type, Type::TEXT),
            (&filter.target_id, Type::TEXT),
            (&filter.before, Type::TEXT),
            (&(limit + 1), Type::INT8),
        ],
    ))
    .await?;
    let has_more = rows.len() as i64 > limit;
    Ok((rows.iter().take(limit as usize).map(|row| row.get("report")).collect(), has_more))
}

/// How resolving a report went.
pub enum Resolved {
    Done(Value),
    /// Already resolved or dismissed.
    Closed,
    Missing,
}

/// Closes an open report as `status` (`resolved` or `dismissed`).
pub async fn resolve_report(
    client: &impl GenericClient,
    id: &str,
    status: &str,
    admin: &UserId,
    note: Option<&str>,
) -> Result<Resolved, tokio_postgres::Error> {
    let sql = format!(
        r#"WITH closed AS (
               UPDATE "Report" SET "status" = $2, "resolvedBy" = $3, "resolutionNote" = $4,
                   "resolvedAt" = (now() AT TIME ZONE 'UTC')
               WHERE "id" = $1 AND "status" = 'open' RETURNING *)
           SELECT {json} AS report, true AS done FROM closed r
           UNION ALL
           SELECT NULL, false FROM "Report" r WHERE r."id" = $1 AND NOT EXISTS (SELECT 1 FROM closed)"#,
        json = report_json("r")
    );
    let rows = timed(client.query_typed(
        &sql,
        &[(&id, Type::TEXT), (&status, Type::TEXT), (&admin.as_str(), Type::TEXT), (&note, Type::TEXT)],
    ))
    .await?;
    Ok(match rows.first() {
        Some(row) if row.get::<_, bool>("done") => Resolved::Done(row.get("report")),
        Some(_) => Resolved::Closed,
        None => Resolved::Missing,
    })
}

/// Bans `user` app-wide; whether the ban is new.
pub async fn ban(
    client: &impl GenericClient,
    user: &UserId,
    admin: &UserId,
    reason: Option<&str>,
) -> Result<bool, tokio_postgres::Error> {
    let added = timed(client.execute_typed(
        r#"INSERT INTO "UserBan" ("userId", "bannedBy", "reason") VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"#,
        &[(&user.as_str(), Type::TEXT), (&admin.as_str(), Type::TEXT), (&reason, Type::TEXT)],
    ))
    .await?;
    Ok(added > 0)
}

/// Lifts a ban; whether there was one.
pub async fn unban(client: &impl GenericClient, user: &UserId) -> Result<bool, tokio_postgres::Error> {
    let removed =
        timed(client.execute_typed(r#"DELETE FROM "UserBan" WHERE "userId" = $1"#, &[(&user.as_str(), Type::TEXT)]))
            .await?;
    Ok(removed > 0)
}

pub async fn is_banned(client: &impl GenericClient, user: &UserId) -> Result<bool, tokio_postgres::Error> {
    let row = timed(client.query_typed_one(
        r#"SELECT EXISTS (SELECT 1 FROM "UserBan" WHERE "userId" = $1) AS yes"#,
        &[(&user.as_str(), Type::TEXT)],
    ))
    .await?;
    Ok(row.get("yes"))
}

/// Up to `limit` bans, newest first (`before`: a banned user id, the next page), and whether there are more.
pub async fn list_bans(
    client: &impl GenericClient,
    before: Option<&str>,
    limit: i64,
) -> Result<(Vec<Value>, bool), tokio_postgres::Error> {
    let sql = format!(
        r#"SELECT jsonb_build_object('userId', b."userId", 'bannedBy', b."bannedBy", 'reason', b."reason",
                  'createdAt', {created}) AS ban
           FROM "UserBan" b
           WHERE ($1::text IS NULL OR (b."createdAt", b."userId") <
                  (SELECT c."createdAt", c."userId" FROM "UserBan" c WHERE c."userId" = $1))
           ORDER BY b."createdAt" DESC, b."userId" DESC LIMIT $2"#,
        created = ts(r#"b."createdAt""#)
    );
    let rows = timed(client.query_typed(&sql, &[(&before, Type::TEXT), (&(limit + 1), Type::INT8)])).await?;
    let has_more = rows.len() as i64 > limit;
    Ok((rows.iter().take(limit as usize).map(|row| row.get("ban")).collect(), has_more))
}

/// Appends an operator action to the audit log.
pub async fn audit(
    client: &impl GenericClient,
    admin: &UserId,
    action: &str,
    target: (&str, &str),
    detail: &Value,
) -> Result<(), tokio_postgres::Error> {
    timed(client.execute_typed(
        r#"INSERT INTO "AdminAudit" ("adminId", "action", "targetType", "targetId", "detail")
           VALUES ($1, $2, $3, $4, $5)"#,
        &[
            (&admin.as_str(), Type::TEXT),
            (&action, Type::TEXT),
            (&target.0, Type::TEXT),
            (&target.1, Type::TEXT),
            (detail, Type::JSONB),
        ],
    ))
    .await?;
    Ok(())
}

/// Up to `limit` audit entries, newest first (`before`: an entry id, the next page), and whether there are more.
pub async fn audit_log(
    client: &impl GenericClient,
    before: Option<i64>,
    limit: i64,
) -> Result<(Vec<Value>, bool), tokio_postgres::Error> {
    let sql = format!(
        r#"SELECT jsonb_build_object('id', a."id", 'adminId', a."adminId", 'action', a."action",
                  'targetType', a."targetType", 'targetId', a."targetId", 'detail', a."detail",
                  'createdAt', {created}) AS entry
           FROM "AdminAudit" a WHERE ($1::int8 IS NULL OR a."id" < $1)
           ORDER BY a."id" DESC LIMIT $2"#,
        created = ts(r#"a."createdAt""#)
    );
    let rows = timed(client.query_typed(&sql, &[(&before, Type::INT8), (&(limit + 1), Type::INT8)])).await?;
    let has_more = rows.len() as i64 > limit;
    Ok((rows.iter().take(limit as usize).map(|row| row.get("entry")).collect(), has_more))
}
