// The two kinds of people of the cost bench, with one interface the scenario drives:
//   open()             sign in and open the conversation (resolves once it is live and loaded)
//   keystroke()        one keystroke in the composer
//   send(text)         the send button
//   arrived(text)      resolves when a message with this text from someone else is shown
//   frames             what the socket received: billed deliveries by event, presence member
//                      events, and protocol frames Pusher does not bill (connection, subscription
//                      acknowledgements, pings and pongs, sign-in), all counted as they come
//   close()            the tab closes
//
// ProductParticipant is the project's client package (client/pusher-chat.js) used exactly as
// examples/nextjs uses it: ChatClient.connect() (sign-in), openInbox() (the inbox pane),
// openChat(contact) + watchPresence(contact) (the chat pane and its online badge) or openRoom(),
// notifyTyping() on every keystroke, send(), and markRead() whenever the messages change (the
// example marks what is on screen read while the tab is visible). Only its public API: when the
// package changes how it talks to the API, the same bench measures the new behaviour.
//
// SeedParticipant is a client of the seed's own design (pusher-js directly): it subscribes
// private-chat-{a}-{b} (or private-room-{id}), loads the history once, and per message makes the
// calls the seed's frontend makes: typing-start when a burst begins and typing-stop when it ends,
// the send, and a read receipt for every message that arrives ({messageIds}; in a room
// {roomId, upToSeq}, since {messageIds} marks only messages addressed to the reader).
import Pusher from "pusher-js";
import { pathToFileURL } from "node:url";

// The package of this checkout, or another one to compare (BENCH_COST_CLIENT: its pusher-chat.js).
const { ChatClient } = await import(
  process.env.BENCH_COST_CLIENT ? pathToFileURL(process.env.BENCH_COST_CLIENT).href : "../../client/pusher-chat.js"
);

// Frames Pusher does not count: the connection's own protocol and subscription acknowledgements.
const PROTOCOL = new Set([
  "pusher:connection_established",
  "pusher:pong",
  "pusher:ping",
  "pusher:error",
  "pusher:signin_success",
  "pusher_internal:subscription_succeeded",
  "pusher_internal:subscription_count",
  "pusher:cache_miss",
]);
const PRESENCE = new Set(["pusher_internal:member_added", "pusher_internal:member_removed"]);

const channelKind = (name) => (name ?? "").replace(/^(private-encrypted-|private-|presence-)?([a-z]+).*$/, "$1$2");

export class Frames {
  deliveries = {}; // "new-message @ private-chat" → n
  presence = 0;
  protocol = {}; // event → n: frames Pusher does not bill
  all = 0;

  count(message) {
    this.all++;
    const event = message?.event ?? "";
    if (PROTOCOL.has(event)) this.protocol[event] = (this.protocol[event] ?? 0) + 1;
    else if (PRESENCE.has(event)) this.presence++;
    else {
      const key = `${event} @ ${channelKind(message.channel)}`;
      this.deliveries[key] = (this.deliveries[key] ?? 0) + 1;
    }
  }
}

/** Waits for texts to show up: arrived(text) resolves once `saw(text)` has been called. */
class Arrivals {
  #seen = new Set();
  #waiting = new Map();

