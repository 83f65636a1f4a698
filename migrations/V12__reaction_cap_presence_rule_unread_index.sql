-- Three rules that must hold however many API instances run at once.
--
-- 1. At most p_max emoji per user and message, for any number of parallel adds. The count and
--    the insert were one statement, and under read committed two statements that started
--    together both counted 19 and both inserted. Here the (message, user) pair is locked first
--    (a transaction-scoped advisory lock, released at commit, so it works through transaction-mode
--    poolers), and the statement after the lock takes a new snapshot that sees every add that
--    committed before it. Different users, or one user on different messages, never wait for
--    each other (a hash collision only makes two pairs take turns).
--    Returns the conversation's new change number when the reaction was added, else NULL (it was
--    already there, the message is deleted or gone, or the user is at the cap).
CREATE OR REPLACE FUNCTION "MessageReaction_add"(p_message TEXT, p_user TEXT, p_emoji TEXT, p_max BIGINT)
RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
    v_change_seq BIGINT;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('MessageReaction:' || p_message || ':' || p_user, 0));
    WITH changed AS (
        INSERT INTO "MessageReaction" ("messageId", "userId", "emoji")
        SELECT m."id", p_user, p_emoji FROM "Message" m
        WHERE m."id" = p_message AND m."deletedAt" IS NULL
          AND (SELECT count(*) FROM "MessageReaction" r WHERE r."messageId" = p_message AND r."userId" = p_user) < p_max
        ON CONFLICT DO NOTHING
        RETURNING "messageId"),
    bump AS (
        UPDATE "Conversation" c SET "changeSeq" = c."changeSeq" + 1
        FROM "Message" m WHERE m."id" = p_message AND c."id" = m."chatId" AND EXISTS (SELECT 1 FROM changed)
        RETURNING c."changeSeq"),
    stamp AS (
        UPDATE "Message" m SET "changeSeq" = b."changeSeq" FROM bump b WHERE m."id" = p_message
        RETURNING m."changeSeq")
    SELECT s."changeSeq" INTO v_change_seq FROM stamp s;
    RETURN v_change_seq;
END
$$;

-- 2. Who may see whose presence and last activity: p_watcher may see p_watched's once p_watched
--    has written to them privately, or written in a room p_watcher is a member of. The one rule
--    for channel authorization (presence-user-…) and the inbox's status, so they never disagree.
--    A SQL function of one SELECT: the planner inlines it into the query that calls it.
CREATE OR REPLACE FUNCTION "User_mayWatchPresence"(p_watcher TEXT, p_watched TEXT)
RETURNS BOOLEAN LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM "Message" m WHERE m."senderId" = p_watched AND m."receiverId" = p_watcher)
        OR EXISTS (SELECT 1 FROM "RoomMember" rm
                   WHERE rm."userId" = p_watcher
                     AND EXISTS (SELECT 1 FROM "Message" m
                                 WHERE m."senderId" = p_watched AND m."roomId" = rm."roomId"))
$$;

-- The rule's room half: has this user written in this room (an index probe per room of the
-- watcher, however many messages the watched user sent elsewhere).
CREATE INDEX IF NOT EXISTS "Message_senderId_roomId_idx" ON "Message"("senderId", "roomId") WHERE "roomId" IS NOT NULL;
