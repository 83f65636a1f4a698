// Changes to messages already sent: edits, deletions and reactions. Each carries the
// conversation's change counter, so a live event that skips a number means one was missed (a
// sync follows), and a client that was away catches up through `changedAfter=` pages.

/** @typedef {import("./conversation.js").Conversation} Conversation */
/** @typedef {import("./timeline.js").Timeline} Timeline */

const CHANGE_PAGE_SIZE = 100;
const MAX_CHANGE_PAGES = 20;

/** Changes of one conversation's messages (its timeline), which it tells of them (onMessageChange). */
export class Changes {
  #conversation;
  #timeline;
  /** The conversation's change counter this view has caught up to. */
  seq = 0;

  /** @param {Conversation} conversation @param {Timeline} timeline */
  constructor(conversation, timeline) {
    this.#conversation = conversation;
    this.#timeline = timeline;
  }

  /** The counter moved to `seq`: a skipped number means a missed event. */
  #advance(seq) {
    if (typeof seq !== "number") return;
    if (seq > this.seq + 1) this.#conversation.sync();
    else this.seq = Math.max(this.seq, seq);
  }

  #shown(view) {
    this.#conversation.changed();
    this.#conversation.handlers.onMessageChange?.(view);
  }

  /** A message's new state: a message-updated or message-deleted event, or the answer to an own change. */
  message(m) {
    const view = this.#timeline.applyChange(m);
    this.#advance(m.changeSeq);
    if (view) this.#shown(view);
  }

  /** A reaction-added (`added`) or reaction-removed event. */
  reaction(r, added) {
    this.#advance(r.changeSeq);
    const view = this.#timeline.applyReaction(r, added, this.#conversation.client.me?.id);
    if (view) this.#shown(view);
  }

  /** An own edit (PATCH) or deletion (DELETE) of `messageId`: shown here, and in the user's own inbox. */
  async change(messageId, method, json) {
    const { ctx } = this.#conversation;
    const message = await ctx.api.changeMessage(messageId, method, json);
    this.message(message);
    ctx.emitter.emit("activity", method === "PATCH" ? "edited" : "deleted", message);
    return message;
  }

  /** An own reaction added (`add`) or taken back: the answer's counts show at once. */
  async react(messageId, emoji, add) {
    const { api } = this.#conversation.ctx;
    const answer = await (add ? api.react(messageId, emoji) : api.unreact(messageId, emoji));
    if (this.#timeline.setReactions(messageId, answer.reactions)) this.#conversation.changed();
    return answer;
  }

  /** A page of messages shows each in its latest state: changes up to its counter are in it. */
  caughtUpTo(changeSeq) {
    this.seq = Math.max(this.seq, changeSeq ?? 0);
  }

  /**
   * Fetches the changes made while this client was away (or whose event it missed); nothing when
   * `counter` (the conversation's change counter, which every page of messages carries) says
   * there is none past what this view has.
   * @param {number} [counter]
   */
  async catchUp(counter) {
    if (typeof counter === "number" && counter <= this.seq) return;
    const c = this.#conversation;
    for (let i = 0; i < MAX_CHANGE_PAGES && !c.closed; i++) {
      const from = this.seq;
      const page = await c.ctx.api.page(c.kind, c.id, { changedAfter: from, limit: CHANGE_PAGE_SIZE });
      if (c.closed) return;
      for (const m of page.messages ?? []) this.#timeline.applyChange(m);
      const reached = page.hasMore ? page.cursor?.changedAfter : page.changeSeq;
      this.seq = Math.max(this.seq, reached ?? from, ...(page.messages ?? []).map((m) => m.changeSeq ?? 0));
      c.changed();
      if (!page.hasMore || this.seq === from) break;
    }
  }
}
