import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));

/**
 * The hosts `next dev` serves its dev resources (/_next/*, the /_next/hmr websocket) to, besides
 * localhost. A page opened from any other host loads but never starts (its buttons stay disabled),
 * so 127.0.0.1, the address this README and the scripts use, is listed, and ALLOWED_DEV_ORIGINS
 * adds more, comma-separated: host names or IP addresses (a LAN address, `my-laptop.local`,
 * `*.example.test`); a full origin is taken for its host, since Next compares hosts, not ports.
 */
function allowedDevOrigins(extra = process.env.ALLOWED_DEV_ORIGINS ?? "") {
  const hosts = extra
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => (entry.includes("://") ? new URL(entry).hostname : entry.replace(/^([^:]+):\d+$/, "$1")));
  return [...new Set(["127.0.0.1", ...hosts])];
}

/** @type {import("next").NextConfig} */
export default {
  // This folder is the app's root, not the repository around it (which has a lockfile of its own).
  turbopack: { root: here },
  outputFileTracingRoot: here,
  poweredByHeader: false,
  allowedDevOrigins: allowedDevOrigins(),
};
