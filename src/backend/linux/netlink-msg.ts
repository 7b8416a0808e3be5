// A small netlink reader and writer (netlink(7), rtnetlink(7), nfnetlink_log): the
// messages the daemon needs to follow addresses and links in a namespace and to read
// packets that the host's nftables hands over with `log group`. Parsing never throws
// and never reads out of bounds: a truncated or malformed message ends the walk of its
// datagram (counted by the caller as `bad`), attributes with a bad length are skipped.
// Only little-endian hosts (x86-64, arm64): netlink headers are in host order.

import { formatIpv4, ipv4At, Ipv6Addr, MacAddr } from '../../wire/address.ts';

export const NLMSG_HDRLEN = 16;
export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;
export const NLM_F_REQUEST = 0x1;
export const NLM_F_ACK = 0x4;
export const NLM_F_DUMP = 0x300;

export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;

const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_LINKINFO = 18;
const IFLA_INFO_KIND = 1;
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;

/** One netlink message inside a datagram: header fields and its payload (a view). */
export interface NlMsg {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly payload: Uint8Array;
}

function u16(b: Uint8Array, o: number): number {
  return (b[o] as number) | ((b[o + 1] as number) << 8);
}
function u32(b: Uint8Array, o: number): number {
  return (
    ((b[o] as number) | ((b[o + 1] as number) << 8) | ((b[o + 2] as number) << 16)) +
    (b[o + 3] as number) * 0x1000000
  );
}
function i32(b: Uint8Array, o: number): number {
  return u32(b, o) | 0;
}
function align4(n: number): number {
  return (n + 3) & ~3;
}

/**
 * The messages of one datagram. `bad` is true when the walk stopped at a header whose
 * length does not fit (the rest of the datagram is ignored).
 */
export function parseNetlink(datagram: Uint8Array): { msgs: NlMsg[]; bad: boolean } {
  const msgs: NlMsg[] = [];
  let o = 0;
  while (o + NLMSG_HDRLEN <= datagram.length) {
    const len = u32(datagram, o);
    if (len < NLMSG_HDRLEN || o + len > datagram.length) return { msgs, bad: true };
    msgs.push({
      type: u16(datagram, o + 4),
      flags: u16(datagram, o + 6),
      seq: u32(datagram, o + 8),
      payload: datagram.subarray(o + NLMSG_HDRLEN, o + len),
    });
    o += align4(len);
  }
  return { msgs, bad: o < datagram.length && datagram.length - o >= 4 };
}

/** Attributes (struct nlattr) from `offset` of `b`, by type (NLA_TYPE_MASK applied; last wins). */
export function parseAttrs(b: Uint8Array, offset: number): Map<number, Uint8Array> {
  const attrs = new Map<number, Uint8Array>();
  let o = offset;
  while (o + 4 <= b.length) {
    const len = u16(b, o);
    if (len < 4 || o + len > b.length) break;
    attrs.set(u16(b, o + 2) & 0x3fff, b.subarray(o + 4, o + len));
    o += align4(len);
  }
  return attrs;
}

/** The errno of an NLMSG_ERROR payload (0 = ACK), or null when too short. */
export function nlError(msg: NlMsg): number | null {
  return msg.payload.length >= 4 ? -i32(msg.payload, 0) : null;
}

function cString(b: Uint8Array): string {
  let end = b.indexOf(0);
  if (end < 0) end = b.length;
  let s = '';
  for (let i = 0; i < end; i++) s += String.fromCharCode(b[i] as number);
  return s;
}

/** What RTM_NEWLINK/RTM_DELLINK say about one interface. */
export interface LinkEvent {
  readonly kind: 'link';
  readonly add: boolean;
  readonly ifindex: number;
  readonly ifname: string;
  /** IFF_* flags (ifi_flags, including IFF_LOWER_UP). */
  readonly flags: number;
  readonly mtu: number;
  readonly mac: string | null;
  /** IFLA_INFO_KIND ("tun" for a TAP), or null. */
  readonly infoKind: string | null;
}

/** What RTM_NEWADDR/RTM_DELADDR say about one address. */
export interface AddrEvent {
  readonly kind: 'addr';
  readonly add: boolean;
  readonly family: 4 | 6;
  readonly ifindex: number;
  readonly prefixLen: number;
  /** Text form, as `ip` prints it. */
  readonly addr: string;
}

