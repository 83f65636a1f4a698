// What the Next.js example's browser tests share: the app and API under test, signed-in windows
// and the few steps every test takes (open a chat, send, find a message), as a user does them.
// BASE_URL is the example app, API_BASE_URL the dev server with demo users alice, bob and carol
// (scripts/example-nextjs sets both).
import { before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { launchChromium, watch } from "../browser/chromium.mjs";

export const base = process.env.BASE_URL;
export const api = process.env.API_BASE_URL?.replace(/\/+$/, "");
export const shots = new URL("../../.local/screenshots/", import.meta.url).pathname;
export const WAIT = { timeout: 20_000 };
export const NAMES = { alice: "Alice Anders", bob: "Bob Brown", carol: "Carol Clark" };
export const ALICE_ID = "00000000-0000-4000-8000-00000000a11c";
export const BOB_ID = "00000000-0000-4000-8000-000000000b0b";
export const CAROL_ID = "00000000-0000-4000-8000-0000000ca201";
export const unique = (label) => `${label} ${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

let browser;

/** One Chromium for the calling test file, started before its tests and closed after them. */
export function useChromium(options) {
  before(async () => {
    assert.ok(base && api, "BASE_URL (the example app) and API_BASE_URL must be set (run through scripts/example-nextjs)");
    mkdirSync(shots, { recursive: true });
    browser = await launchChromium(options);
  });
  after(async () => {
    await browser?.close();
  });
}

/** A new window (its own context) that fails the test if the page throws; `t.after` closes it. */
export async function newWindow(t, label, contextOptions = { viewport: { width: 1100, height: 760 } }) {
  const context = await browser.newContext(contextOptions);
  t.after(() => context.close().catch(() => {}));
  const page = watch(await context.newPage(), label);
  const errors = [];
  page.on("pageerror", (err) => errors.push(err.message));
  t.after(() => assert.deepEqual(errors, [], `${label}'s page threw`));
  return page;
}

/**
 * A signed-in window. `setup(page)` runs before the app loads; `context` are the window's
 * options (a desktop viewport unless given).
 */
export async function signedIn(t, user, { setup, context } = {}) {
  const page = await newWindow(t, user, context);
  await setup?.(page);
  await page.goto(base);
  // The app shows which API it talks to: the one this run started.
  await page.locator(".signin code", { hasText: api }).waitFor(WAIT);
  await page.click(`[data-user=${user}]`);
  await page.locator(".whoami, .signin .error").first().waitFor(WAIT);
  const refused = page.locator(".signin .error");
  if (await refused.count()) assert.fail(`${user} could not sign in: ${await refused.textContent()}`);
  await page.locator(".whoami", { hasText: NAMES[user] }).waitFor(WAIT);
  await connected(page);
  return page;
}

export const connected = (page) => page.locator(".connection", { hasText: /^connected$/ }).waitFor(WAIT);

export async function openChat(page, other) {
  await page.click(`[data-chat-with=${other}]`);
  await page.locator(".chat-head", { hasText: NAMES[other] }).waitFor(WAIT);
  // Loaded: no "Loading…" in the list any more.
  await page.locator(".messages .muted").waitFor({ state: "detached", ...WAIT });
}

/** Alice and bob signed in, each with their chat with the other open. */
export async function chatting(t) {
  const alice = await signedIn(t, "alice");
  const bob = await signedIn(t, "bob");
  await openChat(alice, "bob");
  await openChat(bob, "alice");
  return { alice, bob };
}

export async function send(page, text) {
  await page.fill("input[aria-label=Message]", text);
  await page.press("input[aria-label=Message]", "Enter");
}

export const mine = (page, text) => page.locator(".message.mine", { hasText: text });
export const theirs = (page, text) => page.locator(".message.theirs", { hasText: text });

/** The same message in any window, found by its id (its text changes when edited). */
export const byId = (page, id) => page.locator(`.message[data-message-id="${id}"]`);

/** Sends `text` and waits until the server has it; resolves with its id. */
export async function sent(page, text) {
  await send(page, text);
  const copy = mine(page, text).and(page.locator("[data-status=sent]"));
  await copy.waitFor(WAIT);
  return copy.getAttribute("data-message-id");
}

/** A user's token and a call to the API as them. */
export async function as(user) {
  const { token } = await (await fetch(`${api}/dev/token?user=${user}`)).json();
  return async (method, path, json) => {
    const response = await fetch(`${api}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(json && { "Content-Type": "application/json" }) },
      body: json && JSON.stringify(json),
    });
    const body = await response.json();
    assert.ok(response.ok, `${method} ${path} as ${user}: ${response.status} ${JSON.stringify(body)}`);
    return body;
  };
}

/** What the API has: every message of the chat between `user` and `other` with this text. */
export async function stored(user, otherId, text) {
  const page = await (await as(user))("GET", `/api/messages/private?chatId=${otherId}&limit=100`);
  return page.messages.filter((m) => m.content === text);
}
