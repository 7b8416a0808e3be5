// The IPv6 layer (Linux: net/ipv6/ip6_input.c, ip6_output.c, route.c).
//
// Receive: ip6Rcv (ptype ETH_P_IPV6) → header checks → netfilter PREROUTING → l3mdev
// hook → input route → local delivery (netfilter INPUT, extension headers walked to
// the upper layer) or ip6Forward (all.forwarding, hop limit, MTU → Packet Too Big,
// netfilter FORWARD) → ip6Output (POSTROUTING) → ND neighbour → devQueueXmit.
//
// Contract for upper drivers (ipvlan), the same shapes as ipv4.ts:
// - `ip6RouteOutput(ns, { daddr, saddr, oif })`: with `oif` only routes through it
//   qualify and there is no on-link fallback (spec TX-L3-4: "the lookup fails").
// - `ip6LocalOut(ns, skb, rt)`: `skb.network` points at a complete IPv6 header with
//   Ethernet room in front; payload length is fixed here; netfilter OUTPUT and
//   POSTROUTING of `ns`; hop limit untouched.
// - The l3mdev handler at `dev.proto.get(L3MDEV_RCV)` is called with family 'ipv6' and
//   may return an `Ipv6InputRoute` (use `ip6RouteInput` with the slave device).
// Not modelled: fragmentation and reassembly, routing headers, jumbograms, anycast.

import { ErrnoError } from '../base/errno.ts';
import { Ipv6Addr, type MacAddr } from '../wire/address.ts';
import { ETHERNET_HEADER_LEN } from '../wire/ethernet.ts';
import {
  IPV6_HEADER_LEN,
  Ipv6Packet,
  ipv6MulticastMac,
  ipv6UpperLayer,
  writeIpv6Header,
} from '../wire/ipv6.ts';
import {
  ICMPV6_DEST_UNREACH,
  ICMPV6_EXC_HOPLIMIT,
  ICMPV6_NOROUTE,
  ICMPV6_NOT_NEIGHBOUR,
  ICMPV6_PARAMPROB,
  ICMPV6_PKT_TOOBIG,
  ICMPV6_REJECT_ROUTE,
  ICMPV6_TIME_EXCEED,
  ICMPV6_UNK_NEXTHDR,
  ICMPV6_ADM_PROHIBITED,
} from '../wire/icmpv6.ts';
import { setBe16 } from '../wire/bytes.ts';
import { ETH_P_IPV6, IFF_LOOPBACK } from '../uapi/if.ts';
import {
  IPPROTO_ICMPV6,
  IPPROTO_NONE,
  IPPROTO_UDP,
  RTN_LOCAL,
  RTN_MULTICAST,
} from '../uapi/rtnetlink.ts';
import { in6DevGet, ipv6DevGetSaddr, ipv6GetIfaddr } from './addrconf.ts';
import { icmpv6Rcv, icmpv6Send } from './icmpv6.ts';
import { L3MDEV_RCV, writeEth, type L3mdevRcv, type LocalOutResult } from './ipv4.ts';
import { ipv6ChkMcastAddr } from './mcast.ts';
import { ndiscNeighOutput } from './ndisc.ts';
import type { NetDevice } from './netdev.ts';
import type { NetNamespace } from './netns.ts';
import { nfHook } from './netfilter/hooks.ts';
import { fibLookup, routeTypeError, type Route } from './route.ts';
import { SkBuff } from './skb.ts';
import { ipv6DevConf } from './sysctl.ts';
import { udp6Rcv } from './udp.ts';
import { IFA_F_DADFAILED, IFA_F_TENTATIVE } from './inet.ts';

/** The result of an IPv6 output route lookup (rt6_info from ip6_route_output). */
export interface Ipv6OutRoute {
  readonly family: 6;
  readonly type: 'unicast' | 'local' | 'multicast';
  readonly dev: NetDevice;
  readonly gateway: Ipv6Addr | null;
  readonly src: Ipv6Addr;
  readonly dst: Ipv6Addr;
  readonly mtu: number;
  readonly fib: Route | null;
}