/** An rtnetlink link or address message as an event; null for anything else or malformed. */
export function parseRtnl(msg: NlMsg): LinkEvent | AddrEvent | null {
  const p = msg.payload;
  if (msg.type === RTM_NEWLINK || msg.type === RTM_DELLINK) {
    if (p.length < 16) return null;
    const attrs = parseAttrs(p, 16);
    const name = attrs.get(IFLA_IFNAME);
    const mtu = attrs.get(IFLA_MTU);
    const addr = attrs.get(IFLA_ADDRESS);
    const info = attrs.get(IFLA_LINKINFO);
    const kind = info === undefined ? undefined : parseAttrs(info, 0).get(IFLA_INFO_KIND);
    return {
      kind: 'link',
      add: msg.type === RTM_NEWLINK,
      ifindex: i32(p, 4),
      ifname: name === undefined ? '' : cString(name),
      flags: u32(p, 8),
      mtu: mtu !== undefined && mtu.length >= 4 ? u32(mtu, 0) : 0,
      mac: addr !== undefined && addr.length === 6 ? MacAddr.fromBytes(addr).toString() : null,
      infoKind: kind === undefined ? null : cString(kind),
    };
  }
  if (msg.type === RTM_NEWADDR || msg.type === RTM_DELADDR) {
    if (p.length < 8) return null;
    const family = p[0] === 2 ? 4 : p[0] === 10 ? 6 : 0;
    if (family === 0) return null;
    const attrs = parseAttrs(p, 8);
    const a = attrs.get(IFA_LOCAL) ?? attrs.get(IFA_ADDRESS);
    const want = family === 4 ? 4 : 16;
    if (a === undefined || a.length !== want) return null;
    const prefixLen = p[1] as number;
    if (prefixLen > want * 8) return null;
    const text = family === 4 ? formatIpv4(ipv4At(a, 0)) : Ipv6Addr.fromBytes(a).toString();
    return {
      kind: 'addr',
      add: msg.type === RTM_NEWADDR,
      family,
      ifindex: u32(p, 4),
      prefixLen,
      addr: text,
    };
  }
  return null;
}

function u32be(b: Uint8Array): number {
  return (
    (((b[0] as number) << 24) |
      ((b[1] as number) << 16) |
      ((b[2] as number) << 8) |
      (b[3] as number)) >>>
    0
  );
}

/** An rtnetlink dump request (RTM_GETLINK or RTM_GETADDR, all families). */
export function rtnlDumpRequest(
  type: typeof RTM_GETLINK | typeof RTM_GETADDR,
  seq: number,
): Uint8Array {
  const bodyLen = type === RTM_GETLINK ? 16 : 8;
  const b = new Uint8Array(NLMSG_HDRLEN + bodyLen);
  const v = new DataView(b.buffer);
  v.setUint32(0, b.length, true);
  v.setUint16(4, type, true);
  v.setUint16(6, NLM_F_REQUEST | NLM_F_DUMP, true);
  v.setUint32(8, seq >>> 0, true);
  return b;
}

// ---------------------------------------------------------------- nfnetlink_log

export const NFNL_SUBSYS_ULOG = 4;
export const NFULNL_MSG_PACKET = 0;
export const NFULNL_MSG_CONFIG = 1;
export const NFULNL_CFG_CMD_BIND = 1;
export const NFULNL_CFG_CMD_UNBIND = 2;
export const NFULNL_COPY_PACKET = 2;
const NFULA_CFG_CMD = 1;
const NFULA_CFG_MODE = 2;
const NFULA_CFG_QTHRESH = 5;
const NFULA_PACKET_HDR = 1;
const NFULA_IFINDEX_INDEV = 4;
const NFULA_HWADDR = 8;
const NFULA_PAYLOAD = 9;

/**
 * An NFULNL_MSG_CONFIG request for log group `group`: a command (bind/unbind), or
 * with `command` 0 the copy mode (whole packets up to `copyRange`) and a queue
 * threshold of 1 (every packet is sent at once, not batched for up to a second).
 */
