// The example's settings for reaching someone who is away: the push switch (Chromium here has no
// push service, so it shows "off" and stays usable; a real subscription is tests/browser-push/
// in Firefox) and the mute switch of a chat, checked against the API's inbox.
import { test } from "node:test";
import assert from "node:assert/strict";
import { diagnosed } from "../browser/chromium.mjs";
import { BOB_ID, WAIT, as, openChat, send, signedIn, unique, useChromium } from "./example.mjs";

useChromium();

test("alice mutes her chat with bob: the button says so, the API's inbox too, and unmuting undoes it", diagnosed(async (t) => {
  const alice = await signedIn(t, "alice");
  await openChat(alice, "bob");
  await send(alice, unique("before muting"));
  const mute = alice.locator(".chat-head .mute");
  await mute.waitFor(WAIT);
  const asAlice = await as("alice");
  const inboxEntry = async () => (await asAlice("GET", "/api/conversations")).conversations.find((c) => c.otherUser?.id === BOB_ID);
  if ((await mute.getAttribute("data-muted")) === "true") {
    await mute.click(); // left muted by an earlier run on this database
    await alice.locator('.chat-head .mute[data-muted="false"]').waitFor(WAIT);
  }
  await mute.click();
  await alice.locator('.chat-head .mute[data-muted="true"]', { hasText: "Muted" }).waitFor(WAIT);
  assert.equal((await inboxEntry()).muted, true);
  await mute.click();
  await alice.locator('.chat-head .mute[data-muted="false"]', { hasText: "Mute" }).waitFor(WAIT);
  assert.equal((await inboxEntry()).muted, false);
  const push = alice.locator(".push-toggle");
  await push.waitFor(WAIT);
  assert.match(await push.getAttribute("data-push"), /^(off|unsupported|denied)$/);
}));
