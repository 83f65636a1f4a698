-- Room consent: someone put in a room by another user is invited first, and becomes a member (sees
-- its messages and events, may write there, shows presence to it) only once they accept.
-- Additive: existing members stay members; the seed's tables are unchanged.
CREATE TABLE IF NOT EXISTS "RoomInvitation" (
    "roomId"    TEXT NOT NULL REFERENCES "Room"("id") ON DELETE CASCADE,
    "userId"    TEXT NOT NULL,
    "invitedBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    CONSTRAINT "RoomInvitation_pkey" PRIMARY KEY ("roomId", "userId"),
    CONSTRAINT "RoomInvitation_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE,
    CONSTRAINT "RoomInvitation_invitedBy_fkey" FOREIGN KEY ("invitedBy") REFERENCES "User"("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "RoomInvitation_userId_idx" ON "RoomInvitation"("userId");
