// The webhook verification that docs/webhooks.md shows for a Next.js route handler, as a module
// the tests run against real deliveries (tests/webhooks/receiver.mjs). Keep the two identical:
// tests/integration/outbox.rs checks that the page holds this function verbatim.
import crypto from "node:crypto";

// BEGIN verifyChatWebhook
export function verifyChatWebhook(body, header, secret, toleranceSecs = 300, now = Date.now() / 1000) {
  const parts = Object.fromEntries(
    (header ?? "").split(",").map((part) => {
      const i = part.indexOf("=");
      return [part.slice(0, i).trim(), part.slice(i + 1).trim()];
    }),
  );
  const t = Number(parts.t);
  // A replayed delivery older (or newer) than five minutes is refused.
  if (!Number.isInteger(t) || Math.abs(now - t) > toleranceSecs) return false;
  const expected = crypto.createHmac("sha256", secret).update(`${t}.${body}`).digest();
  const given = Buffer.from(parts.v1 ?? "", "hex");
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}
// END verifyChatWebhook
