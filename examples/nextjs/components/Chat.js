"use client";
import { useEffect, useRef, useState } from "react";
import { usePresence, useRealtimeMessages } from "@pusher-chat/client/react";
import { Avatar, displayName } from "./Avatar";

/** A 1:1 chat: live messages (optimistic sends), read ticks, typing, and the contact's presence. */
export default function Chat({ me, contact }) {
  const { messages, typingUsers, error, loading, hasMore, loadOlder, sendMessage, markRead, notifyTyping, stopTyping } =
    useRealtimeMessages({ chatId: contact.id, chatType: "private" });
  const { online } = usePresence(contact.id);
  const [draft, setDraft] = useState("");
  const list = useRef(null);

  // What is on screen while the tab is visible counts as read (the client batches the calls).
  useEffect(() => {
    const read = () => document.visibilityState === "visible" && markRead();
    read();
    document.addEventListener("visibilitychange", read);
    return () => document.removeEventListener("visibilitychange", read);
  }, [messages, markRead]);

  useEffect(() => {
    list.current?.scrollTo({ top: list.current.scrollHeight });
  }, [messages.length]);

  function send(event) {
    event.preventDefault();
    const text = draft.trim();
    if (!text) return;
    setDraft("");
    sendMessage(text); // shows at once as pending; a refusal turns it failed (see Retry)
  }

  return (
    <section className="card chat">
      <header className="chat-head">
        <Avatar user={contact} />
        <strong>{displayName(contact)}</strong>
        <span className={`presence ${online ? "online" : "offline"}`}>{online ? "online" : "offline"}</span>
      </header>
      {hasMore && (
        <button className="link" onClick={() => loadOlder()}>
          Load older messages
        </button>
      )}
      <ul className="messages" ref={list}>
        {loading && !messages.length && <li className="muted">Loading…</li>}
        {messages.map((m) => (
          <MessageItem key={m.localId} message={m} mine={m.senderId === me.id} />
        ))}
      </ul>
      <p className="typing" aria-live="polite">
        {typingUsers.length > 0 && `${typingUsers.map((u) => u.userName).join(", ")} ${typingUsers.length > 1 ? "are" : "is"} typing…`}
      </p>
      {error && <p className="error">{error.message}</p>}
      <form className="composer" onSubmit={send}>
        <input
          value={draft}
          placeholder={`Message ${contact.firstName ?? ""}`}
          aria-label="Message"
          onChange={(event) => {
            setDraft(event.target.value);
            notifyTyping(); // typing-start at most once a second, typing-stop after 3 s idle
          }}
          onBlur={stopTyping}
        />
        <button type="submit">Send</button>
      </form>
    </section>
  );
}

function MessageItem({ message: m, mine }) {
  const time = new Date(m.createdAt).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return (
    <li className={`message ${mine ? "mine" : "theirs"} ${m.status}`} data-status={m.status}>
      <span className="text">{m.content}</span>
      <span className="meta">
        {time}
        {mine && m.status === "pending" && <span className="state"> · sending…</span>}
        {mine && m.status === "failed" && <span className="state"> · not sent</span>}
        {mine && m.status === "sent" && (
          <span className="ticks" title={m.isRead ? "read" : "delivered"}>
            {m.isRead ? " ✓✓" : " ✓"}
          </span>
        )}
      </span>
      {m.status === "failed" && (
        <button className="retry" onClick={() => m.retry()}>
          Retry
        </button>
      )}
    </li>
  );
}
