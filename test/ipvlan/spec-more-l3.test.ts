// Spec statements of sections 4-5 not covered elsewhere, on the emulated machine (`Lab`):
// IPv6 neighbour discovery around an l3 slave (RX-L3-4, replayed from the i7 section of
// the real-kernel recording i-followup.out), V6-3 (no RA/RS/MLD/NS passes an l3 slave),
// and RX-L3-5 (a promiscuous l3 master diverts foreign-MAC frames, the slave drops them
// as "other host").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, SHARED_MAC, expectRecorded, recCapture } from './helpers.ts';
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

for (const mode of ['l2', 'l3', 'l3s'] as const) {
  test(`V6-3 TX-L3-3 RX-L3-3: IPv6 link multicast (MLD, RS, all-nodes as an RA uses) passes an ${mode} slave ${mode === 'l2' ? 'both ways' : 'in neither direction'}`, async () => {
    const lab = await Lab.create();
    await lab.master({ v6: true });
    await lab.slave(0, '10.0.0.1/24', `mode ${mode}`, { v6: true });
    // The slave's own link-local start-up traffic (MLD reports, router solicitations).
    lab.settle(5_000_000_000);
    const own = lab.stats('ns0', 'ipvl0');
    const groupDrops = lab.drops(null, 'IPVLAN_L3_GROUP') + lab.drops('ns0', 'IPVLAN_L3_GROUP');
    // A frame to ff02::1 (where an RA goes) from the LAN side.
    const r = await lab.sh('ip netns exec ext ping -6 -c 2 -I veth1 ff02::1');
    assert.equal(r.exit, 0, r.output);
    // ping stops at the master's reply to the last request; the slave's deferred copy
    // (MC-1) is delivered just after.
    lab.settle();
    const after = lab.stats('ns0', 'ipvl0');
    if (mode === 'l2') {
      assert.ok(own.txPackets > 0, 'an l2 slave sends its MLD/RS');
      assert.equal(own.txDropped, 0);
      assert.equal(groupDrops, 0);
      // The slave gets both requests (deferred multicast) and answers them.
      assert.equal(after.multicast - own.multicast, 2);
      assert.match(r.output, /2 packets transmitted, 2 received, \+\d+ duplicates/);
    } else {
      assert.equal(own.txPackets, 0);
      assert.ok(own.txDropped > 0, 'the l3 slave tried to send MLD/RS');
      assert.equal(groupDrops, own.txDropped);
      // Only the master answers; the slave receives nothing.
      assert.equal(after.rxPackets, 0);
      assert.match(r.output, /2 packets transmitted, 2 received, 0% packet loss/);
      assert.doesNotMatch(r.output, /duplicates/);
    }
  });
}

test('RX-L3-5: an l3 frame for a foreign MAC (promiscuous master) with a slave IP is diverted, then dropped by the slave as other-host', async () => {
  const lab = await Lab.create();
  await lab.topo(1, 'mode l3');
  await lab.ok(
    'ip link set veth0 promisc on',
    'ip -n ext neigh replace 10.0.0.1 lladdr 02:00:00:00:00:99 dev veth1',
  );
  const r = await lab.sh('ip netns exec ext ping -c 2 -i 0.3 -W 1 10.0.0.1');
  assert.equal(r.exit, 1);
  assert.match(r.output, /2 packets transmitted, 0 received/);
  const s = lab.stats('ns0', 'ipvl0');
  // Diverted by ipvlan (counted as received on the slave: 84 + 14 bytes each)...
  assert.equal(s.rxPackets, 2);
  assert.equal(s.rxBytes, 2 * 98);
  // ...kept PACKET_OTHERHOST, so the slave's IPv4 input drops it (ip_rcv_core).
  assert.equal(s.rxOtherhostDropped, 2);
  assert.equal(lab.drops('ns0', 'OTHERHOST'), 2);
  assert.equal(s.txPackets, 0);
  // The master's own stack never saw them.
  assert.equal(lab.drops(null, 'OTHERHOST'), 0);
  // The same packets to the shared MAC are delivered and answered.
  await lab.ok(`ip -n ext neigh replace 10.0.0.1 lladdr ${SHARED_MAC} dev veth1`);
  const ok = await lab.sh('ip netns exec ext ping -c 2 -i 0.3 -W 1 10.0.0.1');
  assert.match(ok.output, /2 packets transmitted, 2 received/);
  assert.equal(lab.stats('ns0', 'ipvl0').rxOtherhostDropped, 2);
});
