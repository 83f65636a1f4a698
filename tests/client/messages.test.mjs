// A conversation's messages: gap-free and duplicate-free, optimistic sends reconciled with their
// echo, failures and retries, the offline outbox, read receipts and typing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ChatClient, ApiError } from "../../client/pusher-chat.js";
import { memoryStorage, settle, signedIn, world } from "./fakes.mjs";

const contents = (conversation) => conversation.messages.map((m) => m.content);
const syncsAfter = (server) => server.callsTo("GET /api/messages/private").filter((c) => c.query.has("after")).map((c) => Number(c.query.get("after")));

test("a live message whose seq skips one triggers a sync that fills the hole, in seq order", async () => {
  const w = world();
  const { client } = await signedIn(ChatClient, w, "alice");
  const chat = client.openChat("bob");
  await chat.ready;
  await settle(); // its channel subscribed (and caught up once)
  const before = syncsAfter(w.server).length;
  w.server.store("bob", { receiverId: "alice", content: "first (event lost)" });
  w.server.deliver("bob", { receiverId: "alice", content: "second" });
  await settle();
  assert.deepEqual(syncsAfter(w.server).slice(before), [0]);
  assert.deepEqual(contents(chat), ["first (event lost)", "second"]);
  assert.deepEqual(chat.messages.map((m) => m.seq), [1, 2]);
  assert.equal(chat.lastSeq, 2);
  client.close();
});

test("the same message from an event, a second event and a sync is shown once", async () => {
  const w = world();
  const { client } = await signedIn(ChatClient, w, "alice");
  const seen = [];
  const chat = client.openChat("bob", { onMessage: (m) => seen.push(m.id) });
  await chat.ready;
  const message = w.server.deliver("bob", { receiverId: "alice", content: "once" });
  w.network.publish("private-chat-alice-bob", "new-message", message);
  await chat.sync();
  await settle();
  assert.deepEqual(contents(chat), ["once"]);
  assert.deepEqual(seen, [message.id]);
  client.close();
});

test("a truncated event is fetched by a sync", async () => {
  const w = world();
  const { client } = await signedIn(ChatClient, w, "alice");
  const chat = client.openChat("bob");
  await chat.ready;
  const message = w.server.store("bob", { receiverId: "alice", content: "x".repeat(12_000) });
  w.network.publish("private-chat-alice-bob", "new-message", { ...message, content: "", truncated: true });
  await settle();
  assert.equal(chat.messages.length, 1);
  assert.equal(chat.messages[0].content.length, 12_000);
  client.close();
});

test("an event of another conversation on the channel is ignored (conversationId, or chatId from older servers)", async () => {
  const w = world();
  const { client } = await signedIn(ChatClient, w, "alice");
  const chat = client.openChat("bob");
  await chat.ready;
  const stray = { id: "x1", seq: 1, senderId: "bob", content: "stray", createdAt: new Date().toISOString() };
  w.network.publish("private-chat-alice-bob", "new-message", { ...stray, conversationId: "alice:carol" });
  w.network.publish("private-chat-alice-bob", "new-message", { ...stray, chatId: "alice:carol" });
  await settle();
  assert.deepEqual(contents(chat), []);
  w.network.publish("private-chat-alice-bob", "new-message", { ...stray, chatId: "alice:bob" });
  await settle();
  assert.deepEqual(contents(chat), ["stray"]);
  client.close();
});

test("a send shows at once as pending and becomes sent with the server's id and seq", async () => {
  const w = world();
  const { client } = await signedIn(ChatClient, w, "alice");
  const chat = client.openChat("bob");
  await chat.ready;
  const sending = chat.send("hello");
  const [pending] = chat.messages;
  assert.equal(pending.status, "pending");
  assert.equal(pending.content, "hello");
  assert.equal(pending.id, null);
  assert.equal(pending.localId, pending.clientMessageId);
  const message = await sending;
  const [sent] = chat.messages;
  assert.equal(chat.messages.length, 1);
  assert.equal(sent.status, "sent");
  assert.equal(sent.id, message.id);
  assert.equal(sent.seq, 1);
  assert.equal(sent.localId, pending.localId, "a stable key across the change");
  const post = w.server.callsTo("POST /api/messages/private")[0];
  assert.deepEqual(post.body, { receiverId: "bob", content: "hello", clientMessageId: pending.clientMessageId });
  assert.equal(post.headers["X-Pusher-Socket-Id"], client.pusher.connection.socket_id);
  client.close();
});

test("an unsent message stays the same object, and the list the same array, while only something else changes", async () => {
  const w = world();
  let answer = null;
  const fetch = async (url, init) => {
    if (url.endsWith("/api/messages/private") && init.method === "POST") await answer;
    return w.server.fetch(url, init);
  };
  const { client } = await signedIn(ChatClient, w, "alice", { fetch });
  const chat = client.openChat("bob");
  await chat.ready;
  let release = () => {};
  answer = new Promise((resolve) => (release = resolve));
  const sending = chat.send("hello");
  const before = chat.messages;
  w.network.publish("private-chat-alice-bob", "typing-start", { userId: "bob", userName: "Bob Test", conversationId: "alice:bob" });
  assert.equal(chat.typingUsers.length, 1, "something changed");
  assert.equal(chat.messages, before, "so a list view keyed on it does not render again");
  assert.equal(chat.messages[0].status, "pending");
  release();
  await sending;
  assert.equal(chat.messages[0].status, "sent");
  client.close();
});

