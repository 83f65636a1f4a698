// Blocks, mutes and reports in the client: the block list fetched at connect() drops a blocked
// user's live room messages, a muted user's come collapsed, and report() sends one target.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ChatClient, REPORT_REASONS } from "../../client/pusher-chat.js";
import { settle, signedIn, world } from "./fakes.mjs";

const shown = (room) => room.messages.map((m) => [m.senderId, m.content, !!m.collapsed]);

/** A world whose /api/blocks keeps alice's lists as the API would. */
function worldWithBlocks(initial = { blocks: [], mutes: [] }) {
  const w = world();
  const lists = { blocks: [...initial.blocks], mutes: [...initial.mutes] };
  w.server.override("GET /api/blocks", () => ({ status: 200, body: lists }));
  const change = (on) => (call) => {
    const userId = call.query.get("userId");
    const kind = call.query.get("kind");
    const list = kind === "mute" ? lists.mutes : lists.blocks;
    const at = list.findIndex((b) => b.userId === userId);
    if (on && at < 0) list.push({ userId, kind, createdAt: new Date().toISOString() });
    if (!on && at >= 0) list.splice(at, 1);
    return { status: 200, body: { userId, kind, created: on, removed: !on } };
  };
  w.server.override("PUT /api/blocks", change(true));
  w.server.override("DELETE /api/blocks", change(false));
  return w;
}

test("a room drops a blocked user's live messages from the start, and shows them again once unblocked", async () => {
  const w = worldWithBlocks({ blocks: [{ userId: "bob", kind: "block" }], mutes: [] });
  w.server.rooms.set("r1", ["alice", "bob", "carol"]);
  const { client } = await signedIn(ChatClient, w, "alice");
  assert.equal(client.isBlocked("bob"), true, "the list fetched at connect()");
  const heard = [];
  const room = client.openRoom("r1", { onMessage: (m) => heard.push(m.content) });
  await room.ready;
  w.server.deliver("carol", { roomId: "r1", content: "from carol" });
  w.server.deliver("bob", { roomId: "r1", content: "from bob" });
  w.server.deliver("carol", { roomId: "r1", content: "carol again" });
  await settle();
  assert.deepEqual(shown(room), [["carol", "from carol", false], ["carol", "carol again", false]]);
  assert.deepEqual(heard, ["from carol", "carol again"], "onMessage never hears a blocked sender");
  assert.equal(room.lastSeq, 3, "the hidden message is no hole");

  await client.unblock("bob");
  assert.equal(client.isBlocked("bob"), false);
  w.server.deliver("bob", { roomId: "r1", content: "bob is back" });
  await settle();
  assert.deepEqual(shown(room).map(([, content]) => content), ["from carol", "from bob", "carol again", "bob is back"]);
  client.close();
});

test("blocking hides a user's messages in open rooms at once, but not in the 1:1 chat; muting collapses them", async () => {
  const w = worldWithBlocks();
  w.server.rooms.set("r1", ["alice", "bob"]);
  const { client } = await signedIn(ChatClient, w, "alice");
  const safety = [];
  client.on("safety", (lists) => safety.push(lists));
  const room = client.openRoom("r1");
  const chat = client.openChat("bob");
  await Promise.all([room.ready, chat.ready]);
  w.server.deliver("bob", { roomId: "r1", content: "in the room" });
  w.server.deliver("bob", { receiverId: "alice", content: "in private" });
  await settle();
  assert.equal(room.messages.length, 1);

  await client.muteUser("bob");
  assert.deepEqual(shown(room), [["bob", "in the room", true]]);
  const snapshot = room.getSnapshot();
  room.changed();
  assert.equal(room.getSnapshot(), snapshot, "a collapsed view is the same object until something changes");
  await client.block("bob");
  assert.deepEqual(room.messages, [], "hidden at once");
  assert.deepEqual(chat.messages.map((m) => m.content), ["in private"], "the 1:1 history stays readable");
  assert.deepEqual(safety.at(-1), { blocked: ["bob"], muted: ["bob"] });
  assert.deepEqual(
    w.server.calls.filter((c) => c.path === "/api/blocks" && c.method !== "GET").map((c) => `${c.method} ${c.query.get("kind")}`),
    ["PUT mute", "PUT block"],
  );
  client.close();
});

test("report() sends exactly one target with a known reason", async () => {
  const w = worldWithBlocks();
  w.server.override("POST /api/reports", (call) => ({ status: 201, body: { report: { id: "r1", ...call.body } } }));
  const { client } = await signedIn(ChatClient, w, "alice");
  assert.deepEqual(REPORT_REASONS, ["spam", "harassment", "hate", "sexual", "violence", "other"]);
  const answer = await client.report({ messageId: "m1", reason: "harassment", note: "again" });
  assert.equal(answer.report.id, "r1");
  assert.deepEqual(w.server.callsTo("POST /api/reports")[0].body, { messageId: "m1", reason: "harassment", note: "again" });
  assert.throws(() => client.report({ messageId: "m1", userId: "bob", reason: "spam" }), TypeError);
  assert.throws(() => client.report({ userId: "bob", reason: "rude" }), TypeError);
  client.close();
});

test("a server without /api/blocks leaves the lists empty and connects all the same", async () => {
  const w = world();
  w.server.override("GET /api/blocks", () => ({ status: 404, body: { error: { code: "not_found", message: "not found" } } }));
  const { client, errors } = await signedIn(ChatClient, w, "alice");
  assert.equal(client.state, "connected");
  assert.equal(client.isBlocked("bob"), false);
  assert.deepEqual(errors, []);
  client.close();
});
