import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addAddress } from '../../src/stack/inet.ts';
import { addAddress6, listAddresses6 } from '../../src/stack/addrconf.ts';
import { addRoute } from '../../src/stack/route.ts';
import { NS_PER_MS, NS_PER_SEC } from '../../src/stack/scheduler.ts';
import { echoRequest, openSocket } from '../../src/stack/socket.ts';
import { sysctlGet, sysctlSet } from '../../src/stack/sysctl.ts';
import { ipv4 } from '../../src/wire/address.ts';
import { ip4, ip6, link, netns, newKernel } from './helpers.ts';

test('oversize: a DF packet bigger than the next link gets "fragmentation needed" and is counted', () => {
  const k = newKernel();
  const h1 = netns(k, 'h1');
  const r = netns(k, 'r');
  const h2 = netns(k, 'h2');
  const [h1e, r0] = link(k, h1, 'eth0', r, 'eth0');
  const [r1, h2e] = link(k, r, 'eth1', h2, 'eth0');
  k.devSetMtu(r1, 1000);
  addAddress(h1e, { local: ip4('10.1.0.2'), prefixLen: 24 });
  addAddress(r0, { local: ip4('10.1.0.1'), prefixLen: 24 });
  addAddress(r1, { local: ip4('10.2.0.1'), prefixLen: 24 });
  addAddress(h2e, { local: ip4('10.2.0.2'), prefixLen: 24 });
  addRoute(h1, { family: 4, dst: ipv4(0), dstLen: 0, gateway: ip4('10.1.0.1') });
  sysctlSet(r, 'net.ipv4.ip_forward', 1);
  const s = openSocket(h1, 4, 'ping');
  s.sendto(echoRequest(4, 1, new Uint8Array(1200)), ip4('10.2.0.2'));
  k.scheduler.runFor(20 * NS_PER_MS);
  const err = s.recvErr();
  assert.equal(err?.errno, 'EMSGSIZE');
  assert.equal(err?.info, 1000);
  assert.equal(r.drops.get('PKT_TOO_BIG'), 1);
  // Locally, a datagram over the route MTU is refused (no local fragmentation).
  assert.throws(() => s.sendto(echoRequest(4, 2, new Uint8Array(1500)), ip4('10.1.0.1')), {
    code: 'EMSGSIZE',
  });
});

test('sysctl: unknown names are ENOENT, bad values EINVAL, ip_forward follows all.forwarding', () => {
  const k = newKernel();
  const ns = netns(k, 'n');
  assert.throws(() => sysctlGet(ns, 'net.ipv4.nope'), { code: 'ENOENT' });
  assert.throws(() => sysctlSet(ns, 'net.ipv4.ip_forward', 'yes'), { code: 'EINVAL' });
  sysctlSet(ns, 'net/ipv4/conf/all/forwarding', 1);
  assert.equal(sysctlGet(ns, 'net.ipv4.ip_forward'), '1');
  assert.equal(sysctlGet(ns, 'net.ipv4.conf.lo.forwarding'), '1');
  assert.equal(sysctlGet(ns, 'net.ipv6.conf.all.accept_dad'), '1');
  assert.equal(sysctlGet(ns, 'net.ipv6.conf.default.disable_ipv6'), '0');
});

test('disable_ipv6 removes the addresses and IPv6 frames are dropped as IPV6DISABLED', () => {
  const k = newKernel();
  const a = netns(k, 'a');
  const b = netns(k, 'b');
  const [va, vb] = link(k, a, 'eth0', b, 'eth0');
  addAddress6(va, { addr: ip6('fd00::1'), prefixLen: 64 });
  addAddress6(vb, { addr: ip6('fd00::2'), prefixLen: 64 });
  k.scheduler.runFor(3 * NS_PER_SEC);
  sysctlSet(b, 'net.ipv6.conf.eth0.disable_ipv6', 1);
  assert.equal(listAddresses6(vb).length, 0);
  assert.throws(() => addAddress6(vb, { addr: ip6('fd00::3'), prefixLen: 64 }), { code: 'EACCES' });
  const s = openSocket(a, 6, 'ping');
  s.sendto(echoRequest(6, 1, new Uint8Array(4)), ip6('fd00::2'));
  k.scheduler.runFor(5 * NS_PER_SEC);
  assert.equal(s.recvfrom(), null);
  assert.ok((b.drops.get('IPV6DISABLED') ?? 0) >= 1);
  void va;
});

test('loopback: ping 127.0.0.1 and the own address answer through lo', () => {
  const k = newKernel();
  const ns = netns(k, 'n');
  const peer = netns(k, 'p');
  const [d] = link(k, ns, 'eth0', peer, 'eth0');
  addAddress(d, { local: ip4('10.0.0.1'), prefixLen: 24 });
  addAddress6(d, { addr: ip6('fd00::1'), prefixLen: 64 });
  k.scheduler.runFor(3 * NS_PER_SEC);
  const s = openSocket(ns, 4, 'ping');
  s.sendto(echoRequest(4, 1, new Uint8Array(4)), ip4('127.0.0.1'));
  s.sendto(echoRequest(4, 2, new Uint8Array(4)), ip4('10.0.0.1'));
  const s6 = openSocket(ns, 6, 'ping');
  s6.sendto(echoRequest(6, 3, new Uint8Array(4)), ip6('::1'));
  s6.sendto(echoRequest(6, 4, new Uint8Array(4)), ip6('fd00::1'));
  k.scheduler.runFor(NS_PER_MS);
  assert.equal(s.recvfrom()?.from, ip4('127.0.0.1'));
  assert.equal(s.recvfrom()?.from, ip4('10.0.0.1'));
  assert.equal(s6.recvfrom()?.from.toString(), '::1');
  assert.equal(s6.recvfrom()?.from.toString(), 'fd00::1');
  assert.equal(ns.requireByName('lo').stats.rxPackets, 8);
});
