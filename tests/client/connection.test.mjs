// The client's connection: channel authorization with fresh tokens, reconnects that refill what
// was missed, polling while offline, errors, and a close() that leaves nothing behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ChatClient, ApiError, RealtimeError } from "../../client/pusher-chat.js";
import { settle, signedIn, world } from "./fakes.mjs";

const sequence = (conversation) => conversation.messages.map((m) => m.content);

test("channels are authorized through the API with a Bearer token: those asked for together in one call, one alone form-encoded", async () => {
  const w = world();
  const { client, pusher } = await signedIn(ChatClient, w, "alice");
  const auth = w.server.callsTo("POST /api/pusher/auth");
  assert.equal(client.messageEditWindowSecs, 900, "the edit window comes from /api/config");
  assert.equal(auth.length, 1, "the user's two channels in one call");
  assert.deepEqual([...auth[0].body.channel_names].sort(), ["presence-user-alice", "private-notifications-alice"]);
  assert.equal(auth[0].headers["Content-Type"], "application/json");
  for (const call of auth) {
    assert.equal(call.url, "https://api.example/api/pusher/auth");
    assert.equal(call.body.socket_id, pusher.connection.socket_id);
    assert.match(call.headers.Authorization, /^Bearer token:alice:/);
  }
  assert.ok(pusher.channel("presence-user-alice").subscribed && pusher.channel("private-notifications-alice").subscribed);
  // A room opened later asks for its one channel alone, in pusher-js's own form.
  client.openRoom("r1");
  await settle();
  const alone = w.server.callsTo("POST /api/pusher/auth").slice(1);
  assert.deepEqual(alone.map((c) => [c.headers["Content-Type"], c.body.channel_name]), [["application/x-www-form-urlencoded", "private-room-r1"]]);
  // The config's own ajax settings are replaced by handlers that fetch a token per request.
  assert.equal(typeof pusher.options.channelAuthorization.customHandler, "function");
  assert.equal(pusher.options.channelAuthorization.endpoint, undefined);
  assert.equal(pusher.options.cluster, "local");
  assert.equal(client.state, "connected");
  client.close();
});

test("an expired token is refreshed once and the channel authorization retried", async () => {
  const w = world();
  const { client, pusher, tokens, errors } = await signedIn(ChatClient, w, "alice", { connected: false });
  w.server.expired.add("token:alice:0");
  pusher.connect();
  await settle();
  const auth = w.server.callsTo("POST /api/pusher/auth");
  // Both channels (one call) were refused with the old token, then accepted with the refreshed one.
  assert.deepEqual(auth.map((c) => c.token).sort(), ["token:alice:0", "token:alice:1"]);
  assert.equal(tokens.refreshes, 1, "concurrent 401s share one refresh");
  assert.ok(tokens.calls.some((o) => o.forceRefresh === true));
  assert.ok(pusher.channel("private-notifications-alice").subscribed);
  assert.deepEqual(errors, []);

  // Every later authorization asks getToken again (a token can change at any time).
  const before = tokens.calls.length;
  client.openChat("bob");
  await settle();
  assert.ok(tokens.calls.length > before);
  client.close();
});

test("an API call answered 401 calls onTokenExpired, refreshes and retries once", async () => {
  const w = world();
  let expiredCalls = 0;
  const { client, tokens } = await signedIn(ChatClient, w, "alice", { onTokenExpired: () => void expiredCalls++ });
  w.server.expired.add("token:alice:0");
  const conversations = await client.inbox();
  assert.deepEqual(conversations, []);
  assert.equal(expiredCalls, 1);
  assert.equal(tokens.refreshes, 1);
  assert.deepEqual(w.server.callsTo("GET /api/conversations").map((c) => c.token), ["token:alice:0", "token:alice:1"]);

  // A token that stays invalid is an error, after exactly one retry.
  w.server.expired.add("token:alice:1");
  w.server.expired.add("token:alice:2");
  await assert.rejects(client.inbox(), (err) => err instanceof ApiError && err.status === 401);
  assert.equal(w.server.callsTo("GET /api/conversations").length, 4);
  client.close();
});

