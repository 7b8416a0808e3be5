import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addAddress6, delAddress6, listAddresses6 } from '../../src/stack/addrconf.ts';
import { createDummy } from '../../src/stack/dummy.ts';
import { IFA_F_TENTATIVE } from '../../src/stack/inet.ts';
import { ipv6McList } from '../../src/stack/mcast.ts';
import { ndTable } from '../../src/stack/ndisc.ts';
import { addRoute, listRoutes } from '../../src/stack/route.ts';
import { NS_PER_MS, NS_PER_SEC } from '../../src/stack/scheduler.ts';
import { echoRequest, openSocket } from '../../src/stack/socket.ts';
import { sysctlSet } from '../../src/stack/sysctl.ts';
import { NUD_REACHABLE, NUD_STALE, RTN_LOCAL, RT_TABLE_LOCAL } from '../../src/uapi/rtnetlink.ts';
import type { Ipv6Addr } from '../../src/wire/address.ts';
import { capture, ip6, link, mac, netns, newKernel } from './helpers.ts';

function twoHosts() {
  const k = newKernel(5);
  const a = netns(k, 'a');
  const b = netns(k, 'b');
  const [va, vb] = link(k, a, 'eth0', b, 'eth0', ['52:54:00:12:34:56', '52:54:00:12:34:57']);
  return { k, a, b, va, vb };
}

test('link-local from EUI-64 on up, tentative during DAD, then usable with a local route', () => {
  const { k, a, va } = twoHosts();
  k.scheduler.runFor(1);
  const ll = listAddresses6(va).find((x) => x.addr.isLinkLocal)!;
  assert.equal(ll.addr.toString(), 'fe80::5054:ff:fe12:3456');
  assert.equal(ll.prefixLen, 64);
  assert.notEqual(ll.flags & IFA_F_TENTATIVE, 0);
  k.scheduler.runFor(2 * NS_PER_SEC + 1);
  assert.equal(ll.flags & IFA_F_TENTATIVE, 0);
  assert.ok(
    listRoutes(a, 6, RT_TABLE_LOCAL).some(
      (r) => r.type === RTN_LOCAL && (r.dst as Ipv6Addr).equals(ll.addr),
    ),
  );
  // Groups: interface-local and link-local all-nodes, and the solicited-node group, with MACs.
  const groups = ipv6McList(va).map((g) => g.toString());
  assert.deepEqual(groups, ['ff01::1', 'ff02::1', 'ff02::1:ff12:3456']);
  assert.ok(va.hasMulticast(mac('33:33:ff:12:34:56')));
  assert.ok(va.hasMulticast(mac('33:33:00:00:00:01')));
});

test('dev_id replaces ff:fe and keeps the U/L bit (addrconf_ifid_eui48)', () => {
  const k = newKernel();
  const ns = netns(k, 'n');
  const d = createDummy(k, ns, 'd0', { address: mac('52:54:00:12:34:56') });
  d.devId = 1;
  k.devOpen(d);
  k.scheduler.runFor(1);
  assert.deepEqual(
    listAddresses6(d).map((x) => x.addr.toString()),
    ['fe80::5254:0:112:3456'],
  );
  // A NOARP device skips DAD: the address is usable at once.
  assert.equal(listAddresses6(d)[0]!.flags & IFA_F_TENTATIVE, 0);
});

test('two namespaces ping over IPv6: NS/NA, reply, neighbour REACHABLE then STALE', () => {
  const { k, a, b, va, vb } = twoHosts();
  addAddress6(va, { addr: ip6('2001:db8::1'), prefixLen: 64 });
  addAddress6(vb, { addr: ip6('2001:db8::2'), prefixLen: 64 });
  const wire = capture(k, va);
  k.scheduler.runFor(3 * NS_PER_SEC);
  // DAD probes went out from :: to the solicited-node groups, with MLDv2 reports.
  const dad = wire.filter((f) => f[12] === 0x86 && f[13] === 0xdd && f[14 + 40] === 135);
  assert.ok(dad.length >= 2);
  assert.ok(dad.every((f) => f.subarray(14 + 8, 14 + 24).every((x) => x === 0)));
  assert.ok(wire.some((f) => f[0] === 0x33 && f[5] === 0x16)); // MLDv2 report to ff02::16
  const s = openSocket(a, 6, 'ping');
  const payload = new Uint8Array(32).fill(0xab);
  s.sendto(echoRequest(6, 1, payload), ip6('2001:db8::2'));
  k.scheduler.runFor(20 * NS_PER_MS);
  const reply = s.recvfrom();
  assert.ok(reply !== null);
  assert.equal(reply.from.toString(), '2001:db8::2');
  assert.equal(reply.data[0], 129);
  assert.deepEqual(reply.data.subarray(8), payload);
  assert.equal(reply.ttl, 64);
  const n = ndTable(a).lookup(va, ip6('2001:db8::2'))!;
  assert.equal(n.state, NUD_REACHABLE);
  assert.equal(n.lladdr?.toString(), '52:54:00:12:34:57');
  assert.ok(ndTable(b).lookup(vb, ip6('2001:db8::1')) !== undefined);
  k.scheduler.runFor(46 * NS_PER_SEC);
  assert.equal(n.state, NUD_STALE);
});

