// ipvlan per-packet decisions against the stack core, with raw frames and a test
// protocol handler standing in for the IP layer: who receives what, and the counters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IPVLAN_F_PRIVATE, IPVLAN_F_VEPA } from '../../src/uapi/if.ts';
import { MacAddr, parseIpv4, type IpAddr } from '../../src/wire/address.ts';
import { hex } from '../../src/wire/bytes.ts';
import { createDummy } from '../../src/stack/dummy.ts';
import { Kernel } from '../../src/stack/kernel.ts';
import { createLoopback } from '../../src/stack/loopback.ts';
import type { NetDevice } from '../../src/stack/netdev.ts';
import { SkBuff } from '../../src/stack/skb.ts';
import { ipvlanModuleInit, ipvlanNewLink, portOf } from '../../src/ipvlan/main.ts';

const SHARED = '525400123456';
const OUTSIDE = '5254000abcde';

/** An Ethernet/IPv4/UDP frame, 60 bytes; IPv4 checksum is not checked by ipvlan. */
function ipv4Frame(dst: string, src: string, ipSrc: string, ipDst: string): Uint8Array {
  const ip = (t: string) =>
    t
      .split('.')
      .map((n) => Number(n).toString(16).padStart(2, '0'))
      .join('');
  return hex(`${dst} ${src} 0800 4500 002e 0000 4000 4011 0000 ${ip(ipSrc)} ${ip(ipDst)}
    1388 1389 001a 0000 000102030405060708090a0b0c0d0e0f1011`);
}

function setup(mode: number, flags = 0) {
  const k = new Kernel({ hostname: 'h' });
  k.setLoopbackFactory(createLoopback);
  ipvlanModuleInit(k);
  const eth0 = createDummy(k, k.initNet, 'eth0', { address: MacAddr.parse('52:54:00:12:34:56')! });
  const wire: Uint8Array[] = [];
  eth0.ops.startXmit = (skb) => {
    wire.push(skb.data);
    return 'ok';
  };
  k.devOpen(eth0);
  const ns0 = k.addNetns('ns0');
  const ns1 = k.addNetns('ns1');
  const a = ipvlanNewLink(k, { link: eth0, name: 'ipvl0', netns: ns0, data: { mode, flags } });
  const b = ipvlanNewLink(k, { link: eth0, name: 'ipvl1', netns: ns1, data: { mode, flags } });
  for (const [dev, ip] of [
    [a, '192.168.50.10'],
    [b, '192.168.50.11'],
  ] as const) {
    const addr = parseIpv4(ip) as IpAddr;
    for (const n of k.inetaddrChain) n({ type: 'NETDEV_UP', dev, addr, prefixLen: 24 });
    k.devOpen(dev);
  }
  const got: string[] = [];
  k.ptypes.set(0x0800, (skb) => got.push(skb.dev.name));
  k.ptypes.set(0x0806, (skb) => got.push(`arp@${skb.dev.name}`));
  const send = (dev: NetDevice, frame: Uint8Array) => {
    const r = k.devQueueXmit(new SkBuff(frame, dev));
    k.scheduler.runUntilIdle();
    return r;
  };
  const fromWire = (frame: Uint8Array) => {
    const skb = new SkBuff(frame, eth0);
    if (k.ethTypeTrans(skb, eth0)) k.netifRx(skb);
    k.scheduler.runUntilIdle();
  };
  return { k, eth0, a, b, got, wire, send, fromWire };
}

test('TX-L2-1 ST-1 ST-3: L2 unicast to another slave is delivered locally; rx counts +14', () => {
  const { a, b, got, wire, send } = setup(0);
  const frame = ipv4Frame(SHARED, SHARED, '192.168.50.10', '192.168.50.11');
  assert.equal(send(a, frame), 'ok');
  assert.deepEqual(got, ['ipvl1']);
  assert.equal(wire.length, 0);
  assert.equal(a.getStats64().txPackets, 1);
  assert.equal(a.getStats64().txBytes, 60);
  assert.equal(b.getStats64().rxBytes, 60 + 14);
});

test('TX-L2-1 TX-F-1: private drops slave-to-slave unicast and counts tx_dropped', () => {
  const { k, a, b, got, send } = setup(0, IPVLAN_F_PRIVATE);
  assert.equal(send(a, ipv4Frame(SHARED, SHARED, '192.168.50.10', '192.168.50.11')), 'drop');
  assert.deepEqual(got, []);
  assert.equal(a.getStats64().txDropped, 1);
  assert.equal(b.getStats64().rxPackets, 0);
  assert.equal(k.namespaces.get('ns0')!.drops.get('IPVLAN_PRIVATE'), 1);
});

test('TX-L2-1b: D==S to an address nobody owns goes to the master stack, not the wire', () => {
  const { a, got, wire, send } = setup(0);
  send(a, ipv4Frame(SHARED, SHARED, '192.168.50.10', '192.168.50.1'));
  assert.deepEqual(got, ['eth0']);
  assert.equal(wire.length, 0);
});

