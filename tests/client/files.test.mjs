// Files: sendFile() shows a pending FILE message with its upload's progress, PUTs the bytes to the
// store the API presigned (never through the API), then sends the message; refusals before any
// byte, cancel, retry, a reload mid-way, image sizes, and the short-lived download link.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ChatClient } from "../../client/pusher-chat.js";
import { memoryStorage, settle, signedIn, world } from "./fakes.mjs";

const photo = (bytes = 1000) => new File([new Uint8Array(bytes)], "holiday photo.png", { type: "image/png" });
const pdf = (bytes = 5000) => new File([new Uint8Array(bytes)], "report.pdf", { type: "application/pdf" });
const views = (chat) => chat.messages.map((m) => [m.type, m.file?.name ?? m.content, m.status]);
const sends = (server) => server.callsTo("POST /api/messages/private");

test("a file shows at once as pending with its progress, goes to the store as declared, then is sent; the other user gets it live", async () => {
  const w = world();
  w.server.storage.manual = true;
  const alice = await signedIn(ChatClient, w, "alice");
  const bob = await signedIn(ChatClient, w, "bob");
  const chat = alice.client.openChat("bob");
  const theirs = bob.client.openChat("alice");
  await Promise.all([chat.ready, theirs.ready]);
  await settle();
  const progress = [];
  const sending = chat.sendFile(pdf(5000), { content: "the numbers", onProgress: (p) => progress.push(p.fraction) });
  await settle();
  const [pending] = chat.messages;
  assert.deepEqual([pending.type, pending.status, pending.content, pending.file.name, pending.file.size], ["FILE", "pending", "the numbers", "report.pdf", 5000]);
  assert.deepEqual(pending.upload && [pending.upload.loaded, pending.upload.total], [0, 5000]);
  const [presign] = w.server.callsTo("POST /api/uploads");
  assert.deepEqual(presign.body, { chatId: "bob", fileName: "report.pdf", contentType: "application/pdf", size: 5000 });

  const [put] = w.server.storage.inflight;
  assert.equal(put.method, "PUT");
  assert.equal(put.headers["Content-Type"], "application/pdf");
  assert.equal(put.headers["Content-Length"], undefined, "the browser sets the length itself");
  put.progress(2000);
  await settle();
  assert.equal(chat.messages[0].upload.loaded, 2000);
  assert.equal(sends(w.server).length, 0, "no message before the bytes are up");
  put.progress(5000);
  put.finish();
  const message = await sending;
  assert.deepEqual(progress, [0.4, 1]);
  assert.deepEqual(sends(w.server).map((c) => [c.body.type, c.body.uploadId, c.body.content]), [["FILE", presign && w.server.storage.puts[0].url.match(/sig-(u\d+)/)[1], "the numbers"]]);
  assert.equal(message.file.url, `/api/files?messageId=${message.id}`);
  await settle();
  assert.deepEqual(views(chat), [["FILE", "report.pdf", "sent"]]);
  assert.equal(chat.messages[0].upload, undefined);
  assert.deepEqual(theirs.messages.map((m) => [m.type, m.file?.name, m.file?.size, m.content]), [["FILE", "report.pdf", 5000, "the numbers"]]);
  alice.client.close();
  bob.client.close();
});

test("a file /api/config rules out (too large, a type not allowed, no storage) is refused before any request: no upload, no byte, nothing shown", async () => {
  const w = world();
  w.server.storage.maxBytes = 25 * 1024 * 1024;
  const { client, errors } = await signedIn(ChatClient, w, "alice");
  assert.deepEqual(client.uploads, { enabled: true, maxBytes: 25 * 1024 * 1024, allowedTypes: ["image/*", "application/pdf", "text/plain"] });
  const chat = client.openChat("bob");
  await chat.ready;
  const big = { name: "film.png", type: "image/png", size: 30 * 1024 * 1024 };
  await assert.rejects(chat.sendFile(big), (err) => err.status === 413 && err.code === "file_too_large" && /film\.png is 30 MB; files may be at most 25 MB/.test(err.message));
  await assert.rejects(chat.sendFile({ name: "page.html", type: "text/html", size: 10 }), (err) => err.status === 422 && err.code === "file_type_not_allowed");
  const allowed = await chat.sendFile(new File([new Uint8Array(4)], "a.PNG", { type: "image/png" }));
  assert.equal(allowed.file.name, "a.PNG", "an allowed type passes");
  client.close();
  w.server.storage.configured = false;
  const other = await signedIn(ChatClient, w, "alice");
  const again = other.client.openChat("bob");
  await again.ready;
  await assert.rejects(again.sendFile(photo()), (err) => err.status === 501 && err.code === "storage_disabled");
  other.client.close();
  await settle();
  assert.equal(w.server.callsTo("POST /api/uploads").length, 1, "only the allowed one");
  assert.equal(w.server.storage.puts.length, 1);
  assert.deepEqual(errors, []);
});