test('IPv6 forwarding: hop limit decremented; unroutable gives ICMPv6 no route', () => {
  const k = newKernel(9);
  const h1 = netns(k, 'h1');
  const r = netns(k, 'r');
  const h2 = netns(k, 'h2');
  const [h1e, r0] = link(k, h1, 'eth0', r, 'eth0');
  const [r1, h2e] = link(k, r, 'eth1', h2, 'eth0');
  addAddress6(h1e, { addr: ip6('2001:db8:1::2'), prefixLen: 64 });
  addAddress6(r0, { addr: ip6('2001:db8:1::1'), prefixLen: 64 });
  addAddress6(r1, { addr: ip6('2001:db8:2::1'), prefixLen: 64 });
  addAddress6(h2e, { addr: ip6('2001:db8:2::2'), prefixLen: 64 });
  k.scheduler.runFor(3 * NS_PER_SEC);
  addRoute(h1, { family: 6, dst: ip6('::'), dstLen: 0, gateway: ip6('2001:db8:1::1') });
  addRoute(h2, { family: 6, dst: ip6('::'), dstLen: 0, gateway: ip6('2001:db8:2::1') });
  const s = openSocket(h1, 6, 'ping');
  s.sendto(echoRequest(6, 1, new Uint8Array(8)), ip6('2001:db8:2::2'));
  k.scheduler.runFor(50 * NS_PER_MS);
  assert.equal(s.recvfrom(), null);
  assert.equal(r.drops.get('IP_INADDRERRORS'), 1);
  sysctlSet(r, 'net.ipv6.conf.all.forwarding', 1);
  s.sendto(echoRequest(6, 2, new Uint8Array(8)), ip6('2001:db8:2::2'));
  k.scheduler.runFor(50 * NS_PER_MS);
  const reply = s.recvfrom();
  assert.ok(reply !== null);
  assert.equal(reply.ttl, 63);
  s.sendto(echoRequest(6, 3, new Uint8Array(8)), ip6('2001:db8:99::1'));
  k.scheduler.runFor(50 * NS_PER_MS);
  const err = s.recvErr();
  assert.equal(err?.errno, 'ENETUNREACH');
  assert.equal(err?.offender.toString(), '2001:db8:1::1');
});

test('IPv6 duplicate address is EEXIST; validator veto; missing address EADDRNOTAVAIL; DAD conflict', () => {
  const { k, va, vb } = twoHosts();
  addAddress6(va, { addr: ip6('2001:db8::1'), prefixLen: 64 });
  assert.throws(() => addAddress6(va, { addr: ip6('2001:db8::1'), prefixLen: 64 }), {
    code: 'EEXIST',
  });
  assert.throws(() => delAddress6(va, { addr: ip6('2001:db8::9') }), { code: 'EADDRNOTAVAIL' });
  k.inet6addrValidatorChain.push((e) => {
    if ((e.addr as Ipv6Addr).equals(ip6('2001:db8::77')))
      throw Object.assign(new Error('x'), { code: 'EADDRINUSE' });
  });
  assert.throws(() => addAddress6(va, { addr: ip6('2001:db8::77'), prefixLen: 64 }), {
    code: 'EADDRINUSE',
  });
  assert.equal(
    listAddresses6(va).some((x) => x.addr.equals(ip6('2001:db8::77'))),
    false,
  );
  k.scheduler.runFor(3 * NS_PER_SEC);
  // b claims a's address: its DAD probe is answered by a's NA, and the copy fails.
  const dup = addAddress6(vb, { addr: ip6('2001:db8::1'), prefixLen: 64 });
  k.scheduler.runFor(3 * NS_PER_SEC);
  assert.notEqual(dup.flags & 0x08, 0); // IFA_F_DADFAILED
  assert.notEqual(dup.flags & IFA_F_TENTATIVE, 0);
});
