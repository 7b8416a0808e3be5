// Spec section 10, L3/L3S scenarios (SC-21..SC-23, SC-28..SC-30) from the real-kernel
// recording test/fixtures/oracle/h-l3-traffic.out, plus SC-11 (address uniqueness across
// namespaces, c-errors/m-ipvlan-ns) and SC-13 (master MAC change, i-followup), on the
// emulated stack with the topology of the scripts (master veth0, peer veth1 in `ext`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, expectRecorded, rec, recCapture, maskIfindex } from './helpers.ts';
import { maskVariable } from '../fixtures/oracle/index.ts';
import { neighList } from '../../src/stack/stack.ts';
import { formatIp } from '../../src/wire/address.ts';

const H = 'h-l3-traffic';
const I = 'i-followup';
const plural = (t: string): string => t.replace(/^(\d+) packets? /gm, '$1 packet(s) ');

function sameCapture(scenario: string, got: string, section: string, name: string): void {
  assert.equal(
    plural(maskVariable(maskIfindex(got))),
    plural(maskVariable(recCapture(scenario, section, name))),
    `capture ${name}`,
  );
}

async function twoSubnets(lab: Lab, flags: string): Promise<void> {
  await lab.master();
  await lab.slave(0, '10.1.1.1/24', `mode l3 ${flags}`.trim());
  await lab.slave(1, '10.2.2.1/24', `mode l3 ${flags}`.trim());
  await lab.ok('ip -n ns0 route add 10.2.2.0/24 dev ipvl0');
  await lab.ok('ip -n ns1 route add 10.1.1.0/24 dev ipvl1');
}

test('SC-21 TX-L3-1 NS-4 ST-3: l3 slaves in different subnets talk directly; no host route, no forwarding, nothing on the wire', async () => {
  const lab = await Lab.create();
  await twoSubnets(lab, '');
  await expectRecorded(lab, H, 'h1 ', 'sysctl net.ipv4.ip_forward');
  const ext = await lab.cap('ext', 'veth1');
  await lab.ok('sleep 2');
  await expectRecorded(lab, H, 'h1 ', 'ip netns exec ns0 ping -c 2 -i 0.3 -W 1 10.2.2.1');
  sameCapture(H, await ext.stop(), 'h1 ', 'h1.ext');
  await expectRecorded(lab, H, 'h1 ', 'ip -n ns0 -s link show ipvl0 | tail -4');
  await expectRecorded(lab, H, 'h1 ', 'ip -n ns1 -s link show ipvl1 | tail -4');
});

test('SC-22 TX-L3-1 ST-2: l3 private: every request fails with ENOBUFS; tx_dropped counts every attempt', async () => {
  const lab = await Lab.create();
  await twoSubnets(lab, 'private');
  // ping retries ENOBUFS sends: 7 attempts for the first request (150 ms apart until the
  // 1 s linger), then one for each later one (iputils resets its count only on success).
  await expectRecorded(lab, H, 'h2 ', 'ip netns exec ns0 ping -c 3 -i 0.3 -W 1 10.2.2.1');
  await expectRecorded(lab, H, 'h2 ', 'ip -n ns0 -s link show ipvl0 | tail -4');
  await expectRecorded(lab, H, 'h2 ', 'ip -n ns1 -s link show ipvl1 | tail -4');
  assert.equal(lab.drops('ns0', 'IPVLAN_PRIVATE'), 9);
});

test('SC-23 TX-L3-3: l3 slaves emit no broadcast or multicast; the sender counts tx_dropped', async () => {
  const lab = await Lab.create();
  await lab.master();
  await lab.slave(0, '10.0.0.1/24', 'mode l3');
  await lab.slave(1, '10.0.0.2/24', 'mode l3');
  await lab.ok('ip -n ns0 route add default dev ipvl0');
  const ext = await lab.cap('ext', 'veth1');
  const ns1 = await lab.cap('ns1', 'ipvl1');
  await lab.ok('sleep 2');
  const S = 'h3 ';
  // The limited broadcast follows `default dev ipvl0`; its NOARP neighbour resolves to the
  // shared MAC, so ipvlan routes it in the master namespace, where it is a broadcast and
  // dropped (TX-L3-4); 239.1.1.1 keeps its group MAC and is dropped as group traffic
  // (TX-L3-3). Both fail with ENOBUFS, retried by ping: 7 + 1 + 2 = 10 tx_dropped.
  await expectRecorded(lab, H, S, 'ip netns exec ns0 ping -b -c 2 -i 0.3 -W 1 255.255.255.255');
  await expectRecorded(lab, H, S, 'ip netns exec ns0 ping -c 1 -W 1 -I ipvl0 239.1.1.1');
  sameCapture(H, await ext.stop(), S, 'h3.ext');
  sameCapture(H, await ns1.stop(), S, 'h3.ns1');
  await expectRecorded(lab, H, S, 'ip -n ns0 -s link show ipvl0 | tail -4');
  await expectRecorded(lab, H, S, 'ip -n ns1 -s link show ipvl1 | tail -4');
  await expectRecorded(lab, H, S, 'ip -s link show veth0 | tail -4');
  assert.equal(lab.drops(null, 'IPVLAN_NO_ROUTE'), 8);
  assert.equal(lab.drops(null, 'IPVLAN_L3_GROUP'), 2);
  await expectRecorded(lab, H, S, 'ip netns exec ns0 ping -c 1 -W 1 10.0.0.2');
});

