// The test page's service worker: the client package's own (client/push-sw.js, which shows each
// push as a notification), plus a report to the test of what arrived and whether the notification
// is there to see.
importScripts("/client/push-sw.js");

const reportTo = new URL(self.location.href).searchParams.get("report");
const report = (what, data) =>
  fetch(`${reportTo}/report`, { method: "POST", mode: "no-cors", body: JSON.stringify({ what, ...data }) });

self.addEventListener("push", (event) => {
  event.waitUntil(
    (async () => {
      let push = null;
      try {
        push = event.data.json();
      } catch (err) {
        return report("push", { error: `not JSON: ${err}` });
      }
      // The package's listener shows it; wait (3 s at most) until the browser lists it.
      let shown = "not listed";
      for (let i = 0; i < 30; i++) {
        const notifications = await self.registration.getNotifications({ tag: push.tag });
        if (notifications.some((n) => n.title === push.title && n.body === push.body)) {
          shown = "yes";
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await report("push", { shown, push });
    })(),
  );
});