test("a quick reconnect (connected → connecting → connected) fetches what was published during the drop", async () => {
  const w = world();
  const states = [];
  const { client, pusher } = await signedIn(ChatClient, w, "alice", { onStateChange: (s) => states.push(`${s.previous}→${s.current}`) });
  w.server.deliver("bob", { receiverId: "alice", content: "one" });
  const chat = client.openChat("bob");
  await chat.ready;
  assert.deepEqual(sequence(chat), ["one"]);

  pusher.drop();
  w.server.deliver("bob", { receiverId: "alice", content: "two (sent while alice was away)" });
  assert.equal(chat.isConnected, false);
  pusher.connect();
  await settle();

  assert.deepEqual(sequence(chat), ["one", "two (sent while alice was away)"]);
  assert.ok(w.server.callsTo("GET /api/messages/private").some((c) => c.query.get("after") === "1"));
  assert.ok(states.includes("connected→connecting") && states.at(-1) === "connecting→connected");
  assert.equal(chat.isConnected, true);
  client.close();
});

test("a reconnect refreshes the inbox with what arrived during the drop", async () => {
  const w = world();
  const { client, pusher } = await signedIn(ChatClient, w, "alice");
  const inbox = client.openInbox();
  await inbox.ready;
  assert.deepEqual(inbox.conversations, []);
  pusher.drop();
  w.server.deliver("bob", { receiverId: "alice", content: "sent while alice was away" });
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual(inbox.conversations, [], "the notification was lost with the connection");
  pusher.connect();
  await settle();
  assert.deepEqual(inbox.conversations.map((c) => c.lastMessage?.content), ["sent while alice was away"]);
  client.close();
});

test("while not connected the chat polls every 5 s, and stops once connected", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval", "Date"] });
  const w = world();
  const { client, pusher } = await signedIn(ChatClient, w, "carol", { connected: false });
  const chat = client.openChat("alice");
  await settle();
  const syncs = () => w.server.callsTo("GET /api/messages/private").filter((c) => c.query.has("after")).length;
  assert.equal(syncs(), 0);

  w.server.deliver("alice", { receiverId: "carol", content: "polled" });
  t.mock.timers.tick(5000);
  await settle();
  assert.equal(syncs(), 1);
  assert.deepEqual(sequence(chat), ["polled"]);
  pusher.unavailable();
  t.mock.timers.tick(5000);
  await settle();
  assert.equal(syncs(), 2);

  pusher.connect();
  await settle();
  const afterConnect = syncs();
  t.mock.timers.tick(19_000);
  await settle();
  assert.equal(syncs(), afterConnect, "no polling while the channel is live");
  client.close();
});

test("while connected, open chats still sync every 30 s, so an event Pusher never delivered shows", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval", "Date"] });
  const w = world();
  const { client } = await signedIn(ChatClient, w, "carol");
  const chat = client.openChat("alice");
  await chat.ready;
  await settle();
  const syncs = () => w.server.callsTo("GET /api/messages/private").filter((c) => c.query.has("after")).length;
  const before = syncs();
  // Stored, but its event never reached Pusher.
  w.server.store("alice", { receiverId: "carol", content: "publish failed for good" });
  t.mock.timers.tick(29_000);
  await settle();
  assert.equal(syncs(), before);
  assert.deepEqual(sequence(chat), []);
  t.mock.timers.tick(1_000);
  await settle();
  assert.equal(syncs(), before + 1);
  assert.deepEqual(sequence(chat), ["publish failed for good"]);
  client.close();
  t.mock.timers.tick(60_000);
  await settle();
  assert.equal(syncs(), before + 1, "nothing after close");
});

