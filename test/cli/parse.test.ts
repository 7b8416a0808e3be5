// Parser tests: argv → the exact request the API receives, or iproute2's exact error
// text and exit status (texts checked against ../shared/oracle/results/c-errors.out and
// f-config.out). A property test feeds random token sequences and requires a defined
// exit status with no internal exception, and no request on a refused command.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ErrnoError } from '../../src/base/errno.ts';
import { FakeRtnl, emptyNs, ip, linkMsg } from './fake-api.ts';
import { lookupObject } from '../../src/cli/ip.ts';

function world(): FakeRtnl {
  const api = new FakeRtnl();
  const root = api.spaces.get('') ?? emptyNs();
  root.links.push(
    linkMsg({ ifindex: 1, ifname: 'lo', type: 772 }),
    linkMsg({ ifindex: 2, ifname: 'eth0' }),
    linkMsg({ ifindex: 3, ifname: 'ipvl0' }),
  );
  api.spaces.set('ns0', emptyNs());
  return api;
}

const USAGE_IPVLAN =
  'Usage: ... ipvlan [ mode MODE ] [ FLAGS ]\n\nMODE: l3 | l3s | l2\nFLAGS: bridge | private | vepa\n(first values are the defaults if nothing is specified).\n';

test('object prefixes follow iproute2 table order', () => {
  assert.equal(lookupObject('a'), 'address');
  assert.equal(lookupObject('l'), 'link');
  assert.equal(lookupObject('n'), 'neighbor');
  assert.equal(lookupObject('r'), 'route');
  assert.equal(lookupObject('net'), 'netns');
  assert.equal(lookupObject('foo'), undefined);
});

test('ip link add link eth0 ipvl1 type ipvlan mode l2 sends mode and flags 0 with create|excl', async () => {
  const api = world();
  const r = await ip(api, 'link add link eth0 ipvl1 type ipvlan mode l2');
  assert.deepEqual(r, { out: '', err: '', status: 0 });
  assert.deepEqual(api.calls, [
    [
      'newLink',
      undefined,
      {
        nlm: { create: true, excl: true },
        ifname: 'ipvl1',
        link: 2,
        linkinfo: { kind: 'ipvlan', data: { mode: 0, flags: 0 } },
      },
    ],
  ]);
});

test('abbreviated ipvlan keywords: m l3s pri', async () => {
  const api = world();
  await ip(api, 'link add link eth0 name x type ipvlan m l3s pri');
  assert.deepEqual(api.calls[0]?.[2], {
    nlm: { create: true, excl: true },
    ifname: 'x',
    link: 2,
    linkinfo: { kind: 'ipvlan', data: { mode: 2, flags: 1 } },
  });
});

test('type ipvlan with no options sends no IFLA_INFO_DATA (CLI-3)', async () => {
  const api = world();
  await ip(api, 'link set ipvl0 type ipvlan');
  assert.deepEqual(api.calls[0]?.[2], { nlm: {}, ifindex: 3, linkinfo: { kind: 'ipvlan' } });
});

test('a flag word alone still sends FLAGS but no MODE (CLI-4)', async () => {
  const api = world();
  await ip(api, 'link set ipvl0 type ipvlan vepa');
  assert.deepEqual(api.calls[0]?.[2], {
    nlm: {},
    ifindex: 3,
    linkinfo: { kind: 'ipvlan', data: { flags: 2 } },
  });
});

test('ip link set dev ipvl0 up mtu 1400 netns ns0', async () => {
  const api = world();
  const r = await ip(api, 'link set dev ipvl0 up mtu 1400 netns ns0');
  assert.equal(r.status, 0);
  assert.deepEqual(api.calls[0]?.[2], {
    nlm: {},
    mtu: 1400,
    netns: { name: 'ns0' },
    flags: 1,
    change: 1,
    ifindex: 3,
  });
});

test('arp off sets IFF_NOARP in flags and change', async () => {
  const api = world();
  await ip(api, 'link set eth0 arp off');
  assert.deepEqual(api.calls[0]?.[2], { nlm: {}, flags: 0x80, change: 0x80, ifindex: 2 });
});

