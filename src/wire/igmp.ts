// IGMP: version 1 and 2 messages (RFC 1112, RFC 2236) and version 3 queries and reports
// (RFC 3376). Enough to answer queries and to see joins and leaves; source-filter state
// machines belong to the stack. Multicast router messages (DVMRP, PIMv1, mtrace) are refused.

import { ipv4At, writeIpv4, type Ipv4Addr } from './address.ts';
import { be16, setBe16 } from './bytes.ts';
import { internetChecksum } from './checksum.ts';

// RFC 2236 §2 (and RFC 1112 App. I with Max Resp Time 0):
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |      Type     | Max Resp Time |           Checksum            |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                         Group Address                         |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// RFC 3376 §4.1, version 3 Membership Query (12 + 4N bytes):
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Type = 0x11  | Max Resp Code |           Checksum            |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                         Group Address                         |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Resv  |S| QRV |     QQIC      |     Number of Sources (N)     |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                  Source Address [1] … [N]                     |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// RFC 3376 §4.2, version 3 Membership Report:
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Type = 0x22  |    Reserved   |           Checksum            |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |           Reserved            |  Number of Group Records (M)  |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                  Group Record [1] … [M]                       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// where each Group Record (RFC 3376 §4.2.4) is:
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Record Type  |  Aux Data Len |     Number of Sources (N)     |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                       Multicast Address                       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |          Source Address [1] … [N], then Aux Data (words)      |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
const TYPE = 0;
const MAX_RESP = 1;
const CHECKSUM = 2;
const GROUP = 4;
const QUERY_FLAGS = 8;
const QUERY_QQIC = 9;
const QUERY_NSRCS = 10;
const QUERY_SOURCES = 12;
const REPORT_NRECS = 6;
const REPORT_RECORDS = 8;
const RECORD_HEADER_LEN = 8;

/** Length of a version 1/2 message, and the shortest IGMP message. */
export const IGMP_HEADER_LEN = 8;
/** Length of a version 3 query without sources. */
export const IGMPV3_QUERY_LEN = 12;

/** Message types (include/uapi/linux/igmp.h). */
export const IGMP_HOST_MEMBERSHIP_QUERY = 0x11;
export const IGMP_HOST_MEMBERSHIP_REPORT = 0x12;
export const IGMPV2_HOST_MEMBERSHIP_REPORT = 0x16;
export const IGMP_HOST_LEAVE_MESSAGE = 0x17;
export const IGMPV3_HOST_MEMBERSHIP_REPORT = 0x22;

/** Group record types (RFC 3376 §4.2.12). */
export const IGMPV3_MODE_IS_INCLUDE = 1;
export const IGMPV3_MODE_IS_EXCLUDE = 2;
export const IGMPV3_CHANGE_TO_INCLUDE = 3;
export const IGMPV3_CHANGE_TO_EXCLUDE = 4;
export const IGMPV3_ALLOW_NEW_SOURCES = 5;
export const IGMPV3_BLOCK_OLD_SOURCES = 6;

/** Where the group records of a v3 report end, or -1 if one runs past `len`. */
function recordsEnd(bytes: Uint8Array, len: number): number {
  const count = be16(bytes, REPORT_NRECS);
  let off = REPORT_RECORDS;
  for (let i = 0; i < count; i++) {
    if (off + RECORD_HEADER_LEN > len) return -1;
    off += RECORD_HEADER_LEN + 4 * be16(bytes, off + 2) + 4 * (bytes[off + 1] as number);
  }
  return off <= len ? off : -1;
}

