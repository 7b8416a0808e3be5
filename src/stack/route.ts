// Routing tables for both families (Linux: net/ipv4/fib_{frontend,semantics,trie}.c and
// net/ipv6/route.c, ip6_fib.c), reduced to what the emulator needs: tables `local` and
// `main` (plus any numbered table), longest-prefix match, metrics, gateways checked as
// Linux checks them, `dev` routes, error routes (unreachable, blackhole, prohibit), and
// the kernel's own routes (proto kernel) that addresses create (inet.ts, addrconf.ts).
//
// Lookups follow the default policy rules (`ip rule`: 0 local, 32766 main, 32767
// default). A table is a list ordered by prefix length (longest first), then metric,
// then insertion order; the first usable entry wins, which is what the kernel's trie
// walk plus its alias ordering yields for the cases we model. No policy routing rules,
// no multipath, no route cache: documented divergences.

import { ErrnoError } from '../base/errno.ts';
import {
  ipEquals,
  ipv4Mask,
  isIpv4,
  prefixContains,
  prefixNetwork,
  type IpAddr,
} from '../wire/address.ts';
import {
  RTN_BLACKHOLE,
  RTN_BROADCAST,
  RTN_LOCAL,
  RTN_MULTICAST,
  RTN_PROHIBIT,
  RTN_THROW,
  RTN_UNICAST,
  RTN_UNREACHABLE,
  RTN_ANYCAST,
  RTPROT_BOOT,
  RT_SCOPE_HOST,
  RT_SCOPE_LINK,
  RT_SCOPE_NOWHERE,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_LOCAL,
  RT_TABLE_MAIN,
} from '../uapi/rtnetlink.ts';
import type { NetDevice } from './netdev.ts';
import type { NetNamespace } from './netns.ts';

/** rtnh flag: the gateway is on-link whatever the tables say (`onlink`). */
export const RTNH_F_ONLINK = 0x04;
/** rtnh flag: the nexthop device has no carrier (`linkdown`). */
export const RTNH_F_LINKDOWN = 0x10;

export type RouteFamily = 4 | 6;

/** Route metrics iproute2 shows (RTAX_MTU, RTAX_HOPLIMIT). */
export interface RouteMetrics {
  readonly mtu?: number;
  readonly hoplimit?: number;
}

/** One route (Linux: fib_alias + fib_info with one nexthop; fib6_info). */
export interface Route {
  readonly family: RouteFamily;
  readonly table: number;
  /** RTN_*. */
  readonly type: number;
  /** Destination network (host bits clear). */
  readonly dst: IpAddr;
  readonly dstLen: number;
  readonly tos: number;
  /** `metric` (RTA_PRIORITY). */
  readonly priority: number;
  /** RTPROT_*. */
  readonly protocol: number;
  /** RT_SCOPE_*. */
  readonly scope: number;
  readonly prefsrc: IpAddr | null;
  readonly gateway: IpAddr | null;
  readonly dev: NetDevice | null;
  /** RTNH_F_ONLINK when given; RTNH_F_LINKDOWN is computed on read (`routeFlags`). */
  readonly flags: number;
  /** Nexthop scope (fib_nh_scope): NOWHERE for local routes, which survive link down. */
  readonly nhScope: number;
  readonly metrics: RouteMetrics;
  /** IPv6 router preference (ICMPV6_ROUTER_PREF_*); 0 = medium. */
  readonly pref: number;
}

/** What a caller asks for when adding a route (shaped like NewRouteRequest). */
export interface RouteConfig {
  readonly family: RouteFamily;
  readonly dst: IpAddr;
  readonly dstLen: number;
  readonly table?: number;
  readonly type?: number;
  readonly tos?: number;
  readonly priority?: number;
  readonly protocol?: number;
  /** Default: link for a unicast route without gateway, host for local, else universe. */
  readonly scope?: number;
  readonly prefsrc?: IpAddr | null;
  readonly gateway?: IpAddr | null;
  readonly dev?: NetDevice | null;
  readonly flags?: number;
  readonly metrics?: RouteMetrics;
  readonly pref?: number;
}

/** Which routes `delRoute` removes (every field given must match; like RTM_DELROUTE). */
export interface RouteFilter {
  readonly family: RouteFamily;
  readonly dst: IpAddr;
  readonly dstLen: number;
  readonly table?: number;
  readonly type?: number;
  readonly tos?: number;
  readonly priority?: number;
  readonly protocol?: number;
  readonly scope?: number;
  readonly gateway?: IpAddr;
  readonly dev?: NetDevice;
  readonly prefsrc?: IpAddr;
}

