// The IPv4 layer (Linux: net/ipv4/ip_input.c, ip_output.c, ip_forward.c, route.c).
//
// Receive: ipRcv (ptype ETH_P_IP) → header checks → netfilter PREROUTING →
// ipRcvFinish (l3mdev hook, input route) → ipLocalDeliver (netfilter INPUT, then the
// protocol handler of `skb.dev.netns`) or ipForward (TTL, MTU, netfilter FORWARD) →
// ipOutput (netfilter POSTROUTING) → ipFinishOutput2 (neighbour) → devQueueXmit.
// Send: ipRouteOutput picks the route and source; ipLocalOut runs netfilter OUTPUT
// and goes to ipOutput (or to the loopback device for local destinations, as Linux's
// local routes point at `lo`).
//
// Contract for upper drivers (ipvlan):
// - `ipRouteOutput(ns, { daddr, saddr, oif, anySrc: true })` is Linux's
//   ip_route_output_flow with flowi4_oif and FLOWI_FLAG_ANYSRC: only routes through
//   `oif` qualify, and when none does the destination is assumed on-link on `oif`
//   (route.c "Apparently, routing tables are wrong. Assume, that the destination is
//   on link."), spec TX-L3-4. A down `oif` or one without IPv4 state is ENETUNREACH
//   (TX-L3-5). The result's `type` says unicast / local / broadcast / multicast.
// - `ipLocalOut(ns, skb, rt)` sends an skb whose `network` offset points at a complete
//   IPv4 header (length and checksum are fixed here) with room for an Ethernet header
//   in front: netfilter OUTPUT and POSTROUTING of `ns`, neighbour resolution on
//   `rt.dev`, then devQueueXmit. TTL is not touched.
// - l3mdev receive hook (ip_rcv_finish → l3mdev_ip_rcv): a handler stored at
//   `dev.proto.get(L3MDEV_RCV)` on the receiving device, or on its `master`, is called
//   after PREROUTING. Returning an input route (use `ipRouteInput` with the slave as
//   input device, which looks up in the slave's namespace) makes the packet use it;
//   returning null continues normally. Local delivery then runs netfilter INPUT in the
//   namespace of `skb.dev` (still the master), and delivers to the sockets of the
//   namespace of `skb.dev` after the hook (a LOCAL_IN hook may move `skb.dev` to the
//   slave, as ipvlan_nf_input does).

import { ErrnoError } from '../base/errno.ts';
import {
  IPV4_BROADCAST,
  ipv4,
  ipv4IsLoopback,
  ipv4IsMulticast,
  type Ipv4Addr,
  type MacAddr,
} from '../wire/address.ts';
import { ETHERNET_HEADER_LEN } from '../wire/ethernet.ts';
import { IPV4_HEADER_LEN, Ipv4Packet } from '../wire/ipv4.ts';
import { setBe16 } from '../wire/bytes.ts';
import { ETH_P_IP, IFF_LOOPBACK } from '../uapi/if.ts';
import {
  IPPROTO_ICMP,
  IPPROTO_UDP,
  RTN_BROADCAST,
  RTN_LOCAL,
  RTN_MULTICAST,
  RTN_UNICAST,
  RT_SCOPE_HOST,
  RT_SCOPE_LINK,
  RT_SCOPE_UNIVERSE,
} from '../uapi/rtnetlink.ts';
import { inDevGet, inetSelectAddr, ipCheckMc, ipDevFind, ipv4McMac } from './inet.ts';
import type { NetDevice } from './netdev.ts';
import type { NetNamespace } from './netns.ts';
import { nfHook } from './netfilter/hooks.ts';
import { fibLookup, routeTypeError, type Route } from './route.ts';
import { SkBuff } from './skb.ts';
import { ipv4DevConf } from './sysctl.ts';
import { arpNeighOutput } from './arp.ts';
import {
  ICMP_DEST_UNREACH,
  ICMP_EXC_TTL,
  ICMP_FRAG_NEEDED,
  ICMP_HOST_UNREACH,
  ICMP_NET_UNREACH,
  ICMP_PKT_FILTERED,
  ICMP_PROT_UNREACH,
  ICMP_TIME_EXCEEDED,
} from '../wire/icmpv4.ts';
import { icmpRcv, icmpSend } from './icmp.ts';
import { udpRcv } from './udp.ts';
import { MacAddr as Mac } from '../wire/address.ts';

