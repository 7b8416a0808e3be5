import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrnoError } from '../base/errno.ts';
import { IFF_PROMISC } from '../uapi/if.ts';
import { MacAddr } from '../wire/address.ts';
import { hex } from '../wire/bytes.ts';
import {
  bridgeAddPort,
  bridgeDelPort,
  bridgeOf,
  bridgeSetPortFlags,
  createBridge,
} from './bridge.ts';
import { createDummy } from './dummy.ts';
import { Kernel } from './kernel.ts';
import { createLoopback } from './loopback.ts';
import type { NetDevice } from './netdev.ts';
import { NS_PER_SEC } from './scheduler.ts';
import { SkBuff } from './skb.ts';
import { createVethPair } from './veth.ts';

const TEST_TYPE = 0x88b5;
const mac = (last: number) =>
  MacAddr.parse(`02:00:00:00:00:${last.toString(16).padStart(2, '0')}`)!;

/**
 * br0 in the initial namespace with ports p1..p3; each port is a veth whose other end
 * (h1..h3, MACs 02::a1..a3) lives in namespace n1..n3. Port MACs are 02::11..13.
 */
function setup() {
  const k = new Kernel({ hostname: 'host' });
  k.setLoopbackFactory(createLoopback);
  const br = createBridge(k, k.initNet, 'br0');
  const ports: NetDevice[] = [];
  const hosts: NetDevice[] = [];
  for (let i = 1; i <= 3; i++) {
    const ns = k.addNetns(`n${i}`);
    const [p, h] = createVethPair(
      k,
      { ns: k.initNet, name: `p${i}`, address: mac(0x10 + i) },
      { ns, name: `h${i}`, address: mac(0xa0 + i) },
    );
    bridgeAddPort(br, p);
    k.devOpen(p);
    k.devOpen(h);
    ports.push(p);
    hosts.push(h);
  }
  k.devOpen(br);
  const got: string[] = [];
  k.ptypes.set(TEST_TYPE, (skb) => got.push(`${skb.dev.path} ${skb.pktType}`));
  const send = (from: NetDevice, dst: MacAddr) => {
    const f = hex('000000000000 000000000000 88b5 0001');
    dst.writeTo(f, 0);
    from.address.writeTo(f, 6);
    k.devQueueXmit(new SkBuff(f, from));
    k.scheduler.runUntilIdle();
  };
  return { k, br, ports, hosts, got, send };
}

test('a bridge with three ports floods unknown unicast, learns, then forwards to one port', () => {
  const { k, br, hosts, got, send } = setup();
  const [h1, h2] = hosts as [NetDevice, NetDevice, NetDevice];
  send(h1, h2.address);
  assert.deepEqual(got.sort(), ['n2/h2 host', 'n3/h3 otherhost']);
  got.length = 0;
  send(h2, h1.address);
  assert.deepEqual(got, ['n1/h1 host']);
  got.length = 0;
  send(h1, h2.address);
  assert.deepEqual(got, ['n2/h2 host']);
  const fdb = bridgeOf(br)!
    .fdbEntries()
    .filter((e) => !e.local)
    .map((e) => `${e.mac} ${e.port?.dev.name}`);
  assert.deepEqual(fdb, ['02:00:00:00:00:a1 p1', '02:00:00:00:00:a2 p2']);
  assert.equal(k.initNet.drops.size, 0);
});

test('broadcast floods to every other port and goes up on the bridge device', () => {
  const { br, hosts, got, send } = setup();
  send(hosts[0]!, MacAddr.BROADCAST);
  assert.deepEqual(got.sort(), ['host/br0 broadcast', 'n2/h2 broadcast', 'n3/h3 broadcast']);
  const s = br.getStats64();
  assert.equal(s.rxPackets, 1);
  assert.equal(s.rxBytes, 16 - 14); // br_pass_frame_up counts skb->len after the MAC header
});

test('a hairpin port gets its own broadcast back; a port without hairpin does not', () => {
  const { ports, hosts, got, send } = setup();
  bridgeSetPortFlags(ports[0]!, { hairpin: true });
  send(hosts[0]!, MacAddr.BROADCAST);
  assert.ok(got.includes('n1/h1 broadcast'));
  got.length = 0;
  send(hosts[1]!, MacAddr.BROADCAST);
  assert.ok(!got.includes('n2/h2 broadcast'));
  assert.ok(got.includes('n1/h1 broadcast'));
});

test('unicast to a station behind the ingress port is reflected only with hairpin on', () => {
  const { k, ports, hosts, got, send } = setup();
  const h1 = hosts[0]!;
  send(h1, MacAddr.BROADCAST); // learn 02::a1 behind p1
  got.length = 0;
  // A second station behind p1 (same veth, other source MAC) talks to 02::a1.
  const f = hex('0200000000a1 0200000000b1 88b5 0001');
  k.devQueueXmit(new SkBuff(f, h1));
  k.scheduler.runUntilIdle();
  assert.deepEqual(got, []);
  assert.equal(k.initNet.drops.get('BRIDGE_HAIRPIN'), 1);
  bridgeSetPortFlags(ports[0]!, { hairpin: true });
  k.devQueueXmit(new SkBuff(f.slice(), h1));
  k.scheduler.runUntilIdle();
  assert.deepEqual(got, ['n1/h1 host']);
});

