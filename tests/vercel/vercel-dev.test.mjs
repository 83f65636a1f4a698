// Vercel's own local runner (`vercel dev --local`, npm vercel@58.10.0) builds the api/ functions
// with the official Rust builder and runs each request in a fresh function process. This test
// starts it with the project's settings and calls public and authenticated routes through it.
// scripts/test runs it after `cargo test`, with DATABASE_URL pointing at a migrated database.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import net from "node:net";

const root = new URL("../..", import.meta.url).pathname;
const ALICE = "00000000-0000-4000-8000-00000000a11c";
let server;
let base;

function freePort() {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

function hs256Token(sub, secret) {
  const b64 = (obj) => Buffer.from(JSON.stringify(obj)).toString("base64url");
  const body = `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ sub, aud: "authenticated", exp: Math.floor(Date.now() / 1000) + 600 })}`;
  return `${body}.${createHmac("sha256", secret).update(body).digest("base64url")}`;
}

before(async () => {
  for (const name of ["DATABASE_URL", "PUSHER_KEY", "PUSHER_SECRET", "PUSHER_HOST", "SUPABASE_JWT_SECRET"]) {
    assert.ok(process.env[name], `${name} must be set (run through scripts/test)`);
  }
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn("npx", ["vercel", "dev", "--local", "--listen", `127.0.0.1:${port}`], {
    cwd: root,
    env: { ...process.env, VERCEL_TELEMETRY_DISABLED: "1" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let log = "";
  server.stdout.on("data", (d) => (log += d));
  server.stderr.on("data", (d) => (log += d));
  const deadline = Date.now() + 180_000;
  while (!log.includes("Ready!")) {
    if (server.exitCode !== null || Date.now() > deadline) throw new Error(`vercel dev did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
});

after(() => {
  if (server) process.kill(-server.pid, "SIGTERM");
});

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
