"use client";
import { useEffect, useRef, useState } from "react";
import { useChatClient, usePresence, useRealtimeMessages, useRoomMembers } from "@pusher-chat/client/react";
import { Attachment, PaperclipIcon, UploadProgress, isRefusal } from "./Attachment";
import { conversationKey, roomKey, tombstoneText } from "@pusher-chat/client";
import { Avatar, displayName } from "./Avatar";
import { MuteButton } from "./Notifications";
import RoomMembers from "./RoomMembers";
import { ReportForm, UserMenu } from "./Safety";

/** The reactions offered on every message (any single emoji works with the API). */
export const REACTIONS = ["👍", "❤️", "😂"];

/**
 * A 1:1 chat: live messages (optimistic sends), read ticks, typing, the contact's presence, and per
 * message replies, reactions and (own messages) edit and delete; files and images, attached with
 * the paperclip button, dropped on the chat or pasted into the composer, with their upload's progress. `focus` ({seq}) scrolls to a
 * message, loading older pages until it is there (a search result, a quote). `onBack` shows the
 * inbox again (its button shows on a narrow screen, where the chat takes the whole window).
 */
export default function Chat({ me, contact, room, focus, onBack }) {
  const chat = useRealtimeMessages(room ? { chatId: room.id, chatType: "room" } : { chatId: contact.id, chatType: "private" });
  const { messages, typingUsers, error, loading, hasMore, loadOlder, sendMessage, sendFile, markRead, notifyTyping, stopTyping } = chat;
  const { online } = usePresence(contact?.id);
  // A room's members with their roles: names, the member panel, and who may delete whose messages.
  const roster = useRoomMembers(room?.id);
  const [showMembers, setShowMembers] = useState(false);
  const [draft, setDraft] = useState("");
  const [replyTo, setReplyTo] = useState(null); // the message the next send answers
  const [target, setTarget] = useState(focus); // the message to scroll to and highlight
  const [selected, setSelected] = useState(null); // the message whose actions show on a touch screen
  const [notice, setNotice] = useState(null); // a file refused before sending (too large, its type)
  const [dragging, setDragging] = useState(false); // files are dragged over the chat
  const list = useRef(null);
  const input = useRef(null);
  const picker = useRef(null);
  // No attach button on an API without storage (a drop or paste there says why it cannot send).
  const takesFiles = useChatClient().uploads?.enabled !== false;
  const byId = new Map(messages.filter((m) => m.id).map((m) => [m.id, m]));
  const memberOf = (userId) => roster.members.find((m) => m.id === userId);
  const nameOf = (userId) => {
    if (userId === me.id) return "You";
    if (!room) return displayName(contact);
    const member = memberOf(userId);
    return member ? displayName(member) : "A former member";
  };

  useEffect(() => setTarget(focus), [focus]);

  // What is on screen while the tab is visible counts as read (the client batches the calls).
  useEffect(() => {
    const read = () => document.visibilityState === "visible" && markRead();
    read();
    document.addEventListener("visibilitychange", read);
    return () => document.removeEventListener("visibilitychange", read);
  }, [messages, markRead]);

  // A list scrolled to the bottom stays there as messages arrive, change or get reactions; one
  // scrolled up to read stays where it is (until the user sends).
  const atBottom = useRef(true);
  useEffect(() => {
    if (atBottom.current) list.current?.scrollTo({ top: list.current.scrollHeight });
  }, [messages]);

  // The message to show: older pages load until it is there, then it is scrolled to, once.
  const shown = useRef(null);
  useEffect(() => {
    if (!target || shown.current === target || loading) return;
    const item = list.current?.querySelector(`[data-seq="${target.seq}"]`);
    if (item) {
      item.scrollIntoView({ block: "center" });
      atBottom.current = scrolledDown(list.current);
      shown.current = target;
    } else if (hasMore) loadOlder().catch(() => {}); // a failure shows as the chat's error
  }, [target, messages, hasMore, loading, loadOlder]);

  function send(event) {
    event.preventDefault();
    const text = draft.trim();
    if (!text) return;
    setDraft("");
    setReplyTo(null);
    setTarget(null);
    atBottom.current = true;
    // Shows at once as pending; a refusal turns it failed (see Retry).
    sendMessage(text, replyTo ? { replyToId: replyTo.id } : undefined);
  }

  /** Each file becomes a message at once (pending, with its progress); a refusal shows under the composer. */
  function attach(files) {
    setNotice(null);
    setTarget(null);
    atBottom.current = true;
    for (const file of files) {
      sendFile(file).catch((err) => isRefusal(err) && setNotice(err.message)); // other failures show on the message
    }
  }

  const dragsFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes("Files");

  function startReply(message) {
    setReplyTo(message);
    input.current?.focus();
  }

  return (
    <section
      className={dragging ? "card chat dragging" : "card chat"}
      onDragOver={(event) => {
        if (!dragsFiles(event)) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = "copy";
        setDragging(true);
      }}
      onDragLeave={(event) => !event.currentTarget.contains(event.relatedTarget) && setDragging(false)}
      onDrop={(event) => {
        if (!dragsFiles(event)) return;
        event.preventDefault();
        setDragging(false);
        attach([...event.dataTransfer.files]);
      }}
    >
      {dragging && (
        <p className="drop-hint" aria-hidden="true">
          Drop to send
        </p>
      )}
      <header className="chat-head">
        <button className="back" aria-label="Back to the inbox" title="Back to the inbox" onClick={onBack}>
          ←
        </button>
        {room ? (
          <>
            <strong className="room-name">{roster.room?.name ?? room.name}</strong>
            <button className="members-toggle" data-action="members" aria-expanded={showMembers} onClick={() => setShowMembers((shown) => !shown)}>
              Members{roster.members.length ? ` (${roster.members.length})` : ""}
            </button>
            <MuteButton conversationId={roomKey(room.id)} />
          </>
        ) : (
          <>
            <Avatar user={contact} />
            <strong>{displayName(contact)}</strong>
            <span className={`presence ${online ? "online" : "offline"}`}>{online ? "online" : "offline"}</span>
            <MuteButton conversationId={conversationKey(me.id, contact.id)} />
            <UserMenu contact={contact} />
          </>
        )}
      </header>
      {room && showMembers && <RoomMembers list={roster} me={me} />}
      {hasMore && (
        <button className="link" onClick={() => loadOlder()}>
          Load older messages
        </button>
      )}
      <ul
        className="messages"
        ref={list}
        onScroll={() => (atBottom.current = scrolledDown(list.current))}
      >
        {loading && !messages.length && <li className="muted">Loading…</li>}
        {messages.map((m) => (
          <MessageItem
            key={m.localId}
            message={m}
            mine={m.senderId === me.id}
            sender={room && m.senderId !== me.id ? nameOf(m.senderId) : null}
            moderate={Boolean(room) && m.senderId !== me.id && roster.mayModerate(memberOf(m.senderId)?.role ?? "member")}
            parent={m.replyToId ? (byId.get(m.replyToId) ?? m.replyTo) : null}
            nameOf={nameOf}
            focused={target?.seq === m.seq}
            selected={selected != null && selected === m.localId}
            onSelect={() => setSelected((current) => (current === m.localId ? null : m.localId))}
            chat={chat}
            onReply={startReply}
            onShow={(seq) => setTarget({ seq })}
          />
        ))}
      </ul>
      <p className="typing" aria-live="polite">
        {typingUsers.length > 0 && `${typingUsers.map((u) => u.userName).join(", ")} ${typingUsers.length > 1 ? "are" : "is"} typing…`}
      </p>
      {error && <p className="error">{error.message}</p>}
      {replyTo && (
        <p className="replying">
          <span>
            Replying to <strong>{nameOf(replyTo.senderId)}</strong>: {(byId.get(replyTo.id) ?? replyTo).content}
          </span>
          <button className="plain" aria-label="Cancel reply" onClick={() => setReplyTo(null)}>
            ✕
          </button>
        </p>
      )}
      {notice && (
        <p className="error notice" role="alert">
          {notice}
          <button className="plain" aria-label="Dismiss" onClick={() => setNotice(null)}>
            ✕
          </button>
        </p>
      )}
      <form className="composer" onSubmit={send}>
        <input
          ref={picker}
          type="file"
          multiple
          hidden
          aria-label="Attach files"
          onChange={(event) => {
            attach([...event.target.files]);
            event.target.value = ""; // the same file may be picked again
          }}
        />
        {takesFiles && (
          <button type="button" className="attach" aria-label="Attach a file" title="Attach a file (or drop it here, or paste it)" onClick={() => picker.current?.click()}>
            <PaperclipIcon />
          </button>
        )}
        <input
          ref={input}
          value={draft}
          placeholder={room ? `Message ${roster.room?.name ?? room.name}` : `Message ${contact.firstName ?? ""}`}
          aria-label="Message"
          onChange={(event) => {
            setDraft(event.target.value);
            // One typing-start per burst, refreshed while it lasts; it expires by itself (no
            // stop after a send or a pause). An emptied composer stops it at once.
            if (event.target.value) notifyTyping();
            else stopTyping();
          }}
          onKeyDown={(event) => event.key === "Escape" && setReplyTo(null)}
          onPaste={(event) => {
            const files = [...(event.clipboardData?.files ?? [])];
            if (!files.length) return; // text pastes as text
            event.preventDefault();
            attach(files);
          }}
        />
        <button type="submit">Send</button>
      </form>
    </section>
  );
}

