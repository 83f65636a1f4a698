-- Edits and deletions. A message keeps its "seq" when its sender edits it ("editedAt") or takes it
-- back ("deletedAt", with its text and file emptied: a tombstone, so history keeps no gap). Every
-- change takes the next number of its conversation's "changeSeq" counter (in the same statement, so
-- changes commit in counter order), and clients that were away read what changed after the number
-- they have. Additive: new columns are nullable or have a default, so Prisma code keeps working.
ALTER TABLE "Message" ADD COLUMN IF NOT EXISTS "editedAt" TIMESTAMP(3);
ALTER TABLE "Message" ADD COLUMN IF NOT EXISTS "deletedAt" TIMESTAMP(3);
ALTER TABLE "Message" ADD COLUMN IF NOT EXISTS "changeSeq" BIGINT NOT NULL DEFAULT 0;
ALTER TABLE "Conversation" ADD COLUMN IF NOT EXISTS "changeSeq" BIGINT NOT NULL DEFAULT 0;
-- Only changed messages are in it, so it stays small however long the history grows.
CREATE INDEX IF NOT EXISTS "Message_chatId_changeSeq_idx" ON "Message"("chatId", "changeSeq") WHERE "changeSeq" > 0;
