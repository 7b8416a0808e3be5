#!/usr/bin/env node
// The one test gate: typecheck, then every *.test.ts under src/ and test/ through
// node:test (TypeScript loaded by tsx). `npm test -- wire stack` runs only the test
// files whose path contains one of the words; `--no-typecheck` skips tsc. dist/ is
// rebuilt first (scripts/build.mjs), so tests that spawn bin/ipvlan.js run the compiled
// code a user of `npm ci` runs.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const typecheck = !args.includes('--no-typecheck');
const filters = args.filter((a) => !a.startsWith('--'));

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'fixtures') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

const files = ['src', 'test']
  .flatMap((d) => walk(join(root, d), []))
  .filter((f) => filters.length === 0 || filters.some((w) => f.includes(w)))
  .sort();

if (typecheck) {
  const tsc = spawnSync('npx', ['tsc', '--noEmit', '-p', 'tsconfig.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (tsc.status !== 0) {
    console.error('typecheck failed');
    process.exit(1);
  }
}

const build = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], {
  cwd: root,
  stdio: 'inherit',
});
if (build.status !== 0) {
  console.error('build failed');
  process.exit(1);
}

if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...files], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(run.status ?? 1);
