// Hostile input: random and mutated frames pushed into every kind of L2 device (NIC
// receive, veth, bridge port and bridge device, vlan, loopback, dummy) never throw,
// and every frame ends somewhere observable: delivered to a protocol handler, dropped
// with a counted reason, discarded by a device that consumes by design (dummy), or
// put on a wire.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { World } from '../../src/emu/world.ts';
import { bridgeAddPort, bridgeSetPortFlags, createBridge } from '../../src/stack/bridge.ts';
import type { DropReason } from '../../src/stack/drop.ts';
import { createDummy } from '../../src/stack/dummy.ts';
import type { NetDevice } from '../../src/stack/netdev.ts';
import { nicReceive } from '../../src/stack/nic.ts';
import { SkBuff } from '../../src/stack/skb.ts';
import { createVethPair } from '../../src/stack/veth.ts';
import { createVlan } from '../../src/stack/vlan.ts';
import { MacAddr } from '../../src/wire/address.ts';
import { setBe16 } from '../../src/wire/bytes.ts';

const mac = (text: string) => MacAddr.parse(text)!;
const MACS = {
  eth0: mac('02:aa:00:00:00:01'),
  eth1: mac('02:aa:00:00:00:02'),
  br0: mac('02:aa:00:00:00:03'),
  v0: mac('02:aa:00:00:00:04'),
  v1: mac('02:aa:00:00:00:05'),
  p0: mac('02:aa:00:00:00:06'),
  q0: mac('02:aa:00:00:00:07'),
  b: mac('02:bb:00:00:00:01'),
};

function build() {
  const world = new World({ seed: 9 });
  const a = world.addHost('a');
  const b = world.addHost('b');
  const k = a.kernel;
  const ns1 = k.addNetns('ns1');
  const ns2 = k.addNetns('ns2');
  const lan = world.addWire('lan');
  const eth0 = a.addNic('eth0', { address: MACS.eth0 });
  const eth1 = a.addNic('eth1', { address: MACS.eth1 });
  const beth = b.addNic('eth0', { address: MACS.b });
  lan.attach(eth0);
  lan.attach(beth);
  world.addWire('stub').attach(eth1);
  const [v0, v1] = createVethPair(
    k,
    { ns: k.initNet, name: 'v0', address: MACS.v0 },
    { ns: ns1, name: 'v1', address: MACS.v1 },
  );
  const br0 = createBridge(k, k.initNet, 'br0', { address: MACS.br0 });
  const [p0, q0] = createVethPair(
    k,
    { ns: k.initNet, name: 'p0', address: MACS.p0 },
    { ns: ns2, name: 'q0', address: MACS.q0 },
  );
  bridgeAddPort(br0, p0);
  bridgeAddPort(br0, eth1);
  bridgeSetPortFlags(p0, { hairpin: true });
  const eth0v10 = createVlan(k, k.initNet, 'eth0.10', { lower: eth0, id: 10 });
  const v1v20 = createVlan(k, ns1, 'v1.20', { lower: v1, id: 20, protocol: '802.1ad' });
  const d0 = createDummy(k, k.initNet, 'd0');
  const lo = k.initNet.getByIndex(1)!;
  for (const d of [eth0, eth1, v0, v1, br0, p0, q0, eth0v10, v1v20, d0, lo]) k.devOpen(d);
  b.kernel.devOpen(beth);

  let delivered = 0;
  let drops = 0;
  const reasons: DropReason[] = [];
  for (const host of world.hosts) {
    for (const type of [0x88b5, 0x0800, 0x86dd]) host.kernel.ptypes.set(type, () => delivered++);
    host.kernel.dropMonitors.add((_skb, reason) => {
      drops++;
      reasons.push(reason);
    });
  }
  const rx: Record<string, (f: Uint8Array) => void> = {
    'rx eth0': (f) => nicReceive(eth0, f),
    'rx eth1 (bridge port)': (f) => nicReceive(eth1, f),
    'rx b/eth0': (f) => nicReceive(beth, f),
  };
  const tx: Record<string, NetDevice> = { v1, q0, br0, eth0v10, v1v20, lo, d0, eth0, p0 };
  const outcome = () =>
    delivered + drops + world.wires.reduce((n, w) => n + w.frames, 0) + d0.getStats64().txPackets;
  const totalCounted = () =>
    world.hosts.reduce(
      (n, h) =>
        n +
        h.kernel
          .allNamespaces()
          .reduce((m, ns) => m + [...ns.drops.values()].reduce((x, y) => x + y, 0), 0),
      0,
    );
  return { world, rx, tx, outcome, reasons, totalCounted, drops: () => drops };
}

const macChoices = [
  ...Object.values(MACS),
  MacAddr.BROADCAST,
  mac('01:80:c2:00:00:00'),
  mac('01:80:c2:00:00:01'),
  mac('01:80:c2:00:00:0e'),
  mac('33:33:00:00:00:01'),
  mac('00:00:00:00:00:00'),
];

const arbMac = fc.oneof(
  fc.constantFrom(...macChoices),
  fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => MacAddr.fromBytes(b)),
);

const arbStructured = fc
  .record({
    dst: arbMac,
    src: arbMac,
    tag: fc.option(
      fc.record({
        tpid: fc.constantFrom(0x8100, 0x88a8, 0x8100),
        vid: fc.oneof(fc.constantFrom(0, 10, 20), fc.integer({ min: 0, max: 4095 })),
      }),
    ),
    type: fc.oneof(
      fc.constantFrom(0x88b5, 0x0800, 0x86dd, 0x8100, 0x0806),
      fc.integer({ min: 0, max: 0xffff }),
    ),
    payloadLen: fc.oneof(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1400, max: 1600 })),
    mutations: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
    truncate: fc.option(fc.integer({ min: 0, max: 30 })),
  })
  .map((r) => {
    const header = r.tag === null ? 14 : 18;
    let f = new Uint8Array(header + r.payloadLen);
    r.dst.writeTo(f, 0);
    r.src.writeTo(f, 6);
    if (r.tag !== null) {
      setBe16(f, 12, r.tag.tpid);
      setBe16(f, 14, r.tag.vid);
    }
    setBe16(f, header - 2, r.type);
    for (const [at, value] of r.mutations) if (f.length > 0) f[at % f.length] = value;
    if (r.truncate !== null) f = f.subarray(0, r.truncate);
    return f;
  });

const arbFrame = fc.oneof(arbStructured, fc.uint8Array({ maxLength: 80 }));

test('random and mutated frames into every device kind never throw and never vanish', () => {
  const names = build();
  const points = [...Object.keys(names.rx), ...Object.keys(names.tx).map((n) => `tx ${n}`)];
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom(...points), arbFrame), { minLength: 1, maxLength: 8 }),
      (inputs) => {
        const w = build();
        for (const [point, frame] of inputs) {
          const before = w.outcome();
          if (point.startsWith('rx ')) {
            w.rx[point]!(frame);
          } else {
            const dev = w.tx[point.slice(3)]!;
            dev.netns.kernel.devQueueXmit(new SkBuff(frame.slice(), dev));
          }
          w.world.runUntilIdle();
          assert.ok(w.outcome() > before, `${point}: frame neither delivered, dropped nor sent`);
        }
        assert.equal(w.totalCounted(), w.drops(), 'every drop is counted in its namespace');
        for (const r of w.reasons) assert.match(r, /^[A-Z][A-Z0-9_]+$/);
      },
    ),
    { numRuns: 300, seed: 0x1f2e3d },
  );
});
