// What the example's sign-in page says when it cannot work: its scripts do not run, or the API
// does not answer. Either way it must say so, not leave buttons that do nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { diagnosed } from "../browser/chromium.mjs";
import { WAIT, api, base, newWindow, useChromium } from "./example.mjs";

useChromium();

test("a page whose scripts do not load says it has not started", diagnosed(async (t) => {
  const page = await newWindow(t, "no-scripts");
  await page.route(/\/_next\/static\/.*\.js/, (route) => route.abort("blockedbyclient"));
  await page.goto(base);
  const stuck = page.locator(".not-started .stuck");
  assert.equal(await stuck.isVisible(), false, "not at once: scripts may just be slow");
  await stuck.waitFor({ state: "visible", ...WAIT });
  assert.match(await stuck.textContent(), /has not started: its scripts did not load or did not run/);
  assert.doesNotMatch(await stuck.textContent(), /next dev/, "a production build does not talk about next dev");
  assert.equal(await page.locator(".signin [data-user]:enabled").count(), 0);
}));

test("an API that does not answer: the page says which one and what to check, and Try again finds it back", diagnosed(async (t) => {
  const page = await newWindow(t, "offline-api");
  const down = (route) => route.abort("connectionrefused");
  await page.route(`${api}/**`, down);
  await page.goto(base);
  const notice = page.locator(".signin .unreachable");
  await notice.waitFor(WAIT);
  assert.match(await notice.textContent(), new RegExp(`Cannot reach the API at ${api.replace(/\./g, "\\.")}: is it running`));
  assert.equal(await page.locator(".not-started").count(), 0, "the page itself started");

  // Signing in says the same, not "Failed to fetch".
  await page.click("[data-user=alice]");
  const failed = page.locator(".signin .error", { hasText: "Sign-in failed" });
  await failed.waitFor(WAIT);
  assert.match(await failed.textContent(), /Cannot reach the API/);

  // Back up: Try again (on the notice shown after reload) clears it, and sign-in works.
  await page.reload();
  await notice.waitFor(WAIT);
  await page.unroute(`${api}/**`, down);
  await notice.getByRole("button", { name: "Try again" }).click();
  await notice.waitFor({ state: "detached", ...WAIT });
  await page.click("[data-user=alice]");
  await page.locator(".whoami").waitFor(WAIT);
}));
