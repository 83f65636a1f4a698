// Starts Vercel's own local runner (`vercel dev --local`, npm vercel@58.10.0) on a folder, for the
// tests in this directory; and signs the HS256 tokens they call authenticated routes with.
import { spawn } from "node:child_process";
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
