// bin/ipvlan.js runs the compiled dist/ when it is fresh (scripts/test.mjs builds it
// before the tests, as `npm ci` does) and the sources through tsx otherwise; both must
// behave the same. The seed example's output is compared between the two.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const BIN = new URL('../../bin/ipvlan.js', import.meta.url).pathname;
const SEED = new URL('../../examples/seed.sh', import.meta.url).pathname;

function ipvlan(args: readonly string[], fromSource: boolean) {
  const env = { ...process.env, IPVLAN_FROM_SOURCE: fromSource ? '1' : '0' };
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env, timeout: 60_000 });
}

test('bin/ipvlan.js runs dist/ after a build, the sources when told to', () => {
  const compiled = ipvlan(['version'], false);
  assert.equal(compiled.status, 0, compiled.stderr);
  assert.match(compiled.stdout, /^ipvlan\.ts \d+\.\d+\.\d+, compiled \(dist\/\)\n$/);
  const sources = ipvlan(['--version'], true);
  assert.equal(sources.status, 0, sources.stderr);
  assert.match(sources.stdout, /^ipvlan\.ts \d+\.\d+\.\d+, from the sources \(tsx\)\n$/);
});

test('the seed example prints the same from dist/ and from the sources', () => {
  const compiled = ipvlan(['run', SEED], false);
  const sources = ipvlan(['run', SEED], true);
  assert.equal(compiled.status, 0, compiled.stderr);
  assert.equal(sources.status, 0, sources.stderr);
  assert.match(compiled.stdout, /3 packets transmitted, 3 received, 0% packet loss/);
  assert.equal(compiled.stdout, sources.stdout);
  assert.equal(compiled.stderr, sources.stderr);
});
