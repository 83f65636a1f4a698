-- Reaching people who are away: a durable outbox of side effects (signed webhooks to the app's
-- backend, Web Push), the browsers' push subscriptions and per-conversation mutes. Additive only:
-- new tables of the product's own and a second "Message_send" (the V11 one stays for code that
-- still calls it during a rolling deploy).

-- One row per side effect that must not be lost, written in the transaction of what caused it.
-- A drain claims due rows with FOR UPDATE SKIP LOCKED and moves "nextAttemptAt" past a lease, so
-- concurrent drains never hold one row at the same time and a drain that dies mid-delivery
-- releases its rows when the lease runs out. Delivered rows are deleted; a row still failing
-- after OUTBOX_MAX_AGE_SECS is kept with "gaveUpAt" set (see "OutboxGivenUp").
CREATE TABLE IF NOT EXISTS "Outbox" (
    "id"            BIGSERIAL PRIMARY KEY,
    -- The idempotency id every delivery carries (the webhook's `id`, the push's Topic).
    "eventId"       UUID NOT NULL DEFAULT gen_random_uuid(),
    -- webhook | push.message | push.invitation | push.send
    "kind"          TEXT NOT NULL,
    "payload"       JSONB NOT NULL,
    "createdAt"     TIMESTAMP(3) NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    "attempts"      INTEGER NOT NULL DEFAULT 0,
    -- Truncated, not rounded to TIMESTAMP(3)'s milliseconds: a new row is due at once.
    "nextAttemptAt" TIMESTAMP(3) NOT NULL DEFAULT date_trunc('milliseconds', now() AT TIME ZONE 'UTC'),
    "lastError"     TEXT,
    "gaveUpAt"      TIMESTAMP(3),
    CONSTRAINT "Outbox_eventId_key" UNIQUE ("eventId")
);
-- The drain's scan: due rows not given up, oldest due first.
CREATE INDEX IF NOT EXISTS "Outbox_due_idx" ON "Outbox" ("nextAttemptAt") WHERE "gaveUpAt" IS NULL;

-- What an operator reads when deliveries stopped: every row the outbox gave up on, newest first.
-- Requeue one with UPDATE "Outbox" SET "gaveUpAt" = NULL, "nextAttemptAt" = now() AT TIME ZONE 'UTC',
-- "createdAt" = now() AT TIME ZONE 'UTC' WHERE "id" = …; delete them with DELETE … WHERE "gaveUpAt" IS NOT NULL.
CREATE OR REPLACE VIEW "OutboxGivenUp" AS
    SELECT "id", "eventId", "kind", "payload", "createdAt", "attempts", "lastError", "gaveUpAt"
    FROM "Outbox" WHERE "gaveUpAt" IS NOT NULL ORDER BY "gaveUpAt" DESC;

