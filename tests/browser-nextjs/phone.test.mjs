// The Next.js example on a phone (390 × 844, an iPhone 12–15, touch): one pane at a time (the
// inbox, then the chat with a back button), nothing wider than the screen, the composer in
// view (also with the on-screen keyboard open), every control at least 44 px and usable by touch
// (a tap shows a message's actions: a touch screen has no hover). Leaves the pictures
// nextjs-phone-inbox.png and nextjs-phone-chat.png in .local/screenshots/. A touch tablet keeps
// both panes, and also shows a message's actions on a tap. Bob sends 3 messages here, carol 2
// (see the rate limit note in chat.test.mjs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { diagnosed } from "../browser/chromium.mjs";
import { CAROL_ID, NAMES, WAIT, as, mine, sent, shots, signedIn, theirs, unique, useChromium } from "./example.mjs";

useChromium();

const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

/** Whatever sticks out sideways: the page wider than the screen, an element past its edges, a box that scrolls sideways. */
const sideways = (page) =>
  page.evaluate(() => {
    const root = document.documentElement;
    const width = root.clientWidth;
    const name = (el) => `${el.tagName.toLowerCase()}${el.className && typeof el.className === "string" ? `.${el.className.trim().split(/\s+/).join(".")}` : ""}`;
    const found = [];
    if (root.scrollWidth > width) found.push(`the page is ${root.scrollWidth} px wide on a ${width} px screen`);
    for (const el of document.body.querySelectorAll("*")) {
      const box = el.getBoundingClientRect();
      if (!box.width || !box.height) continue; // not shown
      if (box.left < -0.5 || box.right > width + 0.5) found.push(`${name(el)} spans ${Math.round(box.left)}..${Math.round(box.right)} px`);
      const { overflowX } = getComputedStyle(el);
      if ((overflowX === "auto" || overflowX === "scroll") && el.scrollWidth > el.clientWidth) found.push(`${name(el)} scrolls sideways (${el.scrollWidth} > ${el.clientWidth} px)`);
    }
    return found;
  });

/** Fails unless nothing sticks out sideways. */
async function fitsScreen(page, where) {
  assert.deepEqual(await sideways(page), [], `${where}: nothing wider than the screen`);
}

/** The controls shown in `scope` smaller than 44 × 44 px. */
const tooSmall = (scope) =>
  scope.evaluate((root) =>
    [...root.querySelectorAll("button, input, [role=button]")]
      .map((el) => [el, el.getBoundingClientRect()])
      .filter(([, box]) => box.width && box.height && (box.width < 43.5 || box.height < 43.5))
      .map(([el, box]) => `${el.getAttribute("aria-label") ?? el.textContent.trim().slice(0, 20)} (${Math.round(box.width)}×${Math.round(box.height)})`),
  );

/** Whether all of `locator` shows: inside the visible part of the window and of every box that clips it. */
const fullyVisible = (locator) =>
  locator.evaluate((el) => {
    const box = el.getBoundingClientRect();
    const view = window.visualViewport ?? { width: innerWidth, height: innerHeight, offsetTop: 0, offsetLeft: 0 };
    const areas = [{ left: view.offsetLeft, top: view.offsetTop, right: view.offsetLeft + view.width, bottom: view.offsetTop + view.height }];
    for (let up = el.parentElement; up && up !== document.documentElement; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (style.overflowX !== "visible" || style.overflowY !== "visible") areas.push(up.getBoundingClientRect());
    }
    return box.width > 0 && box.height > 0 && areas.every((area) =>
      box.left >= area.left - 0.5 && box.top >= area.top - 0.5 && box.right <= area.right + 0.5 && box.bottom <= area.bottom + 0.5);
  });

async function composerInView(page, where) {
  for (const part of [".composer", "input[aria-label=Message]", ".composer button[type=submit]"]) {
    assert.ok(await fullyVisible(page.locator(part)), `${where}: ${part} is fully on screen`);
  }
}