test("the own echo, before or after the POST's answer, never duplicates the message", async () => {
  const w = world();
  const { client } = await signedIn(ChatClient, w, "alice");
  const chat = client.openChat("bob");
  await chat.ready;

  // Echo first: the server publishes to this very connection before it answers.
  w.server.override("POST /api/messages/private", (call, server) => {
    const message = server.store("alice", { receiverId: "bob", content: call.body.content, clientMessageId: call.body.clientMessageId });
    server.network.publish("private-chat-alice-bob", "new-message", message);
    assert.equal(chat.messages.length, 1, "echo replaced the pending message");
    assert.equal(chat.messages[0].status, "sent");
    return { status: 201, body: { message } };
  });
  const first = await chat.send("echo before answer");
  assert.equal(chat.messages.length, 1);

  // Echo last: a second tab of the same user relays it again after the answer.
  w.server.overrides.clear();
  const second = await chat.send("echo after answer");
  w.network.publish("private-chat-alice-bob", "new-message", w.server.messages.get("alice:bob")[1]);
  await settle();
  assert.deepEqual(contents(chat), ["echo before answer", "echo after answer"]);
  assert.deepEqual(chat.messages.map((m) => m.id), [first.id, second.id]);
  assert.ok(chat.messages.every((m) => m.status === "sent"));
  client.close();
});

test("a refused send becomes failed, reaches onError, and retry() sends it with the same clientMessageId", async () => {
  const w = world();
  const { client, errors } = await signedIn(ChatClient, w, "alice");
  const chatErrors = [];
  const chat = client.openChat("bob", { onError: (e) => chatErrors.push(e) });
  await chat.ready;
  w.server.override("POST /api/messages/private", () => ({ status: 429, body: { error: { code: "rate_limited", message: "Too many messages" } }, headers: { "Retry-After": "42" } }));
  await assert.rejects(chat.send("too fast"), (err) => err instanceof ApiError && err.status === 429 && err.retryAfter === 42);
  const [failed] = chat.messages;
  assert.equal(failed.status, "failed");
  assert.equal(failed.error.code, "rate_limited");
  assert.equal(errors.at(-1).operation, "send");
  assert.equal(chatErrors.at(-1), errors.at(-1));

  w.server.overrides.clear();
  const message = await failed.retry();
  const posts = w.server.callsTo("POST /api/messages/private");
  assert.equal(posts.length, 2);
  assert.equal(posts[1].body.clientMessageId, posts[0].body.clientMessageId);
  assert.equal(message.clientMessageId, failed.clientMessageId);
  assert.deepEqual(chat.messages.map((m) => [m.content, m.status]), [["too fast", "sent"]]);
  client.close();
});

test("sends made offline wait in order, survive a reload, and go out in order when back online", async () => {
  const w = world();
  const storage = memoryStorage();
  const window = Object.assign(new EventTarget(), { navigator: { onLine: false } });
  const first = await signedIn(ChatClient, w, "alice", { storage, window });
  const chat = first.client.openChat("bob");
  await chat.ready;
  chat.send("one");
  chat.send("two");
  await settle();
  assert.equal(w.server.callsTo("POST /api/messages/private").length, 0);
  assert.deepEqual(chat.messages.map((m) => [m.content, m.status]), [["one", "pending"], ["two", "pending"]]);
  assert.equal(JSON.parse(storage.getItem("pusher-chat:outbox:alice")).length, 2);
  first.client.close(); // the tab is reloaded

  window.navigator.onLine = true;
  const second = await signedIn(ChatClient, w, "alice", { storage, window });
  const reopened = second.client.openChat("bob");
  await settle();
  const posts = w.server.callsTo("POST /api/messages/private");
  assert.deepEqual(posts.map((c) => c.body.content), ["one", "two"]);
  assert.deepEqual(reopened.messages.map((m) => [m.content, m.status, m.seq]), [["one", "sent", 1], ["two", "sent", 2]]);
  assert.equal(storage.getItem("pusher-chat:outbox:alice"), null);

  // Offline again: a request that gets no answer keeps the message queued until `online`.
  w.server.override("POST /api/messages/private", () => {
    throw new TypeError("Failed to fetch");
  });
  reopened.send("three");
  reopened.send("four");
  await settle();
  assert.deepEqual(reopened.messages.slice(2).map((m) => m.status), ["pending", "pending"]);
  w.server.overrides.clear();
  window.dispatchEvent(new Event("online"));
  await settle();
  // "three" got no answer once and went again; "four" waited behind it.
  assert.deepEqual(w.server.callsTo("POST /api/messages/private").map((c) => c.body.content), ["one", "two", "three", "three", "four"]);
  assert.deepEqual(reopened.messages.map((m) => [m.content, m.status]), [["one", "sent"], ["two", "sent"], ["three", "sent"], ["four", "sent"]]);
  second.client.close();
});

test("read receipts within the window go out as one call with the highest seq", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval", "Date"] });
  const w = world();
  const { client } = await signedIn(ChatClient, w, "alice");
  for (const content of ["a", "b", "c"]) w.server.store("bob", { receiverId: "alice", content });
  const chat = client.openChat("bob");
  await chat.ready;
  chat.markVisible(1);
  chat.markVisible(3);
  chat.markVisible(2);
  t.mock.timers.tick(250);
  await settle();
  const reads = w.server.callsTo("POST /api/messages/read");
  assert.deepEqual(reads.map((c) => c.body), [{ chatId: "bob", upToSeq: 3 }]);
  assert.ok(chat.messages.every((m) => m.isRead));
  chat.markVisible(3);
  t.mock.timers.tick(1000);
  await settle();
  assert.equal(w.server.callsTo("POST /api/messages/read").length, 1, "nothing new to read");
  client.close();
});

