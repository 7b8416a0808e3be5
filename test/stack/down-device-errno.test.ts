// A local sender on a device that is administratively down or has no carrier gets no
// ENOBUFS and no ENETDOWN from Linux:
// - down: NETDEV_DOWN removed the device's IPv4 routes (the address and its `local` route
//   stay) and its IPv6 addresses and routes, so the route lookup fails first: connect()
//   and sendto() are ENETUNREACH, also with SO_BINDTODEVICE to the down device
//   (ip_route_output_key_hash_rcu: an oif without IFF_UP is -ENETUNREACH);
// - no carrier (a veth whose peer is down): the routes stay (`linkdown`), the neighbours
//   are flushed (neigh_carrier_down), and what reaches the device meets noop_qdisc, whose
//   NET_XMIT_CN is success for the sender (sendto() = 64, then plain loss); unresolved
//   neighbours fail after their probes: "Destination Host Unreachable".
// ENETDOWN only appears as the errno of `ip -6 route add … dev DOWN` (fib6_nh_init).
// A device never brought up keeps what was added to it: IPv4 address and `local` route, and
// on a NOARP device an IPv6 address that skipped DAD (addrconf_dad_begin) with its local
// route, so it answers; no prefix routes until NETDEV_UP (fib6_nh_init refuses, then
// addrconf_permanent_addr adds them).
//
// Ground truth: test/fixtures/oracle/o-down-device (Linux 6.1, iputils 20221126, strace).
// The second half replays that recording on the emulated machine.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NS_PER_MS, NS_PER_SEC } from '../../src/stack/scheduler.ts';
import { echoRequest, openSocket } from '../../src/stack/socket.ts';
import { OracleShell, replayRecording } from '../rtnl/oracle-shell.ts';
import { dualStackPair, ip4, ip6 } from './helpers.ts';

const pair = () => dualStackPair(5);

test('no carrier: a send that reaches the device succeeds (noop_qdisc, NET_XMIT_CN)', () => {
  const { k, a, b, va, vb } = pair();
  k.devClose(vb);
  assert.equal(va.carrier, false);
  const sink = openSocket(b, 4, 'udp');
  sink.bind(null, 9);
  // A broadcast needs no neighbour: the frame goes straight to the device.
  const p = openSocket(a, 4, 'ping');
  p.broadcast = true;
  assert.equal(p.sendto(echoRequest(4, 1, new Uint8Array(56)), ip4('10.0.0.255')), 64);
  const u = openSocket(a, 4, 'udp');
  u.broadcast = true;
  assert.equal(u.sendto(Uint8Array.of(1, 2, 3), ip4('10.0.0.255'), 9), 3);
  k.scheduler.runFor(10 * NS_PER_MS);
  assert.equal(sink.recvfrom(), null);
  assert.equal(p.recvErr(), null);
  assert.equal(a.drops.get('NO_CARRIER'), 2);
  // noop_qdisc frees without touching the device's counters.
  assert.equal(va.getStats64().txDropped, 0);
  assert.equal(vb.getStats64().rxDropped, 0);
});

test('admin down: connect/sendto are ENETUNREACH, also bound to the device; never ENOBUFS', () => {
  const { k, a, va } = pair();
  k.devClose(va);
  for (const kind of ['udp', 'ping'] as const) {
    const data = kind === 'ping' ? echoRequest(4, 1, new Uint8Array(8)) : Uint8Array.of(1);
    assert.throws(() => openSocket(a, 4, kind).sendto(data, ip4('10.0.0.2'), 9), {
      code: 'ENETUNREACH',
    });
    const bound = openSocket(a, 4, kind);
    bound.bindToDevice(va);
    assert.throws(() => bound.sendto(data, ip4('10.0.0.2'), 9), { code: 'ENETUNREACH' });
    assert.throws(() => bound.connect(ip4('10.0.0.2')), { code: 'ENETUNREACH' });
    const data6 = kind === 'ping' ? echoRequest(6, 1, new Uint8Array(8)) : Uint8Array.of(1);
    const bound6 = openSocket(a, 6, kind);
    bound6.bindToDevice(va);
    assert.throws(() => bound6.sendto(data6, ip6('fd00::2'), 9), { code: 'ENETUNREACH' });
  }
  // The address's local route survives NETDEV_DOWN: our own address still answers.
  const self = openSocket(a, 4, 'ping');
  assert.equal(self.sendto(echoRequest(4, 1, new Uint8Array(8)), ip4('10.0.0.1')), 16);
  k.scheduler.runFor(10 * NS_PER_MS);
  assert.equal(self.recvfrom()?.data[0], 0);
});

