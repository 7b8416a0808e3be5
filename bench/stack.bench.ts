// The emulated stack's cost: ping round trips per second and UDP datagrams per second
// from host A through a wire to host B (each through sockets, IP, ARP-resolved
// neighbours, the NICs and the scheduler), beside a same-run baseline that only builds
// the same Ethernet/IPv4/UDP frame bytes (what the work costs without the stack).

import { World } from '../src/emu/world.ts';
import { addAddress } from '../src/stack/inet.ts';
import { installInetStack } from '../src/stack/stack.ts';
import { echoRequest, openSocket } from '../src/stack/socket.ts';
import { MacAddr, ipv4FromOctets } from '../src/wire/address.ts';
import { buildEthernetIpv4Frame } from '../src/wire/ipv4.ts';
import { UdpPacket, emitUdp, udpLen } from '../src/wire/udp.ts';
import { IPPROTO_UDP } from '../src/uapi/rtnetlink.ts';
import { formatResult, runCase } from './harness.ts';

const A = ipv4FromOctets(10, 0, 0, 1);
const B = ipv4FromOctets(10, 0, 0, 2);
const MAC_A = MacAddr.parse('02:00:00:00:00:01')!;
const MAC_B = MacAddr.parse('02:00:00:00:00:02')!;

function twoHosts() {
  const world = new World({ seed: 1 });
  const devs = (['a', 'b'] as const).map((name, i) => {
    const host = world.addHost(name);
    installInetStack(host.kernel);
    host.kernel.devOpen(host.kernel.initNet.getByIndex(1)!);
    const dev = host.addNic('eth0', { address: i === 0 ? MAC_A : MAC_B });
    host.kernel.devOpen(dev);
    addAddress(dev, { local: i === 0 ? A : B, prefixLen: 24 });
    return { host, dev };
  });
  const wire = world.addWire('lan');
  for (const d of devs) wire.attach(d.dev);
  world.runUntilIdle(10_000_000_000);
  return { world, a: devs[0]!.host, b: devs[1]!.host };
}

const payload = new Uint8Array(56);

/** The baseline: build one Ethernet/IPv4/UDP frame with checksums, no stack. */
function buildFrame(): Uint8Array {
  const built = buildEthernetIpv4Frame(MAC_B, MAC_A, {
    src: A,
    dst: B,
    protocol: IPPROTO_UDP,
    ttl: 64,
    dscp: 0,
    ecn: 0,
    ident: 0,
    dontFrag: true,
    moreFrags: false,
    fragOffset: 0,
    options: new Uint8Array(0),
    payloadLen: udpLen(payload.length),
  });
  built.payload.set(payload, 8);
  emitUdp({ srcPort: 40000, dstPort: 9 }, UdpPacket.unchecked(built.payload), A, B);
  return built.frame;
}

{
  const { world, a } = twoHosts();
  const sock = openSocket(a.kernel.initNet, 4, 'ping');
  let seq = 0;
  let replies = 0;
  const rtt = runCase({
    name: 'ping round trip a → wire → b → a',
    inputs: [payload],
    iterations: 50_000,
    run: () => {
      sock.sendto(echoRequest(4, ++seq & 0xffff, payload), B);
      world.runUntilIdle();
      if (sock.recvfrom() !== null) replies++;
      return replies;
    },
  });
  const base = runCase({
    name: 'baseline: build the frame',
    inputs: [payload],
    iterations: 50_000,
    run: buildFrame,
  });
  console.log('# stack: ping (baseline: building one UDP frame, no stack)');
  console.log(formatResult(rtt));
  console.log(formatResult(base));
  console.log(
    `stack ping: ${Math.round(rtt.opsPerSec).toLocaleString('en-US')} round trips/s, ${replies} replies`,
  );
}

{
  const { world, a, b } = twoHosts();
  const tx = openSocket(a.kernel.initNet, 4, 'udp');
  const rx = openSocket(b.kernel.initNet, 4, 'udp');
  rx.bind(null, 9);
  let pending = 0;
  let received = 0;
  const udp = runCase({
    name: 'udp a → wire → b, 56 B',
    inputs: [payload],
    iterations: 200_000,
    run: () => {
      tx.sendto(payload, B, 9);
      if (++pending === 64) {
        pending = 0;
        world.runUntilIdle();
        while (rx.recvfrom() !== null) received++;
      }
      return received;
    },
  });
  const base = runCase({
    name: 'baseline: build the frame',
    inputs: [payload],
    iterations: 200_000,
    run: buildFrame,
  });
  console.log('# stack: UDP datagrams (baseline: building one UDP frame, no stack)');
  console.log(formatResult(udp));
  console.log(formatResult(base));
  console.log(
    `stack udp: ${Math.round(udp.opsPerSec).toLocaleString('en-US')} datagrams/s, ${received} received`,
  );
}
