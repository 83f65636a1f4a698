// Web Push for a signed-in user: registers the app's service worker, asks for permission,
// subscribes the browser with the API's VAPID key (GET /api/config → webPush.vapidPublicKey) and
// hands the subscription to the API; disablePush() undoes it. The service worker the app serves
// shows the notifications (client/push-sw.js is one to copy). Messages push only while the user is
// offline and for conversations they have not muted.

/** The browser parts push needs, or null when it has none of them (no service workers, no PushManager). */
function pushParts(navigator, Notification) {
  const serviceWorker = navigator?.serviceWorker;
  if (!serviceWorker || typeof Notification === "undefined" || !Notification) return null;
  return { serviceWorker, Notification };
}

/** The base64url VAPID key as the bytes pushManager.subscribe() takes. */
export function applicationServerKey(base64url) {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (base64url.length % 4)) % 4);
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

export class PushError extends Error {
  /** @param {"unsupported" | "disabled" | "denied"} code @param {string} message */
  constructor(code, message) {
    super(message);
    this.name = "PushError";
    this.code = code;
  }
}

/**
 * @param {import("./api.js").ChatApi} api
 * @param {{ serviceWorkerUrl?: string, scope?: string, navigator?: any, Notification?: any }} options
 */
export async function enablePush(api, { serviceWorkerUrl = "/push-sw.js", scope, navigator = globalThis.navigator, Notification = globalThis.Notification } = {}) {
  const parts = pushParts(navigator, Notification);
  if (!parts) throw new PushError("unsupported", "this browser has no Web Push (service workers and notifications)");
  const { webPush } = await api.config();
  if (!webPush?.enabled || !webPush.vapidPublicKey) throw new PushError("disabled", "the server has no Web Push configured");
  const permission = parts.Notification.permission === "granted" ? "granted" : await parts.Notification.requestPermission();
  if (permission !== "granted") throw new PushError("denied", "notifications are not allowed for this site");
  const registration = await parts.serviceWorker.register(serviceWorkerUrl, scope ? { scope } : undefined);
  await parts.serviceWorker.ready;
  const key = applicationServerKey(webPush.vapidPublicKey);
  let subscription = await registration.pushManager.getSubscription();
  // One made with another server key (the server's keys changed) cannot be used: start over.
  if (subscription && !sameKey(subscription.options?.applicationServerKey, key)) {
    await subscription.unsubscribe();
    subscription = null;
  }
  subscription ??= await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  const answer = await api.subscribePush(subscription.toJSON());
  return { endpoint: subscription.endpoint, subscription: answer.subscription };
}

function sameKey(a, b) {
  if (!a) return true; // browsers that do not expose the key: keep the subscription
  const bytes = new Uint8Array(a);
  return bytes.length === b.length && bytes.every((byte, i) => byte === b[i]);
}

/**
 * Unsubscribes this browser and tells the API; resolves with whether there was a subscription.
 * @param {import("./api.js").ChatApi} api
 * @param {{ scope?: string, navigator?: any }} options
 */
export async function disablePush(api, { scope, navigator = globalThis.navigator } = {}) {
  const registration = await navigator?.serviceWorker?.getRegistration(scope);
  const subscription = await registration?.pushManager.getSubscription();
  if (!subscription) return false;
  const { endpoint } = subscription;
  await subscription.unsubscribe();
  await api.unsubscribePush(endpoint);
  return true;
}

/**
 * `unsupported`, `denied` (notifications blocked), `on` (this browser is subscribed) or `off`.
 * @param {{ scope?: string, navigator?: any, Notification?: any }} options
 */
export async function pushStatus({ scope, navigator = globalThis.navigator, Notification = globalThis.Notification } = {}) {
  const parts = pushParts(navigator, Notification);
  if (!parts) return "unsupported";
  if (parts.Notification.permission === "denied") return "denied";
  const registration = await parts.serviceWorker.getRegistration(scope);
  const subscription = await registration?.pushManager.getSubscription();
  return subscription ? "on" : "off";
}
