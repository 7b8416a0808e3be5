// ICMP for IPv4 (RFC 792): echo, destination unreachable (with the RFC 1191 next-hop MTU
// for "fragmentation needed"), redirect, time exceeded and parameter problem. The
// checksum covers the whole message. RFC 4884 extension structures are left in `data`.

import { ipv4At, writeIpv4, type Ipv4Addr } from './address.ts';
import { be16, setBe16 } from './bytes.ts';
import { internetChecksum } from './checksum.ts';

// RFC 792:
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |     Type      |     Code      |          Checksum             |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | echo:         Identifier      |        Sequence Number        |
// | unreachable:  unused (zero)   |   Next-Hop MTU (RFC 1191)     |
// | redirect:             Gateway Internet Address                |
// | param. problem: Pointer | unused                              |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  echo: data ...   errors: internet header + 64 bits of data   |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
const TYPE = 0;
const CODE = 1;
const CHECKSUM = 2;
const REST = 4;
const IDENT = 4;
const SEQ = 6;
const MTU = 6;
const POINTER = 4;

/** Length of the ICMP header (type, code, checksum, 4 bytes of rest-of-header). */
export const ICMPV4_HEADER_LEN = 8;

/** ICMP types (include/uapi/linux/icmp.h). */
export const ICMP_ECHOREPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_REDIRECT = 5;
export const ICMP_ECHO = 8;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_PARAMETERPROB = 12;

/** Destination-unreachable codes. */
export const ICMP_NET_UNREACH = 0;
export const ICMP_HOST_UNREACH = 1;
export const ICMP_PROT_UNREACH = 2;
export const ICMP_PORT_UNREACH = 3;
export const ICMP_FRAG_NEEDED = 4;
export const ICMP_SR_FAILED = 5;
export const ICMP_NET_UNKNOWN = 6;
export const ICMP_HOST_UNKNOWN = 7;
export const ICMP_HOST_ISOLATED = 8;
export const ICMP_NET_ANO = 9;
export const ICMP_HOST_ANO = 10;
export const ICMP_NET_UNR_TOS = 11;
export const ICMP_HOST_UNR_TOS = 12;
export const ICMP_PKT_FILTERED = 13;
export const ICMP_PREC_VIOLATION = 14;
export const ICMP_PREC_CUTOFF = 15;

/** Redirect codes. */
export const ICMP_REDIR_NET = 0;
export const ICMP_REDIR_HOST = 1;
export const ICMP_REDIR_NETTOS = 2;
export const ICMP_REDIR_HOSTTOS = 3;

/** Time-exceeded codes. */
export const ICMP_EXC_TTL = 0;
export const ICMP_EXC_FRAGTIME = 1;

/** An ICMP message seen through its bytes (the whole IPv4 payload). Never copies. */
export class Icmpv4Packet {
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /**
   * Wraps untrusted bytes (exactly the IPv4 payload: the checksum covers all of it), or
   * returns `null` when they are shorter than the 8-byte header.
   */
  static checked(bytes: Uint8Array): Icmpv4Packet | null {
    if (bytes.length < ICMPV4_HEADER_LEN) return null;
    return new Icmpv4Packet(bytes);
  }

  /** Wraps a buffer we sized ourselves and are about to fill. */
  static unchecked(bytes: Uint8Array): Icmpv4Packet {
    return new Icmpv4Packet(bytes);
  }

  get type(): number {
    return this.bytes[TYPE] as number;
  }
  get code(): number {
    return this.bytes[CODE] as number;
  }
  get checksum(): number {
    return be16(this.bytes, CHECKSUM);
  }
  /** The 32-bit rest-of-header word, whatever the type. */
  get restOfHeader(): number {
    return (
      (((this.bytes[REST] as number) << 24) |
        ((this.bytes[REST + 1] as number) << 16) |
        be16(this.bytes, REST + 2)) >>>
      0
    );
  }
  /** Echo identifier (types 0 and 8). */
  get echoIdent(): number {
    return be16(this.bytes, IDENT);
  }
  /** Echo sequence number (types 0 and 8). */
  get echoSeq(): number {
    return be16(this.bytes, SEQ);
  }
  /** Next-hop MTU of a "fragmentation needed" (type 3 code 4; RFC 1191 §4). */
  get nextHopMtu(): number {
    return be16(this.bytes, MTU);
  }
  /** The gateway a redirect (type 5) points at. */
  get gateway(): Ipv4Addr {
    return ipv4At(this.bytes, REST);
  }
  /** The octet a parameter problem (type 12) points at. */
  get pointer(): number {
    return this.bytes[POINTER] as number;
  }
  /** Everything after the 8-byte header: echo data, or the quoted datagram of an error. */
  get data(): Uint8Array {
    return this.bytes.subarray(ICMPV4_HEADER_LEN);
  }
  /** True when the checksum over the whole message verifies. */
  get checksumOk(): boolean {
    return internetChecksum(this.bytes) === 0;
  }
  /** True for the error types, whose data quotes the offending datagram. */
  get isError(): boolean {
    const t = this.type;
    return (
      t === ICMP_DEST_UNREACH ||
      t === ICMP_REDIRECT ||
      t === ICMP_TIME_EXCEEDED ||
      t === ICMP_PARAMETERPROB
    );
  }