-- A browser's PushSubscription: its endpoint (one per browser profile and service worker) and the
-- keys that encrypt what is sent to it (RFC 8291). A user has at most 10; the oldest is replaced.
CREATE TABLE IF NOT EXISTS "PushSubscription" (
    "id"        TEXT NOT NULL PRIMARY KEY,
    "userId"    TEXT NOT NULL,
    "endpoint"  TEXT NOT NULL,
    "p256dh"    TEXT NOT NULL,
    "auth"      TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    CONSTRAINT "PushSubscription_endpoint_key" UNIQUE ("endpoint"),
    CONSTRAINT "PushSubscription_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "PushSubscription_userId_idx" ON "PushSubscription" ("userId", "createdAt");

-- A user's mute of one conversation: no push for it until "until" (NULL: until unmuted).
CREATE TABLE IF NOT EXISTS "ConversationMute" (
    "userId"    TEXT NOT NULL,
    "chatId"    TEXT NOT NULL,
    "until"     TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    CONSTRAINT "ConversationMute_pkey" PRIMARY KEY ("userId", "chatId"),
    CONSTRAINT "ConversationMute_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE
);

-- V11's send with its side effects: the same statement, plus one outbox row per (kind, event)
-- pair given, written by the same statement (so in the same transaction) with the message's id.
-- Empty arrays write none. It stays one function call, so PostgreSQL keeps caching its plan per
-- connection; it also returns the new rows' ids, which the API delivers right after answering.
CREATE OR REPLACE FUNCTION "Message_send"(
    p_limit_key TEXT, p_capacity FLOAT8, p_refill FLOAT8,
    p_chat_id TEXT, p_kind TEXT, p_user_a TEXT, p_user_b TEXT, p_room_id TEXT,
    p_id TEXT, p_sender_id TEXT, p_receiver_id TEXT, p_content TEXT, p_type TEXT,
    p_file_url TEXT, p_file_name TEXT, p_file_size INTEGER, p_client_message_id TEXT, p_reply_to_id TEXT,
    p_outbox_kinds TEXT[], p_outbox_events TEXT[])
RETURNS TABLE (
    "id" TEXT, "chatId" TEXT, "seq" BIGINT, "senderId" TEXT, "receiverId" TEXT, "roomId" TEXT,
    "content" TEXT, "type" TEXT, "fileUrl" TEXT, "fileName" TEXT, "fileSize" INTEGER, "isRead" BOOLEAN,
    "readAt" TIMESTAMP(3), "createdAt" TIMESTAMP(3), "clientMessageId" TEXT, "firstName" TEXT,
    "lastName" TEXT, "avatar" TEXT, "replyToId" TEXT, "replySeq" BIGINT, "replySenderId" TEXT,
    "replyContent" TEXT, "replyDeletedAt" TIMESTAMP(3), "editedAt" TIMESTAMP(3), "deletedAt" TIMESTAMP(3),
    "changeSeq" BIGINT, "outboxIds" BIGINT[])
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH allowed AS (
        INSERT INTO "RateLimit" ("key", "tokens", "updatedAt")
        VALUES (p_limit_key, p_capacity - 1, (clock_timestamp() AT TIME ZONE 'UTC'))
        ON CONFLICT ("key") DO UPDATE
            SET "tokens" = LEAST(p_capacity, "RateLimit"."tokens" + GREATEST(0, EXTRACT(EPOCH FROM
                    ((clock_timestamp() AT TIME ZONE 'UTC') - "RateLimit"."updatedAt"))) * p_refill) - 1,
                "updatedAt" = (clock_timestamp() AT TIME ZONE 'UTC')
            WHERE LEAST(p_capacity, "RateLimit"."tokens" + GREATEST(0, EXTRACT(EPOCH FROM
                    ((clock_timestamp() AT TIME ZONE 'UTC') - "RateLimit"."updatedAt"))) * p_refill) >= 1
        RETURNING "tokens"),
    conversation AS (
        INSERT INTO "Conversation" ("id", "kind", "userA", "userB", "roomId", "lastSeq", "lastMessageAt")
        SELECT p_chat_id, p_kind, p_user_a, p_user_b, p_room_id, 1, (clock_timestamp() AT TIME ZONE 'UTC')
        FROM allowed
        ON CONFLICT ("id") DO UPDATE SET "lastSeq" = "Conversation"."lastSeq" + 1,
            "lastMessageAt" = EXCLUDED."lastMessageAt"
        RETURNING "lastSeq", "lastMessageAt"),
    m AS (
        INSERT INTO "Message" ("id", "senderId", "receiverId", "roomId", "content", "type", "fileUrl",
            "fileName", "fileSize", "createdAt", "updatedAt", "chatId", "seq", "clientMessageId", "replyToId")
        SELECT p_id, p_sender_id, p_receiver_id, p_room_id, p_content, p_type::"MessageType", p_file_url,
            p_file_name, p_file_size, c."lastMessageAt", c."lastMessageAt", p_chat_id, c."lastSeq",
            p_client_message_id, p_reply_to_id
        FROM conversation c
        RETURNING *),
    effects AS (
        INSERT INTO "Outbox" ("kind", "payload")
        SELECT e.kind, jsonb_build_object('type', e.event, 'messageId', m."id")
        FROM m, unnest(p_outbox_kinds, p_outbox_events) AS e(kind, event)
        RETURNING "Outbox"."id")
    SELECT m."id"::TEXT, m."chatId"::TEXT, m."seq"::BIGINT, m."senderId"::TEXT, m."receiverId"::TEXT,
        m."roomId"::TEXT, m."content"::TEXT, m."type"::TEXT, m."fileUrl"::TEXT, m."fileName"::TEXT,
        m."fileSize"::INTEGER, m."isRead"::BOOLEAN, m."readAt"::TIMESTAMP(3), m."createdAt"::TIMESTAMP(3),
        m."clientMessageId"::TEXT, u."firstName"::TEXT, u."lastName"::TEXT, u."avatar"::TEXT,
        m."replyToId"::TEXT, p."seq"::BIGINT, p."senderId"::TEXT, p."content"::TEXT,
        p."deletedAt"::TIMESTAMP(3), m."editedAt"::TIMESTAMP(3), m."deletedAt"::TIMESTAMP(3),
        m."changeSeq"::BIGINT, ARRAY(SELECT effects."id" FROM effects)
    FROM m JOIN "User" u ON u."id" = m."senderId" LEFT JOIN "Message" p ON p."id" = m."replyToId";
END
$$;