/** Default TTL of locally generated packets (net.ipv4.ip_default_ttl). */
export const IP_DEFAULT_TTL = 64;

/** Key of the l3mdev receive handler in `dev.proto` (see the header comment). */
export const L3MDEV_RCV = 'l3mdev';

/** An l3mdev receive handler (Linux: l3mdev_ops->l3mdev_l3_rcv). */
export type L3mdevRcv = (skb: SkBuff, family: 'ipv4' | 'ipv6') => unknown;

/** The result of an output route lookup (Linux: struct rtable from ip_route_output_flow). */
export interface Ipv4OutRoute {
  readonly family: 4;
  readonly type: 'unicast' | 'local' | 'broadcast' | 'multicast';
  /** The device to send on (`lo` for local destinations). */
  readonly dev: NetDevice;
  /** The gateway, or null when the destination itself is the next hop. */
  readonly gateway: Ipv4Addr | null;
  readonly src: Ipv4Addr;
  readonly dst: Ipv4Addr;
  /** Path MTU: the route's mtu metric, else the device MTU. */
  readonly mtu: number;
  /** The FIB entry used; null for the on-link fallback and limited broadcast. */
  readonly fib: Route | null;
}

/** The result of an input route lookup (the skb_dst Linux attaches in ip_rcv_finish). */
export type Ipv4InputRoute =
  | {
      readonly kind: 'local';
      readonly broadcast: boolean;
      readonly multicast: boolean;
      readonly ns: NetNamespace;
    }
  | { readonly kind: 'forward'; readonly out: Ipv4OutRoute; readonly ns: NetNamespace }
  | {
      readonly kind: 'error';
      readonly errno: 'ENETUNREACH' | 'EHOSTUNREACH' | 'EACCES' | 'EINVAL';
      readonly ns: NetNamespace;
      /** Forwarding was off on the input device: drop silently (ip_error). */
      readonly noForward: boolean;
    }
  | {
      readonly kind: 'martian';
      readonly reason: 'IP_INVALID_SOURCE' | 'IP_INADDRERRORS';
      readonly ns: NetNamespace;
    };

/** A flow to route (the parts of struct flowi4 we model). */
export interface Ipv4Flow {
  readonly daddr: Ipv4Addr;
  readonly saddr?: Ipv4Addr | undefined;
  /** Pin the output device (flowi4_oif, SO_BINDTODEVICE, ipvlan's master). */
  readonly oif?: NetDevice | null;
  readonly tos?: number;
  /** FLOWI_FLAG_ANYSRC: the source need not be local (ipvlan). */
  readonly anySrc?: boolean;
}

function loopbackOf(ns: NetNamespace): NetDevice {
  const lo = ns.getByIndex(1);
  if (lo === undefined) throw new ErrnoError('ENODEV');
  return lo;
}

function routeMtu(r: Route | null, dev: NetDevice): number {
  return r?.metrics.mtu ?? dev.mtu;
}

/**
 * Linux: ip_route_output_key_hash_rcu. Throws ErrnoError: ENETUNREACH (no route, or a
 * pinned device that is down), EHOSTUNREACH/EACCES/EINVAL for error routes, EINVAL for
 * a bad source, ENODEV for a missing device.
 */
