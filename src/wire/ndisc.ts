// Neighbour Discovery (RFC 4861): Router/Neighbour Solicitation and Advertisement and
// Redirect, their options (link-layer address for Ethernet only, RFC 2464 §6; prefix
// information; redirected header; MTU; nonce, RFC 7527), and the validity rules of
// §6.1, §7.1 and §8.1 that need no state. Router preference is RFC 4191's.

import { IPPROTO_ICMPV6 } from '../uapi/rtnetlink.ts';
import { Ipv6Addr, MacAddr } from './address.ts';
import { be16, be32, setBe16, setBe32 } from './bytes.ts';
import {
  Icmpv6Packet,
  NDISC_NEIGHBOUR_ADVERTISEMENT,
  NDISC_NEIGHBOUR_SOLICITATION,
  NDISC_REDIRECT,
  NDISC_ROUTER_ADVERTISEMENT,
  NDISC_ROUTER_SOLICITATION,
  fillIcmpv6Checksum,
} from './icmpv6.ts';
import {
  IPV6_DST_OFFSET,
  IPV6_HEADER_LEN,
  isSolicitedNodeMulticastAt,
  writeIpv6Header,
  type Ipv6Header,
  type Ipv6Packet,
} from './ipv6.ts';

// RFC 4861 §4.1-§4.5, after Type (1) / Code (1) / Checksum (2):
//
// Router Solicitation        | Reserved (4)                                  | options
// Router Advertisement       | Cur Hop Limit |M|O|H|Prf|P|R|R| Router Lifetime |
//                            | Reachable Time (4) | Retrans Timer (4)        | options
// Neighbour Solicitation     | Reserved (4) | Target Address (16)            | options
// Neighbour Advertisement    |R|S|O| Reserved (29 bits) | Target Address (16) | options
// Redirect                   | Reserved (4) | Target Address (16) |
//                            | Destination Address (16)                     | options
const TYPE = 0;
const CODE = 1;
const CHECKSUM = 2;
const RA_CUR_HOP_LIMIT = 4;
const RA_FLAGS = 5;
const RA_ROUTER_LIFETIME = 6;
const RA_REACHABLE_TIME = 8;
const RA_RETRANS_TIMER = 12;
const NA_FLAGS = 4;
const RESERVED = 4;
/** Offset of the Target Address in NS, NA and Redirect (key it with `ipv6KeyAt`). */
export const NDISC_TARGET_OFFSET = 8;
/** Offset of the Destination Address in a Redirect. */
export const NDISC_DESTINATION_OFFSET = 24;

const RA_MANAGED = 0x80;
const RA_OTHER = 0x40;
const NA_ROUTER = 0x80;
const NA_SOLICITED = 0x40;
const NA_OVERRIDE = 0x20;

/** Option types (Linux include/net/ndisc.h). */
export const ND_OPT_SOURCE_LL_ADDR = 1;
export const ND_OPT_TARGET_LL_ADDR = 2;
export const ND_OPT_PREFIX_INFO = 3;
export const ND_OPT_REDIRECT_HDR = 4;
export const ND_OPT_MTU = 5;
export const ND_OPT_NONCE = 14;

// Every option (RFC 4861 §4.6): Type (1) | Length in units of 8 bytes (1) | data.
// Prefix Information (§4.6.2), 32 bytes:
// | 3 | 4 | Prefix Length |L|A| Reserved1 | Valid Lifetime (4) | Preferred Lifetime (4) |
// | Reserved2 (4) | Prefix (16) |
const PI_PREFIX_LEN = 2;
const PI_FLAGS = 3;
const PI_VALID = 4;
const PI_PREFERRED = 8;
const PI_PREFIX = 16;
const PI_LEN = 32;
const PI_ON_LINK = 0x80;
const PI_AUTONOMOUS = 0x40;
// Redirected Header (§4.6.3): | 4 | len | Reserved (6) | IP header + data ... |
const RH_DATA = 8;
// MTU (§4.6.4): | 5 | 1 | Reserved (2) | MTU (4) |
const MTU_VALUE = 4;

