"use client";
// Reaching the user while the tab is closed: the push switch (Web Push through the client
// package's enablePush(), the service worker public/push-sw.js), a mute switch per chat, and
// opening the chat a notification was clicked for.
import { useEffect, useState } from "react";
import { useChatClient, useInbox } from "@pusher-chat/client/react";
import { DEMO_USERS } from "../lib/auth";

const LABELS = {
  on: "Notifications on",
  off: "Notifications off",
  denied: "Notifications blocked",
  unsupported: "No notifications in this browser",
  disabled: "No notifications on this server",
};

/** Push on/off for this browser: messages then reach the user while the app is closed. */
export function PushSettings() {
  const client = useChatClient();
  const [status, setStatus] = useState(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    let live = true;
    client.pushStatus().then((s) => live && setStatus(s), () => live && setStatus("unsupported"));
    return () => {
      live = false;
    };
  }, [client]);
  if (!status) return null;
  async function toggle() {
    setBusy(true);
    try {
      if (status === "on") {
        await client.disablePush();
        setStatus("off");
      } else {
        await client.enablePush({ serviceWorkerUrl: "/push-sw.js" });
        setStatus("on");
      }
    } catch (err) {
      setStatus(err.code ?? "off");
    } finally {
      setBusy(false);
    }
  }
  const switchable = status === "on" || status === "off";
  return (
    <button className="push-toggle" data-push={status} aria-pressed={status === "on"} disabled={busy || !switchable} onClick={toggle}>
      {LABELS[status] ?? status}
    </button>
  );
}

/** Mute this chat: no push for it (messages still arrive live and count as unread). */
export function MuteButton({ conversationId }) {
  const client = useChatClient();
  const { conversations, refresh } = useInbox();
  const muted = conversations.find((c) => c.chatId === conversationId)?.muted ?? false;
  const [busy, setBusy] = useState(false);
  async function toggle() {
    setBusy(true);
    try {
      await (muted ? client.unmute(conversationId) : client.mute(conversationId));
      await refresh();
    } finally {
      setBusy(false);
    }
  }
  return (
    <button className="mute" data-muted={muted} aria-pressed={muted} disabled={busy} onClick={toggle} title={muted ? "Unmute: notify me again" : "Mute: no notifications for this chat"}>
      {muted ? "Muted" : "Mute"}
    </button>
  );
}

/**
 * Opens the chat a notification was for: `?conversation=` when the click opened this page, or
 * the service worker's message when it focused an open one.
 */
export function useOpenFromNotification(me, open) {
  useEffect(() => {
    const openConversation = (conversationId) => {
      const otherId = conversationId?.split(":").find((id) => id !== me.id);
      const contact = DEMO_USERS.find((u) => u.id === otherId) ?? (otherId ? { id: otherId, firstName: otherId, lastName: "" } : null);
      if (contact && conversationId.includes(me.id)) open(contact);
    };
    const params = new URLSearchParams(window.location.search);
    if (params.get("conversation")) openConversation(params.get("conversation"));
    const onMessage = (event) => event.data?.type === "pusher-chat:open" && openConversation(event.data.conversationId);
    navigator.serviceWorker?.addEventListener("message", onMessage);
    return () => navigator.serviceWorker?.removeEventListener("message", onMessage);
  }, [me.id]); // eslint-disable-line react-hooks/exhaustive-deps
}
