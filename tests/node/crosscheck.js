// Computes Pusher signatures with the official Node library (npm `pusher`) for the cases on
// stdin, so the Rust implementation is checked against it (tests/integration/pusher_protocol.rs).
"use strict";
const Pusher = require("pusher");

const cases = JSON.parse(require("fs").readFileSync(0, "utf8"));
const results = cases.map((c) => {
  const pusher = new Pusher({
    appId: c.appId,
    key: c.key,
    secret: c.secret,
    encryptionMasterKeyBase64: c.masterKeyBase64,
    host: "127.0.0.1",
  });
  const presenceData = { user_id: c.userId, user_info: { name: c.name } };
  const presence = pusher.authorizeChannel(c.socketId, `presence-${c.channel}`, presenceData);
  const user = pusher.authenticateUser(c.socketId, { id: c.userId, user_info: { name: c.name } });
  return {
    privateAuth: pusher.authorizeChannel(c.socketId, `private-${c.channel}`).auth,
    presenceAuth: presence.auth,
    presenceChannelData: presence.channel_data,
    userAuth: user.auth,
    userData: user.user_data,
    restQuery: pusher.createSignedQueryString({
      method: "POST",
      path: `/apps/${c.appId}/events`,
      body: c.body,
      params: c.params,
    }),
    sharedSecret: pusher.channelSharedSecret(`private-encrypted-${c.channel}`).toString("base64"),
    webhookValid: pusher
      .webhook({
        headers: { "x-pusher-key": c.key, "x-pusher-signature": c.webhookSignature, "content-type": "application/json" },
        rawBody: c.body,
      })
      .isValid(),
  };
});
process.stdout.write(JSON.stringify(results));
