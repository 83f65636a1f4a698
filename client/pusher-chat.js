// pusher-chat browser client: one self-contained ES module (besides pusher-js 8) that wraps the
// HTTP API and the Pusher subscriptions for any frontend, on the API's origin or another one.
//
//   import Pusher from "pusher-js";
//   const chat = new ChatClient({ baseUrl, Pusher, getToken: async ({ forceRefresh }) => token, onError });
//   await chat.connect();
//   const conversation = chat.openChat(otherUserId, { onChange: (messages) => render(messages) });
//   conversation.send("hello");      // shows at once as `pending`, then `sent` (or `failed` + retry())
//   conversation.close();
//
// Every message carries a per-conversation sequence number; a conversation asks for everything
// after the last one it has (`after=<seq>`) after each reconnect, when a live event skips a number,
// when the browser comes back online or visible, and every 5 s while the realtime connection is
// down, so a missed Pusher event is never a lost message.

import { ChannelEntry } from "./src/channel.js";
import { Emitter } from "./src/emitter.js";
import { abortError, ApiError, RealtimeError } from "./src/errors.js";
import { newClientMessageId } from "./src/ids.js";
import { conversationKey, eventConversation, notificationsChannel, presenceChannel, privateChatChannel, roomChannel, roomKey, wireName } from "./src/names.js";
import { deferred, defaultStorage } from "./src/util.js";

export { ApiError, RealtimeError } from "./src/errors.js";
export { conversationKey, eventConversation, notificationsChannel, presenceChannel, privateChatChannel, roomChannel, roomKey } from "./src/names.js";

/** @typedef {import("./pusher-chat.js").ChatClientOptions} ChatClientOptions */
/** @typedef {import("./pusher-chat.js").ChannelSubscription} Subscription */
/** @typedef {import("./pusher-chat.js").Me} Me */
/** @typedef {ReturnType<typeof setTimeout>} Timer */

const DEFAULT_TIMING = {
  pollInterval: 5000, // sync period while a conversation has no live channel
  readDelay: 250, // read receipts within this window go out as one call
  typingThrottle: 1000, // at most one typing-start a second (the server drops more)
  typingIdle: 3000, // typing-stop after this long without input
  typingExpiry: 5000, // a remote typing indicator without news disappears after this
  inboxDelay: 150, // bursts of notifications refresh the inbox once
  // While connected, open conversations and the inbox still sync this often: an event Pusher
  // never delivered (its publish failed for good) shows within this time, not at the next reconnect.
  safetySyncInterval: 30000,
};
const PAGE_SIZE = 50;
const SYNC_PAGE_SIZE = 100;
const MAX_SYNC_PAGES = 20;

const retryAfterSeconds = (value) => {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
};

/**
 * The API client and the single pusher-js connection of a signed-in user. Channels are reference
 * counted: every `subscribe` returns its own handle, and the channel is left when the last handle
 * is released, so two components (or a strict-mode remount) can share one.
 */
export class ChatClient {
  #getToken;
  #onTokenExpired;
  #Pusher;
  #fetch;
  #window;
  #document;
  #emitter = new Emitter();
  #channels = new Map();
  #authFailures = new Map();
  #stores = new Set();
  /** @type {(() => void)[]} */
  #cleanups = [];
  /** @type {Promise<Me> | null} */
  #connecting = null;
  #ready = deferred();
  #generation = 0;
  /** @type {Promise<string | null | undefined> | null} */
  #refreshing = null;
  /** @type {ReturnType<typeof setInterval> | null} */
  #pollTimer = null;
  #ctx;

  /** @param {ChatClientOptions} options */
  constructor({
    baseUrl = "",
    getToken,
    onTokenExpired,
    Pusher = globalThis.Pusher,
    fetch,
    storage = defaultStorage(),
    window = globalThis.window,
    document = globalThis.document,
    signIn = false,
    onError,
    onStateChange,
    onNotification,
    timing,
  }) {
    if (typeof getToken !== "function") throw new TypeError("ChatClient needs a getToken() function");
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.#getToken = getToken;
    this.#onTokenExpired = onTokenExpired;
    this.#Pusher = Pusher;
    this.#fetch = fetch ?? ((url, init) => globalThis.fetch(url, init));
    this.#window = window;
    this.#document = document;
    this.signIn = signIn;
    this.timing = { ...DEFAULT_TIMING, ...timing };
    /** pusher-js's connection state, `initialized` before connect() and `disconnected` after close(). */
    this.state = "initialized";
    /** @type {any} `GET /api/me` of the signed-in user once connected. */
    this.me = null;
    /** @type {any} The pusher-js instance while connected. */
    this.pusher = null;
    this.encryptedChannels = false;
    /** @type {number | null} The API's MESSAGE_EDIT_WINDOW_SECS, once connected. */
    this.messageEditWindowSecs = null;
    if (onError) this.on("error", onError);
    if (onStateChange) this.on("state", onStateChange);
    if (onNotification) this.on("notification", onNotification);
    const report = (err, operation, ...stores) => this.#report(err, operation, ...stores);
    const conversationsOf = (entry) => [...this.#stores].filter((s) => s instanceof Conversation && s.kind === entry.kind && s.id === entry.target);
    this.#ctx = {
      report,
      emitter: this.#emitter,
      stores: this.#stores,
      pollingChanged: () => this.#updatePolling(),
      retryPresence: (userId) => this.#channels.get(presenceChannel(userId))?.retry(),
      outbox: new Outbox({
        client: this,
        storage,
        isOffline: () => this.#window?.navigator?.onLine === false,
        report,
        failed: (entry, err) => report(err, "send", ...conversationsOf(entry)),
        changed: (entry) => conversationsOf(entry).forEach((c) => c.changed()),
        sent: (entry, message) => {
          this.#emitter.emit("activity", "sent", message);
          conversationsOf(entry).forEach((c) => c.outboxSent(message));
        },
      }),
    };
  }

  /** Listens to `state` ({previous, current}), `error` (Error), `notification` (event, data). */
  on(event, fn) {
    return this.#emitter.on(event, fn);
  }

  /** Resolves once connect() has finished (again after a close() and a new connect()). */
  get ready() {
    return this.#ready.promise;
  }

