"use client";
import { useState } from "react";
import { Avatar, displayName } from "./Avatar";

/**
 * A room's members with their roles (`list`: useRoomMembers), kept live by the room's member events. The owner and admins
 * see Remove and Ban on those they outrank (the server checks every rule; this only hides what it
 * would refuse), rename the room, choose who may invite and lift bans; the owner makes and
 * unmakes admins.
 */
export default function RoomMembers({ list, me }) {
  const { room, role, members, invitations, bans, isMember, loading } = list;
  const [failure, setFailure] = useState(null);
  const [name, setName] = useState(null); // the rename field while it is open
  const act = (promise) => promise.then(() => setFailure(null), (err) => setFailure(err.message));
  const admin = role === "owner" || role === "admin";

  if (!isMember) {
    return (
      <section className="members-panel" data-removed="true">
        <p className="error">You are no longer a member of this room.</p>
      </section>
    );
  }
  return (
    <section className="members-panel" aria-label="Members" data-role={role ?? ""}>
      {loading && !members.length && <p className="muted">Loading…</p>}
      {admin && room && (
        <div className="room-settings">
          {name == null ? (
            <button className="plain" data-action="rename" onClick={() => setName(room.name)}>
              Rename
            </button>
          ) : (
            <form
              className="rename"
              onSubmit={(event) => {
                event.preventDefault();
                act(list.rename(name.trim()).then(() => setName(null)));
              }}
            >
              <input value={name} aria-label="Room name" onChange={(event) => setName(event.target.value)} />
              <button type="submit">Save</button>
              <button type="button" className="plain" onClick={() => setName(null)}>
                Cancel
              </button>
            </form>
          )}
          <label>
            Who may invite{" "}
            <select value={room.invitePolicy} aria-label="Who may invite" onChange={(event) => act(list.setInvitePolicy(event.target.value))}>
              <option value="members">every member</option>
              <option value="admins">admins only</option>
            </select>
          </label>
        </div>
      )}
      <ul className="members">
        {members.map((m) => (
          <li key={m.id} className="member" data-member-id={m.id} data-role={m.role}>
            <Avatar user={m} />
            <span className="who">
              {m.id === me.id ? "You" : displayName(m)} <span className={`role ${m.role}`}>{m.role}</span>
            </span>
            <span className="member-actions">
              {role === "owner" && m.id !== me.id && (
                <button className="plain" data-action={m.role === "admin" ? "make-member" : "make-admin"} onClick={() => act(list.setRole(m.id, m.role === "admin" ? "member" : "admin"))}>
                  {m.role === "admin" ? "Make member" : "Make admin"}
                </button>
              )}
              {m.id !== me.id && list.mayModerate(m) && (
                <>
                  <button className="plain" data-action="remove" onClick={() => act(list.remove(m.id))}>
                    Remove
                  </button>
                  <button className="plain danger" data-action="ban" onClick={() => act(list.ban(m.id))}>
                    Ban
                  </button>
                </>
              )}
            </span>
          </li>
        ))}
        {invitations.map((i) => (
          <li key={i.id} className="member invited" data-invited-id={i.id}>
            <Avatar user={i} />
            <span className="who">
              {displayName(i)} <span className="role">invited</span>
            </span>
          </li>
        ))}
      </ul>
      {admin && bans?.length > 0 && (
        <>
          <h3>Banned</h3>
          <ul className="members">
            {bans.map((b) => (
              <li key={b.id} className="member banned" data-banned-id={b.id}>
                <span className="who">{displayName(b)}</span>
                <button className="plain" data-action="unban" onClick={() => act(list.unban(b.id))}>
                  Unban
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
      {failure && <p className="error">{failure}</p>}
    </section>
  );
}
