-- Who has a 1:1 chat open. While a chat is open the project's client is a member of the chat's
-- presence channel (`presence-chat-{a}-{b}`, which carries no events), and Pusher's presence
-- webhooks report members joining and leaving. A receiver who has the chat open already gets
-- `new-message` on the chat channel, so the copy on their notifications channel is left out: one
-- delivery per device (docs/cost.md). Rows change only for a newer webhook time, so retried or
-- reordered webhooks cannot bring back an older state; a row is trusted for an hour (a webhook can
-- be lost), after which both copies go out again. Additive only.
CREATE TABLE IF NOT EXISTS "ChatPresence" (
    "channel" TEXT NOT NULL,
    "userId"  TEXT NOT NULL,
    "present" BOOLEAN NOT NULL,
    "at"      TIMESTAMP(3) NOT NULL,
    CONSTRAINT "ChatPresence_pkey" PRIMARY KEY ("channel", "userId")
);
