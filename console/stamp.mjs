#!/usr/bin/env node
// After `vite build`: writes the SHA-256 of every source the build read into
// app/http/console/source.sha256. tests/console/test_console_source.py recomputes it from the
// source tree, so a change to console/ (or to the shells' tables it imports) that was not
// rebuilt and committed fails the tests, without needing node at test time.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const SHARED = ["errors.js", "format.js", "words.js"].map((f) => join("miniprogram/src/core", f));
const FIXED = ["index.html", "vite.config.js", "package.json", "package-lock.json"].map((f) => join("console", f));

function walk(dir) {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(ROOT, path)).isDirectory() ? walk(path) : [path];
  });
}

export function sourceDigest() {
  const files = [...FIXED, ...walk("console/src"), ...SHARED].map((f) => relative(ROOT, join(ROOT, f)).split("\\").join("/")).sort();
  const hash = createHash("sha256");
  for (const file of files) {
    hash.update(file + "\0");
    hash.update(readFileSync(join(ROOT, file)));
    hash.update("\0");
  }
  return hash.digest("hex");
}

writeFileSync(join(ROOT, "app/http/console/source.sha256"), sourceDigest() + "\n");
