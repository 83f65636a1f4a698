// The demo page against a dev server that encrypts its channels end to end
// (PUSHER_ENCRYPTION_MASTER_KEY_BASE64): alice's message reaches bob's window live, while every
// websocket frame Chromium received carried only {nonce, ciphertext} (pusher-js's encryption
// build opened it in the page). scripts/test runs it with BASE_URL set to that dev server.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { diagnosed, launchChromium, watch } from "../browser/chromium.mjs";

const base = process.env.BASE_URL;
let browser;

before(async () => {
  assert.ok(base, "BASE_URL must point at a dev server with encryption on (run through scripts/test)");
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

/** A signed-in window and every websocket frame it receives. */
async function signedIn(user) {
  const page = watch(await (await browser.newContext({ viewport: { width: 1100, height: 760 } })).newPage(), user);
  const frames = [];
  page.on("websocket", (ws) => ws.on("framereceived", (frame) => frames.push(String(frame.payload))));
  page.on("pageerror", (err) => assert.fail(`${user}'s page threw: ${err.message}`));
  await page.goto(base);
  await page.click(`[data-user=${user}]`);
  await page.locator("#connection", { hasText: /^connected$/ }).waitFor();
  return { page, frames };
}

test("a message travels sealed over the websocket and shows in the other window", diagnosed(async () => {
  const config = await (await fetch(`${base}/api/config`)).json();
  assert.equal(config.encryptedChannels, true, "this dev server must encrypt its channels");
  const alice = await signedIn("alice");
  const bob = await signedIn("bob");
  await alice.page.click("[data-chat-with=bob]");
  await bob.page.click("[data-chat-with=alice]");
  const secret = `the key is under the mat ${Date.now()}`;
  await alice.page.fill("#draft", secret);
  await alice.page.click("#composer button");
  await bob.page.locator("#messages li:not(.mine)", { hasText: secret }).waitFor();

  const newMessages = bob.frames.filter((f) => f.includes('"new-message"'));
  assert.ok(newMessages.length >= 1, `bob's websocket carried the event: ${bob.frames.join("\n")}`);
  for (const frame of newMessages) {
    assert.ok(frame.includes("private-encrypted-"), frame);
    assert.ok(frame.includes("ciphertext") && frame.includes("nonce"), frame);
    assert.ok(!frame.includes("under the mat"), `plaintext on the wire: ${frame}`);
  }
  assert.ok(bob.frames.every((f) => !f.includes("under the mat")));
}));
