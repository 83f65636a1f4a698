// The lifecycle every object a client hands out shares (conversations, the inbox, presence
// watches): started once connect() has finished, listeners for useSyncExternalStore, an error
// slot, and cleanups that close() runs.

/** Shared lifecycle of the objects a client hands out: started after connect(), ended by close(). */
export class Store {
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
