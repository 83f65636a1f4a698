// Test doubles for the client: a fake pusher-js (channels, authorization through the configured
// customHandler, the real connection state sequences) on a shared in-memory "network", and a fake
// API server behind a fake fetch, with the product's routes, seq numbers and idempotent sends.

/** Lets pending promises, fetches and auth callbacks run. */
export const settle = async (turns = 20) => {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
};

export function memoryStorage() {
  const data = new Map();
  return {
    data,
    getItem: (k) => (data.has(k) ? data.get(k) : null),
    setItem: (k, v) => void data.set(k, String(v)),
    removeItem: (k) => void data.delete(k),
  };
}

class FakeDispatcher {
  callbacks = new Map();
  globals = new Set();

  bind(event, fn) {
    if (!this.callbacks.has(event)) this.callbacks.set(event, new Set());
    this.callbacks.get(event).add(fn);
    return this;
  }

  unbind(event, fn) {
    if (fn) this.callbacks.get(event)?.delete(fn);
    else this.callbacks.delete(event);
    return this;
  }

  bind_global(fn) {
    this.globals.add(fn);
    return this;
  }

  unbind_global(fn) {
    this.globals.delete(fn);
    return this;
  }

  emit(event, data) {
    for (const fn of [...this.globals]) fn(event, data);
    for (const fn of [...(this.callbacks.get(event) ?? [])]) fn(data);
  }

  get listenerCount() {
    return [...this.callbacks.values()].reduce((n, s) => n + s.size, 0) + this.globals.size;
  }
}

class FakeMembers {
  constructor(ids = []) {
    this.ids = new Set(ids);
  }
  get count() {
    return this.ids.size;
  }
  get(id) {
    return this.ids.has(id) ? { id, info: {} } : null;
  }
  each(fn) {
    for (const id of this.ids) fn({ id, info: {} });
  }
}

class FakeChannel extends FakeDispatcher {
  constructor(name, pusher) {
    super();
    this.name = name;
    this.pusher = pusher;
    this.subscribed = false;
    this.pending = false;
    this.members = name.startsWith("presence-") ? new FakeMembers() : undefined;
  }

  authorize() {
    this.pending = true;
    const socketId = this.pusher.connection.socket_id;
    this.pusher.authorizations.push(this.name);
    this.pusher.options.channelAuthorization.customHandler({ socketId, channelName: this.name }, (err, data) => {
      this.pending = false;
      const stale = this.pusher.connection.socket_id !== socketId || this.pusher.connection.state !== "connected";
      if (stale || this.pusher.channels.get(this.name) !== this) return;
      if (err) return this.emit("pusher:subscription_error", { type: "AuthError", error: err.message });
      if (!data?.auth) return this.emit("pusher:subscription_error", { type: "AuthError", error: "no auth" });
      this.subscribed = true;
      if (this.members) {
        this.members = new FakeMembers(this.pusher.network.membersOf(this.name));
        this.members.ids.add(JSON.parse(data.channel_data).user_id);
        this.pusher.network.joined(this.name, this.pusher);
      }
      this.emit("pusher:subscription_succeeded", this.members ?? {});
    });
  }
}

class FakeConnection extends FakeDispatcher {
  state = "initialized";
  socket_id = undefined;

  setState(current) {
    const previous = this.state;
    if (previous === current) return;
    this.state = current;
    this.emit("state_change", { previous, current });
    this.emit(current);
  }
}

/** The realtime service: every FakePusher made by `network.Pusher` is on it. */
export class FakeNetwork {
  pushers = [];
  presence = new Map(); // channel → Map(pusher → userId)
  #sockets = 0;

