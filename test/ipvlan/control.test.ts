// ipvlan control plane against the stack core only (addresses are announced through
// the kernel's address chains exactly as the IP layer announces them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrnoError } from '../../src/base/errno.ts';
import { IFF_NOARP, IPVLAN_F_PRIVATE, IPVLAN_F_VEPA } from '../../src/uapi/if.ts';
import { MacAddr, parseIpv4, type IpAddr } from '../../src/wire/address.ts';
import { createDummy } from '../../src/stack/dummy.ts';
import { Kernel } from '../../src/stack/kernel.ts';
import { createLoopback } from '../../src/stack/loopback.ts';
import type { NetDevice } from '../../src/stack/netdev.ts';
import {
  ipvlanChangeLink,
  ipvlanFillInfo,
  ipvlanModuleInit,
  ipvlanNewLink,
  ipvlanOf,
  portOf,
} from '../../src/ipvlan/main.ts';

const MAC = MacAddr.parse('52:54:00:12:34:56')!;

function world() {
  const k = new Kernel({ hostname: 'h' });
  k.setLoopbackFactory(createLoopback);
  ipvlanModuleInit(k);
  const eth0 = createDummy(k, k.initNet, 'eth0', { address: MAC });
  return { k, eth0 };
}

function errno(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof ErrnoError) return e.extack === undefined ? e.code : `${e.code}: ${e.extack}`;
    throw e;
  }
  return undefined;
}

/** Adds an address the way the IP layer does: validators first, then NETDEV_UP. */
function addAddr(k: Kernel, dev: NetDevice, text: string): void {
  const addr = parseIpv4(text) as IpAddr;
  for (const v of k.inetaddrValidatorChain) v({ dev, addr });
  for (const n of k.inetaddrChain) n({ type: 'NETDEV_UP', dev, addr, prefixLen: 24 });
}
function delAddr(k: Kernel, dev: NetDevice, text: string): void {
  const addr = parseIpv4(text) as IpAddr;
  for (const n of k.inetaddrChain) n({ type: 'NETDEV_DOWN', dev, addr, prefixLen: 24 });
}

test('LC-7 MTU-1 MAC-1 OBJ-8 OBJ-9: a new slave copies the master MTU and MAC, gets dev_id 1, is down', () => {
  const { k, eth0 } = world();
  eth0.mtu = 1400;
  const v0 = ipvlanNewLink(k, { link: eth0, name: 'ipvl0', data: { mode: 0 } });
  assert.equal(v0.mtu, 1400);
  assert.ok(v0.address.equals(MAC));
  assert.equal(v0.devId, 1);
  assert.equal(v0.isUp, false);
  assert.equal(v0.iflink, eth0.ifindex);
  assert.equal(v0.qdisc, 'noop');
  const v1 = ipvlanNewLink(k, { link: eth0, name: 'ipvl1', mtu: 9000, data: { mode: 0 } });
  assert.equal(v1.mtu, 9000); // MTU-1: an explicit MTU may exceed the master's
  assert.equal(v1.devId, 2);
});

test('OBJ-8: dev_ids are round robin and not reused at once', () => {
  const { k, eth0 } = world();
  const a = ipvlanNewLink(k, { link: eth0, name: 'a' });
  ipvlanNewLink(k, { link: eth0, name: 'b' });
  a.linkKind!.dellink(a);
  assert.equal(ipvlanNewLink(k, { link: eth0, name: 'c' }).devId, 3);
});

