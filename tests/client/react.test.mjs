// The React bindings under StrictMode (effects mount, unmount and mount again), rendered with
// react-test-renderer against the fake API and pusher network.
import { test } from "node:test";
import assert from "node:assert/strict";
import { StrictMode, act, createElement, useState } from "react";
import TestRenderer from "react-test-renderer";
import { ChatClient } from "../../client/pusher-chat.js";
import { ChatProvider, useConnectionState, useFileUrl, useInbox, usePresence, usePusher, useRealtimeMessages, useSearch } from "../../client/react.js";
import { memoryStorage, settle, world } from "./fakes.mjs";

globalThis.IS_REACT_ACT_ENVIRONMENT = true;
// React 19 deprecates react-test-renderer (still the cheapest DOM-free renderer): keep its notice out.
const consoleError = console.error;
console.error = (...args) => String(args[0]).startsWith("react-test-renderer is deprecated") || consoleError(...args);

const flush = () => act(() => settle());

async function mount(w, userId, children) {
  const errors = [];
  const client = new ChatClient({
    baseUrl: "https://api.example",
    Pusher: w.network.Pusher,
    fetch: w.server.fetch,
    XMLHttpRequest: w.server.XMLHttpRequest,
    storage: memoryStorage(),
    window: null,
    document: null,
    getToken: async () => `token:${userId}:0`,
    onError: (err) => errors.push(err),
  });
  let renderer;
  await act(async () => {
    renderer = TestRenderer.create(createElement(StrictMode, null, createElement(ChatProvider, { client }, children)));
  });
  await flush();
  const pusher = w.network.pushers.at(-1);
  await act(() => pusher.connect());
  await flush();
  return { client, renderer, pusher, errors };
}

const texts = (renderer) => renderer.root.findAllByType("li").map((li) => li.children.join(""));

test("useRealtimeMessages under StrictMode: one connection, one subscription, live and optimistic messages", async () => {
  const w = world();
  w.server.deliver("bob", { receiverId: "alice", content: "earlier" });
  let chat;
  let state;
  function Chat() {
    chat = useRealtimeMessages({ chatId: "bob", chatType: "private", userId: "alice" });
    state = useConnectionState();
    return createElement("ul", null, ...chat.messages.map((m) => createElement("li", { key: m.localId }, `${m.content} (${m.status})`)));
  }
  const { client, renderer, pusher, errors } = await mount(w, "alice", createElement(Chat));

  assert.equal(w.network.pushers.length, 1, "the strict-mode remount did not open a second connection");
  assert.equal(w.server.callsTo("POST /api/pusher/auth").filter((c) => (c.body.channel_names ?? [c.body.channel_name]).includes("private-chat-alice-bob")).length, 1);
  assert.ok(pusher.channel("private-chat-alice-bob").subscribed);
  assert.equal(state, "connected");
  assert.equal(chat.isConnected, true);
  assert.deepEqual(texts(renderer), ["earlier (sent)"]);

  await act(async () => {
    w.server.deliver("bob", { receiverId: "alice", content: "live" });
  });
  assert.deepEqual(texts(renderer), ["earlier (sent)", "live (sent)"]);

  const mine = await act(() => chat.sendMessage("mine"));
  assert.deepEqual(texts(renderer), ["earlier (sent)", "live (sent)", "mine (sent)"]);
  await act(() => chat.editMessage(mine.id, "mine, edited"));
  assert.deepEqual(texts(renderer), ["earlier (sent)", "live (sent)", "mine, edited (sent)"]);
  await act(() => chat.deleteMessage(mine.id));
  assert.deepEqual(texts(renderer), ["earlier (sent)", "live (sent)", " (sent)"], "a tombstone keeps its place");
  assert.deepEqual(errors, []);

  await act(async () => renderer.unmount());
  await settle();
  assert.equal(pusher.channels.size, 0);
  assert.equal(pusher.listenerCount, 0);
  assert.equal(client.state, "disconnected");
});

