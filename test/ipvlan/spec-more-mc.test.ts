// MC-5 (who gets a group frame) on the emulated machine: one IPv4 broadcast from each
// origin — a slave, the LAN, the master itself — in every mode, counted at every place
// the table names: the master namespace's PREROUTING, each slave's multicast receive
// counter, and the wire (the LAN peer's PREROUTING).
// The reflected-copy row (a hairpin switch) is checked with RX-L2-4 in sc-l2.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab } from './helpers.ts';
import { ipvlanOf } from '../../src/ipvlan/main.ts';

const BCAST = '10.0.0.255';

interface Seen {
  readonly master: number;
  readonly ipvl0: number;
  readonly ipvl1: number;
  readonly wire: number;
}

for (const mode of ['l2', 'l3', 'l3s'] as const) {
  test(`MC-5 RX-L2-1 RX-L3-3 TX-L3-3: who gets a broadcast in ${mode}, by origin`, async () => {
    const lab = await Lab.create();
    await lab.topo(2, `mode ${mode}`);
    lab.nftc(null, BCAST);
    lab.nftc('ext', BCAST);
    const snap = (): Seen => ({
      master: lab.nftCounts(null)['pre']?.[1] ?? 0,
      ipvl0: lab.stats('ns0', 'ipvl0').multicast,
      ipvl1: lab.stats('ns1', 'ipvl1').multicast,
      wire: lab.nftCounts('ext')['pre']?.[1] ?? 0,
    });
    const send = async (ns: string | null): Promise<Seen> => {
      const before = snap();
      const pre = ns === null ? '' : `ip netns exec ${ns} `;
      await lab.sh(`${pre}ping -b -c 1 -W 1 ${BCAST}`);
      lab.settle(); // the deferred copies (MC-1)
      const after = snap();
      return {
        master: after.master - before.master,
        ipvl0: after.ipvl0 - before.ipvl0,
        ipvl1: after.ipvl1 - before.ipvl1,
        wire: after.wire - before.wire,
      };
    };
    const l2 = mode === 'l2';
    // Slave A: in l2 the other slave (deferred) and the wire, never A itself nor the
    // master's stack; in l3/l3s dropped at A. (A NOARP slave resolves the subnet
    // broadcast to its own MAC, so the frame is not caught as group traffic but by the
    // master's route lookup, which finds a broadcast route: TX-L3-4.)
    assert.deepEqual(
      await send('ns0'),
      l2 ? { master: 0, ipvl0: 0, ipvl1: 1, wire: 1 } : { master: 0, ipvl0: 0, ipvl1: 0, wire: 0 },
      'from slave ipvl0',
    );
    const a = lab.stats('ns0', 'ipvl0');
    if (l2) assert.equal(a.txPackets, 1);
    else {
      assert.equal(a.txPackets, 0);
      assert.ok(a.txDropped > 0);
      assert.equal(lab.drops(null, 'IPVLAN_NO_ROUTE'), a.txDropped);
    }
    // External: the master's stack at once, in l2 also every slave; in l3/l3s no slave.
    // (`wire` here is the sender's own looped-back copy.)
    assert.deepEqual(
      await send('ext'),
      { master: 1, ipvl0: l2 ? 1 : 0, ipvl1: l2 ? 1 : 0, wire: 1 },
      'from the LAN',
    );
    // The master itself: the wire and its own stack (its loopback copy), no slave
    // (RX-L2-1: its looped-back frames are not distributed).
    assert.deepEqual(
      await send(null),
      { master: 1, ipvl0: 0, ipvl1: 0, wire: 1 },
      'from the master',
    );
  });
}

test('MAC-5: a counted ALLMULTI or promiscuity on a slave (dev->flags, not the user flag) opens its filter; ALLMULTI also counts on the master', async () => {
  const lab = await Lab.create();
  await lab.topo(2, 'mode l2');
  const k = lab.kernel;
  const slave = lab.dev('ns1', 'ipvl1');
  const master = lab.dev(null, 'veth0');
  const ipvlan = ipvlanOf(slave);
  assert.ok(ipvlan !== undefined);
  const masterAllmulti = master.allmulti;
  assert.ok(ipvlan.macFilter !== null, 'an exact filter to begin with');
  // dev_set_allmulti, as the daemon does for a slave whose TAP's own stack filters.
  k.devSetAllmulti(slave, 1);
  assert.equal(ipvlan.macFilter, null);
  assert.equal(master.allmulti, masterAllmulti + 1);
  // Not the user's flag: `ip link show` does not print ALLMULTI for it.
  assert.doesNotMatch((await lab.sh('ip -n ns1 link show ipvl1')).output, /ALLMULTI/);
  k.devSetAllmulti(slave, -1);
  assert.ok(ipvlan.macFilter !== null);
  assert.equal(master.allmulti, masterAllmulti);
  // A promiscuity count (a packet socket's PACKET_MR_PROMISC) opens the filter too, and
  // is not passed to the master.
  k.devSetPromiscuity(slave, 1);
  assert.equal(ipvlan.macFilter, null);
  assert.equal(master.allmulti, masterAllmulti);
  k.devSetPromiscuity(slave, -1);
  assert.ok(ipvlan.macFilter !== null);
});
