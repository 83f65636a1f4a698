// A real browser-library client for the integration tests: the official pusher-js (Node build)
// authorizes through the product's endpoints with a Bearer token, subscribes, and reports what
// happens as JSON lines on stdout. Settings come from the environment:
//   PUSHER_KEY, WS_HOST, WS_PORT, API_BASE (dev server URL), TOKEN, CHANNELS (comma-separated),
//   SIGN_IN (1 to sign in as a user). It exits when stdin closes.
"use strict";
// pusher-js's Node build opens private-encrypted- channels too (its web build needs with-encryption).
const Pusher = require("pusher-js");

const emit = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
const headers = { Authorization: `Bearer ${process.env.TOKEN}` };
const pusher = new Pusher(process.env.PUSHER_KEY, {
  cluster: "local",
  wsHost: process.env.WS_HOST,
  wsPort: Number(process.env.WS_PORT),
  forceTLS: false,
  enabledTransports: ["ws"],
  disableStats: true,
  channelAuthorization: { endpoint: `${process.env.API_BASE}/api/pusher/auth`, transport: "ajax", headers },
  userAuthentication: { endpoint: `${process.env.API_BASE}/api/pusher/user-auth`, transport: "ajax", headers },
});

pusher.connection.bind("connected", () => {
  emit({ type: "connected", socketId: pusher.connection.socket_id });
  if (process.env.SIGN_IN === "1") {
    pusher.signin();
    pusher.user.signinDonePromise.then(() => emit({ type: "signed_in", userId: pusher.user.user_data.id }));
  }
  for (const name of (process.env.CHANNELS || "").split(",").filter(Boolean)) {
    const channel = pusher.subscribe(name);
    channel.bind("pusher:subscription_succeeded", (data) => emit({ type: "subscribed", channel: name, members: data && data.count }));
    channel.bind("pusher:subscription_error", (err) => emit({ type: "subscription_error", channel: name, status: err.status }));
    channel.bind_global((event, data) => {
      if (!event.startsWith("pusher:") && !event.startsWith("pusher_internal:")) emit({ type: "event", channel: name, event, data });
    });
  }
});
pusher.user.bind("pusher:signin_error", (err) => emit({ type: "signin_error", status: err.status }));
pusher.connection.bind("error", (err) => emit({ type: "error", error: String(err && (err.error || err.type)) }));
process.stdin.on("end", () => { pusher.disconnect(); process.exit(0); });
process.stdin.resume();
