// `ip addr` display paths of ipaddress.c beyond the recordings: label globs (fnmatch) and
// the link header they suppress, the AF_INET6 link dump behind `ip -6 addr` (no qdisc,
// group, master or broadcast), `-o` address lines, and `-s` counters after the addresses.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sh, standardKernel } from './harness.ts';

async function lab() {
  const { kernel, rtnl } = standardKernel({ inet: true });
  for (const line of [
    'ip link add dum0 address 02:00:00:00:00:01 type dummy',
    'ip link set dum0 up',
    'ip addr add 10.0.0.1/24 dev dum0',
    'ip addr add 10.0.1.1/24 dev dum0 label dum0:1',
    'ip addr add 10.0.2.1/24 dev dum0 label dum0:2',
    'ip addr add 2001:db8::1/64 dev dum0 nodad',
    'ip link add dum9 type dummy',
  ])
    assert.deepEqual(await sh(rtnl, line), { output: '', exit: 0 }, line);
  kernel.scheduler.runFor(1_000_000_000);
  return rtnl;
}

test('label: a glob over address labels, and never a link line (as iproute2 6.1 on Linux)', async () => {
  const rtnl = await lab();
  assert.deepEqual(await sh(rtnl, 'ip -4 addr show label dum0:*'), {
    output:
      '    inet 10.0.1.1/24 scope global dum0:1\n' +
      '       valid_lft forever preferred_lft forever\n' +
      '    inet 10.0.2.1/24 scope global dum0:2\n' +
      '       valid_lft forever preferred_lft forever\n',
    exit: 0,
  });
  assert.deepEqual(await sh(rtnl, 'ip addr show label dum0:[2-9]'), {
    output:
      '    inet 10.0.2.1/24 scope global dum0:2\n' +
      '       valid_lft forever preferred_lft forever\n',
    exit: 0,
  });
  // An address without a label matches by its device name; dum9 (no address at all) is
  // kept by ipaddr_filter but prints nothing, and -br prints an empty line for it.
  assert.deepEqual(await sh(rtnl, 'ip -4 addr show label dum?'), {
    output:
      '    inet 10.0.0.1/24 scope global dum0\n' +
      '       valid_lft forever preferred_lft forever\n',
    exit: 0,
  });
  assert.deepEqual(await sh(rtnl, 'ip -br addr show label dum0:1'), {
    output: '10.0.1.1/24 \n\n',
    exit: 0,
  });
});

test('-6 -d: the AF_INET6 link message has the address but no broadcast, qdisc or group', async () => {
  const rtnl = await lab();
  const out = (await sh(rtnl, 'ip -6 -d addr')).output;
  assert.match(
    out,
    /^2: dum0: <BROADCAST,NOARP,UP,LOWER_UP> mtu 1500 state UNKNOWN qlen 1000\n {4}link\/ether 02:00:00:00:00:01\n {4}inet6 2001:db8::1\/64 scope global nodad \n/m,
  );
});

test('-o prints `N: NAME` before each address and no link line; -s adds the counters after the addresses', async () => {
  const rtnl = await lab();
  assert.deepEqual(await sh(rtnl, 'ip -o -4 addr show dev dum0'), {
    output:
      '2: dum0    inet 10.0.0.1/24 scope global dum0\\       valid_lft forever preferred_lft forever\n' +
      '2: dum0    inet 10.0.1.1/24 scope global dum0:1\\       valid_lft forever preferred_lft forever\n' +
      '2: dum0    inet 10.0.2.1/24 scope global dum0:2\\       valid_lft forever preferred_lft forever\n',
    exit: 0,
  });
  const s = (await sh(rtnl, 'ip -s -4 addr show dev dum0')).output;
  assert.match(
    s,
    /dum0:2\n {7}valid_lft forever preferred_lft forever\n {4}RX: {2}bytes packets errors dropped {2}missed {3}mcast {11}\n/,
  );
  assert.match(
    s,
    /\n {4}TX: {2}bytes packets errors dropped carrier collsns {11}\n *\d+ +\d+ +0 +0 +0 +0 \n$/,
  );
  // -6 reads links from the AF_INET6 dump, which has no statistics.
  assert.doesNotMatch((await sh(rtnl, 'ip -s -6 addr')).output, /RX:/);
});
