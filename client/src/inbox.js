// openInbox(): the user's conversation list.
import { eventConversation, notificationsChannel } from "./names.js";
import { Store } from "./store.js";

/** @typedef {import("./util.js").Timer} Timer */

export const INBOX_TIMING = {
  inboxDelay: 150, // bursts of notifications refresh the inbox once
};

/**
 * The inbox (`GET /api/conversations`): patched at once by live notifications, then refreshed
 * after them and after own sends, reads, edits and room changes.
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
