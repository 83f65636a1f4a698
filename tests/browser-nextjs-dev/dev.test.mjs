// The Next.js example under `next dev`, as someone who runs `npm run dev` and opens the README's
// address sees it: dev mode adds React StrictMode (every effect runs, is cleaned up and runs
// again on mount) and serves its dev resources only to the hosts it allows (localhost,
// 127.0.0.1 and ALLOWED_DEV_ORIGINS). scripts/example-nextjs starts the dev server and runs this
// with BASE_URL (http://127.0.0.1:port), API_BASE_URL and LISTED_DEV_HOST (the one name it put
// in ALLOWED_DEV_ORIGINS). Both other names below reach the same server through Chromium's
// resolver; the API's CORS_ALLOWED_ORIGINS lists neither.
import { test } from "node:test";
import assert from "node:assert/strict";
import { diagnosed } from "../browser/chromium.mjs";
import { ALICE_ID, NAMES, WAIT, api, as, base, newWindow, openChat, signedIn, theirs, unique, useChromium } from "../browser-nextjs/example.mjs";

const listed = process.env.LISTED_DEV_HOST;
const unlisted = "not-allowed.test";
const port = new URL(base).port;
useChromium({ args: [`--host-resolver-rules=MAP ${listed} 127.0.0.1, MAP ${unlisted} 127.0.0.1`] });

/** Every Pusher websocket `page` opens (not the dev server's own), with the frames it sent and got. */
function pusherSockets(page) {
  const sockets = [];
  page.on("websocket", (ws) => {
    if (!/\/app\/[^/?]+/.test(new URL(ws.url()).pathname)) return; // /_next/hmr and the like
    const socket = { ws, sent: [], received: [] };
    ws.on("framesent", (frame) => socket.sent.push(JSON.parse(frame.payload)));
    ws.on("framereceived", (frame) => socket.received.push(JSON.parse(frame.payload)));
    sockets.push(socket);
  });
  return sockets;
}

/** How many times each channel was subscribed to (`pusher:subscribe`) or left on one socket. */
function subscriptions(socket) {
  const count = (event) => {
    const counts = {};
    for (const frame of socket.sent) if (frame.event === event) counts[frame.data.channel] = (counts[frame.data.channel] ?? 0) + 1;
    return counts;
  };
  return { subscribed: count("pusher:subscribe"), left: count("pusher:unsubscribe") };
}

test("under next dev, alice signs in at 127.0.0.1, opens her chat with bob and gets his message live, once, over one websocket", diagnosed(async (t) => {
  assert.ok(listed, "LISTED_DEV_HOST must be set (run through scripts/example-nextjs)");
  let sockets;
  const alice = await signedIn(t, "alice", { setup: (page) => (sockets = pusherSockets(page)) });
  await openChat(alice, "bob");

  const text = unique("hello from dev mode");
  await (await as("bob"))("POST", "/api/messages/private", { receiverId: ALICE_ID, content: text });
  await theirs(alice, text).first().waitFor(WAIT);
  await alice.waitForTimeout(1500); // time for a second copy, subscription or socket to show up

  // StrictMode mounts the provider twice: the first connection is closed, one stays.
  const open = sockets.filter((s) => !s.ws.isClosed());
  assert.equal(open.length, 1, `one Pusher websocket stays open (${sockets.length} opened, ${open.length} open)`);
  const [socket] = open;
  // Each channel once on it, none left and joined again (the remount keeps the channels).
  const { subscribed, left } = subscriptions(socket);
  const channels = Object.keys(subscribed);
  assert.ok(channels.some((c) => /^private(-encrypted)?-chat-/.test(c)), `the chat's channel is subscribed: ${channels}`);
  assert.ok(channels.some((c) => /^private(-encrypted)?-notifications-/.test(c)), `the notifications channel is subscribed: ${channels}`);
  assert.deepEqual(Object.entries(subscribed).filter(([, n]) => n !== 1), [], `every channel subscribed once: ${JSON.stringify(subscribed)}`);
  assert.deepEqual(left, {}, "no channel left on the open socket");
  t.diagnostic(`${sockets.length} Pusher websockets opened, 1 open, subscribed once each to: ${channels.join(", ")}`);
  // The message came through that socket, and shows once in the chat and in the inbox.
  assert.ok(socket.received.some((frame) => frame.event === "new-message" && String(frame.data).includes(text)), "the message arrived on the open websocket");
  assert.equal(await theirs(alice, text).count(), 1, "the message shows once");
  assert.equal(await alice.locator(".inbox .preview", { hasText: text }).count(), 1, "the inbox shows it once");
}));

test("under next dev, a host in ALLOWED_DEV_ORIGINS starts, and the page says the API does not allow its origin", diagnosed(async (t) => {
  const page = await newWindow(t, listed);
  await page.goto(`http://${listed}:${port}/`);
  await page.locator(".signin [data-user=alice]:enabled").waitFor(WAIT); // the page's scripts run
  const origin = `http://${listed}:${port}`;
  const notice = page.locator(".signin .unreachable");
  await notice.waitFor(WAIT);
  assert.match(await notice.textContent(), new RegExp(`answers, but not to this page: add ${origin.replace(/\./g, "\\.")} to the API's CORS_ALLOWED_ORIGINS`));
  assert.match(await notice.textContent(), new RegExp(api.replace(/\./g, "\\.")));
  // Signing in says the same instead of "Failed to fetch".
  await page.click("[data-user=alice]");
  await page.locator(".signin .error", { hasText: "Sign-in failed" }).waitFor(WAIT);
  assert.match(await page.locator(".signin .error", { hasText: "Sign-in failed" }).textContent(), /CORS_ALLOWED_ORIGINS/);
  assert.equal(await page.locator(".not-started").count(), 0);
}));

test("under next dev, a host it does not allow gets a page that says why it does not start", diagnosed(async (t) => {
  const page = await newWindow(t, unlisted);
  await page.goto(`http://${unlisted}:${port}/`);
  const stuck = page.locator(".not-started .stuck");
  await stuck.waitFor({ state: "visible", ...WAIT });
  const said = await stuck.textContent();
  assert.match(said, /has not started/);
  assert.ok(said.includes(`ALLOWED_DEV_ORIGINS=${unlisted} npm run dev`), `it names the fix: ${said}`);
  assert.equal(await page.locator(".signin [data-user]:enabled").count(), 0, "the dev server refused it its scripts");
}));
