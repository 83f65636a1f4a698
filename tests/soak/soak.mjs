// The fault soak (run by scripts/soak, which starts a private PostgreSQL, migrates a database and
// builds the server): real clients — the product's client package on the official pusher-js — send
// messages through two `server` instances while the stack is broken on purpose, then every message
// is checked against the database.
//
// Started here: sockudo, two `server` instances on one database (B reaches sockudo's REST API
// through a proxy that can be cut, so its publishes fail while the websockets stay up), a proxy in
// front of one client's websocket, and SOAK_USERS clients that send SOAK_MESSAGES messages, each
// with its own clientMessageId, alternating between the instances and retrying failures (no
// answer, 503, 429 after Retry-After) with the same clientMessageId. Mid-run, one after another:
// cut B's way to Pusher for 4 s, restart PostgreSQL, cut one client's websocket for 2 s, kill -9
// and restart sockudo.
//
// Afterwards it prints a table and checks: every accepted message stored exactly once, seq gap-free
// per conversation, every client's view equal to the database, no 500, every outage error a 503
// with Retry-After, no request longer than REQUEST_TIMEOUT_MS. It prints `# pass N` / `# fail N`
// (scripts/test counts them) and exits 1 on any violation.
//
// Settings (environment): SOAK_USERS (50), SOAK_MESSAGES (10000), SOAK_RATE (messages a second
// for all clients together, 150), REQUEST_TIMEOUT_MS (8000), SOAK_SEND_LIMIT (the servers'
// RATE_LIMIT_MESSAGES_PER_MINUTE, 100000), SOAK_DEBUG (1: print each client's connection states),
// and from scripts/soak: SOAK_DATABASE_URL, SOAK_SERVER_BIN, SOAK_PG_RESTART (a shell command),
// SOAK_LOG_DIR.

import { execFile, execFileSync, spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import Pusher from "pusher-js";
import { ApiError, ChatClient, conversationKey } from "../../client/pusher-chat.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const env = process.env;
const int = (value, fallback) => (value && /^\d+$/.test(value) ? Number(value) : fallback);
const USERS = int(env.SOAK_USERS, 50);
const MESSAGES = int(env.SOAK_MESSAGES, 10000);
const RATE = int(env.SOAK_RATE, 150);
const REQUEST_TIMEOUT_MS = int(env.REQUEST_TIMEOUT_MS, 8000);
/** What a request may take beyond REQUEST_TIMEOUT_MS: writing the answer, the loopback, Node. */
const TIMEOUT_MARGIN_MS = 500;
const DATABASE_URL = need("SOAK_DATABASE_URL");
const SERVER_BIN = need("SOAK_SERVER_BIN");
const PG_RESTART = need("SOAK_PG_RESTART");
const LOG_DIR = env.SOAK_LOG_DIR || fs.mkdtempSync(path.join(os.tmpdir(), "soak-logs-"));
const APP = { id: "soak-app", key: "soak-key", secret: "soak-secret-0123456789" };
const JWT_SECRET = "soak-jwt-secret-0123456789abcdef0123456789";
const RUN = Date.now().toString(36);

function need(name) {
  if (!env[name]) {
    console.error(`soak: ${name} is not set (run scripts/soak)`);
    process.exit(2);
  }
  return env[name];
}

const T0 = performance.now();
const log = (...args) => console.log(`[soak ${((performance.now() - T0) / 1000).toFixed(1).padStart(6)}s]`, ...args);
const groupBy = (list, key) => {
  const groups = new Map();
  for (const item of list) {
    const k = key(item);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(item);
  }
  return groups;
};

// --- processes ---------------------------------------------------------------------------------

const children = new Set();
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(130));

function start(name, command, args, options = {}) {
  const out = fs.openSync(path.join(LOG_DIR, `${name}.log`), "a");
  const child = spawn(command, args, { ...options, stdio: ["ignore", out, out] });
  fs.closeSync(out);
  children.add(child);
  child.exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  child.exited.then(() => children.delete(child));
  return child;
}

