// IPv4 headers (RFC 791), with DSCP/ECN (RFC 2474, RFC 3168) and the header checksum
// (RFC 1071) kept incrementally up to date on TTL decrement (RFC 1624). Options are
// exposed as raw bytes; interpreting them is the stack's job. Reassembly is not here.

import { ETH_P_IP } from '../uapi/if.ts';
import { ipv4At, writeIpv4, type Ipv4Addr, type MacAddr } from './address.ts';
import { be16, setBe16 } from './bytes.ts';
import { internetChecksum, updateChecksum16 } from './checksum.ts';
import { buildEthernetFrame } from './ethernet.ts';

// RFC 791 §3.1:
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |Version|  IHL  |   DSCP    |ECN|          Total Length         |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |         Identification        |0|D|M|      Fragment Offset    |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Time to Live |    Protocol   |         Header Checksum       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                       Source Address                          |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    Destination Address                        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    Options (0..40 bytes)      |    Padding    |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
const VER_IHL = 0;
const TOS = 1;
const TOTAL_LEN = 2;
const IDENT = 4;
const FLAGS_FRAG = 6;
const TTL = 8;
const PROTOCOL = 9;
const CHECKSUM = 10;
const SRC = 12;
const DST = 16;

/** Length of a header without options. */
export const IPV4_HEADER_LEN = 20;
/** Length of the longest header (IHL 15). */
export const IPV4_MAX_HEADER_LEN = 60;
/** Don't Fragment and More Fragments bits of the flags/offset word (Linux IP_DF, IP_MF). */
export const IP_DF = 0x4000;
export const IP_MF = 0x2000;
/** The fragment offset bits, in units of 8 bytes (Linux IP_OFFSET). */
export const IP_OFFSET = 0x1fff;

/** An IPv4 header seen through its bytes. Never copies. */
export class Ipv4Packet {
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /**
   * Wraps untrusted bytes starting at the IPv4 header, or returns `null` when the version
   * is not 4, IHL is below 5, or the header or total length do not fit (Linux:
   * ip_rcv_core). Bytes past the total length (Ethernet padding) are allowed and ignored.
   * The checksum is not verified here, so callers can count IP_CSUM apart from IP_INHDR.
   */
  static checked(bytes: Uint8Array): Ipv4Packet | null {
    const headerLen = checkHeader(bytes);
    if (headerLen === 0) return null;
    const total = be16(bytes, TOTAL_LEN);
    if (total < headerLen || total > bytes.length) return null;
    return new Ipv4Packet(bytes);
  }

  /**
   * Wraps the start of a datagram quoted in an ICMP error (RFC 792: the header plus at
   * least 8 bytes of payload), or returns `null` when the header itself is malformed or
   * cut short. The total length may promise more than was quoted; `payload` is only what
   * is there.
   */
  static checkedQuoted(bytes: Uint8Array): Ipv4Packet | null {
    const headerLen = checkHeader(bytes);
    if (headerLen === 0 || be16(bytes, TOTAL_LEN) < headerLen) return null;
    return new Ipv4Packet(bytes);
  }

  /** Wraps a buffer we sized ourselves and are about to fill. */
  static unchecked(bytes: Uint8Array): Ipv4Packet {
    return new Ipv4Packet(bytes);
  }

  get version(): number {
    return (this.bytes[VER_IHL] as number) >>> 4;
  }
  /** Header length in 32-bit words. */
  get ihl(): number {
    return (this.bytes[VER_IHL] as number) & 0x0f;
  }
  /** Header length in bytes, options included. */
  get headerLen(): number {
    return this.ihl * 4;
  }
  /** The whole traffic-class byte (DSCP and ECN). */
  get tos(): number {
    return this.bytes[TOS] as number;
  }
  get dscp(): number {
    return (this.bytes[TOS] as number) >>> 2;
  }
  get ecn(): number {
    return (this.bytes[TOS] as number) & 3;
  }
  get totalLen(): number {
    return be16(this.bytes, TOTAL_LEN);
  }
  get ident(): number {
    return be16(this.bytes, IDENT);
  }
  /** The raw flags and fragment-offset word (Linux iph->frag_off). */
  get fragWord(): number {
    return be16(this.bytes, FLAGS_FRAG);
  }
  get dontFrag(): boolean {
    return (this.fragWord & IP_DF) !== 0;
  }
  get moreFrags(): boolean {
    return (this.fragWord & IP_MF) !== 0;
  }
  /** The fragment offset in bytes (the 13-bit field times 8). */
  get fragOffset(): number {
    return (this.fragWord & IP_OFFSET) * 8;
  }
  /** True for any fragment of a larger datagram (MF set or a nonzero offset). */
  get isFragment(): boolean {
    return (this.fragWord & (IP_MF | IP_OFFSET)) !== 0;
  }
  get ttl(): number {
    return this.bytes[TTL] as number;
  }
  get protocol(): number {
    return this.bytes[PROTOCOL] as number;
  }
  get checksum(): number {
    return be16(this.bytes, CHECKSUM);
  }
  get src(): Ipv4Addr {
    return ipv4At(this.bytes, SRC);
  }
  get dst(): Ipv4Addr {
    return ipv4At(this.bytes, DST);
  }
  /** The option bytes between the fixed header and the payload (often empty). */
  get options(): Uint8Array {
    return this.bytes.subarray(IPV4_HEADER_LEN, this.headerLen);
  }
  /** The header alone, options included. */
  get header(): Uint8Array {
    return this.bytes.subarray(0, this.headerLen);
  }
  /** The payload, bounded by the total length (never includes link-layer padding). */
  get payload(): Uint8Array {
    return this.bytes.subarray(this.headerLen, this.totalLen);
  }
  /** True when the header checksum verifies (RFC 1071: the sum over the header is zero). */
  get checksumOk(): boolean {
    return internetChecksum(this.header) === 0;
  }

