// Multicast Listener Discovery: MLDv1 (RFC 2710) query, report and done, and MLDv2
// (RFC 3810) query and report with multicast address records. Enough to read joins and
// leaves and to announce our own the way Linux does (mcast.c): MLDv2 reports to ff02::16,
// hop limit 1, behind a Hop-by-Hop header with a Router Alert.

import { IPPROTO_HOPOPTS, IPPROTO_ICMPV6 } from '../uapi/rtnetlink.ts';
import { Ipv6Addr } from './address.ts';
import { be16, setBe16, setBe32 } from './bytes.ts';
import {
  ICMPV6_MGM_QUERY,
  ICMPV6_MGM_REDUCTION,
  ICMPV6_MGM_REPORT,
  ICMPV6_MLD2_REPORT,
  Icmpv6Packet,
  fillIcmpv6Checksum,
} from './icmpv6.ts';
import {
  IPV6_ALL_MLDV2_ROUTERS,
  IPV6_HEADER_LEN,
  IPV6_OPT_ROUTERALERT_MLD,
  IPV6_ROUTER_ALERT_HBH_LEN,
  writeIpv6Header,
  writeRouterAlertHopByHop,
  type Ipv6Header,
  type Ipv6Packet,
} from './ipv6.ts';

// RFC 2710 §3 (MLDv1) and RFC 3810 §5.1 (MLDv2 query):
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |     Type      |     Code      |          Checksum             |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Maximum Response Delay / Code |           Reserved            |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |               Multicast Address (16 bytes, offset 8)          |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  <- 24: end of MLDv1
// | Resv  |S| QRV |     QQIC      |     Number of Sources (N)     |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |               Source Address [1..N] (16 bytes each)           |
//
// RFC 3810 §5.2 (MLDv2 report):
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Type = 143   |   Reserved    |           Checksum            |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |           Reserved            |Nr of Mcast Address Records (M)|
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                 Multicast Address Record [1..M]               |
// each record:
// |  Record Type  |  Aux Data Len |     Number of Sources (N)     |
// |               Multicast Address (16 bytes)                    |
// |               Source Address [1..N] (16 bytes each)           |
// |               Auxiliary Data (Aux Data Len * 4 bytes)         |
const TYPE = 0;
const CODE = 1;
const CHECKSUM = 2;
const MAX_RESPONSE = 4;
/** Offset of the Multicast Address in queries and MLDv1 messages. */
export const MLD_GROUP_OFFSET = 8;
const QUERY_FLAGS = 24;
const QUERY_QQIC = 25;
const QUERY_NUM_SOURCES = 26;
const QUERY_SOURCES = 28;
const REPORT_NUM_RECORDS = 6;
const REPORT_RECORDS = 8;
const REC_TYPE = 0;
const REC_AUX_LEN = 1;
const REC_NUM_SOURCES = 2;
const REC_GROUP = 4;
const REC_SOURCES = 20;

/** Length of every MLDv1 message. */
export const MLD_V1_LEN = 24;
/** Shortest MLDv2 query (RFC 3810 §8.1: 24 bytes is v1, 28 or more is v2). */
export const MLD_V2_QUERY_MIN_LEN = 28;
const REC_MIN_LEN = 20;
const S_FLAG = 0x08;

/** MLDv2 record types (Linux include/net/mld.h). */
export const MLD2_MODE_IS_INCLUDE = 1;
export const MLD2_MODE_IS_EXCLUDE = 2;
export const MLD2_CHANGE_TO_INCLUDE = 3;
export const MLD2_CHANGE_TO_EXCLUDE = 4;
export const MLD2_ALLOW_NEW_SOURCES = 5;
export const MLD2_BLOCK_OLD_SOURCES = 6;

/** An MLD message seen through its bytes (from the ICMPv6 header on). */
export class MldPacket {
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /**
   * Wraps untrusted ICMPv6 bytes, or returns `null` when the type is not MLD (130, 131,
   * 132, 143), a query is neither 24 nor at least 28 bytes (RFC 3810 §8.1), an MLDv1
   * message is shorter than 24 bytes, or a source list or record runs past the end.
   * After this succeeds, no getter and no record walk reads out of bounds.
   */
  static checked(bytes: Uint8Array): MldPacket | null {
    const len = bytes.length;
    if (len < 8) return null;
    switch (bytes[TYPE] as number) {
      case ICMPV6_MGM_QUERY:
        if (len === MLD_V1_LEN) break;
        if (len < MLD_V2_QUERY_MIN_LEN) return null;
        if (QUERY_SOURCES + 16 * be16(bytes, QUERY_NUM_SOURCES) > len) return null;
        break;
      case ICMPV6_MGM_REPORT:
      case ICMPV6_MGM_REDUCTION:
        if (len < MLD_V1_LEN) return null;
        break;
      case ICMPV6_MLD2_REPORT: {
        // Each record is at least 20 bytes, so this ends within len / 20 steps.
        let off = REPORT_RECORDS;
        for (let n = be16(bytes, REPORT_NUM_RECORDS); n > 0; n--) {
          if (off + REC_MIN_LEN > len) return null;
          off += recordLen(bytes, off);
          if (off > len) return null;
        }
        break;
      }
      default:
        return null;
    }
    return new MldPacket(bytes);
  }