export type Ipv6InputRoute =
  | { readonly kind: 'local'; readonly multicast: boolean; readonly ns: NetNamespace }
  | { readonly kind: 'forward'; readonly out: Ipv6OutRoute; readonly ns: NetNamespace }
  | {
      readonly kind: 'error';
      readonly errno: 'ENETUNREACH' | 'EHOSTUNREACH' | 'EACCES' | 'EINVAL';
      readonly ns: NetNamespace;
    };

export interface Ipv6Flow {
  readonly daddr: Ipv6Addr;
  readonly saddr?: Ipv6Addr | undefined;
  readonly oif?: NetDevice | null;
}

function loopbackOf(ns: NetNamespace): NetDevice {
  const lo = ns.getByIndex(1);
  if (lo === undefined) throw new ErrnoError('ENODEV');
  return lo;
}

/** The device in `ns` that owns `addr` (non-tentative), or undefined. */
export function ipv6DevFind(ns: NetNamespace, addr: Ipv6Addr): NetDevice | undefined {
  for (const d of ns.devices) {
    const a = ipv6GetIfaddr(d, addr);
    if (a !== undefined && (a.flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED)) === 0) return d;
  }
  return undefined;
}

/**
 * Linux: ip6_route_output + ip6_dst_lookup (source selection). Throws ENETUNREACH when
 * nothing matches (the null entry), the error route's errno, EADDRNOTAVAIL when no
 * source address can be chosen.
 */
export function ip6RouteOutput(ns: NetNamespace, flow: Ipv6Flow): Ipv6OutRoute {
  const daddr = flow.daddr;
  const oif = flow.oif ?? null;
  if (oif !== null && oif.netns !== ns) throw new ErrnoError('ENODEV');
  if (oif !== null && (in6DevGet(oif) === undefined || ipv6DevConf(oif, 'disable_ipv6') !== 0))
    throw new ErrnoError('ENETUNREACH');
  const r = fibLookup(ns, 6, daddr, { oif, requireUp: true });
  if (r === null) throw new ErrnoError('ENETUNREACH');
  const err = routeTypeError(r.type);
  if (err !== null) throw new ErrnoError(err);
  let type: Ipv6OutRoute['type'] = 'unicast';
  let dev = r.dev as NetDevice;
  if (r.type === RTN_LOCAL) {
    type = 'local';
    dev = loopbackOf(ns);
  } else if (r.type === RTN_MULTICAST || daddr.isMulticast) {
    type = 'multicast';
  }
  let src = flow.saddr ?? null;
  if (src === null) {
    src = type === 'local' ? daddr : ipv6DevGetSaddr(ns, r.dev, daddr);
    if (src === null) throw new ErrnoError('EADDRNOTAVAIL');
  }
  return {
    family: 6,
    type,
    dev,
    gateway: (r.gateway as Ipv6Addr | null) ?? null,
    src,
    dst: daddr,
    mtu: r.metrics.mtu ?? dev.mtu,
    fib: r,
  };
}

/** Linux: ip6_route_input, looking up in the namespace of `dev`. */
export function ip6RouteInput(daddr: Ipv6Addr, dev: NetDevice): Ipv6InputRoute {
  const ns = dev.netns;
  if (daddr.isMulticast) {
    if (ipv6ChkMcastAddr(dev, daddr)) return { kind: 'local', multicast: true, ns };
    return { kind: 'error', errno: 'EINVAL', ns };
  }
  const r = fibLookup(ns, 6, daddr, { requireUp: true });
  if (r === null) return { kind: 'error', errno: 'ENETUNREACH', ns };
  if (r.type === RTN_LOCAL) return { kind: 'local', multicast: false, ns };
  const err = routeTypeError(r.type);
  if (err !== null)
    return { kind: 'error', errno: err === 'ENETUNREACH' ? 'ENETUNREACH' : err, ns };
  const out = r.dev as NetDevice;
  const src = ipv6DevGetSaddr(ns, out, daddr) ?? Ipv6Addr.UNSPECIFIED;
  return {
    kind: 'forward',
    out: {
      family: 6,
      type: 'unicast',
      dev: out,
      gateway: (r.gateway as Ipv6Addr | null) ?? null,
      src,
      dst: daddr,
      mtu: r.metrics.mtu ?? out.mtu,
      fib: r,
    },
    ns,
  };
}

