"use client";
// The whole client side: sign-in, then one chat client for the signed-in user, given to the
// hooks by <ChatProvider> (which connects it on mount and closes it on sign-out).
import Pusher from "pusher-js";
import { useEffect, useState } from "react";
import { ChatProvider, createChatClient, useConnectionState, usePusher } from "@pusher-chat/client/react";
import { notificationsChannel } from "@pusher-chat/client";
import { DEMO_USERS, rememberedUser, signIn, signOut } from "../lib/auth";
import { Avatar, displayName } from "./Avatar";
import Inbox from "./Inbox";
import Chat from "./Chat";
import Search from "./Search";

export default function ChatApp({ apiUrl }) {
  const [session, setSession] = useState(null); // { client, me: the user's profile }
  const [busy, setBusy] = useState(true);
  const [error, setError] = useState(null);

  async function start(handle) {
    setBusy(true);
    setError(null);
    let client;
    try {
      client = createChatClient({
        baseUrl: apiUrl, // another origin: the API lists this app's origin in CORS_ALLOWED_ORIGINS
        Pusher,
        getToken: await signIn(apiUrl, handle),
        onError: (err) => console.warn(`pusher-chat ${err.operation ?? ""}: ${err.message}`),
      });
      // <ChatProvider> connects too (the same connection): waiting here tells who the user is.
      const { id, email, profile } = await client.connect();
      setSession({ client, me: profile ?? { id, firstName: email ?? id, lastName: "", avatar: null } });
    } catch (err) {
      client?.close();
      setError(`Sign-in failed: ${err.message}`);
    } finally {
      setBusy(false);
    }
  }

  useEffect(() => {
    const handle = rememberedUser(); // signed in before a reload
    if (handle) start(handle);
    else setBusy(false);
  }, []); // eslint-disable-line react-hooks/exhaustive-deps

  if (!session) {
    return (
      <main className="card signin">
        <h1>pusher-chat</h1>
        <p>Sign in as a demo user of the local API at <code>{apiUrl}</code>:</p>
        <div className="row">
          {DEMO_USERS.map((u) => (
            <button key={u.handle} data-user={u.handle} disabled={busy} onClick={() => start(u.handle)}>
              {u.firstName}
            </button>
          ))}
        </div>
        {error && <p className="error">{error}</p>}
      </main>
    );
  }

  return (
    <ChatProvider client={session.client}>
      <SignedIn
        me={session.me}
        onSignOut={() => {
          signOut();
          setSession(null);
        }}
      />
    </ChatProvider>
  );
}

function SignedIn({ me, onSignOut }) {
  // The open chat: the other user, and the message to show ({seq}, from a search result) or null.
  const [open, setOpen] = useState({ contact: null, focus: null });
  const contact = open.contact;
  return (
    <>
      <header className="top">
        <h1>pusher-chat</h1>
        <ConnectionBadge />
        <Avatar user={me} />
        <span className="whoami">{displayName(me)}</span>
        <button onClick={onSignOut}>Sign out</button>
      </header>
      <Toast me={me} openChatId={contact?.id} />
      <main className="layout">
        <div className="side">
          <Search me={me} onOpen={({ contact, seq }) => setOpen({ contact, focus: { seq } })} />
          <Inbox me={me} selectedId={contact?.id} onSelect={(user) => setOpen({ contact: user, focus: null })} />
        </div>
        {contact ? (
          <Chat key={contact.id} me={me} contact={contact} focus={open.focus} />
        ) : (
          <section className="card chat empty">Pick a conversation.</section>
        )}
      </main>
    </>
  );
}

/** pusher-js's connection state: connected, connecting (also while it reconnects), unavailable… */
function ConnectionBadge() {
  const state = useConnectionState();
  return (
    <span className={`connection ${state}`} data-state={state} title="Realtime connection">
      {state}
    </span>
  );
}

/** usePusher follows any channel: here the user's notifications, for chats that are not open. */
function Toast({ me, openChatId }) {
  const [last, setLast] = useState(null);
  usePusher({
    channelName: notificationsChannel(me.id),
    events: { "new-message": (m) => m.senderId !== openChatId && setLast(m) },
  });
  useEffect(() => {
    if (!last) return;
    const timer = setTimeout(() => setLast(null), 4000);
    return () => clearTimeout(timer);
  }, [last]);
  if (!last) return null;
  return (
    <p className="toast" role="status">
      {last.sender ? displayName(last.sender) : "New message"}: {last.content}
    </p>
  );
}