test("useRealtimeMessages' error goes once a sync works again", async () => {
  const w = world();
  w.server.deliver("bob", { receiverId: "alice", content: "earlier" });
  let chat;
  function Chat() {
    chat = useRealtimeMessages({ chatId: "bob" });
    return null;
  }
  const { renderer, pusher } = await mount(w, "alice", createElement(Chat));
  assert.equal(chat.error, null);

  w.server.override("GET /api/messages/private", () => {
    throw new TypeError("Failed to fetch");
  });
  await act(async () => {
    pusher.drop();
    pusher.connect();
  });
  await flush();
  assert.equal(chat.error?.message, "Network error: Failed to fetch");
  assert.equal(chat.isConnected, true);

  w.server.overrides.clear();
  await act(async () => {
    pusher.drop();
    pusher.connect();
  });
  await flush();
  assert.equal(chat.error, null);
  assert.equal(chat.isConnected, true);
  await act(async () => renderer.unmount());
});

test("a component that stops using a channel does not take it from another", async () => {
  const w = world();
  const seen = [];
  let setShowWatcher;
  let chat;
  function Watcher() {
    const status = usePusher({ channelName: "private-chat-alice-bob", events: { "new-message": (m) => seen.push(m.content) } });
    return createElement("p", null, String(status.isConnected));
  }
  function App() {
    const [showWatcher, set] = useState(true);
    setShowWatcher = set;
    chat = useRealtimeMessages({ chatId: "bob" });
    return createElement("div", null, showWatcher ? createElement(Watcher) : null, ...chat.messages.map((m) => createElement("li", { key: m.localId }, m.content)));
  }
  const { renderer, pusher } = await mount(w, "alice", createElement(App));
  assert.equal(renderer.root.findByType("p").children.join(""), "true");

  await act(async () => void w.server.deliver("bob", { receiverId: "alice", content: "one" }));
  assert.deepEqual(seen, ["one"]);
  await act(async () => setShowWatcher(false));
  await flush();
  assert.ok(pusher.channel("private-chat-alice-bob")?.subscribed, "still subscribed for the chat");
  await act(async () => void w.server.deliver("bob", { receiverId: "alice", content: "two" }));
  assert.deepEqual(seen, ["one"], "the unmounted watcher's handler is gone");
  assert.deepEqual(texts(renderer), ["one", "two"]);
  await act(async () => renderer.unmount());
});

test("usePusher reports a refused channel as its error", async () => {
  const w = world();
  let status;
  function Spy() {
    status = usePusher({ channelName: "private-notifications-bob", events: {} });
    return null;
  }
  const { renderer, errors } = await mount(w, "alice", createElement(Spy));
  assert.equal(status.isConnected, false);
  assert.equal(status.error?.status, 403);
  assert.equal(errors[0], status.error);
  await act(async () => renderer.unmount());
});

test("useInbox and usePresence follow the server", async () => {
  const w = world();
  let inbox;
  let presence;
  function Side() {
    inbox = useInbox();
    presence = usePresence("bob");
    return null;
  }
  const bob = new w.network.Pusher("app-key", { channelAuthorization: { customHandler: (p, cb) => cb(null, { auth: "x", channel_data: JSON.stringify({ user_id: "bob" }) }) } });
  bob.userId = "bob";
  bob.connect();
  bob.subscribe("presence-user-bob");
  const { renderer } = await mount(w, "alice", createElement(Side));
  assert.equal(inbox.loading, false);
  assert.deepEqual(inbox.conversations, []);
  assert.equal(presence.error?.status, 403, "no conversation yet");

  await act(async () => void w.server.deliver("bob", { receiverId: "alice", content: "hello" }));
  await act(() => new Promise((resolve) => setTimeout(resolve, 200)));
  assert.deepEqual(inbox.conversations.map((c) => [c.chatId, c.unreadCount]), [["alice:bob", 1]]);
  await act(async () => presence.retry());
  await flush();
  assert.equal(presence.online, true);
  assert.equal(presence.error, null);
  await act(async () => renderer.unmount());
});