/** The fixed length of each ND message (what comes before the options), or 0 if not ND. */
export function ndiscFixedLen(type: number): number {
  switch (type) {
    case NDISC_ROUTER_SOLICITATION:
      return 8;
    case NDISC_ROUTER_ADVERTISEMENT:
      return 16;
    case NDISC_NEIGHBOUR_SOLICITATION:
    case NDISC_NEIGHBOUR_ADVERTISEMENT:
      return 24;
    case NDISC_REDIRECT:
      return 40;
    default:
      return 0;
  }
}

/** A Neighbour Discovery message seen through its bytes (from the ICMPv6 header on). */
export class NdiscPacket {
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /**
   * Wraps untrusted ICMPv6 bytes, or returns `null` when the type is not ND (133-137) or
   * the message is shorter than the fixed part of its type (RFC 4861 §6.1/§7.1: e.g. 24
   * bytes for NS and NA). After this succeeds, no getter reads out of bounds; options
   * are only checked by the option walk (`ndiscOptionsOk`, `parseNdisc`).
   */
  static checked(bytes: Uint8Array): NdiscPacket | null {
    if (bytes.length < 8) return null;
    const fixed = ndiscFixedLen(bytes[TYPE] as number);
    if (fixed === 0 || bytes.length < fixed) return null;
    return new NdiscPacket(bytes);
  }

