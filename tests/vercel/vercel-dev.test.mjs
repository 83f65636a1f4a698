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