test('SC-28 TX-L3-6: an l3 slave reaches the host stack, but the host replies never come back', async () => {
  const lab = await Lab.create();
  await lab.master();
  await lab.slave(0, '10.0.0.1/24', 'mode l3');
  await lab.ok('ip -n ns0 route add default dev ipvl0');
  lab.nftc(null, '10.0.0.1');
  const ext = await lab.cap('ext', 'veth1');
  await lab.ok('sleep 2');
  await expectRecorded(lab, H, 'h6 ', 'ip netns exec ns0 ping -c 2 -i 0.3 -W 1 10.0.0.254');
  sameCapture(H, await ext.stop(), 'h6 ', 'h6.ext');
  const c = lab.nftCounts(null);
  // Linux: host INPUT saw both requests from 10.0.0.1, OUTPUT both replies to it.
  assert.deepEqual([c['in']?.[0], c['out']?.[1]], [2, 2]);
});

test('SC-29 TX-L3-4 TX-L3-7: l3 egress is pinned to the master (on-link ARP), then follows a master route, TTL kept', async () => {
  const lab = await Lab.create();
  await lab.master();
  await lab.ok(
    'ip link add dummy9 type dummy',
    'ip link set dummy9 up',
    'ip addr add 192.0.2.1/24 dev dummy9',
  );
  await lab.ok('ip route add default via 192.0.2.254 dev dummy9');
  await lab.slave(0, '10.0.0.1/24', 'mode l3');
  await lab.ok('ip -n ns0 route add default dev ipvl0');
  const ext = await lab.cap('ext', 'veth1', '-v');
  await lab.ok('sleep 2');
  await expectRecorded(lab, H, 'h7 ', 'ip netns exec ns0 ping -c 1 -W 1 198.51.100.7');
  await lab.ok('ip route add 198.51.100.0/24 via 10.0.0.100 dev veth0');
  await expectRecorded(lab, H, 'h7 ', 'ip netns exec ns0 ping -c 1 -W 1 -t 33 198.51.100.7');
  const got = await ext.stop();
  const want = recCapture(H, 'h7 ', 'h7.ext');
  // ext saw the ARP for 198.51.100.7 itself, then the ICMP to its own MAC with TTL 33.
  assert.match(want, /Request who-has 198\.51\.100\.7 tell 10\.0\.0\.254/);
  assert.match(got, /Request who-has 198\.51\.100\.7 tell 10\.0\.0\.254/);
  assert.match(want, /> 52:54:00:ab:cd:ef, ethertype IPv4 .*ttl 33/);
  // TODO(cli): tcpdump -v does not print the IP header line yet; the TTL kept is checked
  // on the packet in l3.test.ts (TX-L3-4).
  assert.match(
    got,
    /> 52:54:00:ab:cd:ef, ethertype IPv4 .*10\.0\.0\.1 > 198\.51\.100\.7: ICMP echo request/,
  );
  assert.equal(lab.stats(null, 'dummy9').txPackets, 0); // never via the default route
});

test('SC-30 RX-L3-2 L3S-8 RX-L3S-1: nobody answers ARP for an l3 slave; in l3s a host local route makes the master answer', async () => {
  for (const mode of ['l3', 'l3s'] as const) {
    const lab = await Lab.create();
    await lab.master();
    await lab.slave(0, '10.0.0.1/24', `mode ${mode}`);
    await lab.slave(1, '10.0.0.2/24', `mode ${mode}`);
    await lab.ok('sysctl -qw net.ipv4.conf.veth0.proxy_arp=1', 'sysctl -qw net.ipv4.ip_forward=1');
    if (mode === 'l3s') await lab.ok('ip route add local 10.0.0.2/32 dev veth0');
    const slave = lab.stats('ns1', 'ipvl1');
    // ext resolves 10.0.0.2 by pinging it (no arping tool here).
    const r = await lab.sh('ip netns exec ext ping -c 1 -W 1 10.0.0.2');
    const entry = neighList(lab.net('ext'), 4).find((e) => formatIp(e.key) === '10.0.0.2');
    if (mode === 'l3') {
      assert.equal(r.exit, 1, r.output);
      // The request was diverted to ipvl1 (42 bytes), which ignores ARP (NOARP).
      assert.ok(lab.stats('ns1', 'ipvl1').rxBytes - slave.rxBytes >= 42);
      assert.notEqual(entry?.lladdr?.toString(), '52:54:00:12:34:56');
    } else {
      assert.equal(r.exit, 0, r.output);
      assert.equal(entry?.lladdr?.toString(), '52:54:00:12:34:56');
    }
  }
});

