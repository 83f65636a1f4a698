// A room's member list with roles (owner, admins, members), its invitations and, for the owner
// and admins, its bans; kept fresh by the room's member events; and what an owner or admin may do
// there. The server checks every rule: `outranks()` only tells a UI which buttons to show.
import { ApiError } from "./errors.js";
import { roomChannel } from "./names.js";
import { Store } from "./store.js";

/** The room events that change the list or the room's settings. */
export const MEMBER_EVENTS = [
  "room-member-joined",
  "room-member-left",
  "room-member-invited",
  "room-member-removed",
  "room-member-banned",
  "room-member-unbanned",
  "room-member-role-changed",
  "room-updated",
];

const RANK = { member: 0, admin: 1, owner: 2 };

/**
 * Whether someone with role `actor` may remove, ban or moderate someone with role `target`: the
 * owner acts on everyone else, an admin on plain members (the server's rule).
 * @param {string | null | undefined} actor @param {string | null | undefined} target
 */
export const outranks = (actor, target) => {
  if (actor === "owner") return target !== "owner";
  return actor === "admin" && (target ?? "member") === "member";
};

/** What a tombstone shows: a moderator's deletion says so. */
export const tombstoneText = (message) => (message?.deletedBy === "moderator" ? "removed by a moderator" : "message deleted");

export class RoomMembers extends Store {
  /** @type {any} */
  #snapshot;
  /** @type {Promise<void> | null} */
  #loading = null;
  #again = false;

  constructor(client, ctx, roomId, handlers) {
    super(client, ctx, handlers);
    this.roomId = roomId;
    /** `{id, name, invitePolicy}`, null until loaded. */
    this.room = null;
    /** The user's role, null until loaded (and once they are no longer a member). */
    this.role = null;
    this.members = [];
    this.invitations = [];
    /** Only for the owner and admins. */
    this.bans = null;
    /** False once the server says the user is not (or no longer) a member. */
    this.isMember = true;
    this.loading = true;
    this.#snapshot = this.#build();
  }

  start() {
    const events = Object.fromEntries(MEMBER_EVENTS.map((name) => [name, (data) => this.#onEvent(name, data)]));
    // Also after every reconnect: what happened meanwhile is in the list read then.
    events["pusher:subscription_succeeded"] = () => this.refresh();
    const sub = this.client.subscribe(roomChannel(this.roomId), events);
    // A refused channel (after a removal or ban closed the connection) means the list is gone too:
    // the read says so.
    this.cleanups.push(
      () => sub.unsubscribe(),
      sub.onChange(() => sub.status === "failed" && this.refresh()),
    );
    return this.refresh();
  }

  #onEvent(name, data) {
    if (data?.roomId && data.roomId !== this.roomId) return;
    this.handlers.onEvent?.(name, data);
    this.refresh();
  }

  /** Reads the list again (one request at a time; a call during one runs once more after it). */
  refresh() {
    if (this.#loading) {
      this.#again = true;
      return this.#loading;
    }
    this.#loading = (async () => {
      do {
        this.#again = false;
        try {
          const answer = await this.ctx.api.roomMembers(this.roomId);
          if (this.closed) return;
          Object.assign(this, { room: answer.room, role: answer.role, members: answer.members, invitations: answer.invitations });
          this.bans = answer.bans ?? null;
          this.isMember = true;
          this.error = null;
        } catch (err) {
          if (this.closed) return;
          if (err instanceof ApiError && err.status === 403) {
            // Removed, banned or never in: nothing of the room is shown any more.
            Object.assign(this, { role: null, members: [], invitations: [], bans: null, isMember: false });
          }
          this.ctx.report(err, "members", this);
        }
      } while (this.#again && !this.closed);
    })().finally(() => {
      this.#loading = null;
      this.loading = false;
      this.changed();
    });
    return this.#loading;
  }

  /** Whether the user may remove or ban `member` (a member object or a role). */
  mayModerate(member) {
    return outranks(this.role, typeof member === "string" ? member : member?.role);
  }

  async #then(promise) {
    const answer = await promise;
    await this.refresh();
    return answer;
  }

  /** The owner makes a member an admin or a member again, or (`owner`) hands the room over. */
  setRole(userId, role) {
    return this.#then(this.ctx.api.changeRoomMember(this.roomId, userId, { role }));
  }

  /** An admin removes a member (or withdraws an invitation). */
  remove(userId) {
    return this.#then(this.ctx.api.removeRoomMember(this.roomId, userId));
  }

  /** An admin removes and bans a user: they cannot be invited again until unbanned. */
  ban(userId) {
    return this.#then(this.ctx.api.removeRoomMember(this.roomId, userId, true));
  }

  unban(userId) {
    return this.#then(this.ctx.api.changeRoomMember(this.roomId, userId, { banned: false }));
  }

  /** Invites users (any member, or only admins when the room's invitePolicy is `admins`). */
  invite(userIds) {
    return this.#then(this.ctx.api.inviteToRoom(this.roomId, userIds));
  }

  /** An admin renames the room. */
  rename(name) {
    return this.#then(this.ctx.api.updateRoom(this.roomId, { name }));
  }

  /** An admin sets who may invite: `members` or `admins`. */
  setInvitePolicy(invitePolicy) {
    return this.#then(this.ctx.api.updateRoom(this.roomId, { invitePolicy }));
  }

  #build() {
    const { room, role, members, invitations, bans, isMember, loading, error } = this;
    return { room, role, members, invitations, bans, isMember, loading, error };
  }

  changed() {
    this.#snapshot = this.#build();
    this.handlers.onChange?.(this.#snapshot);
    super.changed();
  }

  getSnapshot = () => this.#snapshot;
}