test("on a phone: the inbox, then a chat with a back button, nothing wider than the screen, the composer in view, controls for touch", diagnosed(async (t) => {
  const carol = await signedIn(t, "carol", { context: PHONE });
  assert.deepEqual(
    await carol.evaluate(() => [matchMedia("(hover: none)").matches, matchMedia("(pointer: coarse)").matches]),
    [true, true],
    "the window is a touch screen",
  );
  const viewport = await carol.locator("meta[name=viewport]").getAttribute("content");
  assert.match(viewport, /width=device-width/);
  assert.match(viewport, /interactive-widget=resizes-content/, "the keyboard resizes the layout, composer included");

  // The inbox alone: search and conversations, no chat pane.
  const inbox = carol.locator(".side");
  const chat = carol.locator(".chat");
  await inbox.waitFor(WAIT);
  assert.equal(await chat.isVisible(), false, "no chat pane beside the inbox");
  await fitsScreen(carol, "the inbox");
  assert.deepEqual(await tooSmall(inbox), [], "the inbox's controls are large enough to tap");
  assert.deepEqual(await tooSmall(carol.locator("header.top")), [], "the header's controls are large enough to tap");

  // Bob writes while carol looks at her inbox: the toast and the unread badge, on screen.
  const question = unique("Are we still on for Friday?");
  await (await as("bob"))("POST", "/api/messages/private", { receiverId: CAROL_ID, content: question });
  const entry = carol.locator(".inbox li", { hasText: NAMES.bob });
  await entry.locator(".badge").waitFor(WAIT);
  const toast = carol.locator(".toast", { hasText: question });
  await toast.waitFor(WAIT);
  assert.ok(await fullyVisible(toast), "the toast is on screen");
  await fitsScreen(carol, "the inbox with a toast");
  await carol.screenshot({ path: `${shots}nextjs-phone-inbox.png` });

  // A tap opens the chat in the whole window; the inbox goes.
  await entry.locator("button").tap();
  await carol.locator(".chat-head", { hasText: NAMES.bob }).waitFor(WAIT);
  await theirs(carol, question).waitFor(WAIT);
  assert.equal(await inbox.isVisible(), false, "the inbox is not beside the chat");
  const back = carol.getByRole("button", { name: "Back to the inbox" });
  assert.ok(await back.isVisible(), "a back button");
  await fitsScreen(carol, "the chat");
  await composerInView(carol, "the chat");

  // Reply by touch: a tap on bob's message shows its actions under it, all on screen.
  const his = theirs(carol, question);
  const actions = his.locator(".actions");
  assert.equal(await actions.isVisible(), false, "no actions before a tap");
  await his.locator(".text").tap();
  await actions.waitFor(WAIT);
  assert.ok(await fullyVisible(actions), "the actions are on screen");
  assert.deepEqual(await tooSmall(his), [], "the actions are large enough to tap");
  await his.locator("[data-react='❤️']").tap();
  await his.locator(".chip[data-emoji='❤️'][aria-pressed=true]").waitFor(WAIT);
  await his.locator("[data-action=reply]").tap();
  await carol.locator(".replying", { hasText: question }).waitFor(WAIT);
  await his.locator(".text").tap(); // a second tap hides the actions
  await actions.waitFor({ state: "hidden", ...WAIT });
  await carol.locator("input[aria-label=Message]").tap();
  const answer = unique("Yes! 7 pm at the usual place");
  await carol.locator("input[aria-label=Message]").fill(answer);
  await carol.locator(".composer button[type=submit]").tap();
  await mine(carol, answer).and(carol.locator("[data-status=sent]")).locator(".quote", { hasText: question }).waitFor(WAIT);
  await fitsScreen(carol, "the chat with a reply and a reaction");
  assert.deepEqual(await tooSmall(chat), [], "the chat's controls are large enough to tap");
  await composerInView(carol, "the chat with a reply");
  await his.locator(".text").tap(); // the picture shows a tapped message's actions
  await actions.waitFor(WAIT);
  await carol.screenshot({ path: `${shots}nextjs-phone-chat.png` });
  await his.locator(".text").tap();
  await actions.waitFor({ state: "hidden", ...WAIT });

  // A 300-character word wraps inside its bubble instead of widening the page.
  const word = `${unique("x").split(" ")[1]}${"supercalifragilistic".repeat(15)}`.slice(0, 300);
  await sent(carol, word);
  await fitsScreen(carol, "a message with a 300-character word");
  await composerInView(carol, "a message with a 300-character word");

  // The on-screen keyboard takes the lower part of the screen (with resizes-content, the
  // window shrinks): the composer moves up with it.
  await carol.locator("input[aria-label=Message]").tap();
  await carol.setViewportSize({ width: 390, height: 480 });
  await carol.waitForTimeout(200);
  await composerInView(carol, "with the keyboard open");
  await fitsScreen(carol, "with the keyboard open");
  await carol.setViewportSize(PHONE.viewport);

  // Back: the inbox again, with the long word cut short in the preview.
  await back.tap();
  await inbox.waitFor(WAIT);
  assert.equal(await chat.isVisible(), false, "the chat pane is gone");
  await entry.locator(".preview", { hasText: word.slice(0, 40) }).waitFor(WAIT);
  await fitsScreen(carol, "the inbox after the chat");
}));

