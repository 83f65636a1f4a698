// Room roles in the Next.js example, in real Chromium windows against the API: the member panel
// with roles, the owner making an admin, an admin removing a member's message ("removed by a
// moderator" in every window), renaming the room, removing and banning a member (whose window
// loses the room), on a desktop window and a phone-sized one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { diagnosed } from "../browser/chromium.mjs";
import { ALICE_ID, BOB_ID, CAROL_ID, WAIT, as, connected, send, shots, signedIn, theirs, unique, useChromium } from "./example.mjs";

useChromium();

const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

async function openRoom(page, roomId) {
  const entry = page.locator(`.rooms li[data-room-id="${roomId}"] button`);
  await entry.waitFor(WAIT);
  await entry.click();
  await page.locator(".chat-head .room-name").waitFor(WAIT);
  await page.locator(".messages .muted").waitFor({ state: "detached", ...WAIT });
  await page.click("[data-action=members]");
  await page.locator(".members-panel .member").first().waitFor(WAIT);
}

const member = (page, userId) => page.locator(`.members-panel .member[data-member-id="${userId}"]`);

test("the owner makes an admin, who removes a message as a moderator, renames the room, and removes and bans a member", diagnosed(async (t) => {
  const alice = await signedIn(t, "alice");
  const bob = await signedIn(t, "bob", { context: PHONE });
  const carol = await signedIn(t, "carol");

  // Alice makes a room with everyone from the example; bob and carol join.
  await alice.click("[data-action=new-room]");
  const head = alice.locator(".chat-head .room-name");
  await head.waitFor(WAIT);
  const roomId = await alice.locator(".rooms li[data-room-id]", { has: alice.locator("button.entry.active") }).getAttribute("data-room-id");
  assert.ok(roomId, "the new room is listed");
  for (const [page, user] of [[bob, "bob"], [carol, "carol"]]) {
    const invitation = page.locator(`.rooms [data-invitation="${roomId}"] [data-action=join]`);
    await invitation.waitFor(WAIT);
    await invitation.click();
    await page.locator(".chat-head .room-name").waitFor(WAIT);
    await page.click("[data-action=members]");
    await member(page, user === "bob" ? BOB_ID : CAROL_ID).waitFor(WAIT);
  }
  await alice.click("[data-action=members]");
  await member(alice, CAROL_ID).waitFor(WAIT); // the joins reached alice's panel live
  assert.equal(await member(alice, BOB_ID).getAttribute("data-role"), "member");
  assert.equal(await alice.locator(".members-panel [data-action=remove]").count(), 2, "the owner may remove both");
  assert.equal(await carol.locator(".members-panel [data-action=remove], .members-panel [data-action=rename]").count(), 0, "a member has no admin buttons");

  // The owner makes bob an admin: bob's own panel says so, live, and gives him the admin buttons.
  await member(alice, BOB_ID).locator("[data-action=make-admin]").click();
  await member(bob, BOB_ID).and(bob.locator("[data-role=admin]")).waitFor(WAIT);
  await bob.locator(".members-panel [data-action=rename]").waitFor(WAIT);
  assert.equal(await member(bob, CAROL_ID).locator("[data-action=remove]").count(), 1, "an admin may remove a member");
  assert.equal(await member(bob, ALICE_ID).locator("[data-action=remove]").count(), 0, "not the owner");

  // Carol writes; bob removes it as a moderator: every window shows "removed by a moderator".
  const spam = unique("buy cheap watches");
  await send(carol, spam);
  const bobsCopy = theirs(bob, spam);
  await bobsCopy.waitFor(WAIT);
  await bobsCopy.click(); // a tap shows the actions on a phone
  await bobsCopy.locator("[data-action=delete]").click();
  await bob.locator("[data-action=confirm-delete]").click();
  for (const page of [alice, bob, carol]) {
    await page.locator(".message .tombstone[data-deleted-by=moderator]", { hasText: "removed by a moderator" }).waitFor(WAIT);
  }
  assert.equal(await alice.locator(".message", { hasText: spam }).count(), 0, "the text is gone");

  // Bob renames the room: alice's header follows.
  const name = unique("Watch-free zone");
  await bob.click("[data-action=rename]");
  await bob.fill(".members-panel input[aria-label='Room name']", name);
  await bob.press(".members-panel input[aria-label='Room name']", "Enter");
  await head.filter({ hasText: name }).waitFor(WAIT);

  // The phone's panel fits its screen: nothing wider than the window.
  const overflow = await bob.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
  await bob.screenshot({ path: `${shots}nextjs-phone-room-members.png` });

  // Bob bans carol: her window loses the room; alice's panel lists her as banned.
  await member(bob, CAROL_ID).locator("[data-action=ban]").click();
  await member(alice, CAROL_ID).waitFor({ state: "detached", ...WAIT });
  await alice.locator(`.members-panel [data-banned-id="${CAROL_ID}"]`).waitFor(WAIT);
  await connected(carol); // her connection was closed by the server and came back without the room
  await carol.locator(`.rooms li[data-room-id="${roomId}"]`).waitFor({ state: "detached", ...WAIT });
  await carol.locator(".members-panel[data-removed=true]").waitFor(WAIT);
  await alice.screenshot({ path: `${shots}nextjs-room-members.png` });

  // She cannot be invited back until unbanned.
  const asAlice = await as("alice");
  await assert.rejects(asAlice("POST", `/api/rooms/members?roomId=${roomId}`, { userIds: [CAROL_ID] }), /403/);
  await alice.locator(`.members-panel [data-banned-id="${CAROL_ID}"] [data-action=unban]`).click();
  await alice.locator(`.members-panel [data-banned-id="${CAROL_ID}"]`).waitFor({ state: "detached", ...WAIT });
  assert.deepEqual((await asAlice("POST", `/api/rooms/members?roomId=${roomId}`, { userIds: [CAROL_ID] })).invited, [CAROL_ID]);
  await carol.locator(`.rooms [data-invitation="${roomId}"]`).waitFor(WAIT);
}));
