import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrnoError } from '../base/errno.ts';
import { formatIpv4, ipv4, parseIpv4, type Ipv4Addr } from '../wire/address.ts';
import {
  RTN_BROADCAST,
  RTN_LOCAL,
  RTN_UNICAST,
  RTPROT_KERNEL,
  RT_SCOPE_HOST,
  RT_SCOPE_LINK,
  RT_TABLE_LOCAL,
  RT_TABLE_MAIN,
} from '../uapi/rtnetlink.ts';
import { createDummy } from './dummy.ts';
import { addAddress, delAddress, IFA_F_SECONDARY, listAddresses } from './inet.ts';
import { Kernel, type AddrEvent } from './kernel.ts';
import { createLoopback } from './loopback.ts';
import { addRoute, delRoute, listRoutes, type Route } from './route.ts';
import { installInetStack } from './stack.ts';

function a4(t: string): Ipv4Addr {
  return parseIpv4(t) as Ipv4Addr;
}

function setup() {
  const k = new Kernel({ seed: 3 });
  k.setLoopbackFactory(createLoopback);
  installInetStack(k);
  const ns = k.addNetns('n');
  const dev = createDummy(k, ns, 'dummy0');
  return { k, ns, dev };
}

function show(routes: readonly Route[]): string[] {
  return routes.map((r) => {
    const type = r.type === RTN_LOCAL ? 'local ' : r.type === RTN_BROADCAST ? 'broadcast ' : '';
    const dst =
      r.dstLen === 0
        ? 'default'
        : r.dstLen === 32
          ? formatIpv4(r.dst as Ipv4Addr)
          : `${formatIpv4(r.dst as Ipv4Addr)}/${r.dstLen}`;
    const via = r.gateway !== null ? ` via ${formatIpv4(r.gateway as Ipv4Addr)}` : '';
    const proto = r.protocol === RTPROT_KERNEL ? ' proto kernel' : '';
    const scope =
      r.scope === RT_SCOPE_HOST ? ' scope host' : r.scope === RT_SCOPE_LINK ? ' scope link' : '';
    const src = r.prefsrc !== null ? ` src ${formatIpv4(r.prefsrc as Ipv4Addr)}` : '';
    const metric = r.priority !== 0 ? ` metric ${r.priority}` : '';
    return `${type}${dst}${via} dev ${r.dev?.name}${proto}${scope}${src}${metric}`;
  });
}

test('an address on an up device creates the routes Linux shows in local and main', () => {
  const { k, ns, dev } = setup();
  k.devOpen(dev);
  addAddress(dev, { local: a4('192.168.1.10'), prefixLen: 24 });
  assert.deepEqual(show(listRoutes(ns, 4, RT_TABLE_LOCAL)), [
    'local 192.168.1.10 dev dummy0 proto kernel scope host src 192.168.1.10',
    'broadcast 192.168.1.255 dev dummy0 proto kernel scope link src 192.168.1.10',
  ]);
  // The dump is in key order; 127.0.0.0/8 sorts before 192.168.1.10 once lo is up.
  assert.deepEqual(show(listRoutes(ns, 4, RT_TABLE_MAIN)), [
    '192.168.1.0/24 dev dummy0 proto kernel scope link src 192.168.1.10',
  ]);
  // Down: only the local route stays; up again brings the rest back.
  k.devClose(dev);
  assert.deepEqual(show(listRoutes(ns, 4)), [
    'local 192.168.1.10 dev dummy0 proto kernel scope host src 192.168.1.10',
  ]);
  k.devOpen(dev);
  assert.equal(listRoutes(ns, 4).length, 3);
  // lo up gets 127.0.0.1/8 and the local 127.0.0.0/8 route.
  k.devOpen(ns.requireByName('lo'));
  assert.ok(
    show(listRoutes(ns, 4, RT_TABLE_LOCAL)).includes(
      'local 127.0.0.0/8 dev lo proto kernel scope host src 127.0.0.1',
    ),
  );
});

test('duplicate address is EEXIST; deleting a missing one is EADDRNOTAVAIL', () => {
  const { dev } = setup();
  addAddress(dev, { local: a4('10.1.1.1'), prefixLen: 24 });
  assert.throws(
    () => addAddress(dev, { local: a4('10.1.1.1'), prefixLen: 24 }),
    (e: unknown) => e instanceof ErrnoError && e.code === 'EEXIST',
  );
  assert.throws(
    () => delAddress(dev, { local: a4('10.1.1.2') }),
    (e: unknown) => e instanceof ErrnoError && e.code === 'EADDRNOTAVAIL',
  );
  assert.throws(() => addAddress(dev, { local: a4('10.1.1.9'), prefixLen: 33 }), {
    code: 'EINVAL',
  });
});

