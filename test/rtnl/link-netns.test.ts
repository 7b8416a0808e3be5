// A device whose lower lives in another namespace: IFLA_LINK is sent even when the lower's
// index equals the device's own (nla_put_iflink with a link-netnsid; checked on Linux with
// a macvlan created straight into a namespace), and moving a device allocates the target
// an nsid in the source namespace (dev_change_net_namespace → peernet2id_alloc), but only
// once the move is accepted.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sh, standardKernel } from './harness.ts';

test('a slave created in another namespace with the same ifindex as its master shows @ifN', async () => {
  const { rtnl } = standardKernel({ inet: true });
  for (const line of [
    'ip netns add ns2',
    'ip link add eth0 address 52:54:00:12:34:56 type dummy',
    'ip link add link eth0 name ipvl1 netns ns2 type ipvlan mode l2',
  ])
    assert.deepEqual(await sh(rtnl, line), { output: '', exit: 0 }, line);
  const link = await rtnl.getLink({ netns: 'ns2' }, { ifname: 'ipvl1' });
  assert.equal(link.ifindex, 2);
  assert.equal(link.link, 2);
  assert.equal(link.linkNetnsid, 0);
  assert.deepEqual(await sh(rtnl, 'ip -n ns2 -br link show ipvl1'), {
    output: 'ipvl1@if2        DOWN           52:54:00:12:34:56 <BROADCAST,MULTICAST> \n',
    exit: 0,
  });
  // Created, not moved: the initial namespace has no id for ns2.
  assert.deepEqual(await sh(rtnl, 'ip netns list'), { output: 'ns2\n', exit: 0 });
});

test('moving a device gives the target an nsid in the source; a refused move does not', async () => {
  const { rtnl } = standardKernel({ inet: true });
  for (const line of ['ip netns add ns1', 'ip netns add ns2', 'ip link add d0 type dummy'])
    assert.deepEqual(await sh(rtnl, line), { output: '', exit: 0 }, line);
  assert.equal((await sh(rtnl, 'ip link set lo netns ns1')).exit, 2);
  assert.deepEqual(await sh(rtnl, 'ip netns list'), { output: 'ns2\nns1\n', exit: 0 });
  assert.deepEqual(await sh(rtnl, 'ip link set d0 netns ns2'), { output: '', exit: 0 });
  assert.deepEqual(await sh(rtnl, 'ip netns list'), { output: 'ns2 (id: 0)\nns1\n', exit: 0 });
});

test('ip netns list-id: every id of the namespace, named ones with their name; pids is empty', async () => {
  const { rtnl } = standardKernel({ inet: true });
  for (const line of [
    'ip netns add ns1',
    'ip netns add ns2',
    'ip link add d0 type dummy',
    'ip link set d0 netns ns2',
  ])
    assert.deepEqual(await sh(rtnl, line), { output: '', exit: 0 }, line);
  assert.deepEqual(await sh(rtnl, 'ip netns list-id'), {
    output: 'nsid 0 (iproute2 netns name: ns2)\n',
    exit: 0,
  });
  assert.deepEqual(await sh(rtnl, 'ip -n ns1 netns list-id'), { output: '', exit: 0 });
  assert.deepEqual(await sh(rtnl, 'ip netns set ns1 auto'), { output: '', exit: 0 });
  assert.deepEqual(await sh(rtnl, 'ip -j netns list-id'), {
    output: '[{"nsid":0,"name":"ns2"},{"nsid":1,"name":"ns1"}]\n',
    exit: 0,
  });
  // Ids are per namespace: ns2 numbers ns1 from 0 on its own.
  assert.deepEqual(await sh(rtnl, 'ip -n ns2 netns set ns1 auto'), { output: '', exit: 0 });
  assert.deepEqual(await sh(rtnl, 'ip -n ns2 netns list-id'), {
    output: 'nsid 0 (iproute2 netns name: ns1)\n',
    exit: 0,
  });
  assert.deepEqual(await sh(rtnl, 'ip netns pids ns1'), { output: '', exit: 0 });
  // Exit statuses as iproute2 6.1 gave them on Linux.
  assert.deepEqual(await sh(rtnl, 'ip netns pids'), {
    output: 'No netns name specified\n',
    exit: 1,
  });
  assert.deepEqual(await sh(rtnl, 'ip netns pids nsX'), {
    output: 'Cannot open network namespace: No such file or directory\n',
    exit: 1,
  });
});