/** An IGMP message seen through its bytes (the whole IPv4 payload). Never copies. */
export class IgmpPacket {
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /**
   * Wraps untrusted bytes (exactly the IPv4 payload, which the checksum covers), or
   * returns `null` when they are shorter than 8 bytes, when a query is 9 to 11 bytes long
   * (RFC 3376 §7.1: ignore it), or when the sources of a v3 query or the group records of
   * a v3 report run past the end. After this succeeds, no getter reads out of bounds.
   */
  static checked(bytes: Uint8Array): IgmpPacket | null {
    const len = bytes.length;
    if (len < IGMP_HEADER_LEN) return null;
    const type = bytes[TYPE] as number;
    if (type === IGMP_HOST_MEMBERSHIP_QUERY && len > IGMP_HEADER_LEN) {
      if (len < IGMPV3_QUERY_LEN) return null;
      if (IGMPV3_QUERY_LEN + 4 * be16(bytes, QUERY_NSRCS) > len) return null;
    } else if (type === IGMPV3_HOST_MEMBERSHIP_REPORT) {
      if (recordsEnd(bytes, len) < 0) return null;
    }
    return new IgmpPacket(bytes);
  }

  /** Wraps a buffer we sized ourselves and are about to fill. */
  static unchecked(bytes: Uint8Array): IgmpPacket {
    return new IgmpPacket(bytes);
  }

  get type(): number {
    return this.bytes[TYPE] as number;
  }
  /** Max Resp Time (v2, tenths of a second) or Max Resp Code (v3; see `igmpv3DecodeCode`). */
  get maxRespCode(): number {
    return this.bytes[MAX_RESP] as number;
  }
  get checksum(): number {
    return be16(this.bytes, CHECKSUM);
  }
  /** The group of a query, v1/v2 report or leave (0.0.0.0 in a general query). */
  get group(): Ipv4Addr {
    return ipv4At(this.bytes, GROUP);
  }
  get checksumOk(): boolean {
    return internetChecksum(this.bytes) === 0;
  }
  /**
   * The version of a query by RFC 3376 §7.1: 8 bytes with Max Resp Time 0 is v1, 8 bytes
   * otherwise v2, 12 or more v3. 0 when this is not a query.
   */
  get queryVersion(): 0 | 1 | 2 | 3 {
    if (this.type !== IGMP_HOST_MEMBERSHIP_QUERY) return 0;
    if (this.bytes.length > IGMP_HEADER_LEN) return 3;
    return this.maxRespCode === 0 ? 1 : 2;
  }
  /** v3 query: Suppress Router-Side Processing. */
  get suppressRouterSide(): boolean {
    return ((this.bytes[QUERY_FLAGS] as number) & 0x08) !== 0;
  }
  /** v3 query: Querier's Robustness Variable. */
  get qrv(): number {
    return (this.bytes[QUERY_FLAGS] as number) & 0x07;
  }
  /** v3 query: Querier's Query Interval Code. */
  get qqic(): number {
    return this.bytes[QUERY_QQIC] as number;
  }
  /** v3 query: number of sources. */
  get numSources(): number {
    return be16(this.bytes, QUERY_NSRCS);
  }
  /** v3 query: the i-th source (0-based; the caller keeps i below `numSources`). */
  sourceAt(i: number): Ipv4Addr {
    return ipv4At(this.bytes, QUERY_SOURCES + 4 * i);
  }
  /** v3 report: number of group records. */
  get numRecords(): number {
    return be16(this.bytes, REPORT_NRECS);
  }

  setType(value: number): void {
    this.bytes[TYPE] = value & 0xff;
  }
  setMaxRespCode(value: number): void {
    this.bytes[MAX_RESP] = value & 0xff;
  }
  setChecksum(value: number): void {
    setBe16(this.bytes, CHECKSUM, value);
  }
  setGroup(addr: Ipv4Addr): void {
    writeIpv4(this.bytes, GROUP, addr);
  }
  /** Recomputes the checksum over the whole message. */
  fillChecksum(): void {
    this.setChecksum(0);
    this.setChecksum(internetChecksum(this.bytes));
  }
}

/** One group record of a v3 report. */
export interface IgmpGroupRecord {
  /** IGMPV3_MODE_IS_INCLUDE … IGMPV3_BLOCK_OLD_SOURCES (other values are passed through). */
  readonly type: number;
  readonly group: Ipv4Addr;
  readonly sources: readonly Ipv4Addr[];
  /** Auxiliary data, a multiple of 4 bytes (RFC 3376 defines none). */
  readonly auxData: Uint8Array;
}