export function ipRouteOutput(ns: NetNamespace, flow: Ipv4Flow): Ipv4OutRoute {
  const daddr = flow.daddr;
  let saddr = flow.saddr ?? ipv4(0);
  const oif = flow.oif ?? null;
  if (saddr !== 0) {
    if (ipv4IsMulticast(saddr) || saddr === IPV4_BROADCAST) throw new ErrnoError('EINVAL');
    if (flow.anySrc !== true && ipDevFind(ns, saddr) === undefined) throw new ErrnoError('EINVAL');
  }
  if (oif !== null) {
    if (oif.netns !== ns) throw new ErrnoError('ENODEV');
    if (!oif.isUp || inDevGet(oif) === undefined) throw new ErrnoError('ENETUNREACH');
    if (isLocalMulticast(daddr) || daddr === IPV4_BROADCAST) {
      if (saddr === 0) saddr = inetSelectAddr(oif, 0, RT_SCOPE_LINK);
      return mkOut(
        daddr === IPV4_BROADCAST ? 'broadcast' : 'multicast',
        oif,
        null,
        saddr,
        daddr,
        null,
      );
    }
    if (saddr === 0 && ipv4IsMulticast(daddr)) saddr = inetSelectAddr(oif, 0, RT_SCOPE_UNIVERSE);
  }
  if (daddr === 0) {
    // Linux: a zero destination means "myself" (saddr, else 127.0.0.1) via loopback.
    const d = saddr !== 0 ? saddr : ipv4(0x7f000001);
    return mkOut('local', loopbackOf(ns), null, saddr !== 0 ? saddr : d, d, null);
  }
  if (daddr === IPV4_BROADCAST && oif === null && saddr !== 0) {
    // With a source, the limited broadcast leaves the device owning it (or fails).
    const dev = ipDevFind(ns, saddr);
    if (dev === undefined) throw new ErrnoError('ENETUNREACH');
    return mkOut('broadcast', dev, null, saddr, daddr, null);
  }
  const r = fibLookup(ns, 4, daddr, { oif });
  if (r === null) {
    if (oif !== null) {
      // route.c: "Apparently, routing tables are wrong. Assume, that the destination is on link."
      if (saddr === 0) saddr = inetSelectAddr(oif, 0, RT_SCOPE_LINK);
      return mkOut(ipv4IsMulticast(daddr) ? 'multicast' : 'unicast', oif, null, saddr, daddr, null);
    }
    throw new ErrnoError('ENETUNREACH');
  }
  const err = routeTypeError(r.type);
  if (err !== null) throw new ErrnoError(err);
  if (r.type === RTN_LOCAL) {
    if (saddr === 0) saddr = r.prefsrc !== null ? (r.prefsrc as Ipv4Addr) : daddr;
    return mkOut('local', loopbackOf(ns), null, saddr, daddr, r);
  }
  const dev = r.dev as NetDevice;
  if (saddr === 0) {
    saddr =
      r.prefsrc !== null
        ? (r.prefsrc as Ipv4Addr)
        : inetSelectAddr(dev, (r.gateway as Ipv4Addr | null) ?? 0, r.scope);
  }
  if (ipv4IsLoopback(daddr) && (dev.flags & IFF_LOOPBACK) === 0) throw new ErrnoError('EINVAL');
  // __mkroute_output: without a source the limited broadcast follows the route that
  // matches it (e.g. `default dev X`), as a broadcast with no gateway (SC-23, h3).
  if (daddr === IPV4_BROADCAST) return mkOut('broadcast', dev, null, saddr, daddr, null);
  let type: Ipv4OutRoute['type'] = 'unicast';
  if (r.type === RTN_BROADCAST) type = 'broadcast';
  else if (r.type === RTN_MULTICAST || ipv4IsMulticast(daddr)) type = 'multicast';
  else if ((dev.flags & IFF_LOOPBACK) !== 0) type = 'local';
  return mkOut(type, dev, (r.gateway as Ipv4Addr | null) ?? null, saddr, daddr, r);
}

function isLocalMulticast(addr: number): boolean {
  return addr >>> 8 === 0xe00000; // 224.0.0.0/24
}

function mkOut(
  type: Ipv4OutRoute['type'],
  dev: NetDevice,
  gateway: Ipv4Addr | null,
  src: Ipv4Addr,
  dst: Ipv4Addr,
  fib: Route | null,
): Ipv4OutRoute {
  return { family: 4, type, dev, gateway, src, dst, mtu: routeMtu(fib, dev), fib };
}

/**
 * Linux: ip_route_input_noref / ip_route_input_slow. Looks up in the namespace of
 * `dev`, with `dev` as input device.
 */
