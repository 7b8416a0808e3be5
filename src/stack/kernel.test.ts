import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrnoError } from '../base/errno.ts';
import {
  IFF_UP,
  IF_OPER_DOWN,
  IF_OPER_LOWERLAYERDOWN,
  IF_OPER_UNKNOWN,
  IF_OPER_UP,
} from '../uapi/if.ts';
import { MacAddr } from '../wire/address.ts';
import { hex } from '../wire/bytes.ts';
import { createDummy } from './dummy.ts';
import { Kernel, type NetdevEvent } from './kernel.ts';
import { createLoopback } from './loopback.ts';
import { SkBuff } from './skb.ts';

function kernel(): Kernel {
  const k = new Kernel({ hostname: 'h1' });
  k.setLoopbackFactory(createLoopback);
  return k;
}

test('every namespace gets lo at ifindex 1; new devices count up per namespace', () => {
  const k = kernel();
  const ns0 = k.addNetns('ns0');
  assert.equal(k.initNet.getByIndex(1)?.name, 'lo');
  assert.equal(ns0.getByIndex(1)?.name, 'lo');
  const eth0 = createDummy(k, k.initNet, 'eth0');
  assert.equal(eth0.ifindex, 2);
  assert.equal(createDummy(k, ns0, 'd%d').name, 'd0');
  assert.equal(createDummy(k, ns0, 'd%d').name, 'd1');
  assert.throws(
    () => k.addNetns('ns0'),
    (e: unknown) => e instanceof ErrnoError && e.code === 'EEXIST',
  );
});

test('device names are checked like dev_valid_name and must be unique', () => {
  const k = kernel();
  createDummy(k, k.initNet, 'eth0');
  const code = (fn: () => void): string | undefined => {
    try {
      fn();
    } catch (e) {
      return e instanceof ErrnoError ? e.code : 'other';
    }
    return undefined;
  };
  assert.equal(
    code(() => createDummy(k, k.initNet, 'eth0')),
    'EEXIST',
  );
  assert.equal(
    code(() => createDummy(k, k.initNet, 'a234567890123456')),
    'EINVAL',
  );
  assert.equal(
    code(() => createDummy(k, k.initNet, 'a/b')),
    'EINVAL',
  );
  assert.equal(
    code(() => createDummy(k, k.initNet, 'a b')),
    'EINVAL',
  );
});

test('a moved device keeps its ifindex when free and is down in the new namespace', () => {
  const k = kernel();
  const ns0 = k.addNetns('ns0');
  const dev = createDummy(k, k.initNet, 'eth0');
  k.devOpen(dev);
  const events: string[] = [];
  k.netdevChain.push((e: NetdevEvent) => events.push(`${e.type}${e.netnsMove ? '+move' : ''}`));
  k.changeNetns(dev, ns0);
  assert.equal(dev.netns, ns0);
  assert.equal(dev.ifindex, 2);
  assert.equal(dev.flags & IFF_UP, 0);
  assert.deepEqual(events, [
    'NETDEV_GOING_DOWN',
    'NETDEV_DOWN',
    'NETDEV_UNREGISTER+move',
    'NETDEV_REGISTER+move',
  ]);
  assert.equal(k.initNet.getByName('eth0'), undefined);
  // lo cannot move (NETIF_F_NETNS_LOCAL).
  assert.throws(() => k.changeNetns(k.initNet.getByIndex(1)!, ns0), /Invalid argument/);
});

test('deleting a namespace deletes its virtual devices', () => {
  const k = kernel();
  const ns0 = k.addNetns('ns0');
  const dev = createDummy(k, ns0, 'd0');
  k.deleteNetns('ns0');
  assert.equal(dev.registered, false);
  assert.equal(k.namespaces.has('ns0'), false);
  assert.equal(ns0.devices.length, 0);
});

test('a PRE notifier vetoes an MTU change and nothing changes', () => {
  const k = kernel();
  const dev = createDummy(k, k.initNet, 'eth0');
  dev.minMtu = 68;
  dev.maxMtu = 9000;
  k.netdevChain.push((e) => {
    if (e.type === 'NETDEV_PRECHANGEMTU' && e.newMtu === 1400) throw new ErrnoError('EBUSY');
  });
  assert.throws(() => k.devSetMtu(dev, 1400), /Device or resource busy/);
  assert.equal(dev.mtu, 1500);
  assert.throws(
    () => k.devSetMtu(dev, 60),
    (e: unknown) => e instanceof ErrnoError && e.extack === 'mtu less than device minimum',
  );
  assert.throws(
    () => k.devSetMtu(dev, 9001),
    (e: unknown) => e instanceof ErrnoError && e.extack === 'mtu greater than device maximum',
  );
  k.devSetMtu(dev, 9000);
  assert.equal(dev.mtu, 9000);
});

