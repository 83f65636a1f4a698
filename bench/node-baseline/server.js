// BENCHMARK BASELINE — not product code. The message routes of the seed design
// (/api/messages/private send + history, /api/pusher/auth) written as a plain Node HTTP
// server on the official `pusher` and `pg` packages, against the seed's Prisma tables. scripts/bench
// runs it beside the product's `server` binary so both answer identical requests. See docs/benchmarks.md.
//
// Environment: PORT, DATABASE_URL, PG_POOL_SIZE (10), PG_IDLE_TIMEOUT_MS (10000), PUSHER_APP_ID, PUSHER_KEY, PUSHER_SECRET,
// PUSHER_HOST, PUSHER_PORT, PUSHER_USE_TLS, SUPABASE_JWT_SECRET, RATE_LIMIT_MESSAGES_PER_MINUTE (10).
"use strict";

const http = require("node:http");
const crypto = require("node:crypto");
const { Pool } = require("pg");
const Pusher = require("pusher");

const env = process.env;
const pool = new Pool({
  connectionString: env.DATABASE_URL,
  max: Number(env.PG_POOL_SIZE || 10),
  idleTimeoutMillis: Number(env.PG_IDLE_TIMEOUT_MS ?? 10_000), // 0: keep idle connections
});
const pusher = new Pusher({
  appId: env.PUSHER_APP_ID,
  key: env.PUSHER_KEY,
  secret: env.PUSHER_SECRET,
  host: env.PUSHER_HOST,
  port: env.PUSHER_PORT,
  useTLS: env.PUSHER_USE_TLS === "true",
});
const jwtSecret = Buffer.from(env.SUPABASE_JWT_SECRET || "");
const perMinute = Number(env.RATE_LIMIT_MESSAGES_PER_MINUTE || 10);
const MAX_BODY_BYTES = 64 * 1024;
const MAX_CONTENT_BYTES = 10 * 1024;

// --- authentication: the Supabase access token (HS256), as the seed's "verify user token" -------
function b64url(buf) {
  return buf.toString("base64").replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
}

function verifyToken(req) {
  const header = req.headers.authorization || "";
  if (!header.startsWith("Bearer ")) return null;
  const parts = header.slice(7).split(".");
  if (parts.length !== 3) return null;
  try {
    const head = JSON.parse(Buffer.from(parts[0], "base64url"));
    if (head.alg !== "HS256") return null;
    const expected = Buffer.from(b64url(crypto.createHmac("sha256", jwtSecret).update(`${parts[0]}.${parts[1]}`).digest()));
    const given = Buffer.from(parts[2]);
    if (expected.length !== given.length || !crypto.timingSafeEqual(expected, given)) return null;
    const claims = JSON.parse(Buffer.from(parts[1], "base64url"));
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audiences.includes("authenticated")) return null;
    if (typeof claims.exp !== "number" || claims.exp + 30 < Date.now() / 1000) return null;
    if (typeof claims.sub !== "string" || claims.sub.length === 0) return null;
    return { id: claims.sub, email: claims.email };
  } catch {
    return null;
  }
}

// --- rate limit: "10 messages/minute" per sender, a token bucket in this process's memory -------
const buckets = new Map();
function takeToken(userId) {
  const now = Date.now();
  const bucket = buckets.get(userId) || { tokens: perMinute, at: now };
  bucket.tokens = Math.min(perMinute, bucket.tokens + ((now - bucket.at) / 60000) * perMinute);
  bucket.at = now;
  buckets.set(userId, bucket);
  if (bucket.tokens < 1) return Math.ceil(((1 - bucket.tokens) * 60) / perMinute);
  bucket.tokens -= 1;
  return 0;
}

