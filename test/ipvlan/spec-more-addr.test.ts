// ADDR-2 on the emulated machine: the key ipvlan registers for `ip addr add L peer P` is
// the peer P (the interface address's IFA_ADDRESS), not the local L. Replayed from the
// f16 section of the real-kernel recording f-config.out, then checked on the data path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, SHARED_MAC, replaySection } from './helpers.ts';

test('ADDR-2 ADDR-1: f16 — the peer of a point-to-point address is the registered key, the local is free', async () => {
  // 10.0.0.1 peer 10.0.0.2 on ipvl0: 10.0.0.2 on ipvl1 is EADDRINUSE, 10.0.0.1 is not;
  // `ip -4 -o addr show` prints `inet 10.0.0.1 peer 10.0.0.2/32`.
  const n = await replaySection('f-config', 'f16 ', {
    setup: ['ip link add eth0 type dummy', 'ip link set eth0 address 52:54:00:12:34:56'],
  });
  assert.equal(n, 13);
});

test('ADDR-2 RX-L3-1: l3 frames for the peer are diverted to the slave holding it, frames for its local address are not', async () => {
  const lab = await Lab.create();
  await lab.master();
  await lab.ok(
    'ip netns add ns0',
    'ip -n ns0 link set lo up',
    'ip link add link veth0 ipvl0 type ipvlan mode l3',
    'ip link set ipvl0 netns ns0',
    'ip -n ns0 addr add 10.0.0.1 peer 10.0.0.50 dev ipvl0',
    'ip -n ns0 link set ipvl0 up',
  );
  // fib_add_ifaddr: a /32 route to the peer with the local as source.
  const routes = await lab.sh('ip -n ns0 route show');
  assert.equal(routes.output, '10.0.0.50 dev ipvl0 proto kernel scope link src 10.0.0.1 \n');
  // The slave's address is registered as 10.0.0.50: another slave cannot take it.
  await lab.ok('ip link add link veth0 ipvl1 type ipvlan mode l3');
  const dup = await lab.sh('ip addr add 10.0.0.50/32 dev ipvl1');
  assert.equal(dup.output, 'Error: Address already assigned to an ipvlan device.\n');
  assert.equal(dup.exit, 2);
  await lab.ok(
    `ip -n ext neigh replace 10.0.0.50 lladdr ${SHARED_MAC} dev veth1`,
    `ip -n ext neigh replace 10.0.0.1 lladdr ${SHARED_MAC} dev veth1`,
  );
  // To the peer key: diverted to ipvl0, whose namespace does not own 10.0.0.50 (it is
  // the far end) and does not forward, so no reply.
  const toPeer = await lab.sh('ip netns exec ext ping -c 2 -i 0.3 -W 1 10.0.0.50');
  assert.equal(toPeer.exit, 1);
  assert.equal(lab.stats('ns0', 'ipvl0').rxPackets, 2);
  assert.equal(lab.stats('ns0', 'ipvl0').rxBytes, 2 * 98);
  // To the local address: no slave key matches, so the master's stack gets it and the
  // slave never sees it (it would have answered).
  const toLocal = await lab.sh('ip netns exec ext ping -c 2 -i 0.3 -W 1 10.0.0.1');
  assert.equal(toLocal.exit, 1);
  assert.match(toLocal.output, /2 packets transmitted, 0 received/);
  assert.equal(lab.stats('ns0', 'ipvl0').rxPackets, 2);
  assert.equal(lab.stats('ns0', 'ipvl0').txPackets, 0);
});