  /** Signs in, reads the public Pusher settings and connects; subscribes the user's own channels. */
  connect() {
    if (this.#connecting) return this.#connecting;
    const generation = this.#generation;
    const connecting = (async () => {
      const me = await this.api("/api/me");
      const { pusher: config, encryptedChannels, messageEditWindowSecs } = await this.api("/api/config");
      if (generation !== this.#generation) throw abortError();
      this.me = me;
      // With end-to-end encryption on, private channels are their private-encrypted- twins,
      // which only pusher-js's encryption build opens (pusher-js/with-encryption).
      this.encryptedChannels = !!encryptedChannels;
      this.messageEditWindowSecs = typeof messageEditWindowSecs === "number" ? messageEditWindowSecs : null;
      this.#start(config);
      return me;
    })();
    this.#connecting = connecting;
    connecting.catch((err) => {
      if (generation !== this.#generation) return;
      this.#connecting = null;
      this.#report(err, "connect");
    });
    return connecting;
  }

  #start(config) {
    const PusherClass = this.#Pusher;
    if (!PusherClass) throw new TypeError("pusher-js is missing: pass { Pusher } or load it as the global Pusher");
    this.pusher = new PusherClass(config.key, {
      ...config.options,
      channelAuthorization: {
        customHandler: ({ socketId, channelName }, callback) =>
          this.#authorize("/api/pusher/auth", { socket_id: socketId, channel_name: channelName }, channelName, callback),
      },
      userAuthentication: {
        customHandler: ({ socketId }, callback) => this.#authorize("/api/pusher/user-auth", { socket_id: socketId }, null, callback),
      },
    });
    const connection = this.pusher.connection;
    const onState = ({ current }) => this.#setState(current);
    const onConnectionError = (data) => {
      const detail = data?.data?.message ?? data?.error?.data?.message ?? data?.error?.message ?? data?.type;
      this.#report(new RealtimeError(`Realtime connection error${detail ? `: ${detail}` : ""}`, { data }), "connect");
    };
    connection.bind("state_change", onState);
    connection.bind("error", onConnectionError);
    this.#cleanups.push(() => {
      connection.unbind("state_change", onState);
      connection.unbind("error", onConnectionError);
    });
    this.#listen(this.#window, "online", () => this.#resync());
    this.#listen(this.#document, "visibilitychange", () => this.#document?.visibilityState === "visible" && this.#resync());
    if (this.signIn) {
      const onSigninError = (data) => this.#report(new RealtimeError(`User sign-in failed: ${data?.error}`, { data }), "connect");
      this.pusher.user?.bind?.("pusher:signin_error", onSigninError);
      this.pusher.signin?.();
    }

    for (const entry of this.#channels.values()) entry.attach(this.pusher, this.#wireName(entry.name));
    // Being in one's own presence channel is what "online" means to contacts.
    this.subscribe(presenceChannel(this.me.id));
    const own = this.subscribe(notificationsChannel(this.me.id));
    this.#cleanups.push(
      own.onEvent((event, data) => !event.startsWith("pusher") && this.#emitter.emit("notification", event, data)),
      () => own.unsubscribe(),
    );
    this.#setState(connection.state);
    this.#ctx.outbox.load(this.me.id);
    const safety = setInterval(() => {
      if (this.state !== "connected") return; // polling or the reconnect's sync covers the rest
      for (const store of this.#stores) if (!store.needsPolling?.()) store.sync?.();
    }, this.timing.safetySyncInterval);
    this.#cleanups.push(() => clearInterval(safety));
    this.#ready.resolve();
    this.#updatePolling();
  }

  /** The name a channel has on the wire: its private-encrypted- twin when encryption is on. */
  #wireName(name) {
    return wireName(name, this.encryptedChannels);
  }

  #listen(target, event, fn) {
    if (!target?.addEventListener) return;
    target.addEventListener(event, fn);
    this.#cleanups.push(() => target.removeEventListener(event, fn));
  }