test("a file an API that announces no limits refuses (413, 422, 501) rejects with its error and shows nothing, no byte sent", async () => {
  const w = world();
  w.server.storage.announce = false;
  const { client, errors } = await signedIn(ChatClient, w, "alice");
  assert.equal(client.uploads, null);
  const chat = client.openChat("bob");
  await chat.ready;
  w.server.override("POST /api/uploads", () => ({ status: 413, body: { error: { code: "file_too_large", message: "too large" } }, headers: {} }));
  await assert.rejects(chat.sendFile(pdf()), (err) => err.status === 413 && err.code === "file_too_large");
  w.server.overrides.clear();
  await assert.rejects(chat.sendFile(new File(["<b>x</b>"], "page.html", { type: "text/html" })), (err) => err.status === 422);
  w.server.storage.configured = false;
  await assert.rejects(chat.sendFile(photo()), (err) => err.status === 501 && err.code === "storage_disabled");
  await settle();
  assert.deepEqual(chat.messages, []);
  assert.equal(w.server.storage.puts.length, 0);
  assert.deepEqual(errors.map((e) => [e.status, e.operation]), [[413, "upload"], [422, "upload"], [501, "upload"]]);
  client.close();
});

test("cancel stops the PUT mid-way: the message leaves, its promise rejects with an AbortError, nothing is sent", async () => {
  const w = world();
  w.server.storage.manual = true;
  const { client, errors } = await signedIn(ChatClient, w, "alice");
  const chat = client.openChat("bob");
  await chat.ready;
  const sending = chat.sendFile(pdf());
  await settle();
  const [put] = w.server.storage.inflight;
  put.progress(1000);
  await settle();
  assert.equal(chat.messages[0].upload.cancel(), true);
  await assert.rejects(sending, { name: "AbortError" });
  assert.deepEqual(chat.messages, []);
  assert.deepEqual(w.server.storage.inflight, [], "the request was aborted");
  // An AbortSignal does the same.
  const controller = new AbortController();
  const second = chat.sendFile(pdf(), { signal: controller.signal });
  await settle();
  assert.equal(chat.messages.length, 1);
  controller.abort();
  await assert.rejects(second, { name: "AbortError" });
  await settle();
  assert.deepEqual(chat.messages, []);
  assert.equal(sends(w.server).length, 0);
  assert.deepEqual(errors, []);
  client.close();
});

test("a PUT the store refuses leaves the message failed; retry uploads it again and it is sent once", async () => {
  const w = world();
  const { client, errors } = await signedIn(ChatClient, w, "alice");
  const chat = client.openChat("bob");
  await chat.ready;
  w.server.storage.failWith = 500;
  const sending = chat.sendFile(photo(), { width: 40, height: 30 });
  await assert.rejects(sending, (err) => err.code === "storage_refused" && err.status === 500);
  const [failed] = chat.messages;
  assert.deepEqual([failed.status, failed.file.name, failed.upload.cancel], ["failed", "holiday photo.png", null]);
  assert.deepEqual(errors.map((e) => e.operation), ["upload"]);
  assert.equal(chat.error?.code, "storage_refused");
  w.server.storage.failWith = null;
  const message = await failed.retry();
  assert.equal(w.server.callsTo("POST /api/uploads").length, 2, "a new upload");
  assert.equal(message.clientMessageId, failed.localId);
  await settle();
  assert.deepEqual(views(chat), [["FILE", "holiday photo.png", "sent"]]);
  assert.deepEqual([chat.messages[0].file.width, chat.messages[0].file.height], [40, 30]);
  assert.equal(sends(w.server).length, 1);
  client.close();
});

