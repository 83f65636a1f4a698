// The client ships as plain ES modules, nothing built: the npm package must hold every module its
// entries import, and Vercel's buildCommand (the same copy the dev server's demo page gets) must
// give public/vendor/ a tree the browser can load from /vendor/pusher-chat.js.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as entry from "../../client/pusher-chat.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CLIENT = path.join(ROOT, "client");

/** The relative imports and re-exports of a module (type-only imports live in comments and are not matched). */
const relativeImports = (source) => [...source.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s*"(\.{1,2}\/[^"]+)"/gm)].map((m) => m[1]);

/** Every module reachable from `start` through relative imports, as paths relative to `root`. */
function moduleGraph(root, start) {
  const seen = new Set();
  const visit = (file) => {
    const relative = path.relative(root, file);
    if (seen.has(relative)) return;
    seen.add(relative);
    assert.ok(fs.existsSync(file), `${relative} is imported but does not exist`);
    for (const spec of relativeImports(fs.readFileSync(file, "utf8"))) {
      assert.match(spec, /\.js$/, `${relative} imports ${spec}: a browser needs the file's full name`);
      visit(path.resolve(path.dirname(file), spec));
    }
  };
  visit(path.join(root, start));
  return seen;
}

test("the npm package ships every module its entries import", () => {
  const [pack] = JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: CLIENT, encoding: "utf8" }));
  const shipped = new Set(pack.files.map((f) => f.path));
  const needed = new Set([...moduleGraph(CLIENT, "pusher-chat.js"), ...moduleGraph(CLIENT, "react.js")]);
  assert.ok(needed.size > 2, "the entries import modules of their own");
  assert.deepEqual([...needed].filter((f) => !shipped.has(f)).sort(), [], "imported but left out of package.json's files");
  for (const types of ["pusher-chat.d.ts", "react.d.ts"]) assert.ok(shipped.has(types), `${types} ships`);
});

test("vercel.json's buildCommand gives public/vendor/ the whole client, loadable as it is", async () => {
  const { buildCommand } = JSON.parse(fs.readFileSync(path.join(ROOT, "vercel.json"), "utf8"));
  // A deployment's checkout: the package manifest, the client and the installed pusher-js.
  const checkout = fs.mkdtempSync(path.join(os.tmpdir(), "pusher-chat-vendor-"));
  try {
    fs.copyFileSync(path.join(ROOT, "package.json"), path.join(checkout, "package.json"));
    fs.cpSync(CLIENT, path.join(checkout, "client"), { recursive: true });
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(checkout, "node_modules"), "dir");
    // A stale file from an earlier build must not survive (a removed module would still load).
    fs.mkdirSync(path.join(checkout, "public/vendor/src"), { recursive: true });
    fs.writeFileSync(path.join(checkout, "public/vendor/src/removed.js"), "export {};\n");
    execFileSync("sh", ["-c", buildCommand], { cwd: checkout, stdio: "pipe" });

    const vendor = path.join(checkout, "public/vendor");
    assert.ok(fs.existsSync(path.join(vendor, "pusher-with-encryption.min.js")), "pusher-js's encryption build is copied");
    assert.ok(!fs.existsSync(path.join(vendor, "src/removed.js")), "the copy starts from an empty public/vendor/");
    const graph = moduleGraph(vendor, "pusher-chat.js");
    for (const module of graph) {
      assert.equal(fs.readFileSync(path.join(vendor, module), "utf8"), fs.readFileSync(path.join(CLIENT, module), "utf8"), `${module} is the client's own`);
    }
    // What the demo page imports from /vendor/pusher-chat.js (the folder marked as ES modules, as a browser takes them).
    fs.writeFileSync(path.join(vendor, "package.json"), '{ "type": "module" }\n');
    const vendored = await import(pathToFileURL(path.join(vendor, "pusher-chat.js")).href);
    assert.deepEqual(Object.keys(vendored).sort(), Object.keys(entry).sort());
    for (const name of Object.keys(entry)) assert.equal(typeof vendored[name], typeof entry[name], name);
  } finally {
    fs.rmSync(checkout, { recursive: true, force: true });
  }
});
