import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NUD_REACHABLE, NUD_STALE, NUD_FAILED } from '../../src/uapi/rtnetlink.ts';
import { addAddress } from '../../src/stack/inet.ts';
import { arpTable } from '../../src/stack/arp.ts';
import { echoRequest, openSocket } from '../../src/stack/socket.ts';
import { NS_PER_MS, NS_PER_SEC } from '../../src/stack/scheduler.ts';
import { formatIpv4 } from '../../src/wire/address.ts';
import { capture, ip4, link, netns, newKernel } from './helpers.ts';

function twoHosts() {
  const k = newKernel();
  const a = netns(k, 'a');
  const b = netns(k, 'b');
  const [va, vb] = link(k, a, 'eth0', b, 'eth0', ['02:00:00:00:00:0a', '02:00:00:00:00:0b']);
  addAddress(va, { local: ip4('10.0.0.1'), prefixLen: 24 });
  addAddress(vb, { local: ip4('10.0.0.2'), prefixLen: 24 });
  return { k, a, b, va, vb };
}

test('two namespaces ping over IPv4: ARP resolves, reply arrives, neighbours as Linux shows', () => {
  const { k, a, b, va, vb } = twoHosts();
  const wire = capture(k, va);
  const sock = openSocket(a, 4, 'ping');
  const payload = new Uint8Array(56).map((_, i) => i);
  sock.sendto(echoRequest(4, 1, payload), ip4('10.0.0.2'));
  k.scheduler.runFor(10 * NS_PER_MS);
  const reply = sock.recvfrom();
  assert.ok(reply !== null, 'echo reply received');
  assert.equal(formatIpv4(reply.from as never), '10.0.0.2');
  assert.equal(reply.data[0], 0); // echo reply
  assert.equal((reply.data[6]! << 8) | reply.data[7]!, 1); // seq
  assert.deepEqual(reply.data.subarray(8), payload);
  assert.equal(reply.ttl, 64);
  // First frame on the wire: broadcast ARP who-has 10.0.0.2 tell 10.0.0.1.
  const v4 = wire.filter((f) => f[12] === 0x08);
  const arp = v4[0]!;
  assert.equal(arp.length, 42);
  assert.deepEqual([...arp.subarray(0, 6)], [255, 255, 255, 255, 255, 255]);
  assert.deepEqual([...arp.subarray(12, 14)], [0x08, 0x06]);
  assert.deepEqual([...arp.subarray(28, 32)], [10, 0, 0, 1]);
  assert.deepEqual([...arp.subarray(38, 42)], [10, 0, 0, 2]);
  // The echo request follows, unicast to b's MAC, DF set, id 0 (unconnected socket).
  const req = v4[1]!;
  assert.deepEqual([...req.subarray(0, 6)], [2, 0, 0, 0, 0, 0x0b]);
  assert.equal(req[14 + 6]! & 0x40, 0x40);
  assert.equal(req[14 + 9], 1);
  // a learnt b from the reply: REACHABLE; b learnt a from the request: STALE, then DELAY.
  const na = arpTable(a).lookup(va, ip4('10.0.0.2'))!;
  assert.equal(na.state, NUD_REACHABLE);
  assert.equal(na.lladdr?.toString(), '02:00:00:00:00:0b');
  const nb = arpTable(b).lookup(vb, ip4('10.0.0.1'))!;
  assert.equal(nb.lladdr?.toString(), '02:00:00:00:00:0a');
  // After base_reachable_time × 1.5 at most, a's entry is STALE.
  k.scheduler.runFor(46 * NS_PER_SEC);
  assert.equal(na.state, NUD_STALE);
  // b probed its DELAY entry with a unicast ARP and got REACHABLE, then aged to STALE too.
  assert.equal(nb.state, NUD_STALE);
  // Only IPv6 multicast nobody joined (MLD reports to ff02::16) was dropped, as Linux does.
  for (const ns of [a, b])
    assert.deepEqual(
      [...ns.drops.keys()].filter((r) => r !== 'NOT_SPECIFIED'),
      [],
    );
});

test('an unanswered address: 3 ARP requests one second apart, then FAILED and host unreachable', () => {
  const { k, a, va } = twoHosts();
  const wire = capture(k, va);
  const sock = openSocket(a, 4, 'ping');
  sock.sendto(echoRequest(4, 1, new Uint8Array(8)), ip4('10.0.0.99'));
  k.scheduler.runFor(5 * NS_PER_SEC);
  const arps = wire.filter((f) => f[12] === 0x08 && f[13] === 0x06);
  assert.equal(arps.length, 3);
  const n = arpTable(a).lookup(va, ip4('10.0.0.99'))!;
  assert.equal(n.state, NUD_FAILED);
  const err = sock.recvErr();
  assert.ok(err !== null);
  assert.equal(err.errno, 'EHOSTUNREACH');
  assert.equal(formatIpv4(err.offender as never), '10.0.0.1');
  assert.equal(err.time, 3 * NS_PER_SEC);
  assert.equal(a.drops.get('NEIGH_FAILED'), 1);
});

test('an unroutable destination fails the send with ENETUNREACH', () => {
  const { a } = twoHosts();
  const sock = openSocket(a, 4, 'ping');
  assert.throws(() => sock.sendto(echoRequest(4, 1, new Uint8Array(8)), ip4('192.0.2.1')), {
    code: 'ENETUNREACH',
  });
  assert.equal(a.drops.get('IP_OUTNOROUTES'), 1);
});