// ---------------------------------------------------------------- the recording

/** Recorded commands the emulated machine does not have. */
function notEmulated(command: string): string | undefined {
  if (command.startsWith('strace ')) return 'strace shows the real syscalls';
  return undefined;
}

test('o-down-device replayed on the emulated machine', async (t) => {
  const { replayed, same, pings } = await replayRecording(t, 'o-down-device', notEmulated);
  assert.equal(pings, 38);
  assert.equal(replayed, 102);
  assert.equal(same, replayed);
});

test('ping through a down device: connect fails before PING, unless iputils skips the probe', async () => {
  const sh = await OracleShell.open();
  for (const line of [
    'ip link add veth0 type veth peer name veth1',
    'ip addr add 192.168.1.1/24 dev veth0',
  ]) {
    assert.equal((await sh.run(line)).exit, 0, line);
  }
  const viaDev = await sh.run('ping -c 1 -W 1 -I veth0 192.168.1.2');
  assert.deepEqual([viaDev.output, viaDev.exit], ['ping: connect: Network is unreachable\n', 2]);
  // With a source address there is no probe: each sendto() is ENETUNREACH, printed nowhere.
  const world = sh.session.world;
  const before = world.now;
  const viaAddr = await sh.run('ping -c 2 -i 0.2 -W 1 -I 192.168.1.1 192.168.1.2');
  assert.equal(viaAddr.exit, 1);
  assert.doesNotMatch(viaAddr.output, /sendmsg|connect|errors/);
  assert.match(viaAddr.output, /^2 packets transmitted, 0 received, 100% packet loss/m);
  // 0.2 s between the probes, then the -W 1 linger.
  const took = world.now - before;
  assert.ok(took >= 1.2 * NS_PER_SEC && took < 1.3 * NS_PER_SEC, `took ${took} ns`);
});

test('addresses added while down: NOARP skips DAD at once, prefix routes wait for NETDEV_UP', async () => {
  const sh = await OracleShell.open();
  const out = async (line: string): Promise<string> => {
    const r = await sh.run(line);
    assert.equal(r.exit, 0, line);
    return r.output;
  };
  await out('ip link add dummy1 type dummy');
  await out('ip addr add 2001:db8:7::1/64 dev dummy1');
  await out('ip link add veth0 type veth peer name veth1');
  await out('ip addr add 2001:db8:8::1/64 dev veth0');
  // addrconf_dad_begin on a down, non-NOARP device: not IF_READY, stays tentative.
  assert.match(
    await out('ip -6 addr show dev veth0'),
    /2001:db8:8::1\/64 scope global tentative \n/,
  );
  assert.equal(await out('ip -6 route show table local dev veth0'), '');
  assert.equal(
    await out('ip -6 route show table local dev dummy1'),
    'local 2001:db8:7::1 proto kernel metric 0 pref medium\n',
  );
  assert.equal(await out('ip -6 route show dev dummy1'), '');
  // addrconf_permanent_addr on NETDEV_UP adds the prefix routes refused while down.
  await out('ip link set dummy1 up');
  await out('ip link set veth1 up');
  await out('ip link set veth0 up');
  await out('sleep 3');
  assert.equal(
    await out('ip -6 route show dev dummy1'),
    '2001:db8:7::/64 proto kernel metric 256 pref medium\n' +
      'fe80::/64 proto kernel metric 256 pref medium\n',
  );
  assert.match(await out('ip -6 route show dev veth0'), /^2001:db8:8::\/64 proto kernel /);
  assert.match(await out('ip -6 addr show dev veth0'), /2001:db8:8::1\/64 scope global \n/);
});
