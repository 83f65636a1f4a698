// The hand-written declarations (client/pusher-chat.d.ts, client/react.d.ts) against what the
// entries really export and the objects the client really hands out: a new export, method or
// field without a type fails here, and so does a type left behind by a removed one. tsc checks
// the types' shapes (client/types-test.ts); this checks that they cover the code and nothing more.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import * as entry from "../../client/pusher-chat.js";
import * as reactEntry from "../../client/react.js";

const CLIENT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../client");

/** The members of the runtime objects that are not API (the machinery stores share with the client). */
const INTERNAL = {
  Store: ["client", "ctx", "handlers", "cleanups", "started", "start", "notify", "failed", "changed", "needsPolling", "heard", "quietFor"],
  Conversation: ["outboxSent"],
  Inbox: ["schedule", "sync"], // refresh() is the public sync
  ChannelSubscription: ["deliver", "changed"],
};

const program = ts.createProgram([path.join(CLIENT, "pusher-chat.d.ts"), path.join(CLIENT, "react.d.ts")], {
  strict: true,
  noEmit: true,
  types: [],
  lib: ["lib.es2023.d.ts", "lib.dom.d.ts"],
});
const checker = program.getTypeChecker();

/** The names a .d.ts exports as values (classes, functions, constants), with what `typeof` each has at runtime. */
function declaredValues(file) {
  const source = program.getSourceFile(path.join(CLIENT, file));
  const moduleSymbol = checker.getSymbolAtLocation(source);
  const values = new Map();
  for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
    const flags = (symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol).flags;
    if (flags & (ts.SymbolFlags.Class | ts.SymbolFlags.Function)) values.set(symbol.name, "function");
    else if (flags & ts.SymbolFlags.Variable) values.set(symbol.name, "value");
  }
  return values;
}

/** The properties and methods a declared class's instances or an interface has, inherited ones included. */
function declaredMembers(typeName) {
  const source = program.getSourceFile(path.join(CLIENT, "pusher-chat.d.ts"));
  const symbol = checker.getExportsOfModule(checker.getSymbolAtLocation(source)).find((s) => s.name === typeName);
  assert.ok(symbol, `pusher-chat.d.ts declares ${typeName}`);
  const type = checker.getDeclaredTypeOfSymbol(symbol);
  const members = new Map();
  for (const property of checker.getPropertiesOfType(type)) members.set(property.name, !!(property.flags & ts.SymbolFlags.Optional));
  return members;
}

/** Every member a runtime object has: own fields, then methods and accessors up its class chain. */
function runtimeMembers(object) {
  const names = new Set();
  for (let o = object; o && o !== Object.prototype && o !== Error.prototype; o = Object.getPrototypeOf(o)) {
    for (const name of Object.getOwnPropertyNames(o)) if (name !== "constructor") names.add(name);
  }
  return names;
}

function sameExports(file, runtime) {
  const declared = declaredValues(file);
  const exported = Object.keys(runtime);
  assert.deepEqual(exported.filter((n) => !declared.has(n)).sort(), [], `exported without a declaration in ${file}`);
  assert.deepEqual([...declared.keys()].filter((n) => !(n in runtime)).sort(), [], `declared in ${file} but not exported`);
  for (const [name, kind] of declared) {
    if (kind === "function") assert.equal(typeof runtime[name], "function", `${name} is declared as a class or function`);
  }
}

test("pusher-chat.js exports exactly the values pusher-chat.d.ts declares", () => {
  sameExports("pusher-chat.d.ts", entry);
});

test("react.js exports exactly the values react.d.ts declares", () => {
  sameExports("react.d.ts", reactEntry);
});

/** `name`'s declared members all exist on `object`, and every member of `object` is declared or internal. */
function covers(name, object, internal = []) {
  const declared = declaredMembers(name);
  const present = runtimeMembers(object);
  const stale = [...declared].filter(([member, optional]) => !optional && !present.has(member)).map(([member]) => member);
  assert.deepEqual(stale.sort(), [], `${name} members declared in pusher-chat.d.ts that the object does not have`);
  const untyped = [...present].filter((member) => !declared.has(member) && !internal.includes(member));
  assert.deepEqual(untyped.sort(), [], `${name} members without a declaration in pusher-chat.d.ts (or list them as internal here)`);
}

test("the client and every object it hands out have exactly the members their declarations list", () => {
  const client = new entry.ChatClient({ getToken: () => "token", storage: null, window: null, document: null });
  try {
    covers("ChatClient", client);
    covers("Conversation", client.openChat("bob"), [...INTERNAL.Store, ...INTERNAL.Conversation]);
    covers("Conversation", client.openRoom("room-1"), [...INTERNAL.Store, ...INTERNAL.Conversation]);
    covers("Inbox", client.openInbox(), [...INTERNAL.Store, ...INTERNAL.Inbox]);
    covers("PresenceWatch", client.watchPresence("bob"), INTERNAL.Store);
    covers("RoomMembers", client.openRoomMembers("room-1"), INTERNAL.Store);
    covers("ChannelSubscription", client.subscribe("private-notifications-alice"), INTERNAL.ChannelSubscription);
    covers("ApiError", new entry.ApiError(429, { error: { code: "rate_limited", message: "slow down" } }), ["stack", "cause"]);
    covers("RealtimeError", new entry.RealtimeError("refused", { channel: "private-room-1" }), ["stack", "cause"]);
  } finally {
    client.close();
  }
});