test("a storage that stops answering (no progress, no answer) fails the upload instead of leaving it pending", async () => {
  const w = world();
  w.server.storage.manual = true;
  const { client } = await signedIn(ChatClient, w, "alice");
  const chat = client.openChat("bob");
  await chat.ready;
  const sending = chat.sendFile(pdf());
  await settle();
  w.server.storage.inflight[0].finish(0); // the connection dropped
  await assert.rejects(sending, (err) => err.status === 0);
  assert.deepEqual(views(chat), [["FILE", "report.pdf", "failed"]]);
  client.close();
});

test("an upload that makes no progress for timing.uploadStallTimeout fails with upload_stalled, its request aborted", { timeout: 5000 }, async () => {
  const w = world();
  w.server.storage.manual = true;
  const { client } = await signedIn(ChatClient, w, "alice", { timing: { uploadStallTimeout: 80 } });
  const chat = client.openChat("bob");
  await chat.ready;
  const sending = chat.sendFile(pdf());
  await settle();
  const [put] = w.server.storage.inflight;
  await new Promise((resolve) => setTimeout(resolve, 50));
  put.progress(100); // progress holds it off
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(chat.messages[0].status, "pending");
  await assert.rejects(sending, (err) => err.code === "upload_stalled" && err.status === 0);
  assert.deepEqual(w.server.storage.inflight, [], "aborted");
  assert.deepEqual(views(chat), [["FILE", "report.pdf", "failed"]]);
  client.close();
});

test("a text sent while a file is uploading goes out at once, not behind the upload", async () => {
  const w = world();
  w.server.storage.manual = true;
  const { client } = await signedIn(ChatClient, w, "alice");
  const chat = client.openChat("bob");
  await chat.ready;
  const sending = chat.sendFile(pdf());
  await settle();
  await chat.send("meanwhile");
  assert.deepEqual(sends(w.server).map((c) => c.body.content), ["meanwhile"]);
  w.server.storage.inflight[0].finish();
  await sending;
  await settle();
  assert.deepEqual(views(chat), [["TEXT", "meanwhile", "sent"], ["FILE", "report.pdf", "sent"]]);
  client.close();
});

test("an upload a reload cut short comes back failed with the reason; it cannot be retried, only discarded", async () => {
  const w = world();
  w.server.storage.manual = true;
  const storage = memoryStorage();
  const first = await signedIn(ChatClient, w, "alice", { storage });
  const chat = first.client.openChat("bob");
  await chat.ready;
  chat.sendFile(pdf()).catch(() => {});
  await settle();
  assert.equal(JSON.parse(storage.getItem("pusher-chat:uploads:alice")).length, 1);
  first.client.close(); // the tab is reloaded: the bytes are gone
  assert.deepEqual(w.server.storage.inflight, [], "the PUT was aborted");

  const second = await signedIn(ChatClient, w, "alice", { storage });
  const reopened = second.client.openChat("bob");
  await reopened.ready;
  await settle();
  const [lost] = reopened.messages;
  assert.deepEqual([lost.status, lost.type, lost.file.name, lost.error.code], ["failed", "FILE", "report.pdf", "upload_interrupted"]);
  assert.match(lost.error.message, /attach the file again/);
  await assert.rejects(lost.retry(), { code: "upload_interrupted" });
  assert.equal(lost.discard(), true);
  assert.deepEqual(reopened.messages, []);
  assert.equal(storage.getItem("pusher-chat:uploads:alice"), null);
  assert.equal(sends(w.server).length, 0);
  second.client.close();
});