const inputRoutes = new WeakMap<SkBuff, Ipv6InputRoute>();

/** Linux: ipv6_rcv + ip6_rcv_core. Registered for ETH_P_IPV6. Never throws on bad bytes. */
export function ip6Rcv(skb: SkBuff): void {
  const dev = skb.dev;
  inputRoutes.delete(skb);
  const kernel = dev.netns.kernel;
  if (skb.pktType === 'otherhost') {
    // ip6_rcv_core, as ip_rcv_core: counted on the receiving device's core stats.
    dev.coreStats.rxOtherhostDropped++;
    kernel.dropSkb(skb, 'OTHERHOST');
    return;
  }
  if (in6DevGet(dev) === undefined || ipv6DevConf(dev, 'disable_ipv6') !== 0) {
    kernel.dropSkb(skb, 'IPV6DISABLED');
    return;
  }
  const data = skb.networkData;
  if (data.length < IPV6_HEADER_LEN || (data[0] as number) >>> 4 !== 6) {
    kernel.dropSkb(skb, 'IP_INHDR');
    return;
  }
  const ip = Ipv6Packet.checked(data);
  if (ip === null) {
    kernel.dropSkb(skb, 'PKT_TOO_SMALL');
    return;
  }
  // RFC 4291 2.7: multicast source; loopback or interface-local traffic from outside.
  if (ip.srcIsMulticast) {
    kernel.dropSkb(skb, 'IP_INVALID_SOURCE');
    return;
  }
  const dst = ip.dst;
  if (
    (dev.flags & IFF_LOOPBACK) === 0 &&
    (dst.isLoopback ||
      ip.src.isLoopback ||
      (dst.isMulticast && ((dst.bytes[1] as number) & 0x0f) === 1))
  ) {
    kernel.dropSkb(skb, 'IP_INADDRERRORS');
    return;
  }
  if (skb.network + ip.totalLength < skb.data.length)
    skb.data = skb.data.subarray(0, skb.network + ip.totalLength);
  const verdict = nfHook(dev.netns, 'ipv6', 'prerouting', skb, dev, null);
  if (verdict === 'drop') kernel.dropSkb(skb, 'NETFILTER_DROP');
  if (verdict !== 'accept') return;
  ip6RcvFinish(skb);
}

/** Linux: ip6_rcv_finish. */
export function ip6RcvFinish(skb: SkBuff): void {
  const kernel = skb.dev.netns.kernel;
  const ip = Ipv6Packet.checked(skb.networkData);
  if (ip === null) {
    kernel.dropSkb(skb, 'IP_INHDR');
    return;
  }
  let rt: Ipv6InputRoute | undefined;
  const handler = (skb.dev.proto.get(L3MDEV_RCV) ?? skb.dev.master?.proto.get(L3MDEV_RCV)) as
    L3mdevRcv | undefined;
  if (handler !== undefined) {
    const r = handler(skb, 'ipv6') as Ipv6InputRoute | null | undefined;
    if (r !== null && r !== undefined) rt = r;
  }
  rt ??= ip6RouteInput(ip.dst, skb.dev);
  inputRoutes.set(skb, rt);
  switch (rt.kind) {
    case 'local':
      ip6Input(skb);
      return;
    case 'forward':
      ip6Forward(skb, rt.out);
      return;
    case 'error':
      if (rt.errno === 'EINVAL' && ip.dstIsMulticast) {
        kernel.dropSkb(skb, 'NOT_SPECIFIED', 'multicast group not joined');
        return;
      }
      ip6PktDrop(skb, rt.errno);
  }
}