test('secondaries: same subnet is secondary, listed after primaries, and goes with its primary', () => {
  const { k, dev } = setup();
  k.devOpen(dev);
  const events: string[] = [];
  k.inetaddrChain.push((e: AddrEvent) =>
    events.push(`${e.type} ${formatIpv4(e.addr as Ipv4Addr)}/${e.prefixLen}`),
  );
  addAddress(dev, { local: a4('10.0.0.1'), prefixLen: 24 });
  addAddress(dev, { local: a4('10.0.0.2'), prefixLen: 24 });
  addAddress(dev, { local: a4('172.16.0.1'), prefixLen: 16 });
  addAddress(dev, { local: a4('10.0.0.3'), prefixLen: 24 });
  const list = listAddresses(dev).map(
    (a) => `${formatIpv4(a.local)}${a.flags & IFA_F_SECONDARY ? ' secondary' : ''}`,
  );
  assert.deepEqual(list, ['10.0.0.1', '172.16.0.1', '10.0.0.2 secondary', '10.0.0.3 secondary']);
  delAddress(dev, { local: a4('10.0.0.1') });
  assert.deepEqual(
    listAddresses(dev).map((a) => formatIpv4(a.local)),
    ['172.16.0.1'],
  );
  assert.deepEqual(events.slice(4), [
    'NETDEV_DOWN 10.0.0.2/24',
    'NETDEV_DOWN 10.0.0.3/24',
    'NETDEV_DOWN 10.0.0.1/24',
  ]);
});

test('a validator veto leaves no address, no route and no event behind', () => {
  const { k, ns, dev } = setup();
  k.devOpen(dev);
  const events: AddrEvent[] = [];
  k.inetaddrChain.push((e) => events.push(e));
  k.inetaddrValidatorChain.push((e) => {
    if (e.addr === a4('10.9.9.9'))
      throw new ErrnoError('EADDRINUSE', 'Address already assigned to an ipvlan device');
  });
  assert.throws(
    () => addAddress(dev, { local: a4('10.9.9.9'), prefixLen: 24 }),
    (e: unknown) =>
      e instanceof ErrnoError &&
      e.code === 'EADDRINUSE' &&
      e.extack === 'Address already assigned to an ipvlan device',
  );
  assert.equal(listAddresses(dev).length, 0);
  assert.equal(listRoutes(ns, 4).length, 0);
  assert.equal(events.length, 0);
  addAddress(dev, { local: a4('10.9.9.8'), prefixLen: 24 });
  assert.equal(events.length, 1);
});

test('unregister and netns move flush the addresses with NETDEV_DOWN events', () => {
  const { k, ns, dev } = setup();
  const other = k.addNetns('m');
  const events: string[] = [];
  k.inetaddrChain.push((e) => events.push(`${e.type} ${e.dev.name}`));
  addAddress(dev, { local: a4('10.0.0.1'), prefixLen: 24 });
  k.changeNetns(dev, other);
  assert.deepEqual(events, ['NETDEV_UP dummy0', 'NETDEV_DOWN dummy0']);
  assert.equal(listAddresses(dev).length, 0);
  assert.equal(listRoutes(ns, 4).length, 0);
  addAddress(dev, { local: a4('10.0.0.1'), prefixLen: 24 });
  k.unregisterNetdevice(dev);
  assert.equal(events.at(-1), 'NETDEV_DOWN dummy0');
  assert.equal(listRoutes(other, 4).length, 0);
});

test('routes: gateway must be reachable, EEXIST for the same key, metrics order, ESRCH on delete', () => {
  const { k, ns, dev } = setup();
  k.devOpen(dev);
  addAddress(dev, { local: a4('10.0.0.1'), prefixLen: 24 });
  assert.throws(
    () => addRoute(ns, { family: 4, dst: ipv4(0), dstLen: 0, gateway: a4('192.0.2.1') }),
    (e: unknown) =>
      e instanceof ErrnoError &&
      e.code === 'ENETUNREACH' &&
      e.extack === 'Nexthop has invalid gateway',
  );
  const r = addRoute(ns, { family: 4, dst: ipv4(0), dstLen: 0, gateway: a4('10.0.0.254') });
  assert.equal(r.dev, dev);
  assert.throws(
    () => addRoute(ns, { family: 4, dst: ipv4(0), dstLen: 0, gateway: a4('10.0.0.253') }),
    { code: 'EEXIST' },
  );
  addRoute(ns, { family: 4, dst: ipv4(0), dstLen: 0, gateway: a4('10.0.0.253'), priority: 100 });
  addRoute(ns, { family: 4, dst: a4('198.51.100.0'), dstLen: 24, dev });
  assert.throws(() => addRoute(ns, { family: 4, dst: a4('198.51.100.1'), dstLen: 24, dev }), {
    code: 'EINVAL',
    message: 'Invalid prefix for given prefix length',
  });
  assert.deepEqual(show(listRoutes(ns, 4, RT_TABLE_MAIN)), [
    'default via 10.0.0.254 dev dummy0',
    'default via 10.0.0.253 dev dummy0 metric 100',
    '10.0.0.0/24 dev dummy0 proto kernel scope link src 10.0.0.1',
    '198.51.100.0/24 dev dummy0 scope link',
  ]);
  assert.throws(() => delRoute(ns, { family: 4, dst: ipv4(0), dstLen: 0, priority: 5 }), {
    code: 'ESRCH',
  });
  delRoute(ns, { family: 4, dst: ipv4(0), dstLen: 0 });
  assert.equal(
    listRoutes(ns, 4, RT_TABLE_MAIN).filter((x) => x.type === RTN_UNICAST && x.dstLen === 0).length,
    1,
  );
});
