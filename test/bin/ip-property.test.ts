// Property: random token sequences fed to `ip` against the REAL emulated world (rtnl
// server, IP stack, ipvlan driver; the default host with eth0, a router, two
// namespaces and ipvlan slaves) never cause an internal error — `ip` resolves to one
// of iproute2's exit codes (0, 1, 2, 255) and prints no stack trace — and a refused
// command (non-zero exit) leaves the world as it was: `ip -d -s link`, `ip addr`,
// `ip -4 route`, `ip -6 route`, `ip neigh` and `ip netns` dumps of every namespace are
// identical before and after. Commands that run other programs (`netns exec`) are left
// out: a failing ping legitimately moves counters.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { runIp } from '../../src/cli/ip.ts';
import type { RtnlApi } from '../../src/rtnl/api.ts';
import { buildEmuWorld } from '../../src/bin/emu-world.ts';

const WORDS = [
  // options
  '-4',
  '-6',
  '-d',
  '-s',
  '-j',
  '-p',
  '-o',
  '-br',
  '-n',
  '-details',
  '-x',
  '-batch',
  '-force',
  // objects and verbs (with abbreviations)
  'link',
  'l',
  'addr',
  'a',
  'address',
  'route',
  'r',
  'neigh',
  'n',
  'netns',
  'help',
  'add',
  'del',
  'delete',
  'set',
  'change',
  'replace',
  'show',
  'sh',
  'list',
  'flush',
  'get',
  'identify',
  'list-id',
  // link words
  'dev',
  'name',
  'type',
  'link',
  'up',
  'down',
  'mtu',
  'address',
  'netns',
  'master',
  'nomaster',
  'arp',
  'on',
  'off',
  'mode',
  'ipvlan',
  'ipvtap',
  'dummy',
  'veth',
  'bridge',
  'vlan',
  'id',
  'peer',
  'l2',
  'l3',
  'l3s',
  'private',
  'vepa',
  'txqueuelen',
  'promisc',
  // addr/route/neigh words
  'via',
  'metric',
  'proto',
  'scope',
  'table',
  'src',
  'lladdr',
  'nud',
  'permanent',
  'label',
  'broadcast',
  'brd',
  'default',
  'local',
  'static',
  'host',
  'global',
  // names and values
  'lo',
  'eth0',
  'ipvl0',
  'ipvl1',
  'dum0',
  'br0',
  'ns0',
  'ns1',
  'nsX',
  'nosuch',
  '1500',
  '0',
  '68',
  '65536',
  '70000',
  '-1',
  '10',
  '4095',
  '192.168.50.2/24',
  '192.168.50.10',
  '192.168.50.10/24',
  '192.168.50.1',
  '10.0.0.1/8',
  '2001:db8::1/64',
  'fe80::1',
  '0.0.0.0/0',
  '300.1.1.1',
  '52:54:00:12:34:56',
  'zz:zz',
  '',
  '""',
  '/',
  '--',
  'garbage',
];

const NAMESPACES = [undefined, 'ns0', 'ns1'] as const;

async function ip(api: RtnlApi, argv: readonly string[], netns?: string) {
  let out = '';
  const sink = (t: string): void => void (out += t);
  const status = await runIp(
    { api, ...(netns === undefined ? {} : { netns }), stdout: sink, stderr: sink },
    argv,
  );
  return { out, status };
}

/** Every dump the property compares, of every namespace that exists now. */
async function snapshot(api: RtnlApi): Promise<string> {
  let text = (await ip(api, ['netns'])).out;
  const names = (await api.netnsList({})).map((n) => n.name);
  for (const ns of [undefined, ...names]) {
    for (const argv of [
      ['-d', '-s', 'link'],
      ['addr'],
      ['-4', 'route', 'show', 'table', 'all'],
      ['-6', 'route', 'show', 'table', 'all'],
      ['neigh'],
    ]) {
      const r = await ip(api, argv, ns);
      text += `## ${ns ?? 'init'} ip ${argv.join(' ')} [${r.status}]\n${r.out}`;
    }
  }
  return text;
}

test('random ip token sequences: no internal error, and a refused command changes nothing', async () => {
  const session = await buildEmuWorld();
  const api = session.api;
  for (const line of [
    'netns add ns0',
    'netns add ns1',
    'link add link eth0 ipvl0 type ipvlan mode l2',
    'link add link eth0 ipvl1 type ipvlan mode l3 private',
    'link set ipvl1 netns ns1',
    'link add dum0 type dummy',
  ]) {
    assert.equal((await ip(api, line.split(' '))).status, 0, line);
  }
  let refused = 0;
  let accepted = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.oneof(
          { arbitrary: fc.constantFrom(...WORDS), weight: 9 },
          { arbitrary: fc.string({ maxLength: 5 }), weight: 1 },
        ),
        {
          minLength: 1,
          maxLength: 9,
        },
      ),
      fc.constantFrom(...NAMESPACES),
      async (argv, netns) => {
        if (argv.includes('exec') || argv.includes('monitor')) return;
        const before = await snapshot(api);
        let r: { out: string; status: number };
        try {
          r = await ip(api, argv, netns);
        } catch (err) {
          assert.fail(`ip ${argv.join(' ')} threw ${(err as Error).stack ?? String(err)}`);
        }
        assert.ok([0, 1, 2, 255].includes(r.status), `ip ${argv.join(' ')} exited ${r.status}`);
        assert.doesNotMatch(
          r.out,
          /^\s+at .+:\d+:\d+\)?$/m,
          `ip ${argv.join(' ')} printed a stack`,
        );
        assert.doesNotMatch(r.out, /\b(TypeError|RangeError|ReferenceError|undefined|NaN)\b/);
        if (r.status !== 0) {
          refused++;
          assert.equal(
            await snapshot(api),
            before,
            `refused ip ${argv.join(' ')} changed the world`,
          );
        } else accepted++;
      },
    ),
    { numRuns: 400, seed: 20261125 },
  );
  // The generator must exercise both outcomes for the property to mean anything.
  assert.ok(refused > 100, `refused ${refused}`);
  assert.ok(accepted > 3, `accepted ${accepted}`);
});
