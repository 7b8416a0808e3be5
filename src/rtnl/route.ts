// RTM_NEWROUTE / RTM_DELROUTE / RTM_GETROUTE over the stack's FIBs (Linux 6.1:
// net/ipv4/fib_frontend.c inet_rtm_newroute, inet_rtm_delroute, inet_dump_fib;
// fib_trie.c fib_table_insert, fib_table_delete; route.c inet_rtm_getroute, rt_fill_info;
// net/ipv6/route.c inet6_rtm_newroute, ip6_route_del, rt6_fill_node, inet6_rtm_getroute).
// Not modelled: multipath (RTA_MULTIPATH), nexthop objects, policy rules, route caches
// (so no PMTU `expires` and no IPv6 RTF_CACHE clones), RTA_MARK/RTA_UID selectors.

import { ErrnoError } from '../base/errno.ts';
import type { NetDevice } from '../stack/netdev.ts';
import type { NetNamespace } from '../stack/netns.ts';
import {
  fibLookup,
  fibOf,
  findSameKey,
  makeRoute,
  routeFlags,
  routeMatches,
  type Route,
  type RouteConfig,
  type RouteFamily,
} from '../stack/route.ts';
import { routeGet } from '../stack/stack.ts';
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  RTN_BROADCAST,
  RTN_LOCAL,
  RTN_MULTICAST,
  RTN_UNICAST,
  RTPROT_UNSPEC,
  RT_SCOPE_NOWHERE,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_MAIN,
} from '../uapi/rtnetlink.ts';
import { Ipv6Addr, ipEquals, ipv4, isIpv4, type IpAddr } from '../wire/address.ts';
import {
  RTM_F_CLONED,
  RTNH_F_LINKDOWN,
  type DelRouteRequest,
  type DumpRouteRequest,
  type GetRouteRequest,
  type NewRouteRequest,
  type RouteMsg,
} from './messages.ts';

/** rt_flags of an IPv4 route-cache entry (include/uapi/linux/in_route.h), sent in rtm_flags. */
export const RTCF_NOTIFY = 0x00010000;
export const RTCF_BROADCAST = 0x10000000;
export const RTCF_MULTICAST = 0x20000000;
export const RTCF_LOCAL = 0x80000000;

/** ICMPV6_ROUTER_PREF_* as RTA_PREF carries them (RFC 4191 section 2.1 encoding). */
const ICMPV6_ROUTER_PREF_MEDIUM = 0;

function routeFamily(family: number): RouteFamily {
  if (family === AF_INET) return 4;
  if (family === AF_INET6) return 6;
  // rtnetlink_rcv_msg: no RTM_NEWROUTE/DELROUTE handler for other families.
  throw new ErrnoError('EOPNOTSUPP');
}

function unspecified(family: RouteFamily): IpAddr {
  return family === 4 ? ipv4(0) : Ipv6Addr.UNSPECIFIED;
}

function sameFamily(addr: IpAddr | undefined, family: RouteFamily): boolean {
  return addr === undefined || isIpv4(addr) === (family === 4);
}

function requireDev(net: NetNamespace, ifindex: number | undefined): NetDevice | undefined {
  if (ifindex === undefined || ifindex === 0) return undefined;
  const dev = net.getByIndex(ifindex);
  if (dev === undefined) throw new ErrnoError('ENODEV');
  return dev;
}

/**
 * The same route as far as fib_table_insert's "perfect match" goes: type, scope and a
 * shared fib_info (fib_find_info compares protocol, prefsrc, metrics and the nexthop).
 */
function identical(a: Route, b: Route): boolean {
  const addrEq = (x: IpAddr | null, y: IpAddr | null): boolean =>
    x === null || y === null ? x === y : ipEquals(x, y);
  return (
    a.type === b.type &&
    a.scope === b.scope &&
    a.protocol === b.protocol &&
    a.dev === b.dev &&
    a.flags === b.flags &&
    addrEq(a.gateway, b.gateway) &&
    addrEq(a.prefsrc, b.prefsrc) &&
    a.metrics.mtu === b.metrics.mtu &&
    a.metrics.hoplimit === b.metrics.hoplimit
  );
}