test("what is seen while a read call is in flight goes out as the next call once that one is answered", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval", "Date"] });
  const w = world();
  let answer = null; // while set, read calls wait for it before the server takes them
  const attempts = [];
  const fetch = async (url, init) => {
    if (url.endsWith("/api/messages/read")) {
      attempts.push(JSON.parse(init.body).upToSeq);
      await answer;
    }
    return w.server.fetch(url, init);
  };
  const { client } = await signedIn(ChatClient, w, "alice", { fetch });
  for (const content of ["a", "b", "c"]) w.server.store("bob", { receiverId: "alice", content });
  const chat = client.openChat("bob");
  await chat.ready;
  let release = () => {};
  answer = new Promise((resolve) => (release = resolve));
  chat.markVisible(1);
  t.mock.timers.tick(250);
  await settle();
  chat.markVisible(3); // seen while the first call waits
  t.mock.timers.tick(1000);
  await settle();
  assert.deepEqual(attempts, [1], "one call at a time");
  answer = null;
  release();
  await settle();
  t.mock.timers.tick(250);
  await settle();
  assert.deepEqual(attempts, [1, 3]);
  assert.ok(chat.messages.every((m) => m.isRead));
  client.close();
});

test("a read receipt that fails goes out again when marked again, and never twice at once", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval", "Date"] });
  const w = world();
  let hold = null; // while set, read calls hang until it settles, then get no answer
  const attempts = [];
  const fetch = async (url, init) => {
    if (!url.endsWith("/api/messages/read")) return w.server.fetch(url, init);
    attempts.push(JSON.parse(init.body));
    if (!hold) return w.server.fetch(url, init);
    await hold;
    throw new TypeError("Failed to fetch");
  };
  const { client, errors } = await signedIn(ChatClient, w, "alice", { fetch });
  for (const content of ["a", "b"]) w.server.store("bob", { receiverId: "alice", content });
  const chat = client.openChat("bob");
  await chat.ready;

  let drop;
  hold = new Promise((resolve) => (drop = resolve));
  chat.markRead();
  t.mock.timers.tick(250);
  await settle();
  assert.deepEqual(attempts, [{ chatId: "bob", upToSeq: 2 }]);
  // In flight: marking again, a later seq or a sync sends nothing more.
  chat.markRead();
  chat.markVisible(1);
  chat.markVisible(2);
  await chat.sync();
  t.mock.timers.tick(1000);
  await settle();
  assert.equal(attempts.length, 1, "no second call while one is in flight");

  hold = null;
  drop();
  await settle();
  assert.equal(errors.at(-1).operation, "read");
  assert.equal(chat.error, errors.at(-1));
  assert.ok(chat.messages.every((m) => !m.isRead));
  t.mock.timers.tick(1000);
  await settle();
  assert.equal(attempts.length, 1, "no retry loop by itself");

  chat.markRead(); // the same seq again
  t.mock.timers.tick(250);
  await settle();
  assert.deepEqual(attempts, [{ chatId: "bob", upToSeq: 2 }, { chatId: "bob", upToSeq: 2 }]);
  assert.ok(chat.messages.every((m) => m.isRead));
  assert.ok(w.server.messages.get("alice:bob").every((m) => m.isRead));
  assert.equal(chat.error, null, "the read's error is gone once a read succeeds");
  chat.markRead();
  t.mock.timers.tick(1000);
  await settle();
  assert.equal(attempts.length, 2, "nothing left to send");
  client.close();
});

test("a read receipt that fails goes out by itself with the next successful sync: back online, or after a reconnect", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval", "Date"] });
  const w = world();
  const window = new EventTarget();
  const { client, pusher } = await signedIn(ChatClient, w, "alice", { window });
  w.server.store("bob", { receiverId: "alice", content: "read me" });
  const chat = client.openChat("bob");
  await chat.ready;
  await settle(); // its channel subscribed
  const reads = () => w.server.callsTo("POST /api/messages/read").map((c) => c.body.upToSeq);
  const offline = () => {
    throw new TypeError("Failed to fetch");
  };

  w.server.override("POST /api/messages/read", offline);
  chat.markRead();
  t.mock.timers.tick(250);
  await settle();
  assert.deepEqual(reads(), [1]);
  assert.equal(chat.messages[0].isRead, false);

  // `online` while the sync still gets no answer: the read waits for a sync that works.
  w.server.override("GET /api/messages/private", offline);
  window.dispatchEvent(new Event("online"));
  await settle();
  assert.deepEqual(reads(), [1]);

  w.server.overrides.clear();
  window.dispatchEvent(new Event("online"));
  t.mock.timers.tick(250);
  await settle();
  assert.deepEqual(reads(), [1, 1]);
  assert.equal(chat.messages[0].isRead, true);
  assert.equal(w.server.messages.get("alice:bob")[0].isRead, true);
  assert.equal(chat.error, null);

  // The same after a dropped connection.
  w.server.deliver("bob", { receiverId: "alice", content: "and me" });
  await settle();
  w.server.override("POST /api/messages/read", offline);
  chat.markRead();
  t.mock.timers.tick(250);
  await settle();
  assert.deepEqual(reads(), [1, 1, 2]);
  w.server.overrides.clear();
  pusher.drop();
  pusher.connect();
  t.mock.timers.tick(250);
  await settle();
  assert.deepEqual(reads(), [1, 1, 2, 2]);
  assert.ok(chat.messages.every((m) => m.isRead));
  client.close();
});

