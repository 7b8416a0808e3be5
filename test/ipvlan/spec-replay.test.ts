// Spec statements of sections 2-7 checked by replaying real-kernel recordings on the
// emulated machine (`Lab`): every recorded command of the named sections is run through
// the shell and its output and status compared with what Linux printed (times, ICMP ids
// and ifindexes masked). Lines whose values hang on IPv6 background traffic timed by the
// guest's wall clock (per-device counters with IPv6 on) are skipped and said so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, expectRecorded, recCapture, replayRecord, replaySection } from './helpers.ts';
import { maskVariable, oracleRecords } from '../fixtures/oracle/index.ts';

const B = 'b-modes';

/** Replays the records of the section titled exactly `title` on `lab`; returns how many. */
async function replayExact(
  lab: Lab,
  scenario: string,
  title: string,
  skip: RegExp | null,
  before: ReadonlyMap<string, readonly string[]> = new Map(),
): Promise<number> {
  let n = 0;
  for (const r of oracleRecords(scenario)) {
    const t = r.section?.trim() ?? '';
    if (t !== title.trim() && !t.startsWith(`${title} (`)) continue;
    for (const l of before.get(r.command) ?? []) await lab.ok(l);
    if (skip?.test(r.command) === true) continue;
    await replayRecord(lab, r, scenario);
    n++;
  }
  return n;
}

const COMBOS = [
  '',
  'mode l2',
  'mode l2 bridge',
  'mode l2 private',
  'mode l2 vepa',
  'mode l3',
  'mode l3 private',
  'mode l3 vepa',
  'mode l3s',
  'mode l3s private',
  'mode l3s vepa',
  'private',
  'vepa',
] as const;

for (const combo of COMBOS) {
  test(`MODE-5 TX-C-2 TX-L3-8 L3S-7 OUT-4 NL-2: b-modes "type ipvlan ${combo}": creation, -d and JSON dumps, ping both ways, neighbours`, async () => {
    const lab = await Lab.create();
    await lab.ok(
      'ip link add eth0 type dummy',
      'ip link set eth0 address 52:54:00:12:34:56',
      'ip link set eth0 up',
      'ip netns add ns0',
      'ip netns add ns1',
    );
    const setup = [0, 1].flatMap((n) => [
      `ip link set dev ipvl${n} netns ns${n}`,
      `ip -n ns${n} link set lo up`,
      `ip -n ns${n} addr add 192.168.50.1${n}/24 dev ipvl${n}`,
      `ip -n ns${n} link set ipvl${n} up`,
    ]);
    // Counters (`-s link`) include the guest's IPv6 DAD/MLD/RS traffic, timed by its
    // wall clock: not replayed; the IPv4 drops are checked below instead.
    const n = await replayExact(
      lab,
      B,
      `type ipvlan ${combo}`,
      / -s link show /,
      new Map([['ip -n ns0 -d link show ipvl0', setup]]),
    );
    assert.equal(n, 8);
    // The drops behind the recorded ping failures: private refuses slave->slave in every
    // mode; ping retries each ENOBUFS (-i 0.2 -W 1: 10 attempts, then 1) per direction.
    const privateDrops = lab.drops('ns0', 'IPVLAN_PRIVATE') + lab.drops('ns1', 'IPVLAN_PRIVATE');
    const l2 = combo === '' ? false : !combo.includes('l3') && combo.includes('l2');
    if (combo.includes('private')) {
      // L2: ns1's replies to ns0's three ARP probes are refused (TX-F-1), so ns0 never
      // resolves ns1 (no send, no ENOBUFS); ns1 learnt ns0 from the requests and its 11
      // attempts are refused. L3: 11 attempts in each direction.
      assert.equal(privateDrops, l2 ? 3 + 11 : 22);
    } else {
      assert.equal(privateDrops, 0);
    }
  });
}

test('TX-L2-6: an l2 vepa slave reaches the master IP only through the wire, even with a static neighbour (i5)', async () => {
  const lab = await Lab.create();
  await lab.master();
  await lab.slave(0, '10.0.0.1/24', 'mode l2 vepa');
  const S = 'i5 ';
  await expectRecorded(
    lab,
    'i-followup',
    S,
    'ip -n ns0 neigh replace 10.0.0.254 lladdr 52:54:00:12:34:56 dev ipvl0',
  );
  const ext = await lab.cap('ext', 'veth1', 'icmp');
  await lab.ok('sleep 2');
  await expectRecorded(lab, 'i-followup', S, 'ip netns exec ns0 ping -c 1 -W 1 10.0.0.254');
  assert.equal(
    maskVariable(await ext.stop()).replace(/packets? /g, 'packet(s) '),
    maskVariable(recCapture('i-followup', S, 'i5.ext')).replace(/packets? /g, 'packet(s) '),
  );
});

test('TX-L3-5 ST-6 ST-7: master admin-down: l3 sends fail with ENOBUFS, only the slave tx_dropped moves (h8)', async () => {
  const lab = await Lab.create();
  await lab.master();
  await lab.slave(0, '10.0.0.1/24', 'mode l3');
  await lab.ok('ip -n ns0 route add default dev ipvl0');
  // veth0 and ipvl0 counters before, the down, ipvl0 still UP/LOWER_UP (LINK-4), the
  // ENOBUFS ping (2 requests: 7 + 1 attempts), then tx errors 0 on the veth master and
  // the slave (ST-6), every other counter 0 (ST-7) and tx_dropped 8 on the slave.
  assert.equal(await replayExact(lab, 'h-l3-traffic', 'h8', null), 7);
  assert.equal(lab.stats(null, 'veth0').txErrors, 0);
  assert.equal(lab.drops(null, 'IPVLAN_NO_ROUTE'), 8);
});

test('LINK-5: slave-to-slave delivery does not need the master up; traffic for the wire dies at the down master', async () => {
  const lab = await Lab.create();
  await lab.topo(2, 'mode l2');
  await lab.ok('ip link set veth0 down');
  const r = await lab.sh('ip netns exec ns0 ping -c 2 -i 0.3 -W 1 10.0.0.2');
  assert.equal(r.exit, 0, r.output);
  assert.match(r.output, /2 packets transmitted, 2 received/);
  // L2 unicast to the wire goes to the down master, which drops it (DEV_READY).
  const before = lab.stats(null, 'veth0').txDropped;
  await lab.ok('ip -n ns0 neigh replace 10.0.0.100 lladdr 52:54:00:ab:cd:ef dev ipvl0');
  const w = await lab.sh('ip netns exec ns0 ping -c 1 -W 1 10.0.0.100');
  assert.equal(w.exit, 1);
  assert.ok(lab.stats(null, 'veth0').txDropped > before);
});

test('LC-1 LC-2 CLI-9: create without a link, or on a missing device (c2b)', async () => {
  const n = await replaySection('c-errors', 'c2b:');
  assert.equal(n, 2);
});

test('CLI-5 CLI-6 CLI-7 CLI-8: bad mode words, missing value, unknown options and help (c4)', async () => {
  const n = await replaySection('c-errors', 'c4:', {
    setup: ['ip link add eth0 type dummy', 'ip link set eth0 address 52:54:00:12:34:56'],
    // `ip link show` lists the guest's other devices (lo, eth0 of its own, tunl0...).
    skip: /^ip link show$/,
  });
  assert.equal(n, 6);
});