test("coming back online or visible syncs open chats", async () => {
  const w = world();
  const window = new EventTarget();
  const document = Object.assign(new EventTarget(), { visibilityState: "visible" });
  const { client } = await signedIn(ChatClient, w, "alice", { window, document });
  const chat = client.openChat("bob");
  await chat.ready;
  await settle(); // subscribed (and caught up)
  const syncs = () => w.server.callsTo("GET /api/messages/private").filter((c) => c.query.has("after")).length;
  const start = syncs();

  w.server.store("bob", { receiverId: "alice", content: "missed" });
  window.dispatchEvent(new Event("online"));
  await settle();
  assert.equal(syncs(), start + 1);
  assert.deepEqual(sequence(chat), ["missed"]);

  document.visibilityState = "hidden";
  document.dispatchEvent(new Event("visibilitychange"));
  await settle();
  assert.equal(syncs(), start + 1, "hidden: nothing to do");
  document.visibilityState = "visible";
  document.dispatchEvent(new Event("visibilitychange"));
  await settle();
  assert.equal(syncs(), start + 2);
  client.close();
});

test("a refused subscription (403) and a failed load reach onError and the conversation's error", async () => {
  const w = world();
  const { client, errors } = await signedIn(ChatClient, w, "carol");
  const chatErrors = [];
  const chat = client.openChat("nobody", { onError: (err) => chatErrors.push(err) });
  await settle();

  const refused = errors.find((e) => e instanceof RealtimeError);
  assert.ok(refused, "subscription error reported");
  assert.equal(refused.channel, "private-chat-carol-nobody");
  assert.equal(refused.status, 403);
  assert.equal(refused.operation, "subscribe");
  assert.match(refused.message, /You may not subscribe/);
  const notFound = errors.find((e) => e instanceof ApiError);
  assert.equal(notFound.status, 404);
  assert.equal(notFound.operation, "load");
  assert.deepEqual(new Set(chatErrors), new Set([refused, notFound]));
  assert.ok(chat.error, "error state");
  client.close();
});

test("a conversation's error goes once the operation that failed (sync, load, read) succeeds", async () => {
  const w = world();
  for (let i = 1; i <= 60; i++) w.server.store("bob", { receiverId: "alice", content: `m${i}` });
  const { client, errors } = await signedIn(ChatClient, w, "alice", { timing: { readDelay: 0 } });
  const chat = client.openChat("bob");
  await chat.ready;
  const wait = async () => {
    await new Promise((resolve) => setTimeout(resolve, 10));
    await settle();
  };
  const offline = () => {
    throw new TypeError("Failed to fetch");
  };

  // sync: a failed one, then one that works (and brings nothing new).
  w.server.override("GET /api/messages/private", offline);
  await chat.sync();
  assert.equal(chat.error?.operation, "sync");
  assert.equal(chat.error.message, "Network error: Failed to fetch");
  assert.equal(chat.getSnapshot().error, chat.error);
  assert.equal(chat.isConnected, true);
  w.server.overrides.clear();
  await chat.sync();
  assert.equal(chat.error, null);
  assert.equal(chat.getSnapshot().error, null);

  // load: older history.
  w.server.override("GET /api/messages/private", offline);
  await assert.rejects(chat.loadOlder());
  assert.equal(chat.error?.operation, "load");
  w.server.overrides.clear();
  await chat.loadOlder();
  assert.equal(chat.error, null);

  // read: a sync that works does not hide a read that still fails.
  w.server.override("POST /api/messages/read", offline);
  chat.markRead();
  await wait();
  const failedRead = chat.error;
  assert.equal(failedRead?.operation, "read");
  await chat.sync();
  await wait();
  assert.equal(chat.error?.operation, "read");
  w.server.overrides.clear();
  chat.markRead();
  await wait();
  assert.equal(chat.error, null);
  assert.equal(chat.getSnapshot().error, null);
  assert.deepEqual(errors.map((e) => e.operation), ["sync", "load", "read", "read"]);
  client.close();
});

