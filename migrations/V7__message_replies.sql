-- Replies: a message may quote an earlier message of the same conversation. Additive: the column is
-- nullable, so Prisma code that does not know it keeps reading and writing messages as before.
ALTER TABLE "Message" ADD COLUMN IF NOT EXISTS "replyToId" TEXT;
DO $$ BEGIN
    ALTER TABLE "Message" ADD CONSTRAINT "Message_replyToId_fkey"
        FOREIGN KEY ("replyToId") REFERENCES "Message"("id") ON DELETE SET NULL ON UPDATE CASCADE;
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
