// A room's member list: loaded with roles, read again on each member event (and after a
// reconnect), the owner's and admins' actions, and what a removed member's list shows.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ChatClient, outranks, tombstoneText } from "../../client/pusher-chat.js";
import { settle, signedIn, world } from "./fakes.mjs";

/** A fake /api/rooms/members for room "r1": members with roles, bans for the owner and admins. */
function roomWithRoles(server) {
  server.rooms.set("r1", ["alice", "bob", "carol"]);
  const state = { name: "Team", roles: new Map([["alice", "owner"], ["bob", "admin"], ["carol", "member"]]), bans: [] };
  const me = (call) => call.token.split(":")[1];
  const refuse = { status: 403, body: { error: { code: "not_a_member", message: "you are not a member of this room" } } };
  server.override("GET /api/rooms/members", (call) => {
    const role = state.roles.get(me(call));
    if (!role) return refuse;
    const members = [...state.roles].map(([id, r]) => ({ id, firstName: id, lastName: "", avatar: null, role: r, joinedAt: "2026-01-01T00:00:00.000Z" }));
    const body = { room: { id: "r1", name: state.name, invitePolicy: "members" }, role, members, invitations: [] };
    if (role !== "member") body.bans = state.bans;
    return { status: 200, body };
  });
  server.override("DELETE /api/rooms/members", (call) => {
    const target = call.query.get("userId");
    state.roles.delete(target);
    server.rooms.set("r1", server.rooms.get("r1").filter((id) => id !== target));
    if (call.query.get("ban") === "true") state.bans.push({ id: target, firstName: target, lastName: "", avatar: null, by: me(call), at: "2026-01-01T00:00:00.000Z" });
    return { status: 200, body: { roomId: "r1", userId: target, removed: true, uninvited: false, banned: call.query.get("ban") === "true" } };
  });
  server.override("PATCH /api/rooms/members", (call) => {
    state.roles.set(call.query.get("userId"), call.body.role);
    return { status: 200, body: { roomId: "r1", userId: call.query.get("userId"), role: call.body.role } };
  });
  server.override("PATCH /api/rooms", (call) => {
    state.name = call.body.name ?? state.name;
    return { status: 200, body: { room: { id: "r1", name: state.name, invitePolicy: "members" } } };
  });
  return state;
}

test("the member list loads with roles and is read again on every member event of the room", async () => {
  const w = world();
  const state = roomWithRoles(w.server);
  const { client } = await signedIn(ChatClient, w, "carol");
  const events = [];
  const list = client.openRoomMembers("r1", { onEvent: (name) => events.push(name) });
  await list.ready;
  await settle();
  assert.equal(list.role, "member");
  assert.deepEqual(list.members.map((m) => [m.id, m.role]), [["alice", "owner"], ["bob", "admin"], ["carol", "member"]]);
  assert.equal(list.bans, null, "a member sees no bans");
  assert.equal(list.mayModerate("member"), false);

  state.roles.set("carol", "admin");
  w.network.publish("private-room-r1", "room-member-role-changed", { roomId: "r1", userId: "carol", role: "admin", by: "alice" });
  await settle();
  assert.equal(list.role, "admin");
  assert.deepEqual(list.bans, []);
  assert.equal(list.getSnapshot().role, "admin", "the snapshot follows");
  assert.ok(list.mayModerate(list.members.find((m) => m.role === "member") ?? "member"));
  assert.equal(list.mayModerate("admin"), false, "an admin does not act on another admin");

  state.name = "Team 2";
  w.network.publish("private-room-r1", "room-updated", { roomId: "r1", name: "Team 2", invitePolicy: "members", by: "alice" });
  await settle();
  assert.equal(list.room.name, "Team 2");
  assert.deepEqual(events, ["room-member-role-changed", "room-updated"]);
  client.close();
});

test("an admin's remove, ban, role and rename calls name the room and user, and the list shows the result", async () => {
  const w = world();
  roomWithRoles(w.server);
  const { client } = await signedIn(ChatClient, w, "alice");
  const list = client.openRoomMembers("r1");
  await list.ready;
  await list.ban("carol");
  const call = w.server.callsTo("DELETE /api/rooms/members").at(-1);
  assert.deepEqual([call.query.get("roomId"), call.query.get("userId"), call.query.get("ban")], ["r1", "carol", "true"]);
  assert.deepEqual(list.members.map((m) => m.id), ["alice", "bob"]);
  assert.deepEqual(list.bans.map((b) => b.id), ["carol"]);
  await list.setRole("bob", "member");
  assert.deepEqual(w.server.callsTo("PATCH /api/rooms/members").at(-1).body, { role: "member" });
  assert.equal(list.members.find((m) => m.id === "bob").role, "member");
  await list.rename("Renamed");
  assert.equal(list.room.name, "Renamed");
  client.close();
});

test("a removed member's list empties and says they are no longer a member", async () => {
  const w = world();
  const state = roomWithRoles(w.server);
  const { client } = await signedIn(ChatClient, w, "carol");
  const list = client.openRoomMembers("r1");
  await list.ready;
  assert.equal(list.isMember, true);
  state.roles.delete("carol");
  w.network.publish("private-room-r1", "room-member-removed", { roomId: "r1", userId: "carol", by: "bob" });
  await settle();
  assert.equal(list.isMember, false);
  assert.deepEqual(list.members, []);
  assert.equal(list.role, null);
  assert.equal(list.error?.code, "not_a_member");
  client.close();
});

test("roles rank owner over admins over members, and a moderator's tombstone says so", () => {
  assert.equal(outranks("owner", "admin"), true);
  assert.equal(outranks("owner", "owner"), false);
  assert.equal(outranks("admin", "member"), true);
  assert.equal(outranks("admin", "admin"), false);
  assert.equal(outranks("member", "member"), false);
  assert.equal(outranks(null, "member"), false);
  assert.equal(tombstoneText({ deletedAt: "x", deletedBy: "moderator" }), "removed by a moderator");
  assert.equal(tombstoneText({ deletedAt: "x" }), "message deleted");
});

test("a refused room channel (the connection came back after a removal) reads the list, which says not a member", async () => {
  const w = world();
  const state = roomWithRoles(w.server);
  const { client, pusher } = await signedIn(ChatClient, w, "carol");
  const list = client.openRoomMembers("r1");
  await list.ready;
  await settle();
  assert.equal(list.isMember, true);
  // Removed while away: no event reaches this client, and the channel is refused on reconnect.
  state.roles.delete("carol");
  w.server.rooms.set("r1", ["alice", "bob"]);
  pusher.drop();
  pusher.connect();
  await settle();
  assert.equal(list.isMember, false);
  assert.deepEqual(list.members, []);
  client.close();
});
