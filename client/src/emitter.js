// A minimal event emitter: the client's own events (state, error, notification, activity).

export class Emitter {
  #listeners = new Map();

  /** Adds a listener; the returned function removes it. */
  on(event, fn) {
    if (!this.#listeners.has(event)) this.#listeners.set(event, new Set());
    this.#listeners.get(event).add(fn);
    return () => void this.#listeners.get(event)?.delete(fn);
  }

  emit(event, ...args) {
    for (const fn of [...(this.#listeners.get(event) ?? [])]) fn(...args);
  }

  count(event) {
    return this.#listeners.get(event)?.size ?? 0;
  }
}
