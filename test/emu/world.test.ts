// Multi-host scenarios in the emulated world, with raw frames and test protocol
// handlers (no IP needed): wires, the external switch's reflective relay, a host
// bridge between a namespace and the wire, and byte-identical captures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { World, type Host } from '../../src/emu/world.ts';
import { bridgeAddPort, createBridge } from '../../src/stack/bridge.ts';
import type { NetDevice } from '../../src/stack/netdev.ts';
import { NS_PER_US } from '../../src/stack/scheduler.ts';
import { SkBuff } from '../../src/stack/skb.ts';
import { createVethPair } from '../../src/stack/veth.ts';
import { MacAddr } from '../../src/wire/address.ts';
import { hex, toHex } from '../../src/wire/bytes.ts';
import { readPcapng } from '../../src/wire/pcapng.ts';

const TEST_TYPE = 0x88b5;

interface Delivery {
  readonly time: number;
  readonly where: string;
  readonly type: string;
  readonly payload: string;
}

function listen(world: World, out: Delivery[]): (host: Host) => void {
  return (host) =>
    host.kernel.ptypes.set(TEST_TYPE, (skb) =>
      out.push({
        time: world.now,
        where: `${host.name}:${skb.dev.path}`,
        type: skb.pktType,
        payload: toHex(skb.networkData.subarray(0, 2)),
      }),
    );
}

function send(from: NetDevice, dst: MacAddr, payload = 0x0001): void {
  const f = hex('000000000000 000000000000 88b5 0000');
  dst.writeTo(f, 0);
  from.address.writeTo(f, 6);
  f[14] = payload >> 8;
  f[15] = payload & 0xff;
  from.netns.kernel.devQueueXmit(new SkBuff(f, from));
}

function twoHostsOnAWire(latency = 0) {
  const world = new World({ seed: 7 });
  const got: Delivery[] = [];
  const a = world.addHost('a');
  const b = world.addHost('b');
  for (const h of [a, b]) listen(world, got)(h);
  const wire = world.addWire('lan', { latency });
  const ea = a.addNic('eth0');
  const eb = b.addNic('eth0');
  wire.attach(ea);
  wire.attach(eb);
  a.kernel.devOpen(ea);
  b.kernel.devOpen(eb);
  return { world, a, b, ea, eb, wire, got };
}

test('two hosts on a wire exchange frames after the wire latency', () => {
  const { world, ea, eb, got } = twoHostsOnAWire(5 * NS_PER_US);
  assert.equal(ea.carrier, true);
  assert.ok(!ea.address.equals(eb.address)); // hosts draw MACs from different seeds
  send(ea, eb.address);
  world.runUntilIdle();
  assert.deepEqual(got, [{ time: 5000, where: 'b:b/eth0', type: 'host', payload: '0001' }]);
  send(eb, MacAddr.BROADCAST, 2);
  send(eb, MacAddr.parse('02:99:99:99:99:99')!, 3); // for nobody: filtered by a's NIC
  world.runUntilIdle();
  assert.deepEqual(got.slice(1), [
    { time: 10000, where: 'a:a/eth0', type: 'broadcast', payload: '0002' },
  ]);
  assert.equal(world.host('a').initNet.drops.get('OTHERHOST'), 1);
  assert.equal(ea.getStats64().rxPackets, 1);
  assert.equal(ea.getStats64().rxBytes, 60); // padded on the wire
});

test('leaving the wire takes the carrier away', () => {
  const { world, a, ea, eb, wire, got } = twoHostsOnAWire();
  wire.detach(ea);
  assert.equal(ea.carrier, false);
  send(eb, ea.address);
  send(ea, eb.address);
  world.runUntilIdle();
  assert.deepEqual(got, []);
  assert.equal(a.initNet.drops.get('NO_CARRIER'), 1);
});

