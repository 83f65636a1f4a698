// The app's backend in the tests: receives the API's webhooks on POST /hook, verifies each with
// the documented verifyChatWebhook (tests/webhooks/verify.mjs) and the secret in WEBHOOK_SECRET,
// and keeps what arrived. GET /events gives {events: [{id, type, time, data}], rejected: n}.
//   node tests/webhooks/receiver.mjs <port>    WEBHOOK_DELAY_MS: wait this long before answering
import http from "node:http";
import { verifyChatWebhook } from "./verify.mjs";

const port = Number(process.argv[2]);
const secret = process.env.WEBHOOK_SECRET;
const delayMs = Number(process.env.WEBHOOK_DELAY_MS || 0);
const events = [];
let rejected = 0;

http
  .createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks).toString("utf8");
    const answer = (status, value) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(value));
    };
    if (req.method === "GET" && req.url === "/events") return answer(200, { events, rejected });
    if (req.method !== "POST" || req.url !== "/hook") return answer(404, { error: "not found" });
    if (!verifyChatWebhook(body, req.headers["pusher-chat-signature"], secret)) {
      rejected += 1;
      return answer(401, { error: "bad signature" });
    }
    const event = JSON.parse(body);
    if (event.id !== req.headers["pusher-chat-event-id"] || event.type !== req.headers["pusher-chat-event-type"]) {
      rejected += 1;
      return answer(400, { error: "headers do not match the body" });
    }
    if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
    events.push(event);
    answer(200, { ok: true });
  })
  .listen(port, "127.0.0.1", () => console.log(`webhook receiver on ${port}`));
