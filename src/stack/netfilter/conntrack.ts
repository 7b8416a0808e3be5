// Connection tracking (Linux: net/netfilter/nf_conntrack_core.c and the per-protocol
// trackers nf_conntrack_proto_{tcp,udp,icmp,icmpv6,generic}.c). One table per
// namespace; entries are created unconfirmed at PREROUTING/OUTPUT (priority -200), ride
// on the skb, and enter the table only when the packet leaves through INPUT or
// POSTROUTING (confirm, priority INT_MAX). Timeouts use Linux's defaults and the
// namespace's virtual clock; expired entries go lazily, on lookup and on listing.
// Left out: fragment reassembly (fragments stay untracked-invalid), checksum
// validation (nf_conntrack_checksum), TCP window tracking, helpers and expectations,
// zones, accounting.

import { formatIp, ipKey, type IpAddr } from '../../wire/address.ts';
import { be16 } from '../../wire/bytes.ts';
import { Ipv4Packet } from '../../wire/ipv4.ts';
import { Ipv6Packet, ipv6UpperLayer } from '../../wire/ipv6.ts';
import { Ipv6Addr, ipv4At } from '../../wire/address.ts';
import { NS_PER_SEC, type Nanos } from '../scheduler.ts';
import type { NetNamespace } from '../netns.ts';
import type { SkBuff } from '../skb.ts';
import {
  NF_IP_PRI_CONNTRACK,
  NF_IP_PRI_CONNTRACK_CONFIRM,
  nfRegisterHook,
  nfUnregisterHook,
  type NfHookOps,
  type NfHookState,
  type NfProto,
  type NfVerdict,
} from './hooks.ts';
import {
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  l4Bytes,
  nfPacket,
  type NfPacket,
} from './packet.ts';

// ---------------------------------------------------------------- tuples

/**
 * One direction of a connection (Linux: struct nf_conntrack_tuple). For TCP/UDP the
 * ports; for ICMP/ICMPv6 the echo id in `srcPort` and type/code; otherwise zeros.
 */
export interface NfConnTuple {
  readonly pf: NfProto;
  readonly src: IpAddr;
  readonly dst: IpAddr;
  readonly proto: number;
  /** TCP/UDP source port, or the ICMP identifier. */
  readonly srcPort: number;
  /** TCP/UDP destination port; 0 for ICMP. */
  readonly dstPort: number;
  /** ICMP type and code; 0 for other protocols. */
  readonly icmpType: number;
  readonly icmpCode: number;
}

/** A Map key that identifies a tuple. */
export function tupleKey(t: NfConnTuple): string {
  return `${t.pf}|${ipKey(t.src)}|${ipKey(t.dst)}|${t.proto}|${t.srcPort}|${t.dstPort}|${t.icmpType}|${t.icmpCode}`;
}

export function tupleEquals(a: NfConnTuple, b: NfConnTuple): boolean {
  return tupleKey(a) === tupleKey(b);
}

// Echo-like request/reply pairs (Linux: invmap in nf_conntrack_proto_icmp{,v6}.c).
const ICMP_INVERT: ReadonlyMap<number, number> = new Map([
  [8, 0],
  [0, 8],
  [13, 14],
  [14, 13],
  [15, 16],
  [16, 15],
  [17, 18],
  [18, 17],
]);
const ICMPV6_INVERT: ReadonlyMap<number, number> = new Map([
  [128, 129],
  [129, 128],
  [139, 140],
  [140, 139],
]);
/** ICMP types that may open a connection (Linux: valid_new). */
const ICMP_NEW = new Set([8, 13, 15, 17]);
const ICMPV6_NEW = new Set([128, 139]);
/** ICMPv6 types Linux leaves untracked on purpose: MLD and ND (noct_valid_new). */
const ICMPV6_NOCT = new Set([130, 131, 132, 133, 134, 135, 136, 137, 143]);

function isIcmp(proto: number): boolean {
  return proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6;
}