  constructor() {
    const network = this;
    this.Pusher = class FakePusher {
      constructor(key, options) {
        this.key = key;
        this.options = options;
        this.network = network;
        this.channels = new Map();
        this.authorizations = [];
        this.connection = new FakeConnection();
        this.disconnected = false;
        network.pushers.push(this);
        // pusher-js starts connecting in its constructor.
        this.connection.setState("connecting");
      }

      subscribe(name) {
        let channel = this.channels.get(name);
        if (!channel) this.channels.set(name, (channel = new FakeChannel(name, this)));
        if (!channel.subscribed && !channel.pending && this.connection.state === "connected") channel.authorize();
        return channel;
      }

      unsubscribe(name) {
        const channel = this.channels.get(name);
        if (!channel) return;
        this.channels.delete(name);
        channel.subscribed = false;
        network.left(name, this);
      }

      channel(name) {
        return this.channels.get(name);
      }

      disconnect() {
        this.disconnected = true;
        this.#dropChannels();
        this.connection.setState("disconnected");
      }

      signin() {}

      // --- drivers for tests ---

      /** The handshake succeeded: `connected` with a new socket id; every channel subscribes again. */
      connect() {
        this.connects = (this.connects ?? 0) + 1;
        this.connection.socket_id = `${++network.#sockets}.${network.#sockets * 7}`;
        this.connection.setState("connected");
        for (const channel of this.channels.values()) if (!channel.subscribed && !channel.pending) channel.authorize();
      }

      /** An open socket closed: pusher-js goes `connecting` (and retries a second later). */
      drop() {
        this.#dropChannels();
        this.connection.socket_id = undefined;
        this.connection.setState("connecting");
      }

      /**
       * The server closed the connection with a 4000-4099 code (4009: the app closed the user's
       * connections): pusher-js reports the error and stays `disconnected` ("refused").
       */
      refuse(code = 4009) {
        this.#dropChannels();
        this.connection.socket_id = undefined;
        const error = { type: "PusherError", data: { code, message: "You got disconnected by the app." } };
        this.connection.emit("error", { type: "WebSocketError", error });
        this.connection.setState("disconnected");
      }

      /** What pusher-js reports after 10 s without a connection. */
      unavailable() {
        this.connection.setState("unavailable");
      }

      #dropChannels() {
        for (const channel of this.channels.values()) {
          channel.subscribed = false;
          channel.pending = false;
          if (channel.members) {
            channel.members = new FakeMembers();
            network.left(channel.name, this);
          }
        }
      }

      get listenerCount() {
        return this.connection.listenerCount + [...this.channels.values()].reduce((n, c) => n + c.listenerCount, 0);
      }
    };
  }

  /** Delivers an event to every connected, subscribed pusher except the one with `exceptSocket`. */
  publish(channelName, event, data, exceptSocket) {
    for (const pusher of this.pushers) {
      const channel = pusher.channels.get(channelName);
      if (!channel?.subscribed || pusher.connection.state !== "connected") continue;
      if (exceptSocket && pusher.connection.socket_id === exceptSocket) continue;
      channel.emit(event, structuredClone(data));
    }
  }

  membersOf(channel) {
    return [...(this.presence.get(channel)?.values() ?? [])];
  }

  /** Members joining and leaving, as the server learns of them by webhook: {channel, userId, present, at}. */
  presenceLog = [];

  joined(channel, pusher) {
    const userId = pusher.userId;
    if (!this.presence.has(channel)) this.presence.set(channel, new Map());
    if (!this.membersOf(channel).includes(userId)) this.presenceLog.push({ channel, userId, present: true, at: Date.now() });
    this.presence.get(channel).set(pusher, userId);
    for (const other of this.pushers) {
      const c = other !== pusher && other.channels.get(channel);
      if (c?.subscribed && !c.members.ids.has(userId)) {
        c.members.ids.add(userId);
        c.emit("pusher:member_added", { id: userId, info: {} });
      }
    }
  }

  left(channel, pusher) {
    const userId = this.presence.get(channel)?.get(pusher);
    if (!this.presence.get(channel)?.delete(pusher) || this.membersOf(channel).includes(userId)) return;
    this.presenceLog.push({ channel, userId, present: false, at: Date.now() });
    for (const other of this.pushers) {
      const c = other.channels.get(channel);
      if (c?.subscribed && c.members.ids.delete(userId)) c.emit("pusher:member_removed", { id: userId, info: {} });
    }
  }
}

/**
 * The S3-compatible store behind the API's presigned URLs: takes a PUT only to a URL the API
 * signed, with the declared length and Content-Type (as a real store checks the signature), once.
 * Its `XMLHttpRequest` is what the client uploads with; with `manual` on, a PUT waits for the test
 * to drive it (`inflight[i].progress(n)`, `.finish()`), else it reports progress in two steps.
 */
