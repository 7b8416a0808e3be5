// Golden test of the whole `ip` front end against the real kernel: every command of the
// j-grammar, k-display and m-ipvlan-ns recordings (Linux 6.1, iproute2 6.1; see
// test/fixtures/oracle/README.md) replayed in order through the shell on the bare
// emulated machine (`ipvlan run --bare`: only `lo`, as the oracle guest boots), each
// compared byte for byte with what Linux printed, exit status included. Masked: only
// what the README lists as varying (ping times, neighbour listing order). Commands whose
// difference has a known cause are todo with that cause, so they turn green when it is
// fixed; everything else must match. The match counts are asserted at the end of each
// scenario so a regression cannot hide as a new todo.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { oracleRecords } from '../fixtures/oracle/index.ts';
import { OracleShell, comparable, where } from '../rtnl/oracle-shell.ts';

const S = 1_000_000_000;

const HELP =
  'cli: the usage text lists only the options and kinds the emulator implements; iproute2 lists all of them';
const VARIES =
  'README "What varies": counters of a device carrying IPv6 background traffic (router solicitations, MLD)';
const PIDS = 'emu: the emulated host has one process (pid 1); pid 101 existed on the oracle guest';

/** scenario:line → why the emulated machine prints something else. */
const KNOWN: ReadonlyMap<string, string> = new Map([
  ...['79', '152', '184', '283'].map((l) => [`j-grammar:${l}`, HELP] as const),
  ['j-grammar:868', PIDS],
  ['k-display:747', VARIES],
  ['m-ipvlan-ns:170', VARIES],
]);

/** Commands whose recorded text lost its quoting (`x` joins argv with spaces). */
const REQUOTE: ReadonlyMap<string, string> = new Map([['ip netns add ', 'ip netns add ""']]);

/** Wall time the recording spent before a command (k-display: the ns1 neighbour probe). */
function pause(scenario: string, line: number): number {
  // k-display: seconds of display sections passed between the setup ping and `ip neigh`,
  // enough for ns1's DELAY entry to be confirmed (delay_first_probe_time 5 s).
  return scenario === 'k-display' && line === 951 ? 6 * S : 0;
}

async function replay(
  t: test.TestContext,
  scenario: string,
): Promise<{ same: number; todo: number }> {
  const sh = await OracleShell.open();
  let same = 0;
  let todo = 0;
  for (const rec of oracleRecords(scenario)) {
    const wait = pause(scenario, rec.line);
    if (wait > 0) sh.session.world.runFor(wait);
    const run = await sh.run(REQUOTE.get(rec.command) ?? rec.command);
    const known = KNOWN.get(`${scenario}:${rec.line}`);
    const ok =
      comparable(rec.command, run.output) === comparable(rec.command, rec.output) &&
      run.exit === rec.exit;
    if (ok) same++;
    else if (known !== undefined) todo++;
    await t.test(
      `${scenario} line ${rec.line}: ${rec.command}`,
      known === undefined ? {} : { todo: known },
      () => {
        assert.equal(
          comparable(rec.command, run.output),
          comparable(rec.command, rec.output),
          where(rec),
        );
        assert.equal(run.exit, rec.exit, `${where(rec)} (exit)`);
        // Never an internal error, whatever the outcome.
        assert.doesNotMatch(run.output, /^\s+at .*\(.*:\d+:\d+\)$/m);
      },
    );
  }
  return { same, todo };
}

test('j-grammar: ip grammar, help, abbreviations, errors and exit codes', async (t) => {
  const r = await replay(t, 'j-grammar');
  assert.ok(r.same >= 195, `matched ${r.same} of 200 (todo ${r.todo})`);
});

test('k-display: every display format for lo, dummy, vlan, veth, bridge and ipvlan', async (t) => {
  const r = await replay(t, 'k-display');
  assert.ok(r.same >= 273, `matched ${r.same} of 274 (todo ${r.todo})`);
});

test('m-ipvlan-ns: ipvlan slaves across namespaces', async (t) => {
  const r = await replay(t, 'm-ipvlan-ns');
  assert.ok(r.same >= 92, `matched ${r.same} of 93 (todo ${r.todo})`);
});