/** The routing state of one namespace and family. */
export class Fib {
  readonly family: RouteFamily;
  readonly tables = new Map<number, Route[]>();
  /** Bumped on every change (route caches key on it: rt_genid). */
  genid = 0;

  constructor(family: RouteFamily) {
    this.family = family;
    this.tables.set(RT_TABLE_LOCAL, []);
    this.tables.set(RT_TABLE_MAIN, []);
  }

  table(id: number): Route[] {
    let t = this.tables.get(id);
    if (t === undefined) {
      t = [];
      this.tables.set(id, t);
    }
    return t;
  }

  /** Inserts in lookup order: longer prefix first, then lower metric, then older first. */
  insert(route: Route, append = true): void {
    const t = this.table(route.table);
    let i = 0;
    while (i < t.length) {
      const r = t[i] as Route;
      if (r.dstLen < route.dstLen) break;
      if (r.dstLen === route.dstLen && r.priority > route.priority) break;
      if (!append && r.dstLen === route.dstLen && r.priority === route.priority) break;
      i++;
    }
    t.splice(i, 0, route);
    this.genid++;
  }

  remove(route: Route): void {
    const t = this.tables.get(route.table);
    if (t === undefined) return;
    const i = t.indexOf(route);
    if (i >= 0) t.splice(i, 1);
    this.genid++;
  }

  /** Every route, tables in ascending id order (`ip route show table all`). */
  all(): Route[] {
    const ids = [...this.tables.keys()].sort((a, b) => a - b);
    const out: Route[] = [];
    for (const id of ids) out.push(...(this.tables.get(id) as Route[]));
    return out;
  }

  /** Removes every route whose nexthop device is `dev` and that `pred` selects. */
  flushDev(dev: NetDevice, pred: (r: Route) => boolean = () => true): Route[] {
    const gone: Route[] = [];
    for (const t of this.tables.values()) {
      for (let i = t.length - 1; i >= 0; i--) {
        const r = t[i] as Route;
        if (r.dev === dev && pred(r)) {
          t.splice(i, 1);
          gone.push(r);
        }
      }
    }
    if (gone.length > 0) this.genid++;
    return gone;
  }
}

/** The namespace's FIB for a family, created on first use. */
export function fibOf(ns: NetNamespace, family: RouteFamily): Fib {
  const key = family === 4 ? 'fib4' : 'fib6';
  let fib = ns.proto.get(key) as Fib | undefined;
  if (fib === undefined) {
    fib = new Fib(family);
    ns.proto.set(key, fib);
  }
  return fib;
}

/** Route types whose lookup is an error (fib_props[].error). */
export function routeTypeError(
  type: number,
): 'ENETUNREACH' | 'EHOSTUNREACH' | 'EINVAL' | 'EACCES' | null {
  switch (type) {
    case RTN_UNREACHABLE:
      return 'EHOSTUNREACH';
    case RTN_BLACKHOLE:
      return 'EINVAL';
    case RTN_PROHIBIT:
      return 'EACCES';
    case RTN_THROW:
      // Linux continues with the next rule's table; with the default rules that ends
      // the lookup, which reports "network unreachable".
      return 'ENETUNREACH';
    default:
      return null;
  }
}

/** Minimum scope of a route type (fib_props[].scope). */
function typeMinScope(type: number): number {
  switch (type) {
    case RTN_LOCAL:
      return RT_SCOPE_HOST;
    case RTN_BROADCAST:
    case RTN_MULTICAST:
    case RTN_ANYCAST:
      return RT_SCOPE_LINK;
    default:
      return RT_SCOPE_UNIVERSE;
  }
}

/** Options of a FIB lookup (the parts of struct flowi that select routes). */
export interface FibLookupOptions {
  /** Only routes whose nexthop device is this one (flowi4_oif). */
  readonly oif?: NetDevice | null;
  /** Skip routes whose scope is narrower than this (flowi4_scope; RT_SCOPE_UNIVERSE = any). */
  readonly scope?: number;
  /** Search one table only (else local then main, the default rules). */
  readonly table?: number;
  /** Ignore link state (FIB_LOOKUP_IGNORE_LINKSTATE). */
  readonly ignoreLinkState?: boolean;
  /**
   * Only routes through an up device (IPv6 treats down nexthops as unusable). A local
   * route is exempt: one on a device never brought up (addrconf_f6i_alloc sets
   * fc_ignore_dev_down) carries no RTNH_F_DEAD, and NETDEV_DOWN deletes the others.
   */
  readonly requireUp?: boolean;
}