/** Linux: ip6_pkt_drop — ICMPv6 destination unreachable for unroutable packets. */
function ip6PktDrop(skb: SkBuff, errno: string): void {
  const kernel = skb.dev.netns.kernel;
  let code = ICMPV6_NOROUTE;
  if (errno === 'EACCES') code = ICMPV6_ADM_PROHIBITED;
  else if (errno === 'EHOSTUNREACH') code = ICMPV6_REJECT_ROUTE;
  if (errno !== 'EINVAL') icmpv6Send(skb, ICMPV6_DEST_UNREACH, code, 0);
  kernel.dropSkb(skb, 'IP_INNOROUTES');
}

/** Linux: ip6_input — netfilter INPUT, then ip6_input_finish. */
function ip6Input(skb: SkBuff): void {
  const kernel = skb.dev.netns.kernel;
  const verdict = nfHook(skb.dev.netns, 'ipv6', 'input', skb, skb.dev, null);
  if (verdict === 'drop') kernel.dropSkb(skb, 'NETFILTER_DROP');
  if (verdict !== 'accept') return;
  const ip = Ipv6Packet.checked(skb.networkData);
  if (ip === null) {
    kernel.dropSkb(skb, 'IP_INHDR');
    return;
  }
  const ul = ipv6UpperLayer(ip);
  if (ul === null) {
    kernel.dropSkb(skb, 'IPV6_BAD_EXTHDR');
    return;
  }
  if (ul.fragment !== null) {
    kernel.dropSkb(skb, 'IP_FRAGMENT', 'reassembly not supported');
    return;
  }
  if (ul.routingOffset >= 0 || ul.badOptionOffset >= 0) {
    kernel.dropSkb(skb, 'IPV6_BAD_EXTHDR');
    return;
  }
  skb.transport = skb.network + ul.offset;
  switch (ul.protocol) {
    case IPPROTO_ICMPV6:
      icmpv6Rcv(skb, ip, ul.offset);
      return;
    case IPPROTO_UDP:
      udp6Rcv(skb, ip, ul.offset);
      return;
    case IPPROTO_NONE:
      kernel.trace(skb, skb.dev, 'consume', 'no next header');
      return;
    default: {
      const rt = inputRoutes.get(skb);
      if (rt?.kind === 'local' && !rt.multicast) {
        // Pointer at the Next Header field that named the unknown protocol.
        icmpv6Send(
          skb,
          ICMPV6_PARAMPROB,
          ICMPV6_UNK_NEXTHDR,
          ul.offset === IPV6_HEADER_LEN ? 6 : 0,
        );
      }
      kernel.dropSkb(skb, 'IP_NOPROTO');
    }
  }
}

/** Linux: ip6_forward. */
export function ip6Forward(skb: SkBuff, rt: Ipv6OutRoute): void {
  const inDev = skb.dev;
  const ns = inDev.netns;
  const kernel = ns.kernel;
  if (Number(ns.sysctl.get('net.ipv6.conf.all.forwarding') ?? '0') === 0) {
    kernel.dropSkb(skb, 'IP_INADDRERRORS', 'forwarding disabled');
    return;
  }
  if (skb.pktType !== 'host') {
    kernel.dropSkb(skb, 'OTHERHOST');
    return;
  }
  const ip = Ipv6Packet.checked(skb.networkData);
  if (ip === null) {
    kernel.dropSkb(skb, 'IP_INHDR');
    return;
  }
  if (ip.hopLimit <= 1) {
    icmpv6Send(skb, ICMPV6_TIME_EXCEED, ICMPV6_EXC_HOPLIMIT, 0);
    kernel.dropSkb(skb, 'IP_INHDR', 'hop limit exceeded');
    return;
  }
  if (ip.src.isLinkLocal || ip.dst.isLinkLocal) {
    icmpv6Send(skb, ICMPV6_DEST_UNREACH, ICMPV6_NOT_NEIGHBOUR, 0);
    kernel.dropSkb(skb, 'IP_INADDRERRORS', 'link-local not forwarded');
    return;
  }
  if (ip.totalLength > rt.mtu) {
    icmpv6Send(skb, ICMPV6_PKT_TOOBIG, 0, rt.mtu);
    kernel.dropSkb(skb, 'PKT_TOO_BIG');
    return;
  }
  skb.unshare();
  const out = Ipv6Packet.unchecked(skb.data.subarray(skb.network));
  out.setHopLimit(ip.hopLimit - 1);
  const verdict = nfHook(ns, 'ipv6', 'forward', skb, inDev, rt.dev);
  if (verdict === 'drop') kernel.dropSkb(skb, 'NETFILTER_DROP');
  if (verdict !== 'accept') return;
  if (kernel.tracing) kernel.trace(skb, inDev, 'forward', `ipv6 → ${rt.dev.name}`);
  skb.pktType = 'outgoing';
  ip6Output(ns, skb, rt);
}