/** Linux: nf_ct_invert_tuple. Null when an ICMP type has no reply type. */
export function invertTuple(t: NfConnTuple): NfConnTuple | null {
  if (isIcmp(t.proto)) {
    const map = t.proto === IPPROTO_ICMP ? ICMP_INVERT : ICMPV6_INVERT;
    const type = map.get(t.icmpType);
    if (type === undefined) return null;
    return { ...t, src: t.dst, dst: t.src, icmpType: type };
  }
  return { ...t, src: t.dst, dst: t.src, srcPort: t.dstPort, dstPort: t.srcPort };
}

/**
 * Linux: nf_ct_get_tuple. The tuple of `bytes` (an IP datagram of family `pf` whose
 * transport header starts at `l4Offset`), or null when the transport header is short.
 * `quoted` relaxes length checks for datagrams inside ICMP errors (8 bytes suffice).
 */
function tupleOf(
  pf: NfProto,
  src: IpAddr,
  dst: IpAddr,
  proto: number,
  l4: Uint8Array,
  quoted: boolean,
): NfConnTuple | null {
  const base = { pf, src, dst, proto, srcPort: 0, dstPort: 0, icmpType: 0, icmpCode: 0 };
  switch (proto) {
    case IPPROTO_TCP:
      if (l4.length < (quoted ? 8 : 20)) return null;
      if (!quoted) {
        const off = ((l4[12] ?? 0) >>> 4) * 4;
        if (off < 20 || off > l4.length) return null;
      }
      return { ...base, srcPort: be16(l4, 0), dstPort: be16(l4, 2) };
    case IPPROTO_UDP:
      if (l4.length < 8) return null;
      return { ...base, srcPort: be16(l4, 0), dstPort: be16(l4, 2) };
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:
      if (l4.length < 8) return null;
      return {
        ...base,
        srcPort: be16(l4, 4),
        icmpType: l4[0] as number,
        icmpCode: l4[1] as number,
      };
    default:
      return base;
  }
}

// ---------------------------------------------------------------- entries

/** ct->status bits (include/uapi/linux/netfilter/nf_conntrack_common.h). */
export const IPS_EXPECTED = 1 << 0;
export const IPS_SEEN_REPLY = 1 << 1;
export const IPS_ASSURED = 1 << 2;
export const IPS_CONFIRMED = 1 << 3;
export const IPS_SRC_NAT = 1 << 4;
export const IPS_DST_NAT = 1 << 5;
export const IPS_NAT_MASK = IPS_SRC_NAT | IPS_DST_NAT;
export const IPS_SRC_NAT_DONE = 1 << 7;
export const IPS_DST_NAT_DONE = 1 << 8;
export const IPS_DYING = 1 << 9;

/** TCP conntrack states (enum tcp_conntrack); LAST_ACK is where both FINs were seen. */
export type TcpCtState =
  | 'NONE'
  | 'SYN_SENT'
  | 'SYN_RECV'
  | 'ESTABLISHED'
  | 'FIN_WAIT'
  | 'CLOSE_WAIT'
  | 'LAST_ACK'
  | 'TIME_WAIT'
  | 'CLOSE';

/** Packet-to-connection relation (enum ip_conntrack_info), plus untracked. */
export type CtInfo =
  'established' | 'related' | 'new' | 'established_reply' | 'related_reply' | 'untracked';

export type CtDir = 0 | 1;
export const IP_CT_DIR_ORIGINAL: CtDir = 0;
export const IP_CT_DIR_REPLY: CtDir = 1;

/** Default timeouts in seconds (Linux: nf_conntrack_*_timeout sysctls). */
export const CT_TIMEOUTS = {
  icmp: 30,
  icmpv6: 30,
  generic: 600,
  udpUnreplied: 30,
  udpReplied: 120,
  tcp: {
    NONE: 120,
    SYN_SENT: 120,
    SYN_RECV: 60,
    ESTABLISHED: 432000,
    FIN_WAIT: 120,
    CLOSE_WAIT: 60,
    LAST_ACK: 30,
    TIME_WAIT: 120,
    CLOSE: 10,
  } satisfies Record<TcpCtState, number>,
} as const;

