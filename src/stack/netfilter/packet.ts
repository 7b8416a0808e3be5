// What netfilter reads from an skb at a hook: the L3 header from `skb.network`, the
// transport protocol after IPv6 extension headers, and where the transport header is.
// Conntrack, NAT and nft rules all start here, so a malformed packet is judged once.
// Never throws: anything that does not parse comes back as null.

import { ipv4At, Ipv6Addr, type IpAddr } from '../../wire/address.ts';
import { Ipv4Packet } from '../../wire/ipv4.ts';
import { Ipv6Packet, ipv6UpperLayer } from '../../wire/ipv6.ts';
import type { SkBuff } from '../skb.ts';
import type { NfProto } from './hooks.ts';

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;

/** A packet as netfilter sees it at a hook. */
export interface NfPacket {
  readonly pf: NfProto;
  /** The datagram from the network header, bounded by its total length (no link padding). */
  readonly l3: Uint8Array;
  readonly src: IpAddr;
  readonly dst: IpAddr;
  /** The transport protocol (IPPROTO_*), after any IPv6 extension headers. */
  readonly proto: number;
  /** Offset of the transport header in `l3`; -1 for a non-first fragment. */
  readonly l4Offset: number;
  /** True for any fragment (MF set or a nonzero offset). */
  readonly fragment: boolean;
}

/** Offset of the network header in `skb.data` (0 when the caller never set one). */
export function networkOffset(skb: SkBuff): number {
  return skb.network < 0 ? 0 : skb.network;
}

/**
 * Reads the packet at `skb.network` as family `pf`, or returns null when its header is
 * malformed (wrong version, lengths that do not fit, a broken extension-header chain).
 */
export function nfPacket(skb: SkBuff, pf: NfProto): NfPacket | null {
  const data = skb.data.subarray(networkOffset(skb));
  if (pf === 'ipv4') {
    const ip = Ipv4Packet.checked(data);
    if (ip === null) return null;
    const l3 = data.subarray(0, ip.totalLen);
    const first = ip.fragOffset === 0;
    return {
      pf,
      l3,
      src: ipv4At(l3, 12),
      dst: ipv4At(l3, 16),
      proto: ip.protocol,
      l4Offset: first ? ip.headerLen : -1,
      fragment: ip.isFragment,
    };
  }
  const ip = Ipv6Packet.checked(data);
  if (ip === null) return null;
  const upper = ipv6UpperLayer(ip);
  if (upper === null) return null;
  const l3 = data.subarray(0, ip.totalLength);
  const nonFirst = upper.fragment !== null && upper.fragment.fragmentOffset !== 0;
  return {
    pf,
    l3,
    src: Ipv6Addr.fromBytes(l3, 8),
    dst: Ipv6Addr.fromBytes(l3, 24),
    proto: upper.protocol,
    l4Offset: nonFirst ? -1 : upper.offset,
    fragment: upper.fragment !== null,
  };
}

/** The transport header and what follows, or an empty window for a non-first fragment. */
export function l4Bytes(pkt: NfPacket): Uint8Array {
  return pkt.l4Offset < 0 ? pkt.l3.subarray(pkt.l3.length) : pkt.l3.subarray(pkt.l4Offset);
}