// --- helpers ----------------------------------------------------------------------------------
function send(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

function fail(res, status, code, message, headers) {
  send(res, status, { error: { code, message } }, headers);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(Object.assign(new Error("too large"), { status: 413 }));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function chatChannel(a, b) {
  return `private-chat-${[a, b].sort().join("-")}`;
}

// The Prisma row with `include: { sender: { select: { id, firstName, lastName, avatar } } }`.
function toMessage(row) {
  const { firstName, lastName, avatar, ...message } = row;
  message.sender = { id: row.senderId, firstName, lastName, avatar };
  return message;
}

const MESSAGE_COLUMNS = `m."id", m."senderId", m."receiverId", m."roomId", m."content", m."type", m."fileUrl",
  m."fileName", m."fileSize", m."isRead", m."readAt", m."createdAt", m."updatedAt",
  u."firstName", u."lastName", u."avatar"`;

// prisma.message.create({ data, include: { sender } }) in one statement.
const INSERT_MESSAGE = `WITH m AS (
    INSERT INTO "Message" ("id", "senderId", "receiverId", "content", "type", "fileUrl", "fileName", "fileSize", "updatedAt")
    VALUES ($1, $2, $3, $4, $5::"MessageType", $6, $7, $8, CURRENT_TIMESTAMP) RETURNING *)
  SELECT ${MESSAGE_COLUMNS} FROM m JOIN "User" u ON u."id" = m."senderId"`;

// prisma.message.findMany({ where: { OR: [a→b, b→a] }, orderBy: { createdAt: "desc" }, take, include: { sender } }).
const LIST_MESSAGES = `SELECT ${MESSAGE_COLUMNS} FROM "Message" m JOIN "User" u ON u."id" = m."senderId"
  WHERE (m."senderId" = $1 AND m."receiverId" = $2) OR (m."senderId" = $2 AND m."receiverId" = $1)
  ORDER BY m."createdAt" DESC LIMIT $3`;

// --- POST /api/messages/private: verify, validate, save, trigger, return ----------------------
async function sendPrivate(req, res, user) {
  let body;
  try {
    body = JSON.parse(await readBody(req));
  } catch (err) {
    return err.status === 413 ? fail(res, 413, "body_too_large", "body too large") : fail(res, 400, "invalid_json", "invalid JSON");
  }
  const { receiverId, type = "TEXT", fileUrl = null, fileName = null, fileSize = null } = body || {};
  const content = typeof body?.content === "string" ? body.content.trim() : "";
  if (typeof receiverId !== "string" || receiverId.length === 0 || receiverId === user.id) {
    return fail(res, 422, "invalid_receiver", "receiverId is required");
  }
  if (content.length === 0) return fail(res, 422, "empty_content", "content must not be empty");
  if (Buffer.byteLength(content) > MAX_CONTENT_BYTES) return fail(res, 422, "content_too_long", "content is over 10 KB");
  if (type !== "TEXT" && type !== "FILE") return fail(res, 422, "invalid_type", "type must be TEXT or FILE");
  if (type === "FILE" && (typeof fileUrl !== "string" || !fileUrl.startsWith("https://") || !fileName)) {
    return fail(res, 422, "invalid_file", "a file needs an https:// fileUrl and a fileName");
  }
  const wait = takeToken(user.id);
  if (wait > 0) return fail(res, 429, "rate_limited", "too many messages", { "retry-after": String(wait) });

  let message;
  try {
    const { rows } = await pool.query({
      name: "insert-message",
      text: INSERT_MESSAGE,
      values: [crypto.randomUUID(), user.id, receiverId, content, type, fileUrl, fileName, fileSize],
    });
    if (rows.length === 0) return fail(res, 403, "profile_required", "create the sender's User row before sending");
    message = toMessage(rows[0]);
  } catch (err) {
    if (err.code === "23503") return fail(res, 422, "receiver_not_found", "receiverId is not a known user");
    throw err;
  }
  try {
    await pusher.trigger([chatChannel(user.id, receiverId), `private-notifications-${receiverId}`], "new-message", message);
  } catch (err) {
    console.error("pusher trigger failed", err.status || err.message); // the message is saved: clients poll
  }
  send(res, 200, { message });
}

// --- GET /api/messages/private?chatId=<other>&limit=50 -----------------------------------------
async function listPrivate(url, res, user) {
  const other = url.searchParams.get("chatId");
  if (!other) return fail(res, 400, "invalid_query", "chatId is required");
  const limit = Math.min(Math.max(Number(url.searchParams.get("limit") || 50) || 50, 1), 100);
  const { rows } = await pool.query({ name: "list-messages", text: LIST_MESSAGES, values: [user.id, other, limit] });
  send(res, 200, { messages: rows.reverse().map(toMessage) });
}

// --- POST /api/pusher/auth (form or JSON socket_id, channel_name) -------------------------------
async function pusherAuth(req, res, user) {
  const raw = await readBody(req);
  const fields = (req.headers["content-type"] || "").includes("json")
    ? JSON.parse(raw)
    : Object.fromEntries(new URLSearchParams(raw));
  const socketId = fields.socket_id;
  const channel = fields.channel_name;
  if (typeof socketId !== "string" || typeof channel !== "string") {
    return fail(res, 400, "invalid_body", "socket_id and channel_name are required");
  }
  const allowed =
    channel === `private-notifications-${user.id}` ||
    (channel.startsWith("private-chat-") && (channel.startsWith(`private-chat-${user.id}-`) || channel.endsWith(`-${user.id}`)));
  if (channel === `presence-user-${user.id}`) {
    return send(res, 200, pusher.authorizeChannel(socketId, channel, { user_id: user.id, user_info: { name: user.email || user.id } }));
  }
  if (!allowed) return fail(res, 403, "channel_forbidden", "you may not subscribe to this channel");
  send(res, 200, pusher.authorizeChannel(socketId, channel));
}

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, "http://localhost");
    const route = `${req.method} ${url.pathname}`;
    if (route === "GET /healthz") return send(res, 200, { status: "ok" });
    const user = verifyToken(req);
    if (!user) return fail(res, 401, "unauthorized", "send Authorization: Bearer <access token>");
    if (route === "POST /api/messages/private") return await sendPrivate(req, res, user);
    if (route === "GET /api/messages/private") return await listPrivate(url, res, user);
    if (route === "POST /api/pusher/auth") return await pusherAuth(req, res, user);
    fail(res, 404, "not_found", "no such route");
  } catch (err) {
    console.error(err);
    if (!res.headersSent) fail(res, 500, "internal", "internal error");
  }
});
server.keepAliveTimeout = 65_000;
server.listen(Number(env.PORT || 3100), env.HOST || "127.0.0.1");