test("the other user's read receipt marks own messages read", async () => {
  const w = world();
  const alice = await signedIn(ChatClient, w, "alice");
  const bob = await signedIn(ChatClient, w, "bob");
  const reads = [];
  const chat = alice.client.openChat("bob", { onRead: (r) => reads.push(r) });
  await chat.ready;
  await chat.send("read me");
  const bobChat = bob.client.openChat("alice");
  await bobChat.ready;
  bobChat.markRead();
  await new Promise((resolve) => setTimeout(resolve, 300));
  await settle();
  assert.equal(reads.length, 1);
  assert.equal(chat.messages[0].isRead, true);
  alice.client.close();
  bob.client.close();
});

test("in a 1:1 chat a receipt's upToSeq covers own messages its id list leaves out (a receipt in parts); in a room it does not", async () => {
  const w = world();
  const alice = await signedIn(ChatClient, w, "alice");
  const chat = alice.client.openChat("bob");
  await chat.ready;
  for (const content of ["one", "two", "three"]) await chat.send(content);
  w.server.store("bob", { receiverId: "alice", content: "bob's own" });
  await chat.sync();
  w.network.publish("private-chat-alice-bob", "message-read", { messageIds: [], readBy: "bob", readAt: new Date().toISOString(), conversationId: "alice:bob", upToSeq: 2 });
  assert.deepEqual(chat.messages.map((m) => [m.content, m.isRead]), [["one", true], ["two", true], ["three", false], ["bob's own", false]]);

  w.server.rooms.set("r1", ["alice", "bob"]);
  const room = alice.client.openRoom("r1");
  await room.ready;
  await room.send("to the room");
  w.network.publish("private-room-r1", "message-read", { messageIds: [], readBy: "bob", readAt: new Date().toISOString(), conversationId: "room:r1", upToSeq: 1 });
  assert.equal(room.messages[0].isRead, false, "one member's position says nothing of a room message");
  alice.client.close();
});

test("typing: one start per burst, again every 3 s while it lasts; no stop after idleness or a send; stopTyping() stops", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval", "Date"], now: 10_000 });
  const w = world();
  const { client } = await signedIn(ChatClient, w, "alice");
  const chat = client.openChat("bob");
  await chat.ready;
  const typing = () => w.server.callsTo("POST /api/typing").map((c) => c.body.typing);

  for (let ms = 0; ms < 2500; ms += 100) {
    chat.notifyTyping();
    t.mock.timers.tick(100);
  }
  await settle();
  assert.deepEqual(typing(), [true], "one call for a burst of 2.5 s");
  for (let ms = 2500; ms < 3500; ms += 100) {
    chat.notifyTyping();
    t.mock.timers.tick(100);
  }
  await settle();
  assert.deepEqual(typing(), [true, true], "refreshed at 3 s: the first start expires at 6 s");
  t.mock.timers.tick(10_000);
  await settle();
  assert.deepEqual(typing(), [true, true], "idleness sends nothing: the start expires by itself");

  chat.notifyTyping();
  await chat.send("done");
  assert.deepEqual(typing(), [true, true, true], "a send sends no stop: the message ends the indicator");
  chat.notifyTyping();
  await settle();
  assert.deepEqual(typing(), [true, true, true, true], "typing after a send is a new burst");
  chat.stopTyping();
  chat.stopTyping();
  await settle();
  assert.deepEqual(typing(), [true, true, true, true, false], "stopTyping() once");
  client.close();
});

test("a read that is due rides on the typing call: one call, one event, and the sender sees both", async (t) => {
  const w = world();
  const alice = await signedIn(ChatClient, w, "alice");
  const bob = await signedIn(ChatClient, w, "bob");
  const typingSeen = [];
  const aliceChat = alice.client.openChat("bob", { onTyping: (u, on) => typingSeen.push(`${u.userId}:${on}`) });
  const bobChat = bob.client.openChat("alice");
  await Promise.all([aliceChat.ready, bobChat.ready]);
  await aliceChat.send("are you there?");
  await settle();
  const received = bobChat.messages.at(-1);
  assert.equal(received.content, "are you there?");
  const published = [];
  const publish = w.network.publish.bind(w.network);
  w.network.publish = (channel, event, data, except) => (published.push(event), publish(channel, event, data, except));

  bobChat.markVisible(received.seq);
  bobChat.notifyTyping(); // within readDelay: the read goes with the typing
  await new Promise((resolve) => setTimeout(resolve, 400));
  await settle();
  assert.equal(w.server.callsTo("POST /api/messages/read").length, 0, "no read call of its own");
  assert.deepEqual(w.server.typingCalls.map((c) => c.readUpToSeq), [received.seq]);
  assert.deepEqual(published, ["message-read"], "one event carries the read and the typing");
  assert.equal(aliceChat.messages.at(-1).isRead, true, "the sender's tick");
  assert.deepEqual(typingSeen, ["bob:true"], "and the typing indicator");
  assert.deepEqual(aliceChat.typingUsers.map((u) => u.userId), ["bob"]);

  // Seen without typing: the read goes alone after readDelay.
  await aliceChat.send("hello?");
  await settle();
  bobChat.markVisible(bobChat.messages.at(-1).seq);
  await new Promise((resolve) => setTimeout(resolve, 400));
  await settle();
  assert.equal(w.server.callsTo("POST /api/messages/read").length, 1);
  assert.equal(aliceChat.messages.at(-1).isRead, true);
  alice.client.close();
  bob.client.close();
});