test('an external switch reflects a frame to its ingress port only with hairpin on', () => {
  const world = new World();
  const got: Delivery[] = [];
  const a = world.addHost('a');
  const b = world.addHost('b');
  for (const h of [a, b]) listen(world, got)(h);
  const sw = world.addSwitch('tor');
  const ea = a.addNic('eth0');
  const eb = b.addNic('eth0');
  sw.connect(ea);
  sw.connect(eb);
  a.kernel.devOpen(ea);
  b.kernel.devOpen(eb);
  // A VEPA sends slave-to-slave traffic out with the shared MAC as destination. The
  // switch learns the source first, so the destination is known behind the ingress
  // port and, without reflective relay, filtered.
  send(ea, ea.address, 1);
  send(ea, ea.address, 2);
  world.runUntilIdle();
  assert.equal(got.length, 0);
  assert.equal(sw.drops.get('same-port'), 2);
  sw.setHairpin(ea, true);
  send(ea, ea.address, 3);
  send(ea, MacAddr.BROADCAST, 4);
  world.runUntilIdle();
  assert.deepEqual(
    got.map((d) => `${d.where} ${d.type} ${d.payload}`),
    ['a:a/eth0 host 0003', 'a:a/eth0 broadcast 0004', 'b:b/eth0 broadcast 0004'],
  );
  assert.equal(sw.lookup(ea.address), sw.portOf(ea));
  send(eb, ea.address, 5); // known unicast goes to one port only
  world.runUntilIdle();
  assert.equal(got.at(-1)?.payload, '0005');
  assert.equal(sw.portOf(ea)?.txFrames, 3);
  assert.equal(sw.portOf(eb)?.txFrames, 1);
});

test('a namespace behind a host bridge reaches another host over the wire', () => {
  const world = new World({ seed: 3 });
  const got: Delivery[] = [];
  const a = world.addHost('a');
  const b = world.addHost('b');
  for (const h of [a, b]) listen(world, got)(h);
  const wire = world.addWire('lan');
  const ea = a.addNic('eth0');
  const eb = b.addNic('eth0');
  wire.attach(ea);
  wire.attach(eb);
  const k = a.kernel;
  const ns0 = k.addNetns('ns0');
  const br = createBridge(k, k.initNet, 'br0');
  const [host, inner] = createVethPair(
    k,
    { ns: k.initNet, name: 'vh0' },
    { ns: ns0, name: 'eth0' },
  );
  bridgeAddPort(br, ea);
  bridgeAddPort(br, host);
  for (const d of [br, ea, host, inner]) k.devOpen(d);
  b.kernel.devOpen(eb);
  send(inner, eb.address, 1);
  world.runUntilIdle();
  send(eb, inner.address, 2);
  world.runUntilIdle();
  assert.deepEqual(
    got.map((d) => `${d.where} ${d.type} ${d.payload}`),
    ['b:b/eth0 host 0001', 'a:ns0/eth0 host 0002'],
  );
  // The bridge port is promiscuous, so the NIC passed b's unicast for ns0 up.
  assert.equal(ea.promiscuity, 1);
});

/** A small scenario exercising wires, a switch, a bridge, veth moves and drops. */
function scenario(): Uint8Array {
  const world = new World({ seed: 42 });
  const capture = world.capture();
  const a = world.addHost('a');
  const b = world.addHost('b');
  const sw = world.addSwitch('tor', { latency: 2 * NS_PER_US });
  const ea = a.addNic('eth0');
  const eb = b.addNic('eth0');
  sw.connect(ea, { hairpin: true });
  sw.connect(eb);
  const k = a.kernel;
  const ns0 = k.addNetns('ns0');
  const br = createBridge(k, k.initNet, 'br0');
  const [vh, vi] = createVethPair(k, { ns: k.initNet, name: 'vh0' }, { ns: ns0, name: 'eth0' });
  bridgeAddPort(br, ea);
  bridgeAddPort(br, vh);
  for (const d of [br, ea, vh, vi]) k.devOpen(d);
  b.kernel.devOpen(eb);
  send(vi, MacAddr.BROADCAST, 1);
  world.runFor(10 * NS_PER_US);
  send(eb, vi.address, 2);
  send(eb, MacAddr.parse('02:00:00:00:00:99')!, 3);
  world.runUntilIdle();
  k.changeNetns(vi, k.addNetns('ns1'));
  k.devOpen(vi);
  send(vi, eb.address, 4);
  world.runUntilIdle();
  return capture.pcapng();
}

