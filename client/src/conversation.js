// A 1:1 chat or a room: its messages (the server's, in seq order, then the user's own unsent ones
// from the outbox), kept gap-free by sync(). Changes to sent messages, typing and read receipts
// live in their own modules; a conversation composes them and routes its channel's events.
import { Changes } from "./changes.js";
import { conversationKey, eventConversation, presenceChatChannel, privateChatChannel, roomChannel, roomKey } from "./names.js";
import { unsentView } from "./outbox.js";
import { Reads } from "./reads.js";
import { Store } from "./store.js";
import { Timeline } from "./timeline.js";
import { Typing } from "./typing.js";
import { uploadView } from "./uploads.js";

/** @typedef {import("../pusher-chat.js").ChannelSubscription} Subscription */
/** @typedef {import("./presence.js").PresenceWatch} PresenceWatch */

export const CONVERSATION_TIMING = {
  // A closed 1:1 chat keeps its channel this much longer, passing its news to the inbox, while the
  // server learns (by webhook) that the chat is closed and sends news to the inbox channel again.
  chatLeaveGrace: 5000,
};

const PAGE_SIZE = 50;
const SYNC_PAGE_SIZE = 100;
const MAX_SYNC_PAGES = 20;

/** `messages` is a new array after every change; getSnapshot() a new object. */
export class Conversation extends Store {
  #timeline = new Timeline();
  /** @type {Changes} */
  #changes;
  /** @type {Typing} */
  #typing;
  /** @type {Reads} */
  #reads;
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
    /** Older messages exist (see loadOlder()). */
    this.hasMore = false;
    this.loading = true;
    this.#changes = new Changes(this, this.#timeline);
    this.#reads = new Reads(this, this.#timeline);
    this.#typing = new Typing(this, this.#reads);
    this.#snapshot = this.#buildSnapshot();
  }

  start() {
    const me = this.client.me.id;
    this.key = this.kind === "room" ? roomKey(this.id) : conversationKey(me, this.id);
    this.channelName = this.kind === "room" ? roomChannel(this.id) : privateChatChannel(me, this.id);
    const news = (fn) => (data) => this.#accepts(data) && (this.heard(), fn(data));
    const sub = this.client.subscribe(this.channelName, {
      "new-message": news((m) => this.#onMessage(m)),
      "message-updated": news((m) => this.#changes.message(m)),
      "message-deleted": news((m) => this.#changes.message(m)),
      "reaction-added": news((r) => this.#changes.reaction(r, true)),
      "reaction-removed": news((r) => this.#changes.reaction(r, false)),
      "message-read": news((r) => !this.closed && this.#onRead(r)),
      "typing-start": (t) => this.#accepts(t) && this.#typing.receive(t, true),
      "typing-stop": (t) => this.#accepts(t) && this.#typing.receive(t, false),
      // Also after every reconnect: pusher-js subscribes again.
      "pusher:subscription_succeeded": () => this.sync(),
    });
    this.#sub = sub;
    this.cleanups.push(
      this.client.on("state", () => this.changed()),
      sub.onChange(() => (sub.status === "failed" ? this.failed(sub.error) : this.changed())),
    );
    if (this.kind === "private") {
      // Membership of the chat's presence channel tells the server this chat is open here, so
      // its news comes on the chat channel only (docs/cost.md). It carries no events.
      const open = this.client.subscribe(presenceChatChannel(me, this.id), {});
      this.cleanups.push(() => open.unsubscribe());
      this.cleanups.push(() => this.ctx.linger(() => sub.unsubscribe(), this.client.timing.chatLeaveGrace));
    } else {
      this.cleanups.push(() => sub.unsubscribe());
    }
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
      const page = await this.ctx.api.page(this.kind, this.id, { limit: PAGE_SIZE });
      if (this.closed) return;
      this.#loaded = true;
      this.hasMore = page.hasMore;
      this.#changes.caughtUpTo(page.changeSeq);
      // The newest page has no holes: everything up to its last message is here.
      this.lastSeq = Math.max(this.lastSeq, page.messages.at(-1)?.seq ?? 0);
      this.error = null;
      this.#receive(page.messages, true);
      this.#reads.resend();
    } catch (err) {
      if (!this.closed) this.ctx.report(err, "load", this);
    } finally {
      this.#loadingNewest = null;
      this.loading = false;
      this.changed();
      this.ctx.pollingChanged();
    }
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
      const known = this.#timeline.get(m.id);
      if (known) {
        if (m.isRead && !known.isRead) this.#timeline.replace(known, { isRead: true, readAt: m.readAt });
        continue;
      }
      const view = { ...m, localId: m.senderId === me && m.clientMessageId ? m.clientMessageId : m.id, status: "sent" };
      this.#timeline.insert(view);
      added.push(view);
      if (m.senderId !== me) this.#typing.clear(m.senderId);
      if (m.senderId === me && m.clientMessageId) this.ctx.outbox.confirm(m.clientMessageId, m);
    }
    while (this.#timeline.hasSeq(this.lastSeq + 1)) this.lastSeq++;
    if (live && this.#loaded && (hole || (this.#timeline.messages.at(-1)?.seq ?? 0) > this.lastSeq)) this.sync();
    if (!added.length) return this.changed();
    this.error = null;
    if (this.kind === "private") this.ctx.retryPresence(this.id);
    this.changed();
    const hidden = (m) => this.kind === "room" && this.client.isBlocked?.(m.senderId);
    for (const m of added.sort((a, b) => a.seq - b.seq)) if (!hidden(m)) this.handlers.onMessage?.(m);
  }

  /** A live `new-message`: the inbox hears of it too (the chat channel is its only copy here). */
  #onMessage(m) {
    this.ctx.emitter.emit("activity", "received", m);
    if (!this.closed) this.#receive([m], true);
  }

  #onRead(r) {
    this.#reads.receive(r);
    // A receipt that came with its reader's typing (the typing call carried the read position).
    if (r.typing && typeof r.typing === "object") this.#typing.receive(r.typing, true);
    this.changed();
    this.handlers.onRead?.(r);
  }

  // --- Edit, delete, react ---------------------------------------------------------------------

  /** Changes the text of one of the user's own messages (within the server's edit window). */
  edit(messageId, content) {
    return this.#changes.change(messageId, "PATCH", { content });
  }

  /** Takes back one of the user's own messages: it stays at its seq as a tombstone. */
  delete(messageId) {
    return this.#changes.change(messageId, "DELETE");
  }

  /** Adds the user's `emoji` reaction to a message. */
  react(messageId, emoji) {
    return this.#changes.react(messageId, emoji, true);
  }

  /** Takes the user's `emoji` reaction back. */
  unreact(messageId, emoji) {
    return this.#changes.react(messageId, emoji, false);
  }

  /** The conversation's change counter (edits, deletions, reactions) this view has caught up to. */
  get changeSeq() {
    return this.#changes.seq;
  }

  /** Fetches everything after lastSeq; concurrent calls coalesce into one more round. */
  sync() {
    if (this.closed || !this.#sub || this.#refusedRoom()) return Promise.resolve();
    if (!this.#loaded) return (this.#loadingNewest ??= this.#loadNewest());
    if (this.#syncing) {
      this.#syncAgain = true;
      return this.#syncing;
    }
    this.#syncing = (async () => {
      try {
        do {
          this.#syncAgain = false;
          let counter;
          for (let i = 0; i < MAX_SYNC_PAGES && !this.closed; i++) {
            const from = this.lastSeq;
            const page = await this.ctx.api.page(this.kind, this.id, { after: from, limit: SYNC_PAGE_SIZE });
            if (this.closed) return;
            counter = page.changeSeq;
            this.#receive(page.messages, false);
            // A room's pages leave out blocked users' messages: the last page has every message
            // up to its newest, so their numbers are no hole.
            if (this.kind === "room" && !page.hasMore) this.lastSeq = Math.max(this.lastSeq, page.messages.at(-1)?.seq ?? 0);
            if (!page.hasMore || this.lastSeq === from) break;
          }
          await this.#changes.catchUp(counter);
        } while (this.#syncAgain && !this.closed);
        if (this.closed) return;
        this.#recovered("sync");
        this.#reads.resend();
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

  /**
   * Polls while the conversation has no live channel (connection down or subscription refused),
   * except a room whose channel refused the user (see #refusedRoom).
   */
  needsPolling() {
    return this.#loaded && !this.closed && !this.isConnected && !this.#refusedRoom();
  }

  /**
   * A room whose channel answered 403: the user left it or was removed. It keeps what it shows
   * and asks the API nothing more (every call would be refused) unless the channel is authorized
   * again.
   */
  #refusedRoom() {
    return this.kind === "room" && this.#sub?.status === "failed" && this.#sub.error?.status === 403;
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
    return this.#typing.users;
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

  /** Collapsed views of muted users' messages, one per message object (stable for snapshots). */
  #collapsed = new WeakMap();

  /**
   * What the view shows of the timeline: in a room, a blocked user's messages (which arrive live;
   * the API leaves them out of pages) are left out, and a muted user's come as `collapsed: true`.
   */
  #shown(messages) {
    if (this.kind !== "room") return messages;
    const client = this.client;
    if (!client.isBlocked || !client.isMuted) return messages;
    return messages
      .filter((m) => !client.isBlocked(m.senderId))
      .map((m) => {
        if (!client.isMuted(m.senderId)) return m;
        let view = this.#collapsed.get(m);
        if (!view) this.#collapsed.set(m, (view = { ...m, collapsed: true }));
        return view;
      });
  }

  #buildSnapshot() {
    const confirmed = this.#shown(this.#timeline.messages);
    const uploads = this.ctx.uploads.entriesFor(this.kind, this.id).filter((e) => !this.#timeline.hasClientId(e.localId));
    // An upload's own message shows as the upload (with its file) until the server has it.
    const outgoing = this.ctx.outbox
      .entriesFor(this.kind, this.id)
      .filter((e) => !this.#timeline.hasClientId(e.localId) && !this.ctx.uploads.has(e.localId))
      .map((e) => unsentView(e, this))
      .concat(uploads.map((e) => uploadView(e, this)));
    const previous = this.#snapshot?.messages;
    const unchanged =
      previous?.length === confirmed.length + outgoing.length &&
      confirmed.every((m, i) => previous[i] === m) &&
      outgoing.every((m, i) => previous[confirmed.length + i] === m);
    return {
      messages: unchanged ? previous : [...confirmed, ...outgoing],
      typingUsers: this.#typing.users,
      isConnected: this.isConnected,
      error: this.error,
      hasMore: this.hasMore,
      loading: this.loading,
      lastSeq: this.lastSeq,
    };
  }

  outboxSent(message) {
    if (this.#sub) this.#receive([message], true);
  }

  /**
   * Shows the message at once (`pending`) and sends it; resolves with the sent message, rejects
   * when the server refuses it (it then stays as `failed`, see retry()).
   */
  send(content, extra = {}) {
    this.#typing.sent();
    const { promise } = this.ctx.outbox.add(this.kind, this.id, content, extra);
    promise.catch(() => {}); // the failure also reaches onError and the message's status
    return promise;
  }

  /** Sends a failed message (or upload) again with the same clientMessageId. */
  retry(localId) {
    const promise = this.ctx.uploads.has(localId) ? this.ctx.uploads.retry(localId) : this.ctx.outbox.retry(localId);
    promise.catch(() => {});
    return promise;
  }

  /**
   * Sends a file: it shows at once as a `pending` FILE message whose `upload` tells the bytes sent
   * (also to `onProgress`), its bytes go straight to the storage, then the message is sent.
   * Resolves with the stored message; rejects at once, with nothing shown, when the file is over
   * the API's limit or the API refuses it; a failed upload stays as `failed` (see retry()).
   * @param {Blob & { name?: string }} file @param {Record<string, any>} [options]
   */
  sendFile(file, options = {}) {
    this.#typing.sent();
    const promise = this.ctx.uploads.add(this.kind, this.id, file, options);
    promise.catch(() => {}); // the failure also reaches onError and the message's status
    return promise;
  }

  /** Stops an upload whose bytes are going up: it leaves the timeline. Whether one was stopped. */
  cancelUpload(localId) {
    return this.ctx.uploads.cancel(localId);
  }

  /** Forgets a failed message or upload (it was never stored). Whether one was there. */
  discard(localId) {
    return this.ctx.uploads.discard(localId) || this.ctx.outbox.discard(localId);
  }

  /**
   * The user has seen the message with this seq: one read call per readDelay with the highest,
   * one at a time. A read that failed goes again when marked again, or with the next sync that works
   * (after a reconnect, back online, visible again).
   */
  markVisible(seq) {
    if (this.closed) return;
    this.#reads.markVisible(seq);
  }

  /** Marks everything received so far as read. */
  markRead(upToSeq = this.#timeline.messages.at(-1)?.seq ?? 0) {
    this.markVisible(upToSeq);
  }

  /** Call on every keystroke: one typing-start per burst (again every typingRefresh while it lasts); it expires by itself. */
  notifyTyping() {
    if (this.closed || !this.#sub) return;
    this.#typing.notify();
  }

  /** The user stopped typing on purpose (e.g. cleared the input): a typing-stop if a start went out. */
  stopTyping() {
    this.#typing.stop();
  }

  /** Loads the page before the oldest message held; resolves with the messages added. */
  loadOlder(limit = PAGE_SIZE) {
    if (this.#loadingOlder) return this.#loadingOlder;
    const before = this.#timeline.messages[0]?.seq;
    if (this.closed || !this.#loaded || !this.hasMore || !before) return Promise.resolve([]);
    const loading = (async () => {
      try {
        const page = await this.ctx.api.page(this.kind, this.id, { before, limit });
        if (this.closed) return [];
        this.hasMore = page.hasMore;
        const fresh = page.messages.filter((m) => !this.#timeline.get(m.id));
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
    this.#typing.close();
    this.#reads.close();
    super.close();
  }
}
