// IPv6 (RFC 8200): the fixed header, the extension-header walk to the upper-layer
// protocol (Hop-by-Hop, Routing, Fragment, Destination Options, AH), and the address
// helpers the neighbour layer needs (solicited-node groups, 33:33 MACs, EUI-64
// interface identifiers including Linux's dev_id variant). Jumbograms (RFC 2675) are
// not supported: a payload length of 0 means an empty payload.

import {
  IPPROTO_AH,
  IPPROTO_DSTOPTS,
  IPPROTO_FRAGMENT,
  IPPROTO_HOPOPTS,
  IPPROTO_NONE,
  IPPROTO_ROUTING,
} from '../uapi/rtnetlink.ts';
import { Ipv6Addr, MacAddr } from './address.ts';
import { be16, be32, setBe16, setBe32 } from './bytes.ts';

// RFC 8200 §3
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |Version| Traffic Class |           Flow Label                  |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |         Payload Length        |  Next Header  |   Hop Limit   |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                                                               |
// +                         Source Address                        +
// |                      (16 bytes, offset 8)                     |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                                                               |
// +                      Destination Address                      +
// |                      (16 bytes, offset 24)                    |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
const VER_TC_FLOW = 0;
const PAYLOAD_LEN = 4;
const NEXT_HEADER = 6;
const HOP_LIMIT = 7;
/** Offset of the source address; key it without allocating with `ipv6KeyAt(bytes, IPV6_SRC_OFFSET)`. */
export const IPV6_SRC_OFFSET = 8;
/** Offset of the destination address. */
export const IPV6_DST_OFFSET = 24;
export const IPV6_HEADER_LEN = 40;
/** RFC 8200 §5: every link carries at least this many bytes in one piece (Linux IPV6_MIN_MTU). */
export const IPV6_MIN_MTU = 1280;

/** An IPv6 packet seen through its bytes. Never copies. */
export class Ipv6Packet {
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /**
   * Wraps untrusted bytes, or returns `null` when they are shorter than the header, the
   * version is not 6, or the payload length runs past the end. Bytes after the payload
   * (Ethernet padding) are allowed and ignored. After this succeeds, no getter reads out
   * of bounds.
   */
  static checked(bytes: Uint8Array): Ipv6Packet | null {
    if (bytes.length < IPV6_HEADER_LEN) return null;
    if ((bytes[VER_TC_FLOW] as number) >>> 4 !== 6) return null;
    if (IPV6_HEADER_LEN + be16(bytes, PAYLOAD_LEN) > bytes.length) return null;
    return new Ipv6Packet(bytes);
  }

  /** Wraps a buffer we sized ourselves and are about to fill. */
  static unchecked(bytes: Uint8Array): Ipv6Packet {
    return new Ipv6Packet(bytes);
  }

  get version(): number {
    return (this.bytes[VER_TC_FLOW] as number) >>> 4;
  }
  get trafficClass(): number {
    return (be16(this.bytes, VER_TC_FLOW) >>> 4) & 0xff;
  }
  /** The 20-bit flow label. */
  get flowLabel(): number {
    return be32(this.bytes, VER_TC_FLOW) & 0xfffff;
  }
  get payloadLength(): number {
    return be16(this.bytes, PAYLOAD_LEN);
  }
  get nextHeader(): number {
    return this.bytes[NEXT_HEADER] as number;
  }
  get hopLimit(): number {
    return this.bytes[HOP_LIMIT] as number;
  }
  /** The source address (allocates; use `IPV6_SRC_OFFSET` with `ipv6KeyAt` on hot paths). */
  get src(): Ipv6Addr {
    return Ipv6Addr.fromBytes(this.bytes, IPV6_SRC_OFFSET);
  }
  get dst(): Ipv6Addr {
    return Ipv6Addr.fromBytes(this.bytes, IPV6_DST_OFFSET);
  }
  get srcIsUnspecified(): boolean {
    for (let i = 0; i < 16; i++) if (this.bytes[IPV6_SRC_OFFSET + i] !== 0) return false;
    return true;
  }
  get srcIsMulticast(): boolean {
    return this.bytes[IPV6_SRC_OFFSET] === 0xff;
  }
  get dstIsMulticast(): boolean {
    return this.bytes[IPV6_DST_OFFSET] === 0xff;
  }
  /** Header plus payload; what follows (link padding) is not part of the packet. */
  get totalLength(): number {
    return IPV6_HEADER_LEN + this.payloadLength;
  }
  /** Everything after the fixed header up to the payload length (extension headers included). */
  get payload(): Uint8Array {
    return this.bytes.subarray(IPV6_HEADER_LEN, this.totalLength);
  }
  /** The packet without link padding. */
  get packet(): Uint8Array {
    return this.bytes.subarray(0, this.totalLength);
  }

