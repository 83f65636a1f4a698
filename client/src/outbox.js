// The outbox: own messages on their way to the server, in order, surviving offline spells and
// reloads (persisted per user), each settled by the server's answer or by seeing it in a sync.
import { ApiError } from "./errors.js";
import { newClientMessageId } from "./ids.js";

/**
 * Sends in order, one at a time. A send made offline (or whose request got no answer) stays
 * `pending` and is persisted, so it goes out once back online, even after a reload; a send the
 * server refuses becomes `failed` until retry(), which keeps its clientMessageId.
 */
export class Outbox {
  #api;
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

  constructor({ api, storage, isOffline, report, failed, changed, sent }) {
    this.#api = api;
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

  /**
   * Queues a message to `target` (the other user, or the room); `extra` may carry its clientMessageId.
   * `local` are fields the pending message shows but the request does not carry (a file's name and size).
   * @param {"private" | "room"} kind @param {string} target @param {string} content @param {Record<string, any>} extra
   * @param {Record<string, any>} [local]
   */
  add(kind, target, content, { clientMessageId, ...extra }, local = {}) {
    const entry = {
      localId: clientMessageId || newClientMessageId(),
      kind,
      target,
      content,
      extra,
      local,
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

  /** Forgets a failed message (it was never stored): it leaves the timeline. */
  discard(localId) {
    const entry = this.#entries.find((e) => e.localId === localId);
    if (!entry || entry.status !== "failed") return false;
    this.#entries.splice(this.#entries.indexOf(entry), 1);
    this.#persist();
    this.#changed(entry);
    return true;
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
    return this.#api.sendMessage(kind, target, content, { ...extra, clientMessageId: localId });
  }

  #persist() {
    if (!this.#storage || !this.#key) return;
    const pending = this.#entries.filter((e) => e.status === "pending").map(({ localId, kind, target, content, extra, local, createdAt }) => ({ localId, kind, target, content, extra, local, createdAt }));
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

/**
 * An outbox entry as the message a conversation shows (`pending` or `failed`): the same object
 * while its status holds, so an unchanged list stays the same array.
 * @param {any} entry @param {import("./conversation.js").Conversation} conversation
 */
export function unsentView(entry, conversation) {
  if (entry.view?.status === entry.status && entry.view.error === entry.error) return entry.view;
  const { kind, id } = conversation;
  const me = conversation.client.me;
  entry.view = {
    ...entry.extra,
    ...entry.local,
    id: null,
    seq: null,
    localId: entry.localId,
    clientMessageId: entry.localId,
    senderId: me?.id ?? null,
    receiverId: kind === "private" ? id : null,
    roomId: kind === "room" ? id : null,
    content: entry.content,
    type: entry.extra?.type ?? "TEXT",
    createdAt: entry.createdAt,
    isRead: false,
    readAt: null,
    sender: me?.profile ?? null,
    status: entry.status,
    error: entry.error,
    retry: () => conversation.retry(entry.localId),
    discard: () => conversation.discard(entry.localId),
  };
  return entry.view;
}