export function ipRouteInput(daddr: Ipv4Addr, saddr: Ipv4Addr, dev: NetDevice): Ipv4InputRoute {
  const ns = dev.netns;
  if (ipv4IsMulticast(daddr)) {
    if (ipCheckMc(dev, daddr)) return { kind: 'local', broadcast: false, multicast: true, ns };
    return { kind: 'martian', reason: 'IP_INADDRERRORS', ns };
  }
  if (ipv4IsMulticast(saddr) || saddr === IPV4_BROADCAST)
    return { kind: 'martian', reason: 'IP_INVALID_SOURCE', ns };
  if (daddr === IPV4_BROADCAST || (saddr === 0 && daddr === 0))
    return { kind: 'local', broadcast: true, multicast: false, ns };
  if (saddr === 0 || ipv4IsLoopback(saddr))
    return { kind: 'martian', reason: 'IP_INVALID_SOURCE', ns };
  if (daddr === 0 || ipv4IsLoopback(daddr))
    return { kind: 'martian', reason: 'IP_INADDRERRORS', ns };
  const forwarding = inDevGet(dev) !== undefined && ipv4DevConf(dev, 'forwarding') !== 0;
  const r = fibLookup(ns, 4, daddr);
  if (r === null) {
    return forwarding
      ? { kind: 'error', errno: 'ENETUNREACH', ns, noForward: false }
      : { kind: 'error', errno: 'EHOSTUNREACH', ns, noForward: true };
  }
  if (r.type === RTN_BROADCAST) return { kind: 'local', broadcast: true, multicast: false, ns };
  if (r.type === RTN_LOCAL) return { kind: 'local', broadcast: false, multicast: false, ns };
  if (!forwarding) return { kind: 'error', errno: 'EHOSTUNREACH', ns, noForward: true };
  const err = routeTypeError(r.type);
  if (err !== null)
    return {
      kind: 'error',
      errno: err === 'EHOSTUNREACH' || err === 'ENETUNREACH' || err === 'EACCES' ? err : 'EINVAL',
      ns,
      noForward: false,
    };
  if (r.type !== RTN_UNICAST || r.dev === null)
    return { kind: 'martian', reason: 'IP_INADDRERRORS', ns };
  const out = r.dev;
  const src =
    r.prefsrc !== null ? (r.prefsrc as Ipv4Addr) : inetSelectAddr(out, daddr, RT_SCOPE_LINK);
  return {
    kind: 'forward',
    out: mkOut('unicast', out, (r.gateway as Ipv4Addr | null) ?? null, src, daddr, r),
    ns,
  };
}

// ---------------------------------------------------------------- receive

/** Per-skb IP control block: the input route attached on receive (Linux: skb_dst). */
const inputRoutes = new WeakMap<SkBuff, Ipv4InputRoute>();

/** The input route attached to a received skb, if any. */
export function skbInputRoute(skb: SkBuff): Ipv4InputRoute | undefined {
  return inputRoutes.get(skb);
}

/** Linux: ip_rcv + ip_rcv_core. Registered for ETH_P_IP. Never throws on bad bytes. */
export function ipRcv(skb: SkBuff): void {
  const kernel = skb.dev.netns.kernel;
  // A fresh receive has no route yet (skb_dst is dropped on every device crossing).
  inputRoutes.delete(skb);
  if (skb.pktType === 'otherhost') {
    // ip_rcv_core: dev_core_stats_rx_otherhost_dropped_inc (`ip -s -s`: otherhost).
    skb.dev.coreStats.rxOtherhostDropped++;
    kernel.dropSkb(skb, 'OTHERHOST');
    return;
  }
  const data = skb.networkData;
  if (data.length < IPV4_HEADER_LEN) {
    kernel.dropSkb(skb, 'IP_INHDR');
    return;
  }
  const ip = Ipv4Packet.checked(data);
  if (ip === null) {
    const total = (data[2] ?? 0) * 256 + (data[3] ?? 0);
    kernel.dropSkb(skb, total > data.length && data[0] === 0x45 ? 'PKT_TOO_SMALL' : 'IP_INHDR');
    return;
  }
  if (!ip.checksumOk) {
    kernel.dropSkb(skb, 'IP_CSUM');
    return;
  }
  // pskb_trim_rcsum: link padding past the total length is not part of the datagram.
  if (skb.network + ip.totalLen < skb.data.length)
    skb.data = skb.data.subarray(0, skb.network + ip.totalLen);
  skb.transport = skb.network + ip.headerLen;
  const ns = skb.dev.netns;
  const verdict = nfHook(ns, 'ipv4', 'prerouting', skb, skb.dev, null);
  if (verdict === 'drop') kernel.dropSkb(skb, 'NETFILTER_DROP');
  if (verdict !== 'accept') return;
  ipRcvFinish(skb);
}

