// openInbox(): the user's conversation list.
import { eventConversation, notificationsChannel } from "./names.js";
import { Store } from "./store.js";

/** The most unread messages the API counts per conversation (`GET /api/conversations`). */
const UNREAD_CAP = 100;

/** @typedef {import("./util.js").Timer} Timer */

export const INBOX_TIMING = {
  inboxDelay: 150, // bursts of notifications refresh the inbox once
};

/**
 * The inbox (`GET /api/conversations`): loaded when it starts and after every reconnect, and kept
 * current by what happens meanwhile without asking the API again — news on the notifications
 * channel, messages the open conversations receive (a chat that is open gets its news there
 * only), and the user's own sends, reads, edits and deletions. Only what it cannot work out (a
 * conversation it does not list, a partial read, room changes) refreshes it.
 */
export class Inbox extends Store {
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
      "new-message": (m) => (this.heard(), this.#patch(m)),
      "message-updated": (m) => (this.heard(), this.#replace(m)),
      "message-deleted": (m) => (this.heard(), this.#replace(m)),
      "message-read": () => this.schedule(),
      "room-created": () => this.schedule(),
      // Once subscribed (and again after every reconnect): what came before the channel did.
      "pusher:subscription_succeeded": () => this.sync(),
    });
    this.cleanups.push(
      () => sub.unsubscribe(),
      this.ctx.emitter.on("activity", (what, detail) => this.#activity(what, detail)),
      () => clearTimeout(this.#timer),
    );
    return this.sync();
  }

  /** What the open conversations and the user's own calls tell (see the class comment). */
  #activity(what, detail) {
    if (what === "received") this.heard(); // live news, by way of an open conversation
    if (what === "received" || what === "sent") return this.#patch(detail);
    if (what === "edited" || what === "deleted") return this.#replace(detail);
    if (what === "read") return this.#read(detail);
    this.schedule();
  }

  /**
   * The user read a conversation up to `upToSeq`: none left unread if that covers its last message.
   * @param {{ conversationId?: string, upToSeq?: number }} [read]
   */
  #read({ conversationId, upToSeq } = {}) {
    const index = this.conversations.findIndex((c) => c.chatId === conversationId);
    const c = this.conversations[index];
    if (!c || upToSeq == null || !(upToSeq >= (c.lastSeq ?? Infinity))) return this.schedule();
    if (!c.unreadCount && !c.unreadCapped) return;
    this.conversations = this.conversations.map((x, i) => (i === index ? { ...x, unreadCount: 0, unreadCapped: false } : x));
    this.changed();
  }

  // A new message moves its conversation to the top with it as the preview; one from someone else
  // counts as unread until a read says otherwise. A conversation not listed yet comes with a refresh.
  #patch(m) {
    const key = eventConversation(m);
    const index = this.conversations.findIndex((c) => c.chatId === key);
    if (index < 0 || !Number.isFinite(m?.seq)) return this.schedule();
    const c = this.conversations[index];
    if (m.seq <= (c.lastSeq ?? 0)) return; // already shown (the same news by two ways)
    const own = m.senderId === this.client.me?.id;
    // The API counts unread messages up to 100 and says `unreadCapped` past it ("100+").
    const unread = (c.unreadCount ?? 0) + (own ? 0 : 1);
    const unreadCapped = !!c.unreadCapped || unread > UNREAD_CAP;
    const unreadCount = Math.min(unread, UNREAD_CAP);
    const updated = { ...c, lastMessage: m, lastSeq: m.seq, lastMessageAt: m.createdAt, unreadCount, unreadCapped };
    this.conversations = [updated, ...this.conversations.filter((_, i) => i !== index)];
    this.changed();
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
          const conversations = await this.ctx.api.conversations();
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