export class FakeStorage {
  origin = "https://store.example";
  configured = true;
  /** What POST /api/uploads enforces, and /api/config announces (`uploads`) unless `announce` is off. */
  maxBytes = 25_000_000;
  announce = true;
  allowedTypes = ["image/*", "application/pdf", "text/plain"];
  linkSecs = 300;
  links = 0;
  uploads = new Map(); // id → {uploader, conversation, size, contentType, stored, used}
  /** Every PUT that reached the store: {url, headers, size}. */
  puts = [];
  /** Every PUT begun in manual mode and not finished. */
  inflight = [];
  manual = false;
  /** Answer every PUT with this status instead (e.g. 403, 500); null: check it. */
  failWith = null;

  constructor() {
    const storage = this;
    this.XMLHttpRequest = class FakeXMLHttpRequest {
      status = 0;
      headers = {};
      upload = { onprogress: null };
      onload = null;
      onerror = null;
      onabort = null;
      #done = false;
      open(method, url) {
        this.method = method;
        this.url = url;
      }
      setRequestHeader(name, value) {
        this.headers[name] = value;
      }
      send(body) {
        this.body = body;
        if (storage.manual) return void storage.inflight.push(this);
        setImmediate(() => {
          this.progress(Math.floor(body.size / 2));
          this.progress(body.size);
          this.finish();
        });
      }
      progress(loaded) {
        if (!this.#done) this.upload.onprogress?.({ loaded, total: this.body.size, lengthComputable: true });
      }
      /** The store's answer: `status`, or what it makes of the request. */
      finish(status = storage.failWith ?? storage.check(this)) {
        if (this.#done) return;
        this.#done = true;
        storage.inflight = storage.inflight.filter((x) => x !== this);
        if (status === 0) return void this.onerror?.({});
        this.status = status;
        this.onload?.({});
      }
      abort() {
        if (this.#done) return;
        this.#done = true;
        storage.inflight = storage.inflight.filter((x) => x !== this);
        this.onabort?.({});
      }
    };
  }

  check(xhr) {
    const id = /sig-(u\d+)$/.exec(xhr.url)?.[1];
    const upload = id && this.uploads.get(id);
    this.puts.push({ url: xhr.url, headers: xhr.headers, size: xhr.body.size });
    if (!upload || xhr.method !== "PUT" || upload.stored) return 403;
    if (xhr.body.size !== upload.size || xhr.headers["Content-Type"] !== upload.contentType) return 403;
    upload.stored = true;
    return 200;
  }
}

const json = (status, body, headers = {}) => ({ status, body, headers });
const error = (status, code, message, headers) => json(status, { error: { code, message } }, headers);

/**
 * The API: tokens `token:<userId>:<n>`, where tokens listed in `expired` answer 401. Tests can
 * replace any route with `server.override("POST /api/messages/private", handler)`; a handler that
 * throws makes fetch reject (no answer).
 */
export class FakeServer {
  users = new Map();
  rooms = new Map();
  messages = new Map(); // conversation key → [message]
  changeSeqs = new Map(); // conversation key → change counter
  calls = [];
  /** When each user last had a typing-start published, per conversation (the throttle). */
  lastStart = new Map();
  /** How late the server hears of presence members (Pusher's webhooks), in ms. */
  webhookDelay = 0;
  /** Every typing call: {userId, typing, readUpToSeq}. */
  typingCalls = [];
  expired = new Set();
  overrides = new Map();
  #ids = 0;

  constructor(network, users = ["alice", "bob", "carol"]) {
    this.network = network;
    this.storage = new FakeStorage();
    this.XMLHttpRequest = this.storage.XMLHttpRequest;
    for (const id of users) this.users.set(id, { id, firstName: id[0].toUpperCase() + id.slice(1), lastName: "Test", avatar: null });
    this.fetch = (url, init) => this.#handle(url, init);
  }

  /** As the API with PUSHER_ENCRYPTION_MASTER_KEY_BASE64: private channels are encrypted twins. */
  encrypted = false;

  wire(name) {
    return this.encrypted && name.startsWith("private-") ? name.replace("private-", "private-encrypted-") : name;
  }

  override(route, handler) {
    this.overrides.set(route, handler);
  }

  callsTo(route) {
    return this.calls.filter((c) => `${c.method} ${c.path}` === route);
  }

  async #handle(url, init = {}) {
    await null;
    const { pathname, searchParams } = new URL(url);
    const method = init.method ?? "GET";
    const headers = init.headers ?? {};
    const contentType = headers["Content-Type"] ?? "";
    const body = init.body === undefined ? undefined : contentType.includes("json") ? JSON.parse(init.body) : Object.fromEntries(new URLSearchParams(init.body));
    const token = (headers.Authorization ?? "").replace(/^Bearer /, "");
    const call = { url, method, path: pathname, query: searchParams, headers, body, token };
    this.calls.push(call);
    const route = `${method} ${pathname}`;
    const override = this.overrides.get(route);
    const result = (override && override(call, this)) ?? this.#route(route, call);
    return new Response(result.body === undefined ? null : JSON.stringify(result.body), { status: result.status, headers: result.headers });
  }

  #user(call) {
    const [, userId] = call.token.split(":");
    return !this.expired.has(call.token) && this.users.has(userId) ? userId : null;
  }

  key(a, b) {
    return a < b ? `${a}:${b}` : `${b}:${a}`;
  }

  #route(route, call) {
    if (route === "GET /api/config") {
      const endpoint = (p) => ({ endpoint: `https://api.example${p}`, transport: "ajax" });
      const { configured: enabled, maxBytes, allowedTypes } = this.storage;
      const uploads = this.storage.announce ? { uploads: { enabled, maxBytes, allowedTypes } } : {};
      return json(200, { encryptedChannels: this.encrypted, messageEditWindowSecs: 900, ...uploads, pusher: { key: "app-key", options: { cluster: "local", channelAuthorization: endpoint("/api/pusher/auth"), userAuthentication: endpoint("/api/pusher/user-auth") } } });
    }
    const me = this.#user(call);
    if (!me) return error(401, "token_expired", "The token has expired");
    switch (route) {
      case "GET /api/me":
        return json(200, { id: me, email: null, profile: this.users.get(me) });
      case "POST /api/pusher/auth": {
        if (!Array.isArray(call.body?.channel_names)) return this.#auth(me, call.body);
        // Several channels in one call, as the API answers them: each on its own.
        const channels = {};
        for (const name of call.body.channel_names) {
          const one = this.#auth(me, { socket_id: call.body.socket_id, channel_name: name });
          channels[name] = one.status === 200 ? one.body : { error: { ...one.body.error, status: one.status } };
        }
        return json(200, { channels });
      }
      case "GET /api/messages/private":
      case "GET /api/messages/room":
        return this.#page(me, call.query);
      case "POST /api/messages/private":
      case "POST /api/messages/room":
        return this.#send(me, call);
      case "POST /api/messages/read":
        return this.#read(me, call);
      case "POST /api/typing": {
        // As the API does: a start says when it ends, and a read position it carries is marked
        // read and announced with the typing folded into its message-read.
        const { key, channel } = this.#conversation(me, call.body);
        const typing = call.body.typing;
        const data = { at: new Date().toISOString(), userId: me, userName: `${this.users.get(me).firstName} ${this.users.get(me).lastName}`, conversationId: key, chatId: key, ...(typing ? { expiresInMs: 6000 } : {}) };
        const receipt = call.body.readUpToSeq != null ? this.markRead(me, call.body, call.body.readUpToSeq) : null;
        const except = call.headers["X-Pusher-Socket-Id"];
        // The API's throttle: one start a second per user and conversation (the read still counts).
        const bucket = `${me}:${key}`;
        if (typing && Date.now() - (this.lastStart.get(bucket) ?? -Infinity) < 1000) {
          if (receipt?.event) this.network.publish(this.wire(channel), "message-read", receipt.event, except);
          this.typingCalls.push({ userId: me, typing, readUpToSeq: call.body.readUpToSeq ?? null, throttled: true });
          return json(202, { sent: false, reason: "throttled", ...(receipt?.event ? { read: receipt.answer } : {}) });
        }
        if (typing) this.lastStart.set(bucket, Date.now());
        if (receipt?.event && typing) this.network.publish(this.wire(channel), "message-read", { ...receipt.event, typing: { ...data, typing: true } }, except);
        else {
          if (receipt?.event) this.network.publish(this.wire(channel), "message-read", receipt.event, except);
          this.network.publish(this.wire(channel), typing ? "typing-start" : "typing-stop", data, except);
        }
        this.typingCalls.push({ userId: me, typing, readUpToSeq: call.body.readUpToSeq ?? null });
        return json(202, { sent: true, ...(typing ? { expiresInMs: 6000 } : {}), ...(receipt?.event ? { read: receipt.answer } : {}) });
      }
      case "GET /api/conversations":
        return json(200, { conversations: this.#inbox(me) });
      case "POST /api/presence":
        return json(200, { status: call.body.status, changed: true });
      case "GET /api/messages/search": {
        const words = call.query.get("q").toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
        const mine = [...this.messages.values()].flat().filter((m) => m.senderId === me || m.receiverId === me);
        const found = mine.filter((m) => !m.deletedAt && words.every((w) => m.content.toLowerCase().split(/[^\p{L}\p{N}]+/u).some((x) => x.startsWith(w))));
        return json(200, { words, messages: structuredClone(found.reverse()), hasMore: false });
      }
      case "PATCH /api/messages":
      case "DELETE /api/messages": {
        const fields = call.method === "PATCH" ? { content: call.body.content, editedAt: new Date().toISOString() } : { content: "", deletedAt: new Date().toISOString() };
        const message = this.change(call.query.get("id"), fields);
        return message ? json(200, { message: structuredClone(message) }) : error(404, "not_found", "not found");
      }
      case "POST /api/messages/reactions":
      case "DELETE /api/messages/reactions": {
        const { messageId, emoji } = call.method === "POST" ? call.body : Object.fromEntries(call.query);
        const answer = this.react(me, messageId, emoji, call.method === "POST", { exceptSocket: call.headers["X-Pusher-Socket-Id"] });
        return answer ? json(call.method === "POST" ? 201 : 200, answer) : error(404, "not_found", "not found");
      }
      case "POST /api/uploads":
        return this.#presign(me, call.body);
      case "GET /api/files":
        return this.#fileLink(me, call.query);
      case "PUT /api/rooms":
        return json(200, { joined: call.query.get("roomId"), alreadyMember: false });
      case "DELETE /api/rooms":
        return json(200, { left: call.query.get("roomId") });
      default:
        return error(404, "not_found", "not found");
    }
  }

  #conversation(me, { chatId, roomId, receiverId }) {
    if (roomId) return { key: `room:${roomId}`, channel: `private-room-${roomId}`, roomId };
    const other = chatId ?? receiverId;
    const [a, b] = me < other ? [me, other] : [other, me];
    return { key: `${a}:${b}`, channel: `private-chat-${a}-${b}`, other };
  }

  #auth(me, { socket_id: socketId, channel_name: wireName }) {
    if (!/^\d+\.\d+$/.test(socketId ?? "")) return error(400, "invalid_socket_id", "bad socket id");
    const auth = `app-key:sig-${socketId}-${wireName}`;
    const name = wireName.replace(/^private-encrypted-/, "private-");
    if (this.wire(name) !== wireName) return error(403, "encrypted_channel_required", `${wireName} is not this server's channel`);
    const chatWith = (other) => other !== me && name === this.#conversation(me, { chatId: other }).channel;
    if ([...this.users.keys()].some(chatWith)) return json(200, { auth });
    if (name === `private-notifications-${me}`) return json(200, { auth });
    const room = /^private-room-(.+)$/.exec(name);
    if (room && this.rooms.get(room[1])?.includes(me)) return json(200, { auth });
    const openChat = (other) => other !== me && name === this.#conversation(me, { chatId: other }).channel.replace(/^private-chat-/, "presence-chat-");
    const presence = /^presence-user-(.+)$/.exec(name);
    if ((presence && (presence[1] === me || this.messages.get(this.key(me, presence[1]))?.length)) || [...this.users.keys()].some(openChat)) {
      for (const p of this.network.pushers) if (p.connection.socket_id === socketId) p.userId = me;
      return json(200, { auth, channel_data: JSON.stringify({ user_id: me, user_info: { name: me } }) });
    }
    return error(403, "channel_forbidden", `You may not subscribe to ${name}`);
  }

