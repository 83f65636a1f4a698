"use client";
// The whole client side: sign-in, then one chat client for the signed-in user, given to the
// hooks by <ChatProvider> (which connects it on mount and closes it on sign-out).
import Pusher from "pusher-js";
import { useEffect, useState } from "react";
import { ChatProvider, createChatClient, useConnectionState, usePusher } from "@pusher-chat/client/react";
import { notificationsChannel } from "@pusher-chat/client";
import { DEMO_USERS, rememberedUser, signIn, signOut } from "../lib/auth";
import { apiProblem } from "../lib/reach";
import { Avatar, displayName } from "./Avatar";
import Inbox from "./Inbox";
import Chat from "./Chat";
import Rooms from "./Rooms";
import Search from "./Search";
import { PushSettings, useOpenFromNotification } from "./Notifications";

export default function ChatApp({ apiUrl, devHost }) {
  const [session, setSession] = useState(null); // { client, me: the user's profile }
  const [started, setStarted] = useState(false); // false until this component runs in the browser
  const [busy, setBusy] = useState(true);
  const [error, setError] = useState(null);
  const [unreachable, setUnreachable] = useState(null); // what keeps this page from the API

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
      setUnreachable(null);
      setSession({ client, me: profile ?? { id, firstName: email ?? id, lastName: "", avatar: null } });
    } catch (err) {
      client?.close();
      // "Failed to fetch" says nothing: whether the API is down or refuses this origin does.
      setError(`Sign-in failed: ${(await apiProblem(apiUrl)) ?? err.message}`);
    } finally {
      setBusy(false);
    }
  }

  async function check() {
    setUnreachable(await apiProblem(apiUrl));
  }

  useEffect(() => {
    setStarted(true);
    const handle = rememberedUser(); // signed in before a reload
    if (handle) start(handle);
    else setBusy(false);
    check();
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
        {!started && <NotStarted devHost={devHost} />}
        {unreachable && !error && (
          <p className="error unreachable" role="alert">
            {unreachable}{" "}
            <button className="plain" onClick={check}>
              Try again
            </button>
          </p>
        )}
        {error && <p className="error" role="alert">{error}</p>}
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

/**
 * Shown until the page's scripts run. The server renders the sign-in buttons disabled; if the
 * scripts never start (blocked, failed to load, an error), this says so after a few seconds
 * (a CSS delay: it needs no script) instead of leaving buttons that do nothing.
 */
function NotStarted({ devHost }) {
  return (
    <p className="not-started" role="status">
      Starting…{" "}
      <span className="stuck error">
        The page has not started: its scripts did not load or did not run (the browser&apos;s console says why).
        {devHost && (
          <>
            {" "}
            Under <code>next dev</code> this happens when the host it is opened at, <code>{devHost}</code>, is not{" "}
            <code>localhost</code>, <code>127.0.0.1</code> or listed in <code>ALLOWED_DEV_ORIGINS</code>: restart it with{" "}
            <code>ALLOWED_DEV_ORIGINS={devHost} npm run dev</code>.
          </>
        )}
      </span>
      <noscript>
        <span className="error">This app needs JavaScript.</span>
      </noscript>
    </p>
  );
}

function SignedIn({ me, onSignOut }) {
  // The open chat: the other user (or the room), and the message to show ({seq}, from a search result) or null.
  const [open, setOpen] = useState({ contact: null, room: null, focus: null });
  const { contact, room } = open;
  useVisualViewport();
  useOpenFromNotification(me, (user) => setOpen({ contact: user, focus: null }));
  return (
    // On a narrow screen one pane shows at a time: the inbox (and search), or the open chat.
    <div className="app" data-pane={contact || room ? "chat" : "inbox"}>
      <header className="top">
        <h1>pusher-chat</h1>
        <ConnectionBadge />
        <Avatar user={me} />
        <span className="whoami">{displayName(me)}</span>
        <PushSettings />
        <button onClick={onSignOut}>Sign out</button>
      </header>
      <Toast me={me} openChatId={contact?.id} />
      <main className="layout">
        <div className="side">
          <Search me={me} onOpen={({ contact, seq }) => setOpen({ contact, focus: { seq } })} />
          <Inbox me={me} selectedId={contact?.id} onSelect={(user) => setOpen({ contact: user, focus: null })} />
          <Rooms me={me} selectedId={room?.id} onSelect={(r) => setOpen({ contact: null, room: { id: r.id, name: r.name }, focus: null })} />
        </div>
        {room ? (
          <Chat key={`room:${room.id}`} me={me} room={room} focus={open.focus} onBack={() => setOpen({ contact: null, room: null, focus: null })} />
        ) : contact ? (
          <Chat key={contact.id} me={me} contact={contact} focus={open.focus} onBack={() => setOpen({ contact: null, focus: null })} />
        ) : (
          <section className="card chat empty">Pick a conversation.</section>
        )}
      </main>
    </div>
  );
}

/**
 * The visible part of the window as CSS variables (--viewport-height, --viewport-top), for
 * browsers whose on-screen keyboard covers the page instead of resizing it (iOS Safari ignores
 * interactive-widget): the narrow layout sizes itself to what is visible, composer included.
 */
function useVisualViewport() {
  useEffect(() => {
    const viewport = window.visualViewport;
    if (!viewport) return;
    const root = document.documentElement.style;
    const update = () => {
      // Pinch-zoomed: the layout stays as it is (it would otherwise shrink to the zoomed part).
      if (Math.abs(viewport.scale - 1) > 0.01) return;
      root.setProperty("--viewport-height", `${viewport.height}px`);
      root.setProperty("--viewport-top", `${viewport.offsetTop}px`);
    };
    update();
    viewport.addEventListener("resize", update);
    viewport.addEventListener("scroll", update);
    return () => {
      viewport.removeEventListener("resize", update);
      viewport.removeEventListener("scroll", update);
      root.removeProperty("--viewport-height");
      root.removeProperty("--viewport-top");
    };
  }, []);
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
  if (!last || last.senderId === openChatId) return null; // its chat is open now
  return (
    <p className="toast" role="status">
      {last.sender ? displayName(last.sender) : "New message"}: {last.content}
    </p>
  );
}
