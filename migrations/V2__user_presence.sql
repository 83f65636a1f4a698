-- Additive: online state for presence (`user-status-change`). Prisma code that does not know
-- these columns keeps working; they have defaults.
ALTER TABLE "User" ADD COLUMN IF NOT EXISTS "status" TEXT NOT NULL DEFAULT 'offline';
ALTER TABLE "User" ADD COLUMN IF NOT EXISTS "lastActive" TIMESTAMP(3);
