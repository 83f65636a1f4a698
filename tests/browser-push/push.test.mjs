// A real browser receiving a push while away: Debian's firefox-esr, its push service pointed at
// tests/push/push_service.py speaking Mozilla's push websocket protocol (PUSH_WS_URL), opens the
// test page of public/ on a dev server with Web Push on (BASE_URL): the page subscribes as bob,
// hands the subscription to the API and leaves. Alice sends; the push travels API → push service
// → websocket → Firefox → the client package's service worker (client/push-sw.js), which shows
// the notification; the test page's worker reports it here. The page subscribes with the package's
// enablePush().
// No geckodriver in Debian: the page and the worker report by fetch.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const BASE_URL = process.env.BASE_URL;
const PUSH_WS_URL = process.env.PUSH_WS_URL;

const PREFS = {
  "dom.push.enabled": true,
  "dom.push.connection.enabled": true,
  "dom.push.serverURL": PUSH_WS_URL,
  "dom.push.testing.allowInsecureServerURL": true,
  "dom.serviceWorkers.enabled": true,
  "dom.serviceWorkers.testing.enabled": true,
  "permissions.default.desktop-notification": 1,
  // Headless Firefox has no desktop notification service: its own alert windows show them.
  "alerts.useSystemBackend": false,
  "browser.shell.checkDefaultBrowser": false,
  "browser.startup.homepage_override.mstone": "ignore",
  "datareporting.policy.dataSubmissionEnabled": false,
  "toolkit.telemetry.reportingpolicy.firstRun": false,
  "app.update.enabled": false,
  "extensions.update.enabled": false,
  "network.captive-portal-service.enabled": false,
  "network.connectivity-service.enabled": false,
};

/** A local endpoint the page and the service worker report to; `next(match)` waits for a report. */
async function reportServer() {
  const reports = [];
  let wake = () => {};
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    try {
      reports.push(JSON.parse(Buffer.concat(chunks).toString("utf8")));
    } catch {}
    res.writeHead(204, { "access-control-allow-origin": "*" });
    res.end();
    wake();
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const next = async (match, ms) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = reports.find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching report within ${ms} ms; reports: ${JSON.stringify(reports)}`);
      await new Promise((resolve) => {
        wake = resolve;
        setTimeout(resolve, Math.min(left, 500));
      });
    }
  };
  return { url: `http://127.0.0.1:${server.address().port}`, next, close: () => server.close() };
}

async function demoUser(handle) {
  const answer = await fetch(`${BASE_URL}/dev/token?user=${handle}`);
  assert.equal(answer.status, 200);
  return answer.json();
}

test("firefox away from the chat gets a push and its service worker shows the notification", { timeout: 150_000 }, async () => {
  assert.ok(BASE_URL && PUSH_WS_URL, "BASE_URL and PUSH_WS_URL are set by scripts/test");
  const reports = await reportServer();
  const profile = mkdtempSync(join(tmpdir(), "pusher-chat-firefox-"));
  writeFileSync(
    join(profile, "user.js"),
    Object.entries(PREFS).map(([name, value]) => `user_pref(${JSON.stringify(name)}, ${JSON.stringify(value)});`).join("\n"),
  );
  const page = `${BASE_URL}/?user=bob&report=${encodeURIComponent(reports.url)}`;
  const firefox = spawn("firefox-esr", ["--headless", "--no-remote", "--profile", profile, page], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, MOZ_HEADLESS: "1" },
  });
  let stderr = "";
  firefox.stderr.on("data", (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  try {
    const subscribed = await reports.next((r) => r.what === "subscribed" || r.what === "error", 60_000).catch((err) => {
      throw new Error(`${err.message}\nfirefox: ${stderr}`);
    });
    assert.equal(subscribed.what, "subscribed", JSON.stringify(subscribed));
    assert.equal(subscribed.created, true, "the API stored a new subscription");
    assert.equal(subscribed.status, "on", "pushStatus() says so");
    assert.ok(subscribed.endpoint.startsWith(PUSH_WS_URL.replace("ws://", "http://").replace(/:\d+.*$/, "")), subscribed.endpoint);

    const alice = await demoUser("alice");
    const bob = await demoUser("bob");
    const started = Date.now();
    const sent = await fetch(`${BASE_URL}/api/messages/private`, {
      method: "POST",
      headers: { Authorization: `Bearer ${alice.token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ receiverId: bob.user.id, content: "are you there, bob?" }),
    });
    assert.equal(sent.status, 201);
    const { message } = await sent.json();
    const pushed = await reports.next((r) => r.what === "push", 60_000).catch((err) => {
      throw new Error(`${err.message}\nfirefox: ${stderr}`);
    });
    console.log(`# the push reached Firefox's service worker ${Date.now() - started} ms after the send`);
    assert.equal(pushed.error, undefined, pushed.error);
    assert.equal(pushed.push.messageId, message.id);
    assert.equal(pushed.push.body, "are you there, bob?");
    assert.equal(pushed.push.title, `${alice.user.firstName} ${alice.user.lastName}`);
    assert.equal(pushed.shown, "yes", "the service worker showed the notification");
  } finally {
    firefox.kill("SIGKILL");
    reports.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