/**
 * Longest-prefix match (Linux: fib_lookup / fib6_lookup). Returns the route or null.
 * Error routes are returned too: callers turn them into their errno.
 */
export function fibLookup(
  ns: NetNamespace,
  family: RouteFamily,
  dst: IpAddr,
  options: FibLookupOptions = {},
): Route | null {
  const fib = fibOf(ns, family);
  const tables =
    options.table !== undefined ? [options.table] : [RT_TABLE_LOCAL, RT_TABLE_MAIN, 253];
  const minScope = options.scope ?? RT_SCOPE_UNIVERSE;
  for (const id of tables) {
    const t = fib.tables.get(id);
    if (t === undefined) continue;
    for (const r of t) {
      if (!prefixContains({ addr: r.dst, len: r.dstLen }, dst)) continue;
      if (r.scope < minScope) continue;
      if (routeTypeError(r.type) === null && r.dev !== null) {
        if (options.oif != null && r.dev !== options.oif) continue;
        if (options.requireUp === true && !r.dev.isUp && r.type !== RTN_LOCAL) continue;
      } else if (options.oif != null && routeTypeError(r.type) === null) {
        continue;
      }
      return r;
    }
  }
  return null;
}

function defaultScope(cfg: RouteConfig, type: number): number {
  if (cfg.scope !== undefined) return cfg.scope;
  if (type === RTN_LOCAL) return RT_SCOPE_HOST;
  if (type === RTN_BROADCAST || type === RTN_MULTICAST || type === RTN_ANYCAST)
    return RT_SCOPE_LINK;
  if (type === RTN_UNICAST && cfg.gateway == null)
    return cfg.family === 6 ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  return RT_SCOPE_UNIVERSE;
}

/** True when `addr` is a local address of `ns` (inet_addr_type: a local route in table local). */
export function isLocalAddr(ns: NetNamespace, addr: IpAddr): boolean {
  const family: RouteFamily = isIpv4(addr) ? 4 : 6;
  const r = fibLookup(ns, family, addr, { table: RT_TABLE_LOCAL });
  return r !== null && r.type === RTN_LOCAL && r.dstLen === (family === 4 ? 32 : 128);
}

/**
 * Builds a validated route from a request, as fib_create_info / ip6_route_info_create
 * do, without inserting it. Throws ErrnoError with Linux's errno and extack.
 */
