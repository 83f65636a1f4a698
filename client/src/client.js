// ChatClient, the facade: a signed-in user's REST layer (api.js), realtime connection
// (realtime.js) and outbox, and the conversations, inbox and presence watches it hands out. It
// decides when they sync: after every reconnect, back online or visible, every pollInterval
// while live updates are down, and every safetySyncInterval anyway.
import { ChatApi } from "./api.js";
import { CONVERSATION_TIMING, Conversation } from "./conversation.js";
import { Emitter } from "./emitter.js";
import { abortError, RealtimeError } from "./errors.js";
import { INBOX_TIMING, Inbox } from "./inbox.js";
import { RoomMembers } from "./members.js";
import { notificationsChannel, presenceChannel } from "./names.js";
import { Outbox } from "./outbox.js";
import { disablePush, enablePush, pushStatus } from "./push.js";
import { PresenceWatch } from "./presence.js";
import { READ_TIMING } from "./reads.js";
import { Realtime } from "./realtime.js";
import { reportBody, SafetyLists } from "./safety.js";
import { TYPING_TIMING } from "./typing.js";
import { UPLOAD_STALL_MS, Uploads } from "./uploads.js";
import { deferred, defaultStorage } from "./util.js";

/** @typedef {import("../pusher-chat.js").ChatClientOptions} ChatClientOptions */
/** @typedef {import("../pusher-chat.js").Me} Me */

const DEFAULT_TIMING = {
  pollInterval: 5000, // sync period while a conversation has no live channel
  ...READ_TIMING,
  ...TYPING_TIMING,
  ...INBOX_TIMING,
  ...CONVERSATION_TIMING,
  // While connected, an open conversation or the inbox that has had no news live for this long
  // syncs anyway: an event Pusher never delivered (its publish failed for good) shows within this
  // time of the last one, not at the next reconnect. (While news keeps coming, a missed message
  // shows at once: the next one leaves a hole in seq, and a hole starts a sync.)
  safetySyncInterval: 30000,
  // After the server closed the connection on purpose (pusher-js then stays disconnected), the
  // client connects again after this long, doubling up to 30 s while it keeps being closed.
  reconnectDelay: 1000,
  // An upload's PUT that reports no progress for this long is given up: the message turns failed.
  uploadStallTimeout: UPLOAD_STALL_MS,
};

/**
 * The API client and the single pusher-js connection of a signed-in user. Channels are reference
 * counted: every `subscribe` returns its own handle, and the channel is left when the last handle
 * is released, so two components (or a strict-mode remount) can share one.
 */