/**
 * Linux: inet_rtm_newroute → fib_table_insert; inet6_rtm_newroute → fib6_add.
 * NLM_F_EXCL refuses an existing key (table, prefix, tos, metric) with EEXIST;
 * NLM_F_REPLACE replaces it; without NLM_F_CREATE a missing key is ENOENT.
 */
export function newRoute(net: NetNamespace, req: NewRouteRequest): void {
  const family = routeFamily(req.family);
  if (!sameFamily(req.dst, family) || !sameFamily(req.prefsrc, family))
    throw new ErrnoError('EINVAL');
  // A gateway of the other family would be RTA_VIA, which the request cannot carry.
  if (!sameFamily(req.gateway, family)) throw new ErrnoError('EINVAL');
  const dev = requireDev(net, req.oif);
  const cfg: RouteConfig = {
    family,
    dst: req.dst ?? unspecified(family),
    dstLen: req.dstLen,
    table: req.table === 0 ? RT_TABLE_MAIN : req.table,
    type: req.type,
    protocol: req.protocol,
    // IPv6 ignores rtm_scope (fib6 routes are all RT_SCOPE_UNIVERSE).
    ...(family === 4 ? { scope: req.scope } : {}),
    flags: req.flags,
    ...(req.priority !== undefined ? { priority: req.priority } : {}),
    ...(req.gateway !== undefined ? { gateway: req.gateway } : {}),
    ...(dev !== undefined ? { dev } : {}),
    ...(req.prefsrc !== undefined ? { prefsrc: req.prefsrc } : {}),
    ...(req.metrics !== undefined ? { metrics: req.metrics } : {}),
  };
  const route = makeRoute(net, cfg);
  const fib = fibOf(net, family);
  const existing = findSameKey(fib, route);
  const nlm = req.nlm;
  if (existing === undefined) {
    if (nlm.create !== true) {
      if (family === 6 && !fib.table(route.table).some((r) => samePrefix(r, route)))
        throw new ErrnoError('ENOENT', 'Can not replace route - no match found');
      throw new ErrnoError('ENOENT');
    }
    fib.insert(route, true);
    return;
  }
  if (nlm.excl === true) throw new ErrnoError('EEXIST');
  if (nlm.replace === true) {
    // Replacing a route with an identical one changes nothing (fa_match == fa_first).
    if (identical(existing, route)) return;
    const t = fib.table(route.table);
    t[t.indexOf(existing)] = route;
    fib.genid++;
    return;
  }
  // Prepend/append next to routes of the same key, unless it is already there; IPv6
  // would make the two an ECMP route, which is not modelled (an identical one is EEXIST).
  if (fib.table(route.table).some((r) => sameKey(r, route) && identical(r, route)))
    throw new ErrnoError('EEXIST');
  if (nlm.create !== true) throw new ErrnoError('ENOENT');
  fib.insert(route, nlm.append === true);
}

function samePrefix(a: Route, b: Route): boolean {
  return a.dstLen === b.dstLen && ipEquals(a.dst, b.dst);
}

function sameKey(a: Route, b: Route): boolean {
  return samePrefix(a, b) && a.tos === b.tos && a.priority === b.priority;
}

/**
 * Linux: inet_rtm_delroute → fib_table_delete (type, scope, prefsrc, protocol, metric,
 * device and gateway must match where given); inet6_rtm_delroute → ip6_route_del
 * (device, gateway, metric, protocol). ESRCH when nothing matches.
 */