test('LC-4 LC-5 LC-3: lo is refused, a busy master is EBUSY, a slave as link lands on the master', () => {
  const { k, eth0 } = world();
  assert.equal(
    errno(() => ipvlanNewLink(k, { link: k.initNet.getByName('lo')!, name: 'v' })),
    'EINVAL',
  );
  const busy = createDummy(k, k.initNet, 'busy');
  k.netdevRxHandlerRegister(busy, () => 'pass', null);
  assert.equal(
    errno(() => ipvlanNewLink(k, { link: busy, name: 'v' })),
    'EBUSY',
  );
  const v0 = ipvlanNewLink(k, { link: eth0, name: 'v0' });
  const v1 = ipvlanNewLink(k, { link: v0, name: 'v1' });
  assert.equal(ipvlanOf(v1)!.phyDev, eth0);
  assert.equal(v1.iflink, eth0.ifindex);
  assert.equal(portOf(eth0)!.slaves.length, 2);
});

test('LC-10: invalid mode or flags are refused before any effect', () => {
  const { k, eth0 } = world();
  assert.equal(
    errno(() => ipvlanNewLink(k, { link: eth0, name: 'v', data: { mode: 3 } })),
    'EINVAL',
  );
  assert.equal(
    errno(() => ipvlanNewLink(k, { link: eth0, name: 'v', data: { flags: 4 } })),
    'EINVAL',
  );
  assert.equal(
    errno(() =>
      ipvlanNewLink(k, {
        link: eth0,
        name: 'v',
        data: { flags: IPVLAN_F_PRIVATE | IPVLAN_F_VEPA },
      }),
    ),
    'EINVAL',
  );
  assert.equal(k.initNet.getByName('v'), undefined);
  assert.equal(portOf(eth0), undefined); // no port left behind
  assert.equal(eth0.rxHandler, null);
});

test('LC-8 LC-9 MODE-1 MODE-3: mode and flags are port-wide, last writer wins, default L3', () => {
  const { k, eth0 } = world();
  const a = ipvlanNewLink(k, { link: eth0, name: 'a', data: { mode: 0, flags: IPVLAN_F_PRIVATE } });
  k.devOpen(a);
  assert.equal(a.flags & IFF_NOARP, 0);
  const b = ipvlanNewLink(k, { link: eth0, name: 'b' }); // no data: port → L3
  assert.deepEqual(ipvlanFillInfo(a), { mode: 1, flags: IPVLAN_F_PRIVATE });
  assert.equal(a.flags & IFF_NOARP, IFF_NOARP); // MODE-2 through the flag path
  assert.equal(b.flags & IFF_NOARP, 0); // MODE-6: applied to the new slave at its first open
  k.devOpen(b);
  assert.equal(b.flags & IFF_NOARP, IFF_NOARP);
  ipvlanChangeLink(k, b, { mode: 0, flags: 0 });
  assert.deepEqual(ipvlanFillInfo(a), { mode: 0, flags: 0 });
  ipvlanChangeLink(k, a, undefined); // MODE-4: no data, no change
  assert.deepEqual(ipvlanFillInfo(b), { mode: 0, flags: 0 });
});

test('MTU-2 MTU-3 MAC-2 MAC-3: slave MTU free in range, master MTU and MAC overwrite slaves, slave MAC fixed', () => {
  const { k, eth0 } = world();
  const v = ipvlanNewLink(k, { link: eth0, name: 'v' });
  k.devSetMtu(v, 9000);
  assert.equal(v.mtu, 9000);
  assert.equal(
    errno(() => k.devSetMtu(v, 67)),
    'EINVAL: mtu less than device minimum',
  );
  assert.equal(
    errno(() => k.devSetMtu(v, 65536)),
    'EINVAL: mtu greater than device maximum',
  );
  k.devSetMtu(eth0, 1280);
  assert.equal(v.mtu, 1280);
  assert.equal(
    errno(() => k.devSetMacAddress(v, MacAddr.parse('02:00:00:00:00:09')!)),
    'EOPNOTSUPP',
  );
  const newMac = MacAddr.parse('02:00:00:00:00:01')!;
  k.devSetMacAddress(eth0, newMac);
  assert.ok(v.address.equals(newMac));
  assert.ok(v.permAddress.equals(MAC));
});

