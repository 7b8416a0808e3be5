// ipvtap (spec section 9): an ipvlan slave whose own rx handler hands what ipvlan
// delivers to descriptors opened on its character device instead of the host stack.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrnoError } from '../../src/base/errno.ts';
import { MacAddr, parseIpv4, type IpAddr } from '../../src/wire/address.ts';
import { hex } from '../../src/wire/bytes.ts';
import { createDummy } from '../../src/stack/dummy.ts';
import { Kernel } from '../../src/stack/kernel.ts';
import { createLoopback } from '../../src/stack/loopback.ts';
import type { NetDevice } from '../../src/stack/netdev.ts';
import { SkBuff } from '../../src/stack/skb.ts';
import {
  ipvlanModuleInit,
  ipvlanNewLink,
  ipvlanOf,
  ipvtapOpen,
  portOf,
} from '../../src/ipvlan/main.ts';

const SHARED = '525400123456';
const OUTSIDE = '5254000abcde';

/** An Ethernet/IPv4/UDP frame to 192.168.50.10 from 192.168.50.1, 60 bytes; `tag` is the last byte. */
function toTap(tag: number): Uint8Array {
  return hex(`${SHARED} ${OUTSIDE} 0800 4500 002e 0000 4000 4011 0000 c0a83201 c0a8320a
    1388 1389 001a 0000 000102030405060708090a0b0c0d0e0f10${tag.toString(16).padStart(2, '0')}`);
}

function setup(txqlen?: number) {
  const k = new Kernel({ hostname: 'h' });
  k.setLoopbackFactory(createLoopback);
  ipvlanModuleInit(k);
  const eth0 = createDummy(k, k.initNet, 'eth0', { address: MacAddr.parse('52:54:00:12:34:56')! });
  k.devOpen(eth0);
  const ns0 = k.addNetns('ns0');
  const tap = ipvlanNewLink(k, {
    link: eth0,
    name: 'ipvt0',
    netns: ns0,
    tap: true,
    ...(txqlen === undefined ? {} : { txqlen }),
  });
  const addr = parseIpv4('192.168.50.10') as IpAddr;
  for (const n of k.inetaddrChain) n({ type: 'NETDEV_UP', dev: tap, addr, prefixLen: 24 });
  k.devOpen(tap);
  const got: string[] = [];
  k.ptypes.set(0x0800, (skb) => got.push(skb.dev.name));
  const fromWire = (frame: Uint8Array) => {
    const skb = new SkBuff(frame, eth0);
    if (k.ethTypeTrans(skb, eth0)) k.netifRx(skb);
    k.scheduler.runUntilIdle();
  };
  return { k, eth0, ns0, tap, got, fromWire };
}

test('TAP-1 TAP-4: an ipvtap is a slave of the same port, kind ipvtap, qlen 500, fq_codel once up', () => {
  const k = new Kernel({ hostname: 'h' });
  k.setLoopbackFactory(createLoopback);
  ipvlanModuleInit(k);
  const eth0 = createDummy(k, k.initNet, 'eth0', { address: MacAddr.parse('52:54:00:12:34:56')! });
  const t: NetDevice = ipvlanNewLink(k, {
    link: eth0,
    name: 'ipvt0',
    tap: true,
    data: { mode: 0 },
  });
  const v = ipvlanNewLink(k, { link: eth0, name: 'ipvl0' });
  assert.equal(t.linkKind?.kind, 'ipvtap');
  assert.equal(v.linkKind?.kind, 'ipvlan');
  const port = portOf(eth0);
  assert.ok(port !== undefined);
  assert.equal(ipvlanOf(t)?.port, port);
  assert.deepEqual(
    port.slaves.map((s) => s.dev.name),
    ['ipvt0', 'ipvl0'],
  );
  assert.equal(t.txqlen, 500);
  assert.equal(v.txqlen, 1000);
  assert.equal(t.qdisc, 'noop');
  k.devOpen(t);
  k.devOpen(v);
  assert.equal(t.qdisc, 'fq_codel');
  assert.equal(v.qdisc, 'noqueue');
  // The tap holds the device's rx handler: no other upper may claim it (MP-2).
  assert.throws(
    () => k.netdevRxHandlerRegister(t, () => 'pass', null),
    (e: unknown) => e instanceof ErrnoError && e.code === 'EINVAL',
  );
  // Nesting flattens onto eth0 for an ipvtap too (LC-3).
  const nested = ipvlanNewLink(k, { link: t, name: 'ipvt1', tap: true });
  assert.equal(ipvlanOf(nested)?.phyDev, eth0);
});

test('TAP-3: with a descriptor open, frames for the ipvtap queue there instead of the host stack', () => {
  const { tap, got, fromWire } = setup();
  fromWire(toTap(1));
  // No descriptor: tap_handle_frame passes the frame on to the stack.
  assert.deepEqual(got, ['ipvt0']);
  const q = ipvtapOpen(tap);
  fromWire(toTap(2));
  fromWire(toTap(3));
  assert.deepEqual(got, ['ipvt0']);
  assert.deepEqual(q.read(), toTap(2));
  assert.deepEqual(q.read(), toTap(3));
  assert.equal(q.read(), null);
  q.close();
  fromWire(toTap(4));
  assert.deepEqual(got, ['ipvt0', 'ipvt0']);
});

test('TAP-3 ST-1: a full ring nobody reads drops the frame as FULL_RING and counts rx_errors/rx_dropped', () => {
  const { tap, ns0, got, fromWire } = setup(2);
  const q = ipvtapOpen(tap);
  for (let i = 1; i <= 3; i++) fromWire(toTap(i));
  assert.equal(q.ring.length, 2);
  assert.deepEqual(q.ring, [toTap(1), toTap(2)]);
  assert.deepEqual(got, []);
  assert.equal(ns0.drops.get('FULL_RING'), 1);
  const s = tap.getStats64();
  // ipvlan counted the divert (ST-3); the tap's count_rx_dropped adds an rx error.
  assert.equal(s.rxPackets, 3);
  assert.equal(s.rxErrors, 1);
  assert.equal(s.rxDropped, 1);
  // Reading makes room again.
  assert.deepEqual(q.read(), toTap(1));
  fromWire(toTap(4));
  assert.deepEqual(q.ring, [toTap(2), toTap(4)]);
  assert.equal(tap.getStats64().rxErrors, 1);
});

test('TAP-2 TAP-3: deleting the ipvtap detaches its descriptors; opening a non-tap is ENODEV', () => {
  const { k, eth0, tap } = setup();
  const q = ipvtapOpen(tap);
  tap.linkKind?.dellink?.(tap);
  assert.equal(tap.registered, false);
  assert.equal(q.ring.length, 0);
  assert.throws(
    () => ipvtapOpen(tap),
    (e: unknown) => e instanceof ErrnoError && e.code === 'ENODEV',
  );
  assert.throws(
    () => ipvtapOpen(eth0),
    (e: unknown) => e instanceof ErrnoError && e.code === 'ENODEV',
  );
  assert.equal(k.initNet.drops.get('FULL_RING'), undefined);
});
