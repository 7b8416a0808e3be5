// Spec statements of sections 4-5 not covered elsewhere, on the emulated machine (`Lab`):
// IPv6 neighbour discovery around an l3 slave (RX-L3-4, replayed from the i7 section of
// the real-kernel recording i-followup.out), V6-3 (no RA/RS/MLD/NS passes an l3 slave),
// and RX-L3-5 (a promiscuous l3 master diverts foreign-MAC frames, the slave drops them
// as "other host").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, expectRecorded, recCapture } from './helpers.ts';
import { maskVariable } from '../fixtures/oracle/index.ts';

const I = 'i-followup';

/**
 * The lines of a capture that do not hang on the guest's wall clock: the recording's
 * MLD reports and router solicitations are timed by its boot and link-up timers.
 */
function ndAndEcho(text: string): string {
  return maskVariable(text)
    .split('\n')
    .filter((l) => /neighbor (solicitation|advertisement)|echo (request|reply)/.test(l))
    .join('\n');
}

test('RX-L3-4 V6-2: i7 — an l3 slave is unreachable by IPv6 ND until the master proxies its address (proxy NDP)', async () => {
  const lab = await Lab.create();
  await lab.ok(
    'ip netns add ext',
    'ip link add veth0 type veth peer name veth1',
    'ip link set veth0 address 52:54:00:12:34:56',
    'ip link set veth1 address 52:54:00:ab:cd:ef',
    'ip link set veth1 netns ext',
    'ip -n ext link set lo up',
    'ip -n ext link set veth1 up',
    'ip -n ext addr add 2001:db8::100/64 dev veth1 nodad',
    'ip link set veth0 up',
    'ip addr add 2001:db8::254/64 dev veth0 nodad',
    'ip netns add ns0',
    'ip -n ns0 link set lo up',
    'ip link add link veth0 ipvl0 type ipvlan mode l3',
    'ip link set ipvl0 netns ns0',
    'ip -n ns0 link set ipvl0 up',
  );
  // The script's unrecorded setup took real time: veth0's link-local (and its
  // fe80::/64 route) exists by the first recorded command.
  lab.settle();
  const S = 'i7 ';
  // V6-2: the l3 slave's address is usable at once (NOARP: no DAD).
  await expectRecorded(lab, I, S, 'ip -n ns0 addr add 2001:db8::1/64 dev ipvl0');
  await expectRecorded(lab, I, S, 'ip -n ns0 -6 route add default dev ipvl0');
  await expectRecorded(lab, I, S, 'ip -6 route show');
  const ext = await lab.cap('ext', 'veth1', 'ip6', 'and', 'not', 'icmp6', 'or', 'icmp6');
  await lab.ok('sleep 2');
  // No route via the master for 2001:db8:99::1: dropped (TX-L3-4), silently for ping -6.
  await expectRecorded(lab, I, S, 'ip netns exec ns0 ping -6 -c 1 -W 1 2001:db8:99::1');
  // Counted where the lookup failed: the master's namespace.
  assert.equal(lab.drops(null, 'IPVLAN_NO_ROUTE'), 1);
  // The request leaves; ext's NS for 2001:db8::1 (to its solicited-node group) goes to
  // the master, which does not answer it: no reply ever comes back (RX-L3-4).
  await expectRecorded(lab, I, S, 'ip netns exec ns0 ping -6 -c 1 -W 2 2001:db8::100');
  const got = await ext.stop();
  assert.equal(ndAndEcho(got), ndAndEcho(recCapture(I, S, 'i7.ext')));
  assert.match(got, /who has 2001:db8::1, length 32/);
  assert.doesNotMatch(got, /tgt is 2001:db8::1,/);
  // The NSs (and the echo requests behind them) never reached the slave.
  assert.equal(lab.stats('ns0', 'ipvl0').rxPackets, 0);
  // Not replayed: `ip -s link` of ipvl0, whose tx_dropped also counts the slave's own
  // MLD reports (TX-L3-3), timed by the guest's wall clock.
  assert.equal(lab.stats('ns0', 'ipvl0').txPackets, 1);
  assert.equal(lab.stats('ns0', 'ipvl0').txBytes, 118);
  // With proxy NDP on the master, the master answers for the slave address and the
  // echo requests are diverted to the slave (RX-L3-4: unlike IPv4's ARP, RX-L3-2).
  for (const c of [
    'ip -n ext -6 neigh flush all',
    'sysctl -qw net.ipv6.conf.veth0.forwarding=1',
    'sysctl -qw net.ipv6.conf.veth0.proxy_ndp=1',
    'ip -6 neigh add proxy 2001:db8::1 dev veth0',
    'ip netns exec ext ping -6 -c 3 -i 0.5 -W 3 2001:db8::1',
    'ip -n ext -6 neigh show',
  ])
    await expectRecorded(lab, I, S, c);
  assert.equal(lab.stats('ns0', 'ipvl0').rxPackets, 3);
});
