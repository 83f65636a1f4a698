// pusher-chat browser client: a small, framework-free wrapper around the API and pusher-js that a
// Next.js (or any) frontend can use as is. It needs the global `Pusher` from pusher-js 8 (or pass
// `Pusher` in the options) and a function that returns the current Supabase access token.
//
//   const chat = new ChatClient({ getToken: async () => session.access_token });
//   await chat.connect();
//   const room = await chat.openChat(otherUserId, { onMessage, onRead, onTyping });
//   await chat.send(otherUserId, "hello");
//   room.close();
//
// Every message carries a per-conversation sequence number; after a reconnect the client asks for
// everything after the last one it has (`after=<seq>`), so a missed event never loses a message,
// and while the realtime connection is down it polls the same way every 5 seconds.

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code;
    this.body = body;
  }
}

const chatChannel = (a, b) => (a <= b ? `private-chat-${a}-${b}` : `private-chat-${b}-${a}`);

export class ChatClient {
  constructor({ baseUrl = "", getToken, Pusher: PusherClass = globalThis.Pusher } = {}) {
    this.baseUrl = baseUrl;
    this.getToken = getToken;
    this.PusherClass = PusherClass;
    this.pusher = null;
    this.me = null;
  }

  async api(path, { json, method, headers = {} } = {}) {
    const token = await this.getToken();
    const all = { ...headers, Authorization: `Bearer ${token}` };
    const init = { method: method || (json === undefined ? "GET" : "POST"), headers: all };
    if (json !== undefined) {
      all["Content-Type"] = "application/json";
      init.body = JSON.stringify(json);
    }
    // Leave this tab's own connection out of the events its requests cause.
    if (this.pusher?.connection.socket_id) all["X-Pusher-Socket-Id"] = this.pusher.connection.socket_id;
    const response = await fetch(`${this.baseUrl}${path}`, init);
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new ApiError(response.status, body);
    return body;
  }

  /** Signs in, reads the public Pusher settings and connects; subscribes the user's own channels. */
  async connect({ onNotification } = {}) {
    this.me = await this.api("/api/me");
    const { pusher } = await this.api("/api/config");
    const token = await this.getToken();
    const auth = { headers: { Authorization: `Bearer ${token}` } };
    this.pusher = new this.PusherClass(pusher.key, {
      ...pusher.options,
      channelAuthorization: { ...pusher.options.channelAuthorization, ...auth },
      userAuthentication: { ...pusher.options.userAuthentication, ...auth },
    });
    // Being in one's own presence channel is what "online" means to contacts.
    this.pusher.subscribe(`presence-user-${this.me.id}`);
    const own = this.pusher.subscribe(`private-notifications-${this.me.id}`);
    if (onNotification) own.bind_global((event, data) => !event.startsWith("pusher") && onNotification(event, data));
    return this.me;
  }

  send(receiverId, content, extra = {}) {
    const clientMessageId = extra.clientMessageId || globalThis.crypto.randomUUID();
    return this.api("/api/messages/private", { json: { receiverId, content, clientMessageId, ...extra } }).then((b) => b.message);
  }

  /** A page of a 1:1 chat: `{before}` for history, `{after}` for sync, neither for the newest. */
  history(otherUserId, { before, after, limit } = {}) {
    const query = new URLSearchParams({ chatId: otherUserId });
    if (before !== undefined) query.set("before", before);
    if (after !== undefined) query.set("after", after);
    if (limit !== undefined) query.set("limit", limit);
    return this.api(`/api/messages/private?${query}`);
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

  /**
   * Follows one 1:1 chat: calls `onMessage` once per message (newest page first, then live ones, in
   * `seq` order, deduplicated), refills gaps after reconnects, and reports reads, typing and
   * presence. Returns `{ close, lastSeq }`.
   */
  async openChat(otherUserId, { onMessage, onRead, onTyping, onPresence, onError } = {}) {
    const seen = new Set();
    let lastSeq = 0;
    const deliver = (messages) => {
      for (const m of messages) {
        if (seen.has(m.id)) continue;
        seen.add(m.id);
        lastSeq = Math.max(lastSeq, m.seq);
        onMessage?.(m);
      }
    };
    const sync = () => this.history(otherUserId, { after: lastSeq, limit: 100 }).then((p) => deliver(p.messages)).catch(onError);

    const channel = this.pusher.subscribe(chatChannel(this.me.id, otherUserId));
    // An event too big for Pusher arrives without its text: fetch it.
    channel.bind("new-message", (m) => (m.truncated ? sync() : deliver([m])));
    channel.bind("message-read", (r) => onRead?.(r));
    channel.bind("typing-start", (t) => t.userId !== this.me.id && onTyping?.(t, true));
    channel.bind("typing-stop", (t) => t.userId !== this.me.id && onTyping?.(t, false));
    const onState = ({ previous, current }) => current === "connected" && previous !== "connecting" && sync();
    this.pusher.connection.bind("state_change", onState);
    // While the realtime connection is down, poll: messages keep arriving, just later.
    const poll = setInterval(() => this.pusher.connection.state !== "connected" && sync(), 5000);

    // Presence of a contact is allowed once a conversation exists; retried after messages.
    let presence = null;
    const watchPresence = () => {
      if (presence) this.pusher.unsubscribe(presence.name);
      presence = this.pusher.subscribe(`presence-user-${otherUserId}`);
      const report = () => onPresence?.(!!presence.members?.get(otherUserId));
      presence.bind("pusher:subscription_succeeded", report);
      presence.bind("pusher:subscription_error", () => (presence.refused = true));
      presence.bind("pusher:member_added", report);
      presence.bind("pusher:member_removed", report);
    };
    watchPresence();

    const page = await this.history(otherUserId).catch((err) => {
      onError?.(err);
      return { messages: [] };
    });
    deliver(page.messages);
    return {
      get lastSeq() {
        return lastSeq;
      },
      retryPresence: () => presence?.refused && watchPresence(),
      close: () => {
        clearInterval(poll);
        this.pusher.connection.unbind("state_change", onState);
        this.pusher.unsubscribe(channel.name);
        if (presence) this.pusher.unsubscribe(presence.name);
      },
    };
  }
}