  #page(me, query) {
    const other = query.get("chatId");
    const key = query.has("roomId") ? `room:${query.get("roomId")}` : this.key(me, other);
    const room = query.get("roomId");
    if (room && this.rooms.has(room) && !this.rooms.get(room).includes(me)) return error(403, "not_a_member", "you are not a member of this room");
    if (other && !this.users.has(other)) return error(404, "not_found", "not found");
    const all = this.messages.get(key) ?? [];
    const limit = Number(query.get("limit") ?? 50);
    let page;
    let hasMore;
    const changeSeq = this.changeSeqs.get(key) ?? 0;
    if (query.has("changedAfter")) {
      const changed = all.filter((m) => (m.changeSeq ?? 0) > Number(query.get("changedAfter"))).sort((a, b) => a.changeSeq - b.changeSeq);
      page = changed.slice(0, limit);
      hasMore = changed.length > limit;
      return json(200, { chatId: key, messages: structuredClone(page), hasMore, changeSeq, cursor: { changedAfter: page.at(-1)?.changeSeq ?? null } });
    }
    if (query.has("after")) {
      const newer = all.filter((m) => m.seq > Number(query.get("after")));
      page = newer.slice(0, limit);
      hasMore = newer.length > limit;
    } else {
      const older = query.has("before") ? all.filter((m) => m.seq < Number(query.get("before"))) : all;
      page = older.slice(-limit);
      hasMore = older.length > limit;
    }
    return json(200, { chatId: key, messages: structuredClone(page), hasMore, changeSeq, cursor: { before: page[0]?.seq ?? null, after: page.at(-1)?.seq ?? null } });
  }

  /** An edit or deletion as the API makes it: the next change number, and (unless `silent`) the event. */
  change(messageId, fields, { silent = false } = {}) {
    for (const [key, list] of this.messages) {
      const message = list.find((m) => m.id === messageId);
      if (!message) continue;
      const changeSeq = (this.changeSeqs.get(key) ?? 0) + 1;
      this.changeSeqs.set(key, changeSeq);
      Object.assign(message, fields, { changeSeq });
      const channel = message.roomId ? `private-room-${message.roomId}` : this.#conversation(message.senderId, { chatId: message.receiverId }).channel;
      if (!silent) {
        const name = fields.deletedAt ? "message-deleted" : "message-updated";
        this.network.publish(this.wire(channel), name, structuredClone(message));
        if (message.receiverId) this.network.publish(this.wire(`private-notifications-${message.receiverId}`), name, structuredClone(message));
      }
      return message;
    }
    return null;
  }

  /** A reaction change as the API makes it (its event skips the caller's own socket, as the API's does). */
  react(userId, messageId, emoji, added, { silent = false, exceptSocket } = {}) {
    for (const [key, list] of this.messages) {
      const message = list.find((m) => m.id === messageId);
      if (!message) continue;
      const changeSeq = (this.changeSeqs.get(key) ?? 0) + 1;
      this.changeSeqs.set(key, changeSeq);
      const users = new Set(message.reactedBy?.[emoji] ?? []);
      added ? users.add(userId) : users.delete(userId);
      message.reactedBy = { ...message.reactedBy, [emoji]: [...users] };
      message.changeSeq = changeSeq;
      const channel = message.roomId ? `private-room-${message.roomId}` : this.#conversation(message.senderId, { chatId: message.receiverId }).channel;
      const event = { messageId, conversationId: key, chatId: key, seq: message.seq, emoji, userId, count: users.size, changeSeq };
      if (!silent) this.network.publish(this.wire(channel), added ? "reaction-added" : "reaction-removed", event, exceptSocket);
      return { messageId, emoji, changed: true, reactions: Object.entries(message.reactedBy).filter(([, u]) => u.length).map(([e, u]) => ({ emoji: e, count: u.length, mine: u.includes(userId) })) };
    }
    return null;
  }

  /** Stores a message as the server would (also used by tests to "send" from elsewhere). */
  store(senderId, { receiverId = null, roomId = null, content, clientMessageId = null, type = "TEXT", file = null }) {
    const key = roomId ? `room:${roomId}` : this.key(senderId, receiverId);
    const list = this.messages.get(key) ?? [];
    this.messages.set(key, list);
    const message = {
      id: `m${++this.#ids}`,
      seq: list.length + 1,
      conversationId: key,
      chatId: key,
      clientMessageId,
      senderId,
      receiverId,
      roomId,
      content,
      type,
      ...(file ? { file: { ...file, url: `/api/files?messageId=m${this.#ids}` } } : {}),
      createdAt: new Date(1_700_000_000_000 + this.#ids * 1000).toISOString(),
      isRead: false,
      readAt: null,
      sender: this.users.get(senderId),
    };
    list.push(message);
    return message;
  }

  /** Stores and publishes, like POST /api/messages/private from another device. */
  deliver(senderId, fields, exceptSocket) {
    const message = this.store(senderId, fields);
    const { channel } = this.#conversation(senderId, fields);
    this.network.publish(this.wire(channel), "new-message", message, exceptSocket);
    // As the API does: no copy for the inbox channel of a receiver who has the chat open, as far as
    // the webhooks have told it (they arrive `webhookDelay` ms after the fact).
    const presenceChat = channel.replace(/^private-chat-/, "presence-chat-");
    const told = this.network.presenceLog.filter((e) => e.channel === presenceChat && e.userId === message.receiverId && e.at <= Date.now() - this.webhookDelay);
    const open = told.at(-1)?.present === true;
    if (message.receiverId && !open) this.network.publish(this.wire(`private-notifications-${message.receiverId}`), "new-message", message, exceptSocket);
    return message;
  }

  #send(me, call) {
    const { receiverId, roomId, content, clientMessageId } = call.body;
    if (receiverId && !this.users.has(receiverId)) return error(422, "receiver_not_found", "receiverId is not a known user");
    const key = roomId ? `room:${roomId}` : this.key(me, receiverId);
    const repeat = (this.messages.get(key) ?? []).find((m) => m.senderId === me && m.clientMessageId === clientMessageId);
    if (repeat) return json(200, { message: repeat });
    const fields = { receiverId: receiverId ?? null, roomId: roomId ?? null, content, clientMessageId };
    if (call.body.type === "FILE" && call.body.uploadId) {
      // As the API does: the object must be there, as declared, the sender's, for this conversation, unused.
      const upload = this.storage.uploads.get(call.body.uploadId);
      if (!upload || upload.uploader !== me || upload.conversation !== key || !upload.stored || upload.used)
        return error(422, "invalid_upload", "uploadId names no finished upload of yours in this conversation");
      upload.used = true;
      const image = upload.contentType.startsWith("image/") && call.body.width && call.body.height;
      fields.type = "FILE";
      fields.content = content || upload.fileName; // as the API does: the name is the text without a caption
      fields.file = { name: upload.fileName, size: upload.size, contentType: upload.contentType, width: image ? call.body.width : null, height: image ? call.body.height : null };
    }
    const message = this.deliver(me, fields, call.headers["X-Pusher-Socket-Id"]);
    return json(201, { message });
  }

  /** POST /api/uploads: a participant's presigned PUT, or the refusals the API makes before any byte. */
  #presign(me, { chatId, roomId, conversationId, fileName, contentType, size } = {}) {
    if (!this.storage.configured) return error(501, "storage_disabled", "File uploads are not configured on this server");
    const target = conversationId ?? (roomId ? `room:${roomId}` : chatId && this.key(me, chatId));
    if (!target || (roomId && !this.rooms.get(roomId)?.includes(me)) || (chatId && !this.users.has(chatId))) return error(404, "not_found", "not found");
    if (size > this.storage.maxBytes) return error(413, "file_too_large", `The file is over ${this.storage.maxBytes} bytes`);
    if (!this.storage.allowedTypes.some((t) => (t.endsWith("/*") ? contentType.startsWith(t.slice(0, -1)) : contentType === t))) return error(422, "file_type_not_allowed", `${contentType} is not accepted`);
    const id = `u${++this.#ids}`;
    const key = `conversations/${target}/${id}`;
    this.storage.uploads.set(id, { id, uploader: me, conversation: target, fileName, contentType, size, key, stored: false, used: false });
    const expiresAt = new Date(Date.now() + 600_000).toISOString();
    return json(201, { upload: { id, url: `${this.storage.origin}/bucket/${key}?X-Amz-Signature=sig-${id}`, method: "PUT", headers: { "Content-Type": contentType, "Content-Length": String(size) }, expiresAt } });
  }

  /** GET /api/files?messageId=&format=json: a short link for a participant. */
  #fileLink(me, query) {
    const message = [...this.messages.values()].flat().find((m) => m.id === query.get("messageId"));
    const participant = message && (message.senderId === me || message.receiverId === me || (message.roomId && this.rooms.get(message.roomId)?.includes(me)));
    if (!participant || !message.file) return error(404, "not_found", "not found");
    const n = ++this.storage.links;
    return json(200, { url: `${this.storage.origin}/bucket/${message.id}?X-Amz-Signature=get-${n}`, expiresAt: new Date(Date.now() + this.storage.linkSecs * 1000).toISOString() });
  }

  #read(me, call) {
    const { channel } = this.#conversation(me, call.body);
    const { event, answer } = this.markRead(me, call.body, call.body.upToSeq);
    if (event) this.network.publish(this.wire(channel), "message-read", event, call.headers["X-Pusher-Socket-Id"]);
    return json(200, answer);
  }

  /** Marks `me`'s received messages up to `upToSeq` read: the answer, and the event when any changed. */
  markRead(me, target, upToSeq) {
    const { key } = this.#conversation(me, target);
    const readAt = new Date().toISOString();
    const read = (this.messages.get(key) ?? []).filter((m) => m.senderId !== me && !m.isRead && m.seq <= upToSeq);
    for (const m of read) Object.assign(m, { isRead: true, readAt });
    const messageIds = read.map((m) => m.id);
    const event = messageIds.length ? { messageId: messageIds.at(-1), messageIds, readBy: me, readAt, conversationId: key, chatId: key, upToSeq } : null;
    return { event, answer: { readBy: me, readAt, messageIds } };
  }

  #inbox(me) {
    const out = [];
    for (const [key, list] of this.messages) {
      const [a, b] = key.split(":");
      if (a !== me && b !== me) continue;
      const other = a === me ? b : a;
      const unread = list.filter((m) => m.senderId !== me && !m.isRead).length;
      const [unreadCount, unreadCapped] = [Math.min(unread, 100), unread > 100];
      out.push({ chatId: key, kind: "private", otherUser: this.users.get(other), room: null, lastSeq: list.length, unreadCount, unreadCapped, lastMessage: list.at(-1), lastMessageAt: list.at(-1)?.createdAt ?? null });
    }
    return out;
  }
}

/** A server, a network and signed-in clients on them. */
export function world(users) {
  const network = new FakeNetwork();
  const server = new FakeServer(network, users);
  return { network, server };
}

/**
 * A ChatClient for `userId` on the fake world. Its tokens are `token:<userId>:<n>`, n counting
 * forced refreshes; errors are collected in `errors`. Resolves once connected (unless `connected`
 * is false: then the realtime connection stays `connecting`).
 */
export async function signedIn(ChatClient, { network, server }, userId, { connected = true, ...options } = {}) {
  const tokens = { refreshes: 0, calls: [] };
  const errors = [];
  const client = new ChatClient({
    baseUrl: "https://api.example",
    Pusher: network.Pusher,
    fetch: server.fetch,
    XMLHttpRequest: server.XMLHttpRequest,
    storage: memoryStorage(),
    window: null,
    document: null,
    getToken: async (opts) => {
      tokens.calls.push(opts);
      if (opts?.forceRefresh) tokens.refreshes++;
      return `token:${userId}:${tokens.refreshes}`;
    },
    onError: (err) => errors.push(err),
    ...options,
  });
  await client.connect();
  const pusher = network.pushers.at(-1);
  if (connected) pusher.connect();
  await settle();
  return { client, pusher, errors, tokens };
}