/** The l3mdev handler for `dev`: its own, or its master's (l3mdev_ip_rcv). */
function l3mdevHandler(dev: NetDevice): L3mdevRcv | undefined {
  return (dev.proto.get(L3MDEV_RCV) ?? dev.master?.proto.get(L3MDEV_RCV)) as L3mdevRcv | undefined;
}

/** Linux: ip_rcv_finish (after PREROUTING, so after conntrack and DNAT). */
export function ipRcvFinish(skb: SkBuff): void {
  const kernel = skb.dev.netns.kernel;
  const data = skb.networkData;
  const ip = Ipv4Packet.checked(data);
  if (ip === null) {
    kernel.dropSkb(skb, 'IP_INHDR');
    return;
  }
  let rt: Ipv4InputRoute | undefined;
  const handler = l3mdevHandler(skb.dev);
  if (handler !== undefined) {
    const r = handler(skb, 'ipv4') as Ipv4InputRoute | null | undefined;
    if (r !== null && r !== undefined) rt = r;
  }
  // Looped-back packets keep the route they were sent with in Linux (skb_dst survives
  // loopback_xmit), so no martian checks apply to 127.0.0.1 → 127.0.0.1.
  if (rt === undefined && (skb.dev.flags & IFF_LOOPBACK) !== 0) {
    const r = fibLookup(skb.dev.netns, 4, ip.dst);
    if (r !== null && (r.type === RTN_LOCAL || r.type === RTN_BROADCAST))
      rt = {
        kind: 'local',
        broadcast: r.type === RTN_BROADCAST,
        multicast: false,
        ns: skb.dev.netns,
      };
  }
  rt ??= ipRouteInput(ip.dst, ip.src, skb.dev);
  inputRoutes.set(skb, rt);
  switch (rt.kind) {
    case 'local':
      ipLocalDeliver(skb);
      return;
    case 'forward':
      ipForward(skb, rt.out);
      return;
    case 'martian':
      kernel.dropSkb(skb, rt.reason, 'martian');
      return;
    case 'error':
      ipError(skb, rt);
      return;
  }
}

/** Linux: ip_error — ICMP for a packet we cannot route, silent when forwarding is off. */
function ipError(skb: SkBuff, rt: Extract<Ipv4InputRoute, { kind: 'error' }>): void {
  const kernel = skb.dev.netns.kernel;
  if (rt.noForward) {
    kernel.dropSkb(
      skb,
      rt.errno === 'ENETUNREACH' ? 'IP_INNOROUTES' : 'IP_INADDRERRORS',
      'forwarding disabled',
    );
    return;
  }
  let code = ICMP_HOST_UNREACH;
  let reason: 'IP_INNOROUTES' | 'IP_INADDRERRORS' | 'NOT_SPECIFIED' = 'IP_INADDRERRORS';
  switch (rt.errno) {
    case 'ENETUNREACH':
      code = ICMP_NET_UNREACH;
      reason = 'IP_INNOROUTES';
      break;
    case 'EACCES':
      code = ICMP_PKT_FILTERED;
      reason = 'NOT_SPECIFIED';
      break;
    case 'EINVAL':
      kernel.dropSkb(skb, 'NOT_SPECIFIED', 'blackhole');
      return;
    default:
      break;
  }
  icmpSend(skb, ICMP_DEST_UNREACH, code, 0);
  kernel.dropSkb(skb, reason);
}

/** Linux: ip_local_deliver — netfilter INPUT, then the transport protocol. */
export function ipLocalDeliver(skb: SkBuff): void {
  const kernel = skb.dev.netns.kernel;
  const ip = Ipv4Packet.checked(skb.networkData);
  if (ip === null) {
    kernel.dropSkb(skb, 'IP_INHDR');
    return;
  }
  if (ip.isFragment) {
    // No reassembly yet (ip_defrag): documented divergence.
    kernel.dropSkb(skb, 'IP_FRAGMENT', 'reassembly not supported');
    return;
  }
  const verdict = nfHook(skb.dev.netns, 'ipv4', 'input', skb, skb.dev, null);
  if (verdict === 'drop') kernel.dropSkb(skb, 'NETFILTER_DROP');
  if (verdict !== 'accept') return;
  ipLocalDeliverFinish(skb);
}

/** A transport protocol's receive function (Linux: net_protocol.handler). */
export type InetProtoHandler = (skb: SkBuff, ip: Ipv4Packet) => void;

const extraProtos = new WeakMap<object, Map<number, InetProtoHandler>>();

