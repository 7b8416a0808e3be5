// Enforces the import direction of docs/ARCHITECTURE.md: each folder under src/ may
// import only the folders listed for it, and the portable core uses no Node-only API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const SRC = resolve(import.meta.dirname, '..', 'src');

/** folder → folders it may import (itself is always allowed). Keep in sync with docs/ARCHITECTURE.md. */
export const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  uapi: [],
  base: ['uapi'],
  wire: ['base', 'uapi'],
  stack: ['wire', 'base', 'uapi'],
  rtnl: ['stack', 'wire', 'base', 'uapi'],
  ipvlan: ['rtnl', 'stack', 'wire', 'base', 'uapi'],
  emu: ['rtnl', 'stack', 'wire', 'base', 'uapi'],
  cli: ['rtnl', 'wire', 'base', 'uapi'],
  backend: ['stack', 'wire', 'base', 'uapi'],
  daemon: ['backend', 'ipvlan', 'rtnl', 'stack', 'wire', 'base', 'uapi'],
  bin: ['daemon', 'backend', 'cli', 'emu', 'ipvlan', 'rtnl', 'stack', 'wire', 'base', 'uapi'],
};

/** Folders that must run unchanged in a browser: no `node:` imports outside tests. */
const PORTABLE = new Set(['uapi', 'base', 'wire', 'stack', 'rtnl', 'ipvlan', 'emu', 'cli']);

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sourceFiles(path, out);
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

function folderOf(file: string): string {
  return relative(SRC, file).split(sep)[0] ?? '';
}

const IMPORT_RE =
  /^\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm;

/** Every (file, specifier) pair that breaks the table. */
export function layeringViolations(files: readonly string[]): string[] {
  const bad: string[] = [];
  for (const file of files) {
    const from = folderOf(file);
    const allowed = ALLOWED[from];
    const isTest = file.endsWith('.test.ts');
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2] ?? '';
      const where = `${relative(SRC, file)} imports '${spec}'`;
      if (allowed === undefined) {
        bad.push(`${where}: folder '${from}' is not in the layering table`);
        continue;
      }
      if (spec.startsWith('node:')) {
        if (PORTABLE.has(from) && !isTest) bad.push(`${where}: '${from}' must stay portable`);
        continue;
      }
      if (!spec.startsWith('.')) continue; // packages are checked by review, not here
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(SRC + sep)) continue;
      const to = folderOf(target);
      if (to !== from && !allowed.includes(to))
        bad.push(`${where}: '${from}' may not import '${to}'`);
    }
  }
  return bad;
}

test('every import under src/ follows the layering table', () => {
  assert.deepEqual(layeringViolations(sourceFiles(SRC)), []);
});

test('the layering check catches an upward import (the check itself can fail)', () => {
  const fake = join(SRC, 'wire', '__layering_probe__.ts');
  // Checked against text, not the file system: feed a virtual file through the same regex.
  const text = "import { NetDevice } from '../stack/netdev.ts';\n";
  const spec = [...text.matchAll(IMPORT_RE)][0]?.[1];
  assert.equal(spec, '../stack/netdev.ts');
  const to = folderOf(resolve(dirname(fake), spec ?? ''));
  assert.equal(to, 'stack');
  assert.equal(ALLOWED['wire']?.includes(to), false);
});