test("a remote typing indicator ends with typing-stop, with their message, or when its start says (6 s when it names no end)", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval", "Date"] });
  const w = world();
  const { client } = await signedIn(ChatClient, w, "alice");
  const events = [];
  const chat = client.openChat("bob", { onTyping: (u, typing) => events.push(`${u.userName}:${typing}`) });
  await chat.ready;
  const start = () => w.network.publish("private-chat-alice-bob", "typing-start", { userId: "bob", userName: "Bob Test", conversationId: "alice:bob" });

  start();
  assert.deepEqual(chat.typingUsers, [{ userId: "bob", userName: "Bob Test" }]);
  t.mock.timers.tick(4000);
  start(); // news: the 6 s start again
  t.mock.timers.tick(5999);
  assert.equal(chat.typingUsers.length, 1);
  t.mock.timers.tick(1);
  assert.deepEqual(chat.typingUsers, []);
  const lasting = (ms) => w.network.publish("private-chat-alice-bob", "typing-start", { userId: "bob", userName: "Bob Test", conversationId: "alice:bob", expiresInMs: ms });
  lasting(2000);
  t.mock.timers.tick(1999);
  assert.equal(chat.typingUsers.length, 1, "a start that names its end lasts that long");
  t.mock.timers.tick(1);
  assert.deepEqual(chat.typingUsers, []);
  events.splice(-2);

  start();
  w.network.publish("private-chat-alice-bob", "typing-stop", { userId: "bob", userName: "Bob Test" });
  assert.deepEqual(chat.typingUsers, []);
  start();
  w.server.deliver("bob", { receiverId: "alice", content: "hi" });
  await settle();
  assert.deepEqual(chat.typingUsers, []);
  assert.deepEqual(events, ["Bob Test:true", "Bob Test:false", "Bob Test:true", "Bob Test:false", "Bob Test:true", "Bob Test:false"]);
  client.close();
});

test("a typing-start that arrives after a later typing-stop is dropped", async () => {
  const w = world();
  const { client } = await signedIn(ChatClient, w, "alice");
  const chat = client.openChat("bob");
  await chat.ready;
  const publish = (event, at) => w.network.publish("private-chat-alice-bob", event, { userId: "bob", userName: "Bob", at });
  publish("typing-stop", "2026-11-25T10:00:00.200Z");
  publish("typing-start", "2026-11-25T10:00:00.100Z"); // sent first, delivered second
  assert.deepEqual(chat.typingUsers, [], "an older start does not bring the indicator back");
  publish("typing-start", "2026-11-25T10:00:00.200Z");
  assert.deepEqual(chat.typingUsers, [], "nor does a start from the same instant as the stop");
  publish("typing-start", "2026-11-25T10:00:01.000Z");
  assert.equal(chat.typingUsers.length, 1, "a newer start shows");
  publish("typing-stop", "2026-11-25T10:00:00.900Z");
  assert.equal(chat.typingUsers.length, 1, "an older stop does not hide it");
  client.close();
});

test("loadOlder() pages back through history", async () => {
  const w = world();
  const { client } = await signedIn(ChatClient, w, "alice");
  for (let i = 1; i <= 120; i++) w.server.store(i % 2 ? "bob" : "alice", { receiverId: i % 2 ? "alice" : "bob", content: `m${i}` });
  const chat = client.openChat("bob");
  await chat.ready;
  assert.equal(chat.messages.length, 50);
  assert.equal(chat.messages[0].seq, 71);
  assert.equal(chat.hasMore, true);
  await chat.loadOlder();
  await chat.loadOlder();
  assert.deepEqual(chat.messages.map((m) => m.seq), Array.from({ length: 120 }, (_, i) => i + 1));
  assert.equal(chat.hasMore, false);
  assert.deepEqual(await chat.loadOlder(), []);
  client.close();
});

test("rooms use roomId for sends, sync, reads and typing", async () => {
  const w = world();
  w.server.rooms.set("r1", ["alice", "bob"]);
  const { client } = await signedIn(ChatClient, w, "alice");
  const room = client.openRoom("r1");
  await room.ready;
  assert.equal(room.isConnected, true);
  assert.equal(room.key, "room:r1");
  await room.send("hello room");
  w.server.deliver("bob", { roomId: "r1", content: "hi alice" });
  await settle();
  room.notifyTyping();
  room.markRead();
  await new Promise((resolve) => setTimeout(resolve, 300));
  await settle();
  assert.deepEqual(contents(room), ["hello room", "hi alice"]);
  assert.deepEqual(w.server.callsTo("POST /api/messages/room")[0].body.roomId, "r1");
  assert.equal(w.server.callsTo("GET /api/messages/room")[0].query.get("roomId"), "r1");
  assert.deepEqual(w.server.callsTo("POST /api/messages/read")[0].body, { roomId: "r1", upToSeq: 2 });
  assert.deepEqual(w.server.callsTo("POST /api/typing")[0].body, { roomId: "r1", typing: true });
  client.close();
});

