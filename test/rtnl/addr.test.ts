// Addresses through rtnl and the real `ip` front end, against ../fixtures/oracle/c-errors.out
// (Linux 6.1): IPv4 on a dummy master, the automatic IPv6 link-local, EEXIST, delete.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findRecord, oracleRecords } from '../fixtures/oracle/index.ts';
import { NS_PER_SEC } from '../../src/stack/scheduler.ts';
import { AF_INET, AF_INET6, AF_UNSPEC } from '../../src/uapi/rtnetlink.ts';
import { sh, standardKernel } from './harness.ts';
import { BASE } from './replay.ts';

const records = oracleRecords('c-errors');

test('c1b: ip addr add/show/del on the master prints what Linux printed', async () => {
  const { kernel, rtnl } = standardKernel({ inet: true });
  for (const line of BASE) assert.deepEqual(await sh(rtnl, line), { output: '', exit: 0 });
  // DAD of the link-local address finishes in virtual time (RFC 4862 section 5.4).
  kernel.scheduler.runFor(5 * NS_PER_SEC);
  for (const cmd of [
    'ip addr add 192.168.50.10/24 dev eth0',
    'ip addr show dev eth0',
    'ip addr del 192.168.50.10/24 dev eth0',
  ]) {
    const rec = findRecord(records, cmd, {
      section: 'c1b: same address twice on the SAME slave, and on the master',
    });
    const run = await sh(rtnl, cmd);
    assert.equal(run.output.replace(/^\d+: /gm, 'N: '), rec.output.replace(/^\d+: /gm, 'N: '), cmd);
    assert.equal(run.exit, rec.exit, cmd);
  }
  // A second add of the same address and prefix is EEXIST, as on the slave in c1b.
  await sh(rtnl, 'ip addr add 192.168.50.10/24 dev eth0');
  const again = await sh(rtnl, 'ip addr add 192.168.50.10/24 dev eth0');
  assert.deepEqual(again, { output: 'RTNETLINK answers: File exists\n', exit: 2 });
});

test('dumpAddrs: IPv4 of every device before IPv6, devices in ifindex order', async () => {
  const { kernel, rtnl } = standardKernel({ inet: true });
  for (const line of [
    ...BASE,
    'ip addr add 10.0.0.1/8 dev eth0',
    'ip addr add 2001:db8::1/64 dev eth0 nodad',
  ])
    assert.deepEqual(await sh(rtnl, line), { output: '', exit: 0 }, line);
  kernel.scheduler.runFor(5 * NS_PER_SEC);
  const all = await rtnl.dumpAddrs({}, { family: AF_UNSPEC });
  const order = all.map((a) => `${a.family}/${a.ifindex}/${String(a.local ?? a.address)}`);
  const firstV6 = all.findIndex((a) => a.family === AF_INET6);
  assert.ok(firstV6 > 0);
  assert.ok(
    all.slice(0, firstV6).every((a) => a.family === AF_INET),
    order.join(' '),
  );
  assert.ok(
    all.slice(firstV6).every((a) => a.family === AF_INET6),
    order.join(' '),
  );
  const v4 = await rtnl.dumpAddrs({}, { family: AF_INET, ifindex: 2 });
  assert.equal(v4.length, 1);
  assert.equal(v4[0]?.prefixlen, 8);
  assert.equal(v4[0]?.label, 'eth0');
  assert.deepEqual(v4[0]?.cacheinfo?.valid, 0xffffffff);
  await assert.rejects(rtnl.delAddr({}, { family: AF_INET, prefixlen: 8, ifindex: 99 }), {
    code: 'ENODEV',
  });
});

test('c1 ADDR-1 ADDR-8: a duplicate address on another slave of the port is EADDRINUSE with the ipvlan extack', async () => {
  const { rtnl } = standardKernel({ inet: true });
  for (const line of [...BASE, 'ip netns add ns0', 'ip netns add ns1']) await sh(rtnl, line);
  for (const cmd of [
    'ip link add link eth0 ipvl0 type ipvlan mode l2',
    'ip link add link eth0 ipvl1 type ipvlan mode l2',
    'ip link set dev ipvl0 netns ns0',
    'ip link set dev ipvl1 netns ns1',
    'ip -n ns0 addr add 192.168.50.10/24 dev ipvl0',
    'ip -n ns1 addr add 192.168.50.10/24 dev ipvl1',
    'ip -n ns1 addr add 192.168.50.10/32 dev ipvl1',
    'ip -n ns0 addr add 192.168.50.10/16 dev ipvl0',
  ]) {
    const rec = findRecord(records, cmd);
    assert.deepEqual(await sh(rtnl, cmd), { output: rec.output, exit: rec.exit }, cmd);
  }
});
