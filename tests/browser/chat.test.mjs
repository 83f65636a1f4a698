// The demo page in two real Chromium windows (alice and bob) against the dev server, PostgreSQL and
// sockudo: a message arrives live, the unread badge shows, reading it shows ✓✓ to the sender,
// typing is announced, presence shows online. scripts/test runs it with BASE_URL set to a dev
// server on a migrated database with the demo users.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { diagnosed, launchChromium, watch } from "./chromium.mjs";

const base = process.env.BASE_URL;
const shots = new URL("../../.local/screenshots/", import.meta.url).pathname;
let browser;

before(async () => {
  assert.ok(base, "BASE_URL must point at a running dev server (run through scripts/test)");
  mkdirSync(shots, { recursive: true });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

async function signedIn(user, { websocket = true } = {}) {
  const page = watch(await (await browser.newContext({ viewport: { width: 1100, height: 760 } })).newPage(), user);
  page.on("pageerror", (err) => assert.fail(`${user}'s page threw: ${err.message}`));
  // Without websockets the page must fall back to polling the API.
  if (!websocket) await page.routeWebSocket(/.*/, (ws) => ws.close());
  await page.goto(base);
  await page.click(`[data-user=${user}]`);
  await page.locator("#app").waitFor({ state: "visible" });
  if (websocket) await page.locator("#connection", { hasText: /^connected$/ }).waitFor();
  return page;
}

test("two users chat live with unread counts, read receipts, typing and presence", diagnosed(async () => {
  const alice = await signedIn("alice");
  const bob = await signedIn("bob");

  await alice.click("[data-chat-with=bob]");
  const text = `hello bob ${Date.now()}`;
  await alice.fill("#draft", text);
  await alice.click("#composer button");
  await alice.locator("#messages li.mine", { hasText: text }).waitFor();

  // Bob has not opened the chat: his inbox shows it unread, live.
  const entry = bob.locator("#inbox li", { hasText: "Alice" });
  await entry.locator(".badge").waitFor();
  assert.ok(Number(await entry.locator(".badge").textContent()) >= 1);
  await entry.click();
  await bob.locator("#messages li", { hasText: text }).waitFor();

  // Opening it marks it read, and alice sees the receipt.
  await alice.locator("#messages li.mine", { hasText: text }).locator(".meta", { hasText: "✓✓" }).waitFor();
  await entry.locator(".badge").waitFor({ state: "detached" });

  await bob.type("#draft", "typing a reply");
  await alice.locator("#typing", { hasText: "Bob Brown is typing" }).waitFor();
  await bob.click("#composer button");
  await alice.locator("#messages li:not(.mine)", { hasText: "typing a reply" }).waitFor();
  // Bob has written to alice now, so she may watch his presence (never before he engages).
  await alice.locator("#presence", { hasText: /^online$/ }).waitFor();

  await alice.screenshot({ path: `${shots}alice.png` });
  await bob.screenshot({ path: `${shots}bob.png` });
}));

test("bad input is shown as the API's message, not swallowed", diagnosed(async () => {
  const carol = await signedIn("carol");
  await carol.fill("#new-chat-id", "nobody-at-all");
  await carol.click("#new-chat button");
  await carol.locator("#chat-error", { hasText: "not found" }).waitFor();
  await carol.fill("#draft", "anyone there?");
  await carol.click("#composer button");
  await carol.locator("#chat-error", { hasText: "receiverId is not a known user" }).waitFor();
}));

test("without a realtime connection, messages still arrive by polling", diagnosed(async () => {
  const carol = await signedIn("carol", { websocket: false });
  await carol.click("[data-chat-with=alice]");
  const alice = await signedIn("alice");
  await alice.click("[data-chat-with=carol]");
  const text = `polled ${Date.now()}`;
  await alice.fill("#draft", text);
  await alice.click("#composer button");
  assert.notEqual(await carol.locator("#connection").textContent(), "connected");
  await carol.locator("#messages li", { hasText: text }).waitFor({ timeout: 15_000 });
}));
