// ICMPv6 (RFC 4443): the common header, the checksum over the IPv6 pseudo-header, echo
// and the four error messages with their quoted invoking packet. Neighbour Discovery and
// MLD share the header and live in ndisc.ts and mld.ts.

import { IPPROTO_ICMPV6 } from '../uapi/rtnetlink.ts';
import type { Ipv6Addr } from './address.ts';
import { be16, be32, setBe16, setBe32 } from './bytes.ts';
import { finishChecksum, ipv6PseudoSum, sumBytes } from './checksum.ts';
import {
  IPV6_HEADER_LEN,
  IPV6_MIN_MTU,
  writeIpv6Header,
  type Ipv6Header,
  type Ipv6Packet,
} from './ipv6.ts';

// RFC 4443 §2.1
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |     Type      |     Code      |          Checksum             |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Echo: Identifier / Sequence Number; Packet Too Big: MTU;     |
// |  Parameter Problem: Pointer; other errors: unused             |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Echo data, or as much of the invoking packet as fits in the  |
// |  minimum MTU (errors), or the message body (ND, MLD) ...      |
const TYPE = 0;
const CODE = 1;
const CHECKSUM = 2;
const ECHO_IDENT = 4;
const ECHO_SEQ = 6;
const DATA_WORD = 4;
/** The fixed part every ICMPv6 message has; Linux icmpv6_rcv drops anything shorter. */
export const ICMPV6_HEADER_LEN = 8;

/** Message types (Linux include/uapi/linux/icmpv6.h). */
export const ICMPV6_DEST_UNREACH = 1;
export const ICMPV6_PKT_TOOBIG = 2;
export const ICMPV6_TIME_EXCEED = 3;
export const ICMPV6_PARAMPROB = 4;
export const ICMPV6_ECHO_REQUEST = 128;
export const ICMPV6_ECHO_REPLY = 129;
export const ICMPV6_MGM_QUERY = 130;
export const ICMPV6_MGM_REPORT = 131;
export const ICMPV6_MGM_REDUCTION = 132;
export const NDISC_ROUTER_SOLICITATION = 133;
export const NDISC_ROUTER_ADVERTISEMENT = 134;
export const NDISC_NEIGHBOUR_SOLICITATION = 135;
export const NDISC_NEIGHBOUR_ADVERTISEMENT = 136;
export const NDISC_REDIRECT = 137;
export const ICMPV6_MLD2_REPORT = 143;

/** Destination Unreachable codes. */
export const ICMPV6_NOROUTE = 0;
export const ICMPV6_ADM_PROHIBITED = 1;
export const ICMPV6_NOT_NEIGHBOUR = 2;
export const ICMPV6_ADDR_UNREACH = 3;
export const ICMPV6_PORT_UNREACH = 4;
export const ICMPV6_POLICY_FAIL = 5;
export const ICMPV6_REJECT_ROUTE = 6;
/** Time Exceeded codes. */
export const ICMPV6_EXC_HOPLIMIT = 0;
export const ICMPV6_EXC_FRAGTIME = 1;
/** Parameter Problem codes. */
export const ICMPV6_HDR_FIELD = 0;
export const ICMPV6_UNK_NEXTHDR = 1;
export const ICMPV6_UNK_OPTION = 2;

/**
 * The most of the invoking packet an error quotes: the error must fit in the minimum MTU
 * (RFC 4443 §2.4(c); Linux icmp6_send uses the same bound).
 */
export const ICMPV6_ERROR_MAX_QUOTE = IPV6_MIN_MTU - IPV6_HEADER_LEN - ICMPV6_HEADER_LEN;

/** True for error messages (RFC 4443 §2.1: the high bit of the type is clear). */
export function icmpv6IsError(type: number): boolean {
  return type < 128;
}

/** An ICMPv6 message seen through its bytes (from the ICMPv6 header to the end). */
export class Icmpv6Packet {
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /**
   * Wraps untrusted bytes (exactly the upper-layer payload: the IPv6 payload length
   * bounds it), or returns `null` when shorter than the 8-byte header. After this
   * succeeds, no getter reads out of bounds.
   */
  static checked(bytes: Uint8Array): Icmpv6Packet | null {
    if (bytes.length < ICMPV6_HEADER_LEN) return null;
    return new Icmpv6Packet(bytes);
  }

  /** Wraps a buffer we sized ourselves and are about to fill. */
  static unchecked(bytes: Uint8Array): Icmpv6Packet {
    return new Icmpv6Packet(bytes);
  }

