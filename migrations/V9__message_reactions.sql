-- Reactions: one row per user, emoji and message (so a user reacts with an emoji once). A change
-- takes the next number of the conversation's change counter (V8), so clients that were away learn
-- of it through changedAfter=. Additive: a new table of the product's own.
CREATE TABLE IF NOT EXISTS "MessageReaction" (
    "messageId" TEXT NOT NULL,
    "userId"    TEXT NOT NULL,
    "emoji"     TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    CONSTRAINT "MessageReaction_pkey" PRIMARY KEY ("messageId", "userId", "emoji"),
    CONSTRAINT "MessageReaction_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message"("id") ON DELETE CASCADE,
    CONSTRAINT "MessageReaction_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE
);
