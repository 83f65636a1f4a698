// The base of conversations, the inbox and presence watches, and what the client shares with them.

/**
 * What a client gives the objects it hands out: its REST layer, error reporting (`report(err,
 * operation, ...stores)`), its events (`activity` tells the inbox of own sends, reads, edits),
 * the set of open stores, the outbox and the uploads, two nudges (polling may have changed; try a contact's
 * presence channel again) and `linger(fn, ms)`: run `fn` after `ms`, or at once when the client closes.
 * @typedef {{ api: import("./api.js").ChatApi, report: (err: any, operation: string, ...stores: any[]) => void,
 *   emitter: import("./emitter.js").Emitter, stores: Set<any>, outbox: import("./outbox.js").Outbox,
 *   uploads: import("./uploads.js").Uploads,
 *   pollingChanged: () => void, retryPresence: (userId: string) => void,
 *   linger: (fn: () => void, ms: number) => void }} Context
 */

/**
 * Shared lifecycle of the objects a client hands out: started once connect() has finished,
 * listeners for useSyncExternalStore, an error slot, and cleanups that close() runs.
 */
export class Store {
  #listeners = new Set();
  #handlers;

  /** @param {import("./client.js").ChatClient} client @param {Context} ctx @param {any} handlers */
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

  /** When news last came live (a message, a change, a receipt; not typing), for quietFor(). */
  #heardAt = -Infinity;

  heard() {
    this.#heardAt = Date.now();
  }

  /** No news has come live for `ms`: the client's safety sync is due (see ChatClient). */
  quietFor(ms) {
    return Date.now() - this.#heardAt >= ms;
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
