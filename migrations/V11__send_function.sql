-- A send as one function call. The send is one statement (take a rate-limit token, number the
-- message in its conversation, insert it, read it back with its sender and quoted message); sent
-- as an unnamed statement, so that transaction-mode poolers (PgBouncer, Supavisor) work, it was
-- parsed, analysed and planned again on every send, about 40 % of PostgreSQL's time for it.
-- Inside a PL/pgSQL function the plan is cached per server connection, with any pooler.
-- The statement is the one the API sent before; every failure (a duplicate clientMessageId, an
-- unknown user or replied-to message) still rolls all of it back, and no row means the rate limit
-- refused it. The result columns are cast, so a database that Prisma created with other column
-- types still matches them.

CREATE OR REPLACE FUNCTION "Message_send"(
    p_limit_key TEXT, p_capacity FLOAT8, p_refill FLOAT8,
    p_chat_id TEXT, p_kind TEXT, p_user_a TEXT, p_user_b TEXT, p_room_id TEXT,
    p_id TEXT, p_sender_id TEXT, p_receiver_id TEXT, p_content TEXT, p_type TEXT,
    p_file_url TEXT, p_file_name TEXT, p_file_size INTEGER, p_client_message_id TEXT, p_reply_to_id TEXT)
RETURNS TABLE (
    "id" TEXT, "chatId" TEXT, "seq" BIGINT, "senderId" TEXT, "receiverId" TEXT, "roomId" TEXT,
    "content" TEXT, "type" TEXT, "fileUrl" TEXT, "fileName" TEXT, "fileSize" INTEGER, "isRead" BOOLEAN,
    "readAt" TIMESTAMP(3), "createdAt" TIMESTAMP(3), "clientMessageId" TEXT, "firstName" TEXT,
    "lastName" TEXT, "avatar" TEXT, "replyToId" TEXT, "replySeq" BIGINT, "replySenderId" TEXT,
    "replyContent" TEXT, "replyDeletedAt" TIMESTAMP(3), "editedAt" TIMESTAMP(3), "deletedAt" TIMESTAMP(3),
    "changeSeq" BIGINT)
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
        RETURNING *)
    SELECT m."id"::TEXT, m."chatId"::TEXT, m."seq"::BIGINT, m."senderId"::TEXT, m."receiverId"::TEXT,
        m."roomId"::TEXT, m."content"::TEXT, m."type"::TEXT, m."fileUrl"::TEXT, m."fileName"::TEXT,
        m."fileSize"::INTEGER, m."isRead"::BOOLEAN, m."readAt"::TIMESTAMP(3), m."createdAt"::TIMESTAMP(3),
        m."clientMessageId"::TEXT, u."firstName"::TEXT, u."lastName"::TEXT, u."avatar"::TEXT,
        m."replyToId"::TEXT, p."seq"::BIGINT, p."senderId"::TEXT, p."content"::TEXT,
        p."deletedAt"::TIMESTAMP(3), m."editedAt"::TIMESTAMP(3), m."deletedAt"::TIMESTAMP(3),
        m."changeSeq"::BIGINT
    FROM m JOIN "User" u ON u."id" = m."senderId" LEFT JOIN "Message" p ON p."id" = m."replyToId";
END
$$;

-- The numbering trigger is for inserts written elsewhere (Prisma code): the API's own inserts
-- carry their "seq", so they no longer call the trigger function at all.
DROP TRIGGER IF EXISTS "Message_assign_seq" ON "Message";
CREATE TRIGGER "Message_assign_seq" BEFORE INSERT ON "Message"
    FOR EACH ROW WHEN (NEW."seq" IS NULL) EXECUTE FUNCTION "Message_assign_seq"();
