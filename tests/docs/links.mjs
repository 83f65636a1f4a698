// Relative links and #anchors in the project's Markdown, resolved the way GitHub renders them: a
// link names a file or folder that exists, and an anchor names a heading (or an <a id>) of the
// file it points into. Links to other sites are not fetched.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SKIPPED_FOLDERS = new Set([".git", "node_modules", "target", ".local", ".next", ".vercel"]);

/** Every Markdown file under `root`, relative to it, sorted. */
export function markdownFiles(root, folder = root) {
  const found = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIPPED_FOLDERS.has(entry.name)) found.push(...markdownFiles(root, join(folder, entry.name)));
    } else if (entry.name.endsWith(".md")) {
      found.push(relative(root, join(folder, entry.name)));
    }
  }
  return found.sort();
}

/** The text outside fenced code blocks, as lines (fenced lines become empty, so numbers hold). */
function proseLines(markdown) {
  let fence = null;
  return markdown.split("\n").map((line) => {
    const opening = line.match(/^\s*(```+|~~~+)/);
    if (fence) {
      if (opening && opening[1][0] === fence[0] && opening[1].length >= fence.length) fence = null;
      return "";
    }
    if (opening) {
      fence = opening[1];
      return "";
    }
    return line;
  });
}

/** GitHub's heading id: lower case, punctuation dropped, each space a hyphen. */
export function slug(heading) {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1") // a link shows its text
    .replace(/<[^>]+>/g, "") // inline HTML shows nothing of its tags
    .replace(/[`*]/g, ""); // code and emphasis marks
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

/** The anchors a Markdown file offers: its headings' ids (repeats get -1, -2, …) and <a id/name>. */
export function anchors(markdown) {
  const seen = new Map();
  const ids = new Set();
  for (const line of proseLines(markdown)) {
    const heading = line.match(/^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/);
    if (heading) {
      const base = slug(heading[1]);
      const count = seen.get(base) ?? 0;
      seen.set(base, count + 1);
      ids.add(count === 0 ? base : `${base}-${count}`);
    }
    for (const html of line.matchAll(/<a\s[^>]*(?:id|name)="([^"]+)"/g)) ids.add(html[1]);
  }
  return ids;
}

/** Every inline link and image of a Markdown file: `{ line, target }`, code spans left out. */
export function links(markdown) {
  const text = proseLines(markdown).join("\n");
  // Code spans may run over a line break; blank them out but keep the line breaks.
  const prose = text.replace(/(`+)[\s\S]*?\1/g, (span) => span.replace(/[^\n]/g, " "));
  const found = [];
  for (const match of prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const line = prose.slice(0, match.index).split("\n").length;
    found.push({ line, target: match[1] });
  }
  return found;
}

const EXTERNAL = /^([a-z][a-z0-9+.-]*:|\/\/)/i;

/**
 * The broken links of one Markdown file (`file` relative to `root`), each as a message naming
 * the file, the line and what is missing. `read` reads a file relative to `root`.
 */
export function brokenLinks(root, file, read = (path) => readFileSync(join(root, path), "utf8")) {
  const source = read(file);
  const problems = [];
  for (const { line, target } of links(source)) {
    if (EXTERNAL.test(target)) continue;
    const hash = target.indexOf("#");
    const path = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
    const anchor = hash < 0 ? null : decodeURIComponent(target.slice(hash + 1));
    const where = `${file}:${line}: ${target}`;
    if (path.startsWith("/")) {
      problems.push(`${where}: a link from the site root does not resolve on GitHub; use a relative one`);
      continue;
    }
    const linked = path === "" ? file : relative(root, resolve(root, dirname(file), path));
    if (linked.startsWith("..")) {
      problems.push(`${where}: points outside the repository`);
      continue;
    }
    if (path !== "" && !existsSync(join(root, linked))) {
      problems.push(`${where}: ${linked} does not exist`);
      continue;
    }
    if (anchor === null || anchor === "") continue;
    if (!linked.endsWith(".md") || statSync(join(root, linked)).isDirectory()) {
      problems.push(`${where}: an anchor into ${linked}, which is not a Markdown file`);
      continue;
    }
    const offered = anchors(path === "" ? source : read(linked));
    if (!offered.has(anchor)) problems.push(`${where}: ${linked} has no heading with the id #${anchor}`);
  }
  return problems;
}
