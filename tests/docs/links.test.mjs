// The README is a front door to docs/: every relative link and #anchor in the project's Markdown
// must land on a file and a heading that exist, so moving or renaming a section breaks this test
// instead of the reader's click.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { anchors, brokenLinks, links, markdownFiles, slug } from "./links.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));

test("every relative link and anchor in the project's Markdown resolves", () => {
  const files = markdownFiles(root);
  for (const expected of ["README.md", "SECURITY.md", "docs/api.md", "client/README.md", "examples/nextjs/README.md"]) {
    assert.ok(files.includes(expected), `${expected} is checked`);
  }
  assert.deepEqual(files.flatMap((file) => brokenLinks(root, file)), []);
});

test("the README links every page under docs/, SECURITY.md, the packages' READMEs and openapi.yaml", () => {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const targets = new Set(links(readme).map(({ target }) => target.split("#")[0]));
  const pages = markdownFiles(root).filter((file) => file.startsWith("docs/"));
  assert.ok(pages.length >= 8, "docs/ has its pages");
  for (const page of [...pages, "SECURITY.md", "client/README.md", "examples/nextjs/README.md", "openapi.yaml"]) {
    assert.ok(targets.has(page), `README.md links ${page}`);
  }
});

test("heading ids follow GitHub's rules: lower case, punctuation dropped, spaces as hyphens", () => {
  assert.equal(slug("Running as a server (Railway, Render, Fly, a VM)"), "running-as-a-server-railway-render-fly-a-vm");
  assert.equal(slug("One request's path: POST /api/messages/private"), "one-requests-path-post-apimessagesprivate");
  assert.equal(slug("Quick start: a Next.js app in five minutes"), "quick-start-a-nextjs-app-in-five-minutes");
  assert.equal(slug("`scripts/test` and **schemathesis**"), "scriptstest-and-schemathesis");
  assert.equal(slug("Why — and how_to"), "why--and-how_to");
  const headings = "# A\n## A\n```\n# not a heading\n```\n### A!\n<a id=\"here\"></a>\n";
  assert.deepEqual([...anchors(headings)], ["a", "a-1", "a-2", "here"]);
});

test("a missing file, a missing heading, a root-relative link and a link out of the repository are reported", () => {
  const site = mkdtempSync(join(tmpdir(), "docs-links-"));
  const write = (path, text) => {
    mkdirSync(dirname(join(site, path)), { recursive: true });
    writeFileSync(join(site, path), text);
  };
  try {
    write(
      "README.md",
      [
        "# Top",
        "[fine](docs/page.md#a-heading) [self](#top) [folder](docs) `[in code](nowhere.md)`",
        "[gone](docs/missing.md) [no such heading](docs/page.md#nope)",
        "```",
        "[in a fence](nowhere.md)",
        "```",
        "[rooted](/docs/page.md) [away](../elsewhere.md) [site](https://example.com/#x)",
        "![picture](docs/picture.png) [into a picture](docs/picture.png#x)",
      ].join("\n"),
    );
    write("docs/page.md", "# A heading\n\n[back](../README.md#top) [wrong](../README.md#bottom)\n");
    write("docs/picture.png", "");
    assert.deepEqual(markdownFiles(site), ["README.md", "docs/page.md"]);
    assert.deepEqual(brokenLinks(site, "README.md"), [
      "README.md:3: docs/missing.md: docs/missing.md does not exist",
      "README.md:3: docs/page.md#nope: docs/page.md has no heading with the id #nope",
      "README.md:7: /docs/page.md: a link from the site root does not resolve on GitHub; use a relative one",
      "README.md:7: ../elsewhere.md: points outside the repository",
      "README.md:8: docs/picture.png#x: an anchor into docs/picture.png, which is not a Markdown file",
    ]);
    assert.deepEqual(brokenLinks(site, "docs/page.md"), [
      "docs/page.md:3: ../README.md#bottom: README.md has no heading with the id #bottom",
    ]);
  } finally {
    rmSync(site, { recursive: true, force: true });
  }
});