test('ADDR-1 ADDR-6 ADDR-8: one owner per address across the port, busy even while down', () => {
  const { k, eth0 } = world();
  const ns0 = k.addNetns('ns0');
  const a = ipvlanNewLink(k, { link: eth0, name: 'a', netns: ns0 });
  const b = ipvlanNewLink(k, { link: eth0, name: 'b' });
  addAddr(k, a, '192.168.50.10');
  const port = portOf(eth0)!;
  assert.equal(port.table.size, 0); // a is down: listed, not hashed (ADDR-6)
  assert.equal(
    errno(() => addAddr(k, b, '192.168.50.10')),
    'EADDRINUSE: Address already assigned to an ipvlan device',
  );
  assert.equal(
    errno(() => addAddr(k, a, '192.168.50.10')),
    'EADDRINUSE: Address already assigned to an ipvlan device',
  );
  k.devOpen(a);
  assert.equal(port.table.size, 1);
  k.devClose(a);
  assert.equal(port.table.size, 0);
  delAddr(k, a, '192.168.50.10');
  addAddr(k, b, '192.168.50.10');
  assert.equal(ipvlanOf(b)!.addrs.length, 1);
  // ADDR-7: the master's addresses are never checked.
  addAddr(k, eth0, '192.168.50.10');
});

test('DEL-2 DEL-3 OBJ-2: deleting the master deletes every slave; the port goes with the last one', () => {
  const { k, eth0 } = world();
  const ns0 = k.addNetns('ns0');
  const a = ipvlanNewLink(k, { link: eth0, name: 'a', netns: ns0 });
  const b = ipvlanNewLink(k, { link: eth0, name: 'b' });
  eth0.linkKind!.dellink(eth0);
  assert.equal(a.registered, false);
  assert.equal(b.registered, false);
  const { k: k2, eth0: m2 } = world();
  const ns1 = k2.addNetns('ns1');
  const s = ipvlanNewLink(k2, { link: m2, name: 's', netns: ns1 });
  k2.deleteNetns('ns1');
  assert.equal(s.registered, false);
  assert.equal(portOf(m2), undefined);
  assert.equal(m2.rxHandler, null); // MP-1: the master is free again
});

test('NS-1 NS-2: a slave moved to another namespace keeps dev_id and port; a moved master keeps its slaves', () => {
  const { k, eth0 } = world();
  const ns0 = k.addNetns('ns0');
  const v = ipvlanNewLink(k, { link: eth0, name: 'v', data: { mode: 0 } });
  k.changeNetns(v, ns0);
  assert.equal(v.netns, ns0);
  assert.equal(v.devId, 1);
  assert.equal(portOf(eth0)!.slaves.length, 1);
  k.changeNetns(eth0, ns0);
  assert.equal(v.registered, true);
  assert.equal(portOf(eth0)!.pnet, ns0);
});

test('LINK-1 LINK-4: slaves follow master carrier changes while the master is up', () => {
  const { k, eth0 } = world();
  const v = ipvlanNewLink(k, { link: eth0, name: 'v' });
  k.devOpen(eth0);
  k.netifCarrierOff(eth0);
  assert.equal(v.carrier, false);
  k.netifCarrierOn(eth0);
  assert.equal(v.carrier, true);
  k.devClose(eth0);
  k.netifCarrierOff(eth0); // while down: not passed on (LINK-4)
  assert.equal(v.carrier, true);
});

test('MP-2 MP-3: a slave accepts no rx handler and is VLAN-challenged', () => {
  const { k, eth0 } = world();
  const v = ipvlanNewLink(k, { link: eth0, name: 'v' });
  assert.equal(
    errno(() => k.netdevRxHandlerRegister(v, () => 'pass', null)),
    'EINVAL',
  );
  assert.equal(v.features.vlanChallenged, true);
  // MP-1: the master itself is busy for other rx handlers.
  assert.equal(
    errno(() => k.netdevRxHandlerRegister(eth0, () => 'pass', null)),
    'EBUSY',
  );
});
