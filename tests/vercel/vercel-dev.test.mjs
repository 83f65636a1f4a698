// Vercel's own local runner (`vercel dev --local`, npm vercel@58.10.0) builds the api/ functions
// with the official Rust builder and runs each request in a fresh function process. This test
// starts it with the project's settings and calls public and authenticated routes through it.
// scripts/test runs it after `cargo test`, with DATABASE_URL pointing at a migrated database.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ALICE, hs256Token, requireTestEnvironment, root, sendAndReceive, startVercelDev } from "./runner.mjs";

let server;
let base;

before(async () => {
  requireTestEnvironment();
  server = await startVercelDev(root);
  base = server.base;
});

after(() => server?.stop());

test("health answers ok through vercel dev", async () => {
  const response = await fetch(`${base}/api/health`);
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.equal(body.database.status, "ok");
  assert.equal(body.pusher.status, "ok");
});

test("an authenticated route accepts a token and refuses a missing one", async () => {
  const token = hs256Token(ALICE, process.env.SUPABASE_JWT_SECRET);
  const me = await fetch(`${base}/api/me`, { headers: { Authorization: `Bearer ${token}` } });
  const body = await me.json();
  assert.equal(me.status, 200, JSON.stringify(body));
  assert.equal(body.profile.firstName, "Alice");

  const anonymous = await fetch(`${base}/api/me`);
  assert.equal(anonymous.status, 401);
  assert.equal((await anonymous.json()).error.code, "missing_token");
});

test("the channel auth endpoint signs through vercel dev", async () => {
  const token = hs256Token(ALICE, process.env.SUPABASE_JWT_SECRET);
  const response = await fetch(`${base}/api/pusher/auth`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/x-www-form-urlencoded" },
    body: `socket_id=123.456&channel_name=private-notifications-${ALICE}`,
  });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.ok(body.auth.startsWith(`${process.env.PUSHER_KEY}:`));
});

test("only public/ is served as static files", async () => {
  assert.equal((await fetch(`${base}/`)).status, 200);
  assert.equal((await fetch(`${base}/Cargo.toml`)).status, 404);
  assert.equal((await fetch(`${base}/migrations/V1__prisma_base.sql`)).status, 404);
});

test("a sent message is published after the response, to the receiver's channel", async () => {
  const event = await sendAndReceive(base, "through the per-route functions");
  assert.equal(event.content ?? event.message?.content, "through the per-route functions", JSON.stringify(event));
});

test("a resource's part reaches the resource's function through its rewrite, and nothing else does", async () => {
  const token = hs256Token(ALICE, process.env.SUPABASE_JWT_SECRET);
  const auth = { headers: { Authorization: `Bearer ${token}` } };
  // /api/rooms/members → api/rooms.rs: the route answers (a JSON 422 for a missing roomId).
  const members = await fetch(`${base}/api/rooms/members`, auth);
  const membersBody = await members.json();
  assert.equal(members.status, 422, JSON.stringify(membersBody));
  assert.equal(membersBody.error.code, "missing_field");
  // /api/admin/… → api/admin.rs: alice is no operator here.
  const audit = await fetch(`${base}/api/admin/audit`, auth);
  assert.equal(audit.status, 403);
  assert.equal((await audit.json()).error.code, "not_an_admin");
  // /api/files → api/uploads.rs: the route's own validation.
  const file = await fetch(`${base}/api/files`, auth);
  assert.equal(file.headers.get("content-type")?.split(";")[0], "application/json");
  assert.ok([404, 422, 501].includes(file.status), `GET /api/files: ${file.status}`);
  // A path of the family that names no route: the JSON 404 of the routing table.
  const other = await fetch(`${base}/api/admin/nothing`, auth);
  assert.equal(other.status, 404);
  assert.equal((await other.json()).error.code, "not_found");
});