export function makeRoute(ns: NetNamespace, cfg: RouteConfig): Route {
  const family = cfg.family;
  const maxLen = family === 4 ? 32 : 128;
  if (cfg.dstLen < 0 || cfg.dstLen > maxLen || isIpv4(cfg.dst) !== (family === 4))
    throw new ErrnoError('EINVAL');
  const net = prefixNetwork({ addr: cfg.dst, len: cfg.dstLen });
  if (!ipEquals(net, cfg.dst)) {
    if (family === 4) throw new ErrnoError('EINVAL', 'Invalid prefix for given prefix length');
  }
  const type = cfg.type ?? RTN_UNICAST;
  const table = cfg.table ?? RT_TABLE_MAIN;
  const scope = defaultScope(cfg, type);
  const priority = cfg.priority ?? (family === 6 && type === RTN_UNICAST ? 1024 : 0);
  const gateway = cfg.gateway ?? null;
  let dev = cfg.dev ?? null;
  const flags = cfg.flags ?? 0;
  let nhScope = RT_SCOPE_HOST;
  if (typeMinScope(type) > scope) throw new ErrnoError('EINVAL', 'Invalid scope');
  const base = {
    family,
    table,
    type,
    dst: net,
    dstLen: cfg.dstLen,
    tos: cfg.tos ?? 0,
    priority,
    protocol: cfg.protocol ?? RTPROT_BOOT,
    scope,
    prefsrc: cfg.prefsrc ?? null,
    metrics: cfg.metrics ?? {},
    pref: cfg.pref ?? 0,
  };
  if (routeTypeError(type) !== null) {
    if (gateway !== null || dev !== null)
      throw new ErrnoError(
        'EINVAL',
        'Gateway, device and multipath can not be specified for this route type',
      );
    return { ...base, gateway: null, dev: null, flags, nhScope: RT_SCOPE_NOWHERE };
  }
  if (family === 6) {
    if (gateway !== null) {
      if (isIpv4(gateway)) throw new ErrnoError('EINVAL');
      if (!gateway.isLinkLocal) {
        // ip6_validate_gw: a global gateway needs a non-gateway route to it.
        const r = fibLookup(ns, 6, gateway, { oif: dev, table: RT_TABLE_MAIN });
        if (r === null || r.gateway !== null || r.dev === null)
          throw new ErrnoError('EHOSTUNREACH');
        dev ??= r.dev;
      } else if (dev === null) {
        throw new ErrnoError('EINVAL', 'Egress device not specified');
      }
    }
    if (dev === null) throw new ErrnoError('ENODEV');
    // fib6_nh_init: only the kernel's own routes (fc_ignore_dev_down) go to a down device.
    if (!dev.isUp) throw new ErrnoError('ENETDOWN', 'Nexthop device is not up');
    return { ...base, gateway, dev, flags, nhScope: RT_SCOPE_LINK };
  }
  // IPv4 nexthop checks (fib_check_nh).
  if (scope === RT_SCOPE_HOST) {
    if (gateway !== null)
      throw new ErrnoError('EINVAL', 'Route with host scope can not have a gateway');
    if (dev === null) throw new ErrnoError('ENODEV');
    nhScope = RT_SCOPE_NOWHERE;
  } else if (gateway !== null) {
    if (!isIpv4(gateway)) throw new ErrnoError('EINVAL');
    if ((flags & RTNH_F_ONLINK) !== 0) {
      if (scope >= RT_SCOPE_LINK) throw new ErrnoError('EINVAL', 'Nexthop has invalid scope');
      if (dev === null) throw new ErrnoError('ENODEV', 'Nexthop device required for onlink');
      if (!dev.isUp) throw new ErrnoError('ENETDOWN', 'Nexthop device is not up');
      if (isLocalAddr(ns, gateway)) throw new ErrnoError('EINVAL', 'Nexthop has invalid gateway');
      nhScope = RT_SCOPE_LINK;
    } else {
      const r = fibLookup(ns, 4, gateway, {
        oif: dev,
        scope: Math.max(scope + 1, RT_SCOPE_LINK),
        ignoreLinkState: true,
      });
      if (r === null) throw new ErrnoError('ENETUNREACH', 'Nexthop has invalid gateway');
      if (r.type !== RTN_UNICAST && r.type !== RTN_LOCAL)
        throw new ErrnoError('EINVAL', 'Nexthop has invalid gateway');
      if (r.dev === null) throw new ErrnoError('EINVAL', 'No egress device for nexthop gateway');
      dev = r.dev;
      nhScope = r.scope;
      if (!dev.isUp) throw new ErrnoError('ENETDOWN');
    }
  } else {
    if (dev === null) throw new ErrnoError('ENODEV');
    if (!dev.isUp) throw new ErrnoError('ENETDOWN', 'Device for nexthop is not up');
  }
  if (base.prefsrc !== null) {
    const selfLocal = type === RTN_LOCAL && ipEquals(base.prefsrc, net);
    if (!selfLocal && !isLocalAddr(ns, base.prefsrc))
      throw new ErrnoError('EINVAL', 'Invalid prefsrc address');
  }
  return { ...base, gateway, dev, flags, nhScope };
}

/**
 * The route whose key (table, dst/len, tos, metric) equals `r`'s, if any: what
 * NLM_F_EXCL refuses with EEXIST (fib_table_insert; fib6_add_rt2node for IPv6).
 */
export function findSameKey(fib: Fib, r: Route): Route | undefined {
  return fib
    .table(r.table)
    .find(
      (x) =>
        x.dstLen === r.dstLen &&
        ipEquals(x.dst, r.dst) &&
        x.tos === r.tos &&
        x.priority === r.priority,
    );
}

