import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrnoError } from '../base/errno.ts';
import { hex, toHex } from '../wire/bytes.ts';
import { createDummy } from './dummy.ts';
import { Kernel } from './kernel.ts';
import { createLoopback } from './loopback.ts';
import type { NetDevice } from './netdev.ts';
import { SkBuff } from './skb.ts';
import { createVethPair } from './veth.ts';
import { createVlan, vlanInfo } from './vlan.ts';
import { IF_OPER_DOWN, IF_OPER_UNKNOWN, IF_OPER_UP } from '../uapi/if.ts';

const TEST_TYPE = 0x88b5;

function setup() {
  const k = new Kernel({ hostname: 'h1' });
  k.setLoopbackFactory(createLoopback);
  const ns1 = k.addNetns('ns1');
  const [a, b] = createVethPair(k, { ns: k.initNet, name: 'a' }, { ns: ns1, name: 'b' });
  const a10 = createVlan(k, k.initNet, 'a.10', { lower: a, id: 10 });
  const b10 = createVlan(k, ns1, 'b.10', { lower: b, id: 10 });
  k.devOpen(a);
  k.devOpen(b);
  const got: { dev: string; type: string; net: string; tci: number }[] = [];
  k.ptypes.set(TEST_TYPE, (skb) =>
    got.push({
      dev: skb.dev.path,
      type: skb.pktType,
      net: toHex(skb.networkData),
      tci: skb.vlanTci,
    }),
  );
  const wire: string[] = [];
  k.taps.add({ dev: b, fn: (skb, dir) => wire.push(`${dir} ${toHex(skb.data)}`) });
  return { k, ns1, a, b, a10, b10, got, wire };
}

function frame(dst: NetDevice, src: NetDevice): Uint8Array {
  const f = hex('000000000000 000000000000 88b5 beef');
  dst.address.writeTo(f, 0);
  src.address.writeTo(f, 6);
  return f;
}

test('a vlan device takes the lower MAC and MTU and comes up with its lower', () => {
  const { k, a, a10 } = setup();
  assert.ok(a10.address.equals(a.address));
  assert.equal(a10.mtu, a.mtu);
  assert.equal(a10.iflink, a.ifindex);
  assert.deepEqual(vlanInfo(a10), { lower: a, id: 10, protocol: '802.1Q' });
  assert.equal(a10.isUp, true); // NETDEV_UP on the lower opened it
  k.devClose(a);
  assert.equal(a10.isUp, false);
  assert.throws(() => k.devOpen(a10), /Network is down/);
});

test('transmit inserts the tag on the lower; receive untags onto the vlan device', () => {
  const { k, a, b, a10, b10, got, wire } = setup();
  const f = frame(b10, a10);
  assert.equal(k.devQueueXmit(new SkBuff(f, a10)), 'ok');
  k.scheduler.runUntilIdle();
  assert.deepEqual(wire, [`rx ${toHex(b.address.bytes)}${toHex(a.address.bytes)}8100000a88b5beef`]);
  assert.deepEqual(got, [{ dev: 'ns1/b.10', type: 'host', net: 'beef', tci: 10 }]);
  assert.equal(a10.getStats64().txPackets, 1);
  assert.equal(a10.getStats64().txBytes, f.length);
  assert.equal(a.getStats64().txBytes, f.length + 4);
  assert.equal(b10.getStats64().rxPackets, 1);
  assert.equal(b10.getStats64().rxBytes, f.length - 14);
});

test('an unclaimed VID arrives as otherhost with the network header after the tag', () => {
  const { k, a, b, got } = setup();
  const a20 = createVlan(k, k.initNet, 'a.20', { lower: a, id: 20 });
  k.devOpen(a20);
  k.devQueueXmit(new SkBuff(frame(b, a20), a20));
  k.scheduler.runUntilIdle();
  assert.deepEqual(got, [{ dev: 'ns1/b', type: 'otherhost', net: 'beef', tci: -1 }]);
});

test('a priority tag (VID 0) is delivered on the lower device as normal traffic', () => {
  const { k, a, b, got } = setup();
  const f = hex('000000000000 000000000000 8100 a000 88b5 beef');
  b.address.writeTo(f, 0);
  a.address.writeTo(f, 6);
  k.devQueueXmit(new SkBuff(f, a));
  k.scheduler.runUntilIdle();
  assert.deepEqual(got, [{ dev: 'ns1/b', type: 'host', net: 'beef', tci: -1 }]);
});

