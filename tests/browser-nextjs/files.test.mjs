// Files in the Next.js example, through the real API and the local S3 server: alice attaches an
// image (the 📎 picker), bob sees it inline live at thumbnail size and opens it whole; a file dropped
// on the chat and one pasted into the composer go too (as chips with name and size); an upload
// shows its progress and can be cancelled; a 30 MB file is refused before any byte leaves the
// browser; and the same on a phone. Alice sends 4 messages here, bob none.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import { diagnosed } from "../browser/chromium.mjs";
import { BOB_ID, NAMES, WAIT, chatting, openChat, shots, signedIn, stored, unique, useChromium } from "./example.mjs";

useChromium();

const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (bytes) => {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};

/** A real PNG of `width` × `height` (a gradient), so the browser decodes and measures it. */
function png(width, height) {
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), body.length + 4);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) rows.set([(x * 255) / width, (y * 255) / height, 160], y * (width * 3 + 1) + 1 + x * 3);
  }
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk("IHDR", header), chunk("IDAT", deflateSync(rows)), chunk("IEND", Buffer.alloc(0))]);
}

const picker = "input[type=file][aria-label='Attach files']";
const fileMessage = (page, side, name) => page.locator(`.message.${side}`, { has: page.locator(`[title="${name}"], [data-file-name="${name}"]`) });

/** Every request a page makes that could carry a file: POST /api/uploads and any PUT. */
function uploadRequests(page) {
  const seen = [];
  page.on("request", (request) => {
    if (request.method() === "PUT" || new URL(request.url()).pathname === "/api/uploads") seen.push(`${request.method()} ${request.url()}`);
  });
  return seen;
}

/** The image's decoded size once it has loaded (0 × 0 while it has not). */
const decoded = (img) => img.evaluate((el) => (el.complete ? [el.naturalWidth, el.naturalHeight] : [0, 0]));

async function loaded(img, size) {
  await img.waitFor(WAIT);
  const until = Date.now() + WAIT.timeout;
  while (Date.now() < until) {
    if ((await decoded(img))[0] > 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.deepEqual(await decoded(img), size, "the image loaded from the store");
}

test("alice attaches an image; bob sees it inline live at thumbnail size, from the store, and opens it whole", diagnosed(async (t) => {
  const { alice, bob } = await chatting(t);
  const name = `${unique("sunset").replace(/\s/g, "-")}.png`;
  await alice.setInputFiles(picker, { name, mimeType: "image/png", buffer: png(640, 480) });

  const mineNow = fileMessage(alice, "mine", name);
  await mineNow.and(alice.locator("[data-status=sent]")).waitFor(WAIT);
  const shown = fileMessage(bob, "theirs", name);
  const thumb = shown.locator(".attachment.image img");
  await loaded(thumb, [640, 480]);
  const box = await thumb.boundingBox();
  assert.ok(box.width <= 240.5 && box.height <= 240.5, `a thumbnail, not ${box.width}×${box.height}`);
  assert.ok(Math.abs(box.width / box.height - 640 / 480) < 0.02, "in the image's proportions (its size came with the message)");
  const src = await thumb.getAttribute("src");
  assert.notEqual(new URL(src).origin, new URL(process.env.API_BASE_URL).origin, "the bytes come from the store, not through the API");
  assert.match(src, /X-Amz-Signature=/, "a presigned link");

  await shown.locator(".attachment.image").click();
  const full = bob.locator(".viewer img");
  await loaded(full, [640, 480]);
  const big = await full.boundingBox();
  assert.ok(big.width > box.width, "the viewer shows it larger than the thumbnail");
  await bob.keyboard.press("Escape");
  await bob.locator(".viewer").waitFor({ state: "detached", ...WAIT });
  await bob.screenshot({ path: `${shots}nextjs-files.png` });
}));

test("a file dropped on the chat and one pasted into the composer arrive as chips with name and size", diagnosed(async (t) => {
  const { alice, bob } = await chatting(t);
  const dropped = `${unique("notes").replace(/\s/g, "-")}.txt`;
  const pasted = `${unique("agenda").replace(/\s/g, "-")}.pdf`;
  const transfer = (fileName, type, text) =>
    alice.evaluateHandle(([fileName, type, text]) => {
      const data = new DataTransfer();
      data.items.add(new File([text], fileName, { type }));
      return data;
    }, [fileName, type, text]);
  const drop = await transfer(dropped, "text/plain", "twelve bytes");
  await alice.dispatchEvent(".chat", "dragover", { dataTransfer: drop });
  await alice.locator(".drop-hint").waitFor(WAIT);
  await alice.dispatchEvent(".chat", "drop", { dataTransfer: drop });
  const paste = await transfer(pasted, "application/pdf", "%PDF-1.4 a tiny pdf");
  await alice.locator("input[aria-label=Message]").evaluate((input, data) => input.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true })), paste);

  for (const [name, size] of [[dropped, "12 B"], [pasted, "19 B"]]) {
    const chip = fileMessage(bob, "theirs", name).locator(".attachment.file");
    await chip.waitFor(WAIT);
    assert.equal(await chip.locator(".name").textContent(), name);
    assert.equal(await chip.locator(".size").textContent(), size);
  }
  assert.equal(await alice.locator("input[aria-label=Message]").inputValue(), "", "the paste put no text in the composer");
}));