test("the inbox refreshes on notifications and own sends; presence follows once a conversation exists", async () => {
  const w = world();
  const alice = await signedIn(ChatClient, w, "alice");
  const bob = await signedIn(ChatClient, w, "bob");
  const inbox = bob.client.openInbox();
  await inbox.ready;
  assert.deepEqual(inbox.conversations, []);

  const presence = [];
  const chat = alice.client.openChat("bob", { onPresence: (online) => presence.push(online) });
  await chat.ready;
  await settle();
  assert.equal(alice.errors.find((e) => e.channel === "presence-user-bob")?.status, 403, "refused before any message");
  await chat.send("hi bob");
  await new Promise((resolve) => setTimeout(resolve, 200));
  await settle();
  assert.deepEqual(inbox.conversations.map((c) => [c.chatId, c.unreadCount, c.lastMessage.content]), [["alice:bob", 1, "hi bob"]]);
  assert.equal(presence.at(-1), true, "retried after the first message: bob is online");
  // Bob's preview follows an edit and a deletion live (no refresh: the counts do not change);
  // alice's own inbox refreshes after her edit.
  const aliceInbox = alice.client.openInbox();
  await aliceInbox.ready;
  const refreshes = () => w.server.callsTo("GET /api/conversations").filter((c) => c.token.startsWith("token:bob:")).length;
  const before = refreshes();
  const sent = chat.messages.at(-1);
  await chat.edit(sent.id, "hi bob!");
  await settle();
  assert.deepEqual(inbox.conversations.map((c) => [c.unreadCount, c.lastMessage.content]), [[1, "hi bob!"]]);
  await new Promise((resolve) => setTimeout(resolve, 200));
  await settle();
  assert.deepEqual(aliceInbox.conversations.map((c) => c.lastMessage.content), ["hi bob!"], "alice's own inbox follows her edit");
  await chat.delete(sent.id);
  await settle();
  assert.ok(inbox.conversations[0].lastMessage.deletedAt, "the preview is the tombstone");
  assert.equal(refreshes(), before);

  bob.client.close();
  await settle();
  assert.equal(presence.at(-1), false);
  alice.client.close();
});

test("the inbox follows new messages, own sends and reads without asking the API again", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const w = world();
  const bob = await signedIn(ChatClient, w, "bob");
  w.server.store("alice", { receiverId: "bob", content: "first" });
  const inbox = bob.client.openInbox();
  await inbox.ready;
  await settle();
  assert.deepEqual(inbox.conversations.map((c) => [c.unreadCount, c.lastMessage.content]), [[1, "first"]]);
  const refreshes = w.server.callsTo("GET /api/conversations").length;
  w.server.deliver("alice", { receiverId: "bob", content: "second" });
  assert.deepEqual(inbox.conversations.map((c) => [c.unreadCount, c.lastMessage.content]), [[2, "second"]]);
  t.mock.timers.tick(1000);
  await settle();
  assert.equal(w.server.callsTo("GET /api/conversations").length, refreshes, "no refresh after a notification");
  bob.client.close();
});

test("with a chat open its news reaches the inbox once, from the chat channel, and still after it closes for a while", async () => {
  const w = world();
  w.server.webhookDelay = 200; // the API hears of members joining and leaving 200 ms late
  const alice = await signedIn(ChatClient, w, "alice", { timing: { chatLeaveGrace: 500 } });
  const bob = await signedIn(ChatClient, w, "bob", { timing: { chatLeaveGrace: 500 } });
  w.server.store("alice", { receiverId: "bob", content: "first" });
  const inbox = bob.client.openInbox();
  const chat = bob.client.openChat("alice");
  await Promise.all([inbox.ready, chat.ready]);
  await new Promise((resolve) => setTimeout(resolve, 250)); // the API has heard
  await settle();
  assert.deepEqual(w.network.membersOf("presence-chat-alice-bob"), ["bob"], "an open chat is a member of its presence channel");
  const refreshes = () => w.server.callsTo("GET /api/conversations").length;
  const before = refreshes();
  const notifications = [];
  const publish = w.network.publish.bind(w.network);
  w.network.publish = (channel, event, data, except) => (channel === "private-notifications-bob" && notifications.push(event), publish(channel, event, data, except));

  w.server.deliver("alice", { receiverId: "bob", content: "second" });
  await settle();
  assert.deepEqual(notifications, [], "the server leaves out the inbox copy for an open chat");
  assert.deepEqual(inbox.conversations.map((c) => [c.unreadCount, c.lastMessage.content]), [[2, "second"]], "the open chat tells the inbox");
  chat.markRead();
  await new Promise((resolve) => setTimeout(resolve, 400));
  await settle();
  assert.deepEqual(inbox.conversations.map((c) => c.unreadCount), [0], "the user's own read clears the badge");
  await chat.send("reply");
  await settle();
  assert.deepEqual(inbox.conversations.map((c) => [c.unreadCount, c.lastMessage.content]), [[0, "reply"]], "and their send moves the preview");
  assert.equal(refreshes(), before, "all without a refresh");

  chat.close();
  await settle();
  assert.deepEqual(w.network.membersOf("presence-chat-alice-bob"), [], "a closed chat leaves the presence channel at once");
  w.server.deliver("alice", { receiverId: "bob", content: "just after closing" });
  await settle();
  assert.deepEqual(notifications, [], "the API has not heard yet: no inbox copy");
  assert.equal(inbox.conversations[0].lastMessage.content, "just after closing", "the chat channel lingers and tells the inbox");
  await new Promise((resolve) => setTimeout(resolve, 600));
  assert.ok(!w.network.pushers.some((p) => p.channels.get("private-chat-alice-bob")?.subscribed && p.userId === "bob"), "then it is left");
  alice.client.close();
  bob.client.close();
});

test("accepting a room invitation or leaving a room calls the API and refreshes the inbox", async () => {
  const w = world();
  const bob = await signedIn(ChatClient, w, "bob");
  const inbox = bob.client.openInbox();
  await inbox.ready;
  const refreshes = () => w.server.callsTo("GET /api/conversations").length;
  const before = refreshes();
  assert.deepEqual(await bob.client.acceptRoom("room 1"), { joined: "room 1", alreadyMember: false });
  assert.equal(w.server.callsTo("PUT /api/rooms")[0].query.get("roomId"), "room 1", "the id is URL-encoded and decoded back");
  await new Promise((resolve) => setTimeout(resolve, 200));
  await settle();
  assert.ok(refreshes() > before, "the joined room shows in the inbox");
  const afterJoin = refreshes();
  assert.deepEqual(await bob.client.leaveRoom("room 1"), { left: "room 1" });
  await new Promise((resolve) => setTimeout(resolve, 200));
  await settle();
  assert.ok(refreshes() > afterJoin, "a left room goes from the inbox");
  inbox.close();
  bob.client.close();
});

