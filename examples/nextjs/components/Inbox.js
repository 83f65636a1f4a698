"use client";
import { useInbox } from "@pusher-chat/client/react";
import { DEMO_USERS } from "../lib/auth";
import { Avatar, displayName } from "./Avatar";

/** Conversations by recency with their last message and unread count, kept live by useInbox. */
export default function Inbox({ me, selectedId, onSelect }) {
  const { conversations, loading, error } = useInbox();
  const chats = conversations.filter((c) => c.kind === "private" && c.otherUser);
  return (
    <aside className="card inbox">
      <h2>Inbox</h2>
      {loading && !chats.length && <p className="muted">Loading…</p>}
      {error && <p className="error">{error.message}</p>}
      <ul>
        {chats.map((c) => (
          <li key={c.chatId} data-user-id={c.otherUser.id}>
            <button className={c.otherUser.id === selectedId ? "entry active" : "entry"} onClick={() => onSelect(c.otherUser)}>
              <Avatar user={c.otherUser} />
              <span className="summary">
                <strong>{displayName(c.otherUser)}</strong>
                <span className="preview">
                  {c.lastMessage ? `${c.lastMessage.senderId === me.id ? "You: " : ""}${c.lastMessage.deletedAt ? "message deleted" : preview(c.lastMessage)}` : "No messages yet"}
                </span>
              </span>
              {c.unreadCount > 0 && (
                <span className="badge" title={`${c.unreadCount}${c.unreadCapped ? "+" : ""} unread`}>
                  {c.unreadCount}
                  {c.unreadCapped && "+"}
                </span>
              )}
            </button>
          </li>
        ))}
      </ul>
      <h3>Start a chat</h3>
      <div className="row">
        {DEMO_USERS.filter((u) => u.id !== me.id).map((u) => (
          <button key={u.id} data-chat-with={u.handle} onClick={() => onSelect(chats.find((c) => c.otherUser.id === u.id)?.otherUser ?? u)}>
            {u.firstName}
          </button>
        ))}
      </div>
    </aside>
  );
}

/** A message as one line: its text, or a file's name. */
const preview = (m) => (m.type === "FILE" && (m.file?.name || m.fileName) ? `📎 ${m.content || m.file?.name || m.fileName}` : m.content);
