import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arpTable } from '../../src/stack/arp.ts';
import { createDummy } from '../../src/stack/dummy.ts';
import { addAddress } from '../../src/stack/inet.ts';
import { addRoute } from '../../src/stack/route.ts';
import { NS_PER_MS, NS_PER_SEC } from '../../src/stack/scheduler.ts';
import { echoRequest, openSocket } from '../../src/stack/socket.ts';
import { neighAdd, neighDel, neighFlush, neighList } from '../../src/stack/stack.ts';
import { sysctlGet, sysctlSet } from '../../src/stack/sysctl.ts';
import { nudName } from '../../src/stack/neigh.ts';
import { NUD_NOARP, NUD_PERMANENT } from '../../src/uapi/rtnetlink.ts';
import { capture, ip4, link, mac, netns, newKernel } from './helpers.ts';

const isArp = (f: Uint8Array): boolean => f[12] === 0x08 && f[13] === 0x06;

test('arp_notify=1 sends a gratuitous ARP for the primary address when the device comes up', () => {
  const k = newKernel();
  const a = netns(k, 'a');
  const b = netns(k, 'b');
  const [va, vb] = link(k, a, 'eth0', b, 'eth0');
  addAddress(va, { local: ip4('10.0.0.1'), prefixLen: 24 });
  sysctlSet(a, 'net.ipv4.conf.eth0.arp_notify', 1);
  k.devClose(va);
  const frames = capture(k, va);
  k.devOpen(va);
  const garp = frames.filter(isArp);
  assert.equal(garp.length, 1);
  const f = garp[0]!;
  assert.deepEqual([...f.subarray(0, 6)], [255, 255, 255, 255, 255, 255]);
  assert.deepEqual([...f.subarray(20, 22)], [0, 1]); // request
  assert.deepEqual([...f.subarray(28, 32)], [10, 0, 0, 1]); // sender = target = own address
  assert.deepEqual([...f.subarray(38, 42)], [10, 0, 0, 1]);
  void vb;
  // Default is off.
  assert.equal(sysctlGet(b, 'net.ipv4.conf.eth0.arp_notify'), '0');
});

test('NOARP devices: neighbours are NOARP with the device address, no ARP is sent', () => {
  const k = newKernel();
  const ns = netns(k, 'n');
  const d = createDummy(k, ns, 'dummy0', { address: mac('02:11:22:33:44:55') });
  k.devOpen(d);
  addAddress(d, { local: ip4('10.5.0.1'), prefixLen: 24 });
  const frames = capture(k, d);
  const s = openSocket(ns, 4, 'udp');
  s.sendto(Uint8Array.of(1), ip4('10.5.0.9'), 7);
  k.scheduler.runFor(NS_PER_MS);
  assert.equal(frames.filter(isArp).length, 0);
  const ipf = frames.find((f) => f[12] === 0x08 && f[13] === 0x00)!;
  assert.deepEqual([...ipf.subarray(0, 6)], [2, 0x11, 0x22, 0x33, 0x44, 0x55]);
  const n = arpTable(ns).create(d, ip4('10.5.0.9'));
  assert.equal(n.state, NUD_NOARP);
  assert.equal(n.lladdr?.toString(), '02:11:22:33:44:55');
});

test('arp_ignore=1 answers only for addresses on the incoming interface', () => {
  const k = newKernel();
  const a = netns(k, 'a');
  const b = netns(k, 'b');
  const [va, vb] = link(k, a, 'eth0', b, 'eth0');
  const other = createDummy(k, b, 'dummy0');
  k.devOpen(other);
  addAddress(va, { local: ip4('10.0.0.1'), prefixLen: 24 });
  addAddress(vb, { local: ip4('10.0.0.2'), prefixLen: 24 });
  addAddress(other, { local: ip4('10.9.0.1'), prefixLen: 24 });
  addRoute(a, { family: 4, dst: ip4('10.9.0.0'), dstLen: 24, dev: va });
  const s = openSocket(a, 4, 'ping');
  // arp_ignore=0 (weak host model): b answers for 10.9.0.1 on eth0.
  s.sendto(echoRequest(4, 1, new Uint8Array(4)), ip4('10.9.0.1'));
  k.scheduler.runFor(10 * NS_PER_MS);
  assert.ok(s.recvfrom() !== null);
  neighFlush(a, 4);
  sysctlSet(b, 'net.ipv4.conf.all.arp_ignore', 1);
  s.sendto(echoRequest(4, 2, new Uint8Array(4)), ip4('10.9.0.1'));
  k.scheduler.runFor(5 * NS_PER_SEC);
  assert.equal(s.recvfrom(), null);
  assert.equal(nudName(arpTable(a).lookup(va, ip4('10.9.0.1'))!.state), 'FAILED');
});

test('proxy_arp on a forwarding router answers for the other side', () => {
  const k = newKernel();
  const h1 = netns(k, 'h1');
  const r = netns(k, 'r');
  const h2 = netns(k, 'h2');
  const [h1e, r0] = link(k, h1, 'eth0', r, 'eth0');
  const [r1, h2e] = link(k, r, 'eth1', h2, 'eth0');
  addAddress(h1e, { local: ip4('10.0.0.2'), prefixLen: 16 });
  addAddress(r0, { local: ip4('10.0.0.1'), prefixLen: 24 });
  addAddress(r1, { local: ip4('10.0.1.1'), prefixLen: 24 });
  addAddress(h2e, { local: ip4('10.0.1.2'), prefixLen: 24 });
  addRoute(h2, { family: 4, dst: ip4('0.0.0.0'), dstLen: 0, gateway: ip4('10.0.1.1') });
  sysctlSet(r, 'net.ipv4.ip_forward', 1);
  sysctlSet(r, 'net.ipv4.conf.eth0.proxy_arp', 1);
  // h1 thinks 10.0.1.2 is on its /16 link; r answers with its own MAC.
  const s = openSocket(h1, 4, 'ping');
  s.sendto(echoRequest(4, 1, new Uint8Array(4)), ip4('10.0.1.2'));
  k.scheduler.runFor(NS_PER_SEC);
  assert.ok(s.recvfrom() !== null);
  assert.equal(
    arpTable(h1).lookup(h1e, ip4('10.0.1.2'))?.lladdr?.toString(),
    r0.address.toString(),
  );
});

test('ip neigh add/del/flush: EEXIST, ENOENT, permanent entries survive flush', () => {
  const k = newKernel();
  const a = netns(k, 'a');
  const b = netns(k, 'b');
  const [va] = link(k, a, 'eth0', b, 'eth0');
  addAddress(va, { local: ip4('10.0.0.1'), prefixLen: 24 });
  neighAdd(a, { dev: va, dst: ip4('10.0.0.7'), lladdr: mac('02:00:00:00:00:07') });
  assert.throws(
    () => neighAdd(a, { dev: va, dst: ip4('10.0.0.7'), lladdr: mac('02:00:00:00:00:08') }),
    { code: 'EEXIST' },
  );
  neighAdd(a, { dev: va, dst: ip4('10.0.0.7'), lladdr: mac('02:00:00:00:00:08') }, 'replace');
  assert.equal(neighList(a, 4)[0]?.lladdr?.toString(), '02:00:00:00:00:08');
  assert.equal(neighList(a, 4)[0]?.state, NUD_PERMANENT);
  assert.equal(neighFlush(a, 4, va), 0);
  neighDel(a, va, ip4('10.0.0.7'));
  assert.throws(() => neighDel(a, va, ip4('10.0.0.7')), { code: 'ENOENT' });
  assert.equal(neighList(a, 4).length, 0);
});
