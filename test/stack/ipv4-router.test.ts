import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addAddress } from '../../src/stack/inet.ts';
import { addRoute } from '../../src/stack/route.ts';
import { NS_PER_MS, NS_PER_SEC } from '../../src/stack/scheduler.ts';
import { echoRequest, openSocket } from '../../src/stack/socket.ts';
import { sysctlSet } from '../../src/stack/sysctl.ts';
import { formatIpv4, ipv4, type Ipv4Addr } from '../../src/wire/address.ts';
import { capture, ip4, link, netns, newKernel } from './helpers.ts';

function topology() {
  const k = newKernel(11);
  const h1 = netns(k, 'h1');
  const r = netns(k, 'r');
  const h2 = netns(k, 'h2');
  const [h1e, r0] = link(k, h1, 'eth0', r, 'eth0');
  const [r1, h2e] = link(k, r, 'eth1', h2, 'eth0');
  addAddress(h1e, { local: ip4('10.1.0.2'), prefixLen: 24 });
  addAddress(r0, { local: ip4('10.1.0.1'), prefixLen: 24 });
  addAddress(r1, { local: ip4('10.2.0.1'), prefixLen: 24 });
  addAddress(h2e, { local: ip4('10.2.0.2'), prefixLen: 24 });
  addRoute(h1, { family: 4, dst: ipv4(0), dstLen: 0, gateway: ip4('10.1.0.1') });
  addRoute(h2, { family: 4, dst: ipv4(0), dstLen: 0, gateway: ip4('10.2.0.1') });
  return { k, h1, r, h2, h1e, r0, r1, h2e };
}

test('a router with ip_forward=1 joins two subnets and decrements the TTL', () => {
  const { k, h1, r, r1 } = topology();
  sysctlSet(r, 'net.ipv4.ip_forward', 1);
  const out = capture(k, r1);
  const s = openSocket(h1, 4, 'ping');
  s.sendto(echoRequest(4, 7, new Uint8Array(16)), ip4('10.2.0.2'));
  k.scheduler.runFor(50 * NS_PER_MS);
  const reply = s.recvfrom();
  assert.ok(reply !== null);
  assert.equal(formatIpv4(reply.from as Ipv4Addr), '10.2.0.2');
  assert.equal(reply.ttl, 63); // one router on the way back
  const fwd = out.find((f) => f[12] === 0x08 && f[13] === 0x00)!;
  assert.equal(fwd[14 + 8], 63); // TTL 64 → 63 on the way out of r
  // The header checksum was patched, not broken.
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (fwd[14 + i]! << 8) | fwd[14 + i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  assert.equal(sum, 0xffff);
});

test('with forwarding off the router drops the packet with a counted reason and no ICMP', () => {
  const { k, h1, r } = topology();
  const s = openSocket(h1, 4, 'ping');
  s.sendto(echoRequest(4, 1, new Uint8Array(8)), ip4('10.2.0.2'));
  k.scheduler.runFor(2 * NS_PER_SEC);
  assert.equal(s.recvfrom(), null);
  assert.equal(s.recvErr(), null);
  assert.equal(r.drops.get('IP_INADDRERRORS'), 1);
});

test('an unroutable destination at the router yields ICMP net unreachable to the sender', () => {
  const { k, h1, r } = topology();
  sysctlSet(r, 'net.ipv4.ip_forward', '1');
  const s = openSocket(h1, 4, 'ping');
  s.sendto(echoRequest(4, 3, new Uint8Array(8)), ip4('203.0.113.9'));
  k.scheduler.runFor(50 * NS_PER_MS);
  const err = s.recvErr();
  assert.ok(err !== null);
  assert.equal(err.errno, 'ENETUNREACH');
  assert.equal(err.type, 3);
  assert.equal(err.code, 0);
  assert.equal(formatIpv4(err.offender as Ipv4Addr), '10.1.0.1');
  assert.equal(err.port, 3);
  assert.equal(r.drops.get('IP_INNOROUTES'), 1);
});

test('TTL 1 through a router: ICMP time exceeded from the router', () => {
  const { k, h1, r } = topology();
  sysctlSet(r, 'net.ipv4.ip_forward', 1);
  const s = openSocket(h1, 4, 'ping');
  s.ttl = 1;
  s.sendto(echoRequest(4, 9, new Uint8Array(8)), ip4('10.2.0.2'));
  k.scheduler.runFor(50 * NS_PER_MS);
  const err = s.recvErr();
  assert.ok(err !== null);
  assert.equal(err.type, 11);
  assert.equal(err.errno, 'EHOSTUNREACH');
  assert.equal(formatIpv4(err.offender as Ipv4Addr), '10.1.0.1');
  assert.equal(r.drops.get('IP_INHDR'), 1);
});

test('UDP to a closed port: port unreachable, ECONNREFUSED; to an open port: delivered', () => {
  const { k, h1, h2 } = topology();
  const rsock = openSocket(h2, 4, 'udp');
  rsock.bind(null, 5353);
  const c = openSocket(h1, 4, 'udp');
  sysctlSet(k.requireNetns('r'), 'net.ipv4.ip_forward', 1);
  c.sendto(new TextEncoder().encode('hello'), ip4('10.2.0.2'), 5353);
  c.sendto(new TextEncoder().encode('nobody'), ip4('10.2.0.2'), 9);
  k.scheduler.runFor(50 * NS_PER_MS);
  const got = rsock.recvfrom();
  assert.ok(got !== null);
  assert.equal(new TextDecoder().decode(got.data), 'hello');
  assert.equal(formatIpv4(got.from as Ipv4Addr), '10.1.0.2');
  assert.equal(got.port, c.localPort);
  const err = c.recvErr();
  assert.equal(err?.errno, 'ECONNREFUSED');
  assert.equal(err?.port, 9);
  assert.equal(h2.drops.get('NO_SOCKET'), 1);
  assert.throws(() => c.sendto(new Uint8Array(1), ip4('10.1.0.255'), 9), { code: 'EACCES' });
});
