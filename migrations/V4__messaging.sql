-- Additive messaging schema. Prisma code that knows only the seed's columns keeps working: the new
-- "Message" columns are nullable, new tables are the product's own.

-- One row per conversation (a 1:1 chat or a room): its sequence counter and recency. The counter is
-- incremented in the same statement that inserts the message, so sequence numbers have no gaps.
CREATE TABLE IF NOT EXISTS "Conversation" (
    "id"            TEXT NOT NULL,          -- "{lowerUserId}:{higherUserId}" or "room:{roomId}"
    "kind"          TEXT NOT NULL CHECK ("kind" IN ('private', 'room')),
    "userA"         TEXT REFERENCES "User"("id") ON DELETE CASCADE,
    "userB"         TEXT REFERENCES "User"("id") ON DELETE CASCADE,
    "roomId"        TEXT REFERENCES "Room"("id") ON DELETE CASCADE,
    "lastSeq"       BIGINT NOT NULL DEFAULT 0,
    "lastMessageAt" TIMESTAMP(3),
    CONSTRAINT "Conversation_pkey" PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "Conversation_userA_idx" ON "Conversation"("userA", "lastMessageAt" DESC);
CREATE INDEX IF NOT EXISTS "Conversation_userB_idx" ON "Conversation"("userB", "lastMessageAt" DESC);
-- Not unique: a second unique index would make concurrent upserts on "id" fail (ON CONFLICT only
-- arbitrates one index); "room:{roomId}" as the id already makes it one per room.
CREATE INDEX IF NOT EXISTS "Conversation_roomId_idx" ON "Conversation"("roomId");

ALTER TABLE "Message" ADD COLUMN IF NOT EXISTS "chatId" TEXT;
ALTER TABLE "Message" ADD COLUMN IF NOT EXISTS "seq" BIGINT;
ALTER TABLE "Message" ADD COLUMN IF NOT EXISTS "clientMessageId" TEXT;
-- History, sync and unread counts are range scans on (chatId, seq).
CREATE UNIQUE INDEX IF NOT EXISTS "Message_chatId_seq_key" ON "Message"("chatId", "seq");
-- Idempotent retries: a client message id is unique per sender.
CREATE UNIQUE INDEX IF NOT EXISTS "Message_senderId_clientMessageId_key" ON "Message"("senderId", "clientMessageId");

CREATE TABLE IF NOT EXISTS "RoomMember" (
    "roomId"   TEXT NOT NULL REFERENCES "Room"("id") ON DELETE CASCADE,
    "userId"   TEXT NOT NULL REFERENCES "User"("id") ON DELETE CASCADE,
    "joinedAt" TIMESTAMP(3) NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    CONSTRAINT "RoomMember_pkey" PRIMARY KEY ("roomId", "userId")
);
CREATE INDEX IF NOT EXISTS "RoomMember_userId_idx" ON "RoomMember"("userId");

-- Each reader's position in a conversation; unread counts are derived from it, never stored.
CREATE TABLE IF NOT EXISTS "ConversationRead" (
    "userId"  TEXT NOT NULL REFERENCES "User"("id") ON DELETE CASCADE,
    "chatId"  TEXT NOT NULL REFERENCES "Conversation"("id") ON DELETE CASCADE,
    "readSeq" BIGINT NOT NULL DEFAULT 0,
    "readAt"  TIMESTAMP(3) NOT NULL,
    CONSTRAINT "ConversationRead_pkey" PRIMARY KEY ("userId", "chatId")
);

-- Token buckets shared by every function instance (send rate, typing and presence throttles).
CREATE TABLE IF NOT EXISTS "RateLimit" (
    "key"       TEXT NOT NULL,
    "tokens"    DOUBLE PRECISION NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "RateLimit_pkey" PRIMARY KEY ("key")
);