export class ChatClient {
  #Pusher;
  #window;
  #document;
  #api;
  #realtime;
  #emitter = new Emitter();
  #stores = new Set();
  /** Reached `connected` since connect(): a later arrival there follows a drop. */
  #connectedOnce = false;
  /** Timers of ctx.linger(): id → what runs when it fires, or at once on close(). */
  #lingering = new Map();
  /** @type {(() => void)[]} */
  #cleanups = [];
  /** @type {Promise<Me> | null} */
  #connecting = null;
  #ready = deferred();
  #generation = 0;
  /** @type {ReturnType<typeof setInterval> | null} */
  #pollTimer = null;
  #ctx;
  /** @type {Map<string, { url: string, expiresAt: number }>} Download links by file.url, while fresh. */
  #fileLinks = new Map();
  /** Whom the user blocked and muted (see safety.js). */
  #safety = new SafetyLists(() => {
    for (const store of this.#stores) store.changed();
    this.#emitter.emit("safety", { blocked: [...this.#safety.blocked], muted: [...this.#safety.muted] });
  });

  /** @param {ChatClientOptions} options */
  constructor({
    baseUrl = "",
    getToken,
    onTokenExpired,
    Pusher = globalThis.Pusher,
    fetch,
    XMLHttpRequest = globalThis.XMLHttpRequest,
    storage = defaultStorage(),
    window = globalThis.window,
    document = globalThis.document,
    signIn = true,
    onError,
    onStateChange,
    onNotification,
    timing,
  }) {
    if (typeof getToken !== "function") throw new TypeError("ChatClient needs a getToken() function");
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.#Pusher = Pusher;
    this.#window = window;
    this.#document = document;
    this.signIn = signIn;
    this.timing = { ...DEFAULT_TIMING, ...timing };
    /** pusher-js's connection state, `initialized` before connect() and `disconnected` after close(). */
    this.state = "initialized";
    /** @type {any} `GET /api/me` of the signed-in user once connected. */
    this.me = null;
    this.encryptedChannels = false;
    /** @type {number | null} The API's MESSAGE_EDIT_WINDOW_SECS, once connected. */
    this.messageEditWindowSecs = null;
    /** @type {{ enabled: boolean, maxBytes: number | null, allowedTypes: string[] | null } | null} What files the API takes (`uploads` of /api/config), once connected. */
    this.uploads = null;
    if (onError) this.on("error", onError);
    if (onStateChange) this.on("state", onStateChange);
    if (onNotification) this.on("notification", onNotification);
    const report = (err, operation, ...stores) => this.#report(err, operation, ...stores);
    const api = new ChatApi({
      baseUrl: this.baseUrl,
      getToken,
      onTokenExpired,
      fetch: fetch ?? ((url, init) => globalThis.fetch(url, init)),
      socketId: () => this.#realtime.pusher?.connection.socket_id,
    });
    this.#api = api;
    this.#realtime = new Realtime({ api, report, stateChanged: (current) => this.#setState(current), pollingChanged: () => this.#updatePolling() });
    const conversationsOf = (entry) => [...this.#stores].filter((s) => s instanceof Conversation && s.kind === entry.kind && s.id === entry.target);
    const outbox = new Outbox({
      api,
      storage,
      isOffline: () => this.#window?.navigator?.onLine === false,
      report,
      failed: (entry, err) => report(err, "send", ...conversationsOf(entry)),
      changed: (entry) => conversationsOf(entry).forEach((c) => c.changed()),
      sent: (entry, message) => {
        this.#emitter.emit("activity", "sent", message);
        conversationsOf(entry).forEach((c) => c.outboxSent(message));
      },
    });
    const uploads = new Uploads({
      api,
      storage,
      XMLHttpRequest,
      report,
      outbox,
      limits: () => this.uploads ?? { enabled: true, maxBytes: null, allowedTypes: null },
      stallMs: () => this.timing.uploadStallTimeout,
      failed: (entry, err) => report(err, "upload", ...conversationsOf(entry)),
      changed: (entry) => conversationsOf(entry).forEach((c) => c.changed()),
    });
    this.#ctx = {
      api,
      report,
      emitter: this.#emitter,
      stores: this.#stores,
      pollingChanged: () => this.#updatePolling(),
      retryPresence: (userId) => this.#realtime.retry(presenceChannel(userId)),
      linger: (fn, ms) => {
        const id = setTimeout(() => this.#lingering.delete(id) && fn(), ms);
        this.#lingering.set(id, fn);
      },
      outbox,
      uploads,
    };
  }

  /** Listens to `state` ({previous, current}), `error` (Error), `notification` (event, data). */
  on(event, fn) {
    return this.#emitter.on(event, fn);
  }

  /** @type {any} The pusher-js instance while connected. */
  get pusher() {
    return this.#realtime.pusher;
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
      const me = await this.#api.me();
      const { pusher: config, encryptedChannels, messageEditWindowSecs, uploads } = await this.#api.config();
      if (generation !== this.#generation) throw abortError();
      this.me = me;
      // With end-to-end encryption on, private channels are their private-encrypted- twins,
      // which only pusher-js's encryption build opens (pusher-js/with-encryption).
      this.encryptedChannels = !!encryptedChannels;
      this.messageEditWindowSecs = typeof messageEditWindowSecs === "number" ? messageEditWindowSecs : null;
      this.uploads = uploads && typeof uploads === "object"
        ? { enabled: uploads.enabled !== false, maxBytes: typeof uploads.maxBytes === "number" ? uploads.maxBytes : null, allowedTypes: Array.isArray(uploads.allowedTypes) ? uploads.allowedTypes : null }
        : null;
      // Before any conversation opens, so a blocked user's live events are dropped from the first.
      // An API without /api/blocks (older servers) leaves the lists empty.
      await this.#api.blocks().then((lists) => this.#safety.load(lists), () => this.#safety.load());
      if (generation !== this.#generation) throw abortError();
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
    const state = this.#realtime.start(this.#Pusher, config, {
      encrypted: this.encryptedChannels,
      signIn: this.signIn,
      reconnectDelay: this.timing.reconnectDelay,
    });
    this.#listen(this.#window, "online", () => this.#resync());
    this.#listen(this.#document, "visibilitychange", () => this.#document?.visibilityState === "visible" && this.#resync());
    // Being in one's own presence channel is what "online" means to contacts.
    this.subscribe(presenceChannel(this.me.id));
    const own = this.subscribe(notificationsChannel(this.me.id));
    this.#cleanups.push(
      own.onEvent((event, data) => !event.startsWith("pusher") && this.#emitter.emit("notification", event, data)),
      () => own.unsubscribe(),
    );
    this.#setState(state);
    this.#ctx.outbox.load(this.me.id);
    this.#ctx.uploads.load(this.me.id);
    const every = this.timing.safetySyncInterval;
    const safety = setInterval(() => {
      if (this.state !== "connected") return; // polling or the reconnect's sync covers the rest
      for (const store of this.#stores) if (!store.needsPolling?.() && store.quietFor?.(every)) store.sync?.();
    }, every);
    this.#cleanups.push(() => clearInterval(safety));
    this.#ready.resolve();
    this.#updatePolling();
  }

  #listen(target, event, fn) {
    if (!target?.addEventListener) return;
    target.addEventListener(event, fn);
    this.#cleanups.push(() => target.removeEventListener(event, fn));
  }

  #setState(current) {
    const previous = this.state;
    if (current === previous) return;
    this.state = current;
    this.#emitter.emit("state", { previous, current });
    // Every arrival at `connected` but the first may follow a drop (pusher-js goes connected →
    // connecting → connected on a quick one): whatever was published meanwhile is fetched. The
    // first is no drop: each store catches up once its own channel is subscribed.
    if (current === "connected" && this.#connectedOnce) this.#resync();
    else if (current === "connected") this.#ctx.outbox.flush();
    if (current === "connected") this.#connectedOnce = true;
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

  /**
   * One API call with a fresh token; a 401 refreshes the token and tries once more.
   * @param {string} path
   * @param {{ method?: string, json?: unknown, form?: Record<string, string> }} [options]
   */
  api(path, options = {}) {
    return this.#api.request(path, options);
  }

  /**
   * Follows a channel: `events` maps event names to handlers. The returned handle tells the
   * subscription's status and must be released with unsubscribe().
   */
  subscribe(channelName, events = {}) {
    return this.#realtime.subscribe(channelName, events);
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

  /** A room's member list with roles, kept fresh by its member events, and the owner's and admins' actions. */
  openRoomMembers(roomId, handlers = {}) {
    return new RoomMembers(this, this.#ctx, roomId, handlers);
  }

  /** The inbox, kept fresh from the user's notifications. */
  openInbox(handlers = {}) {
    return new Inbox(this, this.#ctx, handlers);
  }

  /** Whether a user is online; allowed for oneself and users one shares a conversation with. */
  watchPresence(userId, handlers = {}) {
    return new PresenceWatch(this, this.#ctx, userId, handlers);
  }

  // --- Files ---------------------------------------------------------------------------------

  /**
   * A URL of a FILE message's file for <img src> or a download link, valid for a few minutes (the
   * API signs it for the user; it is reused while more than 30 s of it are left). A message of the
   * older form (a public `fileUrl`) gives that; a message without a file rejects with a TypeError.
   * @param {any} message
   */
  async fileUrl(message) {
    const path = message?.file?.url;
    if (!path) {
      if (message?.fileUrl) return message.fileUrl;
      throw new TypeError("The message has no file");
    }
    const known = this.#fileLinks.get(path);
    if (known && known.expiresAt - Date.now() > 30_000) return known.url;
    const { url, expiresAt } = await this.#api.fileLink(path);
    const until = Date.parse(expiresAt);
    this.#fileLinks.set(path, { url, expiresAt: Number.isNaN(until) ? Date.now() + 60_000 : until });
    return url;
  }

  // --- Plain API calls -------------------------------------------------------------------------

  /** Sends a 1:1 message right away (no outbox); conversations' send() is the optimistic one. */
  send(receiverId, content, extra = {}) {
    return this.#api.sendMessage("private", receiverId, content, extra);
  }

  /** A page of a 1:1 chat: `{before}` for history, `{after}` for sync, neither for the newest. */
  history(otherUserId, query = {}) {
    return this.#api.page("private", otherUserId, query);
  }

  roomHistory(roomId, query = {}) {
    return this.#api.page("room", roomId, query);
  }

  markRead(otherUserId, upToSeq) {
    return this.#api.markRead("private", otherUserId, upToSeq);
  }

  typing(otherUserId, typing) {
    return this.#api.typing("private", otherUserId, typing);
  }

  inbox() {
    return this.#api.conversations();
  }

  setPresence(status) {
    return this.#api.setPresence(status);
  }

  /**
   * Turns on Web Push for this browser: registers `serviceWorkerUrl` (the app serves it; see
   * push-sw.js), asks for notification permission, subscribes with the API's VAPID key and stores
   * the subscription. Rejects with a PushError (`code`: unsupported, disabled, denied).
   * @param {{ serviceWorkerUrl?: string, scope?: string }} [options]
   */
  enablePush(options = {}) {
    const browser = /** @type {any} */ (this.#window);
    return enablePush(this.#api, { navigator: browser?.navigator, Notification: browser?.Notification, ...options });
  }

  /** Turns Web Push off for this browser (call it on sign-out too); resolves with whether it was on. */
  disablePush(options = {}) {
    const browser = /** @type {any} */ (this.#window);
    return disablePush(this.#api, { navigator: browser?.navigator, ...options });
  }

  /** `on`, `off`, `denied` or `unsupported`, for this browser. */
  pushStatus(options = {}) {
    const browser = /** @type {any} */ (this.#window);
    return pushStatus({ navigator: browser?.navigator, Notification: browser?.Notification, ...options });
  }

  /**
   * Mutes a conversation (its `conversationId`): no push for it until `until` (a Date or ISO time) or unmute.
   * @param {string} conversationId @param {{ until?: Date | string }} [options]
   */
  mute(conversationId, { until } = {}) {
    const end = until instanceof Date ? until.toISOString() : until;
    return this.#api.mute(conversationId, end ?? null);
  }

  unmute(conversationId) {
    return this.#api.unmute(conversationId);
  }

  // --- Blocks, mutes, reports --------------------------------------------------------------------

  /** Whether the user blocked `userId`: their room messages are hidden, they cannot write to the user. */
  isBlocked(userId) {
    return this.#safety.blocked.has(userId);
  }

  /** Whether the user muted `userId`: their room messages come `collapsed`, no pushes from them. */
  isMuted(userId) {
    return this.#safety.muted.has(userId);
  }

  /** The block and mute lists fetched again from the API: `{blocks, mutes}` with profiles. */
  async blocks() {
    const lists = await this.#api.blocks();
    this.#safety.load(lists);
    return lists;
  }

  /** Blocks a user (see docs/moderation.md): open rooms hide their messages at once. */
  block(userId) {
    return this.#api.setBlock(userId, "block", true).then((answer) => (this.#safety.set("block", userId, true), answer));
  }

  /** Takes a block back: new messages show again; views opened from now on show the older ones too. */
  unblock(userId) {
    return this.#api.setBlock(userId, "block", false).then((answer) => (this.#safety.set("block", userId, false), answer));
  }

  /** Mutes a user: no pushes from them, their room messages collapsed. (mute() mutes a conversation.) */
  muteUser(userId) {
    return this.#api.setBlock(userId, "mute", true).then((answer) => (this.#safety.set("mute", userId, true), answer));
  }

  unmuteUser(userId) {
    return this.#api.setBlock(userId, "mute", false).then((answer) => (this.#safety.set("mute", userId, false), answer));
  }

  /**
   * Reports a message, a user or a room to the operators: `{messageId | userId | roomId, reason, note?}`,
   * `reason` one of spam, harassment, hate, sexual, violence, other. Resolves with `{report, duplicate?}`.
   */
  report(target) {
    return this.#api.report(reportBody(target));
  }

  /** Creates or updates the caller's profile. */
  updateProfile(profile) {
    return this.#api.updateProfile(profile);
  }

  /**
   * Finds the caller's messages whose words start with every word of `q` (newest first); each
   * result names its `conversationId` and `seq`, so a view can open the conversation there.
   * @param {string} q @param {{ limit?: number }} [options]
   */
  search(q, options = {}) {
    return this.#api.search(q, options);
  }

  /** Creates a room: the caller is its member, everyone in `memberIds` gets an invitation. */
  createRoom(name, memberIds = []) {
    return this.#api.createRoom(name, memberIds);
  }

  /** The caller's rooms and open invitations (an invitation arrives live as the `room-invitation` notification). */
  rooms() {
    return this.#api.rooms();
  }

  /** Accepts an invitation: the room then shows in the inbox and openRoom() works. */
  acceptRoom(roomId) {
    return this.#api.acceptRoom(roomId).then((answer) => {
      this.#emitter.emit("activity", "joined", { roomId });
      return answer;
    });
  }

  /** Leaves a room, or declines an invitation to it. */
  leaveRoom(roomId) {
    return this.#api.leaveRoom(roomId).then((answer) => {
      this.#emitter.emit("activity", "left", { roomId });
      return answer;
    });
  }

  /** Ends everything: subscriptions, timers, listeners and the connection. connect() may follow. */
  close() {
    this.#generation++;
    this.#connectedOnce = false;
    this.#connecting = null;
    for (const store of [...this.#stores]) store.close();
    for (const [id, fn] of [...this.#lingering]) clearTimeout(id), this.#lingering.delete(id), fn();
    this.#realtime.close();
    for (const cleanup of this.#cleanups.splice(0)) cleanup();
    this.#ctx.outbox.clear();
    this.#ctx.uploads.clear();
    this.#fileLinks.clear();
    this.#safety.clear();
    this.me = null;
    this.#updatePolling();
    this.#setState("disconnected");
    this.#ready = deferred();
  }

  disconnect() {
    this.close();
  }
}
