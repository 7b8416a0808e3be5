// `ipvlan demo` (what `npm start` runs): the seed HOWTO's section-6 topology on the
// emulated network — host1 with eth0 on a wire to a router, ipvl0 in ns0 and ipvl1 in
// ns1 — and, for each port flag, what the ipvlan engine does with a slave's unicast to
// the other slave, its broadcast, and its unicast to the router. Frames are built by
// hand here; every line after "→" is observed, not scripted.

import { MacAddr, parseIpv4, type IpAddr } from '../wire/address.ts';
import { describe } from '../wire/describe.ts';
import { hex } from '../wire/bytes.ts';
import { World } from '../emu/world.ts';
import type { NetDevice } from '../stack/netdev.ts';
import { SkBuff } from '../stack/skb.ts';
import { IPVLAN_F_PRIVATE, IPVLAN_F_VEPA } from '../uapi/if.ts';
import { ipvlanModuleInit, ipvlanNewLink } from '../ipvlan/main.ts';

const HOST_MAC = '52:54:00:12:34:56';
const ROUTER_MAC = '52:54:00:ab:cd:ef';

function ipHex(text: string): string {
  return text
    .split('.')
    .map((n) => Number(n).toString(16).padStart(2, '0'))
    .join('');
}

function udpFrame(dstMac: string, srcMac: string, src: string, dst: string): Uint8Array {
  const m = (s: string) => s.replace(/:/g, '');
  return hex(`${m(dstMac)} ${m(srcMac)} 0800 4500 002e 0001 4000 4011 0000 ${ipHex(src)} ${ipHex(dst)}
    1388 1389 001a 0000 ${'00'.repeat(18)}`);
}

function arpRequest(srcMac: string, src: string, target: string): Uint8Array {
  const m = srcMac.replace(/:/g, '');
  return hex(`ffffffffffff ${m} 0806 0001 0800 0604 0001 ${m} ${ipHex(src)} 000000000000 ${ipHex(target)}
    ${'00'.repeat(18)}`);
}

const PICTURE = `
  +================ host1 =================+
  |  +--- ns0 ----+        +--- ns1 ----+  |
  |  |   ipvl0    |        |   ipvl1    |  |
  |  | .50.10/24  |        | .50.11/24  |  |
  |  +-----#------+        +-----#------+  |
  |        ###########################     |
  |                    # eth0 (master)     |
  +====================#===================+
                       #  wire "lan"
                  router 192.168.50.1
`;

function run(flags: number, out: (line: string) => void): void {
  const world = new World({ seed: 1 });
  const host = world.addHost('host1');
  const router = world.addHost('router');
  const lan = world.addWire('lan');
  const k = host.kernel;
  ipvlanModuleInit(k);
  const eth0 = host.addNic('eth0', { address: MacAddr.parse(HOST_MAC)! });
  const reth = router.addNic('eth0', { address: MacAddr.parse(ROUTER_MAC)! });
  lan.attach(eth0);
  lan.attach(reth);
  k.devOpen(eth0);
  router.kernel.devOpen(reth);
  const ns0 = k.addNetns('ns0');
  const ns1 = k.addNetns('ns1');
  const mode = { mode: 0, flags };
  const ipvl0 = ipvlanNewLink(k, { link: eth0, name: 'ipvl0', data: mode });
  const ipvl1 = ipvlanNewLink(k, { link: eth0, name: 'ipvl1', data: mode });
  k.changeNetns(ipvl0, ns0);
  k.changeNetns(ipvl1, ns1);
  for (const [dev, ip] of [
    [ipvl0, '192.168.50.10'],
    [ipvl1, '192.168.50.11'],
  ] as const) {
    const addr = parseIpv4(ip) as IpAddr;
    // What the IP layer announces when `ip -4 addr add` succeeds.
    for (const n of k.inetaddrChain) n({ type: 'NETDEV_UP', dev, addr, prefixLen: 24 });
    k.devOpen(dev);
  }
  // Stand-ins for the IP layers: record which device's stack got which frame.
  const seen: string[] = [];
  const drops: string[] = [];
  for (const kernel of [k, router.kernel]) {
    for (const type of [0x0800, 0x0806]) kernel.ptypes.set(type, (skb) => seen.push(skb.dev.path));
  }
  world.setTracer((_h, e) => {
    if (e.kind === 'drop') drops.push(`dropped at ${e.where}: ${e.detail}`);
  });
  const send = (dev: NetDevice, label: string, frame: Uint8Array): void => {
    seen.length = 0;
    drops.length = 0;
    const verdict = k.devQueueXmit(new SkBuff(frame, dev));
    world.runUntilIdle();
    out(`  ${label}`);
    out(`      ${describe(frame)}`);
    const who = [...new Set(seen)].join(', ') || 'nobody';
    out(`      → send ${verdict === 'ok' ? 'succeeded' : 'failed (ENOBUFS)'}; reached: ${who}`);
    for (const d of drops) out(`        ${d}`);
  };
  send(
    ipvl0,
    'ns0/ipvl0 → 192.168.50.11 (the other slave)',
    udpFrame(HOST_MAC, HOST_MAC, '192.168.50.10', '192.168.50.11'),
  );
  send(
    ipvl0,
    'ns0/ipvl0 broadcasts an ARP request',
    arpRequest(HOST_MAC, '192.168.50.10', '192.168.50.1'),
  );
  send(
    ipvl0,
    'ns0/ipvl0 → router 192.168.50.1',
    udpFrame(ROUTER_MAC, HOST_MAC, '192.168.50.10', '192.168.50.1'),
  );
  const s0 = ipvl0.getStats64();
  const s1 = ipvl1.getStats64();
  out(
    `  counters: ipvl0 tx ${s0.txPackets} (dropped ${s0.txDropped}), ipvl1 rx ${s1.rxPackets} (multicast ${s1.multicast})`,
  );
}

/** Prints the demo to `out`. */
export function demo(out: (line: string) => void): void {
  out('ipvlan.ts — the seed example (ipvlan HOWTO §6) on the emulated network');
  out(PICTURE);
  for (const [name, flags] of [
    ['l2 bridge', 0],
    ['l2 private', IPVLAN_F_PRIVATE],
    ['l2 vepa (the wire is a plain cable: nothing reflects frames back)', IPVLAN_F_VEPA],
  ] as const) {
    out(`ip link add link eth0 ipvlN type ipvlan mode ${name}`);
    run(flags, out);
    out('');
  }
}
