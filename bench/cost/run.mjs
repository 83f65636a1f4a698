// The cost bench's driver (started by scripts/bench-cost, which runs the stack and the counting
// proxies of proxy.mjs): what one chat message costs on Pusher and Vercel.
//   1:1   two people with the chat open exchange BENCH_COST_MESSAGES (20) messages, alternating;
//   room  BENCH_COST_ROOM_SIZE (10) members with the room open, senders rotating;
// each message preceded by ~1.5 s of typing (a keystroke every 300 ms) that starts when the
// previous message arrives at its sender, and each marked seen on arrival. Every scenario runs
// twice, with the project's client package and with a client of the seed's design, all four at
// once, each counted on its own (proxy.mjs). Writes the tables (Markdown) and a JSON summary.
// Environment: BENCH_COST_API (the dev server, for the uncounted setup), BENCH_COST_PORTS_FILE,
// BENCH_SOCKUDO_PORT, BENCH_SOCKUDO_METRICS_PORT, PUSHER_KEY, SUPABASE_JWT_SECRET,
// BENCH_COST_OUT (a folder), BENCH_COST_MESSAGES, BENCH_COST_ROOM_SIZE.
import { readFileSync, writeFileSync } from "node:fs";
import { ProductParticipant, SeedParticipant } from "./participants.mjs";
import { makePair, makeRoom } from "./setup.mjs";
import { table, totals } from "./report.mjs";

const env = process.env;
const need = (name) => env[name] ?? (console.error(`bench/cost/run.mjs: ${name} is not set`), process.exit(2));
const apiDirect = need("BENCH_COST_API");
const ports = JSON.parse(readFileSync(need("BENCH_COST_PORTS_FILE"), "utf8"));
const secret = need("SUPABASE_JWT_SECRET");
const out = need("BENCH_COST_OUT");
const pusher = { key: need("PUSHER_KEY"), wsHost: "127.0.0.1", wsPort: Number(need("BENCH_SOCKUDO_PORT")) };
const metricsUrl = `http://127.0.0.1:${need("BENCH_SOCKUDO_METRICS_PORT")}/metrics`;
const control = `http://127.0.0.1:${ports.control}`;
const MESSAGES = Number(env.BENCH_COST_MESSAGES ?? 20);
const ROOM_SIZE = Number(env.BENCH_COST_ROOM_SIZE ?? 10);
const TYPING_MS = 1500; // a burst of typing before each message
const KEYSTROKE_MS = 300; // notifyTyping() this often while typing
const SETTLE_MS = 2000; // after the last message: its read receipts and what follows them
const ARRIVAL_TIMEOUT_MS = 20000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...args) => console.error("[bench-cost]", ...args);
const post = (path, body) =>
  fetch(`${control}${path}`, { method: "POST", body: JSON.stringify(body ?? {}), signal: AbortSignal.timeout(5000) }).then((r) => r.json());
const counts = () => fetch(`${control}/counts`, { signal: AbortSignal.timeout(5000) }).then((r) => r.json());

/** sockudo's own counters (summed over its series): frames sent to sockets, REST calls received. */
async function sockudoMetrics() {
  const text = await fetch(metricsUrl, { signal: AbortSignal.timeout(5000) }).then((r) => r.text());
  const total = (name) =>
    text
      .split("\n")
      .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      .reduce((a, line) => a + Number(line.trim().split(/\s+/).at(-1)), 0);
  return {
    wsSent: total("sockudo_ws_messages_sent_total"),
    connections: total("sockudo_new_connections_total"),
    restCalls: total("sockudo_http_calls_received_total"),
  };
}

const withTimeout = (promise, what) =>
  Promise.race([promise, sleep(ARRIVAL_TIMEOUT_MS).then(() => Promise.reject(new Error(`timed out waiting for ${what}`)))]);

/** One conversation from opening to closing, with its participants. */
async function converse(run) {
  const base = `http://127.0.0.1:${ports.api}/t/${encodeURIComponent(run.tag)}`;
  const people = run.users.map((user, i) => {
    const contactId = run.roomId ? undefined : run.users[1 - i].id;
    const options = { apiBase: base, pusher, user, contactId, roomId: run.roomId };
    return run.style === "product" ? new ProductParticipant(options) : new SeedParticipant(options);
  });
  run.people = people;
  await Promise.all(people.map((p) => p.open()));
  const text = (i) => `${run.tag} message ${i + 1}`;
  const started = Date.now();
  for (let i = 0; i < MESSAGES; i++) {
    const sender = people[i % people.length];
    if (i > 0) await withTimeout(sender.arrived(text(i - 1)), `${run.tag}: ${text(i - 1)} at ${sender.user.name}`);
    for (let t = 0; t < TYPING_MS; t += KEYSTROKE_MS) {
      sender.keystroke();
      await sleep(KEYSTROKE_MS);
    }
    sender.send(text(i));
  }
  const last = people[(MESSAGES - 1) % people.length];
  await Promise.all(people.filter((p) => p !== last).map((p) => withTimeout(p.arrived(text(MESSAGES - 1)), `${run.tag}: the last message`)));
  run.seconds = (Date.now() - started) / 1000;
  await sleep(SETTLE_MS);
  // Tabs close one after the other, as people leave (not all in the same millisecond).
  for (const p of people) {
    p.close();
    await sleep(100);
  }
}

