// The Next.js example (examples/nextjs, on its own origin) in real Chromium windows against the
// API on another origin, PostgreSQL and sockudo: live messages, unread badges, read ticks, typing,
// presence, offline sends, a dropped websocket and a failed send, as a user sees them.
// scripts/example-nextjs runs it with BASE_URL (the example app) and API_BASE_URL (the dev server,
// with demo users alice, bob and carol). The tests run in order: the typing test has bob write to
// alice, which her watching his presence needs (presence shows only to people a user wrote to).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { diagnosed, launchChromium, watch } from "../browser/chromium.mjs";

const base = process.env.BASE_URL;
const api = process.env.API_BASE_URL?.replace(/\/+$/, "");
const shots = new URL("../../.local/screenshots/", import.meta.url).pathname;
const WAIT = { timeout: 20_000 };
let browser;

before(async () => {
  assert.ok(base && api, "BASE_URL (the example app) and API_BASE_URL must be set (run through scripts/example-nextjs)");
  mkdirSync(shots, { recursive: true });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

const NAMES = { alice: "Alice Anders", bob: "Bob Brown", carol: "Carol Clark" };
const unique = (label) => `${label} ${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** A signed-in window; `t.after` closes it. `setup(page)` runs before the app loads. */
async function signedIn(t, user, setup) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
  t.after(() => context.close().catch(() => {}));
  const page = watch(await context.newPage(), user);
  const errors = [];
  page.on("pageerror", (err) => errors.push(err.message));
  t.after(() => assert.deepEqual(errors, [], `${user}'s page threw`));
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

const connected = (page) => page.locator(".connection", { hasText: /^connected$/ }).waitFor(WAIT);

async function openChat(page, other) {
  await page.click(`[data-chat-with=${other}]`);
  await page.locator(".chat-head", { hasText: NAMES[other] }).waitFor(WAIT);
  // Loaded: no "Loading…" in the list any more.
  await page.locator(".messages .muted").waitFor({ state: "detached", ...WAIT });
}

async function send(page, text) {
  await page.fill("input[aria-label=Message]", text);
  await page.press("input[aria-label=Message]", "Enter");
}

const mine = (page, text) => page.locator(".message.mine", { hasText: text });
const theirs = (page, text) => page.locator(".message.theirs", { hasText: text });

/** What the API has: every message of the chat between `user` and `other` with this text. */
async function stored(user, otherId, text) {
  const { token } = await (await fetch(`${api}/dev/token?user=${user}`)).json();
  const page = await (await fetch(`${api}/api/messages/private?chatId=${otherId}&limit=100`, { headers: { Authorization: `Bearer ${token}` } })).json();
  return page.messages.filter((m) => m.content === text);
}
const ALICE_ID = "00000000-0000-4000-8000-00000000a11c";
const BOB_ID = "00000000-0000-4000-8000-000000000b0b";

test("a message arrives live, shows unread in the inbox, and turns ✓✓ once read", diagnosed(async (t) => {
  const alice = await signedIn(t, "alice");
  const bob = await signedIn(t, "bob");
  await openChat(alice, "bob");

  const first = unique("hello bob");
  await send(alice, first);
  await mine(alice, first).and(alice.locator("[data-status=sent]")).waitFor(WAIT);
  assert.equal((await mine(alice, first).locator(".ticks").textContent()).trim(), "✓");

  // Bob has no chat open: the inbox shows the message and an unread count, live, and a toast
  // (usePusher on his notifications channel) names the sender.
  const entry = bob.locator(".inbox li", { hasText: NAMES.alice });
  await entry.locator(".preview", { hasText: first }).waitFor(WAIT);
  await entry.locator(".badge").waitFor(WAIT);
  assert.ok(Number(await entry.locator(".badge").textContent()) >= 1);
  await bob.locator(".toast", { hasText: `${NAMES.alice}: ${first}` }).waitFor(WAIT);

  // Opening the chat reads it: the badge goes, alice sees ✓✓.
  await entry.locator("button").click();
  await theirs(bob, first).waitFor(WAIT);
  await entry.locator(".badge").waitFor({ state: "detached", ...WAIT });
  await mine(alice, first).locator(".ticks", { hasText: "✓✓" }).waitFor(WAIT);

  // With the chat open, the next one appears in bob's window as it is sent, and is read at once.
  const second = unique("are you there");
  await send(alice, second);
  await theirs(bob, second).waitFor(WAIT);
  await mine(alice, second).locator(".ticks", { hasText: "✓✓" }).waitFor(WAIT);
  assert.equal(await theirs(bob, first).count(), 1);
  assert.equal(await theirs(bob, second).count(), 1);
  await entry.locator(".badge").waitFor({ state: "detached", ...WAIT }); // read as it arrived
  await bob.screenshot({ path: `${shots}nextjs-bob.png` });
}));

test("typing shows while bob types and goes away when he stops or sends", diagnosed(async (t) => {
  const alice = await signedIn(t, "alice");
  const bob = await signedIn(t, "bob");
  await openChat(alice, "bob");
  await openChat(bob, "alice");
  const typing = alice.locator(".typing", { hasText: `${NAMES.bob} is typing…` });

  await bob.locator("input[aria-label=Message]").pressSequentially("let me think", { delay: 40 });
  await typing.waitFor(WAIT);
  // Nothing more typed: typing-stop follows after 3 s.
  await typing.waitFor({ state: "detached", ...WAIT });

  await bob.locator("input[aria-label=Message]").pressSequentially(" about it", { delay: 40 });
  await typing.waitFor(WAIT);
  const reply = unique("let me think about it");
  await bob.fill("input[aria-label=Message]", reply);
  await bob.press("input[aria-label=Message]", "Enter");
  await theirs(alice, reply).waitFor(WAIT);
  await typing.waitFor({ state: "detached", timeout: 2_500 }); // sending stops typing at once

  // The picture for the README: messages both ways, ticks, presence, and bob typing again.
  await bob.locator("input[aria-label=Message]").pressSequentially("sounds good, see you", { delay: 60 });
  await typing.waitFor(WAIT);
  await alice.locator(".presence", { hasText: /^online$/ }).waitFor(WAIT);
  await alice.screenshot({ path: `${shots}nextjs-chat.png` });
}));

test("presence: bob is online while his window is open, offline once it closes", diagnosed(async (t) => {
  const bob = await signedIn(t, "bob");
  const alice = await signedIn(t, "alice");
  await openChat(alice, "bob");
  await alice.locator(".chat-head .presence", { hasText: /^online$/ }).waitFor(WAIT);
  await bob.context().close();
  await alice.locator(".chat-head .presence", { hasText: /^offline$/ }).waitFor(WAIT);
}));

test("a message sent offline waits as pending and goes out once, when the network is back", diagnosed(async (t) => {
  const alice = await signedIn(t, "alice");
  const bob = await signedIn(t, "bob");
  await openChat(alice, "bob");
  await openChat(bob, "alice");

  await alice.context().setOffline(true);
  const text = unique("sent offline");
  await send(alice, text);
  const copy = mine(alice, text);
  await copy.and(alice.locator("[data-status=pending]")).waitFor(WAIT);
  await copy.locator(".state", { hasText: "sending…" }).waitFor(WAIT);
  await alice.waitForTimeout(1500); // still offline: it must stay pending and unsent
  assert.equal(await copy.getAttribute("data-status"), "pending");
  assert.equal(await theirs(bob, text).count(), 0);

  await alice.context().setOffline(false);
  await copy.and(alice.locator("[data-status=sent]")).waitFor(WAIT);
  await theirs(bob, text).waitFor(WAIT);
  await copy.locator(".ticks", { hasText: "✓✓" }).waitFor(WAIT); // bob read it: everything has settled
  assert.equal(await mine(alice, text).count(), 1, "alice's copy is not doubled");
  assert.equal(await theirs(bob, text).count(), 1, "bob receives it once");
  assert.equal((await stored("bob", ALICE_ID, text)).length, 1, "stored once");
  await alice.screenshot({ path: `${shots}nextjs-offline.png` });
}));

test("a message sent while bob's websocket is down reaches him once after the reconnect", diagnosed(async (t) => {
  // Bob's websockets go through a switch: the first is dropped on demand; later ones reach the
  // server but hear nothing from it until the switch is released.
  const sockets = [];
  let held = false;
  const queued = [];
  const bob = await signedIn(t, "bob", (page) =>
    page.routeWebSocket(/.*/, (ws) => {
      const server = ws.connectToServer();
      sockets.push(ws);
      server.onMessage((message) => (held ? queued.push([ws, message]) : ws.send(message)));
    }),
  );
  const alice = await signedIn(t, "alice");
  await openChat(alice, "bob");
  await openChat(bob, "alice");
  const opened = sockets.length;

  held = true;
  const dropped = sockets.at(-1);
  await dropped.close({ code: 4200, reason: "test: dropped" });
  await bob.locator(".connection", { hasText: /^connecting$/ }).waitFor(WAIT);
  const text = unique("while you were away");
  await send(alice, text);
  await mine(alice, text).and(alice.locator("[data-status=sent]")).waitFor(WAIT);
  assert.equal(await theirs(bob, text).count(), 0, "bob is not connected yet");

  held = false;
  assert.ok(sockets.length > opened, "bob reconnects through a new websocket");
  for (const [ws, message] of queued.splice(0)) if (ws !== dropped) ws.send(message);
  await connected(bob);
  await theirs(bob, text).waitFor(WAIT);
  await mine(alice, text).locator(".ticks", { hasText: "✓✓" }).waitFor(WAIT);
  assert.equal(await theirs(bob, text).count(), 1, "bob has it once");
  assert.equal(await mine(alice, text).count(), 1);
  await bob.screenshot({ path: `${shots}nextjs-reconnect.png` });
}));

test("a refused send shows as failed with a Retry button that sends it", diagnosed(async (t) => {
  const carol = await signedIn(t, "carol");
  await openChat(carol, "bob");
  const origin = new URL(base).origin;
  const refuse = (route) =>
    route.request().method() === "POST"
      ? route.fulfill({
          status: 500,
          contentType: "application/json",
          headers: { "Access-Control-Allow-Origin": origin },
          body: JSON.stringify({ error: { code: "internal", message: "injected failure" } }),
        })
      : route.fallback();
  await carol.route(`${api}/api/messages/private`, refuse);

  const text = unique("try again");
  await send(carol, text);
  const copy = mine(carol, text);
  await copy.and(carol.locator("[data-status=failed]")).waitFor(WAIT);
  await copy.locator(".state", { hasText: "not sent" }).waitFor(WAIT);
  await carol.locator(".chat .error", { hasText: "injected failure" }).waitFor(WAIT);

  await carol.unroute(`${api}/api/messages/private`, refuse);
  await copy.getByRole("button", { name: "Retry" }).click();
  await copy.and(carol.locator("[data-status=sent]")).waitFor(WAIT);
  assert.equal(await mine(carol, text).count(), 1);
  assert.equal((await stored("carol", BOB_ID, text)).length, 1);
}));

// A read receipt that fails (here: the network drops while it is on its way) goes again with the
// first sync that works once back online, so the sender sees ✓✓ and the badge goes.
test("a read receipt lost to a network drop is sent once the network is back", diagnosed(async (t) => {
  const text = unique("read me later");
  const bobToken = (await (await fetch(`${api}/dev/token?user=bob`)).json()).token;
  const sent = await fetch(`${api}/api/messages/private`, {
    method: "POST",
    headers: { Authorization: `Bearer ${bobToken}`, "Content-Type": "application/json" },
    body: JSON.stringify({ receiverId: ALICE_ID, content: text }),
  });
  assert.equal(sent.status, 201);

  const alice = await signedIn(t, "alice");
  let dropped = false;
  await alice.route(`${api}/api/messages/read`, async (route) => {
    if (dropped) return route.fallback();
    dropped = true;
    await alice.context().setOffline(true);
    await route.abort("internetdisconnected");
  });
  await openChat(alice, "bob");
  await theirs(alice, text).waitFor(WAIT);
  await alice.locator(".chat .error", { hasText: "Network error" }).waitFor(WAIT);
  await alice.context().setOffline(false);
  await connected(alice);
  await alice.locator(".inbox li", { hasText: NAMES.bob }).locator(".badge").waitFor({ state: "detached", timeout: 8_000 });
  const [stored] = (await (await fetch(`${api}/api/messages/private?chatId=${ALICE_ID}&limit=100`, { headers: { Authorization: `Bearer ${bobToken}` } })).json()).messages.filter((m) => m.content === text);
  assert.equal(stored?.isRead, true);
}));