const scrolledDown = (list) => list.scrollHeight - list.scrollTop - list.clientHeight < 40;

/** One message: its quote, text (or edit box, or tombstone), meta, reactions and actions. */
function MessageItem({ message: m, mine, sender, moderate, parent, nameOf, focused, selected, onSelect, chat, onReply, onShow }) {
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [reporting, setReporting] = useState(false);
  const [failure, setFailure] = useState(null); // a refused edit, delete or reaction
  const time = new Date(m.createdAt).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  const deleted = Boolean(m.deletedAt);
  const sent = m.status === "sent";
  const reactions = deleted ? [] : (m.reactions ?? []);
  // Edit only while the API's edit window (MESSAGE_EDIT_WINDOW_SECS, from /api/config) is open.
  const editSecs = useChatClient().messageEditWindowSecs;
  const editable = mine && (editSecs == null || Date.now() - Date.parse(m.createdAt) < editSecs * 1000);
  const attempt = (promise) => promise.then(() => setFailure(null), (err) => setFailure(err.message));

  function toggle(emoji) {
    const own = reactions.some((r) => r.emoji === emoji && r.mine);
    attempt(own ? chat.unreact(m.id, emoji) : chat.react(m.id, emoji));
  }

  const hasFile = m.type === "FILE" && !deleted && Boolean(m.file || m.fileUrl);
  const classes = ["message", mine ? "mine" : "theirs", m.status, deleted && "deleted", focused && "focused", selected && "selected", hasFile && "has-file"];
  // A tap on the bubble (not on one of its buttons or its editor) shows or hides its actions,
  // which a touch screen cannot hover; the list scrolls as far as needed to show them.
  const tapped = (event) => !event.target.closest("button, input, form, a") && onSelect();
  const item = useRef(null);
  useEffect(() => {
    if (selected) item.current?.scrollIntoView({ block: "nearest" });
  }, [selected]);
  return (
    <li
      ref={item}
      className={classes.filter(Boolean).join(" ")}
      data-status={m.status}
      data-seq={m.seq ?? undefined}
      data-message-id={m.id ?? undefined}
      onClick={tapped}
    >
      {parent && (
        <button className="quote" onClick={() => onShow(parent.seq)} title="Show the message this answers">
          <strong>{nameOf(parent.senderId)}</strong> {parent.deletedAt ? <em>message deleted</em> : parent.content}
        </button>
      )}
      {sender && <span className="sender">{sender}</span>}
      {hasFile && <Attachment message={m} />}
      {m.upload && <UploadProgress upload={m.upload} name={m.file?.name} />}
      {deleted ? (
        <em className="text tombstone" data-deleted-by={m.deletedBy ?? "sender"}>
          {tombstoneText(m)}
        </em>
      ) : editing ? (
        <EditBox
          initial={m.content}
          onCancel={() => setEditing(false)}
          onSave={(content) => chat.editMessage(m.id, content).then(() => setEditing(false))}
        />
      ) : (
        // A file sent without a caption has its name as the text: the attachment shows it already.
        (!hasFile || (m.content && m.content !== m.file?.name && m.content !== m.fileName)) && <span className="text">{m.content}</span>
      )}
      <span className="meta">
        {time}
        {m.editedAt && !deleted && <span className="edited"> · (edited)</span>}
        {mine && m.status === "pending" && !m.upload && <span className="state"> · sending…</span>}
        {mine && m.status === "failed" && <span className="state"> · not sent</span>}
        {mine && sent && !deleted && (
          <span className="ticks" title={m.isRead ? "read" : "delivered"}>
            {m.isRead ? " ✓✓" : " ✓"}
          </span>
        )}
      </span>
      {reactions.length > 0 && (
        <span className="reactions">
          {reactions.map((r) => (
            <button
              key={r.emoji}
              className={r.mine ? "chip mine" : "chip"}
              data-emoji={r.emoji}
              aria-pressed={r.mine}
              title={r.mine ? "Take your reaction back" : "React too"}
              onClick={() => toggle(r.emoji)}
            >
              {r.emoji} <span className="count">{r.count}</span>
            </button>
          ))}
        </span>
      )}
      {sent && !deleted && !editing && (
        // Beside the bubble, shown on hover or keyboard focus; under it once tapped on a touch or narrow screen.
        <span className="actions">
          {REACTIONS.map((emoji) => (
            <button key={emoji} className="plain" data-react={emoji} aria-label={`React ${emoji}`} title={`React ${emoji}`} onClick={() => toggle(emoji)}>
              {emoji}
            </button>
          ))}
          <button className="plain" data-action="reply" aria-label="Reply" title="Reply" onClick={() => onReply(m)}>
            ↩
          </button>
          {editable && (
            <button className="plain" data-action="edit" aria-label="Edit" title="Edit" onClick={() => setEditing(true)}>
              ✎
            </button>
          )}
          {!mine && (
            <button className="plain" data-action="report" aria-label="Report" title="Report" onClick={() => setReporting(true)}>
              ⚑
            </button>
          )}
          {(mine || moderate) && (
            <button className="plain" data-action="delete" aria-label="Delete" title={mine ? "Delete" : "Remove as a moderator"} onClick={() => setConfirming(true)}>
              🗑
            </button>
          )}
        </span>
      )}
      {confirming && !deleted && (
        <span className="confirm">
          Delete for everyone?{" "}
          <button className="plain danger" data-action="confirm-delete" onClick={() => attempt(chat.deleteMessage(m.id))}>
            Delete
          </button>
          <button className="plain" data-action="keep" onClick={() => setConfirming(false)}>
            Keep
          </button>
        </span>
      )}
      {reporting && !deleted && <ReportForm target={{ messageId: m.id }} onDone={() => setReporting(false)} />}
      {failure && <span className="error">{failure}</span>}
      {m.status === "failed" && m.error?.code !== "upload_interrupted" && (
        <button className="retry" onClick={() => m.retry()}>
          Retry
        </button>
      )}
      {m.status === "failed" && m.type === "FILE" && m.error && <span className="error">{m.error.message}</span>}
      {m.status === "failed" && m.type === "FILE" && (
        <button className="retry" data-action="discard" onClick={() => m.discard()}>
          Discard
        </button>
      )}
    </li>
  );
}

/** The inline editor of an own message: Enter or Save saves, Escape or Cancel leaves it as it was. */
function EditBox({ initial, onSave, onCancel }) {
  const [text, setText] = useState(initial);
  const [saving, setSaving] = useState(false);
  const [failure, setFailure] = useState(null);

  function save(event) {
    event.preventDefault();
    const content = text.trim();
    if (!content || content === initial) return onCancel();
    setSaving(true);
    onSave(content).catch((err) => {
      setFailure(err.message); // e.g. the edit window closed
      setSaving(false);
    });
  }

  return (
    <form className="edit" onSubmit={save}>
      <input
        value={text}
        aria-label="Edit message"
        autoFocus
        onChange={(event) => setText(event.target.value)}
        onKeyDown={(event) => event.key === "Escape" && onCancel()}
      />
      <button type="submit" disabled={saving}>
        Save
      </button>
      <button type="button" className="plain" onClick={onCancel}>
        Cancel
      </button>
      {failure && <span className="error">{failure}</span>}
    </form>
  );
}
