// Channels shared by reference count: one ChannelEntry per channel name, one ChannelSubscription
// per follower, so two components (or a strict-mode remount) can follow the same channel.
import { RealtimeError } from "./errors.js";

/** One channel shared by every handle that follows it. */
export class ChannelEntry {
  constructor(name, hooks) {
    this.name = name;
    this.hooks = hooks;
    this.handles = new Set();
    /** The name pusher-js subscribes to (an encrypted twin of `name`, or `name`). */
    this.wire = name;
    this.channel = null;
    this.pusher = null;
    this.status = "pending";
    this.error = null;
    this.dispatch = (event, data) => {
      if (event === "pusher:subscription_succeeded") this.#setStatus("subscribed", null);
      if (event === "pusher:subscription_error") {
        const cause = this.hooks.failure();
        const status = cause?.status ?? data?.status;
        const reason = cause?.message ?? data?.error ?? data?.type ?? "refused";
        const err = new RealtimeError(`Subscription to ${this.name} failed${status ? ` (${status})` : ""}: ${reason}`, { channel: this.name, status, data, cause });
        this.#setStatus("failed", err);
        this.hooks.report(err);
      }
      for (const handle of [...this.handles]) handle.deliver(event, data);
    };
    this.onConnection = ({ current }) => current !== "connected" && this.status === "subscribed" && this.#setStatus("pending", null);
  }

  #setStatus(status, error) {
    this.status = status;
    this.error = error;
    this.hooks.changed();
    for (const handle of [...this.handles]) handle.changed();
  }

  attach(pusher, wire = this.name) {
    this.pusher = pusher;
    this.wire = wire;
    this.channel = pusher.subscribe(this.wire);
    this.channel.bind_global(this.dispatch);
    // pusher-js leaves every channel when the connection drops and subscribes again once back.
    pusher.connection.bind("state_change", this.onConnection);
    if (this.channel.subscribed) this.#setStatus("subscribed", null);
  }

  detach(pusher) {
    if (!this.channel || !pusher) return;
    this.channel.unbind_global(this.dispatch);
    pusher.connection.unbind("state_change", this.onConnection);
    pusher.unsubscribe(this.wire);
    this.channel = null;
  }

  retry() {
    if (this.status !== "failed" || !this.pusher) return;
    this.#setStatus("pending", null);
    this.pusher.subscribe(this.wire);
  }

  add(events) {
    const handle = new ChannelSubscription(this, events);
    this.handles.add(handle);
    return handle;
  }

  remove(handle) {
    if (this.handles.delete(handle) && this.handles.size === 0) this.hooks.release();
  }
}

/** One follower's handle on a channel. */
class ChannelSubscription {
  #entry;
  #events;
  #listeners = new Set();
  #global = new Set();
  #released = false;

  constructor(entry, events) {
    this.#entry = entry;
    this.#events = events;
    this.channelName = entry.name;
  }

  /** `pending`, `subscribed` or `failed`. */
  get status() {
    return this.#released ? "pending" : this.#entry.status;
  }

  get error() {
    return this.#released ? null : this.#entry.error;
  }

  /** The pusher-js channel (presence channels have `members`), null before connect(). */
  get channel() {
    return this.#released ? null : this.#entry.channel;
  }

  /** Called whenever status or error changes. */
  onChange = (fn) => {
    this.#listeners.add(fn);
    return () => void this.#listeners.delete(fn);
  };

  /** Called with (event, data) for every event of the channel. */
  onEvent(fn) {
    this.#global.add(fn);
    return () => void this.#global.delete(fn);
  }

  retry() {
    this.#entry.retry();
  }

  deliver(event, data) {
    if (this.#released) return;
    this.#events[event]?.(data);
    for (const fn of [...this.#global]) fn(event, data);
  }

  changed() {
    for (const fn of [...this.#listeners]) fn();
  }

  unsubscribe() {
    if (this.#released) return;
    this.#released = true;
    this.#listeners.clear();
    this.#global.clear();
    this.#entry.remove(this);
  }
}