/** Registers a transport protocol (TCP later) on a kernel (inet_add_protocol). */
export function inetAddProtocol(kernel: object, protocol: number, handler: InetProtoHandler): void {
  let m = extraProtos.get(kernel);
  if (m === undefined) {
    m = new Map();
    extraProtos.set(kernel, m);
  }
  m.set(protocol, handler);
}

/** Linux: ip_local_deliver_finish — the namespace of `skb.dev` (after INPUT hooks) decides. */
function ipLocalDeliverFinish(skb: SkBuff): void {
  const kernel = skb.dev.netns.kernel;
  const ip = Ipv4Packet.checked(skb.networkData);
  if (ip === null) {
    kernel.dropSkb(skb, 'IP_INHDR');
    return;
  }
  skb.transport = skb.network + ip.headerLen;
  switch (ip.protocol) {
    case IPPROTO_ICMP:
      icmpRcv(skb, ip);
      return;
    case IPPROTO_UDP:
      udpRcv(skb, ip);
      return;
    default: {
      const h = extraProtos.get(kernel)?.get(ip.protocol);
      if (h !== undefined) {
        h(skb, ip);
        return;
      }
      const rt = inputRoutes.get(skb);
      if (rt?.kind === 'local' && !rt.broadcast && !rt.multicast)
        icmpSend(skb, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, 0);
      kernel.dropSkb(skb, 'IP_NOPROTO');
    }
  }
}

// ---------------------------------------------------------------- forward

/** Linux: ip_forward. */
export function ipForward(skb: SkBuff, rt: Ipv4OutRoute): void {
  const kernel = skb.dev.netns.kernel;
  if (skb.pktType !== 'host') {
    kernel.dropSkb(skb, 'OTHERHOST');
    return;
  }
  const ip = Ipv4Packet.checked(skb.networkData);
  if (ip === null) {
    kernel.dropSkb(skb, 'IP_INHDR');
    return;
  }
  if (ip.ttl <= 1) {
    // "Tell the sender its packet died" (ip_forward too_many_hops): IP_INHDR in Linux.
    icmpSend(skb, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, 0);
    kernel.dropSkb(skb, 'IP_INHDR', 'ttl exceeded');
    return;
  }
  if (ip.totalLen > rt.mtu) {
    if (ip.dontFrag) icmpSend(skb, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, rt.mtu);
    kernel.dropSkb(
      skb,
      'PKT_TOO_BIG',
      ip.dontFrag ? 'fragmentation needed' : 'fragmentation not supported',
    );
    return;
  }
  skb.unshare();
  const out = Ipv4Packet.unchecked(skb.data.subarray(skb.network));
  out.decrementTtl();
  const inDev = skb.dev;
  const ns = inDev.netns;
  const verdict = nfHook(ns, 'ipv4', 'forward', skb, inDev, rt.dev);
  if (verdict === 'drop') kernel.dropSkb(skb, 'NETFILTER_DROP');
  if (verdict !== 'accept') return;
  if (kernel.tracing) kernel.trace(skb, inDev, 'forward', `ipv4 → ${rt.dev.name}`);
  skb.pktType = 'outgoing';
  ipOutput(ns, skb, rt);
}

// ---------------------------------------------------------------- output

/** IP ids for packets without DF (Linux: ip_idents, hashed; here one counter per namespace). */
function nextIpId(ns: NetNamespace): number {
  let c = ns.proto.get('ipv4.ident') as { v: number } | undefined;
  if (c === undefined) {
    c = { v: ns.kernel.random.below(0x10000) };
    ns.proto.set('ipv4.ident', c);
  }
  c.v = (c.v + 1) & 0xffff;
  return c.v;
}

/** What a local sender puts in the header (the rest comes from the route). */
export interface Ipv4SendOptions {
  readonly protocol: number;
  readonly ttl?: number;
  readonly tos?: number;
  readonly dontFrag?: boolean;
  /** IP id for DF packets (a connected socket's inet_id); default 0 as Linux uses. */
  readonly ident?: number;
}

/**
 * Builds an skb holding an IPv4 packet with `payload`, Ethernet headroom in front and
 * the header filled from `rt` (Linux: ip_build_and_send_pkt / __ip_make_skb).
 */
