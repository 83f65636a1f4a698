// The Next.js example (examples/nextjs, on its own origin) in real Chromium windows against the
// API on another origin, PostgreSQL and sockudo: live messages, unread badges, read ticks, typing,
// presence, offline sends, a dropped websocket, a failed send, and editing, deleting, reacting to,
// replying to and searching for messages, as a user sees them.
// scripts/example-nextjs runs it with BASE_URL (the example app) and API_BASE_URL (the dev server,
// with demo users alice, bob and carol). The tests run in order: the typing test has bob write to
// alice, which her watching his presence needs (presence shows only to people a user wrote to).
import { test } from "node:test";
import assert from "node:assert/strict";
import { diagnosed } from "../browser/chromium.mjs";
import {
  ALICE_ID, BOB_ID, CAROL_ID, NAMES, WAIT, api, as, base, byId, chatting, connected, mine, openChat, send, sent, shots,
  signedIn, stored, theirs, unique, useChromium,
} from "./example.mjs";

useChromium();

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

test("typing shows while bob types and goes away when its start expires or he sends", diagnosed(async (t) => {
  const { alice, bob } = await chatting(t);
  const typing = alice.locator(".typing", { hasText: `${NAMES.bob} is typing…` });

  await bob.locator("input[aria-label=Message]").pressSequentially("let me think", { delay: 40 });
  await typing.waitFor(WAIT);
  // Nothing more typed: the start expires (6 s after it went out).
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
  const { alice, bob } = await chatting(t);

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

/**
 * A window whose websockets go through a switch: `drop(reason)` closes the open one and keeps
 * later ones silent (they reach the server but hear nothing) until `release()`. Chromium's
 * offline mode leaves open websockets alone, so tests cut them this way.
 */
async function signedInBehindSwitch(t, user) {
  const sockets = [];
  let held = false;
  let dropped = null;
  const queued = [];
  const page = await signedIn(t, user, {
    setup: (p) =>
      p.routeWebSocket(/.*/, (ws) => {
        const server = ws.connectToServer();
        sockets.push(ws);
        server.onMessage((message) => (held ? queued.push([ws, message]) : ws.send(message)));
      }),
  });
  return {
    page,
    opened: () => sockets.length,
    async drop(reason) {
      held = true;
      dropped = sockets.at(-1);
      await dropped.close({ code: 4200, reason });
    },
    release() {
      held = false;
      for (const [ws, message] of queued.splice(0)) if (ws !== dropped) ws.send(message);
    },
  };
}

test("a message sent while bob's websocket is down reaches him once after the reconnect", diagnosed(async (t) => {
  const wire = await signedInBehindSwitch(t, "bob");
  const bob = wire.page;
  const alice = await signedIn(t, "alice");
  await openChat(alice, "bob");
  await openChat(bob, "alice");
  const opened = wire.opened();

  await wire.drop("test: dropped");
  await bob.locator(".connection", { hasText: /^connecting$/ }).waitFor(WAIT);
  const text = unique("while you were away");
  await send(alice, text);
  await mine(alice, text).and(alice.locator("[data-status=sent]")).waitFor(WAIT);
  assert.equal(await theirs(bob, text).count(), 0, "bob is not connected yet");

  assert.ok(wire.opened() > opened, "bob reconnects through a new websocket");
  wire.release();
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

// --- Edit, delete, reactions, replies, search ------------------------------------------------------
// Sends are few and reused: the API lets a user send 10 messages a minute, and alice sends 9 in
// this whole file (bob 4, carol 2; phone.test.mjs adds bob 3 and carol 2, and
// tests/browser-nextjs-dev bob 1), so a second run right after the first may meet a 429.

/** The chip of `emoji` under a message, and its count once it shows `count` (0: no chip). */
async function chipCount(message, emoji, count) {
  const chip = message.locator(`.chip[data-emoji="${emoji}"]`);
  if (count === 0) return chip.waitFor({ state: "detached", ...WAIT });
  await chip.locator(".count", { hasText: new RegExp(`^${count}$`) }).waitFor(WAIT);
  return chip;
}

/** Whether all of `element` shows within its scrolled message list. */
const inView = (element) =>
  element.evaluate((node) => {
    const list = node.closest(".messages").getBoundingClientRect();
    const box = node.getBoundingClientRect();
    return box.top >= list.top && box.bottom <= list.bottom;
  });

test("alice edits and then deletes her message: bob sees the new text, (edited), then the tombstone, live", diagnosed(async (t) => {
  const { alice, bob } = await chatting(t);
  const text = unique("see you at nine");
  const id = await sent(alice, text);
  const hers = byId(bob, id);
  await hers.locator(".text", { hasText: text }).waitFor(WAIT);

  // Bob may answer and react to her message, not change it.
  assert.equal(await hers.locator("[data-action=reply]").count(), 1);
  assert.equal(await hers.locator("[data-react]").count(), 3);
  assert.equal(await hers.locator("[data-action=edit], [data-action=delete]").count(), 0, "no edit or delete on someone else's message");

  // Escape leaves the editor without a change.
  const own = byId(alice, id);
  await own.locator("[data-action=edit]").click();
  const box = own.locator("input[aria-label='Edit message']");
  assert.equal(await box.inputValue(), text);
  await box.fill("never saved");
  await box.press("Escape");
  await box.waitFor({ state: "detached", ...WAIT });
  assert.equal(await own.locator(".text").textContent(), text);
  assert.equal(await own.locator(".edited").count(), 0);

  const fixed = unique("see you at ten");
  await own.locator("[data-action=edit]").click();
  await box.fill(fixed);
  await box.press("Enter");
  await own.locator(".text", { hasText: fixed }).waitFor(WAIT);
  await own.locator(".edited", { hasText: "(edited)" }).waitFor(WAIT);
  // Bob's window: the new text in the same place, marked edited, without reloading.
  await hers.locator(".text", { hasText: fixed }).waitFor(WAIT);
  await hers.locator(".edited", { hasText: "(edited)" }).waitFor(WAIT);
  assert.equal(await hers.locator(".text").textContent(), fixed);
  assert.equal(await theirs(bob, text).count(), 0, "the old text is gone");
  assert.equal(await bob.locator(`.message[data-seq="${await hers.getAttribute("data-seq")}"]`).count(), 1, "same seq, shown once");

  // Delete asks first; Keep leaves it.
  await own.locator("[data-action=delete]").click();
  await own.locator("[data-action=keep]").click();
  await own.locator("[data-action=delete]").click();
  await own.locator("[data-action=confirm-delete]").click();
  for (const copy of [own, hers]) {
    await copy.locator(".tombstone", { hasText: "message deleted" }).waitFor(WAIT);
    assert.match(await copy.getAttribute("class"), /\bdeleted\b/);
    assert.equal(await copy.locator(".text:not(.tombstone)").count(), 0, "no text left");
    assert.doesNotMatch(await copy.textContent(), /see you at/);
    assert.equal(await copy.locator(".actions").count(), 0, "nothing left to do with it");
  }
  const [kept] = (await (await as("bob"))("GET", `/api/messages/private?chatId=${ALICE_ID}&limit=100`)).messages.filter((m) => m.id === id);
  assert.equal(kept.content, "");
  assert.ok(kept.deletedAt);
}));

test("bob reacts to alice's message: she sees the count live, her own reaction highlighted, and each taken back", diagnosed(async (t) => {
  const { alice, bob } = await chatting(t);
  const id = await sent(alice, unique("react to this"));
  const own = byId(alice, id);
  const hers = byId(bob, id);
  await hers.waitFor(WAIT);

  await hers.locator("[data-react='👍']").click();
  const bobChip = await chipCount(hers, "👍", 1);
  assert.equal(await bobChip.getAttribute("aria-pressed"), "true", "bob's own reaction is highlighted for him");
  const aliceChip = await chipCount(own, "👍", 1);
  assert.equal(await aliceChip.getAttribute("aria-pressed"), "false", "not hers");

  // Alice joins by clicking the chip: 2 for both, highlighted for each only where it is theirs.
  await aliceChip.click();
  await chipCount(own, "👍", 2);
  await chipCount(hers, "👍", 2);
  assert.equal(await aliceChip.getAttribute("aria-pressed"), "true");
  assert.equal(await bobChip.getAttribute("aria-pressed"), "true");

  // Bob takes his back by clicking his chip; a second emoji has its own chip.
  await bobChip.click();
  await chipCount(own, "👍", 1);
  await chipCount(hers, "👍", 1);
  assert.equal(await bobChip.getAttribute("aria-pressed"), "false");
  await hers.locator("[data-react='😂']").click();
  await chipCount(own, "😂", 1);
  await hers.locator(".chip[data-emoji='😂']").click();
  await chipCount(own, "😂", 0);
  await chipCount(hers, "😂", 0);

  // Alice takes hers back: no chip is left anywhere.
  await aliceChip.click();
  await chipCount(own, "👍", 0);
  await chipCount(hers, "👍", 0);
  const [saved] = (await (await as("alice"))("GET", `/api/messages/private?chatId=${BOB_ID}&limit=100`)).messages.filter((m) => m.id === id);
  assert.deepEqual(saved.reactions, []);
}));

test("bob replies to alice's message: both see the quote, and it follows her edit", diagnosed(async (t) => {
  const { alice, bob } = await chatting(t);
  const question = unique("lunch at noon?");
  const id = await sent(alice, question);
  const hers = byId(bob, id);
  await hers.waitFor(WAIT);

  // Reply shows what is answered in the composer; ✕ takes it back.
  const replying = bob.locator(".replying");
  await hers.locator("[data-action=reply]").click();
  await replying.filter({ hasText: `Replying to ${NAMES.alice}: ${question}` }).waitFor(WAIT);
  await replying.getByRole("button", { name: "Cancel reply" }).click();
  await replying.waitFor({ state: "detached", ...WAIT });
  await hers.locator("[data-action=reply]").click();
  await replying.waitFor(WAIT);
  const answer = unique("yes, see you there");
  const replyId = await sent(bob, answer);
  await replying.waitFor({ state: "detached", ...WAIT });

  // The quote above the reply: in bob's window with alice's name, in alice's with "You", live.
  const bobsCopy = byId(bob, replyId);
  const alicesCopy = byId(alice, replyId);
  await bobsCopy.locator(".quote", { hasText: `${NAMES.alice} ${question}` }).waitFor(WAIT);
  await alicesCopy.locator(".text", { hasText: answer }).waitFor(WAIT);
  await alicesCopy.locator(".quote", { hasText: `You ${question}` }).waitFor(WAIT);
  const [saved] = await stored("alice", BOB_ID, answer);
  assert.equal(saved.replyToId, id);
  assert.equal(saved.replyTo.content, question);

  // Alice corrects her question: both quotes show the new text.
  const corrected = unique("lunch at half past twelve?");
  await byId(alice, id).locator("[data-action=edit]").click();
  await byId(alice, id).locator("input[aria-label='Edit message']").fill(corrected);
  await byId(alice, id).locator("input[aria-label='Edit message']").press("Enter");
  await bobsCopy.locator(".quote", { hasText: corrected }).waitFor(WAIT);
  await alicesCopy.locator(".quote", { hasText: corrected }).waitFor(WAIT);

  // The picture for the README: a reply, a reaction, an edited message, search and bob typing.
  await alicesCopy.locator("[data-react='❤️']").click();
  await chipCount(bobsCopy, "❤️", 1);
  // The chip made the last message taller: both lists, scrolled to the bottom, stay there.
  assert.ok(await inView(bobsCopy.locator(".chip")), "bob sees the new chip without scrolling");
  assert.ok(await inView(alicesCopy.locator(".chip")), "alice sees her chip without scrolling");
  await alice.fill("input[aria-label='Search messages']", "lunch");
  await alice.locator(".search-results .result").first().waitFor(WAIT);
  await bob.locator("input[aria-label=Message]").pressSequentially("on my way", { delay: 60 });
  await alice.locator(".typing", { hasText: `${NAMES.bob} is typing…` }).waitFor(WAIT);
  await alice.mouse.move(0, 0); // no message hovered: no action buttons in the picture
  await alice.waitForTimeout(300);
  await alice.screenshot({ path: `${shots}nextjs-features.png` });
}));

test("search finds messages by the start of their words; a result opens its chat at the message, a room's says it has no view here", diagnosed(async (t) => {
  // Bob writes to carol and carol in a room of hers, both with the same rare word.
  const word = `zebra${Date.now().toString(36)}`;
  const bobApi = await as("bob");
  const carolApi = await as("carol");
  const chatText = `the ${word} crossing is at the corner`;
  const { message } = await bobApi("POST", "/api/messages/private", { receiverId: CAROL_ID, content: chatText });
  const { rooms } = await carolApi("GET", "/api/rooms");
  const room = rooms.find((r) => r.name === "search test") ?? (await carolApi("POST", "/api/rooms", { name: "search test", memberIds: [] })).room;
  await carolApi("POST", "/api/messages/room", { roomId: room.id, content: `a ${word} in the room` });

  const carol = await signedIn(t, "carol");
  const box = carol.locator("input[aria-label='Search messages']");
  const results = carol.locator(".search-results .result");

  // Two words, each the start of a word, any case.
  const start = word.slice(0, -2);
  await box.fill(`${start.toUpperCase()} cross`);
  await results.first().waitFor(WAIT);
  assert.equal(await results.count(), 1, "only the chat message has both words");
  const hit = results.first();
  assert.equal(await hit.getAttribute("data-seq"), String(message.seq));
  assert.match(await hit.locator(".where").textContent(), new RegExp(`^${NAMES.bob} · `), "who wrote it, in the chat with them");
  assert.equal(await hit.locator(".snippet").textContent(), chatText);
  assert.deepEqual(await hit.locator("mark").allTextContents(), [start, "cross"], "the matched starts are marked");

  // Nothing matches: it says so.
  await box.fill(`${word}x`);
  await carol.locator(".search-results .muted", { hasText: "No messages match" }).waitFor(WAIT);
  assert.equal(await results.count(), 0);

  // One word: both, newest first; the room's is shown but cannot be opened here.
  await box.fill(word);
  await carol.locator(".search-results .result.room").waitFor(WAIT);
  await results.nth(1).waitFor(WAIT);
  assert.equal(await results.count(), 2);
  const inRoom = results.first();
  assert.match(await inRoom.textContent(), /in a room/);
  assert.match(await inRoom.textContent(), /Rooms are not shown in this example/);
  assert.equal(await inRoom.locator("button").count(), 0);

  // The chat's opens the chat with bob, at that message.
  await results.nth(1).locator("button").click();
  await carol.locator(".chat-head", { hasText: NAMES.bob }).waitFor(WAIT);
  const shown = carol.locator(`.message.focused[data-seq="${message.seq}"]`, { hasText: chatText });
  await shown.waitFor(WAIT);
  assert.equal(await shown.getAttribute("data-message-id"), message.id);
  assert.ok(await inView(shown), "the message is scrolled into view");
  assert.equal(await carol.locator(".search-results .result").count(), 2, "the results stay for another pick");
  await box.press("Escape");
  await carol.locator(".search-results").waitFor({ state: "detached", ...WAIT });
}));

test("a window that was offline while alice edited, deleted and reacted catches up once back, without a reload", diagnosed(async (t) => {
  const wire = await signedInBehindSwitch(t, "bob");
  const bob = wire.page;
  const alice = await signedIn(t, "alice");
  await openChat(alice, "bob");
  await openChat(bob, "alice");
  const kept = await sent(alice, unique("meet at the station"));
  const gone = await sent(alice, unique("bring the tickets"));
  await byId(bob, gone).waitFor(WAIT);
  await bob.evaluate(() => (window.sameDocument = true));

  await bob.context().setOffline(true);
  await wire.drop("test: offline");
  await bob.locator(".connection:not([data-state=connected])").waitFor(WAIT);

  const moved = unique("meet at the bus stop");
  await byId(alice, kept).locator("[data-action=edit]").click();
  await byId(alice, kept).locator("input[aria-label='Edit message']").fill(moved);
  await byId(alice, kept).locator("input[aria-label='Edit message']").press("Enter");
  await byId(alice, gone).locator("[data-action=delete]").click();
  await byId(alice, gone).locator("[data-action=confirm-delete]").click();
  await byId(alice, kept).locator("[data-react='👍']").click();
  await byId(alice, gone).locator(".tombstone").waitFor(WAIT);
  await chipCount(byId(alice, kept), "👍", 1);
  await byId(alice, kept).locator(".edited").waitFor(WAIT);

  await bob.waitForTimeout(2000); // offline: nothing may reach him
  assert.doesNotMatch(await byId(bob, kept).textContent(), /bus stop/);
  assert.equal(await byId(bob, gone).locator(".tombstone").count(), 0);

  await bob.context().setOffline(false);
  wire.release();
  await connected(bob);
  await byId(bob, kept).locator(".text", { hasText: moved }).waitFor(WAIT);
  await byId(bob, kept).locator(".edited", { hasText: "(edited)" }).waitFor(WAIT);
  await byId(bob, gone).locator(".tombstone", { hasText: "message deleted" }).waitFor(WAIT);
  await chipCount(byId(bob, kept), "👍", 1);
  assert.equal(await bob.evaluate(() => window.sameDocument), true, "caught up without a reload");
  assert.equal(await bob.locator(`.message[data-message-id="${gone}"]`).count(), 1);
}));