test('a tagged frame for a down vlan device is dropped with DEV_READY', () => {
  const { k, ns1, a10, b10, got } = setup();
  k.devClose(b10);
  k.devQueueXmit(new SkBuff(frame(b10, a10), a10));
  k.scheduler.runUntilIdle();
  assert.deepEqual(got, []);
  assert.equal(ns1.drops.get('DEV_READY'), 1);
});

test('802.1ad and 802.1Q with the same id are different devices', () => {
  const { k, ns1, a, b, got } = setup();
  const ad = createVlan(k, k.initNet, 'a.ad10', { lower: a, id: 10, protocol: '802.1ad' });
  const bad = createVlan(k, ns1, 'b.ad10', { lower: b, id: 10, protocol: '802.1ad' });
  k.devOpen(ad);
  k.devOpen(bad);
  k.devQueueXmit(new SkBuff(frame(bad, ad), ad));
  k.scheduler.runUntilIdle();
  assert.deepEqual(
    got.map((g) => g.dev),
    ['ns1/b.ad10'],
  );
});

test('vlan creation is refused on VLAN-challenged lowers, duplicates and bad ids', () => {
  const { k, a } = setup();
  const slave = createDummy(k, k.initNet, 'ipvl0');
  slave.features.vlanChallenged = true; // ipvlan slaves (MP-3)
  const err = (fn: () => void): ErrnoError => {
    try {
      fn();
    } catch (e) {
      if (e instanceof ErrnoError) return e;
      throw e;
    }
    throw new Error('no error');
  };
  const e1 = err(() => createVlan(k, k.initNet, 'ipvl0.5', { lower: slave, id: 5 }));
  assert.equal(e1.code, 'EOPNOTSUPP');
  assert.equal(e1.extack, '8021q: VLANs not supported on device');
  assert.equal(err(() => createVlan(k, k.initNet, 'x', { lower: a, id: 10 })).code, 'EEXIST');
  assert.equal(err(() => createVlan(k, k.initNet, 'x', { lower: a, id: 4095 })).code, 'ERANGE');
  assert.equal(
    err(() => createVlan(k, k.initNet, 'x', { lower: a, id: 1, protocol: 0x0800 })).code,
    'EPROTONOSUPPORT',
  );
  const lo = k.initNet.getByIndex(1)!;
  assert.equal(
    err(() => createVlan(k, k.initNet, 'lo.1', { lower: lo, id: 1 })).code,
    'EOPNOTSUPP',
  );
  assert.equal(k.initNet.getByName('ipvl0.5'), undefined);
});

test('a vlan device follows its lower: MTU ceiling, MAC change, deletion', () => {
  const { k, a, a10 } = setup();
  k.devSetMtu(a, 1400);
  assert.equal(a10.mtu, 1400);
  assert.throws(() => k.devSetMtu(a10, 1450), /Numerical result out of range/);
  k.devClose(a);
  const mac = a.address;
  k.devSetMacAddress(a, createDummy(k, k.initNet, 'tmp').address);
  assert.ok(!a10.address.equals(mac));
  assert.ok(a10.address.equals(a.address));
  a.linkKind!.dellink(a);
  assert.equal(a10.registered, false);
});

test('a vlan on a carrier-on dummy reports operstate UP, not the dummy own UNKNOWN (vlan_dev_init + transfer_operstate)', () => {
  const k = new Kernel({ hostname: 'h1' });
  k.setLoopbackFactory(createLoopback);
  const dum = createDummy(k, k.initNet, 'dum0');
  k.devOpen(dum);
  const v = createVlan(k, k.initNet, 'dum0.10', { lower: dum, id: 10 });
  assert.equal(dum.operstate, IF_OPER_UNKNOWN);
  assert.equal(v.carrier, true);
  assert.equal(v.operstate, IF_OPER_UP);
  assert.equal(k.reportedOperstate(v), IF_OPER_DOWN); // not running yet
  k.devOpen(v);
  assert.equal(k.reportedOperstate(v), IF_OPER_UP);
});