  /**
   * The one's-complement accumulator of the RFC 8200 §8.1 pseudo-header for an
   * upper-layer packet of `length` bytes, read straight from the header (no allocation).
   */
  pseudoSum(nextHeader: number, length: number): number {
    let sum = (length >>> 16) + (length & 0xffff) + nextHeader;
    for (let i = IPV6_SRC_OFFSET; i < IPV6_DST_OFFSET + 16; i += 2) sum += be16(this.bytes, i);
    return sum;
  }

  /** Writes version 6 and keeps traffic class and flow label. */
  setVersion(value: number): void {
    const b = this.bytes[VER_TC_FLOW] as number;
    this.bytes[VER_TC_FLOW] = ((value & 0xf) << 4) | (b & 0x0f);
  }
  setTrafficClass(value: number): void {
    const word = be16(this.bytes, VER_TC_FLOW);
    setBe16(this.bytes, VER_TC_FLOW, (word & 0xf00f) | ((value & 0xff) << 4));
  }
  setFlowLabel(value: number): void {
    const word = be32(this.bytes, VER_TC_FLOW);
    setBe32(this.bytes, VER_TC_FLOW, ((word & 0xfff00000) | (value & 0xfffff)) >>> 0);
  }
  setPayloadLength(value: number): void {
    setBe16(this.bytes, PAYLOAD_LEN, value);
  }
  setNextHeader(value: number): void {
    this.bytes[NEXT_HEADER] = value;
  }
  setHopLimit(value: number): void {
    this.bytes[HOP_LIMIT] = value;
  }
  setSrc(addr: Ipv6Addr): void {
    addr.writeTo(this.bytes, IPV6_SRC_OFFSET);
  }
  setDst(addr: Ipv6Addr): void {
    addr.writeTo(this.bytes, IPV6_DST_OFFSET);
  }
}

/** The fixed IPv6 header as a value. */
export interface Ipv6Repr {
  readonly src: Ipv6Addr;
  readonly dst: Ipv6Addr;
  readonly nextHeader: number;
  readonly payloadLength: number;
  readonly hopLimit: number;
  readonly trafficClass: number;
  readonly flowLabel: number;
}

/** Reads the fixed header as a value. Every checked packet has one, so this never fails. */
export function parseIpv6(pkt: Ipv6Packet): Ipv6Repr {
  return {
    src: pkt.src,
    dst: pkt.dst,
    nextHeader: pkt.nextHeader,
    payloadLength: pkt.payloadLength,
    hopLimit: pkt.hopLimit,
    trafficClass: pkt.trafficClass,
    flowLabel: pkt.flowLabel,
  };
}

/** Writes the 40-byte fixed header; `out` must be at least `IPV6_HEADER_LEN` long. */
export function emitIpv6(repr: Ipv6Repr, out: Ipv6Packet): void {
  setBe32(out.bytes, VER_TC_FLOW, 0x60000000);
  out.setTrafficClass(repr.trafficClass);
  out.setFlowLabel(repr.flowLabel);
  out.setPayloadLength(repr.payloadLength);
  out.setNextHeader(repr.nextHeader);
  out.setHopLimit(repr.hopLimit);
  out.setSrc(repr.src);
  out.setDst(repr.dst);
}

/** What a builder needs to know about the IPv6 header it writes; the rest it derives. */
export interface Ipv6Header {
  readonly src: Ipv6Addr;
  readonly dst: Ipv6Addr;
  readonly hopLimit: number;
  readonly trafficClass?: number;
  readonly flowLabel?: number;
}

/**
 * Writes a fixed header for `payloadLength` bytes of `nextHeader` into `out` (which must
 * be at least 40 bytes) and returns the payload window.
 */
