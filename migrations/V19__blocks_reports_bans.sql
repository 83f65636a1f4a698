-- Trust and safety: per-user blocks and mutes, reports with the evidence they were filed on,
-- app-wide bans, and the operators' audit log.

-- A user's block or mute of another user. A block hides the other's messages in shared rooms,
-- refuses their sends, typing and reactions in the 1:1 chat and hides presence both ways; a mute
-- only collapses their messages in the client and stops their pushes. Both may hold at once.
CREATE TABLE IF NOT EXISTS "UserBlock" (
    "userId"    TEXT NOT NULL,
    "blockedId" TEXT NOT NULL,
    "kind"      TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    CONSTRAINT "UserBlock_pkey" PRIMARY KEY ("userId", "kind", "blockedId"),
    CONSTRAINT "UserBlock_kind_check" CHECK ("kind" IN ('block', 'mute')),
    CONSTRAINT "UserBlock_not_self" CHECK ("userId" <> "blockedId"),
    CONSTRAINT "UserBlock_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE,
    CONSTRAINT "UserBlock_blockedId_fkey" FOREIGN KEY ("blockedId") REFERENCES "User"("id") ON DELETE CASCADE
);
-- "Has anyone blocked this sender" (pushes, the presence rule) probes by the blocked user.
CREATE INDEX IF NOT EXISTS "UserBlock_blockedId_idx" ON "UserBlock" ("blockedId", "userId");

-- A report of a message, a user or a room. "snapshot" is the reported content as it was when the
-- report was filed, so a later edit or delete does not destroy the evidence.
CREATE TABLE IF NOT EXISTS "Report" (
    "id"             TEXT NOT NULL,
    "reporterId"     TEXT NOT NULL,
    "targetType"     TEXT NOT NULL,
    "targetId"       TEXT NOT NULL,
    "reason"         TEXT NOT NULL,
    "note"           TEXT,
    "snapshot"       JSONB NOT NULL,
    "status"         TEXT NOT NULL DEFAULT 'open',
    "createdAt"      TIMESTAMP(3) NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    "resolvedBy"     TEXT,
    "resolvedAt"     TIMESTAMP(3),
    "resolutionNote" TEXT,
    CONSTRAINT "Report_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "Report_targetType_check" CHECK ("targetType" IN ('message', 'user', 'room')),
    CONSTRAINT "Report_reason_check"
        CHECK ("reason" IN ('spam', 'harassment', 'hate', 'sexual', 'violence', 'other')),
    CONSTRAINT "Report_status_check" CHECK ("status" IN ('open', 'resolved', 'dismissed'))
);
-- One open report per reporter and target: a second one finds the first.
CREATE UNIQUE INDEX IF NOT EXISTS "Report_open_once"
    ON "Report" ("reporterId", "targetType", "targetId") WHERE "status" = 'open';
-- The operators' queue: newest first, by status.
CREATE INDEX IF NOT EXISTS "Report_status_createdAt_idx" ON "Report" ("status", "createdAt" DESC, "id" DESC);

-- An app-wide ban: every call of the user is refused. No foreign key: an account may be banned
-- before its first sign-in.
CREATE TABLE IF NOT EXISTS "UserBan" (
    "userId"    TEXT NOT NULL,
    "bannedBy"  TEXT NOT NULL,
    "reason"    TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    CONSTRAINT "UserBan_pkey" PRIMARY KEY ("userId")
);

-- Every operator action, append-only.
CREATE TABLE IF NOT EXISTS "AdminAudit" (
    "id"         BIGINT GENERATED ALWAYS AS IDENTITY,
    "adminId"    TEXT NOT NULL,
    "action"     TEXT NOT NULL,
    "targetType" TEXT NOT NULL,
    "targetId"   TEXT NOT NULL,
    "detail"     JSONB NOT NULL DEFAULT '{}'::jsonb,
    "createdAt"  TIMESTAMP(3) NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    CONSTRAINT "AdminAudit_pkey" PRIMARY KEY ("id")
);

-- V12's presence rule, now also false when either user blocked the other or the watched user is
-- banned: channel authorization (presence-user-…) and the inbox's status keep agreeing.
CREATE OR REPLACE FUNCTION "User_mayWatchPresence"(p_watcher TEXT, p_watched TEXT)
RETURNS BOOLEAN LANGUAGE sql STABLE AS $$
    SELECT (EXISTS (SELECT 1 FROM "Message" m WHERE m."senderId" = p_watched AND m."receiverId" = p_watcher)
            OR EXISTS (SELECT 1 FROM "RoomMember" rm
                       WHERE rm."userId" = p_watcher
                         AND EXISTS (SELECT 1 FROM "Message" m
                                     WHERE m."senderId" = p_watched AND m."roomId" = rm."roomId")))
       AND NOT EXISTS (SELECT 1 FROM "UserBlock" b
                       WHERE b."kind" = 'block'
                         AND ((b."userId" = p_watcher AND b."blockedId" = p_watched)
                              OR (b."userId" = p_watched AND b."blockedId" = p_watcher)))
       AND NOT EXISTS (SELECT 1 FROM "UserBan" x WHERE x."userId" = p_watched)
$$;