/** What a local sender puts in the header. */
export interface Ipv6SendOptions {
  readonly nextHeader: number;
  readonly hopLimit?: number;
  readonly trafficClass?: number;
  readonly flowLabel?: number;
}

/** Builds an skb with an IPv6 packet carrying `payload`, Ethernet room in front. */
export function ip6BuildSkb(rt: Ipv6OutRoute, payload: Uint8Array, opts: Ipv6SendOptions): SkBuff {
  const data = new Uint8Array(ETHERNET_HEADER_LEN + IPV6_HEADER_LEN + payload.length);
  writeIpv6Header(
    {
      src: rt.src,
      dst: rt.dst,
      hopLimit: opts.hopLimit ?? 64,
      trafficClass: opts.trafficClass ?? 0,
      flowLabel: opts.flowLabel ?? 0,
    },
    opts.nextHeader,
    payload.length,
    data.subarray(ETHERNET_HEADER_LEN),
  );
  data.set(payload, ETHERNET_HEADER_LEN + IPV6_HEADER_LEN);
  const skb = new SkBuff(data, rt.dev);
  skb.network = ETHERNET_HEADER_LEN;
  skb.transport = ETHERNET_HEADER_LEN + IPV6_HEADER_LEN;
  skb.protocol = ETH_P_IPV6;
  skb.pktType = 'outgoing';
  return skb;
}

/** Linux: ip6_local_out — payload length fixed, netfilter OUTPUT, then ip6Output. */
export function ip6LocalOut(ns: NetNamespace, skb: SkBuff, rt: Ipv6OutRoute): 'ok' | 'drop' {
  return localOut(ns, skb, rt) === 'ok' ? 'ok' : 'drop';
}

function localOut(ns: NetNamespace, skb: SkBuff, rt: Ipv6OutRoute): LocalOutResult {
  const kernel = ns.kernel;
  skb.unshare();
  const len = skb.data.length - skb.network;
  if (len < IPV6_HEADER_LEN || (skb.data[skb.network] as number) >>> 4 !== 6) {
    kernel.dropSkb(skb, 'IP_INHDR');
    return 'drop';
  }
  setBe16(skb.data, skb.network + 4, len - IPV6_HEADER_LEN);
  skb.protocol = ETH_P_IPV6;
  skb.dev = rt.dev;
  const verdict = nfHook(ns, 'ipv6', 'output', skb, null, rt.dev);
  if (verdict === 'drop') {
    kernel.dropSkb(skb, 'NETFILTER_DROP');
    return 'nf-drop';
  }
  if (verdict === 'stolen') return 'ok';
  return ip6Output(ns, skb, rt);
}

/** Linux: ip6_output + ip6_finish_output2. */
export function ip6Output(ns: NetNamespace, skb: SkBuff, rt: Ipv6OutRoute): LocalOutResult {
  const kernel = ns.kernel;
  const dev = rt.dev;
  skb.dev = dev;
  skb.protocol = ETH_P_IPV6;
  const verdict = nfHook(ns, 'ipv6', 'postrouting', skb, null, dev);
  if (verdict === 'drop') {
    kernel.dropSkb(skb, 'NETFILTER_DROP');
    return 'nf-drop';
  }
  if (verdict === 'stolen') return 'ok';
  const len = skb.data.length - skb.network;
  if (len > rt.mtu && (dev.flags & IFF_LOOPBACK) === 0) {
    icmpv6Send(skb, ICMPV6_PKT_TOOBIG, 0, rt.mtu);
    kernel.dropSkb(skb, 'PKT_TOO_BIG');
    return 'drop';
  }
  return ip6FinishOutput2(skb, rt);
}