test("edits, deletions and reactions show live, keep their seq, and an older state never overwrites a newer one", async () => {
  const w = world();
  const alice = await signedIn(ChatClient, w, "alice");
  const bob = await signedIn(ChatClient, w, "bob");
  const changes = [];
  const chat = bob.client.openChat("alice", { onMessageChange: (m) => changes.push([m.content, m.deletedAt ? "deleted" : m.editedAt ? "edited" : ""]) });
  await chat.ready;
  const aliceChat = alice.client.openChat("bob");
  await aliceChat.ready;
  const first = await aliceChat.send("helo");
  await aliceChat.send("second");
  await settle();
  assert.deepEqual(contents(chat), ["helo", "second"]);

  await aliceChat.edit(first.id, "hello");
  await settle();
  assert.deepEqual(contents(chat), ["hello", "second"], "edited in place");
  assert.equal(chat.messages[0].seq, 1);
  assert.ok(chat.messages[0].editedAt);

  await bob.client.openChat("alice").ready; // a second view, to show both follow
  const reacted = await chat.react(first.id, "👍");
  assert.deepEqual(reacted.reactions, [{ emoji: "👍", count: 1, mine: true }]);
  assert.deepEqual(chat.messages[0].reactions, reacted.reactions, "the own reaction shows with the answer (its event skips this tab)");
  await settle();
  assert.deepEqual(aliceChat.messages[0].reactions, [{ emoji: "👍", count: 1, mine: false }], "alice sees bob's reaction");
  await chat.unreact(first.id, "👍");
  await settle();
  assert.deepEqual(aliceChat.messages[0].reactions, []);

  await chat.react(first.id, "❤️");
  await settle();
  assert.equal(aliceChat.messages[0].reactions.length, 1);
  await aliceChat.delete(first.id);
  await settle();
  assert.deepEqual([chat.messages[0].reactions, aliceChat.messages[0].reactions], [[], []], "a tombstone shows no reactions");
  assert.equal(chat.messages[0].content, "");
  assert.ok(chat.messages[0].deletedAt, "a tombstone at its seq");
  assert.equal(chat.messages.length, 2);
  assert.ok(changes.some(([content, kind]) => content === "hello" && kind === "edited"), JSON.stringify(changes));
  assert.deepEqual(changes.at(-1), ["", "deleted"]);
  alice.client.close();
  bob.client.close();
});

test("changes made while a client was away arrive with its next sync, through changedAfter", async () => {
  const w = world();
  const bob = await signedIn(ChatClient, w, "bob");
  const one = w.server.store("alice", { receiverId: "bob", content: "one" });
  const two = w.server.store("alice", { receiverId: "bob", content: "two" });
  const chat = bob.client.openChat("alice");
  await chat.ready;
  await settle(); // its channel subscribed
  assert.deepEqual(contents(chat), ["one", "two"]);
  // Neither change's event reaches bob (say his connection was down).
  w.server.change(one.id, { content: "one, edited", editedAt: new Date().toISOString() }, { silent: true });
  w.server.change(two.id, { content: "", deletedAt: new Date().toISOString() }, { silent: true });
  w.server.react("alice", one.id, "🎉", true, { silent: true });
  await chat.sync();
  await settle();
  assert.deepEqual(contents(chat), ["one, edited", ""]);
  assert.deepEqual(chat.messages[0].reactions, undefined, "the fake's history carries no reaction list");
  const asked = w.server.callsTo("GET /api/messages/private").filter((c) => c.query.has("changedAfter")).map((c) => Number(c.query.get("changedAfter")));
  assert.equal(asked.at(-1), 0, "asked for every change since the view loaded");
  assert.equal(chat.changeSeq, 3);
  // A live event that skips a change number makes the client catch up.
  w.server.change(one.id, { content: "missed", editedAt: new Date().toISOString() }, { silent: true });
  w.server.change(one.id, { content: "latest", editedAt: new Date().toISOString() });
  await settle();
  assert.equal(chat.messages[0].content, "latest");
  assert.equal(chat.changeSeq, 5);
  const caughtUp = w.server.callsTo("GET /api/messages/private").filter((c) => c.query.get("changedAfter") === "3");
  assert.ok(caughtUp.length >= 1, "the skipped number made the client ask for every change after the last one it had");
  // A late, older event (Pusher may deliver a retried publish after a newer one) changes nothing.
  w.network.publish("private-chat-alice-bob", "message-updated", { ...structuredClone(one), content: "stale", changeSeq: 1 });
  await settle();
  assert.equal(chat.messages[0].content, "latest");
  bob.client.close();
});

test("more changes than one page while away arrive page by page", async () => {
  const w = world();
  const bob = await signedIn(ChatClient, w, "bob");
  const sent = [];
  for (let i = 1; i <= 120; i++) sent.push(w.server.store("alice", { receiverId: "bob", content: `m${i}` }));
  const chat = bob.client.openChat("alice");
  await chat.ready;
  await settle(); // its channel subscribed (and caught up once)
  const before = w.server.callsTo("GET /api/messages/private").length;
  for (const m of sent) w.server.change(m.id, { content: `${m.content}, edited`, editedAt: new Date().toISOString() }, { silent: true });
  await chat.sync();
  const asked = w.server.callsTo("GET /api/messages/private").slice(before).filter((c) => c.query.has("changedAfter")).map((c) => c.query.get("changedAfter"));
  assert.deepEqual(asked, ["0", "100"], "the second page starts where the first ended");
  assert.equal(chat.changeSeq, 120);
  assert.equal(chat.messages.at(-1).content, "m120, edited", "a change from the second page shows");
  bob.client.close();
});