export function ipBuildSkb(
  ns: NetNamespace,
  rt: Ipv4OutRoute,
  payload: Uint8Array,
  opts: Ipv4SendOptions,
): SkBuff {
  const data = new Uint8Array(ETHERNET_HEADER_LEN + IPV4_HEADER_LEN + payload.length);
  const ip = Ipv4Packet.unchecked(data.subarray(ETHERNET_HEADER_LEN));
  ip.setHeaderLen(IPV4_HEADER_LEN);
  ip.setTos(opts.tos ?? 0);
  ip.setTotalLen(IPV4_HEADER_LEN + payload.length);
  const df = opts.dontFrag ?? false;
  ip.setIdent(df ? (opts.ident ?? 0) : nextIpId(ns));
  ip.setFragWord(df ? 0x4000 : 0);
  ip.setTtl(opts.ttl ?? IP_DEFAULT_TTL);
  ip.setProtocol(opts.protocol);
  ip.setSrc(rt.src);
  ip.setDst(rt.dst);
  ip.fillChecksum();
  data.set(payload, ETHERNET_HEADER_LEN + IPV4_HEADER_LEN);
  const skb = new SkBuff(data, rt.dev);
  skb.network = ETHERNET_HEADER_LEN;
  skb.transport = ETHERNET_HEADER_LEN + IPV4_HEADER_LEN;
  skb.protocol = ETH_P_IP;
  skb.pktType = 'outgoing';
  return skb;
}

/**
 * What the output path returns to a local sender (Linux: the return code of
 * ip_local_out): 'ok' (sent, queued for neighbour resolution, or stolen), 'xmit-drop'
 * (the device's transmit dropped it, NET_XMIT_DROP, which ip_send_skb turns into
 * ENOBUFS through net_xmit_errno), 'nf-drop' (netfilter OUTPUT or POSTROUTING dropped
 * it: nf_hook_slow's -EPERM, NF_DROP_ERRNO) or 'drop' (dropped before any device for
 * another reason).
 */
export type LocalOutResult = 'ok' | 'drop' | 'nf-drop' | 'xmit-drop';

/**
 * Linux: ip_local_out. Fixes total length and checksum, runs netfilter OUTPUT in `ns`
 * and sends along `rt`. Returns 'drop' when something on the way dropped it.
 */
export function ipLocalOut(ns: NetNamespace, skb: SkBuff, rt: Ipv4OutRoute): 'ok' | 'drop' {
  return localOut(ns, skb, rt) === 'ok' ? 'ok' : 'drop';
}

function localOut(ns: NetNamespace, skb: SkBuff, rt: Ipv4OutRoute): LocalOutResult {
  const kernel = ns.kernel;
  skb.unshare();
  const region = skb.data.subarray(skb.network);
  const ip = Ipv4Packet.checked(region) ?? Ipv4Packet.checkedQuoted(region);
  if (ip === null) {
    kernel.dropSkb(skb, 'IP_INHDR');
    return 'drop';
  }
  setBe16(skb.data, skb.network + 2, skb.data.length - skb.network);
  Ipv4Packet.unchecked(skb.data.subarray(skb.network)).fillChecksum();
  skb.protocol = ETH_P_IP;
  skb.dev = rt.dev;
  skb.transport = skb.network + ip.headerLen;
  const verdict = nfHook(ns, 'ipv4', 'output', skb, null, rt.dev);
  if (verdict === 'drop') {
    kernel.dropSkb(skb, 'NETFILTER_DROP');
    return 'nf-drop';
  }
  if (verdict === 'stolen') return 'ok';
  return ipOutput(ns, skb, rt);
}

