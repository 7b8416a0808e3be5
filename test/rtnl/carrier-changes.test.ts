// IFLA_CARRIER_CHANGES (carrier_up_count + carrier_down_count, net/core/rtnetlink.c): only
// transitions after registration count, so a dummy stays at 0, a vlan counts the carrier
// it takes from its lower at registration, and a veth end counts veth_newlink's
// netif_carrier_off plus every carrier change after it. `ip -s -s` prints it as `transns`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sh, standardKernel } from './harness.ts';

async function changes(rtnl: Parameters<typeof sh>[0], name: string): Promise<number | undefined> {
  return (await rtnl.getLink({}, { ifname: name })).carrierChanges;
}

test('carrier changes: dummy 0, vlan 1, veth ends 1 then 2 when both are up, 3 after a peer goes down', async () => {
  const { rtnl } = standardKernel({ inet: true });
  for (const line of [
    'ip link add dum0 type dummy',
    'ip link add link dum0 name dum0.10 type vlan id 10',
    'ip link add veth0 type veth peer name veth1',
  ])
    assert.deepEqual(await sh(rtnl, line), { output: '', exit: 0 }, line);
  assert.equal(await changes(rtnl, 'lo'), 0);
  assert.equal(await changes(rtnl, 'dum0'), 0);
  assert.equal(await changes(rtnl, 'dum0.10'), 1);
  assert.equal(await changes(rtnl, 'veth0'), 1);
  await sh(rtnl, 'ip link set veth0 up');
  assert.equal(await changes(rtnl, 'veth0'), 1);
  await sh(rtnl, 'ip link set veth1 up');
  assert.equal(await changes(rtnl, 'veth0'), 2);
  assert.equal(await changes(rtnl, 'veth1'), 2);
  await sh(rtnl, 'ip link set veth1 down');
  assert.equal(await changes(rtnl, 'veth0'), 3);
  const out = await sh(rtnl, 'ip -s -s link show veth0');
  assert.match(
    out.output,
    /\n {4}TX errors: aborted {3}fifo {2}window heartbt transns\n {21}0 {6}0 {7}0 {7}0 {7}3 \n$/,
  );
});
