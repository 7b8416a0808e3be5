#!/usr/bin/env node
// Which statement IDs of the ipvlan behaviour spec have a test: an ID counts as covered
// when a *.test.ts file under src/ or test/ names it (tests name the IDs they check).
// `npm run spec-coverage` prints the table; `--check` exits 1 while any ID of sections
// 2-7 (the target) has no test. The spec is read from ../shared/spec (or $SPEC).

import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const specPath = process.env.SPEC ?? resolve(root, '../shared/spec/ipvlan-behavior.md');
if (!existsSync(specPath)) {
  console.log(`spec-coverage: no spec at ${specPath} (set SPEC=...); nothing to report`);
  process.exit(0);
}

/** IDs in spec order with the section number they appear under. */
const ids = [];
let section = '';
for (const line of readFileSync(specPath, 'utf8').split('\n')) {
  const h = /^## (\d+)\./.exec(line);
  if (h) section = h[1];
  const m = /^\*\*([A-Z0-9]+(?:-[A-Z0-9]+)*-\d+)\b/.exec(line);
  if (m) ids.push({ id: m[1], section });
}

function testFiles(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'fixtures') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) testFiles(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}
const text = ['src', 'test']
  .flatMap((d) => testFiles(join(root, d)))
  .map((f) => readFileSync(f, 'utf8'))
  .join('\n');

const covered = (id) => new RegExp(`(^|[^A-Z0-9-])${id.replace(/-/g, '\\-')}(?![0-9])`).test(text);
const bySection = new Map();
for (const { id, section: s } of ids) {
  const entry = bySection.get(s) ?? { yes: [], no: [] };
  (covered(id) ? entry.yes : entry.no).push(id);
  bySection.set(s, entry);
}
let missingTarget = 0;
for (const [s, { yes, no }] of bySection) {
  const target = Number(s) >= 2 && Number(s) <= 7;
  if (target) missingTarget += no.length;
  console.log(
    `section ${s}${target ? ' (target)' : ''}: ${yes.length}/${yes.length + no.length} covered`,
  );
  if (no.length > 0) console.log(`  missing: ${no.join(' ')}`);
}
const total = ids.filter(({ id }) => covered(id)).length;
console.log(
  `spec-coverage: ${total}/${ids.length} statement IDs have a test; ${missingTarget} missing in sections 2-7`,
);
if (process.argv.includes('--check') && missingTarget > 0) process.exit(1);