test("search asks the API with the query as typed and hands back the results with their place", async () => {
  const w = world();
  const bob = await signedIn(ChatClient, w, "bob");
  w.server.store("alice", { receiverId: "bob", content: "Lunch at noon?" });
  w.server.store("carol", { receiverId: "alice", content: "lunch elsewhere" });
  const found = await bob.client.search("lun & noo", { limit: 5 });
  const call = w.server.callsTo("GET /api/messages/search")[0];
  assert.equal(call.query.get("q"), "lun & noo");
  assert.equal(call.query.get("limit"), "5");
  assert.deepEqual(found.messages.map((m) => [m.content, m.conversationId, m.seq]), [["Lunch at noon?", "alice:bob", 1]]);
  bob.client.close();
});

test("the inbox's unread count stays at the API's cap of 100 and says so past it", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const w = world();
  const bob = await signedIn(ChatClient, w, "bob");
  for (let i = 0; i < 99; i++) w.server.store("alice", { receiverId: "bob", content: `backlog ${i}` });
  const inbox = bob.client.openInbox();
  await inbox.ready;
  await settle();
  const badge = () => inbox.conversations.map((c) => [c.unreadCount, !!c.unreadCapped]);
  assert.deepEqual(badge(), [[99, false]]);
  w.server.deliver("alice", { receiverId: "bob", content: "the hundredth" });
  assert.deepEqual(badge(), [[100, false]], "at once, before the refresh");
  t.mock.timers.tick(150);
  await settle();
  assert.deepEqual(badge(), [[100, false]], "the server agrees");
  w.server.deliver("alice", { receiverId: "bob", content: "one more" });
  assert.deepEqual(badge(), [[100, true]], "past the cap, at once");
  t.mock.timers.tick(150);
  await settle();
  assert.deepEqual(badge(), [[100, true]]);
  w.server.deliver("alice", { receiverId: "bob", content: "and another" });
  assert.deepEqual(badge(), [[100, true]], "a capped count stays capped");
  bob.client.close();
});

test("the safety sync asks only a store that has had no news live for its interval", async (t) => {
  const w = world();
  const { client } = await signedIn(ChatClient, w, "alice", { timing: { safetySyncInterval: 300 } });
  const chat = client.openChat("bob");
  await chat.ready;
  await settle();
  const syncs = () => w.server.callsTo("GET /api/messages/private").length;
  const before = syncs();
  // News every 100 ms: the chat is never quiet for 300 ms, so it is never asked.
  for (let i = 0; i < 8; i++) {
    w.server.deliver("bob", { receiverId: "alice", content: `live ${i}` });
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await settle();
  assert.equal(syncs(), before, "news kept coming: no safety sync");
  assert.equal(chat.messages.length, 8);
  // Then quiet: within two intervals it syncs, and finds what a failed publish left out.
  w.server.store("bob", { receiverId: "alice", content: "never published" });
  await new Promise((resolve) => setTimeout(resolve, 750));
  await settle();
  assert.ok(syncs() > before, "a quiet chat syncs");
  assert.equal(chat.messages.at(-1).content, "never published");
  client.close();
});

test("a sync asks for changes only when the conversation's change counter moved past the view's", async () => {
  const w = world();
  const bob = await signedIn(ChatClient, w, "bob");
  const first = w.server.store("alice", { receiverId: "bob", content: "one" });
  const chat = bob.client.openChat("alice");
  await chat.ready;
  await settle();
  const changeCalls = () => w.server.callsTo("GET /api/messages/private").filter((c) => c.query.has("changedAfter")).length;
  const before = changeCalls();
  w.server.store("alice", { receiverId: "bob", content: "two" });
  await chat.sync();
  assert.equal(changeCalls(), before, "no change since: the page's counter says so");
  assert.deepEqual(contents(chat), ["one", "two"]);
  w.server.change(first.id, { content: "one, edited", editedAt: new Date().toISOString() }, { silent: true });
  await chat.sync();
  assert.equal(changeCalls(), before + 1, "the counter moved: the changes are fetched");
  assert.equal(chat.messages[0].content, "one, edited");
  bob.client.close();
});

test("a start the server's throttle dropped (a new burst just after a send) goes again once the second has passed", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval", "Date"], now: 50_000 });
  const w = world();
  const { client } = await signedIn(ChatClient, w, "alice");
  const chat = client.openChat("bob");
  await chat.ready;
  await settle();
  chat.notifyTyping();
  await settle();
  await chat.send("quick");
  t.mock.timers.tick(300);
  chat.notifyTyping(); // a new burst 300 ms after the last start: the API drops it
  await settle();
  assert.deepEqual(w.server.typingCalls.map((c) => !!c.throttled), [false, true]);
  for (let ms = 0; ms < 540; ms += 60) {
    t.mock.timers.tick(60);
    chat.notifyTyping(); // "on my way": over before the second has passed
    await settle();
  }
  assert.equal(w.server.typingCalls.length, 2);
  t.mock.timers.tick(500);
  await settle();
  assert.deepEqual(w.server.typingCalls.map((c) => !!c.throttled), [false, true, false], "sent again once the second has passed, though no key came since");
  client.close();
});