export function delRoute(net: NetNamespace, req: DelRouteRequest): void {
  const family = routeFamily(req.family);
  if (!sameFamily(req.dst, family) || !sameFamily(req.gateway, family))
    throw new ErrnoError('EINVAL');
  const dst = req.dst ?? unspecified(family);
  const maxLen = family === 4 ? 32 : 128;
  if (req.dstLen < 0 || req.dstLen > maxLen) throw new ErrnoError('EINVAL');
  const dev = requireDev(net, req.oif);
  const fib = fibOf(net, family);
  const tableId = req.table === 0 ? RT_TABLE_MAIN : req.table;
  const table = fib.tables.get(tableId);
  if (table === undefined) {
    if (family === 4) throw new ErrnoError('ESRCH', 'FIB table does not exist');
    throw new ErrnoError('ESRCH');
  }
  if (family === 4) {
    // fib_valid_key_len: host bits set are refused before any lookup.
    const probe = makeProbe(dst, req.dstLen);
    if (!probe) throw new ErrnoError('EINVAL', 'Invalid prefix for given prefix length');
  }
  const v4 = family === 4;
  const victim = table.find((r) =>
    routeMatches(r, {
      family,
      dst,
      dstLen: req.dstLen,
      ...(v4 && req.type !== 0 ? { type: req.type } : {}),
      ...(v4 && req.scope !== RT_SCOPE_NOWHERE ? { scope: req.scope } : {}),
      ...(req.protocol !== 0 ? { protocol: req.protocol } : {}),
      ...(req.priority !== undefined && req.priority !== 0 ? { priority: req.priority } : {}),
      ...(dev !== undefined ? { dev } : {}),
      ...(req.gateway !== undefined ? { gateway: req.gateway } : {}),
      ...(v4 && req.prefsrc !== undefined ? { prefsrc: req.prefsrc } : {}),
    }),
  );
  if (victim === undefined) throw new ErrnoError('ESRCH');
  fib.remove(victim);
}

/** True when `addr` has no bits set past `len` (fib_valid_key_len). */
function makeProbe(addr: IpAddr, len: number): boolean {
  if (!isIpv4(addr)) return true;
  if (len >= 32) return true;
  const host = len === 0 ? 0xffffffff : 0xffffffff >>> len;
  return ((addr as number) & host) === 0;
}

// ---------------------------------------------------------------- dump

/** fib_dump_info: one IPv4 FIB alias as the kernel dumps it. */
function inetRouteMsg(r: Route, table = r.table): RouteMsg {
  return {
    family: AF_INET,
    dstLen: r.dstLen,
    srcLen: 0,
    tos: r.tos,
    table,
    protocol: r.protocol,
    scope: r.scope,
    type: r.type,
    flags: routeFlags(r),
    ...(r.dstLen > 0 ? { dst: r.dst } : {}),
    ...(r.priority !== 0 ? { priority: r.priority } : {}),
    ...metricsOf(r),
    ...(r.prefsrc !== null ? { prefsrc: r.prefsrc } : {}),
    ...(r.gateway !== null ? { gateway: r.gateway } : {}),
    ...(r.dev !== null ? { oif: r.dev.ifindex } : {}),
  };
}

/** rt6_fill_node for a FIB entry: scope is always universe; metric, cacheinfo and pref always sent. */
function inet6RouteMsg(r: Route): RouteMsg {
  return {
    family: AF_INET6,
    dstLen: r.dstLen,
    srcLen: 0,
    tos: 0,
    table: r.table,
    protocol: r.protocol,
    scope: RT_SCOPE_UNIVERSE,
    type: r.type,
    flags: routeFlags(r),
    ...(r.dstLen > 0 ? { dst: r.dst } : {}),
    ...(r.prefsrc !== null ? { prefsrc: r.prefsrc } : {}),
    ...metricsOf(r),
    ...(r.gateway !== null ? { gateway: r.gateway } : {}),
    ...(r.dev !== null ? { oif: r.dev.ifindex } : {}),
    priority: r.priority,
    cacheinfo: { expires: 0, error: 0, used: 0 },
    pref: r.pref,
  };
}

function metricsOf(r: Route): Pick<RouteMsg, 'metrics'> {
  const m = r.metrics;
  if (m.mtu === undefined && m.hoplimit === undefined) return {};
  return {
    metrics: {
      ...(m.mtu !== undefined ? { mtu: m.mtu } : {}),
      ...(m.hoplimit !== undefined ? { hoplimit: m.hoplimit } : {}),
    },
  };
}

/**
 * fib6 walks its radix tree children first (fib6_walk_continue: left, right, then the
 * node), so a prefix comes after every more specific prefix under it and disjoint
 * prefixes come in address order. Routes of one node keep their leaf order.
 */
