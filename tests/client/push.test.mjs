// The client's Web Push and mute calls, against a fake browser (service worker container, push
// manager, Notification) and a fake API: what is asked of the browser, in which order, and what
// reaches the API. The real browser path is tests/browser-push/ (Firefox).
import { test } from "node:test";
import assert from "node:assert/strict";
import { ChatApi } from "../../client/src/api.js";
import { applicationServerKey, disablePush, enablePush, pushStatus, PushError } from "../../client/src/push.js";

const KEY = "BL0LjdyHjMCykDxJd4A1hqPtmngEo6s5NpryJLLQgDI6yrAd6EPeIcUE-N2UyICS_PXkriQyq_te-sxLekpvKFM";

function fakeBrowser({ permission = "default", answer = "granted", existing = null, existingKey = null } = {}) {
  const calls = [];
  let subscription = existing;
  const makeSubscription = (key) => ({
    endpoint: "https://updates.push.services.mozilla.com/wpush/v2/abc",
    options: { applicationServerKey: key.buffer },
    toJSON: () => ({ endpoint: "https://updates.push.services.mozilla.com/wpush/v2/abc", expirationTime: null, keys: { p256dh: "P", auth: "A" } }),
    unsubscribe: async () => {
      calls.push("unsubscribe");
      subscription = null;
      return true;
    },
  });
  if (existingKey) subscription = makeSubscription(existingKey);
  const pushManager = {
    getSubscription: async () => subscription,
    subscribe: async (options) => {
      calls.push(["subscribe", options]);
      subscription = makeSubscription(options.applicationServerKey);
      return subscription;
    },
  };
  const registration = { pushManager };
  const Notification = {
    permission,
    requestPermission: async () => {
      calls.push("requestPermission");
      Notification.permission = answer;
      return answer;
    },
  };
  const navigator = {
    serviceWorker: {
      register: async (url) => {
        calls.push(["register", url]);
        return registration;
      },
      ready: Promise.resolve(registration),
      getRegistration: async () => registration,
    },
  };
  return { calls, navigator, Notification, makeSubscription, current: () => subscription };
}

function fakeApi({ enabled = true } = {}) {
  const calls = [];
  return {
    calls,
    config: async () => ({ webPush: { enabled, vapidPublicKey: enabled ? KEY : null } }),
    subscribePush: async (json) => {
      calls.push(["subscribe", json]);
      return { subscription: { id: "s1", endpoint: json.endpoint, created: true, replaced: 0 } };
    },
    unsubscribePush: async (endpoint) => {
      calls.push(["unsubscribe", endpoint]);
      return { deleted: true };
    },
  };
}

test("enablePush asks permission, registers the worker, subscribes with the server's key and stores the subscription", async () => {
  const browser = fakeBrowser();
  const api = fakeApi();
  const result = await enablePush(api, { navigator: browser.navigator, Notification: browser.Notification });
  assert.equal(result.endpoint, "https://updates.push.services.mozilla.com/wpush/v2/abc");
  assert.deepEqual(browser.calls.slice(0, 2), ["requestPermission", ["register", "/push-sw.js"]]);
  const [, options] = browser.calls[2];
  assert.equal(options.userVisibleOnly, true);
  assert.deepEqual([...options.applicationServerKey], [...applicationServerKey(KEY)]);
  assert.equal(options.applicationServerKey.length, 65, "the 65-byte public point");
  assert.deepEqual(api.calls, [["subscribe", { endpoint: result.endpoint, expirationTime: null, keys: { p256dh: "P", auth: "A" } }]]);
  assert.equal(await pushStatus({ navigator: browser.navigator, Notification: browser.Notification }), "on");
});

test("a refused permission, a server without push or a browser without it subscribe nothing", async () => {
  const denied = fakeBrowser({ answer: "denied" });
  const api = fakeApi();
  await assert.rejects(enablePush(api, { navigator: denied.navigator, Notification: denied.Notification }), (err) => err instanceof PushError && err.code === "denied");
  assert.equal(denied.current(), null);
  assert.deepEqual(api.calls, []);
  assert.equal(await pushStatus({ navigator: denied.navigator, Notification: denied.Notification }), "denied");

  const off = fakeBrowser();
  await assert.rejects(enablePush(fakeApi({ enabled: false }), { navigator: off.navigator, Notification: off.Notification }), (err) => err.code === "disabled");
  assert.deepEqual(off.calls, [], "no permission prompt when the server cannot push");

  await assert.rejects(enablePush(api, { navigator: {}, Notification: undefined }), (err) => err.code === "unsupported");
  assert.equal(await pushStatus({ navigator: {}, Notification: undefined }), "unsupported");
});

test("a subscription made with another server key is replaced, one with this key is reused", async () => {
  const browser = fakeBrowser({ permission: "granted", existingKey: new Uint8Array(65).fill(7) });
  await enablePush(fakeApi(), { navigator: browser.navigator, Notification: browser.Notification });
  assert.deepEqual(browser.calls.map((c) => (Array.isArray(c) ? c[0] : c)), ["register", "unsubscribe", "subscribe"]);
  const again = fakeBrowser({ permission: "granted", existing: browser.current() });
  await enablePush(fakeApi(), { navigator: again.navigator, Notification: again.Notification });
  assert.deepEqual(again.calls.map((c) => (Array.isArray(c) ? c[0] : c)), ["register"], "no new subscription");
});

test("disablePush unsubscribes the browser and tells the API; without a subscription it does nothing", async () => {
  const browser = fakeBrowser({ permission: "granted" });
  const api = fakeApi();
  await enablePush(api, { navigator: browser.navigator, Notification: browser.Notification });
  assert.equal(await disablePush(api, { navigator: browser.navigator }), true);
  assert.deepEqual(api.calls.at(-1), ["unsubscribe", "https://updates.push.services.mozilla.com/wpush/v2/abc"]);
  assert.equal(await pushStatus({ navigator: browser.navigator, Notification: browser.Notification }), "off");
  assert.equal(await disablePush(api, { navigator: browser.navigator }), false);
  assert.equal(api.calls.length, 2);
});

test("mute and unmute call the mute route with the conversation", async () => {
  const requests = [];
  const api = new ChatApi({
    baseUrl: "https://api.example",
    getToken: async () => "token",
    socketId: () => undefined,
    fetch: async (url, init) => {
      requests.push([url, init.method, init.body ?? null]);
      return { ok: true, status: 200, json: async () => ({}), headers: { get: () => null } };
    },
  });
  await api.mute("a:b", "2030-01-01T00:00:00.000Z");
  await api.mute("room:r1");
  await api.unmute("a:b");
  assert.deepEqual(requests, [
    ["https://api.example/api/conversations/mute", "PUT", JSON.stringify({ conversationId: "a:b", until: "2030-01-01T00:00:00.000Z" })],
    ["https://api.example/api/conversations/mute", "PUT", JSON.stringify({ conversationId: "room:r1" })],
    ["https://api.example/api/conversations/mute?conversationId=a%3Ab", "DELETE", null],
  ]);
});
