// Golden printing tests: API replies shaped like the state recorded in
// test/fixtures/oracle/a-seed-l2.out (copied from ../shared/oracle/results) (kernel 6.1.0-56, iproute2 6.1.0) must print
// byte for byte what the real `ip` printed there.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FakeRtnl, emptyNs, ip, linkMsg } from './fake-api.ts';
import { MacAddr, parseIpv4 } from '../../src/wire/address.ts';
import type { Ipv4Addr } from '../../src/wire/address.ts';
import { Ipv6Addr } from '../../src/wire/address.ts';
import type { LinkMsg } from '../../src/rtnl/messages.ts';

const RECORDING = resolve(import.meta.dirname, '../fixtures/oracle/a-seed-l2.out');

/** The output recorded after `$ CMD` (up to the next `$ ` or blank/### line). */
function recorded(cmd: string, nth = 0): string {
  const lines = readFileSync(RECORDING, 'utf8').split('\n');
  let seen = 0;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== `$ ${cmd}`) continue;
    if (seen++ < nth) continue;
    const out: string[] = [];
    for (let j = i + 1; j < lines.length; j++) {
      const l = lines[j] ?? '';
      if (l.startsWith('$ ') || l.startsWith('### ') || l.startsWith('=====') || l === '') break;
      out.push(l);
    }
    return out.map((l) => l + '\n').join('');
  }
  throw new Error(`not recorded: ${cmd}`);
}

function v4(text: string): Ipv4Addr {
  const a = parseIpv4(text);
  assert.ok(a !== null);
  return a;
}

const MAC = MacAddr.parse('52:54:00:12:34:56') ?? MacAddr.ZERO;
const LO: LinkMsg = linkMsg({
  ifindex: 1,
  ifname: 'lo',
  type: 772,
  flags: 0x10049,
  mtu: 65536,
  minMtu: 0,
  maxMtu: 0,
  operstate: 0,
  qdisc: 'noqueue',
  address: MacAddr.ZERO,
  broadcast: MacAddr.ZERO,
});
const SLAVE: LinkMsg = linkMsg({
  ifindex: 3,
  ifname: 'ipvl0',
  flags: 0x11043,
  operstate: 0,
  qdisc: 'noqueue',
  link: 2,
  linkNetnsid: 0,
  linkinfo: { kind: 'ipvlan', data: { mode: 0, flags: 0 } },
});
const ETH0: LinkMsg = linkMsg({
  ifindex: 2,
  ifname: 'eth0',
  flags: 0x10083 | 0x40,
  operstate: 0,
  qdisc: 'noqueue',
  minMtu: 0,
  maxMtu: 0,
  address: MAC,
  linkinfo: { kind: 'dummy' },
  stats64: { ...linkMsg({ ifindex: 0, ifname: '' }).stats64, txBytes: 1214, txPackets: 15 },
});

function world(): FakeRtnl {
  const api = new FakeRtnl();
  const root = api.spaces.get('') ?? emptyNs();
  root.links.push(LO, ETH0);
  const ns0 = emptyNs();
  ns0.links.push(LO, SLAVE);
  ns0.addrs.push(
    {
      family: 2,
      prefixlen: 8,
      flags: 0x80,
      scope: 254,
      ifindex: 1,
      local: v4('127.0.0.1'),
      address: v4('127.0.0.1'),
      label: 'lo',
      cacheinfo: { valid: 0xffffffff, preferred: 0xffffffff, cstamp: 0, tstamp: 0 },
    },
    {
      family: 2,
      prefixlen: 32,
      flags: 0x80,
      scope: 254,
      ifindex: 1,
      local: v4('127.0.0.1'),
      address: v4('127.0.0.1'),
      label: 'lo',
      cacheinfo: { valid: 0xffffffff, preferred: 0xffffffff, cstamp: 0, tstamp: 0 },
    },
    {
      family: 2,
      prefixlen: 24,
      flags: 0x80,
      scope: 0,
      ifindex: 3,
      local: v4('192.168.50.10'),
      address: v4('192.168.50.10'),
      label: 'ipvl0',
      cacheinfo: { valid: 0xffffffff, preferred: 0xffffffff, cstamp: 0, tstamp: 0 },
    },
    {
      family: 10,
      prefixlen: 64,
      flags: 0x80,
      scope: 253,
      ifindex: 3,
      address: Ipv6Addr.parse('fe80::5254:0:112:3456') ?? Ipv6Addr.UNSPECIFIED,
      cacheinfo: { valid: 0xffffffff, preferred: 0xffffffff, cstamp: 0, tstamp: 0 },
    },
  );
  ns0.routes.push(
    {
      family: 2,
      dstLen: 0,
      srcLen: 0,
      tos: 0,
      table: 254,
      protocol: 3,
      scope: 0,
      type: 1,
      flags: 0,
      gateway: v4('192.168.50.1'),
      oif: 3,
    },
    {
      family: 2,
      dstLen: 24,
      srcLen: 0,
      tos: 0,
      table: 254,
      protocol: 2,
      scope: 253,
      type: 1,
      flags: 0,
      dst: v4('192.168.50.0'),
      oif: 3,
      prefsrc: v4('192.168.50.10'),
    },
    {
      family: 2,
      dstLen: 32,
      srcLen: 0,
      tos: 0,
      table: 255,
      protocol: 2,
      scope: 254,
      type: 2,
      flags: 0,
      dst: v4('192.168.50.10'),
      oif: 3,
      prefsrc: v4('192.168.50.10'),
    },
  );
  ns0.neighs.push({
    family: 2,
    ifindex: 3,
    state: 0x02,
    flags: 0,
    type: 1,
    dst: v4('192.168.50.11'),
    lladdr: MAC,
  });
  api.spaces.set('ns0', ns0);
  return api;
}

const CASES: readonly (readonly [string, string, string | undefined])[] = [
  ['ip netns exec ns0 ip -d link show ipvl0', '-d link show ipvl0', 'ns0'],
  ['ip netns exec ns0 ip -d -j link show ipvl0', '-d -j link show ipvl0', 'ns0'],
  ['ip netns exec ns0 ip -d -j -p link show ipvl0', '-d -j -p link show ipvl0', 'ns0'],
  ['ip netns exec ns0 ip link show', 'link show', 'ns0'],
  ['ip netns exec ns0 ip -br link show', '-br link show', 'ns0'],
  ['ip netns exec ns0 ip route show', 'route show', 'ns0'],
  ['ip netns exec ns0 ip neigh show', 'neigh show', 'ns0'],
  ['ip -n ns0 -d link show ipvl0', '-n ns0 -d link show ipvl0', undefined],
  ['ip -d link show eth0', '-d link show eth0', undefined],
  ['ip -d -j link show eth0', '-d -j link show eth0', undefined],
  ['ip -s link show eth0', '-s link show eth0', undefined],
  ['ip netns exec ns0 ip -6 addr show dev ipvl0', '-6 addr show dev ipvl0', 'ns0'],
];

for (const [recordedCmd, args, netns] of CASES) {
  test(`a-seed-l2: "${recordedCmd}" prints what iproute2 6.1 printed`, async () => {
    const api = world();
    const r = await ip(api, args, netns);
    assert.equal(r.err, '');
    assert.equal(r.status, 0);
    assert.equal(r.out, recorded(recordedCmd));
  });
}

test('a-seed-l2: ip -4 addr show lists only devices with IPv4 addresses, with link-netnsid', async () => {
  const api = world();
  const r = await ip(api, '-4 addr show', 'ns0');
  assert.equal(r.out, recorded('ip netns exec ns0 ip -4 addr show'));
});
