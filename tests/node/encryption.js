// Cross-checks end-to-end encryption with the official Node library (npm `pusher`): for the case
// on stdin it reports the channel's shared secret, opens the event the Rust side sealed, and seals
// an event itself (captured from its own REST call to a local HTTP server) for the Rust side to open.
"use strict";
const http = require("http");
const Pusher = require("pusher");
const nacl = require("tweetnacl");

const c = JSON.parse(require("fs").readFileSync(0, "utf8"));
const server = http.createServer((req, res) => {
  let body = "";
  req.on("data", (chunk) => (body += chunk));
  req.on("end", () => {
    res.setHeader("content-type", "application/json");
    res.end("{}");
    server.emit("captured", JSON.parse(body));
  });
});
server.listen(0, "127.0.0.1", async () => {
  const pusher = new Pusher({
    appId: "1",
    key: "key",
    secret: "secret",
    encryptionMasterKeyBase64: c.masterKeyBase64,
    host: "127.0.0.1",
    port: String(server.address().port),
    useTLS: false,
  });
  const key = new Uint8Array(pusher.channelSharedSecret(c.channel));
  const sealed = JSON.parse(c.sealedByRust);
  const opened = nacl.secretbox.open(
    new Uint8Array(Buffer.from(sealed.ciphertext, "base64")),
    new Uint8Array(Buffer.from(sealed.nonce, "base64")),
    key,
  );
  const captured = new Promise((resolve) => server.once("captured", resolve));
  await pusher.trigger(c.channel, "new-message", JSON.parse(c.plain));
  const sent = await captured;
  process.stdout.write(JSON.stringify({
    sharedSecret: Buffer.from(key).toString("base64"),
    openedRust: opened && Buffer.from(opened).toString("utf8"),
    sealedByNode: sent.data,
  }));
  server.close();
});
