// Runs every bench/*.bench.ts in turn, each in its own Node process (a fresh JIT, so
// one benchmark's warm-up does not tilt the next), and prints what they print.
// `npm run bench` runs them all; `npm run bench -- wire` only files whose name contains
// `wire`. Exits non-zero when a benchmark fails, never because of its speed.

import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';

const dir = import.meta.dirname;
const filters = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((w) => f.includes(w)))
  .sort();

console.log(
  `# node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.platform()} ${os.release()}`,
);
let failed = 0;
for (const file of files) {
  const started = process.hrtime.bigint();
  const child = spawnSync(process.execPath, ['--import', 'tsx', join(dir, file)], {
    stdio: 'inherit',
    timeout: 120_000,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (child.status !== 0) {
    failed++;
    console.error(`# ${file}: failed (${child.error?.message ?? `exit ${child.status}`})`);
  } else {
    console.log(`# ${file}: ${seconds.toFixed(1)} s`);
  }
}
if (files.length === 0) console.error('no bench/*.bench.ts matched');
process.exit(failed > 0 || files.length === 0 ? 1 : 0);