test("connection errors and a failed connection reach onError", async () => {
  const w = world();
  const { client, pusher, errors } = await signedIn(ChatClient, w, "alice", { connected: false });
  pusher.connection.emit("error", { type: "WebSocketError", error: { type: "PusherError", data: { code: 4001, message: "App key not in this cluster" } } });
  pusher.connection.setState("failed");
  assert.equal(errors.length, 2);
  assert.ok(errors.every((e) => e instanceof RealtimeError && e.operation === "connect"));
  assert.match(errors[0].message, /App key not in this cluster/);
  assert.equal(client.state, "failed");
  client.close();
});

test("channels are reference counted: a second follower keeps the channel, a re-subscribe in the same tick never leaves it", async () => {
  const w = world();
  const { client, pusher } = await signedIn(ChatClient, w, "alice");
  const name = "private-chat-alice-bob";
  const first = client.subscribe(name);
  const second = client.subscribe(name);
  await settle();
  assert.equal(first.status, "subscribed");
  first.unsubscribe();
  await settle();
  assert.ok(pusher.channel(name)?.subscribed, "still followed by the second");

  // React strict mode: unmount and mount again synchronously.
  second.unsubscribe();
  const third = client.subscribe(name);
  await settle();
  assert.ok(pusher.channel(name)?.subscribed);
  assert.equal(third.status, "subscribed");
  assert.equal(w.server.callsTo("POST /api/pusher/auth").filter((c) => c.body.channel_name === name).length, 1);

  third.unsubscribe();
  await settle();
  assert.equal(pusher.channel(name), undefined);
  client.close();
});

test("close() leaves no timer, listener or subscription behind", async (t) => {
  const active = new Set();
  const real = { setTimeout, clearTimeout, setInterval, clearInterval };
  t.after(() => Object.assign(globalThis, real));
  globalThis.setTimeout = (fn, ms, ...args) => {
    const id = real.setTimeout(() => (active.delete(id), fn(...args)), ms);
    active.add(id);
    return id;
  };
  globalThis.clearTimeout = (id) => (active.delete(id), real.clearTimeout(id));
  globalThis.setInterval = (fn, ms, ...args) => {
    const id = real.setInterval(fn, ms, ...args);
    active.add(id);
    return id;
  };
  globalThis.clearInterval = (id) => (active.delete(id), real.clearInterval(id));

  const w = world();
  const listeners = new Map();
  const target = (name) => ({
    visibilityState: "visible",
    addEventListener: (type) => listeners.set(`${name}:${type}`, (listeners.get(`${name}:${type}`) ?? 0) + 1),
    removeEventListener: (type) => listeners.set(`${name}:${type}`, listeners.get(`${name}:${type}`) - 1),
  });
  const { client, pusher } = await signedIn(ChatClient, w, "alice", { window: target("window"), document: target("document") });
  w.server.deliver("bob", { receiverId: "alice", content: "hi" });
  const chat = client.openChat("bob", { onPresence: () => {} });
  client.openInbox();
  await chat.ready;
  chat.notifyTyping(); // typing-stop timer
  chat.markVisible(1); // read receipt timer
  w.network.publish("private-chat-alice-bob", "typing-start", { userId: "bob", userName: "Bob" }); // expiry timer
  pusher.drop(); // polling interval
  await settle();
  assert.ok(active.size >= 4, `timers running before close (${active.size})`);
  assert.ok([...listeners.values()].every((n) => n === 1));

  client.close();
  await settle();
  assert.equal(active.size, 0, "no timers after close");
  assert.ok([...listeners.values()].every((n) => n === 0), "window and document listeners removed");
  assert.equal(pusher.listenerCount, 0, "no pusher-js listeners");
  assert.equal(pusher.channels.size, 0, "no channels");
  assert.ok(pusher.disconnected);
  assert.equal(client.state, "disconnected");
  assert.ok(chat.closed);
});

test("connect() after close() starts over; a conversation opened meanwhile starts with it", async () => {
  const w = world();
  const { client } = await signedIn(ChatClient, w, "alice");
  client.close();
  w.server.deliver("bob", { receiverId: "alice", content: "later" });
  const chat = client.openChat("bob");
  await settle();
  assert.equal(chat.messages.length, 0, "waits for connect()");
  await client.connect();
  w.network.pushers.at(-1).connect();
  await chat.ready;
  await settle();
  assert.deepEqual(sequence(chat), ["later"]);
  assert.equal(chat.isConnected, true);
  client.close();
});