test("useSearch asks once typing rests, shows only the latest query's answer, and clears on an empty query", async (t) => {
  const w = world();
  w.server.deliver("bob", { receiverId: "alice", content: "Lunch at noon?" });
  w.server.deliver("alice", { receiverId: "bob", content: "lunch sounds good" });
  w.server.deliver("bob", { receiverId: "alice", content: "launch the rocket" });
  // Every search as it leaves the client; the answer to "lun" is held back until released.
  const asked = [];
  let release;
  const held = new Promise((resolve) => (release = resolve));
  const fetch = w.server.fetch;
  w.server.fetch = (url, init) => {
    const q = new URL(url).pathname === "/api/messages/search" ? new URL(url).searchParams.get("q") : null;
    if (q !== null) asked.push(q);
    return q === "lun" ? held.then(() => fetch(url, init)) : fetch(url, init);
  };
  let search;
  let setQuery;
  function Search() {
    const [query, set] = useState("");
    setQuery = set;
    search = useSearch(query, { delay: 30 });
    return null;
  }
  const rest = () => act(() => new Promise((resolve) => setTimeout(resolve, 100)));
  const { renderer, errors } = await mount(w, "alice", createElement(Search));
  t.after(() => act(async () => renderer.unmount())); // also when an assertion fails: no timers left
  await rest();
  assert.deepEqual(asked, [], "nothing to search for");
  assert.equal(search.loading, false);

  // Typed quickly: one request, for what was typed last; its answer is held back.
  for (const q of ["l", "lu", "lun "]) await act(async () => setQuery(q));
  assert.equal(search.loading, true);
  await rest();
  assert.deepEqual(asked, ["lun"], "trimmed, and only once typing rested");
  assert.equal(search.loading, true);

  // A newer query answers first; the late answer to the older one must not replace it.
  await act(async () => setQuery("rocket"));
  await rest();
  assert.deepEqual(asked, ["lun", "rocket"]);
  assert.deepEqual([search.query, search.words, search.messages.map((m) => m.content), search.loading], ["rocket", ["rocket"], ["launch the rocket"], false]);
  await act(async () => release());
  await rest();
  assert.equal(search.query, "rocket");
  assert.deepEqual(search.messages.map((m) => m.content), ["launch the rocket"]);

  // Newest first, each with where it is.
  await act(async () => setQuery("LUNCH"));
  await rest();
  assert.deepEqual(search.messages.map((m) => [m.content, m.conversationId, m.seq]), [["lunch sounds good", "alice:bob", 2], ["Lunch at noon?", "alice:bob", 1]]);

  // The server refusing: the error, no stale results.
  w.server.override("GET /api/messages/search", () => ({ status: 503, body: { error: { code: "unavailable", message: "down for a moment" } } }));
  await act(async () => setQuery("noon"));
  await rest();
  assert.equal(search.error?.status, 503);
  assert.deepEqual([search.query, search.messages, search.loading], ["noon", [], false]);

  // Emptied: cleared at once, nothing asked.
  await act(async () => setQuery("  "));
  await rest();
  assert.deepEqual(search, { query: "", words: [], messages: [], hasMore: false, loading: false, error: null });
  assert.deepEqual(asked, ["lun", "rocket", "LUNCH", "noon"], "as typed: the server matches any case");
  assert.deepEqual(errors, [], "a search failure is the hook's error, not the client's");
});

test("useRealtimeMessages.sendFile shows the upload pending, then sent; useFileUrl gives the file's link once, none while unsent", async () => {
  const w = world();
  w.server.storage.manual = true;
  let chat;
  const links = [];
  function Image({ message }) {
    const { url } = useFileUrl(message.status === "sent" ? message : null);
    links.push([message.status, url]);
    return createElement("li", null, `${message.file?.name} ${message.status} ${message.upload ? `${message.upload.loaded}/${message.upload.total}` : "up"} ${url ?? "no link"}`);
  }
  function Chat() {
    chat = useRealtimeMessages({ chatId: "bob" });
    return createElement("ul", null, ...chat.messages.map((m) => createElement(Image, { key: m.localId, message: m })));
  }
  const { client, renderer, errors } = await mount(w, "alice", createElement(Chat));
  let sending;
  await act(async () => {
    sending = chat.sendFile(new File([new Uint8Array(10)], "cat.png", { type: "image/png" }), { width: 2, height: 2 });
  });
  await flush();
  assert.deepEqual(texts(renderer), ["cat.png pending 0/10 no link"]);
  await act(async () => {
    w.server.storage.inflight[0].progress(10);
    w.server.storage.inflight[0].finish();
    await sending;
  });
  await flush();
  const [text] = texts(renderer);
  assert.match(text, /^cat\.png sent up https:\/\/store\.example\/bucket\/m\d+\?X-Amz-Signature=get-\d$/);
  assert.equal(w.server.callsTo("GET /api/files").length, 1, "one link for the strict-mode double render");
  assert.ok(links.filter(([status]) => status !== "sent").every(([, url]) => url === null));
  assert.deepEqual(errors, []);
  await act(() => renderer.unmount());
  client.close();
});