export function writeIpv6Header(
  header: Ipv6Header,
  nextHeader: number,
  payloadLength: number,
  out: Uint8Array,
): Uint8Array {
  emitIpv6(
    {
      src: header.src,
      dst: header.dst,
      nextHeader,
      payloadLength,
      hopLimit: header.hopLimit,
      trafficClass: header.trafficClass ?? 0,
      flowLabel: header.flowLabel ?? 0,
    },
    Ipv6Packet.unchecked(out),
  );
  return out.subarray(IPV6_HEADER_LEN, IPV6_HEADER_LEN + payloadLength);
}

// ---------------------------------------------------------------- extension headers

// RFC 8200 §4.3/§4.6 Hop-by-Hop and Destination Options, §4.4 Routing:
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Next Header  |  Hdr Ext Len  |  (type-specific, 6 bytes)     |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// .          ... (Hdr Ext Len + 1) * 8 bytes in all               .
// RFC 8200 §4.5 Fragment (always 8 bytes):
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Next Header  |   Reserved    |      Fragment Offset    |Res|M|
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                         Identification                        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// RFC 4302 §2.2 AH: like the above, but Payload Len counts 4-byte words minus 2.
const EXT_NEXT_HEADER = 0;
const EXT_LEN = 1;
const FRAG_OFFSET_FLAGS = 2;
const FRAG_ID = 4;
const ROUTING_SEGMENTS_LEFT = 3;
export const IPV6_FRAG_HEADER_LEN = 8;

/** Option types (RFC 8200 §4.2, RFC 2711). */
export const IPV6_TLV_PAD1 = 0;
export const IPV6_TLV_PADN = 1;
export const IPV6_TLV_ROUTERALERT = 5;
/** Router Alert values (RFC 2711 §2.1). */
export const IPV6_OPT_ROUTERALERT_MLD = 0;

/** A Fragment header found by the walk. */
export interface Ipv6FragmentInfo {
  /** Where the Fragment header starts, from the start of the IPv6 header. */
  readonly headerOffset: number;
  /** The fragment's position in the original payload, in bytes (a multiple of 8). */
  readonly fragmentOffset: number;
  /** The M flag: more fragments follow. */
  readonly more: boolean;
  readonly id: number;
}

/** Where the upper-layer header is, and what the extension headers on the way said. */
export interface Ipv6UpperLayer {
  /**
   * The upper-layer protocol (IPPROTO_*): 59 (No Next Header) when the chain says
   * nothing follows, 50 (ESP) when the rest is encrypted.
   */
  readonly protocol: number;
  /**
   * Offset of the upper-layer header from the start of the IPv6 header. For a fragment
   * with a non-zero offset this is where its data starts, not a header.
   */
  readonly offset: number;
  readonly fragment: Ipv6FragmentInfo | null;
  /** The Router Alert value from the Hop-by-Hop header (0 = MLD), or -1 when absent. */
  readonly routerAlert: number;
  /** Offset of the first Routing header with Segments Left > 0, or -1. */
  readonly routingOffset: number;
  /**
   * Offset of the first option (Hop-by-Hop or Destination) that we do not recognise and
   * whose action bits (RFC 8200 §4.2, the two high bits of the type) are not "skip", or
   * -1. The stack reads the type at this offset to choose between a silent drop and an
   * ICMPv6 Parameter Problem (code 2) pointing here.
   */
  readonly badOptionOffset: number;
}

/**
 * Walks the extension headers of `pkt` to the upper-layer protocol (Linux: the loop of
 * ipv6_skip_exthdr, plus what ip6_parse_tlv looks at). Returns `null` when a header or
 * option runs past the payload length, when Hop-by-Hop appears anywhere but first
 * (RFC 8200 §4.1), or when the first fragment does not hold the whole chain (RFC 7112).
 * Stops at a non-first fragment. Never throws; each step advances at least 8 bytes, so
 * the loop ends within payloadLength / 8 steps.
 */
