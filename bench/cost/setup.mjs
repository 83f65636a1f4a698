// The people of a scenario, made before anything is counted: access tokens signed like
// Supabase's (HS256 with SUPABASE_JWT_SECRET, as /dev/token does), profiles, a prior exchange
// (so each may watch the other's presence, as between people who already talk), and for a room,
// the room with every invitation accepted. These calls go to the dev server directly, not through
// the counting proxy; what they publish is counted too, so the driver resets the counters after.
import { createHmac, randomUUID } from "node:crypto";

const b64url = (data) => Buffer.from(data).toString("base64url");

/** An access token for `userId`, valid for an hour. */
export function signToken(secret, userId) {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const claims = b64url(
    JSON.stringify({ sub: userId, aud: "authenticated", role: "authenticated", email: `${userId.slice(0, 8)}@bench.invalid`, iat: now, exp: now + 3600 }),
  );
  const signature = createHmac("sha256", secret).update(`${header}.${claims}`).digest("base64url");
  return `${header}.${claims}.${signature}`;
}

/** One request to the API (not counted), answering the parsed body; fails loudly on an error. */
export async function call(apiBase, token, method, path, body) {
  const response = await fetch(`${apiBase}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}

/** `count` new users with profiles: [{id, token, name}]. */
export async function makeUsers(apiBase, secret, count, label) {
  const users = [];
  for (let i = 0; i < count; i++) {
    const id = randomUUID();
    const token = signToken(secret, id);
    const name = `${label}${i + 1}`;
    await call(apiBase, token, "PUT", "/api/me", { firstName: name, lastName: "Bench" });
    users.push({ id, token, name });
  }
  return users;
}

/** A 1:1 pair that has already exchanged a message each way (and read them). */
export async function makePair(apiBase, secret, label) {
  const [a, b] = await makeUsers(apiBase, secret, 2, label);
  await call(apiBase, a.token, "POST", "/api/messages/private", { receiverId: b.id, content: "hello" });
  await call(apiBase, b.token, "POST", "/api/messages/private", { receiverId: a.id, content: "hi" });
  await call(apiBase, a.token, "POST", "/api/messages/read", { chatId: b.id, upToSeq: 2 });
  await call(apiBase, b.token, "POST", "/api/messages/read", { chatId: a.id, upToSeq: 2 });
  return { users: [a, b] };
}

/** A room of `size` members (every invitation accepted). */
export async function makeRoom(apiBase, secret, size, label) {
  const users = await makeUsers(apiBase, secret, size, label);
  const [owner, ...invited] = users;
  const { room } = await call(apiBase, owner.token, "POST", "/api/rooms", { name: `${label} room`, memberIds: invited.map((u) => u.id) });
  for (const u of invited) await call(apiBase, u.token, "PUT", `/api/rooms?roomId=${encodeURIComponent(room.id)}`);
  return { users, roomId: room.id };
}
