// Read receipts of one conversation. What the user has seen goes out as one call per readDelay
// with the highest seq, one call at a time — or rides on a typing call made within that window
// (claim()), which saves a call and a Pusher message; a read that failed goes again when marked
// again or after the next sync that works. Others' receipts mark the messages they cover as read.

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

  /**
   * Takes the read that is due (seen, not yet acknowledged, no call in flight) for another call
   * to carry: returns its seq, or null. The caller then calls settle() with the outcome.
   */
  claim() {
    const upToSeq = this.#max;
    if (this.#closed || this.#reading || upToSeq <= this.#done || !this.#timeline.messages.some(this.#unread(upToSeq))) return null;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#reading = true;
    return upToSeq;
  }

  /** The outcome of a claimed read: `result` ({readAt}) when the call worked, `err` when not. */
  settle(upToSeq, result, err) {
    const c = this.#conversation;
    this.#reading = false;
    if (this.#closed) return;
    if (err) {
      // #done stays behind #max: marking again or the next sync sends it again.
      c.ctx.report(err, "read", c);
      return;
    }
    this.#done = Math.max(this.#done, upToSeq);
    const readAt = result?.readAt ?? new Date().toISOString();
    for (const m of this.#timeline.messages.filter(this.#unread(upToSeq))) this.#timeline.replace(m, { isRead: true, readAt });
    if (c.error?.operation === "read") c.error = null;
    c.ctx.emitter.emit("activity", "read", { conversationId: c.key, upToSeq });
    c.changed();
    // Seen meanwhile (while this call was in flight): the next batch.
    this.#schedule();
  }

  #unread(upToSeq) {
    const me = this.#conversation.client.me?.id;
    return (m) => m.senderId !== me && !m.isRead && m.seq <= upToSeq;
  }

  async #send() {
    const upToSeq = this.claim();
    if (upToSeq == null) return;
    const c = this.#conversation;
    try {
      this.settle(upToSeq, await c.ctx.api.markRead(c.kind, c.id, upToSeq), null);
    } catch (err) {
      this.settle(upToSeq, null, err);
    }
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