async function stop(child, signal = "SIGTERM", bound = 15000) {
  if (!children.has(child)) return child.exited;
  child.kill(signal);
  const timer = setTimeout(() => child.kill("SIGKILL"), bound);
  const exit = await child.exited;
  clearTimeout(timer);
  return exit;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

async function waitUntil(what, check, bound = 30000) {
  const started = Date.now();
  while (!(await check().catch(() => false))) {
    if (Date.now() - started > bound) throw new Error(`${what} did not happen within ${bound} ms`);
    await sleep(100);
  }
}

const ports = {
  sockudo: await freePort(),
  metrics: await freePort(),
  apiA: await freePort(),
  apiB: await freePort(),
};

let sockudo = null;
async function startSockudo() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "soak-sockudo-"));
  const config = fs
    .readFileSync(path.join(ROOT, "scripts/sockudo.toml"), "utf8")
    .replaceAll("@APP_ID@", APP.id)
    .replaceAll("@KEY@", APP.key)
    .replaceAll("@SECRET@", APP.secret)
    .replaceAll("@WEBHOOK_URL@", `http://127.0.0.1:${ports.apiA}/api/pusher/webhook`)
    .replaceAll("@PORT@", String(ports.sockudo))
    .replaceAll("@METRICS_PORT@", String(ports.metrics));
  fs.writeFileSync(path.join(dir, "sockudo.toml"), config);
  // PORT and HOST would win over the file; sockudo reads ./config/config.toml, so it starts in dir.
  const sockudoEnv = { ...env };
  for (const name of ["PORT", "HOST", "SOCKUDO_DEFAULT_APP_ID", "SOCKUDO_DEFAULT_APP_KEY", "SOCKUDO_DEFAULT_APP_SECRET"]) delete sockudoEnv[name];
  sockudo = start("sockudo", "sockudo", ["--config", path.join(dir, "sockudo.toml")], { cwd: dir, env: sockudoEnv });
  await waitUntil("sockudo start", async () => (await fetch(`http://127.0.0.1:${ports.sockudo}/up/${APP.id}`)).ok);
}

/** A TCP proxy that can be cut: open connections are reset and new ones refused for a while. */
class CuttableProxy {
  #sockets = new Set();
  #cutUntil = 0;
  refused = 0;

  constructor(name, targetPort) {
    this.name = name;
    this.targetPort = targetPort;
  }