  /** Wraps a buffer we sized ourselves and are about to fill. */
  static unchecked(bytes: Uint8Array): MldPacket {
    return new MldPacket(bytes);
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
  /** True for an MLDv2 query (a query of 28 bytes or more). */
  get isV2Query(): boolean {
    return this.msgType === ICMPV6_MGM_QUERY && this.bytes.length >= MLD_V2_QUERY_MIN_LEN;
  }
  /** MLDv1: Maximum Response Delay in ms; MLDv2 query: the Maximum Response Code. */
  get maxResponse(): number {
    return be16(this.bytes, MAX_RESPONSE);
  }
  /** Queries and MLDv1 messages: the multicast address (allocates). */
  get group(): Ipv6Addr {
    return Ipv6Addr.fromBytes(this.bytes, MLD_GROUP_OFFSET);
  }
  /** MLDv2 query: S, suppress router-side processing. */
  get suppress(): boolean {
    return ((this.bytes[QUERY_FLAGS] as number) & S_FLAG) !== 0;
  }
  /** MLDv2 query: Querier's Robustness Variable. */
  get qrv(): number {
    return (this.bytes[QUERY_FLAGS] as number) & 7;
  }
  /** MLDv2 query: Querier's Query Interval Code. */
  get qqic(): number {
    return this.bytes[QUERY_QQIC] as number;
  }
  /** MLDv2 query: number of source addresses. */
  get numSources(): number {
    return be16(this.bytes, QUERY_NUM_SOURCES);
  }
  /** MLDv2 query: source `i` (0-based, below `numSources`). */
  source(i: number): Ipv6Addr {
    return Ipv6Addr.fromBytes(this.bytes, QUERY_SOURCES + 16 * i);
  }
  /** MLDv2 report: number of multicast address records. */
  get numRecords(): number {
    return be16(this.bytes, REPORT_NUM_RECORDS);
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
  setMaxResponse(value: number): void {
    setBe16(this.bytes, MAX_RESPONSE, value);
  }
  setGroup(addr: Ipv6Addr): void {
    addr.writeTo(this.bytes, MLD_GROUP_OFFSET);
  }
}

function recordLen(bytes: Uint8Array, off: number): number {
  return (
    REC_MIN_LEN + 16 * be16(bytes, off + REC_NUM_SOURCES) + 4 * (bytes[off + REC_AUX_LEN] as number)
  );
}

/**
 * MLDv2 Maximum Response Code to milliseconds (RFC 3810 §5.1.3): literal below 32768,
 * else a floating-point value (mant | 0x1000) << (exp + 3).
 */
export function mldv2MaxResponseDelay(code: number): number {
  if (code < 0x8000) return code;
  return ((code & 0x0fff) | 0x1000) * 2 ** (((code >>> 12) & 7) + 3);
}

/** MLDv2 Querier's Query Interval Code to seconds (RFC 3810 §5.1.9), same scheme in 8 bits. */
export function mldv2QueryInterval(qqic: number): number {
  if (qqic < 0x80) return qqic;
  return ((qqic & 0x0f) | 0x10) * 2 ** (((qqic >>> 4) & 7) + 3);
}

/** One MLDv2 multicast address record. */
export interface MldRecord {
  /** MLD2_MODE_IS_INCLUDE .. MLD2_BLOCK_OLD_SOURCES; others are kept for the caller to ignore. */
  readonly type: number;
  readonly group: Ipv6Addr;
  readonly sources: readonly Ipv6Addr[];
  /** Auxiliary data (a multiple of 4 bytes; RFC 3810 defines none). */
  readonly auxData: Uint8Array;
}

/** MLD messages as values. */
export type MldRepr =
  | { readonly kind: 'v1Query'; readonly maxResponseDelay: number; readonly group: Ipv6Addr }
  | {
      readonly kind: 'v2Query';
      readonly maxResponseCode: number;
      readonly group: Ipv6Addr;
      readonly suppress: boolean;
      readonly qrv: number;
      readonly qqic: number;
      readonly sources: readonly Ipv6Addr[];
    }
  | { readonly kind: 'v1Report' | 'v1Done'; readonly group: Ipv6Addr }
  | { readonly kind: 'v2Report'; readonly records: readonly MldRecord[] };

/**
 * Reads an MLD message as a value. Never fails for a checked packet; the checksum and
 * `mldCheck` are the caller's to apply first. Auxiliary data are windows into the bytes.
 */
export function parseMld(pkt: MldPacket): MldRepr {
  const b = pkt.bytes;
  switch (pkt.msgType) {
    case ICMPV6_MGM_QUERY: {
      if (!pkt.isV2Query) {
        return { kind: 'v1Query', maxResponseDelay: pkt.maxResponse, group: pkt.group };
      }
      const sources: Ipv6Addr[] = [];
      for (let i = 0; i < pkt.numSources; i++) sources.push(pkt.source(i));
      return {
        kind: 'v2Query',
        maxResponseCode: pkt.maxResponse,
        group: pkt.group,
        suppress: pkt.suppress,
        qrv: pkt.qrv,
        qqic: pkt.qqic,
        sources,
      };
    }
    case ICMPV6_MGM_REPORT:
      return { kind: 'v1Report', group: pkt.group };
    case ICMPV6_MGM_REDUCTION:
      return { kind: 'v1Done', group: pkt.group };
    default: {
      const records: MldRecord[] = [];
      let off = REPORT_RECORDS;
      for (let n = pkt.numRecords; n > 0; n--) {
        const numSources = be16(b, off + REC_NUM_SOURCES);
        const sources: Ipv6Addr[] = [];
        for (let i = 0; i < numSources; i++) {
          sources.push(Ipv6Addr.fromBytes(b, off + REC_SOURCES + 16 * i));
        }
        const auxStart = off + REC_SOURCES + 16 * numSources;
        const next = off + recordLen(b, off);
        records.push({
          type: b[off + REC_TYPE] as number,
          group: Ipv6Addr.fromBytes(b, off + REC_GROUP),
          sources,
          auxData: b.subarray(auxStart, next),
        });
        off = next;
      }
      return { kind: 'v2Report', records };
    }
  }
}

/** Why an MLD message must be ignored (RFC 2710 §5, RFC 3810 §5.1.14 and §5.2.13). */
export type MldProblem =
  /** The source is not link-local (a report may also come from ::, RFC 3810 §5.2.13). */
  | 'sourceNotLinkLocal'
  /** The hop limit is not 1. */
  | 'hopLimit'
  /** There is no Router Alert with value 0 in a Hop-by-Hop header. */
  | 'noRouterAlert';

/**
 * Checks the IPv6 framing RFC 2710/3810 require of `mld` carried by `ip`: link-local
 * source, hop limit 1, Router Alert (`routerAlert` from `ipv6UpperLayer`). Linux hosts
 * enforce only the source rule (igmp6_event_query); its bridge snooping enforces all
 * three (ipv6_mc_check_mld).
 */
export function mldCheck(ip: Ipv6Packet, mld: MldPacket, routerAlert: number): MldProblem | null {
  const b = ip.bytes;
  const linkLocal = b[8] === 0xfe && ((b[9] as number) & 0xc0) === 0x80;
  const isReport = mld.msgType !== ICMPV6_MGM_QUERY;
  if (!linkLocal && !(isReport && ip.srcIsUnspecified)) return 'sourceNotLinkLocal';
  if (ip.hopLimit !== 1) return 'hopLimit';
  if (routerAlert !== IPV6_OPT_ROUTERALERT_MLD) return 'noRouterAlert';
  return null;
}

/** The record Linux sends when a socket joins `group` (any source): CHANGE_TO_EXCLUDE {}. */
export function mldv2JoinRecord(group: Ipv6Addr): MldRecord {
  return { type: MLD2_CHANGE_TO_EXCLUDE, group, sources: [], auxData: new Uint8Array(0) };
}

/** The record Linux sends when the last listener leaves `group`: CHANGE_TO_INCLUDE {}. */
export function mldv2LeaveRecord(group: Ipv6Addr): MldRecord {
  return { type: MLD2_CHANGE_TO_INCLUDE, group, sources: [], auxData: new Uint8Array(0) };
}

function reprType(repr: MldRepr): number {
  switch (repr.kind) {
    case 'v1Query':
    case 'v2Query':
      return ICMPV6_MGM_QUERY;
    case 'v1Report':
      return ICMPV6_MGM_REPORT;
    case 'v1Done':
      return ICMPV6_MGM_REDUCTION;
    case 'v2Report':
      return ICMPV6_MLD2_REPORT;
  }
}

/** The ICMPv6 length `repr` needs. Auxiliary data is zero-padded to 4-byte words. */
export function mldLen(repr: MldRepr): number {
  switch (repr.kind) {
    case 'v1Query':
    case 'v1Report':
    case 'v1Done':
      return MLD_V1_LEN;
    case 'v2Query':
      return QUERY_SOURCES + 16 * repr.sources.length;
    case 'v2Report': {
      let len = REPORT_RECORDS;
      for (const r of repr.records) {
        len += REC_MIN_LEN + 16 * r.sources.length + 4 * Math.ceil(r.auxData.length / 4);
      }
      return len;
    }
  }
}

/** Writes the message and its checksum; `out` must be exactly `mldLen(repr)` long. */
export function emitMld(repr: MldRepr, out: MldPacket, src: Ipv6Addr, dst: Ipv6Addr): void {
  const b = out.bytes;
  out.setMsgType(reprType(repr));
  out.setCode(0);
  setBe32(b, MAX_RESPONSE, 0);
  switch (repr.kind) {
    case 'v1Query':
      out.setMaxResponse(repr.maxResponseDelay);
      out.setGroup(repr.group);
      break;
    case 'v1Report':
    case 'v1Done':
      out.setGroup(repr.group);
      break;
    case 'v2Query':
      out.setMaxResponse(repr.maxResponseCode);
      out.setGroup(repr.group);
      b[QUERY_FLAGS] = (repr.suppress ? S_FLAG : 0) | (repr.qrv & 7);
      b[QUERY_QQIC] = repr.qqic;
      setBe16(b, QUERY_NUM_SOURCES, repr.sources.length);
      repr.sources.forEach((s, i) => s.writeTo(b, QUERY_SOURCES + 16 * i));
      break;
    case 'v2Report': {
      setBe16(b, REPORT_NUM_RECORDS, repr.records.length);
      let off = REPORT_RECORDS;
      for (const r of repr.records) {
        const auxWords = Math.ceil(r.auxData.length / 4);
        b[off + REC_TYPE] = r.type;
        b[off + REC_AUX_LEN] = auxWords;
        setBe16(b, off + REC_NUM_SOURCES, r.sources.length);
        r.group.writeTo(b, off + REC_GROUP);
        off += REC_SOURCES;
        for (const s of r.sources) {
          s.writeTo(b, off);
          off += 16;
        }
        b.fill(0, off, off + 4 * auxWords);
        b.set(r.auxData, off);
        off += 4 * auxWords;
      }
      break;
    }
  }
  fillIcmpv6Checksum(Icmpv6Packet.unchecked(b), src, dst);
}

/** The IPv6 header of an MLD message: hop limit 1 unless told otherwise (RFC 3810 §5). */
export type MldIpHeader = Omit<Ipv6Header, 'hopLimit'> & { readonly hopLimit?: number };

/** Length of the IPv6 packet `buildMldPacket` makes: header, Hop-by-Hop, MLD. */
export function mldPacketLen(repr: MldRepr): number {
  return IPV6_HEADER_LEN + IPV6_ROUTER_ALERT_HBH_LEN + mldLen(repr);
}

/**
 * Writes the IPv6 header, the Router Alert Hop-by-Hop header and the MLD message into
 * `out` (at least `mldPacketLen(repr)` long), as Linux's mcast.c does.
 */
export function writeMldPacket(ip: MldIpHeader, repr: MldRepr, out: Uint8Array): void {
  const len = mldLen(repr);
  const header: Ipv6Header = { ...ip, hopLimit: ip.hopLimit ?? 1 };
  const payload = writeIpv6Header(header, IPPROTO_HOPOPTS, IPV6_ROUTER_ALERT_HBH_LEN + len, out);
  writeRouterAlertHopByHop(IPPROTO_ICMPV6, IPV6_OPT_ROUTERALERT_MLD, payload, 0);
  emitMld(repr, MldPacket.unchecked(payload.subarray(IPV6_ROUTER_ALERT_HBH_LEN)), ip.src, ip.dst);
}

/** Allocates and returns a complete IPv6 packet carrying `repr`. */
export function buildMldPacket(ip: MldIpHeader, repr: MldRepr): Uint8Array {
  const out = new Uint8Array(mldPacketLen(repr));
  writeMldPacket(ip, repr, out);
  return out;
}

/**
 * An MLDv2 report from `src` (a link-local address, or :: before one is ready) to
 * ff02::16, e.g. `buildMldv2Report(ll, [mldv2JoinRecord(group)])` for a join.
 */
export function buildMldv2Report(src: Ipv6Addr, records: readonly MldRecord[]): Uint8Array {
  return buildMldPacket({ src, dst: IPV6_ALL_MLDV2_ROUTERS }, { kind: 'v2Report', records });
}