  /** Writes version 4 and the header length in bytes (a multiple of 4, 20..60). */
  setHeaderLen(bytes: number): void {
    this.bytes[VER_IHL] = 0x40 | ((bytes >>> 2) & 0x0f);
  }
  setTos(value: number): void {
    this.bytes[TOS] = value & 0xff;
  }
  setDscp(value: number): void {
    this.bytes[TOS] = ((value & 0x3f) << 2) | (this.ecn & 3);
  }
  setEcn(value: number): void {
    this.bytes[TOS] = ((this.bytes[TOS] as number) & 0xfc) | (value & 3);
  }
  setTotalLen(value: number): void {
    setBe16(this.bytes, TOTAL_LEN, value);
  }
  setIdent(value: number): void {
    setBe16(this.bytes, IDENT, value);
  }
  setFragWord(value: number): void {
    setBe16(this.bytes, FLAGS_FRAG, value);
  }
  setDontFrag(value: boolean): void {
    this.setFragWord(value ? this.fragWord | IP_DF : this.fragWord & ~IP_DF);
  }
  setMoreFrags(value: boolean): void {
    this.setFragWord(value ? this.fragWord | IP_MF : this.fragWord & ~IP_MF);
  }
  /** Writes the fragment offset given in bytes (a multiple of 8). */
  setFragOffset(bytes: number): void {
    this.setFragWord((this.fragWord & ~IP_OFFSET) | ((bytes >>> 3) & IP_OFFSET));
  }
  setTtl(value: number): void {
    this.bytes[TTL] = value & 0xff;
  }
  setProtocol(value: number): void {
    this.bytes[PROTOCOL] = value & 0xff;
  }
  setChecksum(value: number): void {
    setBe16(this.bytes, CHECKSUM, value);
  }
  setSrc(addr: Ipv4Addr): void {
    writeIpv4(this.bytes, SRC, addr);
  }
  setDst(addr: Ipv4Addr): void {
    writeIpv4(this.bytes, DST, addr);
  }
  /** Recomputes the header checksum from scratch. */
  fillChecksum(): void {
    this.setChecksum(0);
    this.setChecksum(internetChecksum(this.header));
  }

  /**
   * Decrements the TTL and patches the checksum incrementally (RFC 1624 eqn. 3), as a
   * forwarding router does (Linux: ip_decrease_ttl). Returns the new TTL. The caller
   * checks for TTL <= 1 before forwarding; this never wraps below zero.
   */
  decrementTtl(): number {
    const ttl = this.ttl;
    if (ttl === 0) return 0;
    const oldWord = be16(this.bytes, TTL);
    this.bytes[TTL] = ttl - 1;
    this.setChecksum(updateChecksum16(this.checksum, oldWord, be16(this.bytes, TTL)));
    return ttl - 1;
  }

  /** Rewrites the TTL and patches the checksum incrementally (RFC 1624). */
  setTtlUpdatingChecksum(value: number): void {
    const oldWord = be16(this.bytes, TTL);
    this.bytes[TTL] = value & 0xff;
    this.setChecksum(updateChecksum16(this.checksum, oldWord, be16(this.bytes, TTL)));
  }
}

