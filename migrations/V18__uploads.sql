-- Files uploaded straight to the object store with a presigned PUT. A row is written when the PUT
-- is signed (before any byte exists); a FILE message that uses it sets "messageId" in the
-- transaction that stores the message, and a row is used at most once (the UPDATE's
-- "messageId" IS NULL). The key is chosen by the server; the file name is metadata only.
-- Objects are deleted before their rows: uploads no message used for a day, and uploads whose
-- message became a tombstone ("discardedAt", set by the trigger below), are found by the periodic
-- cleanup through the two partial indexes. Additive only.
CREATE TABLE IF NOT EXISTS "Upload" (
    "id"          TEXT NOT NULL,
    "uploaderId"  TEXT NOT NULL,
    "chatId"      TEXT NOT NULL,
    "objectKey"   TEXT NOT NULL,
    "fileName"    TEXT NOT NULL,
    "contentType" TEXT NOT NULL,
    "size"        BIGINT NOT NULL CHECK ("size" >= 0),
    "width"       INTEGER,
    "height"      INTEGER,
    "createdAt"   TIMESTAMP(3) NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    -- The message that carries it; deferred, so the claim and the message's insert can run in
    -- either order within one transaction. A message removed outright (not a tombstone) leaves
    -- the upload unused, and the cleanup deletes it.
    "messageId"   TEXT,
    "discardedAt" TIMESTAMP(3),
    CONSTRAINT "Upload_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "Upload_objectKey_key" UNIQUE ("objectKey"),
    CONSTRAINT "Upload_messageId_key" UNIQUE ("messageId"),
    CONSTRAINT "Upload_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message"("id")
        ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED
);

CREATE INDEX IF NOT EXISTS "Upload_unused_createdAt_idx" ON "Upload" ("createdAt") WHERE "messageId" IS NULL;
CREATE INDEX IF NOT EXISTS "Upload_discarded_idx" ON "Upload" ("discardedAt") WHERE "discardedAt" IS NOT NULL;

-- Every path that turns a message into a tombstone (a delete, erasure, retention, or SQL of the
-- app's own) marks its upload for deletion, so no object outlives its message for longer than
-- one cleanup run, whichever code wrote the tombstone.
CREATE OR REPLACE FUNCTION "Upload_discard_with_message"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE "Upload" SET "discardedAt" = (now() AT TIME ZONE 'UTC')
    WHERE "messageId" = NEW."id" AND "discardedAt" IS NULL;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS "Message_discard_upload" ON "Message";
CREATE TRIGGER "Message_discard_upload" AFTER UPDATE OF "deletedAt" ON "Message"
    FOR EACH ROW WHEN (OLD."deletedAt" IS NULL AND NEW."deletedAt" IS NOT NULL AND NEW."type" = 'FILE')
    EXECUTE FUNCTION "Upload_discard_with_message"();
