// watchPresence(): a user's presence channel, read as online or not.
import { presenceChannel } from "./names.js";
import { Store } from "./store.js";

/** @typedef {import("../pusher-chat.js").ChannelSubscription} Subscription */

/** Whether a user is connected (`online`: a member of their presence channel) and their last announced status. */
export class PresenceWatch extends Store {
  /** @type {{ online: boolean, status: string | null, lastActive: string | null, error: any }} */
  #snapshot = { online: false, status: null, lastActive: null, error: null };
  /** @type {Subscription | null} */
  #sub = null;

  constructor(client, ctx, userId, handlers) {
    super(client, ctx, handlers);
    this.userId = userId;
    this.online = false;
    /** @type {string | null} */
    this.status = null;
    /** @type {string | null} */
    this.lastActive = null;
  }

  start() {
    const update = () => this.#update();
    const sub = this.client.subscribe(presenceChannel(this.userId), {
      "pusher:subscription_succeeded": update,
      "pusher:member_added": update,
      "pusher:member_removed": update,
      "user-status-change": (s) => {
        if (s?.userId !== this.userId) return;
        this.status = s.status;
        this.lastActive = s.lastActive ?? null;
        this.#update();
      },
    });
    this.#sub = sub;
    this.cleanups.push(sub.onChange(update), () => sub.unsubscribe());
    this.#update();
  }

  #update() {
    this.online = !!this.#sub?.channel?.members?.get(this.userId);
    this.error = this.#sub?.status === "failed" ? this.#sub.error : null;
    this.changed();
  }

  getSnapshot = () => this.#snapshot;

  changed() {
    const s = this.#snapshot;
    if (s.online === this.online && s.status === this.status && s.lastActive === this.lastActive && s.error === this.error) return;
    this.#snapshot = { online: this.online, status: this.status, lastActive: this.lastActive, error: this.error };
    this.handlers.onChange?.(this.#snapshot);
    this.notify();
  }

  retry() {
    this.#sub?.retry();
  }
}