test('the same scenario twice gives byte-identical pcapng', () => {
  const first = scenario();
  const second = scenario();
  assert.ok(first.length > 500);
  assert.equal(toHex(first), toHex(second));
});

test('the capture names interfaces netns/ifname, marks direction and carries drop reasons', () => {
  const file = readPcapng(scenario());
  assert.equal(file.error, null);
  const names = file.interfaces.map((i) => `${i.description} ${i.name}`);
  assert.ok(names.includes('host a ns0/eth0'));
  assert.ok(names.includes('host a a/br0'));
  assert.ok(names.includes('host b b/eth0'));
  assert.ok(names.includes('host a ns1/eth0'));
  const lines = file.packets.map((p) => {
    const iface = file.interfaces[p.interfaceId]!;
    const payload = toHex(p.data.subarray(14, 16));
    return `${p.timeNs} ${iface.description}:${iface.name} ${p.direction ?? '-'} ${payload} ${p.comments.join(',')}`;
  });
  // ns0's broadcast leaves through the bridge and the hairpin switch port reflects it
  // back into a's eth0: br0 then learns ns0's MAC behind eth0 (a station move, as
  // Linux does), so b's later unicast to ns0 (0002) is dropped as a hairpin case.
  // No test handler is registered here, so every delivered frame ends UNHANDLED_PROTO.
  assert.deepEqual(lines, [
    '0 host a:ns0/eth0 outbound 0001 ',
    '0 host a:a/vh0 inbound 0001 ',
    '0 host a:a/eth0 outbound 0001 ',
    '0 host a:a/br0 inbound 0001 drop: UNHANDLED_PROTO',
    '2000 host a:a/eth0 inbound 0001 ',
    '2000 host a:a/vh0 outbound 0001 ',
    '2000 host a:a/br0 inbound 0001 drop: UNHANDLED_PROTO',
    '2000 host a:ns0/eth0 inbound 0001 drop: UNHANDLED_PROTO',
    '2000 host b:b/eth0 inbound 0001 drop: UNHANDLED_PROTO',
    '10000 host b:b/eth0 outbound 0002 ',
    '10000 host b:b/eth0 outbound 0003 ',
    '12000 host a:a/eth0 inbound 0002 drop: BRIDGE_HAIRPIN',
    '12000 host a:a/eth0 inbound 0003 ',
    '12000 host a:a/vh0 outbound 0003 ',
    '12000 host a:ns0/eth0 inbound 0003 drop: UNHANDLED_PROTO',
    '12000 host a:ns1/eth0 outbound 0004 ',
    '12000 host a:a/vh0 inbound 0004 ',
    '12000 host a:a/eth0 outbound 0004 ',
    '14000 host b:b/eth0 inbound 0004 drop: UNHANDLED_PROTO',
  ]);
  assert.ok(file.packets.every((p) => p.timeNs !== null));
});

test('the world tracer hears every host, with the host and netns/ifname', () => {
  const { world, a, ea, eb } = twoHostsOnAWire();
  const events: string[] = [];
  world.setTracer((host, e) => {
    if (e.kind === 'drop') events.push(`${e.time} ${host.name} ${e.where} ${e.reason}`);
  });
  send(ea, MacAddr.parse('02:99:99:99:99:99')!);
  world.runUntilIdle();
  a.kernel.devClose(ea);
  send(eb, ea.address);
  world.runUntilIdle();
  a.kernel.devOpen(ea);
  world.setTracer(null);
  send(ea, MacAddr.parse('02:99:99:99:99:99')!);
  world.runUntilIdle();
  assert.deepEqual(events, ['0 b b/eth0 OTHERHOST', '0 a a/eth0 DEV_READY']);
});