  /** Wraps a buffer we sized ourselves and are about to fill. */
  static unchecked(bytes: Uint8Array): NdiscPacket {
    return new NdiscPacket(bytes);
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
  /** RA: the hop limit hosts should use (0 = unspecified). */
  get curHopLimit(): number {
    return this.bytes[RA_CUR_HOP_LIMIT] as number;
  }
  /** RA: the whole flags byte (M, O, H, Prf, P and reserved bits). */
  get raFlags(): number {
    return this.bytes[RA_FLAGS] as number;
  }
  get managed(): boolean {
    return (this.raFlags & RA_MANAGED) !== 0;
  }
  get other(): boolean {
    return (this.raFlags & RA_OTHER) !== 0;
  }
  /** RA: RFC 4191 router preference bits. */
  get routerPreference(): RouterPreference {
    return PREFERENCES[(this.raFlags >>> 3) & 3] as RouterPreference;
  }
  /** RA: seconds; 0 means "not a default router". */
  get routerLifetime(): number {
    return be16(this.bytes, RA_ROUTER_LIFETIME);
  }
  /** RA: milliseconds; 0 = unspecified. */
  get reachableTime(): number {
    return be32(this.bytes, RA_REACHABLE_TIME);
  }
  /** RA: milliseconds; 0 = unspecified. */
  get retransTimer(): number {
    return be32(this.bytes, RA_RETRANS_TIMER);
  }
  get router(): boolean {
    return ((this.bytes[NA_FLAGS] as number) & NA_ROUTER) !== 0;
  }
  get solicited(): boolean {
    return ((this.bytes[NA_FLAGS] as number) & NA_SOLICITED) !== 0;
  }
  get override(): boolean {
    return ((this.bytes[NA_FLAGS] as number) & NA_OVERRIDE) !== 0;
  }
  /** NS, NA, Redirect: the target (allocates; key it with `NDISC_TARGET_OFFSET`). */
  get target(): Ipv6Addr {
    return Ipv6Addr.fromBytes(this.bytes, NDISC_TARGET_OFFSET);
  }
  get targetIsMulticast(): boolean {
    return this.bytes[NDISC_TARGET_OFFSET] === 0xff;
  }
  /** Redirect: the destination being redirected. */
  get destination(): Ipv6Addr {
    return Ipv6Addr.fromBytes(this.bytes, NDISC_DESTINATION_OFFSET);
  }
  /** The options area after the fixed part. */
  get options(): Uint8Array {
    return this.bytes.subarray(ndiscFixedLen(this.msgType));
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
  setCurHopLimit(value: number): void {
    this.bytes[RA_CUR_HOP_LIMIT] = value;
  }
  setRaFlags(value: number): void {
    this.bytes[RA_FLAGS] = value;
  }
  setRouterLifetime(value: number): void {
    setBe16(this.bytes, RA_ROUTER_LIFETIME, value);
  }
  setReachableTime(value: number): void {
    setBe32(this.bytes, RA_REACHABLE_TIME, value);
  }
  setRetransTimer(value: number): void {
    setBe32(this.bytes, RA_RETRANS_TIMER, value);
  }
  /** Writes the 32-bit word after the checksum: NA flags in the top byte, else reserved. */
  setFlagsWord(value: number): void {
    setBe32(this.bytes, RESERVED, value);
  }
  setTarget(addr: Ipv6Addr): void {
    addr.writeTo(this.bytes, NDISC_TARGET_OFFSET);
  }
  setDestination(addr: Ipv6Addr): void {
    addr.writeTo(this.bytes, NDISC_DESTINATION_OFFSET);
  }
}

export type RouterPreference = 'medium' | 'high' | 'reserved' | 'low';
// Indexed by the 2-bit Prf field: 00 medium, 01 high, 10 reserved, 11 low (RFC 4191 §2.1).
const PREFERENCES: readonly RouterPreference[] = ['medium', 'high', 'reserved', 'low'];

// ---------------------------------------------------------------- options

/**
 * True when the options area is a well-formed sequence: every option has a non-zero
 * length and ends inside the area (RFC 4861 §4.6: a zero length makes the packet
 * invalid; Linux ndisc_parse_options returns NULL for it and for an overrun).
 */
export function ndiscOptionsOk(options: Uint8Array): boolean {
  let off = 0;
  while (off < options.length) {
    if (off + 2 > options.length) return false;
    const len = (options[off + 1] as number) * 8;
    if (len === 0 || off + len > options.length) return false;
    off += len;
  }
  return true;
}

/**
 * Offset in `options` of the first option of `type`, or -1 when there is none or the
 * walk meets a malformed option first. Allocation-free, for the fast path.
 */
export function findNdiscOption(options: Uint8Array, type: number): number {
  let off = 0;
  while (off + 2 <= options.length) {
    const len = (options[off + 1] as number) * 8;
    if (len === 0 || off + len > options.length) return -1;
    if (options[off] === type) return off;
    off += len;
  }
  return -1;
}

/** A Prefix Information option as a value. */
export interface NdiscPrefixInfo {
  readonly prefixLength: number;
  /** L: the prefix is on-link. */
  readonly onLink: boolean;
  /** A: the prefix may be used for stateless autoconfiguration. */
  readonly autonomous: boolean;
  /** Seconds; 0xffffffff is infinity. */
  readonly validLifetime: number;
  readonly preferredLifetime: number;
  readonly prefix: Ipv6Addr;
}

/** ND messages as values, each with the options its type uses (others are ignored). */
export type NdiscRepr =
  | { readonly kind: 'routerSolicitation'; readonly sourceLinkAddr: MacAddr | null }
  | {
      readonly kind: 'routerAdvertisement';
      readonly curHopLimit: number;
      readonly managed: boolean;
      readonly other: boolean;
      readonly preference: RouterPreference;
      readonly routerLifetime: number;
      readonly reachableTime: number;
      readonly retransTimer: number;
      readonly sourceLinkAddr: MacAddr | null;
      readonly mtu: number | null;
      readonly prefixes: readonly NdiscPrefixInfo[];
    }
  | {
      readonly kind: 'neighbourSolicitation';
      readonly target: Ipv6Addr;
      readonly sourceLinkAddr: MacAddr | null;
      /** RFC 7527 nonce (Linux sends 6 bytes with DAD probes). */
      readonly nonce: Uint8Array | null;
    }
  | {
      readonly kind: 'neighbourAdvertisement';
      readonly router: boolean;
      readonly solicited: boolean;
      readonly override: boolean;
      readonly target: Ipv6Addr;
      readonly targetLinkAddr: MacAddr | null;
    }
  | {
      readonly kind: 'redirect';
      readonly target: Ipv6Addr;
      readonly destination: Ipv6Addr;
      readonly targetLinkAddr: MacAddr | null;
      /** The quoted packet, as carried (a multiple of 8 bytes). */
      readonly redirectedHeader: Uint8Array | null;
    };

interface ParsedOptions {
  sourceLinkAddr: MacAddr | null;
  targetLinkAddr: MacAddr | null;
  mtu: number | null;
  prefixes: NdiscPrefixInfo[];
  redirectedHeader: Uint8Array | null;
  nonce: Uint8Array | null;
}

// Linux ndisc_parse_options: the first of each single-valued option wins; prefix
// information may repeat; unknown options are skipped. A link-layer address option of a
// length other than 8 bytes is unusable on Ethernet and Linux drops the whole message
// (ndisc_opt_addr_data returns NULL and the callers bail out), so we return null too.
function parseOptions(options: Uint8Array): ParsedOptions | null {
  const out: ParsedOptions = {
    sourceLinkAddr: null,
    targetLinkAddr: null,
    mtu: null,
    prefixes: [],
    redirectedHeader: null,
    nonce: null,
  };
  let off = 0;
  while (off < options.length) {
    if (off + 2 > options.length) return null;
    const type = options[off] as number;
    const len = (options[off + 1] as number) * 8;
    if (len === 0 || off + len > options.length) return null;
    switch (type) {
      case ND_OPT_SOURCE_LL_ADDR:
      case ND_OPT_TARGET_LL_ADDR: {
        if (len !== 8) return null;
        const mac = MacAddr.fromBytes(options, off + 2);
        if (type === ND_OPT_SOURCE_LL_ADDR) out.sourceLinkAddr ??= mac;
        else out.targetLinkAddr ??= mac;
        break;
      }
      case ND_OPT_PREFIX_INFO:
        // Linux addrconf_prefix_rcv ignores a prefix option shorter than 32 bytes.
        if (len >= PI_LEN) {
          const flags = options[off + PI_FLAGS] as number;
          out.prefixes.push({
            prefixLength: options[off + PI_PREFIX_LEN] as number,
            onLink: (flags & PI_ON_LINK) !== 0,
            autonomous: (flags & PI_AUTONOMOUS) !== 0,
            validLifetime: be32(options, off + PI_VALID),
            preferredLifetime: be32(options, off + PI_PREFERRED),
            prefix: Ipv6Addr.fromBytes(options, off + PI_PREFIX),
          });
        }
        break;
      case ND_OPT_REDIRECT_HDR:
        out.redirectedHeader ??= options.subarray(off + RH_DATA, off + len);
        break;
      case ND_OPT_MTU:
        if (len === 8) out.mtu ??= be32(options, off + MTU_VALUE);
        break;
      case ND_OPT_NONCE:
        out.nonce ??= options.subarray(off + 2, off + len);
        break;
      default:
        break; // RFC 4861 §4.6: unrecognised options are skipped
    }
    off += len;
  }
  return out;
}

/**
 * Reads an ND message as a value, or returns `null` when its options are malformed
 * (zero length, overrun, or a link-layer address option that is not 8 bytes). The
 * checksum and the rules of `ndiscCheck` are the caller's to apply first.
 */
export function parseNdisc(pkt: NdiscPacket): NdiscRepr | null {
  const opts = parseOptions(pkt.options);
  if (opts === null) return null;
  switch (pkt.msgType) {
    case NDISC_ROUTER_SOLICITATION:
      return { kind: 'routerSolicitation', sourceLinkAddr: opts.sourceLinkAddr };
    case NDISC_ROUTER_ADVERTISEMENT:
      return {
        kind: 'routerAdvertisement',
        curHopLimit: pkt.curHopLimit,
        managed: pkt.managed,
        other: pkt.other,
        preference: pkt.routerPreference,
        routerLifetime: pkt.routerLifetime,
        reachableTime: pkt.reachableTime,
        retransTimer: pkt.retransTimer,
        sourceLinkAddr: opts.sourceLinkAddr,
        mtu: opts.mtu,
        prefixes: opts.prefixes,
      };
    case NDISC_NEIGHBOUR_SOLICITATION:
      return {
        kind: 'neighbourSolicitation',
        target: pkt.target,
        sourceLinkAddr: opts.sourceLinkAddr,
        nonce: opts.nonce,
      };
    case NDISC_NEIGHBOUR_ADVERTISEMENT:
      return {
        kind: 'neighbourAdvertisement',
        router: pkt.router,
        solicited: pkt.solicited,
        override: pkt.override,
        target: pkt.target,
        targetLinkAddr: opts.targetLinkAddr,
      };
    case NDISC_REDIRECT:
      return {
        kind: 'redirect',
        target: pkt.target,
        destination: pkt.destination,
        targetLinkAddr: opts.targetLinkAddr,
        redirectedHeader: opts.redirectedHeader,
      };
    default:
      return null;
  }
}

// ---------------------------------------------------------------- validity

/**
 * Why an ND message fails the stateless validity rules (RFC 4861 §6.1.1, §6.1.2, §7.1.1,
 * §7.1.2, §8.1). Linux drops with SKB_DROP_REASON_IPV6_NDISC_HOP_LIMIT, _BAD_CODE and
 * _BAD_OPTIONS for the first three; the others it only logs (ndisc_recv_ns/_na, ...).
 */
export type NdiscProblem =
  /** IP hop limit is not 255: the message may come from off-link. */
  | 'hopLimit'
  /** ICMP code is not 0. */
  | 'code'
  /** An option has length 0 or runs past the end. */
  | 'options'
  /** NS/NA target is a multicast address. */
  | 'multicastTarget'
  /** NS from :: (DAD) not sent to a solicited-node group. */
  | 'dadDestination'
  /** NS or RS from :: carries a source link-layer address option. */
  | 'unspecifiedSourceLinkAddr'
  /** NA sent to a multicast address with the Solicited flag set. */
  | 'solicitedToMulticast'
  /** RA or Redirect whose source is not link-local. */
  | 'sourceNotLinkLocal'
  /** Redirect whose destination is multicast. */
  | 'multicastDestination'
  /** Redirect whose target is neither link-local nor the destination itself. */
  | 'redirectTarget';

function isLinkLocalAt(bytes: Uint8Array, offset: number): boolean {
  return bytes[offset] === 0xfe && ((bytes[offset + 1] as number) & 0xc0) === 0x80;
}

/**
 * Applies the validity rules that need no state to `nd`, carried by `ip`; returns the
 * first problem, or `null` when the message is valid. The minimum ICMP length is
 * `NdiscPacket.checked`'s; the checksum is `icmpv6ChecksumOk`'s.
 */
export function ndiscCheck(ip: Ipv6Packet, nd: NdiscPacket): NdiscProblem | null {
  if (ip.hopLimit !== 255) return 'hopLimit';
  if (nd.code !== 0) return 'code';
  const options = nd.options;
  if (!ndiscOptionsOk(options)) return 'options';
  const ipBytes = ip.bytes;
  const fromUnspecified = ip.srcIsUnspecified;
  switch (nd.msgType) {
    case NDISC_ROUTER_SOLICITATION:
      if (fromUnspecified && findNdiscOption(options, ND_OPT_SOURCE_LL_ADDR) >= 0) {
        return 'unspecifiedSourceLinkAddr';
      }
      return null;
    case NDISC_ROUTER_ADVERTISEMENT:
      return isLinkLocalAt(ipBytes, 8) ? null : 'sourceNotLinkLocal';
    case NDISC_NEIGHBOUR_SOLICITATION:
      if (nd.targetIsMulticast) return 'multicastTarget';
      if (fromUnspecified) {
        if (!isSolicitedNodeMulticastAt(ipBytes, IPV6_DST_OFFSET)) return 'dadDestination';
        if (findNdiscOption(options, ND_OPT_SOURCE_LL_ADDR) >= 0) {
          return 'unspecifiedSourceLinkAddr';
        }
      }
      return null;
    case NDISC_NEIGHBOUR_ADVERTISEMENT:
      if (nd.targetIsMulticast) return 'multicastTarget';
      if (ip.dstIsMulticast && nd.solicited) return 'solicitedToMulticast';
      return null;
    case NDISC_REDIRECT: {
      if (!isLinkLocalAt(ipBytes, 8)) return 'sourceNotLinkLocal';
      const b = nd.bytes;
      if (b[NDISC_DESTINATION_OFFSET] === 0xff) return 'multicastDestination';
      let same = true;
      for (let i = 0; i < 16 && same; i++) {
        same = b[NDISC_TARGET_OFFSET + i] === b[NDISC_DESTINATION_OFFSET + i];
      }
      if (!same && !isLinkLocalAt(b, NDISC_TARGET_OFFSET)) return 'redirectTarget';
      return null;
    }
    default:
      return null;
  }
}

// ---------------------------------------------------------------- emit

function reprType(repr: NdiscRepr): number {
  switch (repr.kind) {
    case 'routerSolicitation':
      return NDISC_ROUTER_SOLICITATION;
    case 'routerAdvertisement':
      return NDISC_ROUTER_ADVERTISEMENT;
    case 'neighbourSolicitation':
      return NDISC_NEIGHBOUR_SOLICITATION;
    case 'neighbourAdvertisement':
      return NDISC_NEIGHBOUR_ADVERTISEMENT;
    case 'redirect':
      return NDISC_REDIRECT;
  }
}

/** Option length (bytes) for `dataLen` bytes after the type and length, padded to 8. */
function optionLen(dataLen: number): number {
  return Math.ceil((dataLen + 2) / 8) * 8;
}

function optionsLen(repr: NdiscRepr): number {
  let len = 0;
  switch (repr.kind) {
    case 'routerSolicitation':
      if (repr.sourceLinkAddr !== null) len += 8;
      break;
    case 'routerAdvertisement':
      if (repr.sourceLinkAddr !== null) len += 8;
      if (repr.mtu !== null) len += 8;
      len += PI_LEN * repr.prefixes.length;
      break;
    case 'neighbourSolicitation':
      if (repr.sourceLinkAddr !== null) len += 8;
      if (repr.nonce !== null) len += optionLen(repr.nonce.length);
      break;
    case 'neighbourAdvertisement':
      if (repr.targetLinkAddr !== null) len += 8;
      break;
    case 'redirect':
      if (repr.targetLinkAddr !== null) len += 8;
      if (repr.redirectedHeader !== null) len += optionLen(6 + repr.redirectedHeader.length);
      break;
  }
  return len;
}

/**
 * The ICMPv6 length `repr` needs. A nonce or redirected header whose option would not
 * end on an 8-byte boundary is zero-padded.
 */
export function ndiscLen(repr: NdiscRepr): number {
  return ndiscFixedLen(reprType(repr)) + optionsLen(repr);
}

function writeLinkAddrOption(out: Uint8Array, off: number, type: number, mac: MacAddr): number {
  out[off] = type;
  out[off + 1] = 1;
  mac.writeTo(out, off + 2);
  return off + 8;
}

function writeDataOption(out: Uint8Array, off: number, type: number, data: Uint8Array): number {
  const len = optionLen(data.length);
  out.fill(0, off, off + len);
  out[off] = type;
  out[off + 1] = len / 8;
  out.set(data, off + 2);
  return off + len;
}

/**
 * Writes the message and its checksum; `out` must be exactly `ndiscLen(repr)` long.
 * Options go in the order Linux and radvd use: link-layer address, MTU, prefixes, nonce,
 * redirected header.
 */
export function emitNdisc(repr: NdiscRepr, out: NdiscPacket, src: Ipv6Addr, dst: Ipv6Addr): void {
  const b = out.bytes;
  out.setMsgType(reprType(repr));
  out.setCode(0);
  out.setFlagsWord(0);
  let off = ndiscFixedLen(out.msgType);
  switch (repr.kind) {
    case 'routerSolicitation':
      if (repr.sourceLinkAddr !== null) {
        off = writeLinkAddrOption(b, off, ND_OPT_SOURCE_LL_ADDR, repr.sourceLinkAddr);
      }
      break;
    case 'routerAdvertisement': {
      out.setCurHopLimit(repr.curHopLimit);
      const prf = PREFERENCES.indexOf(repr.preference);
      out.setRaFlags((repr.managed ? RA_MANAGED : 0) | (repr.other ? RA_OTHER : 0) | (prf << 3));
      out.setRouterLifetime(repr.routerLifetime);
      out.setReachableTime(repr.reachableTime);
      out.setRetransTimer(repr.retransTimer);
      if (repr.sourceLinkAddr !== null) {
        off = writeLinkAddrOption(b, off, ND_OPT_SOURCE_LL_ADDR, repr.sourceLinkAddr);
      }
      if (repr.mtu !== null) {
        b[off] = ND_OPT_MTU;
        b[off + 1] = 1;
        setBe16(b, off + 2, 0);
        setBe32(b, off + MTU_VALUE, repr.mtu);
        off += 8;
      }
      for (const p of repr.prefixes) {
        b.fill(0, off, off + PI_LEN);
        b[off] = ND_OPT_PREFIX_INFO;
        b[off + 1] = PI_LEN / 8;
        b[off + PI_PREFIX_LEN] = p.prefixLength;
        b[off + PI_FLAGS] = (p.onLink ? PI_ON_LINK : 0) | (p.autonomous ? PI_AUTONOMOUS : 0);
        setBe32(b, off + PI_VALID, p.validLifetime);
        setBe32(b, off + PI_PREFERRED, p.preferredLifetime);
        p.prefix.writeTo(b, off + PI_PREFIX);
        off += PI_LEN;
      }
      break;
    }
    case 'neighbourSolicitation':
      out.setTarget(repr.target);
      if (repr.sourceLinkAddr !== null) {
        off = writeLinkAddrOption(b, off, ND_OPT_SOURCE_LL_ADDR, repr.sourceLinkAddr);
      }
      if (repr.nonce !== null) off = writeDataOption(b, off, ND_OPT_NONCE, repr.nonce);
      break;
    case 'neighbourAdvertisement':
      out.setFlagsWord(
        ((repr.router ? NA_ROUTER : 0) |
          (repr.solicited ? NA_SOLICITED : 0) |
          (repr.override ? NA_OVERRIDE : 0)) <<
          24,
      );
      out.setTarget(repr.target);
      if (repr.targetLinkAddr !== null) {
        off = writeLinkAddrOption(b, off, ND_OPT_TARGET_LL_ADDR, repr.targetLinkAddr);
      }
      break;
    case 'redirect':
      out.setTarget(repr.target);
      out.setDestination(repr.destination);
      if (repr.targetLinkAddr !== null) {
        off = writeLinkAddrOption(b, off, ND_OPT_TARGET_LL_ADDR, repr.targetLinkAddr);
      }
      if (repr.redirectedHeader !== null) {
        // Six reserved bytes precede the quote; present them to writeDataOption as data.
        const data = new Uint8Array(6 + repr.redirectedHeader.length);
        data.set(repr.redirectedHeader, 6);
        off = writeDataOption(b, off, ND_OPT_REDIRECT_HDR, data);
      }
      break;
  }
  fillIcmpv6Checksum(Icmpv6Packet.unchecked(b), src, dst);
}

/** The IPv6 header of an ND message: hop limit 255 unless told otherwise (RFC 4861 §4). */
export type NdiscIpHeader = Omit<Ipv6Header, 'hopLimit'> & { readonly hopLimit?: number };

/** Length of the IPv6 packet `buildNdiscPacket` makes. */
export function ndiscPacketLen(repr: NdiscRepr): number {
  return IPV6_HEADER_LEN + ndiscLen(repr);
}

/** Writes IPv6 header and ND message into `out` (at least `ndiscPacketLen(repr)` long). */
export function writeNdiscPacket(ip: NdiscIpHeader, repr: NdiscRepr, out: Uint8Array): void {
  const len = ndiscLen(repr);
  const header: Ipv6Header = { ...ip, hopLimit: ip.hopLimit ?? 255 };
  const body = writeIpv6Header(header, IPPROTO_ICMPV6, len, out);
  emitNdisc(repr, NdiscPacket.unchecked(body), ip.src, ip.dst);
}

/** Allocates and returns a complete IPv6 packet carrying `repr`. */
export function buildNdiscPacket(ip: NdiscIpHeader, repr: NdiscRepr): Uint8Array {
  const out = new Uint8Array(ndiscPacketLen(repr));
  writeNdiscPacket(ip, repr, out);
  return out;
}
