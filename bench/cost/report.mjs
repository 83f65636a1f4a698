// The cost bench's arithmetic and tables: per chat message, what Pusher bills (publishes per
// channel, other REST calls, deliveries to every socket, presence member events, webhook calls)
// and what Vercel bills (function invocations: the clients' API requests and the webhook calls),
// and the chat messages a day each Pusher plan allows.

/** Pusher's plans, in messages a day. */
export const PLANS = [
  ["Sandbox", 200_000],
  ["Pro", 4_000_000],
  ["Business", 10_000_000],
];

const sum = (table) => Object.values(table ?? {}).reduce((a, b) => a + b, 0);

/** The totals of one run: `counts` from the proxy, `frames` from its clients. */
export function totals(counts, frames, messages) {
  const c = counts ?? { api: {}, webhooks: { calls: 0, events: {} }, publishes: {}, restOther: {}, failures: [] };
  const deliveries = {};
  const byChannel = {}; // "new-message @ private-notifications" → n
  let presence = 0;
  for (const f of frames) {
    presence += f.presence;
    for (const [key, n] of Object.entries(f.deliveries)) {
      const event = key.split(" @ ")[0];
      deliveries[event] = (deliveries[event] ?? 0) + n;
      byChannel[key] = (byChannel[key] ?? 0) + n;
    }
  }
  const api = { ...c.api };
  if (c.webhooks.calls) api["POST /api/pusher/webhook"] = (api["POST /api/pusher/webhook"] ?? 0) + c.webhooks.calls;
  const pusher = {
    publishes: sum(c.publishes),
    restOther: sum(c.restOther),
    deliveries: sum(deliveries),
    presence,
    webhooks: c.webhooks.calls,
  };
  return {
    messages,
    pusherTotal: sum(pusher),
    pusher,
    publishesByEvent: c.publishes,
    publishCalls: c.publishCalls ?? 0,
    publishCallsByEvent: c.publishCallsByEvent ?? {},
    restOther: c.restOther,
    deliveriesByEvent: deliveries,
    deliveriesByEventAndChannel: byChannel,
    webhookEvents: c.webhooks.events,
    webhookLog: c.webhooks.log,
    apiTotal: sum(api),
    api,
    failures: c.failures,
  };
}

const per = (n, messages) => (n / messages).toFixed(2);
const round = (n) => (n >= 100_000 ? `${Math.round(n / 1000).toLocaleString("en-US")} k` : Math.round(n).toLocaleString("en-US"));

/** One scenario's table: the project's client against the seed's design, per chat message. */
export function table(title, product, seed) {
  const cols = [product, seed];
  const rows = [];
  const row = (label, f) => rows.push(`| ${label} | ${cols.map((t) => (t ? f(t) : "–")).join(" | ")} |`);
  const keys = (pick) => [...new Set(cols.flatMap((t) => Object.keys(pick(t) ?? {})))].sort();
  row("**Pusher messages**", (t) => `**${per(t.pusherTotal, t.messages)}**`);
  row("· publishes (per channel)", (t) => per(t.pusher.publishes, t.messages));
  for (const e of keys((t) => t.publishesByEvent)) row(`&nbsp;&nbsp;· ${e}`, (t) => per(t.publishesByEvent[e] ?? 0, t.messages));
  row("&nbsp;&nbsp;(REST calls that publish: one may name several channels)", (t) => per(t.publishCalls, t.messages));
  if (cols.some((t) => t.pusher.restOther)) row("· other REST calls (channel queries…)", (t) => per(t.pusher.restOther, t.messages));
  row("· deliveries (to every socket)", (t) => per(t.pusher.deliveries, t.messages));
  for (const e of keys((t) => t.deliveriesByEvent)) row(`&nbsp;&nbsp;· ${e}`, (t) => per(t.deliveriesByEvent[e] ?? 0, t.messages));
  row("· presence member events", (t) => per(t.pusher.presence, t.messages));
  row("· webhook calls", (t) => per(t.pusher.webhooks, t.messages));
  for (const e of keys((t) => t.webhookEvents)) row(`&nbsp;&nbsp;· ${e}`, (t) => per(t.webhookEvents[e] ?? 0, t.messages));
  row("**API requests** (function invocations)", (t) => `**${per(t.apiTotal, t.messages)}**`);
  for (const p of keys((t) => t.api)) row(`· \`${p}\``, (t) => per(t.api[p] ?? 0, t.messages));
  for (const [plan, perDay] of PLANS) {
    row(`chat messages a day on ${plan} (${round(perDay)} messages)`, (t) => round(perDay / (t.pusherTotal / t.messages)));
  }
  return [`**${title}**`, "", "| per chat message | this project | the seed's design |", "|---|---:|---:|", ...rows].join("\n");
}