export function nflogConfig(
  group: number,
  seq: number,
  command: number,
  copyRange = 0xffff,
): Uint8Array {
  const attrs: Uint8Array[] = [];
  if (command !== 0) attrs.push(nlAttr(NFULA_CFG_CMD, new Uint8Array([command])));
  else {
    const mode = new Uint8Array(6);
    new DataView(mode.buffer).setUint32(0, copyRange, false);
    mode[4] = NFULNL_COPY_PACKET;
    attrs.push(nlAttr(NFULA_CFG_MODE, mode));
    const q = new Uint8Array(4);
    new DataView(q.buffer).setUint32(0, 1, false);
    attrs.push(nlAttr(NFULA_CFG_QTHRESH, q));
  }
  // struct nfgenmsg: family AF_UNSPEC, res_id = the group.
  return nlMessage(
    (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG,
    NLM_F_REQUEST | NLM_F_ACK,
    seq,
    nfgenmsg(0, group),
    attrs,
  );
}

/** One packet handed over by nfnetlink_log. */
export interface NflogPacket {
  /** 4 or 6 (nfgenmsg family AF_INET/AF_INET6). */
  readonly family: 4 | 6;
  /** The packet from its network header (a view into the datagram). */
  readonly payload: Uint8Array;
  readonly indev: number;
  /** The link-layer source, when the kernel had one (NFULA_HWADDR). */
  readonly hwaddr: Uint8Array | null;
}

/** An NFULNL_MSG_PACKET message, or null for anything else or malformed. */
export function parseNflogPacket(msg: NlMsg): NflogPacket | null {
  if (msg.type !== ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET)) return null;
  const p = msg.payload;
  if (p.length < 4) return null;
  const family = p[0] === 2 ? 4 : p[0] === 10 ? 6 : 0;
  if (family === 0) return null;
  const attrs = parseAttrs(p, 4);
  const payload = attrs.get(NFULA_PAYLOAD);
  if (payload === undefined || !attrs.has(NFULA_PACKET_HDR)) return null;
  const indev = attrs.get(NFULA_IFINDEX_INDEV);
  const hw = attrs.get(NFULA_HWADDR);
  let hwaddr: Uint8Array | null = null;
  if (hw !== undefined && hw.length >= 4) {
    const hlen = ((hw[0] as number) << 8) | (hw[1] as number);
    if (hlen === 6 && hw.length >= 10) hwaddr = hw.subarray(4, 10);
  }
  return {
    family,
    payload,
    indev: indev !== undefined && indev.length >= 4 ? u32be(indev) : 0,
    hwaddr,
  };
}

// ---------------------------------------------------------------- building requests

/** A netlink attribute (struct nlattr, padded to 4 bytes) holding `body`. */
function nlAttr(type: number, body: Uint8Array): Uint8Array {
  const a = new Uint8Array(align4(4 + body.length));
  const v = new DataView(a.buffer);
  v.setUint16(0, 4 + body.length, true);
  v.setUint16(2, type, true);
  a.set(body, 4);
  return a;
}

/** NLA_F_NESTED: nf_tables parses nested attributes strictly and wants the flag. */
const NLA_F_NESTED = 0x8000;

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function nlNest(type: number, children: readonly Uint8Array[]): Uint8Array {
  return nlAttr(type | NLA_F_NESTED, concat(children));
}

function nlString(type: number, s: string): Uint8Array {
  return nlAttr(type, new TextEncoder().encode(`${s}\0`));
}

/** One netlink message: header, a fixed-size family header, then attributes. */
function nlMessage(
  type: number,
  flags: number,
  seq: number,
  head: Uint8Array,
  attrs: readonly Uint8Array[],
): Uint8Array {
  const body = concat([head, ...attrs]);
  const b = new Uint8Array(NLMSG_HDRLEN + body.length);
  const v = new DataView(b.buffer);
  v.setUint32(0, b.length, true);
  v.setUint16(4, type, true);
  v.setUint16(6, flags, true);
  v.setUint32(8, seq >>> 0, true);
  b.set(body, NLMSG_HDRLEN);
  return b;
}

export const NLM_F_REPLACE = 0x100;
export const NLM_F_CREATE = 0x400;

