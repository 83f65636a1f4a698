"use client";
import { useCallback, useEffect, useState } from "react";
import { useChatClient, useConnectionState, usePusher } from "@pusher-chat/client/react";
import { notificationsChannel } from "@pusher-chat/client";
import { DEMO_USERS } from "../lib/auth";

/**
 * The user's rooms (with their role in each) and open invitations, from `GET /api/rooms`: read
 * again when an invitation or a change of membership reaches the user's notifications, and after
 * every reconnect (a removed member's connection is closed by the server, so the news of the
 * removal may only be learnt from the list read then).
 */
export default function Rooms({ me, selectedId, onSelect }) {
  const client = useChatClient();
  const state = useConnectionState();
  const [rooms, setRooms] = useState({ rooms: [], invitations: [] });
  const [error, setError] = useState(null);
  const refresh = useCallback(
    () => client.rooms().then((r) => (setRooms(r), setError(null)), (err) => setError(err.message)),
    [client],
  );
  useEffect(() => {
    if (state === "connected") refresh();
  }, [state, refresh]);
  const reread = () => refresh();
  usePusher({
    channelName: notificationsChannel(me.id),
    events: {
      "room-invitation": reread,
      "room-member-removed": reread,
      "room-member-banned": reread,
      "room-member-role-changed": reread,
    },
  });

  async function create() {
    const others = DEMO_USERS.filter((u) => u.id !== me.id).map((u) => u.id);
    try {
      const room = await client.createRoom(`${me.firstName}'s room`, others);
      await refresh();
      onSelect({ id: room.id, name: room.name });
    } catch (err) {
      setError(err.message);
    }
  }

  async function join(room) {
    try {
      await client.acceptRoom(room.id);
      await refresh();
      onSelect(room);
    } catch (err) {
      setError(err.message);
    }
  }

  return (
    <aside className="card rooms">
      <h2>Rooms</h2>
      {error && <p className="error">{error}</p>}
      <ul>
        {rooms.rooms.map((r) => (
          <li key={r.id} data-room-id={r.id}>
            <button className={r.id === selectedId ? "entry active" : "entry"} onClick={() => onSelect(r)}>
              <span className="summary">
                <strong>{r.name}</strong>
                <span className="preview">{r.role === "member" ? "member" : r.role}</span>
              </span>
            </button>
          </li>
        ))}
        {rooms.invitations.map((i) => (
          <li key={i.room.id} className="invitation" data-invitation={i.room.id}>
            <span className="summary">
              <strong>{i.room.name}</strong>
              <span className="preview">invited by {i.invitedBy.firstName}</span>
            </span>
            <button data-action="join" onClick={() => join(i.room)}>
              Join
            </button>
          </li>
        ))}
      </ul>
      <button data-action="new-room" onClick={create}>
        New room with everyone
      </button>
    </aside>
  );
}
