"use client";
import { useState } from "react";
import { useSearch } from "@pusher-chat/client/react";
import { DEMO_USERS } from "../lib/auth";
import { displayName } from "./Avatar";

/**
 * Searches the user's messages as they type (useSearch: every word a prefix, newest first). A
 * result in a 1:1 chat opens that chat at the message: `onOpen({contact, seq})`.
 */
export default function Search({ me, onOpen }) {
  const [query, setQuery] = useState("");
  const { query: answered, words, messages, hasMore, loading, error } = useSearch(query);
  const typed = query.trim();

  return (
    <section className="card search" role="search">
      <input
        type="search"
        value={query}
        placeholder="Search messages"
        aria-label="Search messages"
        onChange={(event) => setQuery(event.target.value)}
        onKeyDown={(event) => event.key === "Escape" && setQuery("")}
      />
      {typed && (
        <div className="search-results" aria-busy={loading}>
          {error && <p className="error">{error.message}</p>}
          {loading && !messages.length && <p className="muted">Searching…</p>}
          {!loading && !error && answered === typed && !messages.length && <p className="muted">No messages match “{typed}”.</p>}
          <ul>
            {messages.map((m) => (
              <Result key={m.id} message={m} me={me} words={words} onOpen={onOpen} />
            ))}
          </ul>
          {hasMore && <p className="muted">Only the newest {messages.length} are shown: add a word to narrow it down.</p>}
        </div>
      )}
    </section>
  );
}

function Result({ message: m, me, words, onOpen }) {
  const who = m.senderId === me.id ? "You" : m.sender ? displayName(m.sender) : m.senderId;
  const when = new Date(m.createdAt).toLocaleString([], { dateStyle: "short", timeStyle: "short" });
  const text = <Highlight text={m.content} words={words} />;
  if (m.roomId) {
    // Rooms work in the API and the client package (openRoom), but this example shows 1:1 chats only.
    return (
      <li className="result room" data-conversation-id={m.conversationId} data-seq={m.seq}>
        <span className="where">
          <strong>{who}</strong> in a room · {when}
        </span>
        <span className="snippet">{text}</span>
        <span className="muted">Rooms are not shown in this example.</span>
      </li>
    );
  }
  const otherId = m.senderId === me.id ? m.receiverId : m.senderId;
  const contact = m.senderId === otherId && m.sender ? m.sender : (DEMO_USERS.find((u) => u.id === otherId) ?? { id: otherId, firstName: otherId, lastName: "" });
  return (
    <li className="result" data-conversation-id={m.conversationId} data-seq={m.seq}>
      <button className="entry" onClick={() => onOpen({ contact, seq: m.seq })}>
        <span className="where">
          <strong>{who}</strong>
          {m.senderId === me.id && ` to ${displayName(contact)}`} · {when}
        </span>
        <span className="snippet">{text}</span>
      </button>
    </li>
  );
}

/** The text with the start of each word that a searched word begins marked. */
function Highlight({ text, words }) {
  const parts = text.split(/([\p{L}\p{N}]+)/u);
  return parts.map((part, i) => {
    const word = words.filter((w) => part.toLowerCase().startsWith(w)).sort((a, b) => b.length - a.length)[0];
    if (!word) return part;
    return (
      <span key={i}>
        <mark>{part.slice(0, word.length)}</mark>
        {part.slice(word.length)}
      </span>
    );
  });
}