  saw(text) {
    if (this.#seen.has(text)) return;
    this.#seen.add(text);
    this.#waiting.get(text)?.forEach((resolve) => resolve());
    this.#waiting.delete(text);
  }

  arrived(text) {
    if (this.#seen.has(text)) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.set(text, [...(this.#waiting.get(text) ?? []), resolve]));
  }
}

const until = async (check, what, ms = 15000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

export class ProductParticipant {
  frames = new Frames();
  errors = [];
  #arrivals = new Arrivals();

  /** @param {{ apiBase: string, user: any, contactId?: string, roomId?: string }} options */
  constructor({ apiBase, user, contactId, roomId }) {
    this.user = user;
    this.contactId = contactId;
    this.roomId = roomId;
    this.client = new ChatClient({
      baseUrl: apiBase,
      Pusher,
      getToken: async () => user.token,
      onError: (err) => this.errors.push(`${err.operation ?? ""}: ${err.message}`),
    });
  }

  async open() {
    const client = this.client;
    await client.connect();
    client.pusher.connection.bind("message", (m) => this.frames.count(m));
    await client.pushStatus().catch(() => {}); // the header's push switch asks once
    this.inbox = client.openInbox();
    let shown = null;
    const onChange = (messages) => {
      if (messages === shown) return; // the example's effect runs when `messages` changes
      shown = messages;
      this.conversation?.markRead();
      for (const m of messages) if (m.senderId !== this.user.id && m.status === "sent") this.#arrivals.saw(m.content);
    };
    if (this.roomId) {
      this.conversation = client.openRoom(this.roomId, { onChange });
    } else {
      this.conversation = client.openChat(this.contactId, { onChange });
      this.presence = client.watchPresence(this.contactId);
    }
    await until(() => this.conversation.isConnected && !this.conversation.loading, `${this.user.name}'s conversation`);
  }

  keystroke() {
    this.conversation.notifyTyping();
  }

  send(text) {
    this.conversation.send(text).catch((err) => this.errors.push(`send: ${err.message}`));
  }

  arrived(text) {
    return this.#arrivals.arrived(text);
  }

  close() {
    this.presence?.close();
    this.conversation?.close();
    this.inbox?.close();
    this.client.close();
  }
}

const chatChannel = (a, b) => (a < b ? `private-chat-${a}-${b}` : `private-chat-${b}-${a}`);

export class SeedParticipant {
  frames = new Frames();
  errors = [];
  #arrivals = new Arrivals();
  #typing = false;

  /** @param {{ apiBase: string, pusher: { key: string, wsHost: string, wsPort: number }, user: any, contactId?: string, roomId?: string }} options */
  constructor({ apiBase, pusher, user, contactId, roomId }) {
    this.apiBase = apiBase;
    this.user = user;
    this.contactId = contactId;
    this.roomId = roomId;
    this.headers = { Authorization: `Bearer ${user.token}` };
    // The seed's frontend has the key at build time (NEXT_PUBLIC_PUSHER_KEY): no config call.
    this.pusher = new Pusher(pusher.key, {
      cluster: "local",
      wsHost: pusher.wsHost,
      wsPort: pusher.wsPort,
      forceTLS: false,
      enabledTransports: ["ws"],
      disableStats: true,
      channelAuthorization: { endpoint: `${apiBase}/api/pusher/auth`, transport: "ajax", headers: this.headers },
    });
    this.pusher.connection.bind("message", (m) => this.frames.count(m));
  }

  #call(method, path, body) {
    return fetch(`${this.apiBase}${path}`, {
      method,
      headers: { ...this.headers, ...(body ? { "Content-Type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(10000),
    }).then(async (r) => {
      const text = await r.text();
      if (!r.ok) throw new Error(`${method} ${path} answered ${r.status}: ${text.slice(0, 200)}`);
      return text ? JSON.parse(text) : null;
    });
  }

  #target() {
    return this.roomId ? { roomId: this.roomId } : { chatId: this.contactId };
  }

  async open() {
    const name = this.roomId ? `private-room-${this.roomId}` : chatChannel(this.user.id, this.contactId);
    const channel = this.pusher.subscribe(name);
    let subscribed = false;
    channel.bind("pusher:subscription_succeeded", () => (subscribed = true));
    channel.bind("pusher:subscription_error", (e) => this.errors.push(`subscribe: ${e?.status}`));
    channel.bind("new-message", (m) => {
      if (m.senderId === this.user.id) return; // its own send, echoed back (no socket exclusion)
      // A read receipt per message, as it arrives: the seed's {messageIds} in a 1:1 chat; in a
      // room (whose messages have no receiver for it to mark) the room's own form.
      const receipt = this.roomId ? { roomId: this.roomId, upToSeq: m.seq } : { messageIds: [m.id] };
      this.#call("POST", "/api/messages/read", receipt).catch((err) => this.errors.push(`read: ${err.message}`));
      this.#arrivals.saw(m.content);
    });
    const query = this.roomId ? `/api/messages/room?roomId=${this.roomId}` : `/api/messages/private?chatId=${this.contactId}`;
    await this.#call("GET", query);
    await until(() => subscribed, `${this.user.name}'s channel`);
  }

  keystroke() {
    if (this.#typing) return;
    this.#typing = true;
    this.#call("POST", "/api/typing", { ...this.#target(), typing: true }).catch((err) => this.errors.push(`typing: ${err.message}`));
  }

  send(text) {
    if (this.#typing) {
      this.#typing = false;
      this.#call("POST", "/api/typing", { ...this.#target(), typing: false }).catch((err) => this.errors.push(`typing: ${err.message}`));
    }
    const body = this.roomId ? { roomId: this.roomId, content: text } : { receiverId: this.contactId, content: text };
    this.#call("POST", this.roomId ? "/api/messages/room" : "/api/messages/private", body).catch((err) => this.errors.push(`send: ${err.message}`));
  }

  arrived(text) {
    return this.#arrivals.arrived(text);
  }

  close() {
    this.pusher.disconnect();
  }
}