/**
 * Linux: ip6_finish_output2 — the neighbour comes from the ND table for every
 * destination (NUD_NOARP entries for groups and NOARP devices, V6-4); a device drop is
 * reported as 'xmit-drop' (ENOBUFS for a local sender).
 */
function ip6FinishOutput2(skb: SkBuff, rt: Ipv6OutRoute): LocalOutResult {
  const dev = rt.dev;
  const kernel = dev.netns.kernel;
  const dst = rt.dst;
  if ((dev.flags & IFF_LOOPBACK) !== 0) {
    writeEth(skb, dev.address, dev.address, ETH_P_IPV6);
    return xmitRc(kernel.devQueueXmit(skb));
  }
  if (dst.isMulticast) {
    // ip6_finish_output2: a copy goes up our own stack when we are in the group.
    if (skb.pktType === 'outgoing' && ipv6ChkMcastAddr(dev, dst))
      loopbackCopy(skb, dev, ipv6MulticastMac(dst));
  }
  return xmitRc(ndiscNeighOutput(dev, rt.gateway ?? dst, skb));
}

function xmitRc(v: 'ok' | 'drop'): LocalOutResult {
  return v === 'ok' ? 'ok' : 'xmit-drop';
}

function loopbackCopy(skb: SkBuff, dev: NetDevice, mac: MacAddr): void {
  const copy = skb.copy();
  writeEth(copy, mac, dev.address, ETH_P_IPV6);
  const kernel = dev.netns.kernel;
  if (!kernel.ethTypeTrans(copy, dev)) return;
  copy.pktType = 'loopback';
  copy.loopedBack = true;
  kernel.netifRx(copy);
}

/** Sends a payload from a socket or the kernel: build, OUTPUT, send. */
export function ip6SendPayload(
  ns: NetNamespace,
  rt: Ipv6OutRoute,
  payload: Uint8Array,
  opts: Ipv6SendOptions,
): LocalOutResult {
  return localOut(ns, ip6BuildSkb(rt, payload, opts), rt);
}

/**
 * Sends a complete IPv6 packet built by a wire helper (ND, MLD) on `dev`, through
 * netfilter OUTPUT/POSTROUTING like ndisc_send_skb. A multicast destination maps to
 * its 33:33 MAC; a unicast one goes to `dstMac` when given, else through ND.
 */
export function ip6XmitRaw(dev: NetDevice, packet: Uint8Array, dstMac?: MacAddr): void {
  const ns = dev.netns;
  const kernel = ns.kernel;
  if (!dev.isUp) return;
  const data = new Uint8Array(ETHERNET_HEADER_LEN + packet.length);
  data.set(packet, ETHERNET_HEADER_LEN);
  const skb = new SkBuff(data, dev);
  skb.network = ETHERNET_HEADER_LEN;
  skb.protocol = ETH_P_IPV6;
  skb.pktType = 'outgoing';
  const dst = Ipv6Addr.fromBytes(packet, 24);
  for (const hook of ['output', 'postrouting'] as const) {
    const v = nfHook(ns, 'ipv6', hook, skb, null, dev);
    if (v === 'drop') kernel.dropSkb(skb, 'NETFILTER_DROP');
    if (v !== 'accept') return;
  }
  if (dst.isMulticast) {
    writeEth(skb, ipv6MulticastMac(dst), dev.address, ETH_P_IPV6);
    kernel.devQueueXmit(skb);
  } else if (dstMac !== undefined) {
    writeEth(skb, dstMac, dev.address, ETH_P_IPV6);
    kernel.devQueueXmit(skb);
  } else {
    ndiscNeighOutput(dev, dst, skb);
  }
}

/** Re-exported for callers that only import the IPv6 layer. */
export { Ipv6Packet };
