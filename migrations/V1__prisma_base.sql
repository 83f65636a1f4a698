-- The seed application's Prisma schema (tables "User", "Room", "Message" and enum "MessageType",
-- Prisma's quoted camelCase columns, TIMESTAMP(3) for DateTime). Every statement is guarded with
-- IF NOT EXISTS so this migration also runs against a database that Prisma already created.

DO $$ BEGIN
    CREATE TYPE "MessageType" AS ENUM ('TEXT', 'FILE');
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

CREATE TABLE IF NOT EXISTS "User" (
    "id"        TEXT NOT NULL,
    "email"     TEXT,
    "firstName" TEXT NOT NULL DEFAULT '',
    "lastName"  TEXT NOT NULL DEFAULT '',
    "avatar"    TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX IF NOT EXISTS "User_email_key" ON "User"("email");

CREATE TABLE IF NOT EXISTS "Room" (
    "id"        TEXT NOT NULL,
    "name"      TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Room_pkey" PRIMARY KEY ("id")
);

CREATE TABLE IF NOT EXISTS "Message" (
    "id"         TEXT NOT NULL,
    "senderId"   TEXT NOT NULL,
    "receiverId" TEXT,
    "roomId"     TEXT,
    "content"    TEXT NOT NULL,
    "type"       "MessageType" NOT NULL DEFAULT 'TEXT',
    "fileUrl"    TEXT,
    "fileName"   TEXT,
    "fileSize"   INTEGER,
    "isRead"     BOOLEAN NOT NULL DEFAULT false,
    "readAt"     TIMESTAMP(3),
    "createdAt"  TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt"  TIMESTAMP(3) NOT NULL,
    CONSTRAINT "Message_pkey" PRIMARY KEY ("id")
);

DO $$ BEGIN
    ALTER TABLE "Message" ADD CONSTRAINT "Message_senderId_fkey"
        FOREIGN KEY ("senderId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
DO $$ BEGIN
    ALTER TABLE "Message" ADD CONSTRAINT "Message_receiverId_fkey"
        FOREIGN KEY ("receiverId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
DO $$ BEGIN
    ALTER TABLE "Message" ADD CONSTRAINT "Message_roomId_fkey"
        FOREIGN KEY ("roomId") REFERENCES "Room"("id") ON DELETE SET NULL ON UPDATE CASCADE;
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