/** An IGMP message as a value. */
export type IgmpRepr =
  /** A v1 (maxRespCode 0) or v2 query, 8 bytes. */
  | { readonly kind: 'query'; readonly maxRespCode: number; readonly group: Ipv4Addr }
  | {
      readonly kind: 'queryV3';
      readonly maxRespCode: number;
      readonly group: Ipv4Addr;
      readonly suppressRouterSide: boolean;
      readonly qrv: number;
      readonly qqic: number;
      readonly sources: readonly Ipv4Addr[];
    }
  | { readonly kind: 'reportV1' | 'reportV2' | 'leave'; readonly group: Ipv4Addr }
  | { readonly kind: 'reportV3'; readonly records: readonly IgmpGroupRecord[] };

/** Reads the message, or returns `null` on a bad checksum or a type we do not model. */
export function parseIgmp(pkt: IgmpPacket): IgmpRepr | null {
  if (!pkt.checksumOk) return null;
  const b = pkt.bytes;
  switch (pkt.type) {
    case IGMP_HOST_MEMBERSHIP_QUERY: {
      if (pkt.queryVersion !== 3) {
        return { kind: 'query', maxRespCode: pkt.maxRespCode, group: pkt.group };
      }
      const sources: Ipv4Addr[] = [];
      for (let i = 0; i < pkt.numSources; i++) sources.push(pkt.sourceAt(i));
      return {
        kind: 'queryV3',
        maxRespCode: pkt.maxRespCode,
        group: pkt.group,
        suppressRouterSide: pkt.suppressRouterSide,
        qrv: pkt.qrv,
        qqic: pkt.qqic,
        sources,
      };
    }
    case IGMP_HOST_MEMBERSHIP_REPORT:
      return { kind: 'reportV1', group: pkt.group };
    case IGMPV2_HOST_MEMBERSHIP_REPORT:
      return { kind: 'reportV2', group: pkt.group };
    case IGMP_HOST_LEAVE_MESSAGE:
      return { kind: 'leave', group: pkt.group };
    case IGMPV3_HOST_MEMBERSHIP_REPORT: {
      const records: IgmpGroupRecord[] = [];
      let off = REPORT_RECORDS;
      for (let i = 0; i < pkt.numRecords; i++) {
        const nsrcs = be16(b, off + 2);
        const auxLen = 4 * (b[off + 1] as number);
        const sources: Ipv4Addr[] = [];
        for (let s = 0; s < nsrcs; s++) sources.push(ipv4At(b, off + RECORD_HEADER_LEN + 4 * s));
        const auxStart = off + RECORD_HEADER_LEN + 4 * nsrcs;
        records.push({
          type: b[off] as number,
          group: ipv4At(b, off + 4),
          sources,
          auxData: b.subarray(auxStart, auxStart + auxLen),
        });
        off = auxStart + auxLen;
      }
      return { kind: 'reportV3', records };
    }
    default:
      return null;
  }
}

/** The message length `repr` needs. */
export function igmpLen(repr: IgmpRepr): number {
  switch (repr.kind) {
    case 'query':
    case 'reportV1':
    case 'reportV2':
    case 'leave':
      return IGMP_HEADER_LEN;
    case 'queryV3':
      return IGMPV3_QUERY_LEN + 4 * repr.sources.length;
    case 'reportV3': {
      let len = REPORT_RECORDS;
      for (const r of repr.records) {
        len += RECORD_HEADER_LEN + 4 * r.sources.length + ((r.auxData.length + 3) & ~3);
      }
      return len;
    }
  }
}

