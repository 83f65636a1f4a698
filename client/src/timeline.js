// A conversation's messages the server has, in seq order and by id. Every change replaces the
// message object and the array holding it, so each state is new to React and old ones stay as they were.

export class Timeline {
  #byId = new Map();
  #seqs = new Set();
  #clientIds = new Set();
  /** @type {any[]} The messages in seq order: a new array after every change. */
  messages = [];

  get(id) {
    return this.#byId.get(id);
  }

  hasSeq(seq) {
    return this.#seqs.has(seq);
  }

  /** Whether the message sent with this clientMessageId is here (so its outbox copy is not shown). */
  hasClientId(clientMessageId) {
    return this.#clientIds.has(clientMessageId);
  }

  insert(view) {
    let i = this.messages.length;
    while (i > 0 && this.messages[i - 1].seq > view.seq) i--;
    this.messages = this.messages.toSpliced(i, 0, view);
    this.#byId.set(view.id, view);
    this.#seqs.add(view.seq);
    if (view.clientMessageId) this.#clientIds.add(view.clientMessageId);
  }

  /** Puts a copy of `old` with `fields` in its place; returns the copy. */
  replace(old, fields) {
    const view = { ...old, ...fields };
    this.messages = this.messages.with(this.messages.indexOf(old), view);
    this.#byId.set(view.id, view);
    return view;
  }

  /** A message's newer state (edited, deleted, reactions): replaces the shown one, never an older. */
  applyChange(m) {
    const known = m?.id && this.#byId.get(m.id);
    if (!known || (m.changeSeq ?? 0) < (known.changeSeq ?? 0)) return null;
    // A tombstone has no reactions (the server drops them with the message).
    const reactions = m.deletedAt ? [] : (m.reactions ?? known.reactions);
    return this.replace(known, { ...m, reactions, localId: known.localId, status: known.status });
  }

  /** A reaction-added (`added`) or reaction-removed event; the message it changed, or null if it is old news. */
  applyReaction(r, added, me) {
    const known = this.#byId.get(r.messageId);
    if (!known || (r.changeSeq ?? 0) <= (known.changeSeq ?? 0)) return null;
    const mine = r.userId === me;
    const others = (known.reactions ?? []).filter((x) => x.emoji !== r.emoji);
    const before = (known.reactions ?? []).find((x) => x.emoji === r.emoji);
    const entry = { emoji: r.emoji, count: r.count, mine: mine ? added : !!before?.mine };
    const reactions = r.count > 0 ? [...others, entry] : others;
    return this.replace(known, { reactions, changeSeq: r.changeSeq });
  }

  /** The reactions the API answered an own react/unreact with; null if the message is not here. */
  setReactions(messageId, reactions) {
    const known = this.#byId.get(messageId);
    if (!known || !Array.isArray(reactions)) return null;
    return this.replace(known, { reactions });
  }
}
