-- Additive: when the online state last changed (ignores webhook retries and out-of-order
-- deliveries), and an index for "do these two users share a conversation".
ALTER TABLE "User" ADD COLUMN IF NOT EXISTS "statusAt" TIMESTAMP(3);
CREATE INDEX IF NOT EXISTS "Message_senderId_receiverId_idx" ON "Message"("senderId", "receiverId");