test("with encrypted channels on, the client subscribes to the private-encrypted- twins and hears them", async () => {
  const w = world();
  w.server.encrypted = true;
  const { client, pusher } = await signedIn(ChatClient, w, "carol");
  assert.equal(client.encryptedChannels, true);
  const chat = client.openChat("alice");
  await chat.ready;
  await settle();
  const names = [...pusher.channels.keys()].sort();
  // Presence channels have no encrypted twin (and the chat's carries no events).
  assert.deepEqual(names, ["presence-chat-alice-carol", "presence-user-carol", "private-encrypted-chat-alice-carol", "private-encrypted-notifications-carol"]);
  w.server.deliver("alice", { receiverId: "carol", content: "sealed in transit" });
  await settle();
  assert.deepEqual(sequence(chat), ["sealed in transit"]);
  assert.equal(chat.error, null);
  client.close();
});

test("closed by the server (4009, after leaving a room) the client reconnects by itself, gets back only what it may still have, and stops following the room", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval", "Date"] });
  const w = world();
  w.server.rooms.set("r1", ["alice", "bob"]);
  const states = [];
  const { client, pusher, errors } = await signedIn(ChatClient, w, "bob", { onStateChange: (s) => states.push(s.current) });
  const room = client.openRoom("r1");
  const chat = client.openChat("alice");
  await settle();
  assert.equal(room.isConnected, true);
  assert.equal(chat.isConnected, true);
  const connects = pusher.connects;

  // Bob left the room elsewhere: the API closed his connections.
  w.server.rooms.set("r1", ["alice"]);
  pusher.refuse(4009);
  await settle();
  assert.equal(client.state, "disconnected");
  assert.equal(pusher.connects, connects, "not at once");
  t.mock.timers.tick(1000);
  await settle();
  assert.equal(pusher.connects, connects + 1, "reconnected after a second");
  assert.equal(client.state, "connected");
  assert.deepEqual(states.slice(-2), ["disconnected", "connected"]);

  // The chat is live again and syncs; the room was refused and is not asked for again.
  assert.equal(chat.isConnected, true);
  assert.equal(room.isConnected, false);
  assert.equal(room.error?.status, 403);
  assert.ok(errors.some((e) => e.channel === "private-room-r1" && e.status === 403));
  w.server.deliver("alice", { roomId: "r1", content: "after bob left" });
  w.server.deliver("alice", { receiverId: "bob", content: "still friends" });
  await settle();
  assert.deepEqual(sequence(chat), ["still friends"]);
  assert.deepEqual(sequence(room), []);
  const roomCalls = () => w.server.callsTo("GET /api/messages/room").length;
  const before = roomCalls();
  t.mock.timers.tick(60_000);
  await settle();
  assert.equal(roomCalls(), before, "a room that refused the user is not polled");
  const roomAuths = pusher.authorizations.filter((name) => name === "private-room-r1").length;
  assert.equal(roomAuths, 2, "authorized once before and once after the reconnect");
  client.close();
});

test("closed by the server again and again, the client waits longer each time, up to 30 s", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval", "Date"] });
  const w = world();
  const { client, pusher } = await signedIn(ChatClient, w, "alice");
  const waits = [];
  for (let i = 0; i < 7; i++) {
    const connects = pusher.connects;
    // Each reconnect is refused again before its handshake ends.
    pusher.connect = function () {
      this.connects++;
      this.connection.setState("connecting");
    };
    pusher.refuse(4001);
    let waited = 0;
    while (pusher.connects === connects && waited < 60_000) {
      t.mock.timers.tick(250);
      waited += 250;
      await settle(2);
    }
    waits.push(waited);
  }
  assert.deepEqual(waits, [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
  client.close();
});
