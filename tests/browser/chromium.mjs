// Debian's Chromium for the browser tests, started the way this closed network needs: no
// background connections, no component updates, no sync (they would be refused, many at a time).
// A test wrapped in `diagnosed` that fails leaves, for every page it `watch`ed, a screenshot in
// .local/screenshots/ and prints the page's last console messages, failed requests and
// websocket frames, so a failure on a machine nobody can log in to still says what happened.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";

const shots = new URL("../../.local/screenshots/", import.meta.url).pathname;

/** `args`: more command-line switches, e.g. `--host-resolver-rules=MAP some.test 127.0.0.1`. */
export function launchChromium({ args = [] } = {}) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", ...args],
  });
}

let watchedPages = [];

/** Records what `page` does (console, errors, failed requests, websocket frames) for `diagnosed`. */
export function watch(page, label) {
  const started = Date.now();
  const lines = [];
  const note = (text) => lines.push(`+${((Date.now() - started) / 1000).toFixed(2)}s ${text}`.slice(0, 400));
  page.on("console", (message) => note(`console.${message.type()}: ${message.text()}`));
  page.on("pageerror", (err) => note(`page error: ${err.message}`));
  page.on("requestfailed", (request) => note(`request failed: ${request.method()} ${request.url()} ${request.failure()?.errorText ?? ""}`));
  page.on("response", (response) => {
    if (response.status() >= 400) note(`HTTP ${response.status()}: ${response.request().method()} ${response.url()}`);
  });
  page.on("websocket", (ws) => {
    note(`websocket opened: ${ws.url()}`);
    ws.on("framesent", (frame) => note(`websocket sent: ${frame.payload}`));
    ws.on("framereceived", (frame) => note(`websocket received: ${frame.payload}`));
    ws.on("socketerror", (err) => note(`websocket error: ${err}`));
    ws.on("close", () => note(`websocket closed: ${ws.url()}`));
  });
  watchedPages.push({ page, label, lines });
  return page;
}

/** Wraps a test body: on failure, a screenshot and the recent events of every watched page. */
export function diagnosed(body) {
  return async (t) => {
    watchedPages = [];
    try {
      await body(t);
    } catch (err) {
      mkdirSync(shots, { recursive: true });
      const slug = t.name.replace(/[^a-z0-9]+/gi, "-").slice(0, 60);
      for (const { page, label, lines } of watchedPages) {
        const file = `${shots}failed-${slug}-${label}.png`;
        const shot = await page.screenshot({ path: file, timeout: 5000 }).then(() => file, (e) => `none (${e.message.split("\n")[0]})`);
        console.error(`\n--- ${label} in "${t.name}" (url ${page.url()}; screenshot: ${shot})\n${lines.slice(-60).join("\n")}`);
      }
      throw err;
    } finally {
      watchedPages = [];
    }
  };
}