// --- setup (not counted) ---------------------------------------------------------------------
const runs = [
  { tag: "pair-product", scenario: "1:1", style: "product" },
  { tag: "pair-seed", scenario: "1:1", style: "seed" },
  { tag: "room-product", scenario: "room", style: "product" },
  { tag: "room-seed", scenario: "room", style: "seed" },
];
for (const run of runs) {
  const made = run.scenario === "1:1" ? await makePair(apiDirect, secret, run.tag) : await makeRoom(apiDirect, secret, ROOM_SIZE, run.tag);
  Object.assign(run, made);
  await post("/register", { tag: run.tag, ids: [...run.users.map((u) => u.id), ...(run.roomId ? [run.roomId] : [])] });
}
await sleep(1000); // the setup's publishes go out after its responses
await post("/reset");
const before = await sockudoMetrics();

// --- the four conversations, at once ---------------------------------------------------------
log(`${runs.length} conversations at once: 1:1 and a room of ${ROOM_SIZE}, ${MESSAGES} messages each, project client and seed-style client`);
const wallStart = Date.now();
await Promise.all(runs.map(converse));
// Closing sockets brings channel_vacated / member_removed webhooks: wait until they stop coming.
// sockudo, like Pusher, sends member_removed 3 s after the last connection of a member left.
await sleep(3500);
let previous = -1;
for (let i = 0; i < 40; i++) {
  const now = Object.values(await counts()).reduce((a, c) => a + c.webhooks.calls, 0);
  if (now === previous) break;
  previous = now;
  await sleep(750);
}
const counted = await counts();
const after = await sockudoMetrics();
const wallSeconds = (Date.now() - wallStart) / 1000;

// --- results -----------------------------------------------------------------------------------
const result = {};
for (const run of runs) {
  result[run.tag] = totals(counted[run.tag], run.people.map((p) => p.frames), MESSAGES);
  result[run.tag].seconds = run.seconds;
  result[run.tag].errors = run.people.flatMap((p) => p.errors.map((e) => `${p.user.name} ${e}`));
}
const clientFrames = runs.reduce((a, run) => a + run.people.reduce((b, p) => b + p.frames.all, 0), 0);
const clientDeliveries = runs.reduce((a, run) => a + result[run.tag].pusher.deliveries, 0);
const proxyRest = Object.values(counted).reduce((a, c) => a + c.publishCalls + Object.values(c.restOther).reduce((x, y) => x + y, 0), 0);
const protocolFrames = {};
for (const run of runs) for (const p of run.people) for (const [e, n] of Object.entries(p.frames.protocol)) protocolFrames[e] = (protocolFrames[e] ?? 0) + n;
const crossCheck = {
  protocolFrames,
  sockudoFramesSent: after.wsSent - before.wsSent,
  sockudoConnections: after.connections - before.connections,
  clientDeliveries,
  clientFramesReceived: clientFrames,
  sockudoRestCalls: after.restCalls - before.restCalls,
  proxyRestCalls: proxyRest,
  untagged: counted.untagged ?? null,
};

const tables = [
  table(`1:1: two people, ${MESSAGES} messages alternating`, result["pair-product"], result["pair-seed"]),
  table(`Room: ${ROOM_SIZE} members with the room open, ${MESSAGES} messages, senders rotating`, result["room-product"], result["room-seed"]),
].join("\n\n");
// sockudo counts every event it sends to a socket and each connection's pusher:connection_established,
// not the subscription acknowledgements, sign-in answers and presence member events it sends from
// other code paths: its count less the connections is the deliveries the clients counted, but for
// one quirk: for a publish that excludes a socket it subtracts that socket on every channel of the
// publish, also on channels the socket is not on (the receiver's notifications channel).
const sockudoDeliveries = crossCheck.sockudoFramesSent - crossCheck.sockudoConnections;
const check =
  `Cross-check (all four conversations): sockudo counted ${sockudoDeliveries} events sent to sockets ` +
  `(\`sockudo_ws_messages_sent_total\` less its ${crossCheck.sockudoConnections} connections' handshakes) and the clients counted ` +
  `${clientDeliveries} deliveries${sockudoDeliveries === clientDeliveries ? " (equal)" : ` (a difference of ${sockudoDeliveries - clientDeliveries})`}; ` +
  `sockudo counted ${crossCheck.sockudoRestCalls} REST calls and the proxy forwarded ${crossCheck.proxyRestCalls}` +
  `${crossCheck.sockudoRestCalls === crossCheck.proxyRestCalls ? " (equal)" : ""}.`;
writeFileSync(`${out}/cost.md`, `${tables}\n\n${check}\n`);
writeFileSync(`${out}/cost.json`, JSON.stringify({ result, crossCheck, wallSeconds }, null, 2));
const errors = runs.flatMap((run) => result[run.tag].errors.map((e) => `${run.tag}: ${e}`));
const failures = Object.entries(counted).flatMap(([tag, c]) => c.failures.map((f) => `${tag}: ${f}`));
if (counted.untagged) log(`counted for no conversation (named no id of theirs): ${JSON.stringify(counted.untagged)}`);
if (errors.length || failures.length) log(`errors seen (they are counted as they happened):\n  ${[...errors, ...failures].join("\n  ")}`);
log(`conversations took ${runs.map((r) => `${r.tag} ${r.seconds.toFixed(1)} s`).join(", ")}; ${wallSeconds.toFixed(1)} s in all`);
process.exit(0);