test('operstate follows carrier as linkwatch computes it; rtnetlink reports DOWN when not running', () => {
  const k = kernel();
  const dev = createDummy(k, k.initNet, 'eth0');
  assert.equal(dev.operstate, IF_OPER_UNKNOWN);
  k.devOpen(dev);
  assert.equal(k.reportedOperstate(dev), IF_OPER_UNKNOWN);
  k.netifCarrierOff(dev);
  assert.equal(dev.operstate, IF_OPER_DOWN);
  dev.lower = createDummy(k, k.initNet, 'eth1');
  k.netifCarrierOn(dev);
  k.netifCarrierOff(dev);
  assert.equal(dev.operstate, IF_OPER_LOWERLAYERDOWN);
  k.netifCarrierOn(dev);
  assert.equal(dev.operstate, IF_OPER_UP);
  k.devClose(dev);
  assert.equal(k.reportedOperstate(dev), IF_OPER_DOWN);
});

test('loopback turns a transmitted frame into a received one, counted both ways', () => {
  const k = kernel();
  const lo = k.initNet.getByIndex(1)!;
  k.devOpen(lo);
  const seen: number[] = [];
  k.ptypes.set(0x0800, (skb) => seen.push(skb.protocol));
  const frame = hex('000000000000 000000000000 0800 4500001400000000400100000a0000010a000001');
  const verdict = k.devQueueXmit(new SkBuff(frame, lo));
  assert.equal(verdict, 'ok');
  assert.deepEqual(seen, []); // deferred like netif_rx
  k.scheduler.runUntilIdle();
  assert.deepEqual(seen, [0x0800]);
  const stats = lo.getStats64();
  assert.equal(stats.txPackets, 1);
  assert.equal(stats.rxPackets, 1);
  // loopback_xmit counts after eth_type_trans pulled the 14-byte Ethernet header.
  assert.equal(stats.rxBytes, frame.length - 14);
  assert.equal(stats.txBytes, frame.length - 14);
});

test('an unknown EtherType is dropped with UNHANDLED_PROTO and counted rx_dropped', () => {
  const k = kernel();
  const dev = createDummy(k, k.initNet, 'eth0', { address: MacAddr.parse('52:54:00:12:34:56')! });
  const skb = new SkBuff(hex('525400123456 020000000001 88b5 00'), dev);
  assert.ok(k.ethTypeTrans(skb, dev));
  assert.equal(skb.pktType, 'host');
  k.netifReceiveSkb(skb);
  assert.equal(dev.getStats64().rxDropped, 1);
  assert.equal(k.initNet.drops.get('UNHANDLED_PROTO'), 1);
});

test('dev_forward_skb refuses a down target and counts rx_dropped there', () => {
  const k = kernel();
  const a = createDummy(k, k.initNet, 'a');
  const b = createDummy(k, k.initNet, 'b');
  const skb = new SkBuff(hex('ffffffffffff 020000000001 0806 00'), a);
  assert.equal(k.devForwardSkb(b, skb), 'drop');
  assert.equal(b.getStats64().rxDropped, 1);
  k.devOpen(b);
  assert.equal(k.devForwardSkb(b, new SkBuff(hex('ffffffffffff 020000000001 0806 00'), a)), 'ok');
});

test('dev_forward_skb refuses a frame over MTU + 18 but lets a GSO super-frame pass (is_skb_forwardable)', () => {
  const k = kernel();
  const a = createDummy(k, k.initNet, 'a');
  const b = createDummy(k, k.initNet, 'b');
  k.devOpen(b);
  let received = 0;
  k.ptypes.set(0x88b5, (skb) => {
    received += skb.len;
  });
  const frame = (len: number): Uint8Array => {
    const f = new Uint8Array(len);
    f.set(hex('525400123456 020000000001 88b5'));
    return f;
  };
  // b's MTU is 1500: 1500 + ETH_HLEN + VLAN_HLEN = 1518 bytes pass, one more does not.
  assert.equal(k.devForwardSkb(b, new SkBuff(frame(1518), a)), 'ok');
  assert.equal(k.devForwardSkb(b, new SkBuff(frame(1519), a)), 'drop');
  assert.equal(b.getStats64().rxDropped, 1);
  assert.equal(k.initNet.drops.get('PKT_TOO_BIG'), 1);
  const gso = new SkBuff(frame(65000), a);
  gso.gso = true;
  assert.equal(k.devForwardSkb(b, gso), 'ok');
  assert.equal(gso.clone().gso, true);
  k.scheduler.runUntilIdle();
  assert.equal(received, 1518 + 65000);
  assert.equal(b.getStats64().rxDropped, 1);
});

test('the scheduler runs same-time events in insertion order and advances virtual time', () => {
  const k = kernel();
  const order: string[] = [];
  k.scheduler.after(5, () => order.push('b'));
  k.scheduler.after(1, () => order.push('a'));
  k.scheduler.after(5, () => order.push('c'));
  const t = k.scheduler.after(3, () => order.push('cancelled'));
  k.scheduler.cancel(t);
  k.scheduler.runUntilIdle();
  assert.deepEqual(order, ['a', 'b', 'c']);
  assert.equal(k.now, 5);
});
