// Starts Vercel's own local runner (`vercel dev --local`, npm vercel@58.10.0) on a folder, for the
// tests in this directory; and signs the HS256 tokens they call authenticated routes with.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { createHmac } from "node:crypto";
import net from "node:net";
import assert from "node:assert/strict";

export const root = new URL("../..", import.meta.url).pathname;
export const ALICE = "00000000-0000-4000-8000-00000000a11c";

export function freePort() {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

export function hs256Token(sub, secret) {
  const b64 = (obj) => Buffer.from(JSON.stringify(obj)).toString("base64url");
  const body = `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ sub, aud: "authenticated", exp: Math.floor(Date.now() / 1000) + 600 })}`;
  return `${body}.${createHmac("sha256", secret).update(body).digest("base64url")}`;
}

/** The settings scripts/test exports; a test run some other way says which is missing. */
export function requireTestEnvironment() {
  for (const name of ["DATABASE_URL", "PUSHER_KEY", "PUSHER_SECRET", "PUSHER_HOST", "SUPABASE_JWT_SECRET"]) {
    assert.ok(process.env[name], `${name} must be set (run through scripts/test)`);
  }
}

/**
 * `vercel dev --local` in `cwd` (the project's own vercel CLI, whatever folder it serves), with the
 * given extra environment; resolves once it says "Ready!". Returns its base URL and a stop().
 */
export async function startVercelDev(cwd, env = {}) {
  const port = await freePort();
  const server = spawn(`${root}node_modules/.bin/vercel`, ["dev", "--local", "--listen", `127.0.0.1:${port}`], {
    cwd,
    env: { ...process.env, VERCEL_TELEMETRY_DISABLED: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let log = "";
  server.stdout.on("data", (d) => (log += d));
  server.stderr.on("data", (d) => (log += d));
  const deadline = Date.now() + 180_000;
  while (!log.includes("Ready!")) {
    if (server.exitCode !== null || Date.now() > deadline) {
      if (server.exitCode === null) process.kill(-server.pid, "SIGTERM");
      throw new Error(`vercel dev did not start:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    base: `http://127.0.0.1:${port}`,
    log: () => log,
    stop: () => process.kill(-server.pid, "SIGTERM"),
  };
}

export const BOB = "00000000-0000-4000-8000-000000000b0b";

/**
 * Bob subscribes to his notifications channel with pusher-js (authorized by `base`'s channel-auth
 * route), Alice sends him a message through `base`, and the `new-message` event the route
 * publishes after its response (waitUntil) is returned, or the call fails after 20 s.
 */
export async function sendAndReceive(base, content) {
  const Pusher = createRequire(import.meta.url)("pusher-js");
  const secret = process.env.SUPABASE_JWT_SECRET;
  const pusher = new Pusher(process.env.PUSHER_KEY, {
    cluster: "local",
    wsHost: process.env.PUSHER_HOST,
    wsPort: Number(process.env.PUSHER_PORT),
    forceTLS: false,
    enabledTransports: ["ws"],
    disableStats: true,
    channelAuthorization: {
      endpoint: `${base}/api/pusher/auth`,
      transport: "ajax",
      headers: { Authorization: `Bearer ${hs256Token(BOB, secret)}` },
    },
  });
  const within = (promise, what) =>
    Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(`no ${what} within 20 s`)), 20_000))]);
  try {
    const channel = pusher.subscribe(`private-notifications-${BOB}`);
    await within(
      new Promise((resolve, reject) => {
        channel.bind("pusher:subscription_succeeded", resolve);
        channel.bind("pusher:subscription_error", (err) => reject(new Error(`subscription refused: ${err.status}`)));
      }),
      "subscription",
    );
    const received = new Promise((resolve) => channel.bind("new-message", resolve));
    const sent = await fetch(`${base}/api/messages/private`, {
      method: "POST",
      headers: { Authorization: `Bearer ${hs256Token(ALICE, secret)}`, "Content-Type": "application/json" },
      body: JSON.stringify({ receiverId: BOB, content }),
    });
    assert.equal(sent.status, 201, await sent.text());
    return await within(received, "new-message event");
  } finally {
    pusher.disconnect();
  }
}
