// Blocking and reporting in the Next.js example, in real Chromium windows against the API: alice
// blocks carol from the chat's user menu, and carol's next message never shows in alice's window
// (the API refuses it; carol's copy says it was not sent); alice reports a message of carol's
// with the reason picker; unblocking lets carol write again. Carol sends 3 messages here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { diagnosed } from "../browser/chromium.mjs";
import { ALICE_ID, CAROL_ID, WAIT, as, mine, openChat, send, sent, shots, signedIn, stored, theirs, unique, useChromium } from "./example.mjs";

useChromium();

test("alice blocks carol in the example and carol's next message never shows; unblocking lets her write again", diagnosed(async (t) => {
  // Whatever happens here, carol is not left blocked for the other tests.
  t.after(() => as("alice").then((alice) => alice("DELETE", `/api/blocks?userId=${CAROL_ID}&kind=block`)).catch(() => {}));
  const alice = await signedIn(t, "alice");
  const carol = await signedIn(t, "carol");
  await openChat(alice, "carol");
  await openChat(carol, "alice");

  const before = unique("before the block");
  const beforeId = await sent(carol, before);
  await theirs(alice, before).waitFor(WAIT);

  await alice.click("[data-action=user-menu]");
  await alice.click("[data-action=block]");
  await alice.locator("[data-action=unblock]").waitFor(WAIT);

  const after = unique("after the block");
  await send(carol, after);
  // Carol's copy is refused (the same 403 as any refusal: it does not say she is blocked).
  await mine(carol, after).and(carol.locator("[data-status=failed]")).waitFor(WAIT);
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  assert.equal(await theirs(alice, after).count(), 0, "a blocked user's message showed");
  assert.deepEqual(await stored("alice", CAROL_ID, after), [], "the API stored it");
  assert.equal(await theirs(alice, before).count(), 1, "the chat's history stays");

  // A report of carol's earlier message, with a reason, from the message's actions.
  const message = alice.locator(`.message[data-message-id="${beforeId}"]`);
  await message.click({ position: { x: 5, y: 5 } });
  await message.locator("[data-action=report]").click();
  await message.locator("select[aria-label=Reason]").selectOption("harassment");
  await message.locator("input[aria-label=Note]").fill("written after I said stop");
  await message.locator("[data-action=send-report]").click();
  await message.locator(".report.done", { hasText: /Reported|already/ }).waitFor(WAIT);
  await alice.screenshot({ path: `${shots}nextjs-block.png` });

  await alice.click("[data-action=unblock]");
  await alice.locator("[data-action=block]").waitFor(WAIT);
  const later = unique("after the unblock");
  await sent(carol, later);
  await theirs(alice, later).waitFor(WAIT);
  assert.equal((await stored("carol", ALICE_ID, later)).length, 1);
}));

test("on a phone, the user menu and the report form fit the screen and their controls are big enough to tap", diagnosed(async (t) => {
  const phone = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
  const bob = await signedIn(t, "bob", { context: phone });
  await bob.tap("[data-chat-with=carol]");
  await bob.locator(".chat-head", { hasText: "Carol" }).waitFor(WAIT);
  await bob.tap("[data-action=user-menu]");
  await bob.tap("[data-action=report-user]");
  await bob.locator(".user-menu select[aria-label=Reason]").waitFor(WAIT);
  const problems = await bob.evaluate(() => {
    const found = [];
    const width = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth > width) found.push(`the page is ${document.documentElement.scrollWidth} px wide`);
    for (const el of document.querySelectorAll(".chat-head button, .user-menu button, .user-menu select, .user-menu input")) {
      const box = el.getBoundingClientRect();
      if (!box.width) continue;
      if (box.left < -0.5 || box.right > width + 0.5) found.push(`${el.textContent || el.getAttribute("aria-label")} spans ${Math.round(box.left)}..${Math.round(box.right)}`);
      if (box.height < 44 || box.width < 44) found.push(`${el.textContent || el.getAttribute("aria-label")} is ${Math.round(box.width)}×${Math.round(box.height)}`);
    }
    return found;
  });
  assert.deepEqual(problems, []);
  await bob.screenshot({ path: `${shots}nextjs-phone-report.png` });
}));
