// Read receipts of one conversation. What the user has seen goes out as one call per readDelay
// with the highest seq, one call at a time; a read that failed goes again when marked again or
// after the next sync that works. Others' receipts mark the messages they cover as read.

/** @typedef {import("./util.js").Timer} Timer */
/** @typedef {import("./conversation.js").Conversation} Conversation */
/** @typedef {import("./timeline.js").Timeline} Timeline */

export const READ_TIMING = {
  readDelay: 250, // read receipts within this window go out as one call
};

/** Read receipts of one conversation, in whose messages (its timeline) they show. */
export class Reads {
  #conversation;
  #timeline;
  /** Highest seq the user has seen. */
  #max = 0;
  /** Highest seq the server has acknowledged as read. */
  #done = 0;
  /** @type {Timer | null} */
  #timer = null;
  /** The read call in flight (one at a time). */
  #reading = false;

  /** @param {Conversation} conversation @param {Timeline} timeline */
  constructor(conversation, timeline) {
    this.#conversation = conversation;
    this.#timeline = timeline;
  }

  get #closed() {
    return this.#conversation.closed;
  }

  /** The user has seen the message with this seq. */
  markVisible(seq) {
    if (this.#closed) return;
    if (seq > this.#max) this.#max = seq;
    this.#schedule();
  }

  /** Starts the readDelay window unless everything seen is acknowledged, or a call is due or in flight. */
  #schedule() {
    if (this.#closed || this.#max <= this.#done || this.#timer || this.#reading) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#send();
    }, this.#conversation.client.timing.readDelay);
  }

  /** After a sync that worked: what a failed read left unacknowledged goes again. */
  resend() {
    if (this.#closed || this.#max <= this.#done || this.#timer || this.#reading) return;
    this.#send();
  }

  async #send() {
    const c = this.#conversation;
    const upToSeq = this.#max;
    const me = c.client.me?.id;
    const unread = (m) => m.senderId !== me && !m.isRead && m.seq <= upToSeq;
    if (this.#closed || this.#reading || upToSeq <= this.#done || !this.#timeline.messages.some(unread)) return;
    this.#reading = true;
    let done = false;
    try {
      const result = await c.ctx.api.markRead(c.kind, c.id, upToSeq);
      if (this.#closed) return;
      done = true;
      this.#done = Math.max(this.#done, upToSeq);
      const readAt = result?.readAt ?? new Date().toISOString();
      for (const m of this.#timeline.messages.filter(unread)) this.#timeline.replace(m, { isRead: true, readAt });
      if (c.error?.operation === "read") c.error = null;
      c.ctx.emitter.emit("activity", "read", { conversationId: c.key, upToSeq });
      c.changed();
    } catch (err) {
      // #done stays behind #max: marking again or the next sync sends it again.
      if (!this.#closed) c.ctx.report(err, "read", c);
    } finally {
      this.#reading = false;
    }
    // Seen meanwhile (while this call was in flight): the next batch.
    if (done) this.#schedule();
  }

  /** Another member's receipt (`message-read`): the messages it covers show as read. */
  receive(r) {
    const ids = new Set(r.messageIds ?? (r.messageId ? [r.messageId] : []));
    const covered = (m) => !m.isRead && (ids.has(m.id) || (this.#conversation.kind === "private" && r.upToSeq != null && m.seq <= r.upToSeq && m.senderId !== r.readBy));
    for (const m of this.#timeline.messages.filter(covered)) this.#timeline.replace(m, { isRead: true, readAt: r.readAt ?? null });
  }

  close() {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