  async listen() {
    this.server = net.createServer((inbound) => {
      if (Date.now() < this.#cutUntil) {
        this.refused++;
        inbound.resetAndDestroy();
        return;
      }
      const outbound = net.connect(this.targetPort, "127.0.0.1");
      const pair = [inbound, outbound];
      for (const socket of pair) {
        this.#sockets.add(socket);
        socket.on("error", () => pair.forEach((s) => s.destroy()));
        socket.on("close", () => {
          this.#sockets.delete(socket);
          pair.forEach((s) => s.destroy());
        });
      }
      inbound.pipe(outbound);
      outbound.pipe(inbound);
    });
    await new Promise((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.port = this.server.address().port;
    return this;
  }

  cut(ms) {
    this.#cutUntil = Date.now() + ms;
    for (const socket of this.#sockets) socket.resetAndDestroy?.() ?? socket.destroy();
    this.#sockets.clear();
  }

  close() {
    this.cut(0);
    this.server.close();
  }
}

const restProxyB = await new CuttableProxy("instance B → Pusher REST", ports.sockudo).listen();
const wsProxy = await new CuttableProxy("client 0 websocket", ports.sockudo).listen();

function startServer(name, port, pusherPort) {
  return start(name, SERVER_BIN, [], {
    env: {
      PATH: env.PATH,
      HOST: "127.0.0.1",
      PORT: String(port),
      DATABASE_URL,
      DB_POOL_SIZE: "5",
      PUSHER_APP_ID: APP.id,
      PUSHER_KEY: APP.key,
      PUSHER_SECRET: APP.secret,
      PUSHER_HOST: "127.0.0.1",
      PUSHER_PORT: String(pusherPort),
      PUSHER_WS_PORT: String(ports.sockudo),
      PUSHER_USE_TLS: "false",
      SUPABASE_JWT_SECRET: JWT_SECRET,
      REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      SHUTDOWN_TIMEOUT_MS: "10000",
      LOG_FORMAT: "json",
      RUST_LOG: "info",
      // Enough sends for a soak; the limit itself is tested elsewhere.
      RATE_LIMIT_MESSAGES_PER_MINUTE: env.SOAK_SEND_LIMIT || "100000",
    },
  });
}

// --- clients -----------------------------------------------------------------------------------

function token(sub) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${part({ alg: "HS256", typ: "JWT" })}.${part({ sub, aud: "authenticated", role: "authenticated", email: `${sub.slice(0, 8)}@soak.test`, iat: now, exp: now + 6 * 3600 })}`;
  return `${unsigned}.${crypto.createHmac("sha256", JWT_SECRET).update(unsigned).digest("base64url")}`;
}

const instances = [`http://127.0.0.1:${ports.apiA}`, `http://127.0.0.1:${ports.apiB}`];
/** Every request any client made: {user, method, path, instance, status, ms, retryAfter, error}. */
const requests = [];
let requestCounter = 0;
let sendCounter = 0;

/** The `fetch` a client gets: alternates between the instances and records every request. */
function recordingFetch(user) {
  return async (url, init = {}) => {
    const { pathname, search } = new URL(url);
    const isSend = init.method === "POST" && pathname.startsWith("/api/messages/") && pathname !== "/api/messages/read";
    const instance = (isSend ? sendCounter++ : requestCounter++) % 2;
    const requestId = `soak-${RUN}-${requests.length}`;
    const entry = { user: user.index, method: init.method ?? "GET", path: pathname, instance, status: 0, ms: 0, retryAfter: null, error: null, requestId };
    if (isSend) entry.clientMessageId = JSON.parse(init.body).clientMessageId;
    requests.push(entry);
    const started = performance.now();
    try {
      const response = await fetch(`${instances[instance]}${pathname}${search}`, {
        ...init,
        headers: { ...init.headers, "X-Request-Id": requestId },
        // A request that outlives the server's own deadline by far is a hang: counted, not awaited.
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS + 10000),
      });
      let text = await response.text();
      entry.ms = performance.now() - started;
      entry.status = response.status;
      entry.retryAfter = response.headers.get("retry-after");
      if (pathname === "/api/config" && user.websocketPort && response.ok) {
        const body = JSON.parse(text);
        body.pusher.options.wsPort = body.pusher.options.wssPort = user.websocketPort;
        text = JSON.stringify(body);
      }
      return new Response(text, { status: response.status, headers: response.headers });
    } catch (err) {
      entry.ms = performance.now() - started;
      entry.error = err?.name === "TimeoutError" ? "hung" : String(err?.cause?.code ?? err?.message ?? err);
      // No answer: the client keeps the send queued; being "back online" makes it try again.
      if (isSend) setTimeout(() => user.window.dispatchEvent(new Event("online")), 300);
      throw err;
    }
  };
}

/** Pairs of users that chat: each user with the next, the one after, and the fifth. */
function conversationPairs(users) {
  const pairs = new Map();
  for (let i = 0; i < users.length; i++) {
    for (const step of [1, 2, 5]) {
      const j = (i + step) % users.length;
      if (i === j) continue;
      const key = conversationKey(users[i].id, users[j].id);
      if (!pairs.has(key)) pairs.set(key, [users[i], users[j]]);
    }
  }
  return [...pairs.values()];
}

const users = Array.from({ length: USERS }, (_, index) => ({
  index,
  id: crypto.randomUUID(),
  partners: [],
  chats: new Map(),
  live: new Set(),
  errors: [],
  states: [],
  jobs: [],
  window: Object.assign(new EventTarget(), { navigator: { onLine: true } }),
  websocketPort: null,
}));
users.forEach((user) => (user.token = token(user.id)));
users[0].websocketPort = wsProxy.port;
const pairs = conversationPairs(users);
for (const [a, b] of pairs) {
  a.partners.push(b);
  b.partners.push(a);
}

// Each message: its sender, receiver and clientMessageId, spread evenly over senders and chats.
for (let n = 0; n < MESSAGES; n++) {
  const sender = users[n % USERS];
  const round = Math.floor(n / USERS);
  const receiver = sender.partners[round % sender.partners.length];
  sender.jobs.push({ n, receiver, clientMessageId: `soak-${RUN}-${n}`, content: `soak message ${n} from ${sender.index}` });
}

// --- faults ------------------------------------------------------------------------------------

const faults = [];
async function fault(name, work) {
  const started = Date.now();
  log(`fault: ${name}`);
  await work();
  faults.push({ name, at: started, ms: Date.now() - started });
  log(`fault over: ${name} (${Date.now() - started} ms)`);
}

// [share of messages accepted, what, whose websocket must be up first, the fault]. pusher-js
// takes up to ~15 s to come back after sockudo returns, so the kill comes last and the rest of
// the run flows while the clients reconnect (they poll meanwhile).
const everyone = () => users;
const FAULTS = [
  [0.15, "cut instance B's way to Pusher's REST API for 4 s", everyone, async () => {
    restProxyB.cut(4000);
    await sleep(4000);
  }],
  [0.35, "restart PostgreSQL (pg_ctl restart -m fast)", () => [], async () => {
    // Not execFileSync: the clients keep sending while PostgreSQL is down.
    await promisify(execFile)("bash", ["-c", PG_RESTART]);
  }],
  [0.5, "cut client 0's websocket for 2 s", () => [users[0]], async () => {
    wsProxy.cut(2000);
    await sleep(2000);
  }],
  [0.7, "kill -9 sockudo, restart it 1 s later", everyone, async () => {
    await stop(sockudo, "SIGKILL");
    await sleep(1000);
    await startSockudo();
  }],
];

// --- the run -----------------------------------------------------------------------------------

const accepted = new Map(); // clientMessageId → the message the API answered
const gaveUp = []; // sends refused for good: {clientMessageId, status, code}
let faultsDone;

async function main() {
  log(`${USERS} users, ${pairs.length} conversations, ${MESSAGES} messages at ≤ ${RATE}/s; logs in ${LOG_DIR}`);
  await startSockudo();
  const servers = [startServer("server-a", ports.apiA, ports.sockudo), startServer("server-b", ports.apiB, restProxyB.port)];
  for (const base of instances) await waitUntil(`${base} ready`, async () => (await fetch(`${base}/readyz`)).ok);

  // Profiles, then every client connected with a chat open per partner.
  await Promise.all(
    users.map(async (user) => {
      const response = await fetch(`${instances[user.index % 2]}/api/me`, {
        method: "PUT",
        headers: { Authorization: `Bearer ${user.token}`, "Content-Type": "application/json" },
        body: JSON.stringify({ firstName: `Soak ${user.index}` }),
      });
      if (!response.ok) throw new Error(`PUT /api/me: ${response.status} ${await response.text()}`);
    }),
  );
  for (const user of users) {
    user.client = new ChatClient({
      baseUrl: "http://api.invalid",
      Pusher,
      fetch: recordingFetch(user),
      getToken: async () => user.token,
      storage: memoryStorage(),
      window: user.window,
      document: null,
      onError: (err) => user.errors.push(err),
      onStateChange: ({ current }) => user.states.push(`${((performance.now() - T0) / 1000).toFixed(1)}:${current}`),
    });
    await user.client.connect();
    user.client.pusher.bind_global((event, data) => event === "new-message" && user.live.add(data.id));
    for (const partner of user.partners) user.chats.set(partner.id, user.client.openChat(partner.id));
  }
  await waitUntil("every chat subscribed", async () => users.every((u) => [...u.chats.values()].every((c) => c.isConnected && !c.loading)), 60000);
  log("all clients connected and subscribed");

  // Faults run one after another as the accepted count passes their mark; the last 10% of the
  // messages wait for them, so every fault happens mid-run.
  faultsDone = (async () => {
    for (const [mark, name, connectedFirst, work] of FAULTS) {
      await waitUntil(`${Math.round(mark * 100)}% accepted`, async () => accepted.size >= mark * MESSAGES, 30 * 60000);
      const clients = connectedFirst();
      await waitUntil("the clients connected", async () => clients.every((u) => u.client.state === "connected"), 60000);
      await fault(name, work);
    }
  })();
  const started = performance.now();
  const progress = setInterval(() => log(`${accepted.size}/${MESSAGES} accepted`), 5000);
  await Promise.all(users.map((user) => sendAll(user)));
  await faultsDone;
  clearInterval(progress);
  const sendSeconds = (performance.now() - started) / 1000;
  log(`all sends answered in ${sendSeconds.toFixed(1)} s`);

  // What the clients have once they are all connected again (each syncs on reconnecting) and
  // live delivery settles; then after one more sync each (as when a page comes back online).
  await waitUntil("every client connected", async () => users.every((u) => u.client.state === "connected"), 60000).catch(() => {});
  await settle();
  const live = viewReport();
  for (const user of users) user.window.dispatchEvent(new Event("online"));
  await settle();
  const final = viewReport();
  const connected = users.filter((u) => u.client.state === "connected").length;
  if (env.SOAK_DEBUG) for (const u of users) log(`client ${u.index}: ${u.states.join(" ")}; errors: ${u.errors.map((e) => `${e.operation}:${e.status ?? e.message}`).join(", ")}`);

  for (const user of users) user.client.close();
  const exits = await Promise.all(servers.map((s) => stop(s)));
  await stop(sockudo);
  restProxyB.close();
  wsProxy.close();
  return { sendSeconds, live, final, connected, exits };
}

function memoryStorage() {
  const items = new Map();
  return { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => items.set(k, String(v)), removeItem: (k) => items.delete(k) };
}

let nextSlot = 0;
async function pace() {
  const now = performance.now();
  nextSlot = Math.max(nextSlot, now) + 1000 / RATE;
  const wait = nextSlot - 1000 / RATE - now;
  if (wait > 0) await sleep(wait);
}

async function sendAll(user) {
  for (const job of user.jobs) {
    if (job.n >= MESSAGES * 0.9) await faultsDone;
    await pace();
    const chat = user.chats.get(job.receiver.id);
    let sending = chat.send(job.content, { clientMessageId: job.clientMessageId });
    for (;;) {
      try {
        const message = await sending;
        accepted.set(job.clientMessageId, message);
        break;
      } catch (err) {
        const status = err instanceof ApiError ? err.status : -1;
        if (status === 503 || status === 429 || status >= 500 || status === 0) {
          await sleep(Math.min(10, err.retryAfter ?? 1) * 1000);
          sending = chat.retry(job.clientMessageId);
          continue;
        }
        gaveUp.push({ clientMessageId: job.clientMessageId, status, code: err?.body?.error?.code ?? String(err) });
        break;
      }
    }
  }
}

/** Waits until no client's view changes for 3 s (at most 60 s). */
async function settle() {
  let last = -1;
  let stableSince = Date.now();
  const started = Date.now();
  while (Date.now() - started < 60000) {
    const now = users.reduce((sum, u) => sum + [...u.chats.values()].reduce((s, c) => s + c.messages.length, 0), 0);
    if (now !== last) {
      last = now;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= 3000) return;
    await sleep(250);
  }
}

// --- checks ------------------------------------------------------------------------------------

function stored() {
  const sql = `select coalesce(json_agg(json_build_object('id', "id", 'seq', "seq", 'chatId', "chatId", 'cmid', "clientMessageId", 'sender', "senderId") order by "chatId", "seq"), '[]') from "Message"`;
  return JSON.parse(execFileSync("psql", [DATABASE_URL, "-qAt", "-v", "ON_ERROR_STOP=1", "-c", sql], { maxBuffer: 1 << 28 }).toString());
}

/** Per client and chat, how its messages differ from the database's. */
function viewReport() {
  const rows = stored();
  const byChat = groupBy(rows, (row) => row.chatId);
  const report = { missing: 0, extra: 0, wrongSeq: 0, doubled: 0, pending: 0, chatsDiffering: 0, liveReceived: 0 };
  for (const user of users) {
    for (const [partnerId, chat] of user.chats) {
      const expected = byChat.get(conversationKey(user.id, partnerId)) ?? [];
      const shown = chat.messages.filter((m) => m.status === "sent");
      report.pending += chat.messages.length - shown.length;
      const seqOf = new Map(expected.map((row) => [row.id, row.seq]));
      const ids = new Set();
      let differs = shown.length !== expected.length;
      for (const m of shown) {
        if (ids.has(m.id)) report.doubled++, (differs = true);
        ids.add(m.id);
        if (!seqOf.has(m.id)) report.extra++, (differs = true);
        else if (seqOf.get(m.id) !== m.seq) report.wrongSeq++, (differs = true);
      }
      for (const row of expected) if (!ids.has(row.id)) report.missing++, (differs = true);
      for (const row of expected) if (row.sender !== user.id && user.live.has(row.id)) report.liveReceived++;
      if (differs) report.chatsDiffering++;
    }
  }
  return report;
}

function serverLogLines(name) {
  const file = path.join(LOG_DIR, `${name}.log`);
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => {
      try {
        return JSON.parse(line);
      } catch {
        return {};
      }
    });
}

function check(outcome) {
  const rows = stored();
  const byCmid = groupBy(rows.filter((r) => r.cmid?.startsWith(`soak-${RUN}-`)), (r) => r.cmid);
  const duplicated = [...byCmid.values()].filter((list) => list.length > 1).length;
  const lost = [...accepted.keys()].filter((cmid) => !byCmid.has(cmid)).length;
  const mismatched = [...accepted].filter(([cmid, m]) => byCmid.get(cmid)?.[0]?.id !== m?.id && byCmid.has(cmid)).length;
  const gaps = [...groupBy(rows, (r) => r.chatId).values()].filter((list) => list.some((r, i) => r.seq !== i + 1)).length;

  const answered = requests.filter((r) => r.status > 0);
  const fiveXX = answered.filter((r) => r.status >= 500);
  const status500 = answered.filter((r) => r.status === 500 || (r.status > 503 && r.status < 600) || r.status === 501 || r.status === 502);
  const unavailable = answered.filter((r) => r.status === 503);
  const withRetryAfter = unavailable.filter((r) => r.retryAfter && Number(r.retryAfter) >= 1);
  const limited = answered.filter((r) => r.status === 429);
  const noAnswer = requests.filter((r) => r.status === 0);
  const hung = requests.filter((r) => r.error === "hung");
  const slowest = requests.reduce((max, r) => (r.ms > max.ms ? r : max), { ms: 0 });
  const bound = REQUEST_TIMEOUT_MS + TIMEOUT_MARGIN_MS;

  const sends = requests.filter((r) => r.clientMessageId);
  const retried = [...groupBy(sends, (r) => r.clientMessageId).values()].filter((list) => list.length > 1).length;
  const replayed = sends.filter((r) => r.status === 200).length;
  const unavailableByRoute = [...groupBy(unavailable, (r) => `${r.method} ${r.path}`)].map(([k, v]) => `${v.length} ${k}`).join(", ");
  const lines = ["server-a", "server-b"].flatMap(serverLogLines);
  const logged500 = lines.filter((l) => l.message === "request" && l.status >= 500 && l.status !== 503);
  const publishes = lines.filter((l) => l.message === "publish");
  const publishRetried = publishes.filter((l) => l.attempts > 1 && l.outcome === "published").length;
  const publishFailed = publishes.filter((l) => l.outcome !== "published").length;

  const table = [
    ["users / conversations", `${USERS} / ${pairs.length}`],
    ["messages to send", MESSAGES],
    ["sent (accepted by the API)", accepted.size],
    ["refused for good (4xx)", gaveUp.length],
    ["stored", byCmid.size],
    ["duplicated", duplicated],
    ["lost", lost],
    ["conversations with a seq gap", gaps],
    ["requests (all clients)", requests.length],
    ["5xx answers", fiveXX.length],
    ["  of them 500 or other non-503", status500.length],
    ["503 with Retry-After", withRetryAfter.length],
    ["503 without Retry-After", unavailable.length - withRetryAfter.length],
    ["503s by route", unavailableByRoute || "-"],
    ["sends retried with the same clientMessageId / answered 200 (already stored)", `${retried} / ${replayed}`],
    ["429 (retried after Retry-After)", limited.length],
    ["no answer (connection refused/reset)", noAnswer.length],
    ["requests that hung", hung.length],
    ["max request duration", `${Math.round(slowest.ms)} ms (${slowest.method ?? ""} ${slowest.path ?? ""}) vs REQUEST_TIMEOUT_MS ${REQUEST_TIMEOUT_MS}`],
    ["server log: requests answered 5xx other than 503", logged500.length],
    ["publishes retried and delivered / failed for good", `${publishRetried} / ${publishFailed}`],
    ["messages received live by their receiver / through sync", `${outcome.final.liveReceived} / ${byCmid.size - outcome.final.liveReceived}`],
    ["client views vs database: missing / extra / doubled / wrong seq", `${outcome.live.missing} / ${outcome.live.extra} / ${outcome.live.doubled} / ${outcome.live.wrongSeq}`],
    ["the same after one more sync", `${outcome.final.missing} / ${outcome.final.extra} / ${outcome.final.doubled} / ${outcome.final.wrongSeq}`],
    ["clients connected at the end", `${outcome.connected}/${USERS}`],
    ["send phase", `${outcome.sendSeconds.toFixed(1)} s`],
  ];

  const assertions = [
    ["every message was accepted", accepted.size === MESSAGES && gaveUp.length === 0, `${accepted.size} accepted, ${gaveUp.length} refused: ${JSON.stringify(gaveUp.slice(0, 3))}`],
    ["every accepted message is stored exactly once", lost === 0 && duplicated === 0 && mismatched === 0 && byCmid.size === accepted.size, `lost ${lost}, duplicated ${duplicated}, answered with another id ${mismatched}, stored ${byCmid.size}`],
    ["seq is 1..n without gaps in every conversation", gaps === 0, `${gaps} conversations`],
    ["every client's view (live events, syncs after reconnects) equals the database", outcome.live.chatsDiffering === 0 && outcome.live.pending === 0, JSON.stringify(outcome.live)],
    ["and still does after one more sync", outcome.final.chatsDiffering === 0 && outcome.final.pending === 0, JSON.stringify(outcome.final)],
    ["no 500 (nor any 5xx but 503), answered or logged", status500.length === 0 && logged500.length === 0, JSON.stringify([...status500, ...logged500].slice(0, 3))],
    ["every 503 carries Retry-After", withRetryAfter.length === unavailable.length, JSON.stringify(unavailable.filter((r) => !withRetryAfter.includes(r)).slice(0, 3))],
    ["no request outlived REQUEST_TIMEOUT_MS", slowest.ms <= bound && hung.length === 0, `${Math.round(slowest.ms)} ms > ${bound} ms: ${JSON.stringify(slowest)}`],
    ["every client is connected again", outcome.connected === USERS, `${outcome.connected}/${USERS}`],
    ["the servers stopped cleanly", outcome.exits.every((e) => e.code === 0), JSON.stringify(outcome.exits)],
    ["every fault happened", faults.length === FAULTS.length, `${faults.length}/${FAULTS.length}`],
  ];

  const width = Math.max(...table.map(([k]) => k.length));
  console.log(`\n| ${"measure".padEnd(width)} | result |\n|${"-".repeat(width + 2)}|--------|`);
  for (const [k, v] of table) console.log(`| ${k.padEnd(width)} | ${v} |`);
  console.log(`\nfaults: ${faults.map((f) => `${f.name} (${f.ms} ms)`).join("; ")}`);
  let failed = 0;
  for (const [name, ok, detail] of assertions) {
    console.log(`${ok ? "ok    " : "FAILED"} ${name}${ok ? "" : `: ${detail}`}`);
    if (!ok) failed++;
  }
  console.log(`# pass ${assertions.length - failed}`);
  console.log(`# fail ${failed}`);
  return failed;
}

try {
  const outcome = await main();
  const failed = check(outcome);
  process.exit(failed ? 1 : 0);
} catch (err) {
  console.error("soak: could not run:", err);
  console.log("# fail 1");
  process.exit(1);
}