/** Writes the whole message and its checksum; `out` must be exactly `igmpLen(repr)` long. */
export function emitIgmp(repr: IgmpRepr, out: IgmpPacket): void {
  const b = out.bytes;
  switch (repr.kind) {
    case 'query':
      out.setType(IGMP_HOST_MEMBERSHIP_QUERY);
      out.setMaxRespCode(repr.maxRespCode);
      out.setGroup(repr.group);
      break;
    case 'queryV3':
      out.setType(IGMP_HOST_MEMBERSHIP_QUERY);
      out.setMaxRespCode(repr.maxRespCode);
      out.setGroup(repr.group);
      b[QUERY_FLAGS] = (repr.suppressRouterSide ? 0x08 : 0) | (repr.qrv & 0x07);
      b[QUERY_QQIC] = repr.qqic & 0xff;
      setBe16(b, QUERY_NSRCS, repr.sources.length);
      repr.sources.forEach((s, i) => writeIpv4(b, QUERY_SOURCES + 4 * i, s));
      break;
    case 'reportV1':
    case 'reportV2':
    case 'leave':
      out.setType(
        repr.kind === 'reportV1'
          ? IGMP_HOST_MEMBERSHIP_REPORT
          : repr.kind === 'reportV2'
            ? IGMPV2_HOST_MEMBERSHIP_REPORT
            : IGMP_HOST_LEAVE_MESSAGE,
      );
      // RFC 2236 §2.2: Max Resp Time is meaningful only in queries; senders write zero.
      out.setMaxRespCode(0);
      out.setGroup(repr.group);
      break;
    case 'reportV3': {
      out.setType(IGMPV3_HOST_MEMBERSHIP_REPORT);
      out.setMaxRespCode(0);
      setBe16(b, 4, 0);
      setBe16(b, REPORT_NRECS, repr.records.length);
      let off = REPORT_RECORDS;
      for (const r of repr.records) {
        const auxWords = (r.auxData.length + 3) >>> 2;
        b[off] = r.type & 0xff;
        b[off + 1] = auxWords;
        setBe16(b, off + 2, r.sources.length);
        writeIpv4(b, off + 4, r.group);
        off += RECORD_HEADER_LEN;
        for (const s of r.sources) {
          writeIpv4(b, off, s);
          off += 4;
        }
        b.set(r.auxData, off);
        b.fill(0, off + r.auxData.length, off + 4 * auxWords);
        off += 4 * auxWords;
      }
      break;
    }
  }
  out.fillChecksum();
}

/**
 * Decodes a v3 Max Resp Code or QQIC (RFC 3376 §4.1.1, §4.1.7): below 128 the value
 * itself, otherwise a floating-point form, mantissa 4 bits and exponent 3 bits.
 */
export function igmpv3DecodeCode(code: number): number {
  if (code < 0x80) return code;
  const exp = (code >>> 4) & 0x07;
  const mant = code & 0x0f;
  return (mant | 0x10) << (exp + 3);
}

/** A group a report joins or a leave message leaves. */
export interface IgmpMembershipChange {
  readonly group: Ipv4Addr;
  readonly join: boolean;
}

/**
 * The joins and leaves a report or leave message announces, read the way a snooping
 * bridge without source filtering reads them (Linux: br_multicast.c,
 * br_ip4_multicast_igmp3_report): a v3 record of type *_TO_INCLUDE or IS_INCLUDE with no
 * sources is a leave; every other known record type is a join. Queries announce nothing.
 */
export function igmpMembershipChanges(repr: IgmpRepr): IgmpMembershipChange[] {
  switch (repr.kind) {
    case 'query':
    case 'queryV3':
      return [];
    case 'reportV1':
    case 'reportV2':
      return [{ group: repr.group, join: true }];
    case 'leave':
      return [{ group: repr.group, join: false }];
    case 'reportV3': {
      const out: IgmpMembershipChange[] = [];
      for (const r of repr.records) {
        if (r.type < IGMPV3_MODE_IS_INCLUDE || r.type > IGMPV3_BLOCK_OLD_SOURCES) continue;
        const toInclude = r.type === IGMPV3_MODE_IS_INCLUDE || r.type === IGMPV3_CHANGE_TO_INCLUDE;
        out.push({ group: r.group, join: !(toInclude && r.sources.length === 0) });
      }
      return out;
    }
  }
}
