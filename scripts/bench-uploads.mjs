// The uploads benchmark (scripts/bench-uploads starts what it needs): how long POST /api/uploads
// takes (a rate-limit token, a row and a SigV4 presign), and how many bytes of a file pass
// through the API (none: they go to the store). Every socket's bytes are counted as the OS saw
// them (socket.bytesRead/bytesWritten), separately for the API's origin and the store's.
//   node scripts/bench-uploads.mjs <api base url>   BENCH_UPLOADS (300)  BENCH_FILE_MB (20)
import http from "node:http";
import crypto from "node:crypto";

const base = new URL(process.argv[2] || "http://127.0.0.1:3000");
const uploads = Number(process.env.BENCH_UPLOADS || 300);
const fileBytes = Number(process.env.BENCH_FILE_MB || 20) * 1024 * 1024;
const traffic = new Map(); // origin -> {read, written}

function count(origin, socket) {
  socket.once("close", () => {
    const t = traffic.get(origin) || { read: 0, written: 0 };
    t.read += socket.bytesRead;
    t.written += socket.bytesWritten;
    traffic.set(origin, t);
  });
}

// One request on a fresh connection (so every byte is counted when it closes).
function request(url, { method = "GET", headers = {}, body } = {}) {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(target, { method, headers, agent: false }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("socket", (socket) => count(target.origin, socket));
    req.on("error", reject);
    req.end(body);
  });
}

const json = async (url, options = {}) => {
  const answer = await request(url, options);
  return { ...answer, json: answer.body.length ? JSON.parse(answer.body) : null };
};
const api = (path) => new URL(path, base).toString();
const bearer = (token, extra = {}) => ({ authorization: `Bearer ${token}`, ...extra });
const post = (path, token, value) =>
  json(api(path), { method: "POST", headers: bearer(token, { "content-type": "application/json" }), body: JSON.stringify(value) });

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const ms = (n) => n.toFixed(1);

const alice = (await json(api("/dev/token?user=alice"))).json;
const bob = (await json(api("/dev/token?user=bob"))).json;

// Presign latency, one at a time.
const latencies = [];
for (let i = 0; i < uploads; i++) {
  const started = process.hrtime.bigint();
  const answer = await post("/api/uploads", alice.token, {
    chatId: bob.user.id,
    fileName: `photo-${i}.jpg`,
    contentType: "image/jpeg",
    size: 1_000_000,
  });
  latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
  if (answer.status !== 201) throw new Error(`upload ${i}: ${answer.status} ${answer.body}`);
}
latencies.sort((a, b) => a - b);
// And 10 at a time.
const parallelStart = process.hrtime.bigint();
const concurrent = 10;
let done = 0;
await Promise.all(
  Array.from({ length: concurrent }, async () => {
    while (done < uploads) {
      done++;
      const answer = await post("/api/uploads", alice.token, { chatId: bob.user.id, fileName: "p.jpg", contentType: "image/jpeg", size: 1000 });
      if (answer.status !== 201) throw new Error(`parallel upload: ${answer.status} ${answer.body}`);
    }
  }),
);
const parallelSecs = Number(process.hrtime.bigint() - parallelStart) / 1e9;

// A whole file's round trip, every byte counted per origin.
traffic.clear();
const file = crypto.randomBytes(fileBytes);
const created = await post("/api/uploads", alice.token, { chatId: bob.user.id, fileName: "big.bin.zip", contentType: "application/zip", size: file.length });
const upload = created.json.upload;
const put = await request(upload.url, { method: "PUT", headers: { ...upload.headers, "content-length": String(file.length) }, body: file });
if (put.status !== 200) throw new Error(`PUT: ${put.status} ${put.body}`);
const sent = await post("/api/messages/private", alice.token, { receiverId: bob.user.id, type: "FILE", uploadId: upload.id });
if (sent.status !== 201) throw new Error(`send: ${sent.status} ${sent.body}`);
const link = await json(api(`${sent.json.message.file.url}&format=json`), { headers: bearer(bob.token) });
const download = await request(link.json.url);
const same = crypto.createHash("sha256").update(download.body).digest("hex") === crypto.createHash("sha256").update(file).digest("hex");
if (!same) throw new Error("the download differs from the upload");

// A socket's counts arrive with its close, just after the answer's end.
await new Promise((resolve) => setTimeout(resolve, 200));
const apiTraffic = traffic.get(base.origin);
const store = new URL(upload.url).origin;
const storeTraffic = traffic.get(store);
const mb = (n) => (n / 1024 / 1024).toFixed(2);
console.log(`| measure | value |`);
console.log(`|---|---|`);
console.log(`| POST /api/uploads, one at a time (${uploads}) | p50 ${ms(percentile(latencies, 50))} ms, p95 ${ms(percentile(latencies, 95))} ms, p99 ${ms(percentile(latencies, 99))} ms |`);
console.log(`| POST /api/uploads, ${concurrent} at a time | ${(uploads / parallelSecs).toFixed(0)} a second |`);
console.log(`| a ${mb(file.length)} MiB file: bytes to and from the API (upload, send, link) | ${apiTraffic.written + apiTraffic.read} (${apiTraffic.written} sent, ${apiTraffic.read} received) |`);
console.log(`| the same file: bytes to and from the store (PUT, GET) | ${storeTraffic.written + storeTraffic.read} (${mb(storeTraffic.written)} MiB sent, ${mb(storeTraffic.read)} MiB received) |`);
console.log(`| downloaded bytes equal the uploaded ones (SHA-256) | ${same} |`);
if (apiTraffic.written + apiTraffic.read >= file.length / 100) {
  console.error("file bytes passed through the API");
  process.exit(1);
}
