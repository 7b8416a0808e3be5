import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IFF_PROMISC, IFF_UP, IF_OPER_DOWN, IF_OPER_UP } from '../uapi/if.ts';
import { MacAddr } from '../wire/address.ts';
import { hex, toHex } from '../wire/bytes.ts';
import { Kernel } from './kernel.ts';
import type { Link } from './link.ts';
import { createLoopback } from './loopback.ts';
import { createNic, nicAttach, nicReceive } from './nic.ts';
import { SkBuff } from './skb.ts';

const MAC = MacAddr.parse('52:54:00:00:00:01')!;
const TEST_TYPE = 0x88b5; // IEEE 802 local experimental EtherType

function setup() {
  const k = new Kernel({ hostname: 'h1' });
  k.setLoopbackFactory(createLoopback);
  const sent: Uint8Array[] = [];
  const link: Link = { transmit: (f) => (sent.push(f.slice()), true) };
  const nic = createNic(k, k.initNet, 'eth0', { address: MAC });
  const port = nicAttach(nic, link);
  port.setCarrier(true);
  k.devOpen(nic);
  const got: string[] = [];
  k.ptypes.set(TEST_TYPE, (skb) => got.push(`${skb.dev.name} ${skb.pktType}`));
  return { k, nic, port, sent, got };
}

const frame = (dst: string) => hex(`${dst} 020000000002 88b5 0102030405`);

test('a NIC accepts its own MAC and broadcast, drops unicast for others as OTHERHOST', () => {
  const { k, nic, got } = setup();
  nicReceive(nic, frame('525400000001'));
  nicReceive(nic, frame('ffffffffffff'));
  nicReceive(nic, frame('525400000099'));
  k.scheduler.runUntilIdle();
  assert.deepEqual(got, ['eth0 host', 'eth0 broadcast']);
  assert.equal(k.initNet.drops.get('OTHERHOST'), 1);
  const s = nic.getStats64();
  assert.equal(s.rxPackets, 2);
  assert.equal(s.rxBytes, 2 * 19);
  assert.equal(s.multicast, 0); // broadcast is not counted as multicast
});

test('a promiscuous NIC passes unicast for another MAC up as otherhost', () => {
  const { k, nic, got } = setup();
  k.devSetPromiscuity(nic, 1);
  nicReceive(nic, frame('525400000099'));
  k.scheduler.runUntilIdle();
  assert.deepEqual(got, ['eth0 otherhost']);
  k.devSetPromiscuity(nic, -1);
  k.devChangeFlags(nic, IFF_PROMISC, IFF_PROMISC);
  nicReceive(nic, frame('525400000098'));
  k.scheduler.runUntilIdle();
  assert.equal(got.length, 2);
});

test('multicast reaches the stack only when joined or ALLMULTI, and counts multicast', () => {
  const { k, nic, got } = setup();
  const group = MacAddr.parse('33:33:00:00:00:01')!;
  nicReceive(nic, frame('333300000001'));
  k.scheduler.runUntilIdle();
  assert.deepEqual(got, []);
  k.devMcAdd(nic, group);
  nicReceive(nic, frame('333300000001'));
  nicReceive(nic, frame('01005e000001'));
  k.scheduler.runUntilIdle();
  assert.deepEqual(got, ['eth0 multicast']);
  k.devSetAllmulti(nic, 1);
  nicReceive(nic, frame('01005e000001'));
  k.scheduler.runUntilIdle();
  assert.deepEqual(got, ['eth0 multicast', 'eth0 multicast']);
  assert.equal(nic.getStats64().multicast, 2);
  assert.equal(k.initNet.drops.get('OTHERHOST'), 2);
});

test('a down NIC counts rx_dropped; a runt and an oversize frame count length errors', () => {
  const { k, nic, got } = setup();
  k.devClose(nic);
  nicReceive(nic, frame('525400000001'));
  k.devOpen(nic);
  nicReceive(nic, hex('525400000001 0200'));
  nicReceive(nic, new Uint8Array(1500 + 14 + 4 + 1).fill(0x52));
  k.scheduler.runUntilIdle();
  assert.deepEqual(got, []);
  const s = nic.getStats64();
  assert.equal(s.rxDropped, 1);
  assert.equal(s.rxLengthErrors, 2);
  assert.equal(s.rxErrors, 2);
  assert.equal(k.initNet.drops.get('DEV_READY'), 1);
  assert.equal(k.initNet.drops.get('PKT_TOO_SMALL'), 1);
  assert.equal(k.initNet.drops.get('PKT_TOO_BIG'), 1);
});

test('a NIC pads short frames to 60 bytes on the link and counts what the stack sent', () => {
  const { k, nic, sent } = setup();
  const f = frame('ffffffffffff');
  assert.equal(k.devQueueXmit(new SkBuff(f, nic)), 'ok');
  assert.equal(sent.length, 1);
  assert.equal(sent[0]!.length, 60);
  assert.equal(toHex(sent[0]!.subarray(0, f.length)), toHex(f));
  assert.ok(sent[0]!.subarray(f.length).every((b) => b === 0));
  const s = nic.getStats64();
  assert.equal(s.txPackets, 1);
  assert.equal(s.txBytes, f.length);
  assert.equal(nic.qdisc, 'pfifo_fast');
});

test('carrier follows the link; without carrier a transmit is dropped as NO_CARRIER', () => {
  const { k, nic, port, sent } = setup();
  assert.equal(nic.operstate, IF_OPER_UP);
  port.setCarrier(false);
  assert.equal(nic.operstate, IF_OPER_DOWN);
  // NET_XMIT_CN from noop_qdisc: counted as sent by callers.
  assert.equal(k.devQueueXmit(new SkBuff(frame('ffffffffffff'), nic)), 'ok');
  assert.equal(sent.length, 0);
  assert.equal(k.initNet.drops.get('NO_CARRIER'), 1);
  assert.equal(nic.getStats64().txDropped, 0); // noop_qdisc frees without counting
});

test('a refusing link counts tx_dropped', () => {
  const k = new Kernel();
  const nic = createNic(k, k.initNet, 'eth0', { address: MAC });
  nicAttach(nic, { transmit: () => false }).setCarrier(true);
  k.devOpen(nic);
  assert.equal(k.devQueueXmit(new SkBuff(frame('ffffffffffff'), nic)), 'drop');
  assert.equal(nic.getStats64().txDropped, 1);
  assert.equal(k.initNet.drops.get('FULL_RING'), 1);
});

test('deleting a namespace returns its NIC to the initial namespace, down', () => {
  const { k, nic } = setup();
  const ns = k.addNetns('ns0');
  k.changeNetns(nic, ns);
  k.devOpen(nic);
  k.deleteNetns('ns0');
  assert.equal(nic.registered, true);
  assert.equal(nic.netns, k.initNet);
  assert.equal(nic.flags & IFF_UP, 0);
  assert.equal(k.initNet.getByName('eth0'), nic);
});

test('a NIC MAC is settable, with mtu range 68..65535', () => {
  const { k, nic, got } = setup();
  const other = MacAddr.parse('52:54:00:00:00:77')!;
  k.devSetMacAddress(nic, other);
  nicReceive(nic, frame('525400000077'));
  k.scheduler.runUntilIdle();
  assert.deepEqual(got, ['eth0 host']);
  assert.throws(() => k.devSetMtu(nic, 67), /mtu less than device minimum/);
  assert.throws(() => k.devSetMtu(nic, 65536), /mtu greater than device maximum/);
  k.devSetMtu(nic, 9000);
  assert.equal(nic.mtu, 9000);
});