test("an upload shows its progress and Cancel stops it: the message goes, no message is stored", diagnosed(async (t) => {
  const alice = await signedIn(t, "alice");
  await openChat(alice, "bob");
  // The store never answers this PUT: it stays in progress until cancelled.
  let release;
  const held = new Promise((resolve) => (release = resolve));
  t.after(() => release());
  const failed = [];
  alice.on("requestfailed", (request) => request.method() === "PUT" && failed.push(request.failure()?.errorText));
  await alice.route((url) => url.searchParams.has("X-Amz-Signature"), async (route) => {
    if (route.request().method() !== "PUT") return route.continue();
    await held;
    await route.abort().catch(() => {});
  });
  const name = `${unique("slow").replace(/\s/g, "-")}.pdf`;
  await alice.setInputFiles(picker, { name, mimeType: "application/pdf", buffer: Buffer.alloc(200_000, 7) });
  const pending = fileMessage(alice, "mine", name);
  await pending.locator(".upload progress").waitFor(WAIT);
  assert.equal(await pending.getAttribute("data-status"), "pending");
  await pending.locator("[data-action=cancel-upload]").click();
  await pending.waitFor({ state: "detached", ...WAIT });
  await alice.waitForFunction(() => true); // let the abort reach the network layer
  assert.equal((await stored("alice", BOB_ID, "")).filter((m) => m.file?.name === name).length, 0, "no message stored");
  assert.deepEqual(failed, ["net::ERR_ABORTED"], "the PUT was aborted");
}));

test("a 30 MB file is refused before any byte is sent: no upload asked for, no PUT, a clear notice", diagnosed(async (t) => {
  const alice = await signedIn(t, "alice");
  await openChat(alice, "bob");
  const requests = uploadRequests(alice);
  const before = await alice.locator(".messages .message").count();
  await alice.setInputFiles(picker, { name: "holiday.mp4", mimeType: "video/mp4", buffer: Buffer.alloc(30 * 1024 * 1024) });
  const notice = alice.locator(".notice[role=alert]");
  await notice.waitFor(WAIT);
  assert.match(await notice.textContent(), /holiday\.mp4 is 30 MB; files may be at most 25 MB/);
  await new Promise((resolve) => setTimeout(resolve, 500)); // time for a request that should not come
  assert.deepEqual(requests, [], "nothing was asked for or sent");
  assert.equal(await alice.locator(".messages .message").count(), before, "no message");
}));

test("on a phone: the attach button is large enough to tap, an image fits the screen inline and in the viewer", diagnosed(async (t) => {
  const bob = await signedIn(t, "bob", { context: PHONE });
  const alice = await signedIn(t, "alice");
  await openChat(alice, "bob");
  await bob.locator(`[data-chat-with=alice]`).tap();
  await bob.locator(".chat-head", { hasText: NAMES.alice }).waitFor(WAIT);
  const attach = bob.getByRole("button", { name: "Attach a file" });
  const button = await attach.boundingBox();
  assert.ok(button.width >= 43.5 && button.height >= 43.5, `the attach button is ${button.width}×${button.height}`);

  const name = `${unique("panorama").replace(/\s/g, "-")}.png`;
  await alice.setInputFiles(picker, { name, mimeType: "image/png", buffer: png(1600, 400) });
  const thumb = fileMessage(bob, "theirs", name).locator(".attachment.image img");
  await loaded(thumb, [1600, 400]);
  const wide = () => bob.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(await wide(), 0, "nothing wider than the screen");
  const box = await thumb.boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= 390.5, "the thumbnail is on screen");
  await fileMessage(bob, "theirs", name).locator(".attachment.image").tap();
  const full = bob.locator(".viewer img");
  await loaded(full, [1600, 400]);
  const shown = await full.boundingBox();
  assert.ok(shown.x >= -0.5 && shown.x + shown.width <= 390.5, `the viewer's image fits the screen (${shown.x}+${shown.width})`);
  const close = await bob.getByRole("button", { name: "Close" }).boundingBox();
  assert.ok(close.width >= 43.5 && close.height >= 43.5, "the viewer's close button is large enough to tap");
  await bob.screenshot({ path: `${shots}nextjs-phone-image.png` });
  await bob.getByRole("button", { name: "Close" }).tap();
  await bob.locator(".viewer").waitFor({ state: "detached", ...WAIT });
}));
