#!/usr/bin/env node
// The package's command. It runs the compiled JavaScript in dist/ (`npm run build`,
// done by `npm ci`) when that is newer than every source file, and otherwise the
// TypeScript sources through tsx, so an edited checkout never runs stale code.
// IPVLAN_FROM_SOURCE=1 forces the sources.
import { readdirSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);

/** The newest modification time (ms) of any file under `dir`. */
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${e.name}`;
    t = Math.max(t, e.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return t;
}

function distIsFresh() {
  if (process.env.IPVLAN_FROM_SOURCE === '1') return false;
  try {
    const stamp = statSync(new URL('dist/BUILD_STAMP', root)).mtimeMs;
    return stamp >= newest(new URL('src', root).pathname);
  } catch {
    return false;
  }
}

if (distIsFresh()) {
  await import('../dist/bin/ipvlan.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/bin/ipvlan.ts');
}