  setType(value: number): void {
    this.bytes[TYPE] = value & 0xff;
  }
  setCode(value: number): void {
    this.bytes[CODE] = value & 0xff;
  }
  setChecksum(value: number): void {
    setBe16(this.bytes, CHECKSUM, value);
  }
  setRestOfHeader(value: number): void {
    setBe16(this.bytes, REST, value >>> 16);
    setBe16(this.bytes, REST + 2, value & 0xffff);
  }
  setEchoIdent(value: number): void {
    setBe16(this.bytes, IDENT, value);
  }
  setEchoSeq(value: number): void {
    setBe16(this.bytes, SEQ, value);
  }
  setNextHopMtu(value: number): void {
    setBe16(this.bytes, MTU, value);
  }
  setGateway(addr: Ipv4Addr): void {
    writeIpv4(this.bytes, REST, addr);
  }
  setPointer(value: number): void {
    this.bytes[POINTER] = value & 0xff;
  }
  /** Recomputes the checksum over the whole message. */
  fillChecksum(): void {
    this.setChecksum(0);
    this.setChecksum(internetChecksum(this.bytes));
  }
}

/**
 * An ICMP message as a value. `data` is a window into the packet when it comes from
 * `parseIcmpv4`: echo data, or the quoted datagram (read it with
 * `Ipv4Packet.checkedQuoted`).
 */
export type Icmpv4Repr =
  | {
      readonly kind: 'echoRequest' | 'echoReply';
      readonly ident: number;
      readonly seq: number;
      readonly data: Uint8Array;
    }
  | {
      readonly kind: 'destUnreachable';
      readonly code: number;
      /** Meaningful for ICMP_FRAG_NEEDED; 0 otherwise (RFC 792 calls the field unused). */
      readonly nextHopMtu: number;
      readonly data: Uint8Array;
    }
  | { readonly kind: 'timeExceeded'; readonly code: number; readonly data: Uint8Array }
  | {
      readonly kind: 'redirect';
      readonly code: number;
      readonly gateway: Ipv4Addr;
      readonly data: Uint8Array;
    }
  | {
      readonly kind: 'parameterProblem';
      readonly code: number;
      readonly pointer: number;
      readonly data: Uint8Array;
    };

/**
 * Reads the message, or returns `null` when the checksum is wrong or the type is one
 * we do not model (timestamps, router discovery, …; Linux ignores most of these too).
 */
export function parseIcmpv4(pkt: Icmpv4Packet): Icmpv4Repr | null {
  if (!pkt.checksumOk) return null;
  const data = pkt.data;
  switch (pkt.type) {
    case ICMP_ECHO:
    case ICMP_ECHOREPLY:
      if (pkt.code !== 0) return null;
      return {
        kind: pkt.type === ICMP_ECHO ? 'echoRequest' : 'echoReply',
        ident: pkt.echoIdent,
        seq: pkt.echoSeq,
        data,
      };
    case ICMP_DEST_UNREACH:
      return { kind: 'destUnreachable', code: pkt.code, nextHopMtu: pkt.nextHopMtu, data };
    case ICMP_TIME_EXCEEDED:
      return { kind: 'timeExceeded', code: pkt.code, data };
    case ICMP_REDIRECT:
      return { kind: 'redirect', code: pkt.code, gateway: pkt.gateway, data };
    case ICMP_PARAMETERPROB:
      return { kind: 'parameterProblem', code: pkt.code, pointer: pkt.pointer, data };
    default:
      return null;
  }
}

/** The message length `repr` needs: header plus data. */
export function icmpv4Len(repr: Icmpv4Repr): number {
  return ICMPV4_HEADER_LEN + repr.data.length;
}

/** Writes the whole message and its checksum; `out` must be exactly `icmpv4Len(repr)` long. */
export function emitIcmpv4(repr: Icmpv4Repr, out: Icmpv4Packet): void {
  out.setRestOfHeader(0);
  switch (repr.kind) {
    case 'echoRequest':
    case 'echoReply':
      out.setType(repr.kind === 'echoRequest' ? ICMP_ECHO : ICMP_ECHOREPLY);
      out.setCode(0);
      out.setEchoIdent(repr.ident);
      out.setEchoSeq(repr.seq);
      break;
    case 'destUnreachable':
      out.setType(ICMP_DEST_UNREACH);
      out.setCode(repr.code);
      out.setNextHopMtu(repr.nextHopMtu);
      break;
    case 'timeExceeded':
      out.setType(ICMP_TIME_EXCEEDED);
      out.setCode(repr.code);
      break;
    case 'redirect':
      out.setType(ICMP_REDIRECT);
      out.setCode(repr.code);
      out.setGateway(repr.gateway);
      break;
    case 'parameterProblem':
      out.setType(ICMP_PARAMETERPROB);
      out.setCode(repr.code);
      out.setPointer(repr.pointer);
      break;
  }
  // `data` may already sit in place in `out`; TypedArray.set copes with the overlap.
  out.bytes.set(repr.data, ICMPV4_HEADER_LEN);
  out.fillChecksum();
}

/**
 * How much of the offending datagram an ICMP error quotes: as much as fits in 576 bytes
 * of IP (Linux: icmp_send caps the reply at 576 bytes; RFC 1812 §4.3.2.3).
 */
export function icmpv4QuoteLen(datagramLen: number, outerHeaderLen = 20): number {
  return Math.min(datagramLen, 576 - outerHeaderLen - ICMPV4_HEADER_LEN);
}