function fib6Compare(a: Route, b: Route): number {
  const x = (a.dst as Ipv6Addr).bytes;
  const y = (b.dst as Ipv6Addr).bytes;
  const common = Math.min(a.dstLen, b.dstLen);
  for (let bit = 0; bit < common; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    const xb = ((x[byte] as number) & mask) !== 0;
    const yb = ((y[byte] as number) & mask) !== 0;
    if (xb !== yb) return xb ? 1 : -1;
  }
  return b.dstLen - a.dstLen;
}

/** fib_trie dumps by key (destination) ascending; one key's aliases longest prefix first. */
function fib4Compare(a: Route, b: Route): number {
  return (a.dst as number) - (b.dst as number) || b.dstLen - a.dstLen;
}

function dumpFamily(net: NetNamespace, family: RouteFamily): RouteMsg[] {
  const fib = fibOf(net, family);
  const ids = [...fib.tables.keys()].sort((a, b) => a - b);
  const out: RouteMsg[] = [];
  for (const id of ids) {
    const table = fib.tables.get(id) ?? [];
    const sorted = table
      .map((r, i) => ({ r, i }))
      .sort((p, q) => (family === 4 ? fib4Compare(p.r, q.r) : fib6Compare(p.r, q.r)) || p.i - q.i);
    for (const { r } of sorted) out.push(family === 4 ? inetRouteMsg(r) : inet6RouteMsg(r));
  }
  return out;
}

/**
 * RTM_GETROUTE dump: every table of the family in ascending id (main before local);
 * AF_UNSPEC dumps IPv4, then IPv6 (rtnl_dump_all in family order).
 */
export function dumpRoutes(net: NetNamespace, req: DumpRouteRequest): RouteMsg[] {
  const out: RouteMsg[] = [];
  if (req.family === AF_UNSPEC || req.family === AF_INET) out.push(...dumpFamily(net, 4));
  if (req.family === AF_UNSPEC || req.family === AF_INET6) out.push(...dumpFamily(net, 6));
  return out;
}

// ---------------------------------------------------------------- get

/**
 * RTM_GETROUTE for one destination. IPv4 answers with the route-cache entry
 * (rt_fill_info: RTM_F_CLONED plus RTCF_* in rtm_flags, RTA_UID, protocol unspec, the
 * merged main/local table id); IPv6 with the FIB entry's fields and the chosen source
 * (rt6_fill_node: RTA_SRC of the flow, RTA_PREFSRC, metric and pref). `fibMatch`
 * returns the matching FIB entry as a dump shows it.
 * @throws {ErrnoError} ENETUNREACH, EHOSTUNREACH, EACCES, EINVAL as the lookup fails; ENODEV.
 */
export function getRoute(net: NetNamespace, req: GetRouteRequest): RouteMsg {
  const family = routeFamily(req.family);
  if (!sameFamily(req.dst, family) || !sameFamily(req.src, family)) throw new ErrnoError('EINVAL');
  const oif = requireDev(net, req.oif);
  const iif = requireDev(net, req.iif);
  const res = routeGet(net, {
    dst: req.dst,
    ...(req.src !== undefined ? { src: req.src } : {}),
    ...(oif !== undefined ? { oif } : {}),
    ...(iif !== undefined ? { iif } : {}),
  });
  if ('kind' in res) {
    // An input route (`iif`): local delivery, forwarding, or the error the packet would get.
    if (res.kind === 'error') throw new ErrnoError(res.errno);
    if (res.kind === 'martian') throw new ErrnoError('EINVAL');
    if (res.kind === 'local') {
      const lo = net.getByIndex(1);
      const broadcast = 'broadcast' in res && res.broadcast;
      const type = res.multicast ? RTN_MULTICAST : broadcast ? RTN_BROADCAST : RTN_LOCAL;
      return getReply(family, req, {
        type,
        dev: lo ?? null,
        gateway: null,
        prefsrc: null,
        fib: fibLookup(net, family, req.dst),
        iif: iif ?? null,
      });
    }
    const out = res.out;
    return getReply(family, req, {
      type: RTN_UNICAST,
      dev: out.dev,
      gateway: out.gateway,
      prefsrc: null,
      fib: out.fib,
      iif: iif ?? null,
    });
  }
  if (req.fibMatch === true) {
    if (res.fib === null) throw new ErrnoError('ENETUNREACH');
    // Without policy rules, main and local share one trie: the reply names table main.
    return family === 4 ? inetRouteMsg(res.fib, RT_TABLE_MAIN) : inet6RouteMsg(res.fib);
  }
  let type: number = RTN_UNICAST;
  if (res.type === 'local') type = RTN_LOCAL;
  else if (res.type === 'multicast') type = RTN_MULTICAST;
  else if (res.type === 'broadcast') type = RTN_BROADCAST;
  return getReply(family, req, {
    type,
    dev: res.dev,
    gateway: res.gateway,
    prefsrc: res.src,
    fib: res.fib,
    iif: null,
  });
}

