// The realtime layer: the user's one pusher-js connection, its channel authorizations through the
// REST layer, and the channels followed on it (kept across connects, encrypted twins when the API
// encrypts). It knows nothing of conversations: it reports connection states and errors upward.
import { ChannelEntry } from "./channel.js";
import { RealtimeError } from "./errors.js";
import { wireName } from "./names.js";

/** @typedef {import("../pusher-chat.js").ChannelSubscription} Subscription */

export class Realtime {
  #api;
  #report;
  #stateChanged;
  #pollingChanged;
  /** @type {Map<string, ChannelEntry>} */
  #channels = new Map();
  /** Why pusher-js's authorization of a channel failed, until its subscription_error comes. */
  #authFailures = new Map();
  /** @type {(() => void)[]} */
  #cleanups = [];

  /**
   * @param {{ api: import("./api.js").ChatApi, report: (err: any, operation: string) => void,
   *   stateChanged: (current: string) => void, pollingChanged: () => void }} hooks
   */
  constructor({ api, report, stateChanged, pollingChanged }) {
    this.#api = api;
    this.#report = report;
    this.#stateChanged = stateChanged;
    this.#pollingChanged = pollingChanged;
    /** @type {any} The pusher-js instance while connected. */
    this.pusher = null;
    this.encrypted = false;
  }

  /**
   * Opens the connection with the API's public settings and subscribes every channel followed so
   * far; returns the connection's state.
   * @param {any} PusherClass @param {{ key: string, options?: any }} config @param {{ encrypted: boolean, signIn: boolean }} options
   */
  start(PusherClass, config, { encrypted, signIn }) {
    if (!PusherClass) throw new TypeError("pusher-js is missing: pass { Pusher } or load it as the global Pusher");
    this.encrypted = encrypted;
    this.pusher = new PusherClass(config.key, {
      ...config.options,
      channelAuthorization: {
        customHandler: ({ socketId, channelName }, callback) => this.#authorize(this.#api.authorizeChannel(socketId, channelName), channelName, callback),
      },
      userAuthentication: {
        customHandler: ({ socketId }, callback) => this.#authorize(this.#api.authenticateUser(socketId), null, callback),
      },
    });
    const connection = this.pusher.connection;
    const onState = ({ current }) => this.#stateChanged(current);
    const onConnectionError = (data) => {
      const detail = data?.data?.message ?? data?.error?.data?.message ?? data?.error?.message ?? data?.type;
      this.#report(new RealtimeError(`Realtime connection error${detail ? `: ${detail}` : ""}`, { data }), "connect");
    };
    connection.bind("state_change", onState);
    connection.bind("error", onConnectionError);
    this.#cleanups.push(() => {
      connection.unbind("state_change", onState);
      connection.unbind("error", onConnectionError);
    });
    if (signIn) {
      const onSigninError = (data) => this.#report(new RealtimeError(`User sign-in failed: ${data?.error}`, { data }), "connect");
      this.pusher.user?.bind?.("pusher:signin_error", onSigninError);
      this.pusher.signin?.();
    }
    for (const entry of this.#channels.values()) entry.attach(this.pusher, wireName(entry.name, encrypted));
    return connection.state;
  }

  #authorize(request, channelName, callback) {
    request.then(
      (body) => callback(null, body),
      (err) => {
        if (channelName) this.#authFailures.set(channelName, err);
        else this.#report(err, "connect");
        callback(err, null);
      },
    );
  }

  /**
   * Follows a channel: `events` maps event names to handlers. The returned handle tells the
   * subscription's status and must be released with unsubscribe().
   * @returns {Subscription}
   */
  subscribe(channelName, events = {}) {
    let entry = this.#channels.get(channelName);
    if (!entry) {
      const created = new ChannelEntry(channelName, {
        failure: () => {
          const cause = this.#authFailures.get(created.wire);
          this.#authFailures.delete(created.wire);
          return cause;
        },
        report: (err) => this.#report(err, "subscribe"),
        changed: () => this.#pollingChanged(),
        release: () => {
          // Deferred, so that a strict-mode unmount + remount keeps the channel.
          queueMicrotask(() => {
            if (created.handles.size || this.#channels.get(channelName) !== created) return;
            this.#channels.delete(channelName);
            created.detach(this.pusher);
          });
        },
      });
      entry = created;
      this.#channels.set(channelName, entry);
      if (this.pusher) entry.attach(this.pusher, wireName(channelName, this.encrypted));
    }
    return entry.add(events);
  }

  /** Asks again for a channel that was refused (a contact's presence once a conversation exists). */
  retry(channelName) {
    this.#channels.get(channelName)?.retry();
  }

  /** Leaves every channel and closes the connection; start() may follow. */
  close() {
    for (const entry of this.#channels.values()) entry.detach(this.pusher);
    this.#channels.clear();
    this.#authFailures.clear();
    for (const cleanup of this.#cleanups.splice(0)) cleanup();
    this.pusher?.disconnect();
    this.pusher = null;
  }
}
