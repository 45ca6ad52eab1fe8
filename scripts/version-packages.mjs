#!/usr/bin/env node
// `pnpm run version-packages`: applies the pending changesets (`changeset version`: versions,
// changelogs, internal dependency bumps), then sets each public package's exported `VERSION`
// constant to its new package.json version — Changesets does not know about the constant, and a
// unit test per package checks that the two agree.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const declaration = /export const VERSION = '[^']*';/;

/** Rewrites the `VERSION` declaration under `src/` of the package in `dir`; returns the files changed. */
function syncVersion(dir) {
  const { version, private: isPrivate } = JSON.parse(
    readFileSync(path.join(dir, 'package.json'), 'utf8'),
  );
  const src = path.join(dir, 'src');
  if (isPrivate || !existsSync(src)) return [];
  const changed = [];
  for (const name of readdirSync(src)) {
    const file = path.join(src, name);
    if (!name.endsWith('.ts')) continue;
    const text = readFileSync(file, 'utf8');
    if (!declaration.test(text)) continue;
    const next = text.replace(declaration, `export const VERSION = '${version}';`);
    if (next !== text) {
      writeFileSync(file, next);
      changed.push(file);
    }
  }
  return changed;
}

// A workspace other than this repository (a copy, in the packaging tests) may be named.
const workspace = process.argv[2] ? path.resolve(process.argv[2]) : root;
execFileSync(path.join(root, 'node_modules', '.bin', 'changeset'), ['version'], {
  cwd: workspace,
  stdio: 'inherit',
});
const packages = path.join(workspace, 'packages');
for (const name of readdirSync(packages)) {
  for (const file of syncVersion(path.join(packages, name))) console.log(`VERSION set in ${file}`);
}
