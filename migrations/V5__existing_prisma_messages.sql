-- Additive: makes messages written without this product's columns part of the numbered history.
-- 1. Messages that existed before V4 (or were written by Prisma code since) get their "chatId" and
--    "seq" (by "createdAt", then "id"), their conversations, read positions from "isRead", and room
--    members from the rooms' senders.
-- 2. A trigger numbers every future insert that comes without "chatId"/"seq" (Prisma code that does
--    not know them), so old and new code can write to the same database side by side. Ids are
--    compared byte-wise (COLLATE "C"), as the product sorts them for chat ids and channel names.

UPDATE "Message" m
SET "chatId" = CASE
        WHEN m."roomId" IS NOT NULL THEN 'room:' || m."roomId"
        ELSE LEAST(m."senderId" COLLATE "C", m."receiverId" COLLATE "C") || ':'
             || GREATEST(m."senderId" COLLATE "C", m."receiverId" COLLATE "C")
    END
WHERE m."chatId" IS NULL AND (m."roomId" IS NOT NULL OR m."receiverId" IS NOT NULL);

WITH top AS (
    SELECT "chatId", MAX("seq") AS seq FROM "Message" WHERE "chatId" IS NOT NULL GROUP BY "chatId"),
numbered AS (
    SELECT m."id", COALESCE(t.seq, 0)
           + row_number() OVER (PARTITION BY m."chatId" ORDER BY m."createdAt", m."id") AS seq
    FROM "Message" m LEFT JOIN top t ON t."chatId" = m."chatId"
    WHERE m."seq" IS NULL AND m."chatId" IS NOT NULL)
UPDATE "Message" m SET "seq" = n.seq FROM numbered n WHERE m."id" = n."id";

INSERT INTO "Conversation" ("id", "kind", "userA", "userB", "roomId", "lastSeq", "lastMessageAt")
SELECT "chatId",
       CASE WHEN MAX("roomId") IS NULL THEN 'private' ELSE 'room' END,
       CASE WHEN MAX("roomId") IS NULL THEN split_part("chatId", ':', 1) END,
       CASE WHEN MAX("roomId") IS NULL THEN split_part("chatId", ':', 2) END,
       MAX("roomId"), MAX("seq"), MAX("createdAt")
FROM "Message" WHERE "chatId" IS NOT NULL
GROUP BY "chatId"
ON CONFLICT ("id") DO UPDATE
    SET "lastSeq" = GREATEST("Conversation"."lastSeq", EXCLUDED."lastSeq"),
        "lastMessageAt" = GREATEST("Conversation"."lastMessageAt", EXCLUDED."lastMessageAt");

INSERT INTO "ConversationRead" ("userId", "chatId", "readSeq", "readAt")
SELECT "receiverId", "chatId", MAX("seq"), COALESCE(MAX("readAt"), now() AT TIME ZONE 'UTC')
FROM "Message" WHERE "isRead" AND "receiverId" IS NOT NULL AND "chatId" IS NOT NULL
GROUP BY "receiverId", "chatId"
ON CONFLICT ("userId", "chatId") DO UPDATE
    SET "readSeq" = GREATEST("ConversationRead"."readSeq", EXCLUDED."readSeq");

INSERT INTO "RoomMember" ("roomId", "userId")
SELECT DISTINCT "roomId", "senderId" FROM "Message" WHERE "roomId" IS NOT NULL
ON CONFLICT DO NOTHING;

CREATE OR REPLACE FUNCTION "Message_assign_seq"() RETURNS trigger AS $$
BEGIN
    IF NEW."seq" IS NOT NULL THEN
        RETURN NEW;  -- this product's own inserts number themselves
    END IF;
    IF NEW."chatId" IS NULL THEN
        IF NEW."roomId" IS NOT NULL THEN
            NEW."chatId" := 'room:' || NEW."roomId";
        ELSIF NEW."receiverId" IS NOT NULL THEN
            NEW."chatId" := LEAST(NEW."senderId" COLLATE "C", NEW."receiverId" COLLATE "C") || ':'
                            || GREATEST(NEW."senderId" COLLATE "C", NEW."receiverId" COLLATE "C");
        ELSE
            RETURN NEW;
        END IF;
    END IF;
    INSERT INTO "Conversation" ("id", "kind", "userA", "userB", "roomId", "lastSeq")
    VALUES (NEW."chatId",
            CASE WHEN NEW."roomId" IS NULL THEN 'private' ELSE 'room' END,
            CASE WHEN NEW."roomId" IS NULL THEN split_part(NEW."chatId", ':', 1) END,
            CASE WHEN NEW."roomId" IS NULL THEN split_part(NEW."chatId", ':', 2) END,
            NEW."roomId", 0)
    ON CONFLICT ("id") DO NOTHING;
    UPDATE "Conversation"
    SET "lastSeq" = "lastSeq" + 1,
        "lastMessageAt" = GREATEST(COALESCE("lastMessageAt", NEW."createdAt"), NEW."createdAt")
    WHERE "id" = NEW."chatId"
    RETURNING "lastSeq" INTO NEW."seq";
    IF NEW."roomId" IS NOT NULL THEN
        INSERT INTO "RoomMember" ("roomId", "userId") VALUES (NEW."roomId", NEW."senderId") ON CONFLICT DO NOTHING;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS "Message_assign_seq" ON "Message";
CREATE TRIGGER "Message_assign_seq" BEFORE INSERT ON "Message"
    FOR EACH ROW EXECUTE FUNCTION "Message_assign_seq"();
