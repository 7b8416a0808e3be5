import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IF_OPER_DOWN, IF_OPER_LOWERLAYERDOWN, IF_OPER_UP } from '../uapi/if.ts';
import { hex } from '../wire/bytes.ts';
import { Kernel } from './kernel.ts';
import { createLoopback } from './loopback.ts';
import { SkBuff } from './skb.ts';
import { createVethPair, vethPeer } from './veth.ts';

const TEST_TYPE = 0x88b5;

function setup() {
  const k = new Kernel({ hostname: 'h1' });
  k.setLoopbackFactory(createLoopback);
  const ns0 = k.addNetns('ns0');
  const ns1 = k.addNetns('ns1');
  const [a, b] = createVethPair(k, { ns: ns0, name: 'veth0' }, { ns: ns1, name: 'veth1' });
  const got: string[] = [];
  k.ptypes.set(TEST_TYPE, (skb) => got.push(`${skb.dev.path} ${skb.pktType}`));
  return { k, ns0, ns1, a, b, got };
}

function frameTo(dst: Uint8Array): Uint8Array {
  const f = hex('000000000000 020000000002 88b5 cafe');
  f.set(dst, 0);
  return f;
}

test('the peer is registered first and each end shows the other as iflink', () => {
  const { a, b } = setup();
  assert.equal(b.ifindex, 2);
  assert.equal(a.ifindex, 2); // separate namespaces count separately
  const k = new Kernel();
  const [x, y] = createVethPair(
    k,
    { ns: k.initNet, name: 'veth0' },
    { ns: k.initNet, name: 'veth1' },
  );
  assert.equal(y.ifindex, 1);
  assert.equal(x.ifindex, 2);
  assert.equal(x.iflink, y.ifindex);
  assert.equal(y.iflink, x.ifindex);
  assert.equal(vethPeer(x), y);
});

test('carrier comes on only when both ends are up and goes off with either', () => {
  const { k, a, b } = setup();
  k.devOpen(a);
  assert.equal(a.carrier, false);
  assert.equal(a.operstate, IF_OPER_LOWERLAYERDOWN);
  k.devOpen(b);
  assert.equal(a.carrier, true);
  assert.equal(b.carrier, true);
  assert.equal(a.operstate, IF_OPER_UP);
  k.devClose(b);
  assert.equal(a.carrier, false);
  assert.equal(b.carrier, false);
  assert.equal(k.reportedOperstate(b), IF_OPER_DOWN);
});

test('a frame crosses namespaces: tx on the sender, rx on the peer', () => {
  const { k, a, b, got } = setup();
  k.devOpen(a);
  k.devOpen(b);
  const f = frameTo(b.address.bytes);
  assert.equal(k.devQueueXmit(new SkBuff(f, a)), 'ok');
  k.scheduler.runUntilIdle();
  assert.deepEqual(got, ['ns1/veth1 host']);
  assert.equal(a.getStats64().txPackets, 1);
  assert.equal(a.getStats64().txBytes, f.length);
  assert.equal(b.getStats64().rxPackets, 1);
  assert.equal(b.getStats64().rxBytes, f.length);
  assert.equal(b.getStats64().txPackets, 0);
});

test('a down peer leaves the sender without carrier: noop_qdisc frees the frame, no counter moves', () => {
  const { k, ns0, a, b, got } = setup();
  k.devOpen(a);
  // NET_XMIT_CN: callers count it as sent, a local sender gets no errno.
  assert.equal(k.devQueueXmit(new SkBuff(frameTo(b.address.bytes), a)), 'ok');
  k.scheduler.runUntilIdle();
  assert.deepEqual(got, []);
  assert.equal(a.getStats64().txDropped, 0);
  assert.equal(a.getStats64().txPackets, 0);
  assert.equal(b.getStats64().rxDropped, 0);
  assert.equal(ns0.drops.get('NO_CARRIER'), 1);
});

test('an oversize frame for the peer MTU is dropped as PKT_TOO_BIG', () => {
  const { k, a, b } = setup();
  k.devOpen(a);
  k.devOpen(b);
  k.devSetMtu(b, 100);
  const big = new Uint8Array(100 + 14 + 4 + 1);
  big.set(frameTo(b.address.bytes));
  assert.equal(k.devQueueXmit(new SkBuff(big, a)), 'drop');
  assert.equal(b.getStats64().rxDropped, 1);
});

test('a veth keeps working after one end moves to another namespace', () => {
  const { k, a, b, got } = setup();
  const ns2 = k.addNetns('ns2');
  k.changeNetns(b, ns2);
  assert.equal(b.netns, ns2);
  assert.equal(a.iflink, b.ifindex);
  k.devOpen(a);
  k.devOpen(b);
  assert.equal(a.carrier, true);
  k.devQueueXmit(new SkBuff(frameTo(b.address.bytes), a));
  k.devQueueXmit(new SkBuff(frameTo(a.address.bytes), b));
  k.scheduler.runUntilIdle();
  assert.deepEqual(got, ['ns2/veth1 host', 'ns0/veth0 host']);
});

test('deleting a namespace deletes its veth end and the peer in another namespace', () => {
  const { k, ns1, a, b } = setup();
  k.deleteNetns('ns0');
  assert.equal(a.registered, false);
  assert.equal(b.registered, false);
  assert.equal(ns1.getByName('veth1'), undefined);
  assert.equal(vethPeer(b), null);
});

test('deleting one end through its kind deletes the pair', () => {
  const { ns0, ns1, a } = setup();
  a.linkKind!.dellink(a);
  assert.equal(ns0.getByName('veth0'), undefined);
  assert.equal(ns1.getByName('veth1'), undefined);
});

test('a mark does not survive the namespace crossing', () => {
  const { k, a, b } = setup();
  k.devOpen(a);
  k.devOpen(b);
  const marks: number[] = [];
  k.ptypes.set(TEST_TYPE, (skb) => marks.push(skb.mark));
  const skb = new SkBuff(frameTo(b.address.bytes), a);
  skb.mark = 7;
  k.devQueueXmit(skb);
  k.scheduler.runUntilIdle();
  assert.deepEqual(marks, [0]);
});
