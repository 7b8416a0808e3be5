// Test helpers for the netfilter unit tests: a kernel with two dummy devices and
// builders for the datagrams the tests push through the hooks (built with src/wire so
// their checksums are real). Not used by the stack itself.

import { Ipv6Addr, parseIp, type IpAddr, type Ipv4Addr } from '../../wire/address.ts';
import { buildIpv4Packet } from '../../wire/ipv4.ts';
import { emitIcmpv4, Icmpv4Packet, type Icmpv4Repr } from '../../wire/icmpv4.ts';
import { buildIcmpv6Packet } from '../../wire/icmpv6.ts';
import { emitTcp, TcpPacket } from '../../wire/tcp.ts';
import { emitUdp, UdpPacket } from '../../wire/udp.ts';
import { createDummy } from '../dummy.ts';
import { Kernel } from '../kernel.ts';
import { createLoopback } from '../loopback.ts';
import type { NetDevice } from '../netdev.ts';
import type { NetNamespace } from '../netns.ts';
import { SkBuff } from '../skb.ts';
import { nfHook, type NfInetHook, type NfProto, type NfVerdict } from './hooks.ts';

export interface TestHost {
  readonly kernel: Kernel;
  readonly ns: NetNamespace;
  readonly eth0: NetDevice;
  readonly eth1: NetDevice;
}

export function testHost(): TestHost {
  const kernel = new Kernel({ hostname: 'h1' });
  kernel.setLoopbackFactory(createLoopback);
  const ns = kernel.initNet;
  return {
    kernel,
    ns,
    eth0: createDummy(kernel, ns, 'eth0'),
    eth1: createDummy(kernel, ns, 'eth1'),
  };
}

export function v4(text: string): Ipv4Addr {
  const a = parseIp(text);
  if (a === null || typeof a !== 'number') throw new Error(`bad IPv4 ${text}`);
  return a;
}

export function v6(text: string): Ipv6Addr {
  const a = Ipv6Addr.parse(text);
  if (a === null) throw new Error(`bad IPv6 ${text}`);
  return a;
}

function ipv4Datagram(src: Ipv4Addr, dst: Ipv4Addr, protocol: number, payloadLen: number) {
  return buildIpv4Packet({
    src,
    dst,
    protocol,
    ttl: 64,
    dscp: 0,
    ecn: 0,
    ident: 1,
    dontFrag: true,
    moreFrags: false,
    fragOffset: 0,
    options: new Uint8Array(0),
    payloadLen,
  });
}

/** An IPv4 ICMP message (84 bytes for an echo with ping's 56 data bytes). */
export function icmp4(src: string, dst: string, repr: Icmpv4Repr): Uint8Array {
  const len = 8 + repr.data.length;
  const built = ipv4Datagram(v4(src), v4(dst), 1, len);
  emitIcmpv4(repr, Icmpv4Packet.unchecked(built.payload));
  return built.frame;
}

export function echo4(
  src: string,
  dst: string,
  kind: 'echoRequest' | 'echoReply',
  ident: number,
  seq = 1,
): Uint8Array {
  return icmp4(src, dst, { kind, ident, seq, data: new Uint8Array(56).fill(0x42) });
}

export function udp4(
  src: string,
  dst: string,
  sport: number,
  dport: number,
  payload = 4,
): Uint8Array {
  const built = ipv4Datagram(v4(src), v4(dst), 17, 8 + payload);
  built.payload.fill(0x61, 8);
  emitUdp({ srcPort: sport, dstPort: dport }, UdpPacket.unchecked(built.payload), v4(src), v4(dst));
  return built.frame;
}

export function tcp4(
  src: string,
  dst: string,
  sport: number,
  dport: number,
  flags: number,
): Uint8Array {
  const built = ipv4Datagram(v4(src), v4(dst), 6, 20);
  emitTcp(
    {
      srcPort: sport,
      dstPort: dport,
      seq: 1000,
      ack: 0,
      flags,
      window: 65535,
      urgentPointer: 0,
      options: new Uint8Array(0),
    },
    TcpPacket.unchecked(built.payload),
    v4(src),
    v4(dst),
  );
  return built.frame;
}

export function echo6(
  src: string,
  dst: string,
  kind: 'echoRequest' | 'echoReply',
  ident: number,
): Uint8Array {
  return buildIcmpv6Packet(
    { src: v6(src), dst: v6(dst), hopLimit: 64 },
    { kind, ident, seq: 1, data: new Uint8Array(56).fill(0x42) },
  );
}

/** An skb whose data starts at the network header, as after eth_type_trans. */
export function skbOf(bytes: Uint8Array, dev: NetDevice): SkBuff {
  const skb = new SkBuff(bytes.slice(), dev);
  skb.network = 0;
  return skb;
}

/** The hooks a packet crosses on each of the three IP paths, in order. */
export const PATHS: Readonly<Record<'in' | 'out' | 'fwd', readonly NfInetHook[]>> = {
  in: ['prerouting', 'input'],
  out: ['output', 'postrouting'],
  fwd: ['prerouting', 'forward', 'postrouting'],
};

/**
 * Pushes `skb` through the hooks of `path` as the IP layer would and returns the first
 * non-accept verdict, or accept. `inDev`/`outDev` are the devices the hooks are told.
 */
export function traverse(
  ns: NetNamespace,
  pf: NfProto,
  path: 'in' | 'out' | 'fwd',
  skb: SkBuff,
  inDev: NetDevice | null,
  outDev: NetDevice | null,
): NfVerdict {
  for (const hook of PATHS[path]) {
    const i = hook === 'prerouting' || hook === 'input' || hook === 'forward' ? inDev : null;
    const o = hook === 'output' || hook === 'postrouting' || hook === 'forward' ? outDev : null;
    const v = nfHook(ns, pf, hook, skb, i, o);
    if (v !== 'accept') return v;
  }
  return 'accept';
}

export type { IpAddr };
