// The cost bench's counting proxies, in one process started by scripts/bench-cost:
//   api     in front of the dev server: every HTTP request of the clients, by method and path, and
//           every webhook call sockudo makes to /api/pusher/webhook, by the events it carries;
//   pusher  in front of sockudo's REST API (the dev server's PUSHER_PORT): every publish, counted
//           per channel as Pusher bills it and by event name, and every other REST call;
//   control GET /counts, POST /reset, POST /register {tag, ids}.
// Several runs go at once, each counted on its own (its tag): a client's requests carry the tag
// as a path prefix (its base URL is http://127.0.0.1:<api>/t/<tag>), and publishes, webhooks and
// other REST calls belong to the run whose user or room id their channel (or path) names.
// The websocket connections go to sockudo directly (PUSHER_WS_PORT): deliveries are counted at
// the clients and by sockudo's own metrics. Bodies pass through unchanged (webhook signatures hold).
//   node proxy.mjs <dev server port> <sockudo port> <ports file>
// It writes {"api", "pusher", "control"} (the ports it listens on) to the ports file.
import http from "node:http";
import { writeFileSync } from "node:fs";

const [apiTarget, pusherTarget, portsFile] = process.argv.slice(2);
if (!apiTarget || !pusherTarget || !portsFile) {
  console.error("usage: node proxy.mjs <dev server port> <sockudo port> <ports file>");
  process.exit(2);
}

const fresh = () => ({
  api: {}, // "GET /api/conversations" → requests of the clients
  webhooks: { calls: 0, events: {}, log: [] }, // webhook calls, the events they carry by name, each event
  publishes: {}, // event name → channels published to (Pusher bills each channel)
  publishCalls: 0, // REST calls that published (one may name several channels)
  publishCallsByEvent: {}, // event name → REST calls that published it
  restOther: {}, // other REST calls to Pusher ("GET /apps/:id/channels/:name", …)
  failures: [], // requests refused (4xx), failed (5xx) or that did not get through
});
/** tag → counts; "untagged" for what names no registered id. */
let counts = {};
let started = Date.now();
/** user or room id → tag */
const owners = new Map();

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const tagOf = (text) => {
  for (const id of String(text ?? "").match(UUID) ?? []) if (owners.has(id.toLowerCase())) return owners.get(id.toLowerCase());
  return "untagged";
};
const of = (tag) => (counts[tag] ??= fresh());
const bump = (table, key, n = 1) => (table[key] = (table[key] ?? 0) + n);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function forward(port, req, path, body, res) {
  return new Promise((resolve) => {
    const upstream = http.request(
      { host: "127.0.0.1", port: Number(port), method: req.method, path, headers: req.headers, agent, timeout: 15000 },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on("end", () => resolve(answer.statusCode ?? 502));
        answer.on("error", () => resolve(502));
      },
    );
    upstream.on("timeout", () => upstream.destroy(new Error("upstream timed out")));
    upstream.on("error", (err) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "proxy", message: String(err.message) } }));
      resolve(502);
    });
    upstream.end(body);
  });
}

const pathOf = (url) => (url ?? "/").split("?")[0];
const json = (body) => {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return null;
  }
};

/** Counts one request to the API; answers the tag and the URL to forward (without its prefix). */
function countApi(req, body) {
  const tagged = /^\/t\/([^/]+)(\/.*)$/.exec(req.url ?? "");
  const url = tagged ? tagged[2] : (req.url ?? "/");
  const path = pathOf(url);
  if (!tagged && path === "/api/pusher/webhook") {
    const events = json(body)?.events ?? [];
    const tag = tagOf(events.map((e) => e.channel).join(" "));
    of(tag).webhooks.calls++;
    for (const e of events) {
      bump(of(tag).webhooks.events, e.name ?? "unknown");
      of(tag).webhooks.log.push(`${Date.now() - started} ms ${e.name} ${e.channel}${e.user_id ? ` ${e.user_id}` : ""}`);
    }
    return { tag, url };
  }
  const tag = tagged ? decodeURIComponent(tagged[1]) : "untagged";
  // A read names what it asks for by its parameters' names: history, `after=` sync, `changedAfter=`.
  const params = [...new URL(url, "http://x").searchParams.keys()].filter((k) => !["chatId", "roomId", "conversationId"].includes(k));
  bump(of(tag).api, `${req.method} ${path}${req.method === "GET" && params.length ? `?${params.sort().join("&")}` : ""}`);
  return { tag, url };
}

/** Counts one REST call to Pusher. */
function countPusher(req, body) {
  // The path names the app: /apps/<id>/events, /apps/<id>/batch_events, /apps/<id>/channels…
  const path = pathOf(req.url).replace(/^\/apps\/[^/]+/, "/apps/:id");
  if (req.method === "POST" && path === "/apps/:id/events") {
    const e = json(body) ?? {};
    const channels = e.channels ?? (e.channel ? [e.channel] : []);
    const c = of(tagOf(channels.join(" ")));
    c.publishCalls++;
    bump(c.publishCallsByEvent, e.name ?? "unknown");
    bump(c.publishes, e.name ?? "unknown", channels.length);
  } else if (req.method === "POST" && path === "/apps/:id/batch_events") {
    const batch = json(body)?.batch ?? [];
    const c = of(tagOf(batch.map((e) => e.channel).join(" ")));
    c.publishCalls++;
    for (const name of new Set(batch.map((e) => e.name ?? "unknown"))) bump(c.publishCallsByEvent, name);
    for (const e of batch) bump(c.publishes, e.name ?? "unknown", 1);
  } else {
    const generic = path.replace(/\/channels\/[^/]+/, "/channels/:name").replace(/\/users\/[^/]+/, "/users/:id");
    bump(of(tagOf(req.url)).restOther, `${req.method} ${generic}`);
  }
  return { tag: tagOf(req.url), url: req.url };
}

function proxy(targetPort, count) {
  return http.createServer(async (req, res) => {
    const body = await readBody(req);
    const { tag, url } = count(req, body);
    const status = await forward(targetPort, req, url, body, res);
    if (status >= 400) of(tag).failures.push(`${req.method} ${pathOf(url)} → ${status}`);
  });
}

const control = http.createServer(async (req, res) => {
  const body = await readBody(req);
  if (req.method === "POST" && req.url === "/reset") {
    counts = {};
    started = Date.now();
  }
  if (req.method === "POST" && req.url === "/register") {
    const { tag, ids } = json(body) ?? {};
    for (const id of ids ?? []) owners.set(String(id).toLowerCase(), tag);
  }
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify(counts));
});

const listen = (server) => new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server.address().port)));
const ports = {
  api: await listen(proxy(apiTarget, countApi)),
  pusher: await listen(proxy(pusherTarget, countPusher)),
  control: await listen(control),
};
writeFileSync(portsFile, JSON.stringify(ports));
process.on("SIGTERM", () => process.exit(0));