/** Linux: ip_output / ip_mc_output — POSTROUTING, local copies of group packets, MTU. */
export function ipOutput(ns: NetNamespace, skb: SkBuff, rt: Ipv4OutRoute): LocalOutResult {
  const kernel = ns.kernel;
  skb.dev = rt.dev;
  skb.protocol = ETH_P_IP;
  const verdict = nfHook(ns, 'ipv4', 'postrouting', skb, null, rt.dev);
  if (verdict === 'drop') {
    kernel.dropSkb(skb, 'NETFILTER_DROP');
    return 'nf-drop';
  }
  if (verdict === 'stolen') return 'ok';
  const ip = Ipv4Packet.checkedQuoted(skb.data.subarray(skb.network));
  if (ip === null) {
    kernel.dropSkb(skb, 'IP_INHDR');
    return 'drop';
  }
  const len = skb.data.length - skb.network;
  if (len > rt.mtu && (rt.dev.flags & IFF_LOOPBACK) === 0) {
    // ip_fragment: with DF the sender learns the MTU; fragmentation itself is not modelled.
    if (ip.dontFrag) icmpSend(skb, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, rt.mtu);
    kernel.dropSkb(skb, 'PKT_TOO_BIG');
    return 'drop';
  }
  // ip_mc_output: broadcasts and joined groups are also delivered to ourselves.
  if (
    skb.pktType === 'outgoing' &&
    (rt.type === 'broadcast' || (rt.type === 'multicast' && ipCheckMc(rt.dev, ip.dst))) &&
    (rt.dev.flags & IFF_LOOPBACK) === 0
  ) {
    loopbackCopy(skb, rt);
  }
  return ipFinishOutput2(skb, rt, ip.dst);
}

/** Linux: dev_loopback_xmit — a copy of an outgoing group packet goes up our own stack. */
function loopbackCopy(skb: SkBuff, rt: Ipv4OutRoute): void {
  const copy = skb.copy();
  const dst = groupMac(rt);
  writeEth(copy, dst, rt.dev.address, ETH_P_IP);
  const kernel = rt.dev.netns.kernel;
  copy.dev = rt.dev;
  if (!kernel.ethTypeTrans(copy, rt.dev)) return;
  copy.pktType = 'loopback';
  copy.loopedBack = true;
  kernel.netifRx(copy);
}

function groupMac(rt: Ipv4OutRoute): MacAddr {
  if (rt.type === 'broadcast') return rt.dev.broadcast;
  return Mac.fromBytes(ipv4McMac(rt.dst));
}

/** Writes the Ethernet header in front of the network header and trims to it. */
export function writeEth(skb: SkBuff, dst: MacAddr, src: MacAddr, ethertype: number): void {
  if (skb.network !== ETHERNET_HEADER_LEN) {
    if (skb.network < ETHERNET_HEADER_LEN) {
      const grown = new Uint8Array(ETHERNET_HEADER_LEN + skb.data.length - skb.network);
      grown.set(skb.data.subarray(skb.network), ETHERNET_HEADER_LEN);
      skb.data = grown;
      skb.shared = false;
    } else {
      skb.data = skb.data.subarray(skb.network - ETHERNET_HEADER_LEN);
    }
    if (skb.transport >= 0) skb.transport -= skb.network - ETHERNET_HEADER_LEN;
    skb.network = ETHERNET_HEADER_LEN;
  }
  skb.unshare();
  dst.writeTo(skb.data, 0);
  src.writeTo(skb.data, 6);
  setBe16(skb.data, 12, ethertype);
}

/**
 * Linux: ip_finish_output2 — every destination goes through the ARP table
 * (ip_neigh_for_gw): group destinations and NOARP devices get NUD_NOARP entries that
 * `ip neigh show nud all` lists (V6-4). A device drop is reported as 'xmit-drop'.
 */
function ipFinishOutput2(skb: SkBuff, rt: Ipv4OutRoute, dst: Ipv4Addr): LocalOutResult {
  const dev = rt.dev;
  if ((dev.flags & IFF_LOOPBACK) !== 0) {
    writeEth(skb, dev.address, dev.address, ETH_P_IP);
    return xmitRc(dev.netns.kernel.devQueueXmit(skb));
  }
  const nexthop = rt.gateway ?? dst;
  return xmitRc(arpNeighOutput(dev, nexthop, skb));
}

function xmitRc(v: 'ok' | 'drop'): LocalOutResult {
  return v === 'ok' ? 'ok' : 'xmit-drop';
}

/** Sends a payload from a local socket or the kernel (ICMP): build, OUTPUT, send. */
export function ipSendPayload(
  ns: NetNamespace,
  rt: Ipv4OutRoute,
  payload: Uint8Array,
  opts: Ipv4SendOptions,
): LocalOutResult {
  const skb = ipBuildSkb(ns, rt, payload, opts);
  return localOut(ns, skb, rt);
}

/** Route scope names used by callers choosing a source. */
export const SCOPES = { RT_SCOPE_HOST, RT_SCOPE_LINK, RT_SCOPE_UNIVERSE } as const;
