-- Room roles: each member is the room's `owner`, an `admin` or a plain `member`. The owner names
-- admins; admins remove and ban members, delete others' messages, rename the room and choose who
-- may invite (SECURITY.md, "Room roles"). Additive: existing members become members, and each
-- existing room's creator (its longest-standing member: the creator joins in the statement that
-- creates the room) becomes its owner.
ALTER TABLE "RoomMember" ADD COLUMN IF NOT EXISTS "role" TEXT NOT NULL DEFAULT 'member'
    CHECK ("role" IN ('owner', 'admin', 'member'));
-- At most one owner per room; the hand-off below keeps it at least one while anyone is left.
CREATE UNIQUE INDEX IF NOT EXISTS "RoomMember_one_owner_key" ON "RoomMember"("roomId") WHERE "role" = 'owner';

UPDATE "RoomMember" m SET "role" = 'owner'
FROM (SELECT DISTINCT ON ("roomId") "roomId", "userId" FROM "RoomMember" ORDER BY "roomId", "joinedAt", "userId") first
WHERE m."roomId" = first."roomId" AND m."userId" = first."userId"
  AND NOT EXISTS (SELECT 1 FROM "RoomMember" o WHERE o."roomId" = m."roomId" AND o."role" = 'owner');

-- Who may invite: every member, or only admins (and the owner).
ALTER TABLE "Room" ADD COLUMN IF NOT EXISTS "invitePolicy" TEXT NOT NULL DEFAULT 'members'
    CHECK ("invitePolicy" IN ('members', 'admins'));

-- A ban keeps a user out of a room: no membership, no invitation, no accepting an old one.
CREATE TABLE IF NOT EXISTS "RoomBan" (
    "roomId"   TEXT NOT NULL REFERENCES "Room"("id") ON DELETE CASCADE,
    "userId"   TEXT NOT NULL REFERENCES "User"("id") ON DELETE CASCADE,
    "bannedBy" TEXT REFERENCES "User"("id") ON DELETE SET NULL,
    "bannedAt" TIMESTAMP(3) NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    CONSTRAINT "RoomBan_pkey" PRIMARY KEY ("roomId", "userId")
);
CREATE INDEX IF NOT EXISTS "RoomBan_userId_idx" ON "RoomBan"("userId");

-- Who deleted a message when it was not its sender (a room's owner or admin): tombstones say
-- "removed by a moderator". NULL for the sender's own deletions.
ALTER TABLE "Message" ADD COLUMN IF NOT EXISTS "deletedBy" TEXT;

-- Whenever an owner's membership ends (leaving, removal of the account, an erasure), ownership
-- passes to the longest-standing admin, else the longest-standing member, in the same statement:
-- a room with members always has an owner, whichever path took the owner away.
CREATE OR REPLACE FUNCTION room_owner_hand_off() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE "RoomMember" m SET "role" = 'owner'
    FROM (SELECT "userId" FROM "RoomMember"
          WHERE "roomId" = OLD."roomId"
          ORDER BY ("role" = 'admin') DESC, "joinedAt", "userId" LIMIT 1) heir
    WHERE m."roomId" = OLD."roomId" AND m."userId" = heir."userId"
      AND NOT EXISTS (SELECT 1 FROM "RoomMember" o WHERE o."roomId" = OLD."roomId" AND o."role" = 'owner');
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS "RoomMember_owner_hand_off" ON "RoomMember";
CREATE TRIGGER "RoomMember_owner_hand_off" AFTER DELETE ON "RoomMember"
    FOR EACH ROW WHEN (OLD."role" = 'owner') EXECUTE FUNCTION room_owner_hand_off();
