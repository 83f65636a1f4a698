// A service worker for pusher-chat's Web Push: serve it from your app's origin (copy it to your
// public/ folder as /push-sw.js, or pass its URL to client.enablePush({serviceWorkerUrl})). It
// shows each push as a notification (one per conversation: a newer message replaces the older
// one's notification) and, on a click, focuses an open window of the app and opens the chat, or
// opens a new window at `?conversation=<conversationId>` (set `self.PUSHER_CHAT_OPEN_URL` before
// importing this file to choose another URL: a function of the push data).
/* eslint-env serviceworker */

self.addEventListener("install", (event) => event.waitUntil(self.skipWaiting()));
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  let push;
  try {
    push = event.data.json();
  } catch {
    push = { title: "New message", body: "" };
  }
  event.waitUntil(
    self.registration.showNotification(push.title || "New message", {
      body: push.body || "",
      tag: push.tag,
      renotify: Boolean(push.tag),
      data: push,
    }),
  );
});

function chatUrl(push) {
  if (typeof self.PUSHER_CHAT_OPEN_URL === "function") return self.PUSHER_CHAT_OPEN_URL(push);
  const url = new URL(self.registration.scope);
  if (push?.conversationId) url.searchParams.set("conversation", push.conversationId);
  else if (push?.roomId) url.searchParams.set("room", push.roomId);
  return url.href;
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const push = event.notification.data;
  const url = chatUrl(push);
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      const open = windows.find((w) => new URL(w.url).origin === new URL(url).origin);
      if (open) {
        await open.focus();
        // The page opens the conversation itself (it listens for this message).
        open.postMessage({ type: "pusher-chat:open", conversationId: push?.conversationId, roomId: push?.roomId, url });
        return;
      }
      await self.clients.openWindow(url);
    })(),
  );
});