test('frames for the bridge MAC are delivered locally; the bridge takes the lowest port MAC', () => {
  const { br, hosts, got, send } = setup();
  assert.equal(br.address.toString(), '02:00:00:00:00:11');
  send(hosts[2]!, br.address);
  assert.deepEqual(got, ['host/br0 host']);
});

test('with the bridge promiscuous, flooded unknown unicast also goes up as otherhost', () => {
  const { k, br, hosts, got, send } = setup();
  k.devChangeFlags(br, IFF_PROMISC, IFF_PROMISC);
  send(hosts[0]!, mac(0xee));
  assert.deepEqual(got.sort(), ['host/br0 otherhost', 'n2/h2 otherhost', 'n3/h3 otherhost']);
});

test('a frame sent on the bridge goes to the learned port only', () => {
  const { k, br, hosts, got, send } = setup();
  send(hosts[1]!, MacAddr.BROADCAST);
  got.length = 0;
  const f = hex('0200000000a2 000000000000 88b5 0001');
  br.address.writeTo(f, 6);
  k.devQueueXmit(new SkBuff(f, br));
  k.scheduler.runUntilIdle();
  assert.deepEqual(got, ['n2/h2 host']);
  assert.equal(br.getStats64().txPackets, 1);
});

test('learned entries age out after 300 s and the destination is flooded again', () => {
  const { k, hosts, got, send } = setup();
  send(hosts[1]!, MacAddr.BROADCAST);
  k.scheduler.runFor(299 * NS_PER_SEC);
  got.length = 0;
  send(hosts[0]!, hosts[1]!.address);
  assert.deepEqual(got, ['n2/h2 host']);
  k.scheduler.runFor(301 * NS_PER_SEC);
  got.length = 0;
  send(hosts[0]!, hosts[1]!.address);
  assert.deepEqual(got.sort(), ['n2/h2 host', 'n3/h3 otherhost']);
});

test('the bridge has carrier while a port is up with carrier', () => {
  const { k, br, ports, hosts } = setup();
  assert.equal(br.carrier, true);
  for (const h of hosts) k.devClose(h);
  assert.equal(br.carrier, false);
  k.devOpen(hosts[2]!);
  assert.equal(br.carrier, true);
  void ports;
});

test('enslaving refuses a claimed device (EBUSY), a no-rx-handler device (EINVAL), a bridge (ELOOP)', () => {
  const { k, br, ports } = setup();
  const br2 = createBridge(k, k.initNet, 'br1');
  const code = (fn: () => void) => {
    try {
      fn();
    } catch (e) {
      return e instanceof ErrnoError ? e.code : String(e);
    }
    return 'ok';
  };
  assert.equal(
    code(() => bridgeAddPort(br2, ports[0]!)),
    'EBUSY',
  );
  const claimed = createDummy(k, k.initNet, 'd0');
  k.netdevRxHandlerRegister(claimed, () => 'pass', null);
  assert.equal(
    code(() => bridgeAddPort(br2, claimed)),
    'EBUSY',
  );
  const slave = createDummy(k, k.initNet, 'd1');
  slave.features.noRxHandler = true;
  assert.equal(
    code(() => bridgeAddPort(br2, slave)),
    'EINVAL',
  );
  assert.equal(
    code(() => bridgeAddPort(br2, br)),
    'ELOOP',
  );
  assert.equal(
    code(() => bridgeAddPort(br2, k.initNet.getByIndex(1)!)),
    'EINVAL',
  );
});

test('a port leaves when released or deleted, and loses promiscuity and its master', () => {
  const { k, br, ports, hosts, got, send } = setup();
  const [p1, p2] = ports as [NetDevice, NetDevice, NetDevice];
  assert.equal(p1.promiscuity, 1);
  assert.equal(p1.master, br);
  bridgeDelPort(br, p1);
  assert.equal(p1.promiscuity, 0);
  assert.equal(p1.master, null);
  assert.equal(p1.rxHandler, null);
  p2.linkKind!.dellink(p2);
  assert.equal(bridgeOf(br)!.ports.length, 1);
  send(hosts[2]!, MacAddr.BROADCAST);
  assert.deepEqual(got, ['host/br0 broadcast']);
  assert.equal(br.address.toString(), '02:00:00:00:00:13');
  void k;
});

test('deleting the bridge releases its ports', () => {
  const { k, br, ports } = setup();
  br.linkKind!.dellink(br);
  assert.equal(br.registered, false);
  for (const p of ports) {
    assert.equal(p.master, null);
    assert.equal(p.rxHandler, null);
  }
  void k;
});

test('a port MAC change moves its local entry and keeps what was learned', () => {
  const { k, br, ports, hosts, send } = setup();
  send(hosts[1]!, MacAddr.BROADCAST);
  const p1 = ports[0]!;
  k.devSetMacAddress(p1, mac(0x01));
  const entries = bridgeOf(br)!
    .fdbEntries()
    .map((e) => `${e.mac} ${e.port?.dev.name ?? '-'} ${e.local ? 'local' : ''}`);
  assert.deepEqual(entries, [
    '02:00:00:00:00:01 - local', // the bridge's own address now, shared with p1
    '02:00:00:00:00:12 p2 local',
    '02:00:00:00:00:13 p3 local',
    '02:00:00:00:00:a2 p2 ',
  ]);
  // The bridge had taken p1's old MAC; it now follows the lowest port MAC.
  assert.equal(br.address.toString(), '02:00:00:00:00:01');
});
