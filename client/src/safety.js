// Blocks, mutes and reports. The client keeps the caller's block and mute lists (fetched at
// connect(), updated by block()/unblock()/muteUser()/unmuteUser()): a room's live events from a
// blocked user are dropped (the API already leaves them out of history and search) and a muted
// user's room messages carry `collapsed: true`, for the view to fold.

export const REPORT_REASONS = ["spam", "harassment", "hate", "sexual", "violence", "other"];

export class SafetyLists {
  /** @type {Set<string>} */
  blocked = new Set();
  /** @type {Set<string>} */
  muted = new Set();
  #changed;

  /** @param {() => void} changed runs after every change of either list */
  constructor(changed) {
    this.#changed = changed;
  }

  /** Takes `GET /api/blocks`'s answer. */
  load({ blocks = [], mutes = [] } = {}) {
    this.blocked = new Set(blocks.map((b) => b.userId));
    this.muted = new Set(mutes.map((m) => m.userId));
    this.#changed();
  }

  set(kind, userId, on) {
    const list = kind === "mute" ? this.muted : this.blocked;
    if (list.has(userId) === on) return;
    const next = new Set(list);
    if (on) next.add(userId);
    else next.delete(userId);
    if (kind === "mute") this.muted = next;
    else this.blocked = next;
    this.#changed();
  }

  clear() {
    this.blocked = new Set();
    this.muted = new Set();
  }
}

/**
 * The body of `POST /api/reports`: exactly one target, a known reason, an optional note.
 * @param {{ messageId?: string, userId?: string, roomId?: string, reason?: string, note?: string }} [target]
 */
export function reportBody({ messageId, userId, roomId, reason, note } = {}) {
  const targets = [messageId, userId, roomId].filter((t) => t != null);
  if (targets.length !== 1) throw new TypeError("report() needs exactly one of messageId, userId and roomId");
  if (!reason || !REPORT_REASONS.includes(reason)) throw new TypeError(`report() needs a reason: ${REPORT_REASONS.join(", ")}`);
  /** @type {Record<string, string>} */
  const body = { reason };
  if (messageId != null) body.messageId = messageId;
  if (userId != null) body.userId = userId;
  if (roomId != null) body.roomId = roomId;
  if (note) body.note = note;
  return body;
}