export function ipv6UpperLayer(pkt: Ipv6Packet): Ipv6UpperLayer | null {
  const bytes = pkt.bytes;
  const end = pkt.totalLength;
  let protocol = pkt.nextHeader;
  let offset = IPV6_HEADER_LEN;
  let fragment: Ipv6FragmentInfo | null = null;
  let routerAlert = -1;
  let routingOffset = -1;
  let badOptionOffset = -1;
  for (;;) {
    switch (protocol) {
      case IPPROTO_HOPOPTS:
      case IPPROTO_DSTOPTS: {
        if (protocol === IPPROTO_HOPOPTS && offset !== IPV6_HEADER_LEN) return null;
        if (offset + 8 > end) return null;
        const len = ((bytes[offset + EXT_LEN] as number) + 1) * 8;
        if (offset + len > end) return null;
        // Walk the TLV options (RFC 8200 §4.2); a malformed one makes the header invalid.
        let opt = offset + 2;
        const optEnd = offset + len;
        while (opt < optEnd) {
          const type = bytes[opt] as number;
          if (type === IPV6_TLV_PAD1) {
            opt++;
            continue;
          }
          if (opt + 2 > optEnd) return null;
          const optLen = bytes[opt + 1] as number;
          if (opt + 2 + optLen > optEnd) return null;
          if (type === IPV6_TLV_ROUTERALERT && protocol === IPPROTO_HOPOPTS) {
            if (optLen !== 2) return null; // RFC 2711 §2.1: the value is exactly 2 bytes
            if (routerAlert < 0) routerAlert = be16(bytes, opt + 2);
          } else if (type !== IPV6_TLV_PADN && type >>> 6 !== 0 && badOptionOffset < 0) {
            badOptionOffset = opt;
          }
          opt += 2 + optLen;
        }
        protocol = bytes[offset + EXT_NEXT_HEADER] as number;
        offset += len;
        break;
      }
      case IPPROTO_ROUTING: {
        if (offset + 8 > end) return null;
        const len = ((bytes[offset + EXT_LEN] as number) + 1) * 8;
        if (offset + len > end) return null;
        if (routingOffset < 0 && bytes[offset + ROUTING_SEGMENTS_LEFT] !== 0)
          routingOffset = offset;
        protocol = bytes[offset + EXT_NEXT_HEADER] as number;
        offset += len;
        break;
      }
      case IPPROTO_FRAGMENT: {
        if (offset + IPV6_FRAG_HEADER_LEN > end) return null;
        const word = be16(bytes, offset + FRAG_OFFSET_FLAGS);
        const info: Ipv6FragmentInfo = {
          headerOffset: offset,
          fragmentOffset: word & 0xfff8,
          more: (word & 1) === 1,
          id: be32(bytes, offset + FRAG_ID),
        };
        // A second Fragment header is malformed: RFC 8200 §4.1 allows each header once
        // (Destination Options excepted), and Linux's reassembly would not nest.
        if (fragment !== null) return null;
        fragment = info;
        protocol = bytes[offset + EXT_NEXT_HEADER] as number;
        offset += IPV6_FRAG_HEADER_LEN;
        if (info.fragmentOffset !== 0) {
          return { protocol, offset, fragment, routerAlert, routingOffset, badOptionOffset };
        }
        break;
      }
      case IPPROTO_AH: {
        if (offset + 8 > end) return null;
        const len = ((bytes[offset + EXT_LEN] as number) + 2) * 4;
        if (offset + len > end) return null;
        protocol = bytes[offset + EXT_NEXT_HEADER] as number;
        offset += len;
        break;
      }
      case IPPROTO_NONE:
      default:
        return { protocol, offset, fragment, routerAlert, routingOffset, badOptionOffset };
    }
  }
}

/** A Fragment header as a value. */
export interface Ipv6FragmentRepr {
  readonly nextHeader: number;
  /** In bytes; must be a multiple of 8. */
  readonly fragmentOffset: number;
  readonly more: boolean;
  readonly id: number;
}

/** Writes an 8-byte Fragment header at `offset` of `out`. */
export function writeIpv6FragmentHeader(
  repr: Ipv6FragmentRepr,
  out: Uint8Array,
  offset: number,
): void {
  out[offset + EXT_NEXT_HEADER] = repr.nextHeader;
  out[offset + 1] = 0;
  setBe16(out, offset + FRAG_OFFSET_FLAGS, (repr.fragmentOffset & 0xfff8) | (repr.more ? 1 : 0));
  setBe32(out, offset + FRAG_ID, repr.id);
}

/** Length of the Hop-by-Hop header carrying only a Router Alert, as Linux sends it. */
export const IPV6_ROUTER_ALERT_HBH_LEN = 8;

/**
 * Writes the 8-byte Hop-by-Hop header Linux puts in front of MLD (mcast.c ip6_mc_hdr):
 * Router Alert (RFC 2711) with `value`, then a 2-byte PadN.
 */