/** The header length if `bytes` start with a plausible IPv4 header, else 0. */
function checkHeader(bytes: Uint8Array): number {
  if (bytes.length < IPV4_HEADER_LEN) return 0;
  const verIhl = bytes[VER_IHL] as number;
  if (verIhl >>> 4 !== 4) return 0;
  const headerLen = (verIhl & 0x0f) * 4;
  if (headerLen < IPV4_HEADER_LEN || headerLen > bytes.length) return 0;
  return headerLen;
}

/** An IPv4 header as a value. */
export interface Ipv4Repr {
  readonly src: Ipv4Addr;
  readonly dst: Ipv4Addr;
  readonly protocol: number;
  readonly ttl: number;
  /** Differentiated services code point, 0..63. */
  readonly dscp: number;
  /** ECN codepoint, 0..3. */
  readonly ecn: number;
  readonly ident: number;
  readonly dontFrag: boolean;
  readonly moreFrags: boolean;
  /** Fragment offset in bytes (a multiple of 8). */
  readonly fragOffset: number;
  /**
   * Option bytes; `emitIpv4Header` pads them with zeros (End of Option List) to a multiple of 4.
   * From `parseIpv4Header`, a window into the packet: copy it to keep it past the frame.
   */
  readonly options: Uint8Array;
  /** Bytes after the header (total length minus header length). */
  readonly payloadLen: number;
}

/** Reads the header, or returns `null` when its checksum is wrong. */
export function parseIpv4Header(pkt: Ipv4Packet): Ipv4Repr | null {
  if (!pkt.checksumOk) return null;
  return {
    src: pkt.src,
    dst: pkt.dst,
    protocol: pkt.protocol,
    ttl: pkt.ttl,
    dscp: pkt.dscp,
    ecn: pkt.ecn,
    ident: pkt.ident,
    dontFrag: pkt.dontFrag,
    moreFrags: pkt.moreFrags,
    fragOffset: pkt.fragOffset,
    options: pkt.options,
    payloadLen: pkt.totalLen - pkt.headerLen,
  };
}

/** The header length `repr` needs: 20 plus its options rounded up to a multiple of 4. */
export function ipv4HeaderLen(repr: Ipv4Repr): number {
  return IPV4_HEADER_LEN + ((repr.options.length + 3) & ~3);
}

/**
 * Writes the header and its checksum. `out` must be at least `ipv4HeaderLen(repr)` long;
 * the payload is not touched.
 */
export function emitIpv4Header(repr: Ipv4Repr, out: Ipv4Packet): void {
  const headerLen = ipv4HeaderLen(repr);
  out.setHeaderLen(headerLen);
  out.setTos(((repr.dscp & 0x3f) << 2) | (repr.ecn & 3));
  out.setTotalLen(headerLen + repr.payloadLen);
  out.setIdent(repr.ident);
  out.setFragWord(
    (repr.dontFrag ? IP_DF : 0) |
      (repr.moreFrags ? IP_MF : 0) |
      ((repr.fragOffset >>> 3) & IP_OFFSET),
  );
  out.setTtl(repr.ttl);
  out.setProtocol(repr.protocol);
  out.setSrc(repr.src);
  out.setDst(repr.dst);
  out.bytes.set(repr.options, IPV4_HEADER_LEN);
  out.bytes.fill(0, IPV4_HEADER_LEN + repr.options.length, headerLen);
  out.fillChecksum();
}

/** A freshly built datagram or frame, with views of its parts. */
export interface Ipv4Built {
  /** The whole allocation: the datagram, or the Ethernet frame around it. */
  readonly frame: Uint8Array;
  readonly ip: Ipv4Packet;
  /** The `payloadLen` bytes after the IPv4 header, for the caller to fill. */
  readonly payload: Uint8Array;
}

/** Allocates one datagram, writes the header (checksum included) and returns the payload window. */
export function buildIpv4Packet(repr: Ipv4Repr): Ipv4Built {
  const headerLen = ipv4HeaderLen(repr);
  const frame = new Uint8Array(headerLen + repr.payloadLen);
  const ip = Ipv4Packet.unchecked(frame);
  emitIpv4Header(repr, ip);
  return { frame, ip, payload: frame.subarray(headerLen) };
}

/** Allocates one untagged Ethernet frame carrying an IPv4 datagram; see `buildIpv4Packet`. */
export function buildEthernetIpv4Frame(dst: MacAddr, src: MacAddr, repr: Ipv4Repr): Ipv4Built {
  const headerLen = ipv4HeaderLen(repr);
  const eth = buildEthernetFrame(dst, src, ETH_P_IP, headerLen + repr.payloadLen);
  const ip = Ipv4Packet.unchecked(eth.payload);
  emitIpv4Header(repr, ip);
  return { frame: eth.frame, ip, payload: eth.payload.subarray(headerLen) };
}
