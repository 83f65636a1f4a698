// The service worker of the Web Push test page: shows the pushed notification and reports what it
// received (and whether showing worked) to the test, then opens or focuses the chat on a click.
const reportTo = new URL(self.location.href).searchParams.get("report");
const report = (what, data) =>
  fetch(`${reportTo}/report`, { method: "POST", mode: "no-cors", body: JSON.stringify({ what, ...data }) });

self.addEventListener("install", (event) => event.waitUntil(self.skipWaiting()));
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  event.waitUntil(
    (async () => {
      let push = null;
      try {
        push = event.data.json();
      } catch (err) {
        return report("push", { error: `not JSON: ${err}` });
      }
      let shown = "yes";
      try {
        await self.registration.showNotification(push.title, { body: push.body, tag: push.tag, data: push });
        const notifications = await self.registration.getNotifications({ tag: push.tag });
        if (!notifications.length) shown = "not listed";
      } catch (err) {
        shown = String(err);
      }
      await report("push", { shown, push });
    })(),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = `/?conversation=${encodeURIComponent(event.notification.data?.conversationId ?? "")}`;
  event.waitUntil(
    self.clients.matchAll({ type: "window" }).then((open) =>
      open.length ? open[0].focus().then((client) => client.navigate(url)) : self.clients.openWindow(url),
    ),
  );
});