  #authorize(path, form, channelName, callback) {
    this.api(path, { form }).then(
      (body) => callback(null, body),
      (err) => {
        if (channelName) this.#authFailures.set(channelName, err);
        else this.#report(err, "connect");
        callback(err, null);
      },
    );
  }

  #setState(current) {
    const previous = this.state;
    if (current === previous) return;
    this.state = current;
    this.#emitter.emit("state", { previous, current });
    // Every arrival at `connected` may follow a drop (pusher-js goes connected → connecting →
    // connected on a quick one): whatever was published meanwhile is fetched.
    if (current === "connected") this.#resync();
    if (current === "failed") this.#report(new RealtimeError("Realtime connection failed: no transport available"), "connect");
    this.#updatePolling();
  }

  #resync() {
    for (const store of this.#stores) store.sync?.();
    this.#ctx.outbox.flush();
  }

  #updatePolling() {
    const needed = !!this.pusher && [...this.#stores].some((s) => s.needsPolling?.());
    if (needed && !this.#pollTimer) {
      this.#pollTimer = setInterval(() => {
        for (const store of this.#stores) if (store.needsPolling?.()) store.sync();
      }, this.timing.pollInterval);
    } else if (!needed && this.#pollTimer) {
      clearInterval(this.#pollTimer);
      this.#pollTimer = null;
    }
  }

  #report(err, operation, ...stores) {
    if (err?.name === "AbortError") return;
    if (err && typeof err === "object" && !err.operation) err.operation = operation;
    for (const store of stores) store.failed(err);
    if (this.#emitter.count("error") === 0) console.error("pusher-chat:", err);
    this.#emitter.emit("error", err);
  }

  #token(forceRefresh) {
    if (!forceRefresh) return Promise.resolve(this.#getToken({ forceRefresh: false }));
    // Concurrent 401s share one refresh.
    this.#refreshing ??= (async () => {
      try {
        await this.#onTokenExpired?.();
        return await this.#getToken({ forceRefresh: true });
      } finally {
        this.#refreshing = null;
      }
    })();
    return this.#refreshing;
  }

  /**
   * One API call with a fresh token; a 401 refreshes the token and tries once more.
   * @param {string} path
   * @param {{ method?: string, json?: unknown, form?: Record<string, string> }} [options]
   */
  async api(path, { method, json, form } = {}) {
    const attempt = async (forceRefresh) => {
      /** @type {Record<string, string>} */
      const headers = { Authorization: `Bearer ${await this.#token(forceRefresh)}` };
      let body;
      if (json !== undefined) {
        headers["Content-Type"] = "application/json";
        body = JSON.stringify(json);
      } else if (form) {
        headers["Content-Type"] = "application/x-www-form-urlencoded";
        body = new URLSearchParams(form).toString();
      }
      // Leave this tab's own connection out of the events its requests cause.
      const socketId = this.pusher?.connection.socket_id;
      if (socketId && !form) headers["X-Pusher-Socket-Id"] = socketId;
      try {
        return await this.#fetch(`${this.baseUrl}${path}`, { method: method ?? (body === undefined ? "GET" : "POST"), headers, body });
      } catch (cause) {
        throw new ApiError(0, null, { cause });
      }
    };
    let response = await attempt(false);
    if (response.status === 401) response = await attempt(true);
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new ApiError(response.status, body, { retryAfter: retryAfterSeconds(response.headers?.get("Retry-After")) });
    return body;
  }

  /**
   * Follows a channel: `events` maps event names to handlers. The returned handle tells the
   * subscription's status and must be released with unsubscribe().
   */
  subscribe(channelName, events = {}) {
    let entry = this.#channels.get(channelName);
    if (!entry) {
      entry = new ChannelEntry(channelName, {
        failure: () => {
          const cause = this.#authFailures.get(entry.wire);
          this.#authFailures.delete(entry.wire);
          return cause;
        },
        report: (err) => this.#report(err, "subscribe"),
        changed: () => this.#updatePolling(),
        release: () => {
          // Deferred, so that a strict-mode unmount + remount keeps the channel.
          queueMicrotask(() => {
            if (entry.handles.size || this.#channels.get(channelName) !== entry) return;
            this.#channels.delete(channelName);
            entry.detach(this.pusher);
          });
        },
      });
      this.#channels.set(channelName, entry);
      if (this.pusher) entry.attach(this.pusher, this.#wireName(channelName));
    }
    return entry.add(events);
  }

  // --- Conversations, inbox, presence ----------------------------------------------------------

  /** Follows the 1:1 chat with another user. */
  openChat(otherUserId, handlers = {}) {
    return new Conversation(this, this.#ctx, "private", otherUserId, handlers);
  }

  /** Follows a room the user is a member of. */
  openRoom(roomId, handlers = {}) {
    return new Conversation(this, this.#ctx, "room", roomId, handlers);
  }

  /** The inbox, kept fresh from the user's notifications. */
  openInbox(handlers = {}) {
    return new Inbox(this, this.#ctx, handlers);
  }

  /** Whether a user is online; allowed for oneself and users one shares a conversation with. */
  watchPresence(userId, handlers = {}) {
    return new PresenceWatch(this, this.#ctx, userId, handlers);
  }

  // --- Plain API calls -------------------------------------------------------------------------

  /** Sends a 1:1 message right away (no outbox); conversations' send() is the optimistic one. */
  send(receiverId, content, extra = {}) {
    const clientMessageId = extra.clientMessageId || newClientMessageId();
    return this.api("/api/messages/private", { json: { receiverId, content, ...extra, clientMessageId } }).then((b) => b.message);
  }

  /** A page of a 1:1 chat: `{before}` for history, `{after}` for sync, neither for the newest. */
  history(otherUserId, query = {}) {
    return this.api(`/api/messages/private?${pageQuery({ chatId: otherUserId }, query)}`);
  }

  roomHistory(roomId, query = {}) {
    return this.api(`/api/messages/room?${pageQuery({ roomId }, query)}`);
  }

  markRead(otherUserId, upToSeq) {
    return this.api("/api/messages/read", { json: { chatId: otherUserId, upToSeq } });
  }

  typing(otherUserId, typing) {
    return this.api("/api/typing", { json: { chatId: otherUserId, typing } });
  }

  inbox() {
    return this.api("/api/conversations").then((b) => b.conversations);
  }

  setPresence(status) {
    return this.api("/api/presence", { json: { status } });
  }

  /** Creates or updates the caller's profile. */
  updateProfile({ firstName, lastName, avatar }) {
    return this.api("/api/me", { method: "PUT", json: { firstName, lastName, avatar } });
  }

  /**
   * Finds the caller's messages whose words start with every word of `q` (newest first); each
   * result names its `conversationId` and `seq`, so a view can open the conversation there.
   * @param {string} q @param {{ limit?: number }} [options]
   */
  search(q, { limit } = {}) {
    const query = new URLSearchParams({ q });
    if (limit !== undefined) query.set("limit", String(limit));
    return this.api(`/api/messages/search?${query}`);
  }

  /** Creates a room: the caller is its member, everyone in `memberIds` gets an invitation. */
  createRoom(name, memberIds = []) {
    return this.api("/api/rooms", { json: { name, memberIds } }).then((b) => b.room);
  }

  /** The caller's rooms and open invitations (an invitation arrives live as the `room-invitation` notification). */
  rooms() {
    return this.api("/api/rooms");
  }

  /** Accepts an invitation: the room then shows in the inbox and openRoom() works. */
  acceptRoom(roomId) {
    return this.api(`/api/rooms?roomId=${encodeURIComponent(roomId)}`, { method: "PUT" }).then((answer) => {
      this.#emitter.emit("activity", "joined", { roomId });
      return answer;
    });
  }

  /** Leaves a room, or declines an invitation to it. */
  leaveRoom(roomId) {
    return this.api(`/api/rooms?roomId=${encodeURIComponent(roomId)}`, { method: "DELETE" }).then((answer) => {
      this.#emitter.emit("activity", "left", { roomId });
      return answer;
    });
  }

  /** Ends everything: subscriptions, timers, listeners and the connection. connect() may follow. */
  close() {
    this.#generation++;
    this.#connecting = null;
    for (const store of [...this.#stores]) store.close();
    for (const entry of this.#channels.values()) entry.detach(this.pusher);
    this.#channels.clear();
    this.#authFailures.clear();
    for (const cleanup of this.#cleanups.splice(0)) cleanup();
    this.#ctx.outbox.clear();
    this.pusher?.disconnect();
    this.pusher = null;
    this.me = null;
    this.#updatePolling();
    this.#setState("disconnected");
    this.#ready = deferred();
  }

  disconnect() {
    this.close();
  }
}

/** @param {Record<string, any>} target @param {import("./pusher-chat.js").PageQuery} [query] */
const pageQuery = (target, { before, after, changedAfter, limit } = {}) => {
  const query = new URLSearchParams(target);
  if (before !== undefined) query.set("before", String(before));
  if (after !== undefined) query.set("after", String(after));
  if (changedAfter !== undefined) query.set("changedAfter", String(changedAfter));
  if (limit !== undefined) query.set("limit", String(limit));
  return query;
};

/**
 * Sends in order, one at a time. A send made offline (or whose request got no answer) stays
 * `pending` and is persisted, so it goes out once back online, even after a reload; a send the
 * server refuses becomes `failed` until retry(), which keeps its clientMessageId.
 */
class Outbox {
  #client;
  #storage;
  #isOffline;
  #report;
  #failed;
  #changed;
  #sent;
  /** @type {any[]} */
  #entries = [];
  /** @type {string | null} */
  #key = null;
  /** @type {Promise<void> | null} */
  #flushing = null;
  #again = false;
  #generation = 0;

  constructor({ client, storage, isOffline, report, failed, changed, sent }) {
    this.#client = client;
    this.#storage = storage;
    this.#isOffline = isOffline;
    this.#report = report;
    this.#failed = failed;
    this.#changed = changed;
    this.#sent = sent;
  }

  load(userId) {
    this.#key = `pusher-chat:outbox:${userId}`;
    try {
      const saved = JSON.parse(this.#storage?.getItem(this.#key) ?? "[]");
      for (const item of saved) {
        if (!this.#entries.some((e) => e.localId === item.localId)) this.#entries.push({ ...item, status: "pending", error: null, waiters: [] });
      }
    } catch (err) {
      this.#report(err, "send");
    }
    this.flush();
  }

  entriesFor(kind, target) {
    return this.#entries.filter((e) => e.kind === kind && e.target === target);
  }

  add(kind, target, content, { clientMessageId, ...extra }) {
    const entry = {
      localId: clientMessageId || newClientMessageId(),
      kind,
      target,
      content,
      extra,
      createdAt: new Date().toISOString(),
      status: "pending",
      /** @type {any} */
      error: null,
      /** @type {{ resolve: (m: any) => void, reject: (e: any) => void }[]} */
      waiters: [],
      inFlight: false,
    };
    const promise = new Promise((resolve, reject) => entry.waiters.push({ resolve, reject }));
    this.#entries.push(entry);
    this.#persist();
    this.#changed(entry);
    this.flush();
    return { entry, promise };
  }

  retry(localId) {
    const entry = this.#entries.find((e) => e.localId === localId);
    if (!entry || entry.status !== "failed") return Promise.reject(new Error(`No failed message ${localId}`));
    const promise = new Promise((resolve, reject) => entry.waiters.push({ resolve, reject }));
    // Behind whatever is already waiting, so the order on screen is the order sent.
    this.#entries.splice(this.#entries.indexOf(entry), 1);
    this.#entries.push(entry);
    entry.status = "pending";
    entry.error = null;
    this.#persist();
    this.#changed(entry);
    this.flush();
    return promise;
  }

  /** The server already has it (seen through a sync or an echo). */
  confirm(localId, message) {
    const entry = this.#entries.find((e) => e.localId === localId);
    if (!entry || entry.inFlight) return;
    this.#settle(entry, message);
  }

  #settle(entry, message) {
    this.#entries.splice(this.#entries.indexOf(entry), 1);
    this.#persist();
    for (const w of entry.waiters.splice(0)) w.resolve(message);
    this.#sent(entry, message);
    this.#changed(entry);
  }

  flush() {
    if (this.#flushing) {
      this.#again = true;
      return this.#flushing;
    }
    // A throwing onChange/onMessage handler must not become an unhandled rejection.
    this.#flushing = this.#drain(this.#generation).catch((err) => this.#report(err, "send"));
    return this.#flushing;
  }

  async #drain(generation) {
    await null; // flush() stores this promise first
    try {
      do {
        this.#again = false;
        let entry;
        while (generation === this.#generation && (entry = this.#entries.find((e) => e.status === "pending"))) {
          if (this.#isOffline()) return;
          entry.inFlight = true;
          try {
            const message = await this.#post(entry);
            entry.inFlight = false;
            if (generation !== this.#generation) return;
            if (this.#entries.includes(entry)) this.#settle(entry, message);
          } catch (err) {
            entry.inFlight = false;
            if (generation !== this.#generation) return;
            // No answer: probably offline; it stays queued for the next flush.
            if (err instanceof ApiError && err.status === 0) return void this.#report(err, "send");
            entry.status = "failed";
            entry.error = err;
            this.#persist();
            for (const w of entry.waiters.splice(0)) w.reject(err);
            this.#changed(entry);
            this.#failed(entry, err);
          }
        }
      } while (this.#again && generation === this.#generation);
    } finally {
      // Here, not in a .finally(): a send queued right after the last answer must find no flush running.
      if (generation === this.#generation) this.#flushing = null;
    }
  }

  #post({ kind, target, content, extra, localId }) {
    const body = { ...extra, content, clientMessageId: localId };
    if (kind === "room") body.roomId = target;
    else body.receiverId = target;
    return this.#client.api(`/api/messages/${kind}`, { json: body }).then((b) => b.message);
  }

  #persist() {
    if (!this.#storage || !this.#key) return;
    const pending = this.#entries.filter((e) => e.status === "pending").map(({ localId, kind, target, content, extra, createdAt }) => ({ localId, kind, target, content, extra, createdAt }));
    try {
      if (pending.length) this.#storage.setItem(this.#key, JSON.stringify(pending));
      else this.#storage.removeItem(this.#key);
    } catch (err) {
      this.#report(err, "send");
    }
  }

  /** Forgets the user's in-memory queue (what is persisted stays for their next session). */
  clear() {
    this.#generation++;
    this.#entries = [];
    this.#key = null;
    this.#flushing = null;
  }
}

/** Shared lifecycle of the objects a client hands out: started after connect(), ended by close(). */
class Store {
  #listeners = new Set();
  #handlers;

  constructor(client, ctx, handlers) {
    this.client = client;
    this.ctx = ctx;
    this.#handlers = handlers;
    this.closed = false;
    this.started = false;
    /** @type {any} */
    this.error = null;
    /** @type {(() => void)[]} */
    this.cleanups = [];
    ctx.stores.add(this);
    this.ready = client.ready
      .then(() => {
        if (this.closed) return;
        this.started = true;
        return this.start();
      })
      .catch((err) => ctx.report(err, "load", this));
  }

  get handlers() {
    return this.#handlers;
  }

  start() {}

  /** For useSyncExternalStore: called after every change. */
  subscribe = (listener) => {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  };

  notify() {
    for (const listener of [...this.#listeners]) listener();
  }

  failed(err) {
    this.error = err;
    this.#handlers.onError?.(err);
    this.changed();
  }

  changed() {
    this.notify();
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.ctx.stores.delete(this);
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.ctx.pollingChanged();
    this.#listeners.clear();
  }
}

/**
 * A 1:1 chat or a room: its messages in `seq` order (own unsent ones last), who is typing, read
 * receipts, and sending. `messages` is a new array after every change.
 */
class Conversation extends Store {
  #byId = new Map();
  #seqs = new Set();
  #confirmed = [];
  #confirmedClientIds = new Set();
  /** @type {any} */
  #snapshot;
  /** @type {Subscription | null} */
  #sub = null;
  #loaded = false;
  /** @type {Promise<void> | null} */
  #loadingNewest = null;
  /** @type {Promise<any[]> | null} */
  #loadingOlder = null;
  /** @type {Promise<void> | null} */
  #syncing = null;
  #syncAgain = false;
  /** Highest seq the user has seen. */
  #readMax = 0;
  /** Highest seq the server has acknowledged as read. */
  #readDone = 0;
  /** @type {Timer | null} */
  #readTimer = null;
  /** The read call in flight (one at a time). */
  #reading = false;
  #typingSentAt = -Infinity;
  #typingActive = false;
  /** @type {Timer | undefined} */
  #typingIdleTimer = undefined;
  /** @type {Map<string, { user: { userId: string, userName: string }, timer: Timer }>} */
  #typing = new Map();
  /** userId → the newest typing event seen ({at, typing}), to drop late ones. */
  #typingAt = new Map();
  /** @type {{ userId: string, userName: string }[]} */
  #typingUsers = [];
  /** @type {PresenceWatch | null} */
  #presence = null;

  constructor(client, ctx, kind, id, handlers) {
    super(client, ctx, handlers);
    this.kind = kind;
    this.id = id;
    /** The conversation key events carry (`conversationId`), known once connected. */
    this.key = null;
    this.channelName = null;
    /** Highest seq up to which no message is missing. */
    this.lastSeq = 0;
    /** The conversation's change counter (edits, deletions, reactions) this view has caught up to. */
    this.changeSeq = 0;
    /** Older messages exist (see loadOlder()). */
    this.hasMore = false;
    this.loading = true;
    this.#snapshot = this.#buildSnapshot();
  }

  start() {
    const me = this.client.me.id;
    this.key = this.kind === "room" ? roomKey(this.id) : conversationKey(me, this.id);
    this.channelName = this.kind === "room" ? roomChannel(this.id) : privateChatChannel(me, this.id);
    const sub = this.client.subscribe(this.channelName, {
      "new-message": (m) => this.#accepts(m) && this.#receive([m], true),
      "message-updated": (m) => this.#accepts(m) && this.#onChange(m),
      "message-deleted": (m) => this.#accepts(m) && this.#onChange(m),
      "reaction-added": (r) => this.#accepts(r) && this.#onReaction(r, true),
      "reaction-removed": (r) => this.#accepts(r) && this.#onReaction(r, false),
      "message-read": (r) => this.#accepts(r) && this.#onRead(r),
      "typing-start": (t) => this.#accepts(t) && this.#onTyping(t, true),
      "typing-stop": (t) => this.#accepts(t) && this.#onTyping(t, false),
      // Also after every reconnect: pusher-js subscribes again.
      "pusher:subscription_succeeded": () => this.sync(),
    });
    this.#sub = sub;
    this.cleanups.push(
      this.client.on("state", () => this.changed()),
      sub.onChange(() => (sub.status === "failed" ? this.failed(sub.error) : this.changed())),
      () => sub.unsubscribe(),
    );
    if (this.kind === "private" && this.handlers.onPresence) {
      const presence = this.client.watchPresence(this.id, { onChange: (p) => this.handlers.onPresence?.(p.online, p) });
      this.#presence = presence;
      this.cleanups.push(() => presence.close());
    }
    this.changed();
    return this.sync();
  }

  async #loadNewest() {
    try {
      const page = await this.#page({ limit: PAGE_SIZE });
      if (this.closed) return;
      this.#loaded = true;
      this.hasMore = page.hasMore;
      // The page shows every message in its latest state: changes up to here are in it.
      this.changeSeq = Math.max(this.changeSeq, page.changeSeq ?? 0);
      // The newest page has no holes: everything up to its last message is here.
      this.lastSeq = Math.max(this.lastSeq, page.messages.at(-1)?.seq ?? 0);
      this.error = null;
      this.#receive(page.messages, true);
      this.#resendRead();
    } catch (err) {
      if (!this.closed) this.ctx.report(err, "load", this);
    } finally {
      this.#loadingNewest = null;
      this.loading = false;
      this.changed();
      this.ctx.pollingChanged();
    }
  }

  #page(query) {
    const target = this.kind === "room" ? { roomId: this.id } : { chatId: this.id };
    return this.client.api(`/api/messages/${this.kind}?${pageQuery(target, query)}`);
  }

  #accepts(data) {
    const key = eventConversation(data);
    return key == null || key === this.key;
  }

  /** Adds messages (deduplicated by id); `live` ones that leave a hole start a sync. */
  #receive(messages, live) {
    const me = this.client.me?.id;
    const added = [];
    let hole = false;
    for (const m of messages) {
      if (!m?.id) continue;
      if (m.truncated) {
        hole = true; // too big for Pusher: the text comes with a sync
        continue;
      }
      const known = this.#byId.get(m.id);
      if (known) {
        if (m.isRead && !known.isRead) this.#replace(known, { isRead: true, readAt: m.readAt });
        continue;
      }
      const view = { ...m, localId: m.senderId === me && m.clientMessageId ? m.clientMessageId : m.id, status: "sent" };
      this.#insert(view);
      added.push(view);
      if (m.senderId !== me) this.#clearTyping(m.senderId);
      if (m.senderId === me && m.clientMessageId) this.ctx.outbox.confirm(m.clientMessageId, m);
    }
    while (this.#seqs.has(this.lastSeq + 1)) this.lastSeq++;
    if (live && this.#loaded && (hole || (this.#confirmed.at(-1)?.seq ?? 0) > this.lastSeq)) this.sync();
    if (!added.length) return this.changed();
    this.error = null;
    if (this.kind === "private") this.ctx.retryPresence(this.id);
    this.changed();
    for (const m of added.sort((a, b) => a.seq - b.seq)) this.handlers.onMessage?.(m);
  }

  #insert(view) {
    let i = this.#confirmed.length;
    while (i > 0 && this.#confirmed[i - 1].seq > view.seq) i--;
    this.#confirmed = this.#confirmed.toSpliced(i, 0, view);
    this.#byId.set(view.id, view);
    this.#seqs.add(view.seq);
    if (view.clientMessageId) this.#confirmedClientIds.add(view.clientMessageId);
  }

  /** A message's newer state (edited, deleted, reactions): replaces the shown one, never an older. */
  #applyChange(m) {
    const known = m?.id && this.#byId.get(m.id);
    if (!known || (m.changeSeq ?? 0) < (known.changeSeq ?? 0)) return null;
    // A tombstone has no reactions (the server drops them with the message).
    const reactions = m.deletedAt ? [] : (m.reactions ?? known.reactions);
    this.#replace(known, { ...m, reactions, localId: known.localId, status: known.status });
    return this.#byId.get(m.id);
  }

  /** The conversation's change counter moved to `seq`: a skipped number means a missed event. */
  #advance(seq) {
    if (typeof seq !== "number") return;
    if (seq > this.changeSeq + 1) this.sync();
    else this.changeSeq = Math.max(this.changeSeq, seq);
  }

  #onChange(m) {
    const view = this.#applyChange(m);
    this.#advance(m.changeSeq);
    if (!view) return;
    this.changed();
    this.handlers.onMessageChange?.(view);
  }

  #onReaction(r, added) {
    const known = this.#byId.get(r.messageId);
    this.#advance(r.changeSeq);
    if (!known || (r.changeSeq ?? 0) <= (known.changeSeq ?? 0)) return;
    const mine = r.userId === this.client.me?.id;
    const others = (known.reactions ?? []).filter((x) => x.emoji !== r.emoji);
    const before = (known.reactions ?? []).find((x) => x.emoji === r.emoji);
    const entry = { emoji: r.emoji, count: r.count, mine: mine ? added : !!before?.mine };
    const reactions = r.count > 0 ? [...others, entry] : others;
    this.#replace(known, { reactions, changeSeq: r.changeSeq });
    this.changed();
    this.handlers.onMessageChange?.(this.#byId.get(r.messageId));
  }

  // --- Edit, delete, react ---------------------------------------------------------------------

  /** Changes the text of one of the user's own messages (within the server's edit window). */
  edit(messageId, content) {
    return this.#change(messageId, "PATCH", { content });
  }

  /** Takes back one of the user's own messages: it stays at its seq as a tombstone. */
  delete(messageId) {
    return this.#change(messageId, "DELETE");
  }

  /** An edit (PATCH) or deletion (DELETE) of `messageId`: shown here, and in the user's own inbox. */
  async #change(messageId, method, json) {
    const { message } = await this.client.api(`/api/messages?id=${encodeURIComponent(messageId)}`, { method, json });
    this.#onChange(message);
    this.ctx.emitter.emit("activity", method === "PATCH" ? "edited" : "deleted", message);
    return message;
  }

  /** Adds the user's `emoji` reaction to a message. */
  async react(messageId, emoji) {
    const answer = await this.client.api("/api/messages/reactions", { json: { messageId, emoji } });
    this.#setReactions(messageId, answer.reactions);
    return answer;
  }

  /** Takes the user's `emoji` reaction back. */
  async unreact(messageId, emoji) {
    const query = new URLSearchParams({ messageId, emoji });
    const answer = await this.client.api(`/api/messages/reactions?${query}`, { method: "DELETE" });
    this.#setReactions(messageId, answer.reactions);
    return answer;
  }

  #setReactions(messageId, reactions) {
    const known = this.#byId.get(messageId);
    if (!known || !Array.isArray(reactions)) return;
    this.#replace(known, { reactions });
    this.changed();
  }

  #replace(old, fields) {
    const view = { ...old, ...fields };
    this.#confirmed = this.#confirmed.with(this.#confirmed.indexOf(old), view);
    this.#byId.set(view.id, view);
  }

  /** Fetches everything after lastSeq; concurrent calls coalesce into one more round. */
  sync() {
    if (this.closed || !this.#sub) return Promise.resolve();
    if (!this.#loaded) return (this.#loadingNewest ??= this.#loadNewest());
    if (this.#syncing) {
      this.#syncAgain = true;
      return this.#syncing;
    }
    this.#syncing = (async () => {
      try {
        do {
          this.#syncAgain = false;
          for (let i = 0; i < MAX_SYNC_PAGES && !this.closed; i++) {
            const from = this.lastSeq;
            const page = await this.#page({ after: from, limit: SYNC_PAGE_SIZE });
            if (this.closed) return;
            this.#receive(page.messages, false);
            if (!page.hasMore || this.lastSeq === from) break;
          }
          // Edits, deletions and reactions made while this client was away (or whose event it missed).
          for (let i = 0; i < MAX_SYNC_PAGES && !this.closed; i++) {
            const from = this.changeSeq;
            const page = await this.#page({ changedAfter: from, limit: SYNC_PAGE_SIZE });
            if (this.closed) return;
            for (const m of page.messages ?? []) this.#applyChange(m);
            const reached = page.hasMore ? page.cursor?.changedAfter : page.changeSeq;
            this.changeSeq = Math.max(this.changeSeq, reached ?? from, ...(page.messages ?? []).map((m) => m.changeSeq ?? 0));
            this.changed();
            if (!page.hasMore || this.changeSeq === from) break;
          }
        } while (this.#syncAgain && !this.closed);
        if (this.closed) return;
        this.#recovered("sync");
        this.#resendRead();
      } catch (err) {
        if (!this.closed) this.ctx.report(err, "sync", this);
      } finally {
        this.#syncing = null;
      }
    })();
    return this.#syncing;
  }

  /** A success of `operation` ends the error its failure left (another operation's error stays). */
  #recovered(operation) {
    if (this.error?.operation !== operation) return;
    this.error = null;
    this.changed();
  }

  /** Polls while the conversation has no live channel (connection down or subscription refused). */
  needsPolling() {
    return this.#loaded && !this.closed && !this.isConnected;
  }

  get isConnected() {
    return this.client.state === "connected" && this.#sub?.status === "subscribed";
  }

  /** All messages, oldest first; own unsent ones (`pending`, `failed`) at the end. */
  get messages() {
    return this.#snapshot.messages;
  }

  /** Users typing right now: [{userId, userName}]. */
  get typingUsers() {
    return this.#typingUsers;
  }

  /** For useSyncExternalStore: the same object until something changes. */
  getSnapshot = () => this.#snapshot;

  changed() {
    const previous = this.#snapshot;
    const next = this.#buildSnapshot();
    if (Object.keys(next).every((k) => Object.is(next[k], previous[k]))) return;
    this.#snapshot = next;
    this.ctx.pollingChanged();
    this.handlers.onChange?.(next.messages, next);
    this.notify();
  }

  #buildSnapshot() {
    const outgoing = this.ctx.outbox
      .entriesFor(this.kind, this.id)
      .filter((e) => !this.#confirmedClientIds.has(e.localId))
      .map((e) => this.#pendingView(e));
    const previous = this.#snapshot?.messages;
    const unchanged =
      previous?.length === this.#confirmed.length + outgoing.length &&
      this.#confirmed.every((m, i) => previous[i] === m) &&
      outgoing.every((m, i) => previous[this.#confirmed.length + i] === m);
    return {
      messages: unchanged ? previous : [...this.#confirmed, ...outgoing],
      typingUsers: this.#typingUsers,
      isConnected: this.isConnected,
      error: this.error,
      hasMore: this.hasMore,
      loading: this.loading,
      lastSeq: this.lastSeq,
    };
  }

  #pendingView(entry) {
    if (entry.view?.status === entry.status && entry.view.error === entry.error) return entry.view;
    const me = this.client.me;
    entry.view = {
      ...entry.extra,
      id: null,
      seq: null,
      localId: entry.localId,
      clientMessageId: entry.localId,
      senderId: me?.id ?? null,
      receiverId: this.kind === "private" ? this.id : null,
      roomId: this.kind === "room" ? this.id : null,
      content: entry.content,
      type: entry.extra?.type ?? "TEXT",
      createdAt: entry.createdAt,
      isRead: false,
      readAt: null,
      sender: me?.profile ?? null,
      status: entry.status,
      error: entry.error,
      retry: () => this.retry(entry.localId),
    };
    return entry.view;
  }

  outboxSent(message) {
    if (this.#sub) this.#receive([message], true);
  }

  /**
   * Shows the message at once (`pending`) and sends it; resolves with the sent message, rejects
   * when the server refuses it (it then stays as `failed`, see retry()).
   */
  send(content, extra = {}) {
    this.stopTyping();
    const { promise } = this.ctx.outbox.add(this.kind, this.id, content, extra);
    promise.catch(() => {}); // the failure also reaches onError and the message's status
    return promise;
  }

  /** Sends a failed message again with the same clientMessageId. */
  retry(localId) {
    const promise = this.ctx.outbox.retry(localId);
    promise.catch(() => {});
    return promise;
  }

  // --- Read receipts ---------------------------------------------------------------------------

  /**
   * The user has seen the message with this seq: one read call per readDelay with the highest,
   * one at a time. A read that failed goes again when marked again, or with the next sync that works
   * (after a reconnect, back online, visible again).
   */
  markVisible(seq) {
    if (this.closed) return;
    if (seq > this.#readMax) this.#readMax = seq;
    this.#scheduleRead();
  }

  /** Marks everything received so far as read. */
  markRead(upToSeq = this.#confirmed.at(-1)?.seq ?? 0) {
    this.markVisible(upToSeq);
  }

  /** Starts the readDelay window unless everything seen is acknowledged, or a call is due or in flight. */
  #scheduleRead() {
    if (this.closed || this.#readMax <= this.#readDone || this.#readTimer || this.#reading) return;
    this.#readTimer = setTimeout(() => {
      this.#readTimer = null;
      this.#sendRead();
    }, this.client.timing.readDelay);
  }

  /** After a sync that worked: what a failed read left unacknowledged goes again. */
  #resendRead() {
    if (this.closed || this.#readMax <= this.#readDone || this.#readTimer || this.#reading) return;
    this.#sendRead();
  }

  async #sendRead() {
    const upToSeq = this.#readMax;
    const me = this.client.me?.id;
    const unread = (m) => m.senderId !== me && !m.isRead && m.seq <= upToSeq;
    if (this.closed || this.#reading || upToSeq <= this.#readDone || !this.#confirmed.some(unread)) return;
    this.#reading = true;
    let done = false;
    try {
      const target = this.kind === "room" ? { roomId: this.id } : { chatId: this.id };
      const result = await this.client.api("/api/messages/read", { json: { ...target, upToSeq } });
      if (this.closed) return;
      done = true;
      this.#readDone = Math.max(this.#readDone, upToSeq);
      const readAt = result?.readAt ?? new Date().toISOString();
      for (const m of this.#confirmed.filter(unread)) this.#replace(m, { isRead: true, readAt });
      if (this.error?.operation === "read") this.error = null;
      this.ctx.emitter.emit("activity", "read", { conversationId: this.key, upToSeq });
      this.changed();
    } catch (err) {
      // #readDone stays behind #readMax: marking again or the next sync sends it again.
      if (!this.closed) this.ctx.report(err, "read", this);
    } finally {
      this.#reading = false;
    }
    // Seen meanwhile (while this call was in flight): the next batch.
    if (done) this.#scheduleRead();
  }

  #onRead(r) {
    const ids = new Set(r.messageIds ?? (r.messageId ? [r.messageId] : []));
    const covered = (m) => !m.isRead && (ids.has(m.id) || (this.kind === "private" && r.upToSeq != null && m.seq <= r.upToSeq && m.senderId !== r.readBy));
    for (const m of this.#confirmed.filter(covered)) this.#replace(m, { isRead: true, readAt: r.readAt ?? null });
    this.changed();
    this.handlers.onRead?.(r);
  }

  // --- Typing ----------------------------------------------------------------------------------

  /** Call on every keystroke: typing-start at most once per typingThrottle, typing-stop after typingIdle. */
  notifyTyping() {
    if (this.closed || !this.#sub) return;
    const now = Date.now();
    if (now - this.#typingSentAt >= this.client.timing.typingThrottle) {
      this.#typingSentAt = now;
      this.#typingActive = true;
      this.#postTyping(true);
    }
    clearTimeout(this.#typingIdleTimer);
    this.#typingIdleTimer = setTimeout(() => this.stopTyping(), this.client.timing.typingIdle);
  }

  stopTyping() {
    clearTimeout(this.#typingIdleTimer);
    this.#typingIdleTimer = undefined;
    if (!this.#typingActive) return;
    this.#typingActive = false;
    this.#postTyping(false);
  }

  #postTyping(typing) {
    const target = this.kind === "room" ? { roomId: this.id } : { chatId: this.id };
    this.client.api("/api/typing", { json: { ...target, typing } }).catch((err) => !this.closed && this.ctx.report(err, "typing"));
  }

  #onTyping(t, typing) {
    if (!t?.userId || t.userId === this.client.me?.id) return;
    // Starts and stops are separate Pusher calls and may arrive out of order: drop an event older
    // than the last one seen (`at`, ISO 8601), and a start from the same instant as a stop.
    const last = this.#typingAt.get(t.userId);
    if (t.at && last && (t.at < last.at || (t.at === last.at && typing && !last.typing))) return;
    if (t.at) this.#typingAt.set(t.userId, { at: t.at, typing });
    if (!typing) return this.#clearTyping(t.userId);
    const known = this.#typing.get(t.userId);
    clearTimeout(known?.timer);
    // typing-stop may be lost (or never sent): the indicator ends by itself.
    const timer = setTimeout(() => this.#clearTyping(t.userId), this.client.timing.typingExpiry);
    const user = known?.user ?? { userId: t.userId, userName: t.userName };
    this.#typing.set(t.userId, { user, timer });
    if (known) return;
    this.#typingUsers = [...this.#typingUsers, user];
    this.changed();
    this.handlers.onTyping?.(t, true);
  }

  #clearTyping(userId) {
    const known = this.#typing.get(userId);
    if (!known) return;
    clearTimeout(known.timer);
    this.#typing.delete(userId);
    this.#typingUsers = this.#typingUsers.filter((u) => u !== known.user);
    this.changed();
    this.handlers.onTyping?.(known.user, false);
  }

  // --- History ---------------------------------------------------------------------------------

  /** Loads the page before the oldest message held; resolves with the messages added. */
  loadOlder(limit = PAGE_SIZE) {
    if (this.#loadingOlder) return this.#loadingOlder;
    const before = this.#confirmed[0]?.seq;
    if (this.closed || !this.#loaded || !this.hasMore || !before) return Promise.resolve([]);
    const loading = (async () => {
      try {
        const page = await this.#page({ before, limit });
        if (this.closed) return [];
        this.hasMore = page.hasMore;
        const fresh = page.messages.filter((m) => !this.#byId.has(m.id));
        this.#receive(page.messages, false);
        this.#recovered("load");
        return fresh;
      } catch (err) {
        if (!this.closed) this.ctx.report(err, "load", this);
        throw err;
      } finally {
        this.#loadingOlder = null;
      }
    })();
    loading.catch(() => {});
    return (this.#loadingOlder = loading);
  }

  /** Tries the contact's presence channel again (it is refused until a conversation exists). */
  retryPresence() {
    this.#presence?.retry();
  }

  close() {
    if (this.closed) return;
    this.stopTyping();
    if (this.#readTimer) clearTimeout(this.#readTimer);
    this.#readTimer = null;
    for (const { timer } of this.#typing.values()) clearTimeout(timer);
    this.#typing.clear();
    super.close();
  }
}

/** The inbox (`GET /api/conversations`), refreshed on notifications, own sends and reads. */
class Inbox extends Store {
  /** @type {{ conversations: any[], loading: boolean, error: any }} */
  #snapshot = { conversations: [], loading: true, error: null };
  /** @type {Timer | undefined} */
  #timer = undefined;
  /** @type {Promise<void> | null} */
  #syncing = null;
  #again = false;

  constructor(client, ctx, handlers) {
    super(client, ctx, handlers);
    /** @type {any[]} */
    this.conversations = [];
    this.loading = true;
  }

  start() {
    const sub = this.client.subscribe(notificationsChannel(this.client.me.id), {
      "new-message": (m) => this.#patch(m),
      "message-updated": (m) => this.#replace(m),
      "message-deleted": (m) => this.#replace(m),
      "message-read": () => this.schedule(),
      "room-created": () => this.schedule(),
    });
    this.cleanups.push(
      () => sub.unsubscribe(),
      this.ctx.emitter.on("activity", () => this.schedule()),
      () => clearTimeout(this.#timer),
    );
    return this.sync();
  }

  // Shows a new message at once; the refresh that follows brings the server's counts.
  #patch(m) {
    const key = eventConversation(m);
    const index = this.conversations.findIndex((c) => c.chatId === key);
    if (index >= 0 && m.seq > (this.conversations[index].lastSeq ?? 0)) {
      const c = this.conversations[index];
      const updated = { ...c, lastMessage: m, lastSeq: m.seq, lastMessageAt: m.createdAt, unreadCount: (c.unreadCount ?? 0) + 1 };
      this.conversations = [updated, ...this.conversations.filter((_, i) => i !== index)];
      this.changed();
    }
    this.schedule();
  }

  // An edited or deleted message that is a conversation's preview replaces it (counts stay).
  #replace(m) {
    const key = eventConversation(m);
    const index = this.conversations.findIndex((c) => c.chatId === key && c.lastMessage?.id === m.id);
    if (index < 0) return;
    this.conversations = this.conversations.map((c, i) => (i === index ? { ...c, lastMessage: m } : c));
    this.changed();
  }

  schedule() {
    if (this.closed) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.sync(), this.client.timing.inboxDelay);
  }

  sync() {
    if (this.closed || !this.started) return Promise.resolve();
    if (this.#syncing) {
      this.#again = true;
      return this.#syncing;
    }
    this.#syncing = (async () => {
      try {
        do {
          this.#again = false;
          const conversations = await this.client.inbox();
          if (this.closed) return;
          this.conversations = conversations;
          this.error = null;
        } while (this.#again);
      } catch (err) {
        if (!this.closed) this.ctx.report(err, "inbox", this);
      } finally {
        this.#syncing = null;
        this.loading = false;
        this.changed();
      }
    })();
    return this.#syncing;
  }

  needsPolling() {
    return !this.closed && this.client.state !== "connected";
  }

  getSnapshot = () => this.#snapshot;

  changed() {
    const s = this.#snapshot;
    if (s.conversations === this.conversations && s.loading === this.loading && s.error === this.error) return;
    this.#snapshot = { conversations: this.conversations, loading: this.loading, error: this.error };
    this.handlers.onChange?.(this.conversations);
    this.notify();
  }

  refresh() {
    return this.sync();
  }
}

/** Whether a user is connected (`online`) and their last announced status. */
class PresenceWatch extends Store {
  /** @type {{ online: boolean, status: string | null, lastActive: string | null, error: any }} */
  #snapshot = { online: false, status: null, lastActive: null, error: null };
  /** @type {Subscription | null} */
  #sub = null;

  constructor(client, ctx, userId, handlers) {
    super(client, ctx, handlers);
    this.userId = userId;
    this.online = false;
    /** @type {string | null} */
    this.status = null;
    /** @type {string | null} */
    this.lastActive = null;
  }

  start() {
    const update = () => this.#update();
    const sub = this.client.subscribe(presenceChannel(this.userId), {
      "pusher:subscription_succeeded": update,
      "pusher:member_added": update,
      "pusher:member_removed": update,
      "user-status-change": (s) => {
        if (s?.userId !== this.userId) return;
        this.status = s.status;
        this.lastActive = s.lastActive ?? null;
        this.#update();
      },
    });
    this.#sub = sub;
    this.cleanups.push(sub.onChange(update), () => sub.unsubscribe());
    this.#update();
  }

  #update() {
    this.online = !!this.#sub?.channel?.members?.get(this.userId);
    this.error = this.#sub?.status === "failed" ? this.#sub.error : null;
    this.changed();
  }

  getSnapshot = () => this.#snapshot;

  changed() {
    const s = this.#snapshot;
    if (s.online === this.online && s.status === this.status && s.lastActive === this.lastActive && s.error === this.error) return;
    this.#snapshot = { online: this.online, status: this.status, lastActive: this.lastActive, error: this.error };
    this.handlers.onChange?.(this.#snapshot);
    this.notify();
  }

  retry() {
    this.#sub?.retry();
  }
}