test('TX-L2-3 TX-L2-4: other unicast MACs, and everything in VEPA, leave on the master', () => {
  const { a, got, wire, send } = setup(0);
  send(a, ipv4Frame(OUTSIDE, SHARED, '192.168.50.10', '192.168.50.1'));
  assert.equal(wire.length, 1);
  const vepa = setup(0, IPVLAN_F_VEPA);
  vepa.send(vepa.a, ipv4Frame(SHARED, SHARED, '192.168.50.10', '192.168.50.11'));
  assert.deepEqual(vepa.got, []);
  assert.equal(vepa.wire.length, 1);
  assert.deepEqual(got, []);
});

test('TX-L2-2 MC-2 MC-4 ST-4: a broadcast reaches the other slave and the wire, never its sender', () => {
  const { a, b, got, wire, send } = setup(0);
  const arp = hex(
    `ffffffffffff ${SHARED} 0806 0001 0800 0604 0001 ${SHARED} c0a8320a 000000000000 c0a8320b 000000000000000000000000000000000000`,
  );
  assert.equal(send(a, arp), 'ok');
  assert.deepEqual(got, ['arp@ipvl1']);
  assert.equal(wire.length, 1);
  const bs = b.getStats64();
  assert.equal(bs.multicast, 1);
  assert.equal(bs.rxBytes, arp.length + 14); // TX-origin copy counts the header twice (ST-3)
});

test('RX-L3-1 RX-L2-2: frames from the wire go to the running owner, else the master', () => {
  const { k, b, got, fromWire } = setup(0);
  fromWire(ipv4Frame(SHARED, OUTSIDE, '192.168.50.1', '192.168.50.11'));
  fromWire(ipv4Frame(SHARED, OUTSIDE, '192.168.50.1', '192.168.50.99'));
  assert.deepEqual(got, ['ipvl1', 'eth0']);
  assert.equal(b.getStats64().rxBytes, 60); // from the wire: frame length (ST-3)
  k.devClose(b); // ADDR-6: a down owner's traffic goes to the master
  fromWire(ipv4Frame(SHARED, OUTSIDE, '192.168.50.1', '192.168.50.11'));
  assert.deepEqual(got, ['ipvl1', 'eth0', 'eth0']);
});

test('RX-L2-3 RX-L2-4: an external broadcast goes to the master at once and to slaves later; a reflected one only to the master', () => {
  const { got, fromWire } = setup(0);
  fromWire(
    hex(
      `ffffffffffff ${OUTSIDE} 0806 0001 0800 0604 0001 ${OUTSIDE} c0a83201 000000000000 c0a8320b 000000000000000000000000000000000000`,
    ),
  );
  assert.deepEqual(got, ['arp@eth0', 'arp@ipvl0', 'arp@ipvl1']);
  got.length = 0;
  fromWire(
    hex(
      `ffffffffffff ${SHARED} 0806 0001 0800 0604 0001 ${SHARED} c0a8320a 000000000000 c0a8320b 000000000000000000000000000000000000`,
    ),
  );
  assert.deepEqual(got, ['arp@eth0']);
});

test('TX-L3-1 TX-L3-3 RX-L3-3: L3 switches unicast between slaves, drops group frames, keeps group traffic from slaves', () => {
  const { k, a, got, wire, send, fromWire } = setup(1);
  send(a, ipv4Frame(SHARED, SHARED, '192.168.50.10', '192.168.50.11'));
  assert.deepEqual(got, ['ipvl1']);
  assert.equal(
    send(a, ipv4Frame('ffffffffffff', SHARED, '192.168.50.10', '192.168.50.255')),
    'drop',
  );
  // Linux has already moved the skb to the master when it drops it (TX-L3-2, TX-L3-3).
  assert.equal(k.initNet.drops.get('IPVLAN_L3_GROUP'), 1);
  assert.equal(wire.length, 0);
  got.length = 0;
  fromWire(ipv4Frame('ffffffffffff', OUTSIDE, '192.168.50.1', '192.168.50.255'));
  assert.deepEqual(got, ['eth0']);
});

