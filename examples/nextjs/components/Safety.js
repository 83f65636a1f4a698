"use client";
import { useEffect, useState } from "react";
import { useChatClient } from "@pusher-chat/client/react";
import { REPORT_REASONS } from "@pusher-chat/client";
import { displayName } from "./Avatar";

/** The user's block and mute state of `userId`, kept current by the client's `safety` event. */
export function useBlockState(userId) {
  const client = useChatClient();
  const read = () => ({ blocked: client.isBlocked(userId), muted: client.isMuted(userId) });
  const [state, setState] = useState(read);
  useEffect(() => {
    setState(read());
    return client.on("safety", () => setState(read()));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, userId]);
  return state;
}

const REASON_LABELS = { spam: "Spam", harassment: "Harassment", hate: "Hate", sexual: "Sexual content", violence: "Violence", other: "Something else" };

/**
 * The reason picker of a report: a reason (required), an optional note, Send. `target` is
 * `{messageId}` or `{userId}`. Says when the report is filed (or was already) and closes.
 */
export function ReportForm({ target, onDone }) {
  const client = useChatClient();
  const [reason, setReason] = useState("");
  const [note, setNote] = useState("");
  const [state, setState] = useState({ busy: false, error: null, done: null });

  async function submit(event) {
    event.preventDefault();
    if (!reason) return setState({ busy: false, error: "Pick a reason", done: null });
    setState({ busy: true, error: null, done: null });
    try {
      const answer = await client.report({ ...target, reason, note: note.trim() || undefined });
      setState({ busy: false, error: null, done: answer.duplicate ? "You reported this already." : "Reported. Thank you." });
    } catch (err) {
      setState({ busy: false, error: err.message, done: null });
    }
  }

  if (state.done) {
    return (
      <div className="report done" role="status">
        {state.done}{" "}
        <button type="button" className="plain" onClick={onDone}>
          Close
        </button>
      </div>
    );
  }
  return (
    <form className="report" onSubmit={submit} aria-label="Report">
      <select aria-label="Reason" value={reason} onChange={(event) => setReason(event.target.value)}>
        <option value="">Why are you reporting this?</option>
        {REPORT_REASONS.map((r) => (
          <option key={r} value={r}>
            {REASON_LABELS[r] ?? r}
          </option>
        ))}
      </select>
      <input aria-label="Note" placeholder="Anything else (optional)" maxLength={1000} value={note} onChange={(event) => setNote(event.target.value)} />
      <span className="report-buttons">
        <button type="submit" data-action="send-report" disabled={state.busy}>
          Send report
        </button>
        <button type="button" className="plain" onClick={onDone}>
          Cancel
        </button>
      </span>
      {state.error && <span className="error">{state.error}</span>}
    </form>
  );
}

/**
 * The contact's menu in a chat's header: block or unblock, mute or unmute them (no pushes from
 * them), report them. A row under the header, so it fits a phone.
 */
export function UserMenu({ contact }) {
  const client = useChatClient();
  const { blocked, muted } = useBlockState(contact.id);
  const [open, setOpen] = useState(false);
  const [reporting, setReporting] = useState(false);
  const [failure, setFailure] = useState(null);
  const act = (promise) => promise.then(() => setFailure(null), (err) => setFailure(err.message));
  const name = displayName(contact);

  return (
    <>
      <button className="user-menu-toggle" data-action="user-menu" aria-expanded={open} aria-label={`More about ${name}`} title={`More about ${name}`} onClick={() => setOpen((o) => !o)}>
        ⋯
      </button>
      {open && (
        <div className="user-menu" role="menu">
          {blocked ? (
            <button role="menuitem" data-action="unblock" onClick={() => act(client.unblock(contact.id))}>
              Unblock
            </button>
          ) : (
            <button role="menuitem" className="danger-fill" data-action="block" onClick={() => act(client.block(contact.id))}>
              Block
            </button>
          )}
          <button role="menuitem" data-action={muted ? "unmute-user" : "mute-user"} onClick={() => act(muted ? client.unmuteUser(contact.id) : client.muteUser(contact.id))}>
            {muted ? "Unmute user" : "Mute user"}
          </button>
          <button role="menuitem" data-action="report-user" onClick={() => setReporting(true)}>
            Report
          </button>
          {reporting && <ReportForm target={{ userId: contact.id }} onDone={() => setReporting(false)} />}
          {failure && <span className="error">{failure}</span>}
        </div>
      )}
      {blocked && !open && (
        <p className="blocked-note" role="status">
          You blocked {name}: they cannot write to you here.
        </p>
      )}
    </>
  );
}