test("a file whose bytes are up but whose message did not go yet is sent after a reload (the outbox keeps it)", async () => {
  const w = world();
  const storage = memoryStorage();
  const window = Object.assign(new EventTarget(), { navigator: { onLine: true } });
  const first = await signedIn(ChatClient, w, "alice", { storage, window });
  const chat = first.client.openChat("bob");
  await chat.ready;
  w.server.override("POST /api/messages/private", () => {
    window.navigator.onLine = false;
    throw new TypeError("Failed to fetch");
  });
  chat.sendFile(pdf()).catch(() => {});
  await settle();
  assert.equal(w.server.storage.puts.length, 1);
  assert.deepEqual(views(chat), [["FILE", "report.pdf", "pending"]], "shown once, as the upload");
  assert.equal(chat.messages[0].upload, undefined, "its bytes are up");
  assert.equal(storage.getItem("pusher-chat:uploads:alice"), null, "no longer an upload");
  assert.equal(JSON.parse(storage.getItem("pusher-chat:outbox:alice"))[0].extra.type, "FILE");
  first.client.close();

  w.server.overrides.clear();
  const second = await signedIn(ChatClient, w, "alice", { storage, window });
  const reopened = second.client.openChat("bob");
  await reopened.ready;
  await settle();
  assert.deepEqual(views(reopened), [["FILE", "report.pdf", "pending"]], "still offline: the file's name shows");
  window.navigator.onLine = true;
  window.dispatchEvent(new Event("online"));
  await settle();
  assert.deepEqual(views(reopened), [["FILE", "report.pdf", "sent"]]);
  assert.equal(w.server.storage.puts.length, 1, "not uploaded twice");
  second.client.close();
});

test("an image's size is measured in the browser and sent with it; other files carry none", async () => {
  const w = world();
  const { client } = await signedIn(ChatClient, w, "alice");
  const chat = client.openChat("bob");
  await chat.ready;
  const measured = [];
  globalThis.createImageBitmap = async (file) => (measured.push(file.name), { width: 640, height: 480, close() {} });
  try {
    await chat.sendFile(photo());
    await chat.sendFile(pdf());
  } finally {
    delete globalThis.createImageBitmap;
  }
  assert.deepEqual(measured, ["holiday photo.png"]);
  assert.deepEqual(sends(w.server).map((c) => [c.body.width, c.body.height]), [[640, 480], [undefined, undefined]]);
  await settle();
  assert.deepEqual(chat.messages.map((m) => [m.file.width, m.file.height]), [[640, 480], [null, null]]);
  client.close();
});

test("fileUrl asks for the file's short-lived link with the user's token, reuses it while fresh, and knows the older form", async () => {
  const w = world();
  const alice = await signedIn(ChatClient, w, "alice");
  const chat = alice.client.openChat("bob");
  await chat.ready;
  const message = await chat.sendFile(photo());
  const bob = await signedIn(ChatClient, w, "bob");
  const first = await bob.client.fileUrl(message);
  assert.match(first, /^https:\/\/store\.example\/bucket\/m\d+\?X-Amz-Signature=get-1$/);
  assert.equal(await bob.client.fileUrl(message), first, "reused while fresh");
  const [call] = w.server.callsTo("GET /api/files");
  assert.equal(call.query.get("messageId"), message.id);
  assert.equal(call.query.get("format"), "json");
  assert.match(call.token, /^token:bob:/);
  // A link with less than 30 s left is asked for again.
  w.server.storage.linkSecs = 20;
  const carol = await signedIn(ChatClient, w, "carol");
  await assert.rejects(carol.client.fileUrl(message), { status: 404 });
  const short = await alice.client.fileUrl(message);
  assert.notEqual(await alice.client.fileUrl(message), short);
  assert.equal(await alice.client.fileUrl({ type: "FILE", fileUrl: "https://cdn.example/a.png" }), "https://cdn.example/a.png");
  await assert.rejects(alice.client.fileUrl({ type: "TEXT", content: "hi" }), TypeError);
  for (const c of [alice, bob, carol]) c.client.close();
});

test("formatBytes reads sizes as the limit counts them (1 MB = 1024 kB)", async () => {
  const { formatBytes } = await import("../../client/pusher-chat.js");
  assert.equal(formatBytes(12), "12 B");
  assert.equal(formatBytes(1536), "1.5 kB");
  assert.equal(formatBytes(26214400), "25 MB");
  assert.equal(formatBytes(Number.NaN), "");
});