  get msgType(): number {
    return this.bytes[TYPE] as number;
  }
  get code(): number {
    return this.bytes[CODE] as number;
  }
  get checksum(): number {
    return be16(this.bytes, CHECKSUM);
  }
  get echoIdent(): number {
    return be16(this.bytes, ECHO_IDENT);
  }
  get echoSeq(): number {
    return be16(this.bytes, ECHO_SEQ);
  }
  /** The MTU of a Packet Too Big message. */
  get mtu(): number {
    return be32(this.bytes, DATA_WORD);
  }
  /** The pointer of a Parameter Problem message: an offset into the invoking packet. */
  get pointer(): number {
    return be32(this.bytes, DATA_WORD);
  }
  /** Echo data, or the quoted invoking packet of an error: everything after byte 8. */
  get payload(): Uint8Array {
    return this.bytes.subarray(ICMPV6_HEADER_LEN);
  }

  setMsgType(value: number): void {
    this.bytes[TYPE] = value;
  }
  setCode(value: number): void {
    this.bytes[CODE] = value;
  }
  setChecksum(value: number): void {
    setBe16(this.bytes, CHECKSUM, value);
  }
  setEchoIdent(value: number): void {
    setBe16(this.bytes, ECHO_IDENT, value);
  }
  setEchoSeq(value: number): void {
    setBe16(this.bytes, ECHO_SEQ, value);
  }
  /** Writes the 32-bit word after the checksum (MTU, pointer, or zero for "unused"). */
  setDataWord(value: number): void {
    setBe32(this.bytes, DATA_WORD, value);
  }
}

// ---------------------------------------------------------------- checksum

/** The checksum `bytes` (an ICMPv6 message, its checksum field zeroed) should carry. */
export function icmpv6Checksum(bytes: Uint8Array, src: Ipv6Addr, dst: Ipv6Addr): number {
  return finishChecksum(
    sumBytes(bytes, ipv6PseudoSum(src.bytes, dst.bytes, IPPROTO_ICMPV6, bytes.length)),
  );
}

/** True when the checksum of `msg` is right for this source and destination. */
export function icmpv6ChecksumOk(msg: Icmpv6Packet, src: Ipv6Addr, dst: Ipv6Addr): boolean {
  return icmpv6Checksum(msg.bytes, src, dst) === 0;
}

/**
 * The same check with the addresses read from the IPv6 header in place (no allocation).
 * `msg` must be the ICMPv6 message carried by `ip`.
 */
export function icmpv6ChecksumOkIn(ip: Ipv6Packet, msg: Icmpv6Packet): boolean {
  const sum = sumBytes(msg.bytes, ip.pseudoSum(IPPROTO_ICMPV6, msg.bytes.length));
  return finishChecksum(sum) === 0;
}

/** Zeroes the checksum field, then writes the right checksum (RFC 4443 §2.3). */
export function fillIcmpv6Checksum(msg: Icmpv6Packet, src: Ipv6Addr, dst: Ipv6Addr): void {
  msg.setChecksum(0);
  msg.setChecksum(icmpv6Checksum(msg.bytes, src, dst));
}

// ---------------------------------------------------------------- echo and errors

/** Echo and error messages as values; ND and MLD have their own Reprs. */
export type Icmpv6Repr =
  | {
      readonly kind: 'echoRequest' | 'echoReply';
      readonly ident: number;
      readonly seq: number;
      readonly data: Uint8Array;
    }
  | {
      readonly kind: 'destUnreachable' | 'timeExceeded';
      readonly code: number;
      readonly invoking: Uint8Array;
    }
  | { readonly kind: 'packetTooBig'; readonly mtu: number; readonly invoking: Uint8Array }
  | {
      readonly kind: 'paramProblem';
      readonly code: number;
      readonly pointer: number;
      readonly invoking: Uint8Array;
    };

/**
 * Reads an echo or error message as a value, or returns `null` for other types (ND and
 * MLD parse with ndisc.ts / mld.ts) and for a Packet Too Big with a non-zero code.
 * The checksum is the caller's to verify first (`icmpv6ChecksumOk`), as Linux's
 * icmpv6_rcv does once for every type. Data and quotes are windows into `pkt.bytes`.
 */
