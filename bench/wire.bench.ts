// Wire throughput: frames per second for the receive-side parse (checked views, header
// checksums, Repr) and for describe(), on Ethernet/IPv4/UDP and Ethernet/IPv6/ICMPv6
// frames, each next to a loop that only reads the same bytes.

import { ETH_P_IPV6 } from '../src/uapi/if.ts';
import { IPPROTO_ICMPV6, IPPROTO_UDP } from '../src/uapi/rtnetlink.ts';
import { Ipv6Addr, MacAddr, ipv4FromOctets } from '../src/wire/address.ts';
import { describe } from '../src/wire/describe.ts';
import { EthernetPacket, buildEthernetFrame } from '../src/wire/ethernet.ts';
import {
  Icmpv6Packet,
  icmpv6ChecksumOkIn,
  parseIcmpv6,
  writeIcmpv6Packet,
  icmpv6PacketLen,
} from '../src/wire/icmpv6.ts';
import { Ipv4Packet, buildEthernetIpv4Frame, parseIpv4Header } from '../src/wire/ipv4.ts';
import { Ipv6Packet, ipv6UpperLayer } from '../src/wire/ipv6.ts';
import { UdpPacket, emitUdp, parseUdp, udpLen } from '../src/wire/udp.ts';
import { runBench } from './harness.ts';
import type { Icmpv6Repr } from '../src/wire/icmpv6.ts';

const MAC_A = MacAddr.parse('02:00:00:00:00:01') as MacAddr;
const MAC_B = MacAddr.parse('02:00:00:00:00:02') as MacAddr;

function udp4Frame(payloadLen: number, port: number): Uint8Array {
  const src = ipv4FromOctets(10, 0, 0, 1);
  const dst = ipv4FromOctets(10, 0, 0, 2);
  const built = buildEthernetIpv4Frame(MAC_B, MAC_A, {
    src,
    dst,
    protocol: IPPROTO_UDP,
    ttl: 64,
    dscp: 0,
    ecn: 0,
    ident: port,
    dontFrag: true,
    moreFrags: false,
    fragOffset: 0,
    options: new Uint8Array(0),
    payloadLen: udpLen(payloadLen),
  });
  built.payload.fill(0x5a, 8);
  emitUdp({ srcPort: 40000, dstPort: port }, UdpPacket.unchecked(built.payload), src, dst);
  return built.frame;
}

function icmp6Frame(dataLen: number, seq: number): Uint8Array {
  const repr: Icmpv6Repr = {
    kind: 'echoRequest',
    ident: 7,
    seq,
    data: new Uint8Array(dataLen).fill(0xa5),
  };
  const eth = buildEthernetFrame(MAC_B, MAC_A, ETH_P_IPV6, icmpv6PacketLen(repr));
  writeIcmpv6Packet(
    {
      src: Ipv6Addr.parse('2001:db8::1') as Ipv6Addr,
      dst: Ipv6Addr.parse('2001:db8::2') as Ipv6Addr,
      hopLimit: 64,
    },
    repr,
    eth.payload,
  );
  return eth.frame;
}

/** The receive path of a UDP/IPv4 frame: views, both checksums, the Reprs. */
function parseUdp4(frame: Uint8Array): number {
  const eth = EthernetPacket.checked(frame);
  if (eth === null) return -1;
  const ip = Ipv4Packet.checked(eth.payload);
  if (ip === null) return -2;
  const ipRepr = parseIpv4Header(ip);
  if (ipRepr === null) return -3;
  const udp = UdpPacket.checked(ip.payload);
  if (udp === null) return -4;
  const repr = parseUdp(udp, ipRepr.src, ipRepr.dst);
  return repr === null ? -5 : repr.dstPort;
}

/** The receive path of an ICMPv6 echo: views, the extension-header walk, the checksum, the Repr. */
function parseIcmp6(frame: Uint8Array): number {
  const eth = EthernetPacket.checked(frame);
  if (eth === null) return -1;
  const ip = Ipv6Packet.checked(eth.payload);
  if (ip === null) return -2;
  const upper = ipv6UpperLayer(ip);
  if (upper === null || upper.protocol !== IPPROTO_ICMPV6) return -3;
  const msg = Icmpv6Packet.checked(ip.bytes.subarray(upper.offset, ip.totalLength));
  if (msg === null || !icmpv6ChecksumOkIn(ip, msg)) return -4;
  const repr = parseIcmpv6(msg);
  return repr !== null && repr.kind === 'echoRequest' ? repr.seq : -5;
}

const udp4 = [udp4Frame(18, 53), udp4Frame(64, 5000), udp4Frame(512, 6000), udp4Frame(1472, 7000)];
const icmp6 = [icmp6Frame(56, 1), icmp6Frame(8, 2), icmp6Frame(512, 3), icmp6Frame(1232, 4)];

// Refuse to measure a broken path: every frame must parse.
for (const f of udp4)
  if (parseUdp4(f) < 0) throw new Error(`udp4 frame does not parse: ${parseUdp4(f)}`);
for (const f of icmp6)
  if (parseIcmp6(f) < 0) throw new Error(`icmp6 frame does not parse: ${parseIcmp6(f)}`);

const N = 400_000;
runBench('wire: frames per second (parse = checked views + checksums + Repr)', [
  { name: 'parse eth/ipv4/udp', inputs: udp4, run: parseUdp4, iterations: N },
  { name: 'describe eth/ipv4/udp', inputs: udp4, run: describe, iterations: N / 4 },
  { name: 'parse eth/ipv6/icmpv6', inputs: icmp6, run: parseIcmp6, iterations: N },
  { name: 'describe eth/ipv6/icmpv6', inputs: icmp6, run: describe, iterations: N / 4 },
]);