test('property: random frames never reach a non-owner by unicast, never cross in private, and no group frame leaves an l3 slave', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(0, 1, 2),
      fc.constantFrom(0, IPVLAN_F_PRIVATE, IPVLAN_F_VEPA),
      fc.array(
        fc.record({
          from: fc.constantFrom('a', 'b', 'wire'),
          dstMac: fc.constantFrom(SHARED, OUTSIDE, 'ffffffffffff', '01005e000001'),
          srcIp: fc.constantFrom('192.168.50.10', '192.168.50.11', '192.168.50.1'),
          dstIp: fc.constantFrom(
            '192.168.50.10',
            '192.168.50.11',
            '192.168.50.1',
            '192.168.50.255',
          ),
          cut: fc.nat(70),
        }),
        { maxLength: 12 },
      ),
      (mode, flags, frames) => {
        const w = setup(mode, flags);
        const owner: Record<string, string> = {
          '192.168.50.10': 'ipvl0',
          '192.168.50.11': 'ipvl1',
        };
        for (const f of frames) {
          w.got.length = 0;
          const wireBefore = w.wire.length;
          const full = ipv4Frame(f.dstMac, f.from === 'wire' ? OUTSIDE : SHARED, f.srcIp, f.dstIp);
          const frame = full.subarray(0, Math.min(full.length, f.cut));
          if (f.from === 'wire') w.fromWire(frame);
          else w.send(f.from === 'a' ? w.a : w.b, frame);
          const group = f.dstMac === 'ffffffffffff' || f.dstMac === '01005e000001';
          const sender = f.from === 'a' ? 'ipvl0' : f.from === 'b' ? 'ipvl1' : null;
          if (!group) {
            for (const who of w.got)
              if (who !== 'eth0') assert.equal(who, owner[f.dstIp], `unicast to non-owner ${who}`);
            if ((flags & IPVLAN_F_PRIVATE) !== 0 && sender !== null)
              for (const who of w.got) assert.ok(who === 'eth0', 'private cross-talk');
          }
          if (group && mode !== 0 && sender !== null) {
            // Linux looks the destination IP up before it checks the MAC (TX-L3-1 before
            // TX-L3-3), so only the owner of a unicast IP can still get such a frame.
            assert.equal(w.wire.length, wireBefore, 'group frame left an l3 slave');
            for (const who of w.got) assert.equal(who, owner[f.dstIp]);
          }
          // A slave gets its own frame back only as the owner of a unicast destination.
          // (In l3 even a group MAC, since the IP lookup comes first: TX-L3-1.)
          const selfAllowed = owner[f.dstIp] === sender && (!group || mode !== 0);
          if (sender !== null && !selfAllowed)
            assert.ok(!w.got.includes(sender), 'a frame came back to its sender');
        }
      },
    ),
    { numRuns: 150 },
  );
});

test('MTU-4 ST-5: a local delivery above the target MTU is dropped: rx_errors +1, rx_dropped +2 on the target', () => {
  const { k, a, b, got, send } = setup(0);
  k.devSetMtu(b, 1000);
  const big = new Uint8Array(1242);
  big.set(ipv4Frame(SHARED, SHARED, '192.168.50.10', '192.168.50.11'));
  big[16] = (1242 - 14) >> 8; // IPv4 total length
  big[17] = (1242 - 14) & 0xff;
  assert.equal(send(a, big), 'ok'); // ST-1: still a TX success for the sender
  assert.deepEqual(got, []);
  const s = b.getStats64();
  assert.equal(s.rxErrors, 1);
  assert.equal(s.rxDropped, 2);
  assert.equal(a.getStats64().txPackets, 1);
});

test('TX-C-1 ST-2: a runt frame from a slave is dropped and counted tx_dropped', () => {
  const { a, send } = setup(0);
  assert.equal(send(a, hex('525400123456 5254')), 'drop');
  assert.equal(a.getStats64().txDropped, 1);
});

test('MC-1 TX-L2-2: the backlog holds 1000 group frames; an overflowing send still succeeds and counts on the sender', () => {
  const { k, a, b, wire } = setup(0);
  const bcast = ipv4Frame('ffffffffffff', SHARED, '192.168.50.10', '192.168.50.255');
  for (let i = 0; i < 1001; i++) assert.equal(k.devQueueXmit(new SkBuff(bcast, a)), 'ok');
  assert.equal(a.getStats64().rxDropped, 1);
  assert.equal(a.getStats64().txPackets, 1001); // ST-1 counts the queued and the discarded
  k.scheduler.runUntilIdle();
  assert.equal(wire.length, 1000);
  assert.equal(b.getStats64().multicast, 1000);
});

test('RX-L2-1: frames the master looped back to itself are not fanned out to slaves', () => {
  const { k, eth0, got } = setup(0);
  const skb = new SkBuff(ipv4Frame('ffffffffffff', SHARED, '192.168.50.1', '192.168.50.255'), eth0);
  k.ethTypeTrans(skb, eth0);
  skb.pktType = 'loopback';
  k.netifRx(skb);
  k.scheduler.runUntilIdle();
  assert.deepEqual(got, ['eth0']);
});

test('DEL-1 LC-12: a slave created in another namespace, then deleted, leaves the table and the port', () => {
  const { eth0, a, b } = setup(0);
  assert.equal(a.netns.name, 'ns0');
  const port = portOf(eth0)!;
  assert.equal(port.table.size, 2);
  a.linkKind!.dellink(a);
  assert.equal(port.table.size, 1);
  assert.deepEqual(
    port.slaves.map((s) => s.dev),
    [b],
  );
});
