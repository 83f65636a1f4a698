import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));

/** @type {import("next").NextConfig} */
export default {
  // This folder is the app's root, not the repository around it (which has a lockfile of its own).
  turbopack: { root: here },
  outputFileTracingRoot: here,
  poweredByHeader: false,
};