test('SC-13 MAC-3 MAC-1 MAC-4: a master MAC change reaches slaves in every namespace and the LAN peer after the next exchange', async () => {
  const lab = await Lab.create();
  await lab.master();
  await lab.slave(0, '10.0.0.1/24', 'mode l2');
  await lab.slave(1, '10.0.0.2/24', 'mode l2');
  const S = 'i4 ';
  await expectRecorded(lab, I, S, 'ip netns exec ext ping -c 1 -W 1 10.0.0.1');
  await expectRecorded(lab, I, S, 'ip netns exec ext ping -c 1 -W 1 10.0.0.2');
  await expectRecorded(lab, I, S, 'ip link set veth0 address 00:11:11:11:11:11');
  await expectRecorded(lab, I, S, 'ip -n ns0 link show ipvl0');
  await expectRecorded(lab, I, S, 'ip -n ns1 link show ipvl1');
  await expectRecorded(lab, I, S, 'ip netns exec ns0 ping -c 1 -W 1 10.0.0.100');
  await expectRecorded(lab, I, S, 'ip netns exec ns1 ping -c 1 -W 1 10.0.0.100');
  await lab.ok('sleep 6');
  await expectRecorded(lab, I, S, 'ip netns exec ext ping -c 1 -W 1 10.0.0.1', 1);
  await expectRecorded(lab, I, S, 'ip netns exec ext ping -c 1 -W 1 10.0.0.2', 1);
  const peer = neighList(lab.net('ext'), 4).map(
    (e) => `${formatIp(e.key)} ${e.lladdr?.toString()}`,
  );
  assert.ok(peer.includes('10.0.0.1 00:11:11:11:11:11'), peer.join(','));
  assert.ok(peer.includes('10.0.0.2 00:11:11:11:11:11'), peer.join(','));
});

test('SC-11 ADDR-1 ADDR-3 ADDR-7 ADDR-5 LIM-3: one address space per master across namespaces', async () => {
  const lab = await Lab.create();
  await lab.ok(
    'ip link add dummy0 type dummy',
    'ip link set dummy0 up',
    'ip netns add ns0',
    'ip netns add ns1',
    'ip link add link dummy0 name ipvl0 netns ns0 type ipvlan mode l2',
    'ip link add link dummy0 name ipvl1 netns ns1 type ipvlan mode l2',
    'ip -n ns0 addr add 10.0.0.1/24 dev ipvl0',
    'ip -n ns0 addr add 2001:db8::1/64 dev ipvl0',
  );
  const busy = { output: 'Error: Address already assigned to an ipvlan device.\n', exit: 2 };
  assert.deepEqual(await lab.sh('ip -n ns1 addr add 10.0.0.1/24 dev ipvl1'), busy);
  assert.deepEqual(await lab.sh('ip -n ns1 addr add 10.0.0.1/32 dev ipvl1'), busy);
  assert.deepEqual(await lab.sh('ip -n ns1 addr add 2001:db8::1/64 dev ipvl1'), busy);
  await lab.ok('ip addr add 10.0.0.1/24 dev dummy0');
  await lab.ok('ip -n ns0 addr del 10.0.0.1/24 dev ipvl0');
  await lab.ok('ip -n ns1 addr add 10.0.0.1/24 dev ipvl1');
});

test('V6-4 SC-23: the neighbours of an l3 slave are NOARP entries: the shared MAC, groups their group MAC', async () => {
  const lab = await Lab.create();
  await lab.master();
  await lab.slave(0, '10.0.0.1/24', 'mode l3');
  await lab.slave(1, '10.0.0.2/24', 'mode l3');
  await lab.ok('ip -n ns0 route add default dev ipvl0');
  const S = 'h3 ';
  await lab.sh('ip netns exec ns0 ping -b -c 2 -i 0.3 -W 1 255.255.255.255');
  await lab.sh('ip netns exec ns0 ping -c 1 -W 1 -I ipvl0 239.1.1.1');
  await expectRecorded(lab, H, S, 'ip netns exec ns0 ping -c 1 -W 1 10.0.0.2');
  // Linux dumps its neighbour hash (random per boot) bucket by bucket: compare as sets.
  const sorted = (t: string): string[] => t.split('\n').filter(Boolean).sort();
  const got = await lab.sh('ip -n ns0 neigh show nud all');
  assert.deepEqual(sorted(got.output), sorted(rec(H, 'ip -n ns0 neigh show nud all', S).output));
  // A mode change flips NOARP, which flushes the entries (neigh_changeaddr, MODE-2).
  await lab.ok('ip -n ns0 link set ipvl0 type ipvlan mode l2');
  assert.equal((await lab.sh('ip -n ns0 neigh show nud all')).output, '');
});