test("on a phone: search results fit the screen and a tap opens the chat at the message", diagnosed(async (t) => {
  const text = unique("the long word below is for phones");
  await (await as("bob"))("POST", "/api/messages/private", { receiverId: CAROL_ID, content: `${text} ${"y".repeat(300)}` });
  const carol = await signedIn(t, "carol", { context: PHONE });
  const box = carol.locator("input[aria-label='Search messages']");
  await box.tap();
  await box.fill(text.split(" ").at(-1)); // the unique part
  const result = carol.locator(".search-results .result").first();
  await result.waitFor(WAIT);
  await fitsScreen(carol, "search results");
  assert.deepEqual(await tooSmall(carol.locator(".search-results")), [], "results are large enough to tap");
  await result.locator("button").tap();
  await carol.locator(".chat-head", { hasText: NAMES.bob }).waitFor(WAIT);
  await carol.locator(".message.focused", { hasText: text }).waitFor(WAIT);
  assert.ok(await fullyVisible(carol.locator(".message.focused .text")), "the message is on screen");
  await fitsScreen(carol, "a chat opened from search");
  await carol.getByRole("button", { name: "Back to the inbox" }).tap();
  await carol.locator(".search-results .result").first().waitFor(WAIT); // the results are still there
}));

test("on a touch tablet (two panes, no hover): a tap shows a message's actions", diagnosed(async (t) => {
  const text = unique("tap me on a tablet");
  await (await as("bob"))("POST", "/api/messages/private", { receiverId: CAROL_ID, content: text });
  const carol = await signedIn(t, "carol", { context: { viewport: { width: 820, height: 1180 }, isMobile: true, hasTouch: true } });
  await carol.locator("[data-chat-with=bob]").tap();
  const his = theirs(carol, text);
  await his.waitFor(WAIT);
  assert.ok(await carol.locator(".side").isVisible(), "the inbox stays beside the chat");
  assert.equal(await his.locator(".actions").isVisible(), false, "no actions before a tap");
  await his.locator(".text").tap();
  await his.locator(".actions").waitFor(WAIT);
  assert.ok(await fullyVisible(his.locator(".actions")), "the actions are on screen");
  await his.locator("[data-react='👍']").tap();
  await his.locator(".chip[data-emoji='👍'][aria-pressed=true]").waitFor(WAIT);
  await fitsScreen(carol, "the tablet's chat");
}));