interface Resolved {
  readonly type: number;
  readonly dev: NetDevice | null;
  readonly gateway: IpAddr | null;
  /** The source the flow would use (RTA_PREFSRC when it differs from the one asked for). */
  readonly prefsrc: IpAddr | null;
  readonly fib: Route | null;
  readonly iif: NetDevice | null;
}

function getReply(family: RouteFamily, req: GetRouteRequest, r: Resolved): RouteMsg {
  const metrics = r.fib !== null ? metricsOf(r.fib) : {};
  if (family === 4) {
    let rtcf = 0;
    if (r.type === RTN_LOCAL) rtcf |= RTCF_LOCAL;
    else if (r.type === RTN_BROADCAST) rtcf |= RTCF_BROADCAST | RTCF_LOCAL;
    else if (r.type === RTN_MULTICAST) rtcf |= RTCF_MULTICAST;
    const src = req.src;
    return {
      family: AF_INET,
      dstLen: 32,
      srcLen: src !== undefined ? 32 : 0,
      tos: 0,
      table: r.fib !== null ? RT_TABLE_MAIN : 0,
      protocol: RTPROT_UNSPEC,
      scope: RT_SCOPE_UNIVERSE,
      type: r.type,
      flags: (rtcf | RTM_F_CLONED) >>> 0,
      dst: req.dst,
      ...(src !== undefined ? { src } : {}),
      ...(r.dev !== null ? { oif: r.dev.ifindex } : {}),
      ...(r.iif !== null ? { iif: r.iif.ifindex } : {}),
      ...(r.iif === null && r.prefsrc !== null && (src === undefined || !ipEquals(src, r.prefsrc))
        ? { prefsrc: r.prefsrc }
        : {}),
      ...(r.gateway !== null ? { gateway: r.gateway } : {}),
      ...metrics,
      uid: 0,
      cacheinfo: { expires: 0, error: 0, used: 0 },
    };
  }
  const fib = r.fib;
  return {
    family: AF_INET6,
    dstLen: 128,
    srcLen: 128,
    tos: 0,
    table: fib?.table ?? RT_TABLE_MAIN,
    protocol: fib?.protocol ?? RTPROT_UNSPEC,
    scope: RT_SCOPE_UNIVERSE,
    type: r.type,
    // rt6_fill_node reports a looked-up dst without its nexthop's flags: no `linkdown`
    // (o-down-device: `ip -6 route get` through a veth without carrier).
    flags: fib !== null ? routeFlags(fib) & ~RTNH_F_LINKDOWN : 0,
    dst: req.dst,
    src: req.src ?? Ipv6Addr.UNSPECIFIED,
    ...(r.iif !== null ? { iif: r.iif.ifindex } : {}),
    ...(r.iif === null && r.prefsrc !== null ? { prefsrc: r.prefsrc } : {}),
    ...metrics,
    ...(r.gateway !== null ? { gateway: r.gateway } : {}),
    ...(r.dev !== null ? { oif: r.dev.ifindex } : {}),
    priority: fib?.priority ?? 0,
    cacheinfo: { expires: 0, error: 0, used: 0 },
    pref: fib?.pref ?? ICMPV6_ROUTER_PREF_MEDIUM,
  };
}