/** True when `r` matches every field `f` gives (fib_table_delete / ip6_route_del). */
export function routeMatches(r: Route, f: RouteFilter): boolean {
  if (r.dstLen !== f.dstLen || !ipEquals(r.dst, prefixNetwork({ addr: f.dst, len: f.dstLen })))
    return false;
  if (f.tos !== undefined && f.tos !== 0 && r.tos !== f.tos) return false;
  if (f.priority !== undefined && r.priority !== f.priority) return false;
  if (f.type !== undefined && f.type !== 0 && r.type !== f.type) return false;
  if (f.protocol !== undefined && f.protocol !== 0 && r.protocol !== f.protocol) return false;
  if (f.scope !== undefined && f.scope !== RT_SCOPE_NOWHERE && r.scope !== f.scope) return false;
  if (f.dev !== undefined && r.dev !== f.dev) return false;
  if (f.gateway !== undefined && (r.gateway === null || !ipEquals(r.gateway, f.gateway)))
    return false;
  if (f.prefsrc !== undefined && (r.prefsrc === null || !ipEquals(r.prefsrc, f.prefsrc)))
    return false;
  return true;
}

/** The netmask as a number, for IPv4 callers that need it. */
export function maskOf(len: number): number {
  return ipv4Mask(len);
}

/** rtm_flags as `ip route` shows them: onlink, and linkdown when the device lacks carrier. */
export function routeFlags(r: Route): number {
  let f = r.flags;
  if (r.dev !== null && !r.dev.carrier && r.nhScope !== RT_SCOPE_NOWHERE) f |= RTNH_F_LINKDOWN;
  return f;
}

/** How `addRoute` treats an existing route with the same key (NLM_F_* of the request). */
export interface RouteAddMode {
  /** NLM_F_EXCL (`ip route add`): an existing key is EEXIST. Default true. */
  readonly excl?: boolean;
  /** NLM_F_REPLACE (`ip route replace`): replace the existing key, or add. */
  readonly replace?: boolean;
  /** NLM_F_APPEND (`ip route append`): add after the existing ones. */
  readonly append?: boolean;
}

/** `ip route add` (RTM_NEWROUTE). Returns the route as stored. */
export function addRoute(ns: NetNamespace, cfg: RouteConfig, mode: RouteAddMode = {}): Route {
  const route = makeRoute(ns, cfg);
  const fib = fibOf(ns, cfg.family);
  const existing = findSameKey(fib, route);
  if (existing !== undefined) {
    if (mode.replace === true) {
      const t = fib.table(route.table);
      t[t.indexOf(existing)] = route;
      fib.genid++;
      return route;
    }
    if (mode.append !== true && mode.excl !== false) throw new ErrnoError('EEXIST');
  }
  fib.insert(route, true);
  return route;
}

/** `ip route replace`: replaces the route with the same key, or adds it. */
export function replaceRoute(ns: NetNamespace, cfg: RouteConfig): Route {
  return addRoute(ns, cfg, { replace: true });
}

/** `ip route del` (RTM_DELROUTE): removes the first match, or ESRCH. */
export function delRoute(ns: NetNamespace, filter: RouteFilter): Route {
  const fib = fibOf(ns, filter.family);
  const tables = filter.table !== undefined ? [filter.table] : [RT_TABLE_MAIN];
  for (const id of tables) {
    const t = fib.tables.get(id);
    const r = t?.find((x) => routeMatches(x, filter));
    if (r !== undefined) {
      fib.remove(r);
      return r;
    }
  }
  throw new ErrnoError('ESRCH');
}

/**
 * Every route of a family in dump order (`ip route show table all`), optionally one
 * table only. Linux dumps its trie in key order: destinations ascending, longer
 * prefixes first for one key, then the order of lookup (metric, age).
 */
export function listRoutes(ns: NetNamespace, family: RouteFamily, table?: number): Route[] {
  const fib = fibOf(ns, family);
  const list = table !== undefined ? [...(fib.tables.get(table) ?? [])] : fib.all();
  return list
    .map((r, i) => ({ r, i }))
    .sort(
      (x, y) =>
        x.r.table - y.r.table ||
        compareAddr(x.r.dst, y.r.dst) ||
        y.r.dstLen - x.r.dstLen ||
        x.i - y.i,
    )
    .map((e) => e.r);
}

function compareAddr(a: IpAddr, b: IpAddr): number {
  if (isIpv4(a) && isIpv4(b)) return a - b;
  if (isIpv4(a) || isIpv4(b)) return 0;
  for (let i = 0; i < 16; i++) {
    const d = (a.bytes[i] as number) - (b.bytes[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}
