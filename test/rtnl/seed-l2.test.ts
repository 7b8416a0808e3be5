// Replays ../fixtures/oracle/a-seed-l2.out (Linux 6.1, iproute2 6.1) through the real
// `ip` front end and rtnl over an emulated kernel: every link and netns command must
// print byte for byte what Linux printed. Commands that need the IP layer (addresses,
// routes, neighbours, ping) or traffic counters are skipped until that layer lands.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { oracleRecords } from '../fixtures/oracle/index.ts';
import { MacAddr } from '../../src/wire/address.ts';
import { sh, standardKernel } from './harness.ts';

/** Commands that need what rtnl does not model yet (the IP layer, traffic). */
function needsIpLayer(command: string): boolean {
  return /\b(addr|route|neigh|ping|ethtool|cat|sleep)\b|^LL1=| -s | -6 | -4 /.test(command);
}

test('a-seed-l2: link and netns commands print exactly what Linux printed', async () => {
  const { rtnl } = standardKernel();
  const records = oracleRecords('a-seed-l2');
  let compared = 0;
  for (const rec of records) {
    if (!rec.command.startsWith('ip ') || needsIpLayer(rec.command)) continue;
    const run = await sh(rtnl, rec.command);
    assert.equal(run.output, rec.output, `line ${rec.line}: ${rec.command}`);
    assert.equal(run.exit, rec.exit, `line ${rec.line}: ${rec.command} (exit)`);
    compared++;
  }
  // The recording has 30 such commands; a filter that dropped them all would pass vacuously.
  assert.equal(compared, 30);
});

test('a-seed-l2: the slave dump carries link-netnsid 0 and ipvlan mode l2 bridge', async () => {
  const { rtnl } = standardKernel();
  for (const line of [
    'ip link add eth0 type dummy',
    'ip link set eth0 address 52:54:00:12:34:56',
    'ip link set eth0 up',
    'ip netns add ns0',
    'ip link add link eth0 ipvl0 type ipvlan mode l2',
    'ip link set dev ipvl0 netns ns0',
  ]) {
    assert.deepEqual(await sh(rtnl, line), { output: '', exit: 0 }, line);
  }
  const msg = await rtnl.getLink({ netns: 'ns0' }, { ifname: 'ipvl0' });
  assert.equal(msg.ifindex, 3);
  assert.equal(msg.link, 2);
  assert.equal(msg.linkNetnsid, 0);
  assert.equal(msg.flags, 0x1002);
  assert.equal(msg.qdisc, 'noop');
  assert.equal(msg.operstate, 2);
  assert.ok(msg.address?.equals(MacAddr.parse('52:54:00:12:34:56') ?? MacAddr.ZERO));
  assert.deepEqual(msg.linkinfo, { kind: 'ipvlan', data: { mode: 0, flags: 0 } });
  // ipvlan_init sets the master's MAC as a permanent address: sent, equal, so not printed.
  assert.ok(msg.permAddress?.equals(msg.address ?? MacAddr.ZERO));
  // The nsid was allocated by the dump (peernet2id_alloc) and `ip netns list` shows it.
  assert.deepEqual(await rtnl.netnsList({ netns: 'ns0' }), [{ name: 'ns0' }]);
  const eth0 = await rtnl.getLink({}, { ifname: 'eth0' });
  assert.equal(eth0.link, undefined);
  assert.equal(eth0.linkNetnsid, undefined);
  assert.equal(eth0.permAddress, undefined);
});