/** A UDP flow becomes a stream (120 s, ASSURED) once it is still active after this. */
const UDP_STREAM_AFTER = 2 * NS_PER_SEC;

/** One tracked connection (Linux: struct nf_conn). */
export class NfConn {
  /** [original, reply]; the reply tuple changes when NAT is set up, before confirmation. */
  readonly tuple: [NfConnTuple, NfConnTuple];
  status = 0;
  /** Absolute expiry in virtual nanoseconds. */
  timeoutAt: Nanos;
  mark = 0;
  tcpState: TcpCtState = 'NONE';
  /** When the entry was created (UDP stream detection). */
  readonly created: Nanos;
  /** Which TCP direction sent the first FIN (for the close sequence), or -1. */
  finDir: -1 | CtDir = -1;

  constructor(orig: NfConnTuple, reply: NfConnTuple, now: Nanos) {
    this.tuple = [orig, reply];
    this.created = now;
    this.timeoutAt = now;
  }

  get confirmed(): boolean {
    return (this.status & IPS_CONFIRMED) !== 0;
  }
}

/** What conntrack attached to an skb (skb->_nfct: the entry and the ctinfo bits). */
export interface NfctRef {
  readonly ct: NfConn | null;
  readonly info: CtInfo;
}

/** The conntrack reference on `skb`, if conntrack saw it. */
export function nfCtGet(skb: SkBuff): NfctRef | undefined {
  const ref = skb.nfct;
  if (typeof ref === 'object' && ref !== null && 'info' in ref) return ref as NfctRef;
  return undefined;
}

/** The direction of a packet with this ctinfo (CTINFO2DIR). */
export function ctInfoDir(info: CtInfo): CtDir {
  return info === 'established_reply' || info === 'related_reply' ? 1 : 0;
}

// ---------------------------------------------------------------- the table

interface HashEntry {
  readonly ct: NfConn;
  readonly dir: CtDir;
}

/** The per-namespace conntrack table (Linux: nf_conntrack_hash for one netns). */
export class ConntrackTable {
  readonly ns: NetNamespace;
  readonly #hash = new Map<string, HashEntry>();
  /** Confirmed entries in insertion order (what listings walk). */
  readonly #entries = new Set<NfConn>();
  /** Netns users of the hooks (nf_ct_netns_get/put); hooks are in place while > 0. */
  users = 0;
  readonly hookOps: NfHookOps[] = [];
  /** Statistics (conntrack -S): invalid packets, inserts that lost a race. */
  invalid = 0;
  insertFailed = 0;

  constructor(ns: NetNamespace) {
    this.ns = ns;
  }

  get now(): Nanos {
    return this.ns.kernel.now;
  }

  /** Linux: nf_conntrack_find_get. Expired entries are removed instead of returned. */
  find(tuple: NfConnTuple): HashEntry | undefined {
    const e = this.#hash.get(tupleKey(tuple));
    if (e === undefined) return undefined;
    if (e.ct.timeoutAt <= this.now) {
      this.remove(e.ct);
      return undefined;
    }
    return e;
  }

  /** True when a live entry other than `except` uses `tuple` in either direction. */
  tupleTaken(tuple: NfConnTuple, except: NfConn | null): boolean {
    const e = this.find(tuple);
    return e !== undefined && e.ct !== except;
  }

