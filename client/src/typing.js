// Typing indicators of one conversation: the user's own (typing-start at most once per
// typingThrottle, typing-stop after typingIdle without input, or on send) and who else is typing
// (each until their typing-stop, a message from them, or typingExpiry without news).

/** @typedef {import("./util.js").Timer} Timer */
/** @typedef {import("../pusher-chat.js").TypingUser} TypingUser */
/** @typedef {import("./conversation.js").Conversation} Conversation */

export const TYPING_TIMING = {
  typingThrottle: 1000, // at most one typing-start a second (the server drops more)
  typingIdle: 3000, // typing-stop after this long without input
  typingExpiry: 5000, // a remote typing indicator without news disappears after this
};

/** Typing of one conversation, which it tells of changes (onTyping). */
export class Typing {
  #conversation;
  #sentAt = -Infinity;
  #active = false;
  /** @type {Timer | undefined} */
  #idleTimer = undefined;
  /** @type {Map<string, { user: TypingUser, timer: Timer }>} */
  #typing = new Map();
  /** userId → the newest typing event seen ({at, typing}), to drop late ones. */
  #at = new Map();
  /** @type {TypingUser[]} Users typing right now: a new array after every change. */
  users = [];

  /** @param {Conversation} conversation */
  constructor(conversation) {
    this.#conversation = conversation;
  }

  get #timing() {
    return this.#conversation.client.timing;
  }

  /** A keystroke of the user's. */
  notify() {
    const now = Date.now();
    if (now - this.#sentAt >= this.#timing.typingThrottle) {
      this.#sentAt = now;
      this.#active = true;
      this.#send(true);
    }
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => this.stop(), this.#timing.typingIdle);
  }

  /** The user stopped (idle, or sent): typing-stop if a typing-start went out. */
  stop() {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    if (!this.#active) return;
    this.#active = false;
    this.#send(false);
  }

  #send(typing) {
    const c = this.#conversation;
    c.ctx.api.typing(c.kind, c.id, typing).catch((err) => !c.closed && c.ctx.report(err, "typing"));
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
    // typing-stop may be lost (or never sent): the indicator ends by itself.
    const timer = setTimeout(() => this.clear(t.userId), this.#timing.typingExpiry);
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