export function parseIcmpv6(pkt: Icmpv6Packet): Icmpv6Repr | null {
  const code = pkt.code;
  switch (pkt.msgType) {
    case ICMPV6_ECHO_REQUEST:
    case ICMPV6_ECHO_REPLY:
      if (code !== 0) return null;
      return {
        kind: pkt.msgType === ICMPV6_ECHO_REQUEST ? 'echoRequest' : 'echoReply',
        ident: pkt.echoIdent,
        seq: pkt.echoSeq,
        data: pkt.payload,
      };
    case ICMPV6_DEST_UNREACH:
      return { kind: 'destUnreachable', code, invoking: pkt.payload };
    case ICMPV6_TIME_EXCEED:
      return { kind: 'timeExceeded', code, invoking: pkt.payload };
    case ICMPV6_PKT_TOOBIG:
      if (code !== 0) return null;
      return { kind: 'packetTooBig', mtu: pkt.mtu, invoking: pkt.payload };
    case ICMPV6_PARAMPROB:
      return { kind: 'paramProblem', code, pointer: pkt.pointer, invoking: pkt.payload };
    default:
      return null;
  }
}

function reprType(repr: Icmpv6Repr): number {
  switch (repr.kind) {
    case 'echoRequest':
      return ICMPV6_ECHO_REQUEST;
    case 'echoReply':
      return ICMPV6_ECHO_REPLY;
    case 'destUnreachable':
      return ICMPV6_DEST_UNREACH;
    case 'timeExceeded':
      return ICMPV6_TIME_EXCEED;
    case 'packetTooBig':
      return ICMPV6_PKT_TOOBIG;
    case 'paramProblem':
      return ICMPV6_PARAMPROB;
  }
}

/** The message length `repr` needs. Errors quote their `invoking` bytes as given. */
export function icmpv6Len(repr: Icmpv6Repr): number {
  return ICMPV6_HEADER_LEN + ('data' in repr ? repr.data.length : repr.invoking.length);
}

/**
 * Writes the message and its checksum; `out` must be exactly `icmpv6Len(repr)` long.
 * Callers building an error trim the quote with `icmpv6Quote` first.
 */
export function emitIcmpv6(
  repr: Icmpv6Repr,
  out: Icmpv6Packet,
  src: Ipv6Addr,
  dst: Ipv6Addr,
): void {
  out.setMsgType(reprType(repr));
  switch (repr.kind) {
    case 'echoRequest':
    case 'echoReply':
      out.setCode(0);
      out.setEchoIdent(repr.ident);
      out.setEchoSeq(repr.seq);
      out.bytes.set(repr.data, ICMPV6_HEADER_LEN);
      break;
    case 'destUnreachable':
    case 'timeExceeded':
      out.setCode(repr.code);
      out.setDataWord(0);
      out.bytes.set(repr.invoking, ICMPV6_HEADER_LEN);
      break;
    case 'packetTooBig':
      out.setCode(0);
      out.setDataWord(repr.mtu);
      out.bytes.set(repr.invoking, ICMPV6_HEADER_LEN);
      break;
    case 'paramProblem':
      out.setCode(repr.code);
      out.setDataWord(repr.pointer);
      out.bytes.set(repr.invoking, ICMPV6_HEADER_LEN);
      break;
  }
  fillIcmpv6Checksum(out, src, dst);
}

/**
 * The part of `invoking` (an IPv6 packet, header first) an error may quote: at most
 * `ICMPV6_ERROR_MAX_QUOTE` bytes, so the error fits in 1280 (Linux icmp6_send).
 */
export function icmpv6Quote(invoking: Uint8Array): Uint8Array {
  return invoking.subarray(0, Math.min(invoking.length, ICMPV6_ERROR_MAX_QUOTE));
}

/** Length of the IPv6 packet `buildIcmpv6Packet` makes for `repr`. */
export function icmpv6PacketLen(repr: Icmpv6Repr): number {
  return IPV6_HEADER_LEN + icmpv6Len(repr);
}

/**
 * Writes an IPv6 header and the ICMPv6 message into `out` (at least
 * `icmpv6PacketLen(repr)` long, e.g. the payload window of an Ethernet frame).
 */
export function writeIcmpv6Packet(ip: Ipv6Header, repr: Icmpv6Repr, out: Uint8Array): void {
  const len = icmpv6Len(repr);
  const body = writeIpv6Header(ip, IPPROTO_ICMPV6, len, out);
  emitIcmpv6(repr, Icmpv6Packet.unchecked(body), ip.src, ip.dst);
}

/** Allocates and returns a complete IPv6 packet carrying `repr`. */
export function buildIcmpv6Packet(ip: Ipv6Header, repr: Icmpv6Repr): Uint8Array {
  const out = new Uint8Array(icmpv6PacketLen(repr));
  writeIcmpv6Packet(ip, repr, out);
  return out;
}