export function writeRouterAlertHopByHop(
  nextHeader: number,
  value: number,
  out: Uint8Array,
  offset: number,
): void {
  out[offset] = nextHeader;
  out[offset + 1] = 0;
  out[offset + 2] = IPV6_TLV_ROUTERALERT;
  out[offset + 3] = 2;
  setBe16(out, offset + 4, value);
  out[offset + 6] = IPV6_TLV_PADN;
  out[offset + 7] = 0;
}

// ---------------------------------------------------------------- addresses

/** ff02::1, all nodes (RFC 4291 §2.7.1). */
export const IPV6_ALL_NODES = Ipv6Addr.fromWords([0xff02, 0, 0, 0, 0, 0, 0, 1]);
/** ff02::2, all routers. */
export const IPV6_ALL_ROUTERS = Ipv6Addr.fromWords([0xff02, 0, 0, 0, 0, 0, 0, 2]);
/** ff02::16, all MLDv2-capable routers (RFC 3810 §5.2.14). */
export const IPV6_ALL_MLDV2_ROUTERS = Ipv6Addr.fromWords([0xff02, 0, 0, 0, 0, 0, 0, 0x16]);

/** The solicited-node multicast group of `addr`: ff02::1:ffXX:XXXX (RFC 4291 §2.7.1). */
export function solicitedNodeMulticast(addr: Ipv6Addr): Ipv6Addr {
  const out = new Uint8Array(16);
  out[0] = 0xff;
  out[1] = 0x02;
  out[11] = 0x01;
  out[12] = 0xff;
  out.set(addr.bytes.subarray(13, 16), 13);
  return Ipv6Addr.fromBytes(out);
}

const SOLICITED_PREFIX = [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff] as const;

/** True when the 16 bytes at `offset` are a solicited-node group (ff02::1:ff00:0/104). */
export function isSolicitedNodeMulticastAt(bytes: Uint8Array, offset: number): boolean {
  for (let i = 0; i < SOLICITED_PREFIX.length; i++) {
    if (bytes[offset + i] !== SOLICITED_PREFIX[i]) return false;
  }
  return true;
}

export function isSolicitedNodeMulticast(addr: Ipv6Addr): boolean {
  return isSolicitedNodeMulticastAt(addr.bytes, 0);
}

/** The Ethernet group address of an IPv6 multicast address: 33:33 + its low 32 bits (RFC 2464 §7). */
export function ipv6MulticastMac(addr: Ipv6Addr): MacAddr {
  const out = new Uint8Array(6);
  out[0] = 0x33;
  out[1] = 0x33;
  out.set(addr.bytes.subarray(12, 16), 2);
  return MacAddr.fromBytes(out);
}

/**
 * The 64-bit interface identifier Linux derives from an Ethernet address (addrconf.c,
 * addrconf_ifid_eui48). With `devId` 0 it is the modified EUI-64 of RFC 4291 App. A:
 * ff:fe in the middle and the U/L bit inverted. With a non-zero `devId` (ipvlan gives its
 * slaves 1, 2, ...; s390 OSA cards do the same) Linux puts the 16-bit dev_id where ff:fe
 * would be and leaves the U/L bit alone, so slaves sharing one MAC get distinct addresses.
 */
export function eui64InterfaceId(mac: MacAddr, devId = 0): Uint8Array {
  const m = mac.bytes;
  const out = new Uint8Array(8);
  out[0] = m[0] as number;
  out[1] = m[1] as number;
  out[2] = m[2] as number;
  out[5] = m[3] as number;
  out[6] = m[4] as number;
  out[7] = m[5] as number;
  if (devId !== 0) {
    out[3] = (devId >>> 8) & 0xff;
    out[4] = devId & 0xff;
  } else {
    out[3] = 0xff;
    out[4] = 0xfe;
    out[0] = (out[0] as number) ^ 0x02;
  }
  return out;
}

/** The fe80::/64 address Linux gives a device with `mac` and `devId` (addrgenmode eui64). */
export function linkLocalFromMac(mac: MacAddr, devId = 0): Ipv6Addr {
  const out = new Uint8Array(16);
  out[0] = 0xfe;
  out[1] = 0x80;
  out.set(eui64InterfaceId(mac, devId), 8);
  return Ipv6Addr.fromBytes(out);
}
