// The realtime layer: the user's one pusher-js connection, its channel authorizations through the
// REST layer, and the channels followed on it (kept across connects, encrypted twins when the API
// encrypts). It knows nothing of conversations: it reports connection states and errors upward.
import { ChannelEntry } from "./channel.js";
import { ApiError, RealtimeError } from "./errors.js";
import { wireName } from "./names.js";

/** @typedef {import("../pusher-chat.js").ChannelSubscription} Subscription */

/** The most channels one authorization call names (the API's limit). */
const AUTH_BATCH_MAX = 20;

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
  /** Channel authorizations pusher-js asked for in this turn of the event loop, sent as one call. */
  /** @type {{ socketId: string, items: { channelName: string, callback: Function }[] } | null} */
  #authBatch = null;

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
   * @param {any} PusherClass @param {{ key: string, options?: any }} config
   * @param {{ encrypted: boolean, signIn: boolean, reconnectDelay?: number }} options
   */
  start(PusherClass, config, { encrypted, signIn, reconnectDelay = 1000 }) {
    if (!PusherClass) throw new TypeError("pusher-js is missing: pass { Pusher } or load it as the global Pusher");
    this.encrypted = encrypted;
    this.pusher = new PusherClass(config.key, {
      ...config.options,
      channelAuthorization: {
        customHandler: ({ socketId, channelName }, callback) => this.#queueAuthorization(socketId, channelName, callback),
      },
      userAuthentication: {
        customHandler: ({ socketId }, callback) => this.#authorize(this.#api.authenticateUser(socketId), null, callback),
      },
    });
    const pusher = this.pusher;
    const connection = pusher.connection;
    // A close with a 4000-4099 code (4009: the API closed the user's connections, after they left
    // a room or lost access) leaves pusher-js disconnected for good. Only this client disconnects
    // its pusher-js otherwise (in close(), after unbinding), so a `disconnected` seen here is the
    // server's doing: connect again, and each channel is authorized anew, so only those the user
    // may still have come back.
    let closedInARow = 0;
    /** @type {ReturnType<typeof setTimeout> | null} */
    let reconnect = null;
    const onState = ({ current }) => {
      if (current === "connected") closedInARow = 0;
      if (current === "disconnected" && !reconnect) {
        const delay = Math.min(reconnectDelay * 2 ** closedInARow++, 30_000);
        reconnect = setTimeout(() => {
          reconnect = null;
          if (this.pusher === pusher) pusher.connect();
        }, delay);
      }
      this.#stateChanged(current);
    };
    const onConnectionError = (data) => {
      const detail = data?.data?.message ?? data?.error?.data?.message ?? data?.error?.message ?? data?.type;
      this.#report(new RealtimeError(`Realtime connection error${detail ? `: ${detail}` : ""}`, { data }), "connect");
    };
    connection.bind("state_change", onState);
    connection.bind("error", onConnectionError);
    this.#cleanups.push(() => {
      connection.unbind("state_change", onState);
      connection.unbind("error", onConnectionError);
      if (reconnect) clearTimeout(reconnect);
    });
    if (signIn) {
      const onSigninError = (data) => this.#report(new RealtimeError(`User sign-in failed: ${data?.error}`, { data }), "connect");
      this.pusher.user?.bind?.("pusher:signin_error", onSigninError);
      this.pusher.signin?.();
    }
    for (const entry of this.#channels.values()) entry.attach(this.pusher, wireName(entry.name, encrypted));
    return connection.state;
  }

  /**
   * pusher-js asks for each channel on its own; the channels it asks for together (on connecting,
   * on opening a chat) go to the API as one call: one function invocation, not one per channel.
   */
  #queueAuthorization(socketId, channelName, callback) {
    let batch = this.#authBatch;
    if (!batch || batch.socketId !== socketId) {
      batch = this.#authBatch = { socketId, items: [] };
      const queued = batch;
      queueMicrotask(() => this.#sendAuthorizations(queued));
    }
    batch.items.push({ channelName, callback });
  }

  #sendAuthorizations(batch) {
    if (this.#authBatch === batch) this.#authBatch = null;
    if (batch.items.length === 1) {
      const [{ channelName, callback }] = batch.items;
      return this.#authorize(this.#api.authorizeChannel(batch.socketId, channelName), channelName, callback);
    }
    for (let i = 0; i < batch.items.length; i += AUTH_BATCH_MAX) {
      const items = batch.items.slice(i, i + AUTH_BATCH_MAX);
      const answers = this.#api.authorizeChannels(batch.socketId, items.map((item) => item.channelName));
      for (const { channelName, callback } of items) {
        const answer = answers.then((body) => {
          const one = body?.channels?.[channelName];
          if (one?.auth) return one;
          throw new ApiError(one?.error?.status ?? 500, one ?? {}, {});
        });
        this.#authorize(answer, channelName, callback);
      }
    }
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
