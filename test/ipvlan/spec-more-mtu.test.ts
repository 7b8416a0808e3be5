// MTU-5 on the emulated machine, l2 part: ipvlan never fragments, an oversized frame
// from an l2 slave (slave MTU above the master's, allowed by MTU-1/MTU-2) goes to the
// master driver as it is. Its l3 part (the master's IP output fragments when DF is clear
// or the socket allows it, ICMP "fragmentation needed" otherwise) is not checked: the
// emulated stack does not fragment and its ping has no `-M`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab } from './helpers.ts';

test('MTU-5 MTU-1: an l2 slave with MTU 9000 sends a 2042-byte frame through a 1500-byte veth master unfragmented; the same-size reply is refused by the master', async () => {
  const lab = await Lab.create();
  await lab.master();
  await lab.ok('ip -n ext link set veth1 mtu 9000');
  await lab.slave(0, '10.0.0.1/24', 'mode l2');
  await lab.ok('ip -n ns0 link set ipvl0 mtu 9000');
  assert.equal(lab.dev(null, 'veth0').mtu, 1500);
  const ext = await lab.cap('ext', 'veth1', 'icmp');
  const r = await lab.sh('ip netns exec ns0 ping -c 1 -W 1 -s 2000 10.0.0.100');
  assert.equal(r.exit, 1);
  assert.match(r.output, /1 packets transmitted, 0 received/);
  const cap = await ext.stop();
  // One frame each way, whole: 2000 + 8 + 20 + 14 bytes, no fragments.
  assert.match(
    cap,
    /52:54:00:12:34:56 > 52:54:00:ab:cd:ef, ethertype IPv4 \(0x0800\), length 2042: 10\.0\.0\.1 > 10\.0\.0\.100: ICMP echo request, id \d+, seq 1, length 2008\n/,
  );
  assert.match(
    cap,
    /52:54:00:ab:cd:ef > 52:54:00:12:34:56, ethertype IPv4 \(0x0800\), length 2042: 10\.0\.0\.100 > 10\.0\.0\.1: ICMP echo reply, id \d+, seq 1, length 2008\n/,
  );
  assert.match(cap, /^2 packets captured$/m);
  assert.doesNotMatch(cap, /frag/);
  // Sent by the slave: its ARP request, the echo request, and its answer to the peer's
  // unicast ARP probe 5 s later.
  assert.equal(lab.stats('ns0', 'ipvl0').txPackets, 3);
  assert.equal(lab.stats('ns0', 'ipvl0').txBytes, 42 + 2042 + 42);
  // The reply exceeds veth0's 1500 + 14 + 4: dev_forward_skb refuses it (MTU-4's rule,
  // applied by the veth), rx_dropped on veth0 and tx_dropped on veth1.
  assert.equal(lab.stats(null, 'veth0').rxDropped, 1);
  assert.equal(lab.stats('ext', 'veth1').txDropped, 1);
  assert.equal(lab.drops('ext', 'PKT_TOO_BIG'), 1);
  // Only the two ARP frames reached the slave, never the echo reply.
  assert.equal(lab.stats('ns0', 'ipvl0').rxPackets, 2);
  assert.equal(lab.stats('ns0', 'ipvl0').rxBytes, 84);
});