// nf_tables (include/uapi/linux/netfilter/nfnetlink.h, nf_tables.h).
export const NFNL_SUBSYS_NFTABLES = 10;
const NFNL_MSG_BATCH_BEGIN = 0x10;
const NFNL_MSG_BATCH_END = 0x11;
const NFT_MSG_NEWSETELEM = 12;
const NFT_MSG_DELSETELEM = 14;
const NFTA_SET_ELEM_LIST_TABLE = 1;
const NFTA_SET_ELEM_LIST_SET = 2;
const NFTA_SET_ELEM_LIST_ELEMENTS = 3;
const NFTA_LIST_ELEM = 1;
const NFTA_SET_ELEM_KEY = 1;
const NFTA_DATA_VALUE = 1;
/** nfgenmsg families of nf_tables tables (NFPROTO_*). */
export const NFPROTO_INET = 1;
export const NFPROTO_NETDEV = 5;

/** struct nfgenmsg: family, version NFNETLINK_V0, res_id (big endian). */
function nfgenmsg(family: number, resId: number): Uint8Array {
  const h = new Uint8Array(4);
  h[0] = family;
  new DataView(h.buffer).setUint16(2, resId, false);
  return h;
}

/**
 * An nf_tables transaction that adds `keys` to (or deletes them from) set `set` of
 * table `table` — what `nft add element FAMILY TABLE SET { … }` sends: a batch begin,
 * one NEWSETELEM/DELSETELEM with a key per element (the address in network order),
 * a batch end; messages numbered from `seq`. Adding an element that is there already
 * is no error (no NLM_F_EXCL); deleting a missing one is ENOENT.
 */
export function nftSetElemBatch(
  seq: number,
  family: number,
  table: string,
  set: string,
  keys: readonly Uint8Array[],
  add: boolean,
): Uint8Array {
  const begin = nlMessage(
    NFNL_MSG_BATCH_BEGIN,
    NLM_F_REQUEST,
    seq,
    nfgenmsg(0, NFNL_SUBSYS_NFTABLES),
    [],
  );
  const elements = keys.map((k) =>
    nlNest(NFTA_LIST_ELEM, [nlNest(NFTA_SET_ELEM_KEY, [nlAttr(NFTA_DATA_VALUE, k)])]),
  );
  const op = add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM;
  const msg = nlMessage(
    (NFNL_SUBSYS_NFTABLES << 8) | op,
    NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE : 0),
    seq + 1,
    nfgenmsg(family, 0),
    [
      nlString(NFTA_SET_ELEM_LIST_TABLE, table),
      nlString(NFTA_SET_ELEM_LIST_SET, set),
      nlNest(NFTA_SET_ELEM_LIST_ELEMENTS, elements),
    ],
  );
  const end = nlMessage(
    NFNL_MSG_BATCH_END,
    NLM_F_REQUEST,
    seq + 2,
    nfgenmsg(0, NFNL_SUBSYS_NFTABLES),
    [],
  );
  return concat([begin, msg, end]);
}

export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
const RTA_DST = 1;
const RTA_OIF = 4;
const RT_TABLE_LOCAL = 255;
const RTPROT_STATIC = 4;
const RT_SCOPE_HOST = 254;
const RTN_LOCAL = 2;

/**
 * `ip route replace|del local ADDR dev OIF table local proto static`: a host route of
 * type local for `addr` (4 or 16 bytes, network order) in the local table.
 */
export function rtmLocalRoute(
  seq: number,
  add: boolean,
  addr: Uint8Array,
  oif: number,
): Uint8Array {
  const v4 = addr.length === 4;
  const rtm = new Uint8Array(12);
  rtm[0] = v4 ? 2 : 10;
  rtm[1] = v4 ? 32 : 128;
  rtm[4] = RT_TABLE_LOCAL;
  rtm[5] = RTPROT_STATIC;
  rtm[6] = RT_SCOPE_HOST;
  rtm[7] = RTN_LOCAL;
  const oifBytes = new Uint8Array(4);
  new DataView(oifBytes.buffer).setUint32(0, oif, true);
  return nlMessage(
    add ? RTM_NEWROUTE : RTM_DELROUTE,
    NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_REPLACE : 0),
    seq,
    rtm,
    [nlAttr(RTA_DST, addr), nlAttr(RTA_OIF, oifBytes)],
  );
}
