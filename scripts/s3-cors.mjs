#!/usr/bin/env node
// A CORS front for a local S3 server without CORS of its own (s3s-fs), for dev and tests only:
// browsers upload to it straight from another origin, as they do to a real bucket with a CORS
// configuration. It answers preflights (OPTIONS) itself and forwards every other request to the
// S3 server unchanged — method, path, query, headers (Host included, so SigV4 signatures still
// verify) and body, streamed — adding Access-Control-Allow-Origin and Expose-Headers to the answer.
// Only node's http module; nothing to install.
//
//   node scripts/s3-cors.mjs --port 16950 --upstream 127.0.0.1:16951 [--origins "https://a,https://b" | "*"]
import http from "node:http";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith("--") ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []),
);
const port = Number(args.port);
const [upstreamHost, upstreamPort] = String(args.upstream || "").split(":");
const origins = String(args.origins || process.env.S3_CORS_ALLOWED_ORIGINS || "*")
  .split(",")
  .map((o) => o.trim())
  .filter(Boolean);
if (!port || !upstreamHost || !upstreamPort) {
  console.error("usage: s3-cors.mjs --port P --upstream HOST:PORT [--origins list|*]");
  process.exit(2);
}

const allowedOrigin = (origin) => {
  if (!origin) return null;
  return origins.includes("*") || origins.includes(origin) ? origin : null;
};
const EXPOSE = "ETag, Content-Length, Content-Type, x-amz-request-id, x-amz-version-id";

const server = http.createServer((req, res) => {
  const origin = allowedOrigin(req.headers.origin);
  if (req.method === "OPTIONS" && req.headers["access-control-request-method"]) {
    if (!origin) {
      res.writeHead(403, { "Content-Type": "text/plain" }).end("origin not allowed");
      return;
    }
    res.writeHead(204, {
      "Access-Control-Allow-Origin": origin,
      "Access-Control-Allow-Methods": "GET, PUT, HEAD",
      "Access-Control-Allow-Headers": req.headers["access-control-request-headers"] || "content-type",
      "Access-Control-Max-Age": "3600",
      Vary: "Origin",
    });
    res.end();
    return;
  }
  const upstream = http.request(
    { host: upstreamHost, port: Number(upstreamPort), method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      const headers = { ...answer.headers };
      if (origin) {
        headers["access-control-allow-origin"] = origin;
        headers["access-control-expose-headers"] = EXPOSE;
        headers.vary = "Origin";
      }
      res.writeHead(answer.statusCode || 502, headers);
      answer.pipe(res);
    },
  );
  upstream.setTimeout(30_000, () => upstream.destroy(new Error("upstream timeout")));
  upstream.on("error", (err) => {
    if (!res.headersSent) res.writeHead(502, { "Content-Type": "text/plain" });
    res.end(`upstream: ${err.message}`);
  });
  req.pipe(upstream);
});
server.listen(port, "127.0.0.1", () => console.log(`s3 cors front on ${port} -> ${upstreamHost}:${upstreamPort} (origins: ${origins.join(",")})`));
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.close(() => process.exit(0)));
