import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addAddress } from '../../src/stack/inet.ts';
import { addAddress6 } from '../../src/stack/addrconf.ts';
import { NS_PER_MS, NS_PER_SEC } from '../../src/stack/scheduler.ts';
import { echoRequest, openSocket } from '../../src/stack/socket.ts';
import { formatIpv4, type Ipv4Addr } from '../../src/wire/address.ts';
import { capture, ip4, ip6, link, mac, netns, newKernel } from './helpers.ts';

function pair(seed = 3) {
  const k = newKernel(seed);
  const a = netns(k, 'a');
  const b = netns(k, 'b');
  const [va, vb] = link(k, a, 'eth0', b, 'eth0');
  addAddress(va, { local: ip4('10.0.0.1'), prefixLen: 24 });
  addAddress(vb, { local: ip4('10.0.0.2'), prefixLen: 24 });
  return { k, a, b, va, vb };
}

test('broadcast needs SO_BROADCAST, reaches the peer and loops back to local listeners', () => {
  const { k, a, b } = pair();
  const rb = openSocket(b, 4, 'udp');
  rb.bind(null, 6000);
  const ra = openSocket(a, 4, 'udp');
  ra.bind(null, 6000);
  const s = openSocket(a, 4, 'udp');
  assert.throws(() => s.sendto(Uint8Array.of(1), ip4('10.0.0.255'), 6000), { code: 'EACCES' });
  s.broadcast = true;
  s.sendto(Uint8Array.of(2), ip4('10.0.0.255'), 6000);
  k.scheduler.runFor(NS_PER_MS);
  const got = rb.recvfrom();
  assert.equal(got?.data[0], 2);
  assert.equal(formatIpv4(got?.to as Ipv4Addr), '10.0.0.255');
  assert.equal(ra.recvfrom()?.data[0], 2);
});

test('multicast: a joined group is received, TTL 1, MAC on the device list', () => {
  const { k, a, b, va, vb } = pair();
  const r = openSocket(b, 4, 'udp');
  r.bind(null, 5000);
  r.joinGroup(ip4('239.1.2.3'), vb);
  assert.ok(vb.hasMulticast(mac('01:00:5e:01:02:03')));
  const s = openSocket(a, 4, 'udp');
  s.multicastIf = va;
  const frames = capture(k, va);
  s.sendto(Uint8Array.of(9), ip4('239.1.2.3'), 5000);
  k.scheduler.runFor(NS_PER_MS);
  const got = r.recvfrom();
  assert.equal(got?.data[0], 9);
  assert.equal(got?.ttl, 1);
  const f = frames.find((x) => x[12] === 0x08 && x[13] === 0x00)!;
  assert.deepEqual([...f.subarray(0, 6)], [1, 0, 0x5e, 1, 2, 3]);
  r.leaveGroup(ip4('239.1.2.3'), vb);
  assert.ok(!vb.hasMulticast(mac('01:00:5e:01:02:03')));
});

test('UDP over IPv6 and bind rules', () => {
  const { k, a, b, va, vb } = pair();
  addAddress6(va, { addr: ip6('fd00::1'), prefixLen: 64 });
  addAddress6(vb, { addr: ip6('fd00::2'), prefixLen: 64 });
  k.scheduler.runFor(3 * NS_PER_SEC);
  const r = openSocket(b, 6, 'udp');
  r.bind(ip6('fd00::2'), 7000);
  const dup = openSocket(b, 6, 'udp');
  assert.throws(() => dup.bind(null, 7000), { code: 'EADDRINUSE' });
  assert.throws(() => openSocket(b, 6, 'udp').bind(ip6('fd00::99'), 1), { code: 'EADDRNOTAVAIL' });
  const s = openSocket(a, 6, 'udp');
  s.sendto(new TextEncoder().encode('six'), ip6('fd00::2'), 7000);
  k.scheduler.runFor(10 * NS_PER_MS);
  const got = r.recvfrom();
  assert.equal(new TextDecoder().decode(got?.data), 'six');
  assert.equal(got?.from.toString(), 'fd00::1');
  // A link-local ping needs an interface.
  const p = openSocket(a, 6, 'ping');
  assert.throws(() => p.sendto(echoRequest(6, 1, new Uint8Array(1)), ip6('fe80::1')), {
    code: 'EINVAL',
  });
});

test('the same scenario twice sends byte-identical frames', () => {
  const run = (): string => {
    const { k, a, va } = pair(99);
    const frames = capture(k, va);
    const s = openSocket(a, 4, 'ping');
    for (let i = 0; i < 3; i++) {
      s.sendto(echoRequest(4, i, new Uint8Array(8).fill(i)), ip4('10.0.0.2'));
      k.scheduler.runFor(NS_PER_SEC);
    }
    k.scheduler.runFor(60 * NS_PER_SEC);
    return frames.map((f) => Buffer.from(f).toString('hex')).join('\n');
  };
  const one = run();
  assert.ok(one.length > 0);
  assert.equal(run(), one);
});
