// Typing indicators of one conversation: the user's own — one typing-start per burst, again every
// typingRefresh while it goes on, each carrying its own end (the server's expiresAt), and no
// typing-stop after a send (the message ends it) or idleness (it expires); a due read receipt
// rides along — and who else is typing (each until their typing-stop, a message from them, or the
// end their start carried).

/** @typedef {import("./util.js").Timer} Timer */
/** @typedef {import("../pusher-chat.js").TypingUser} TypingUser */
/** @typedef {import("./conversation.js").Conversation} Conversation */
/** @typedef {import("./reads.js").Reads} Reads */

export const TYPING_TIMING = {
  typingThrottle: 1000, // never more than one typing-start a second (the server drops more)
  typingRefresh: 3000, // while typing goes on, the start goes again this often (it expires otherwise)
  typingIdle: 3000, // this long without input ends the user's typing (no call: the start expires)
  typingExpiry: 6000, // a remote indicator whose start names no end disappears after this without news
};

/** Typing of one conversation, which it tells of changes (onTyping). */
export class Typing {
  #conversation;
  #reads;
  #sentAt = -Infinity;
  #active = false;
  /** @type {Timer | undefined} */
  #idleTimer = undefined;
  /** @type {Timer | undefined} A start the server's throttle dropped, sent again. */
  #retry = undefined;
  /** @type {Map<string, { user: TypingUser, timer: Timer }>} */
  #typing = new Map();
  /** userId → the newest typing event seen ({at, typing}), to drop late ones. */
  #at = new Map();
  /** @type {TypingUser[]} Users typing right now: a new array after every change. */
  users = [];

  /** @param {Conversation} conversation @param {Reads} reads */
  constructor(conversation, reads) {
    this.#conversation = conversation;
    this.#reads = reads;
  }

  get #timing() {
    return this.#conversation.client.timing;
  }

  /** A keystroke of the user's. */
  notify() {
    const now = Date.now();
    const every = Math.max(this.#timing.typingRefresh, this.#timing.typingThrottle);
    if (!this.#active || now - this.#sentAt >= every) {
      this.#sentAt = now;
      this.#active = true;
      this.#send(true);
    }
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => this.#end(), this.#timing.typingIdle);
  }

  /** The user stopped on purpose (e.g. cleared the input): typing-stop if a typing-start went out. */
  stop() {
    const active = this.#active;
    this.#end();
    if (active) this.#send(false);
  }

  /** The user sent a message or went idle: their typing ends without a call (see the top). */
  #end() {
    clearTimeout(this.#retry);
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    this.#active = false;
  }

  /** The user sent a message: the message ends the indicator on the other side. */
  sent() {
    this.#end();
  }

  #send(typing) {
    const c = this.#conversation;
    const readUpToSeq = typing ? this.#reads.claim() : null;
    c.ctx.api.typing(c.kind, c.id, typing, readUpToSeq ?? undefined).then(
      (answer) => {
        if (readUpToSeq != null) this.#reads.settle(readUpToSeq, answer?.read ?? null, null);
        // Dropped by the server's throttle (a new burst right after the last start, e.g. just
        // after a send): it goes again once typingThrottle has passed, if the user still types.
        if (typing && answer?.sent === false && this.#active && !c.closed) {
          clearTimeout(this.#retry);
          this.#retry = setTimeout(() => {
            if (!this.#active || c.closed) return;
            this.#sentAt = Date.now();
            this.#send(true);
          }, this.#timing.typingThrottle);
        }
      },
      (err) => {
        if (readUpToSeq != null) this.#reads.settle(readUpToSeq, null, err);
        if (!c.closed) c.ctx.report(err, "typing");
      },
    );
  }

  /** Another user's typing-start (`typing`) or typing-stop. */
  receive(t, typing) {
    if (!t?.userId || t.userId === this.#conversation.client.me?.id) return;
    // Starts and stops are separate Pusher calls and may arrive out of order: drop an event older
    // than the last one seen (`at`, ISO 8601), and a start from the same instant as a stop.
    const last = this.#at.get(t.userId);
    if (t.at && last && (t.at < last.at || (t.at === last.at && typing && !last.typing))) return;
    if (t.at) this.#at.set(t.userId, { at: t.at, typing });
    if (!typing) return this.clear(t.userId);
    const known = this.#typing.get(t.userId);
    clearTimeout(known?.timer);
    // A start names its end (expiresInMs); typing-stop may be lost or never sent: it ends by itself.
    const lasts = Number.isFinite(t.expiresInMs) && t.expiresInMs > 0 ? Math.min(t.expiresInMs, 60_000) : this.#timing.typingExpiry;
    const timer = setTimeout(() => this.clear(t.userId), lasts);
    const user = known?.user ?? { userId: t.userId, userName: t.userName };
    this.#typing.set(t.userId, { user, timer });
    if (known) return;
    this.users = [...this.users, user];
    this.#changed(t, true);
  }

  /** Ends a user's indicator (their typing-stop, its expiry, or a message from them). */
  clear(userId) {
    const known = this.#typing.get(userId);
    if (!known) return;
    clearTimeout(known.timer);
    this.#typing.delete(userId);
    this.users = this.users.filter((u) => u !== known.user);
    this.#changed(known.user, false);
  }

  #changed(user, typing) {
    this.#conversation.changed();
    this.#conversation.handlers.onTyping?.(user, typing);
  }

  /** Sends the user's typing-stop if due and ends every timer. */
  close() {
    this.stop();
    for (const { timer } of this.#typing.values()) clearTimeout(timer);
    this.#typing.clear();
  }
}
