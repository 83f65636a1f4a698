-- A user's data: erasure and retention. Additive only: two nullable columns on "User", indexes,
-- and a trigger that refuses new messages to or from an erased account.
--
-- An erased user keeps a stub "User" row (the id and nothing else: no email, name, avatar or
-- status), because the seed's schema restricts deleting a user who sent messages, and their
-- messages stay as tombstones so every conversation keeps its "seq" without gaps. "erasedAt" is
-- when the erasure began (from then on the account is gone for every route); "erasureDoneAt" when
-- the last of their data went and `user.erased` was sent. A row with the first and not the second
-- is an erasure still under way, which the periodic jobs carry on in batches.
ALTER TABLE "User" ADD COLUMN IF NOT EXISTS "erasedAt" TIMESTAMP(3);
ALTER TABLE "User" ADD COLUMN IF NOT EXISTS "erasureDoneAt" TIMESTAMP(3);
CREATE INDEX IF NOT EXISTS "User_erasure_pending_idx" ON "User" ("erasedAt")
    WHERE "erasedAt" IS NOT NULL AND "erasureDoneAt" IS NULL;

-- A sender's messages in id order: the export's pages (keyset on "id") ...
CREATE INDEX IF NOT EXISTS "Message_senderId_id_idx" ON "Message" ("senderId", "id");
-- ... and the erasure's batches, which only look at what is not a tombstone yet, so each batch
-- starts where the last one ended however many are done.
CREATE INDEX IF NOT EXISTS "Message_senderId_live_idx" ON "Message" ("senderId", "id") WHERE "deletedAt" IS NULL;
-- The retention drain: the oldest messages that are not tombstones yet.
CREATE INDEX IF NOT EXISTS "Message_createdAt_live_idx" ON "Message" ("createdAt", "id") WHERE "deletedAt" IS NULL;
-- The export's reactions, in pages.
CREATE INDEX IF NOT EXISTS "MessageReaction_userId_idx" ON "MessageReaction" ("userId", "messageId", "emoji");

-- No new message to or from an erased account (the API's sends, and Prisma code writing to the same
-- database). It fails as the sender's or receiver's foreign key would, so callers treat an erased
-- account as an unknown user.
CREATE OR REPLACE FUNCTION "Message_refuse_erased"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM "User" u WHERE u."id" = NEW."senderId" AND u."erasedAt" IS NOT NULL) THEN
        RAISE EXCEPTION 'the sender''s account is erased'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'Message_senderId_fkey';
    END IF;
    IF NEW."receiverId" IS NOT NULL
       AND EXISTS (SELECT 1 FROM "User" u WHERE u."id" = NEW."receiverId" AND u."erasedAt" IS NOT NULL) THEN
        RAISE EXCEPTION 'the receiver''s account is erased'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'Message_receiverId_fkey';
    END IF;
    RETURN NEW;
END
$$;
DROP TRIGGER IF EXISTS "Message_refuse_erased" ON "Message";
CREATE TRIGGER "Message_refuse_erased" BEFORE INSERT ON "Message"
    FOR EACH ROW EXECUTE FUNCTION "Message_refuse_erased"();