const ERRORS: readonly (readonly [string, string, number])[] = [
  [
    'link add link eth0 name ipvl0 type ipvlan mode l4',
    'Error: argument of "mode" must be either "l2", "l3" or "l3s"\n',
    1,
  ],
  [
    'link add link eth0 name ipvl0 type ipvlan mode L2',
    'Error: argument of "mode" must be either "l2", "l3" or "l3s"\n',
    1,
  ],
  [
    'link add link eth0 name ipvl0 type ipvlan mode',
    'Command line is not complete. Try option "help"\n',
    255,
  ],
  [
    'link add link eth0 ipvl3 type ipvlan mode l2 mode',
    'Command line is not complete. Try option "help"\n',
    255,
  ],
  [
    'link add link eth0 name ipvl0 type ipvlan bogus',
    'ipvlan: unknown option "bogus"?\n' + USAGE_IPVLAN,
    1,
  ],
  [
    'link add link eth0 name ipvl0 type ipvlan mode l2 private vepa',
    'ipvlan: unknown option "vepa"?\n' + USAGE_IPVLAN,
    1,
  ],
  [
    'link add link eth0 name ipvl1 type ipvlan bridge bridge',
    'ipvlan: unknown option "bridge"?\n' + USAGE_IPVLAN,
    1,
  ],
  ['link add link eth0 name ipvl0 type ipvlan help', USAGE_IPVLAN, 1],
  ['link add link nosuch name ipvx type ipvlan mode l2', 'Cannot find device "nosuch"\n', 1],
  ['link set nosuch up', 'Cannot find device "nosuch"\n', 1],
  ['link show nosuch', 'Device "nosuch" does not exist.\n', 1],
  ['foo', 'Object "foo" is unknown, try "ip help".\n', 1],
  ['link foo', 'Command "foo" is unknown, try "ip link help".\n', 255],
  ['-q link', 'Option "-q" is unknown, try "ip -help".\n', 255],
  ['link set eth0 ipvl0', 'Error: either "dev" is duplicate, or "ipvl0" is a garbage.\n', 255],
  ['link set eth0 mtu abc', 'Error: argument "abc" is wrong: Invalid "mtu" value\n\n', 255],
  ['link add foo', 'Not enough information: "type" argument is required\n', 1],
  [
    'addr add 10.0.0.1/33 dev eth0',
    'Error: any valid prefix is expected rather than "10.0.0.1/33".\n',
    1,
  ],
  ['-4 addr add 10.0.0.x dev eth0', 'Error: inet prefix is expected rather than "10.0.0.x".\n', 1],
  ['addr add 10.0.0.1/24 dev nosuch', 'Cannot find device "nosuch"\n', 1],
  [
    'neigh add 10.0.0.2 lladdr 52:54:00:12:34:56',
    'Device and destination are required arguments.\n',
    255,
  ],
  ['-n nsx link', 'Cannot open network namespace "nsx": No such file or directory\n', 255],
  ['netns add ns0', 'Cannot create namespace file "/run/netns/ns0": File exists\n', 1],
];

for (const [line, err, status] of ERRORS) {
  test(`ip ${line} → exit ${status} with iproute2's message, nothing sent`, async () => {
    const api = world();
    const r = await ip(api, line);
    assert.equal(r.err, err);
    assert.equal(r.out, '');
    assert.equal(r.status, status);
    assert.deepEqual(
      api.calls.filter(([m]) => m !== 'netnsAdd'),
      [],
    );
  });
}

test('ip link help ipvlan prints the usage on stdout with status 0', async () => {
  const r = await ip(world(), 'link help ipvlan');
  assert.deepEqual(r, { out: USAGE_IPVLAN, err: '', status: 0 });
});

test('kernel refusals print RTNETLINK answers or the extack, exit 2', async () => {
  const api = world();
  api.refuse = new ErrnoError('EEXIST');
  assert.deepEqual(await ip(api, 'addr add 192.168.50.10/24 dev eth0'), {
    out: '',
    err: 'RTNETLINK answers: File exists\n',
    status: 2,
  });
  api.refuse = new ErrnoError('EADDRINUSE', 'Address already assigned to an ipvlan device');
  assert.deepEqual(await ip(api, 'addr add 192.168.50.10/24 dev eth0'), {
    out: '',
    err: 'Error: Address already assigned to an ipvlan device.\n',
    status: 2,
  });
});

test('route add default via sends a main-table boot route with universe scope', async () => {
  const api = world();
  await ip(api, '-4 route add default via 192.168.50.1 dev ipvl0');
  assert.deepEqual(api.calls[0]?.[2], {
    nlm: { create: true, excl: true },
    family: 2,
    dstLen: 0,
    table: 254,
    protocol: 3,
    scope: 0,
    type: 1,
    flags: 0,
    gateway: 0xc0a83201,
    oif: 3,
  });
});

const WORDS = [
  'link',
  'addr',
  'route',
  'neigh',
  'netns',
  'add',
  'del',
  'set',
  'show',
  'get',
  'flush',
  'replace',
  'exec',
  'dev',
  'eth0',
  'ipvl0',
  'nosuch',
  'type',
  'ipvlan',
  'veth',
  'vlan',
  'dummy',
  'bridge',
  'peer',
  'name',
  'id',
  'mode',
  'l2',
  'l3',
  'l3s',
  'l4',
  'private',
  'vepa',
  'up',
  'down',
  'mtu',
  '1500',
  'x',
  'address',
  '52:54:00:12:34:56',
  'netns',
  'ns0',
  'master',
  'nomaster',
  'arp',
  'on',
  'off',
  'via',
  '10.0.0.1',
  '10.0.0.0/24',
  'default',
  'metric',
  'table',
  'main',
  'local',
  'lladdr',
  'nud',
  'permanent',
  'help',
  '-d',
  '-j',
  '-p',
  '-s',
  '-br',
  '-o',
  '-4',
  '-6',
  '-n',
  'label',
  'broadcast',
  '+',
  'scope',
  'link',
  '',
];

test('random token sequences never throw: a defined status, and a message whenever it is not 0', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.oneof(fc.constantFrom(...WORDS), fc.string({ maxLength: 6 })), { maxLength: 10 }),
      async (words) => {
        const api = world();
        api.refuse = new ErrnoError('EINVAL');
        const { runIp } = await import('../../src/cli/ip.ts');
        let err = '';
        const status = await runIp({ api, stdout: () => {}, stderr: (t) => (err += t) }, words);
        assert.ok(Number.isInteger(status) && status >= 0 && status <= 255);
        if (status !== 0)
          assert.ok(
            err.length > 0 || words.length === 0,
            `silent failure for ${JSON.stringify(words)}`,
          );
      },
    ),
    { numRuns: 400, seed: 5 },
  );
});