  /** Linux: __nf_conntrack_confirm. Returns false on a clash (another entry won). */
  insert(ct: NfConn): boolean {
    const k0 = tupleKey(ct.tuple[0]);
    const k1 = tupleKey(ct.tuple[1]);
    for (const k of [k0, k1]) {
      const e = this.#hash.get(k);
      if (e !== undefined) {
        if (e.ct.timeoutAt > this.now) {
          this.insertFailed++;
          return false;
        }
        this.remove(e.ct);
      }
    }
    this.#hash.set(k0, { ct, dir: 0 });
    this.#hash.set(k1, { ct, dir: 1 });
    this.#entries.add(ct);
    ct.status |= IPS_CONFIRMED;
    return true;
  }

  remove(ct: NfConn): void {
    if (!this.#entries.delete(ct)) return;
    ct.status |= IPS_DYING;
    for (const t of ct.tuple) {
      const k = tupleKey(t);
      if (this.#hash.get(k)?.ct === ct) this.#hash.delete(k);
    }
  }

  /** Live confirmed entries, oldest first; expired ones are dropped on the way. */
  entries(): NfConn[] {
    const out: NfConn[] = [];
    for (const ct of [...this.#entries]) {
      if (ct.timeoutAt <= this.now) this.remove(ct);
      else out.push(ct);
    }
    return out;
  }

  /** `conntrack -F`: forgets every entry. Returns how many went. */
  flush(): number {
    const n = this.#entries.size;
    for (const ct of [...this.#entries]) this.remove(ct);
    return n;
  }
}

const KEY = 'netfilter.conntrack';

/** The conntrack table of `ns` (created empty on first use). */
export function conntrackOf(ns: NetNamespace): ConntrackTable {
  let t = ns.proto.get(KEY) as ConntrackTable | undefined;
  if (t === undefined) {
    t = new ConntrackTable(ns);
    ns.proto.set(KEY, t);
  }
  return t;
}

// ---------------------------------------------------------------- per-packet

function setTimeout(t: ConntrackTable, ct: NfConn, seconds: number): void {
  ct.timeoutAt = t.now + seconds * NS_PER_SEC;
}

/** Linux: nf_ct_l4proto->new checks. False when this packet may not open a connection. */
function mayCreate(tuple: NfConnTuple, l4: Uint8Array): boolean {
  switch (tuple.proto) {
    case IPPROTO_ICMP:
      return ICMP_NEW.has(tuple.icmpType);
    case IPPROTO_ICMPV6:
      return ICMPV6_NEW.has(tuple.icmpType);
    case IPPROTO_TCP: {
      const flags = (l4[13] ?? 0) & 0x3f;
      if ((flags & 0x04) !== 0) return false; // RST never opens one
      const syn = (flags & 0x02) !== 0;
      const ack = (flags & 0x10) !== 0;
      // A bare SYN opens; so does a mid-stream ACK (nf_conntrack_tcp_loose=1).
      return (syn && !ack) || (!syn && ack && (flags & 0x01) === 0);
    }
    default:
      return true;
  }
}

// Linux: tcp_packet, reduced to the state transitions (no window tracking).
function tcpPacket(t: ConntrackTable, ct: NfConn, dir: CtDir, l4: Uint8Array): void {
  const flags = (l4[13] ?? 0) & 0x3f;
  const syn = (flags & 0x02) !== 0;
  const ack = (flags & 0x10) !== 0;
  const fin = (flags & 0x01) !== 0;
  const rst = (flags & 0x04) !== 0;
  const old = ct.tcpState;
  let next: TcpCtState = old;
  if (rst) next = 'CLOSE';
  else if (syn && !ack) {
    if (dir === 0 && (old === 'NONE' || old === 'CLOSE' || old === 'TIME_WAIT')) next = 'SYN_SENT';
  } else if (syn && ack) {
    if (dir === 1 && old === 'SYN_SENT') next = 'SYN_RECV';
  } else if (fin) {
    if (old === 'ESTABLISHED' || old === 'SYN_RECV') {
      next = 'FIN_WAIT';
      ct.finDir = dir;
    } else if ((old === 'FIN_WAIT' || old === 'CLOSE_WAIT') && dir !== ct.finDir) {
      next = 'LAST_ACK';
    }
  } else if (ack) {
    if (old === 'NONE')
      next = 'ESTABLISHED'; // loose pickup
    else if (old === 'SYN_RECV' && dir === 0) next = 'ESTABLISHED';
    else if (old === 'FIN_WAIT' && dir !== ct.finDir) next = 'CLOSE_WAIT';
    else if (old === 'LAST_ACK') next = 'TIME_WAIT';
  }
  ct.tcpState = next;
  // A connection is ASSURED once the handshake completes with both sides heard.
  if (next === 'ESTABLISHED' && old !== 'ESTABLISHED' && (ct.status & IPS_SEEN_REPLY) !== 0)
    ct.status |= IPS_ASSURED;
  setTimeout(t, ct, CT_TIMEOUTS.tcp[next]);
}

// Linux: nf_conntrack_udp_packet.
function udpPacket(t: ConntrackTable, ct: NfConn): void {
  if ((ct.status & IPS_SEEN_REPLY) !== 0 && t.now > ct.created + UDP_STREAM_AFTER) {
    ct.status |= IPS_ASSURED;
    setTimeout(t, ct, CT_TIMEOUTS.udpReplied);
  } else {
    setTimeout(t, ct, CT_TIMEOUTS.udpUnreplied);
  }
}

function l4Packet(t: ConntrackTable, ct: NfConn, dir: CtDir, l4: Uint8Array): void {
  switch (ct.tuple[0].proto) {
    case IPPROTO_TCP:
      return tcpPacket(t, ct, dir, l4);
    case IPPROTO_UDP:
      return udpPacket(t, ct);
    case IPPROTO_ICMP:
      return setTimeout(t, ct, CT_TIMEOUTS.icmp);
    case IPPROTO_ICMPV6:
      return setTimeout(t, ct, CT_TIMEOUTS.icmpv6);
    default:
      return setTimeout(t, ct, CT_TIMEOUTS.generic);
  }
}

const ICMP_ERRORS = new Set([3, 4, 5, 11, 12]);
const ICMPV6_ERRORS = new Set([1, 2, 3, 4]);

/**
 * Linux: nf_conntrack_inet_error. An ICMP error quoting a datagram of a known
 * connection is RELATED to it (RELATED_REPLY when travelling in the reply direction).
 * Returns undefined when `pkt` is not an error, null for an error about nothing we know.
 */
function icmpErrorRelated(t: ConntrackTable, pkt: NfPacket): NfctRef | null | undefined {
  const l4 = l4Bytes(pkt);
  if (l4.length < 8) return undefined;
  const type = l4[0] as number;
  const quoted = l4.subarray(8);
  let inner: NfConnTuple | null = null;
  if (pkt.proto === IPPROTO_ICMP) {
    if (!ICMP_ERRORS.has(type)) return undefined;
    const ip = Ipv4Packet.checkedQuoted(quoted);
    if (ip === null || ip.fragOffset !== 0) return null;
    inner = tupleOf(
      'ipv4',
      ipv4At(quoted, 12),
      ipv4At(quoted, 16),
      ip.protocol,
      quoted.subarray(ip.headerLen),
      true,
    );
  } else {
    if (!ICMPV6_ERRORS.has(type)) return undefined;
    if (quoted.length < 40) return null;
    // The quote may be cut short; give the walker a view whose length field fits.
    const clipped = quoted.slice();
    const payloadLen = Math.min(be16(clipped, 4), clipped.length - 40);
    clipped[4] = payloadLen >>> 8;
    clipped[5] = payloadLen & 0xff;
    const ip = Ipv6Packet.checked(clipped);
    const upper = ip === null ? null : ipv6UpperLayer(ip);
    if (upper === null || (upper.fragment !== null && upper.fragment.fragmentOffset !== 0))
      return null;
    inner = tupleOf(
      'ipv6',
      Ipv6Addr.fromBytes(clipped, 8),
      Ipv6Addr.fromBytes(clipped, 24),
      upper.protocol,
      clipped.subarray(upper.offset),
      true,
    );
  }
  if (inner === null) return null;
  const inverted = invertTuple(inner);
  if (inverted === null) return null;
  const e = t.find(inverted);
  if (e === undefined) return null;
  return { ct: e.ct, info: e.dir === 1 ? 'related_reply' : 'related' };
}

/**
 * Linux: nf_conntrack_in. Attaches the connection of `skb` (found, or new and
 * unconfirmed) to `skb.nfct`. Packets conntrack cannot use get no entry: rules see them
 * as `ct state invalid`. Always accepts, as Linux does for the core hook.
 */
export function conntrackIn(skb: SkBuff, state: NfHookState): NfVerdict {
  if (skb.nfct !== undefined) return 'accept'; // seen before (loopback) or untracked
  const t = conntrackOf(state.net);
  const pkt = nfPacket(skb, state.pf);
  if (pkt === null || pkt.fragment) {
    t.invalid++;
    return 'accept';
  }
  const l4 = l4Bytes(pkt);
  if (pkt.proto === IPPROTO_ICMPV6 && l4.length >= 1 && ICMPV6_NOCT.has(l4[0] as number)) {
    skb.nfct = UNTRACKED;
    return 'accept';
  }
  if (isIcmp(pkt.proto)) {
    const related = icmpErrorRelated(t, pkt);
    if (related !== undefined) {
      if (related === null) t.invalid++;
      else skb.nfct = related;
      return 'accept';
    }
  }
  const tuple = tupleOf(pkt.pf, pkt.src, pkt.dst, pkt.proto, l4, false);
  if (tuple === null) {
    t.invalid++;
    return 'accept';
  }
  let ct: NfConn;
  let dir: CtDir;
  const found = t.find(tuple);
  if (found !== undefined) {
    ct = found.ct;
    dir = found.dir;
  } else {
    const reply = invertTuple(tuple);
    if (reply === null || !mayCreate(tuple, l4)) {
      t.invalid++;
      return 'accept';
    }
    ct = new NfConn(tuple, reply, t.now);
    dir = 0;
  }
  let info: CtInfo;
  if (dir === 1) {
    info = 'established_reply';
    ct.status |= IPS_SEEN_REPLY;
  } else if ((ct.status & IPS_SEEN_REPLY) !== 0) {
    info = 'established';
  } else {
    info = 'new';
  }
  l4Packet(t, ct, dir, l4);
  skb.nfct = { ct, info } satisfies NfctRef;
  return 'accept';
}

const UNTRACKED: NfctRef = { ct: null, info: 'untracked' };

/**
 * Linux: nf_conntrack_confirm at INPUT and POSTROUTING. A new entry enters the table
 * here; if another packet confirmed the same tuples first, this one is dropped (the
 * clash Linux resolves for UDP by reusing the winner; we keep the simpler drop).
 */
export function conntrackConfirm(skb: SkBuff, state: NfHookState): NfVerdict {
  const ref = nfCtGet(skb);
  if (ref?.ct == null || ref.ct.confirmed) return 'accept';
  if (ctInfoDir(ref.info) !== 0) return 'accept';
  const t = conntrackOf(state.net);
  return t.insert(ref.ct) ? 'accept' : 'drop';
}

/**
 * Takes a user of conntrack in `ns` (Linux: nf_ct_netns_get): the first one registers
 * the tracking and confirm hooks for IPv4 and IPv6.
 */
export function conntrackGet(ns: NetNamespace): void {
  const t = conntrackOf(ns);
  if (t.users++ > 0) return;
  for (const pf of ['ipv4', 'ipv6'] as const) {
    const ops: NfHookOps[] = [
      { pf, hook: 'prerouting', priority: NF_IP_PRI_CONNTRACK, fn: conntrackIn, owner: 'ct' },
      { pf, hook: 'output', priority: NF_IP_PRI_CONNTRACK, fn: conntrackIn, owner: 'ct' },
      {
        pf,
        hook: 'input',
        priority: NF_IP_PRI_CONNTRACK_CONFIRM,
        fn: conntrackConfirm,
        owner: 'ct confirm',
      },
      {
        pf,
        hook: 'postrouting',
        priority: NF_IP_PRI_CONNTRACK_CONFIRM,
        fn: conntrackConfirm,
        owner: 'ct confirm',
      },
    ];
    for (const op of ops) {
      nfRegisterHook(ns, op);
      t.hookOps.push(op);
    }
  }
}

/** Drops a user (nf_ct_netns_put); the last one unregisters the hooks. Entries stay. */
export function conntrackPut(ns: NetNamespace): void {
  const t = conntrackOf(ns);
  if (t.users === 0 || --t.users > 0) return;
  for (const op of t.hookOps.splice(0)) nfUnregisterHook(ns, op);
}

// ---------------------------------------------------------------- listing

const PROTO_NAMES: ReadonlyMap<number, string> = new Map([
  [IPPROTO_TCP, 'tcp'],
  [IPPROTO_UDP, 'udp'],
  [136, 'udplite'],
  [IPPROTO_ICMP, 'icmp'],
  [IPPROTO_ICMPV6, 'icmpv6'],
  [132, 'sctp'],
  [47, 'gre'],
]);

function formatTuple(t: NfConnTuple): string {
  let s = `src=${formatIp(t.src)} dst=${formatIp(t.dst)} `;
  switch (t.proto) {
    case IPPROTO_TCP:
    case IPPROTO_UDP:
      s += `sport=${t.srcPort} dport=${t.dstPort} `;
      break;
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:
      s += `type=${t.icmpType} code=${t.icmpCode} id=${t.srcPort} `;
      break;
  }
  return s;
}

/** Seconds left before `ct` expires, rounded down as ctnetlink reports them. */
export function ctSecondsLeft(ct: NfConn, now: Nanos): number {
  return Math.max(0, Math.floor((ct.timeoutAt - now) / NS_PER_SEC));
}

/**
 * One entry as `conntrack -L` prints it (libnetfilter_conntrack's default format):
 * `icmp     1 29 src=… dst=… type=8 code=0 id=161 [UNREPLIED] src=… … mark=0 use=1`.
 */
export function formatConntrackEntry(ct: NfConn, now: Nanos): string {
  const orig = ct.tuple[0];
  const name = PROTO_NAMES.get(orig.proto) ?? 'unknown';
  let s = `${name.padEnd(8)} ${orig.proto} ${ctSecondsLeft(ct, now)} `;
  if (orig.proto === IPPROTO_TCP) s += `${ct.tcpState} `;
  s += formatTuple(orig);
  if ((ct.status & IPS_SEEN_REPLY) === 0) s += '[UNREPLIED] ';
  s += formatTuple(ct.tuple[1]);
  if ((ct.status & IPS_ASSURED) !== 0) s += '[ASSURED] ';
  s += `mark=${ct.mark} use=1`;
  return s;
}

/** What `conntrack -L [-f ipv4|ipv6]` writes: entry lines on stdout, a count on stderr. */
export interface ConntrackListing {
  readonly stdout: string;
  readonly stderr: string;
}

/** `conntrack -L` over the table of `ns`; `family` filters like `-f`. */
export function conntrackList(ns: NetNamespace, family?: NfProto): ConntrackListing {
  const t = conntrackOf(ns);
  const lines = t
    .entries()
    .filter((ct) => family === undefined || ct.tuple[0].pf === family)
    .map((ct) => formatConntrackEntry(ct, t.now) + '\n');
  return {
    stdout: lines.join(''),
    stderr: `conntrack v1.4.7 (conntrack-tools): ${lines.length} flow entries have been shown.\n`,
  };
}
