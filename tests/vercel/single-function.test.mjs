// The single-function build (docs/functions.md) under Vercel's own local runner: the folder
// scripts/vercel-single-function assembles, with api/all.rs its only function and a rewrite of
// every /api/… path to it. The same calls as through the per-route build, plus what the one
// function must get right on its own: a nested path, the query string, a preflight, an unknown
// path (the JSON 404), a wrong method (405 with Allow) and the publish that runs after a send's
// response. Its build shares the project's target folder, so only the crate itself is compiled
// again (once: the folder is the same every run).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { ALICE, hs256Token, requireTestEnvironment, root, sendAndReceive, startVercelDev } from "./runner.mjs";

const ORIGIN = "https://app.example";
let server;
let base;

before(async () => {
  requireTestEnvironment();
  // One folder for every run (the script makes it anew), so the crate's build there is incremental.
  const folder = `${root}.local/vercel-single-function-test`;
  execFileSync("bash", [`${root}scripts/vercel-single-function`, folder], { stdio: ["ignore", "ignore", "inherit"] });
  const targetDir = path.resolve(root, process.env.CARGO_TARGET_DIR ?? "target");
  server = await startVercelDev(folder, { CARGO_TARGET_DIR: targetDir, CORS_ALLOWED_ORIGINS: ORIGIN });
  base = server.base;
});

after(() => server?.stop());

const token = () => hs256Token(ALICE, process.env.SUPABASE_JWT_SECRET);

test("health answers ok through the single function", async () => {
  const response = await fetch(`${base}/api/health`);
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.equal(body.database.status, "ok");
  assert.equal(body.pusher.status, "ok");
});

test("config names the auth endpoints by their own paths", async () => {
  const response = await fetch(`${base}/api/config`);
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.equal(body.pusher.key, process.env.PUSHER_KEY);
  assert.ok(body.pusher.options.channelAuthorization.endpoint.endsWith("/api/pusher/auth"));
});

test("an authenticated route accepts a token and refuses a missing one", async () => {
  const me = await fetch(`${base}/api/me`, { headers: { Authorization: `Bearer ${token()}` } });
  const body = await me.json();
  assert.equal(me.status, 200, JSON.stringify(body));
  assert.equal(body.profile.firstName, "Alice");

  const anonymous = await fetch(`${base}/api/me`);
  assert.equal(anonymous.status, 401);
  assert.equal((await anonymous.json()).error.code, "missing_token");
});

test("a nested path reaches its own route: channel auth signs", async () => {
  const response = await fetch(`${base}/api/pusher/auth`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token()}`, "Content-Type": "application/x-www-form-urlencoded" },
    body: `socket_id=123.456&channel_name=private-notifications-${ALICE}`,
  });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.ok(body.auth.startsWith(`${process.env.PUSHER_KEY}:`));
});

test("the query string reaches the route as the caller sent it", async () => {
  const headers = { Authorization: `Bearer ${token()}` };
  const refused = await fetch(`${base}/api/conversations?limit=0`, { headers });
  assert.equal(refused.status, 422);
  assert.equal((await refused.json()).error.code, "invalid_query");
  const listed = await fetch(`${base}/api/conversations?limit=5`, { headers });
  assert.equal(listed.status, 200);
  assert.ok(Array.isArray((await listed.json()).conversations));
});

test("a preflight from an allowed origin is answered, with CORS on the answer that follows", async () => {
  const preflight = await fetch(`${base}/api/messages/private`, {
    method: "OPTIONS",
    headers: { Origin: ORIGIN, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization" },
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get("access-control-allow-origin"), ORIGIN);
  const health = await fetch(`${base}/api/health`, { headers: { Origin: ORIGIN } });
  assert.equal(health.headers.get("access-control-allow-origin"), ORIGIN);
});

test("a path that names no route answers the JSON 404", async () => {
  for (const unknown of ["/api/nope", "/api/messages/nope", "/api/all"]) {
    const response = await fetch(`${base}${unknown}`);
    assert.equal(response.status, 404, unknown);
    assert.equal((await response.json()).error.code, "not_found", unknown);
  }
});

test("a method the route does not serve answers 405 naming those it does", async () => {
  const response = await fetch(`${base}/api/typing`, { headers: { Authorization: `Bearer ${token()}` } });
  assert.equal(response.status, 405);
  assert.equal(response.headers.get("allow"), "POST");
  assert.equal((await response.json()).error.code, "method_not_allowed");
});

test("only public/ is served as static files", async () => {
  assert.equal((await fetch(`${base}/`)).status, 200);
  assert.equal((await fetch(`${base}/Cargo.toml`)).status, 404);
});

test("a sent message is published after the response, to the receiver's channel", async () => {
  const event = await sendAndReceive(base, "through the single function");
  assert.equal(event.content ?? event.message?.content, "through the single function", JSON.stringify(event));
});
