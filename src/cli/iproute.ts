// `ip route`: add/change/replace/append/del/show/flush/get as ip/iproute.c parses and prints them.

import type { DelRouteRequest, NewRouteRequest, RouteMsg } from '../rtnl/messages.ts';
import {
  RTM_F_CLONED,
  RTM_F_NOTIFY,
  RTNH_F_DEAD,
  RTNH_F_LINKDOWN,
  RTNH_F_OFFLOAD,
  RTNH_F_ONLINK,
  RTNH_F_PERVASIVE,
  RTNH_F_UNRESOLVED,
} from '../rtnl/messages.ts';
import { isErrno } from '../base/errno.ts';
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  RTN_BLACKHOLE,
  RTN_BROADCAST,
  RTN_LOCAL,
  RTN_MULTICAST,
  RTN_PROHIBIT,
  RTN_UNICAST,
  RTN_UNREACHABLE,
  RTPROT_BOOT,
  RT_SCOPE_HOST,
  RT_SCOPE_LINK,
  RT_SCOPE_NOWHERE,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_LOCAL,
  RT_TABLE_MAIN,
  RT_TABLE_UNSPEC,
} from '../uapi/rtnetlink.ts';
import { formatIp, isIpv4, parseIp, parsePrefix } from '../wire/address.ts';
import type { IpAddr } from '../wire/address.ts';
import type { ArgCursor } from './argv.ts';
import {
  IpExit,
  badAddress,
  badPrefix,
  duparg,
  invarg,
  matches,
  noDevice,
  parseUnsigned,
} from './argv.ts';
import type { IpCmd } from './env.ts';
import { talk } from './errors.ts';
import { scopeName, parseScope } from './ipaddr.ts';
import { nameToIndex } from './iplink.ts';
import type { Printer } from './print.ts';

export const ROUTE_USAGE =
  'Usage: ip route { list | flush } SELECTOR\n' +
  '       ip route save SELECTOR\n' +
  '       ip route restore\n' +
  '       ip route showdump\n' +
  '       ip route get [ ROUTE_GET_FLAGS ] ADDRESS\n' +
  '                            [ from ADDRESS iif STRING ]\n' +
  '                            [ oif STRING ] [ tos TOS ]\n' +
  '                            [ mark NUMBER ] [ vrf NAME ]\n' +
  '                            [ uid NUMBER ] [ ipproto PROTOCOL ]\n' +
  '                            [ sport NUMBER ] [ dport NUMBER ]\n' +
  '       ip route { add | del | change | append | replace } ROUTE\n' +
  'SELECTOR := [ root PREFIX ] [ match PREFIX ] [ exact PREFIX ]\n' +
  '            [ table TABLE_ID ] [ vrf NAME ] [ proto RTPROTO ]\n' +
  '            [ type TYPE ] [ scope SCOPE ]\n' +
  'ROUTE := NODE_SPEC [ INFO_SPEC ]\n' +
  'NODE_SPEC := [ TYPE ] PREFIX [ tos TOS ]\n' +
  '             [ table TABLE_ID ] [ proto RTPROTO ]\n' +
  '             [ scope SCOPE ] [ metric METRIC ]\n' +
  '             [ ttl-propagate { enabled | disabled } ]\n' +
  'INFO_SPEC := { NH | nhid ID } OPTIONS FLAGS [ nexthop NH ]...\n' +
  'NH := [ encap ENCAPTYPE ENCAPHDR ] [ via [ FAMILY ] ADDRESS ]\n' +
  '\t    [ dev STRING ] [ weight NUMBER ] NHFLAGS\n' +
  'FAMILY := [ inet | inet6 | mpls | bridge | link ]\n' +
  'OPTIONS := FLAGS [ mtu NUMBER ] [ advmss NUMBER ] [ as [ to ] ADDRESS ]\n' +
  'TYPE := { unicast | local | broadcast | multicast | throw |\n' +
  '          unreachable | prohibit | blackhole | nat }\n' +
  'TABLE_ID := [ local | main | default | all | NUMBER ]\n' +
  'SCOPE := [ host | link | global | NUMBER ]\n' +
  'RTPROTO := [ kernel | boot | static | NUMBER ]\n';

const TYPES: readonly string[] = [
  'unspec',
  'unicast',
  'local',
  'broadcast',
  'anycast',
  'multicast',
  'blackhole',
  'unreachable',
  'prohibit',
  'throw',
  'nat',
  'xresolve',
];
const PROTOS: Readonly<Record<number, string>> = {
  0: 'unspec',
  1: 'redirect',
  2: 'kernel',
  3: 'boot',
  4: 'static',
  8: 'gated',
  9: 'ra',
  10: 'mrt',
  11: 'zebra',
  12: 'bird',
  13: 'dnrouted',
  14: 'xorp',
  15: 'ntk',
  16: 'dhcp',
  42: 'babel',
};
const TABLES: Readonly<Record<number, string>> = {
  0: 'unspec',
  253: 'default',
  254: 'main',
  255: 'local',
};

function tableId(text: string): number | null {
  if (text === 'main') return RT_TABLE_MAIN;
  if (text === 'local') return RT_TABLE_LOCAL;
  if (text === 'default') return 253;
  if (text === 'all' || text === 'unspec') return RT_TABLE_UNSPEC;
  return parseUnsigned(text);
}

function protoId(text: string): number | null {
  for (const [n, name] of Object.entries(PROTOS)) if (name === text) return Number(n);
  return parseUnsigned(text, 255);
}

export async function doIpRoute(cmd: IpCmd, args: ArgCursor): Promise<number> {
  if (args.done) return listRoutes(cmd, args);
  const w = args.current ?? '';
  if (matches(w, 'add')) return modify(cmd, args, { create: true, excl: true });
  if (matches(w, 'change') || w === 'chg') return modify(cmd, args, { replace: true });
  if (matches(w, 'replace')) return modify(cmd, args, { create: true, replace: true });
  if (matches(w, 'prepend')) return modify(cmd, args, { create: true });
  if (matches(w, 'append')) return modify(cmd, args, { create: true, append: true });
  if (matches(w, 'delete')) return modify(cmd, args, null);
  if (matches(w, 'list') || matches(w, 'show') || matches(w, 'lst')) {
    args.skip();
    return listRoutes(cmd, args);
  }
  if (matches(w, 'get')) {
    args.skip();
    return getRoute(cmd, args);
  }
  if (matches(w, 'flush')) {
    args.skip();
    return flushRoutes(cmd, args);
  }
  if (matches(w, 'help')) throw new IpExit(255, ROUTE_USAGE);
  throw new IpExit(255, `Command "${w}" is unknown, try "ip route help".\n`);
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** iproute_modify(): `nlm` null means delete. */
async function modify(
  cmd: IpCmd,
  args: ArgCursor,
  nlm: NewRouteRequest['nlm'] | null,
): Promise<number> {
  args.skip();
  const del = nlm === null;
  let family = cmd.opts.family;
  let dst: { addr: IpAddr | undefined; len: number } | undefined;
  let gateway: IpAddr | undefined;
  let dev: string | undefined;
  let prefsrc: IpAddr | undefined;
  let priority: number | undefined;
  let table: number | undefined;
  let protocol: number | undefined;
  let scope: number | undefined;
  let type = RTN_UNICAST;
  let typeGiven = false;
  let mtu: number | undefined;
  let flags = 0;
  while (!args.done) {
    const w = args.current ?? '';
    if (w === 'src') {
      const v = args.next();
      const a = parseIp(v);
      if (a === null) throw badAddress(v, family);
      prefsrc = a;
    } else if (w === 'via') {
      let v = args.next();
      if (v === 'inet' || v === 'inet6') v = args.next();
      const a = parseIp(v);
      if (a === null) throw badAddress(v, family);
      if (family === AF_UNSPEC) family = isIpv4(a) ? AF_INET : AF_INET6;
      gateway = a;
    } else if (w === 'mtu') {
      const v = args.next();
      const n = parseUnsigned(v);
      if (n === null) throw invarg('"mtu" value is invalid\n', v);
      mtu = n;
    } else if (matches(w, 'metric') || matches(w, 'priority') || w === 'preference') {
      const v = args.next();
      const n = parseUnsigned(v);
      if (n === null) throw invarg('"metric" value is invalid\n', v);
      priority = n;
    } else if (matches(w, 'scope')) {
      const v = args.next();
      const s = parseScope(v);
      if (s === null) throw invarg('invalid "scope" value\n', v);
      scope = s;
    } else if (matches(w, 'protocol')) {
      const v = args.next();
      const n = protoId(v);
      if (n === null) throw invarg('"protocol" value is invalid\n', v);
      protocol = n;
    } else if (matches(w, 'table')) {
      const v = args.next();
      const n = tableId(v);
      if (n === null) throw invarg('"table" value is invalid\n', v);
      table = n;
    } else if (w === 'dev' || w === 'oif') {
      dev = args.next();
    } else if (w === 'onlink') {
      flags |= RTNH_F_ONLINK;
    } else {
      let v = w;
      if (w === 'to') v = args.next();
      const t = TYPES.indexOf(v);
      if (t > 0 && !typeGiven && dst === undefined) {
        type = t;
        typeGiven = true;
        v = args.next();
      }
      if (matches(v, 'help')) throw new IpExit(255, ROUTE_USAGE);
      if (dst !== undefined) throw duparg('to', v);
      if (v === 'default' || v === 'all' || v === 'any') {
        dst = { addr: undefined, len: 0 };
      } else {
        const pfx = parsePrefix(v);
        if (pfx === null) throw badPrefix(v, family);
        if (family === AF_UNSPEC) family = isIpv4(pfx.addr) ? AF_INET : AF_INET6;
        dst = { addr: pfx.addr, len: pfx.len };
      }
    }
    args.skip();
  }
  if (family === AF_UNSPEC) family = AF_INET;
  if (dst === undefined && !del) {
    throw new IpExit(255, 'Error: either "to" is duplicate, or "ip" is a garbage.\n');
  }
  let oif: number | undefined;
  if (dev !== undefined) {
    const idx = await nameToIndex(cmd, dev);
    if (idx === 0) throw noDevice(dev);
    oif = idx;
  }
  const tbl =
    table ?? (type === RTN_LOCAL || type === RTN_BROADCAST ? RT_TABLE_LOCAL : RT_TABLE_MAIN);
  if (del) {
    const req: Mutable<DelRouteRequest> = {
      family,
      dstLen: dst?.len ?? 0,
      table: table ?? RT_TABLE_MAIN,
      protocol: protocol ?? 0,
      scope: scope ?? RT_SCOPE_NOWHERE,
      type: typeGiven ? type : 0,
    };
    if (dst?.addr !== undefined) req.dst = dst.addr;
    if (gateway !== undefined) req.gateway = gateway;
    if (oif !== undefined) req.oif = oif;
    if (prefsrc !== undefined) req.prefsrc = prefsrc;
    if (priority !== undefined) req.priority = priority;
    await talk(cmd.env.api.delRoute(cmd.ctx, req));
    return 0;
  }
  // iproute2's default scope: host for local, link for a gatewayless unicast route.
  let defScope = RT_SCOPE_UNIVERSE;
  if (type === RTN_LOCAL) defScope = RT_SCOPE_HOST;
  else if (type === RTN_BROADCAST || type === RTN_MULTICAST) defScope = RT_SCOPE_LINK;
  else if (type === RTN_UNICAST && gateway === undefined) defScope = RT_SCOPE_LINK;
  if (type === RTN_BLACKHOLE || type === RTN_UNREACHABLE || type === RTN_PROHIBIT)
    defScope = RT_SCOPE_UNIVERSE;
  const req: Mutable<NewRouteRequest> = {
    nlm: nlm,
    family,
    dstLen: dst?.len ?? 0,
    table: tbl,
    protocol: protocol ?? RTPROT_BOOT,
    scope: scope ?? defScope,
    type,
    flags,
  };
  if (dst?.addr !== undefined) req.dst = dst.addr;
  if (gateway !== undefined) req.gateway = gateway;
  if (oif !== undefined) req.oif = oif;
  if (prefsrc !== undefined) req.prefsrc = prefsrc;
  if (priority !== undefined) req.priority = priority;
  if (mtu !== undefined) req.metrics = { mtu };
  await talk(cmd.env.api.newRoute(cmd.ctx, req));
  return 0;
}

interface RouteFilter {
  table: number;
  dev?: number;
  protocol?: number;
  scope?: number;
  /** `root PREFIX`: routes inside it (filter.rdst). */
  root?: { addr: IpAddr; len: number };
  /** `match PREFIX`: routes containing it (filter.mdst). */
  match?: { addr: IpAddr; len: number };
}

async function parseFilter(cmd: IpCmd, args: ArgCursor): Promise<RouteFilter> {
  const f: RouteFilter = { table: RT_TABLE_MAIN };
  const prefix = (v: string): { addr: IpAddr; len: number } => {
    if (v === 'default' || v === 'all' || v === 'any') {
      const six = cmd.opts.family === AF_INET6;
      const any = parseIp(six ? '::' : '0.0.0.0');
      if (any !== null) return { addr: any, len: v === 'default' ? (six ? 128 : 32) : 0 };
    }
    const pfx = parsePrefix(v);
    if (pfx === null) throw badPrefix(v, cmd.opts.family);
    return { addr: pfx.addr, len: pfx.len };
  };
  while (!args.done) {
    const w = args.current ?? '';
    if (matches(w, 'table')) {
      const v = args.next();
      const n = tableId(v);
      if (n === null) throw invarg('table id value is invalid\n', v);
      f.table = n;
    } else if (w === 'dev' || w === 'oif') {
      const v = args.next();
      const idx = await nameToIndex(cmd, v);
      if (idx === 0) throw noDevice(v);
      f.dev = idx;
    } else if (matches(w, 'protocol')) {
      const v = args.next();
      const n = protoId(v);
      if (n === null) throw invarg('invalid "protocol"\n', v);
      f.protocol = n;
    } else if (matches(w, 'scope')) {
      const v = args.next();
      const s = parseScope(v);
      if (s === null) throw invarg('invalid "scope"\n', v);
      f.scope = s;
    } else if (matches(w, 'root')) {
      f.root = prefix(args.next());
    } else if (matches(w, 'match')) {
      f.match = prefix(args.next());
    } else if (matches(w, 'help')) {
      throw new IpExit(255, ROUTE_USAGE);
    } else {
      // `exact PREFIX`, `to PREFIX` or a bare PREFIX: both root and match.
      const v = w === 'exact' || w === 'to' ? args.next() : w;
      if (f.root !== undefined && f.root === f.match)
        throw new IpExit(255, `Error: either "to" is duplicate, or "${v}" is a garbage.\n`);
      f.root = prefix(v);
      f.match = f.root;
    }
    args.skip();
  }
  return f;
}

/** inet_addr_match over the first `bits` bits. */
function prefixMatch(a: IpAddr, b: IpAddr, bits: number): boolean {
  if (isIpv4(a) !== isIpv4(b)) return false;
  if (bits === 0) return true;
  if (isIpv4(a) && isIpv4(b)) {
    const mask = bits >= 32 ? 0xffffffff : ~(0xffffffff >>> bits) >>> 0;
    return ((a ^ b) & mask) === 0;
  }
  const x = (a as Exclude<IpAddr, number>).bytes;
  const y = (b as Exclude<IpAddr, number>).bytes;
  for (let bit = 0; bit < bits; bit++) {
    const m = 0x80 >> (bit & 7);
    if (((x[bit >> 3] as number) & m) !== ((y[bit >> 3] as number) & m)) return false;
  }
  return true;
}

/** filter_nlmsg(): the selector of `ip route show|flush`. */
function selected(f: RouteFilter, r: RouteMsg): boolean {
  if (f.table !== RT_TABLE_UNSPEC && r.table !== f.table) return false;
  if ((r.flags & RTM_F_CLONED) !== 0) return false;
  if (f.dev !== undefined && r.oif !== f.dev) return false;
  if (f.protocol !== undefined && r.protocol !== f.protocol) return false;
  if (f.scope !== undefined && r.scope !== f.scope) return false;
  const dst = r.dst ?? (r.family === AF_INET6 ? parseIp('::') : parseIp('0.0.0.0'));
  if (dst === null) return false;
  if (f.root !== undefined && (r.dstLen < f.root.len || !prefixMatch(dst, f.root.addr, f.root.len)))
    return false;
  if (
    f.match !== undefined &&
    (r.dstLen > f.match.len || !prefixMatch(dst, f.match.addr, r.dstLen))
  )
    return false;
  return true;
}

/** The family `ip route show|flush` dumps: -4/-6, else IPv4 unless every table is asked for. */
function dumpFamily(cmd: IpCmd, f: RouteFilter): number {
  if (cmd.opts.family === AF_INET || cmd.opts.family === AF_INET6) return cmd.opts.family;
  return f.table === RT_TABLE_UNSPEC ? AF_UNSPEC : AF_INET;
}

async function listRoutes(cmd: IpCmd, args: ArgCursor): Promise<number> {
  const f = await parseFilter(cmd, args);
  const routes = await talk(cmd.env.api.dumpRoutes(cmd.ctx, { family: dumpFamily(cmd, f) }));
  const links = await talk(cmd.env.api.dumpLinks(cmd.ctx));
  const names = new Map(links.map((l) => [l.ifindex, l.ifname]));
  const p = cmd.out;
  p.begin();
  for (const r of routes) {
    if (!selected(f, r)) continue;
    printRoute(p, r, names, {
      table: f.table,
      dev: f.dev !== undefined,
      protocol: f.protocol !== undefined,
      scope: f.scope !== undefined,
    });
  }
  p.end();
  cmd.env.stdout(p.output);
  return 0;
}

/** What print_route() leaves out because the selector fixed it. */
export interface RoutePrintFilter {
  /** filter.tb: the table name is printed (except main) only when this is 0. */
  readonly table: number;
  readonly dev?: boolean;
  readonly protocol?: boolean;
  readonly scope?: boolean;
}

/** in_route.h RTCF_* names as print_cache_flags() prints them, in its order. */
const RTCF_NAMES: readonly (readonly [number, string])[] = [
  [0x80000000, 'local'],
  [0x40000000, 'reject'],
  [0x20000000, 'multicast'],
  [0x10000000, 'broadcast'],
  [0x08000000, 'dst-nat'],
  [0x00800000, 'src-nat'],
  [0x00400000, 'masq'],
  [0x00020000, 'dst-direct'],
  [0x04000000, 'src-direct'],
  [0x00040000, 'redirected'],
  [0x01000000, 'redirect'],
  [0x00200000, 'fastroute'],
  [0x00010000, 'notify'],
  [0x00080000, 'proxy'],
];

/** print_rt_flags(): rtm_flags bits in iproute2's order. */
const RT_FLAG_NAMES: readonly (readonly [number, string])[] = [
  [RTNH_F_DEAD, 'dead'],
  [RTNH_F_ONLINK, 'onlink'],
  [RTNH_F_PERVASIVE, 'pervasive'],
  [RTNH_F_OFFLOAD, 'offload'],
  [0x40, 'trap'],
  [RTM_F_NOTIFY, 'notify'],
  [RTNH_F_LINKDOWN, 'linkdown'],
  [RTNH_F_UNRESOLVED, 'unresolved'],
  [0x4000, 'rt_offload'],
  [0x8000, 'rt_trap'],
  [0x20000, 'rt_offload_failed'],
];

/** print_route() of iproute2 6.1, driven by what the message carries. */
export function printRoute(
  p: Printer,
  r: RouteMsg,
  names: ReadonlyMap<number, string>,
  f: RoutePrintFilter,
): void {
  const hostLen = r.family === AF_INET6 ? 128 : 32;
  p.openObject(null);
  if (r.type !== RTN_UNICAST) p.print('any', 'type', '%s ', TYPES[r.type] ?? String(r.type));
  let dst: string;
  if (r.dst !== undefined)
    dst = r.dstLen !== hostLen ? `${formatIp(r.dst)}/${r.dstLen}` : formatIp(r.dst);
  else if (r.dstLen > 0) dst = `0/${r.dstLen} `;
  else dst = 'default';
  p.print('any', 'dst', '%s ', dst);
  if (r.src !== undefined) {
    const text = r.srcLen !== hostLen ? `${formatIp(r.src)}/${r.srcLen}` : formatIp(r.src);
    p.print('any', 'from', 'from %s ', text);
  } else if (r.srcLen > 0) {
    p.print('any', 'src', 'from %s ', `0/${r.srcLen}`);
  }
  if (r.tos !== 0) p.print('any', 'tos', 'tos %s ', `0x${r.tos.toString(16).padStart(2, '0')}`);
  if (r.gateway !== undefined) p.print('any', 'gateway', 'via %s ', formatIp(r.gateway));
  if (r.oif !== undefined && f.dev !== true)
    p.print('any', 'dev', 'dev %s ', names.get(r.oif) ?? `if${r.oif}`);
  if (r.table !== 0 && r.table !== RT_TABLE_MAIN && f.table === RT_TABLE_UNSPEC)
    p.print('any', 'table', 'table %s ', TABLES[r.table] ?? String(r.table));
  if ((r.flags & RTM_F_CLONED) === 0) {
    if (r.protocol !== RTPROT_BOOT && f.protocol !== true)
      p.print('any', 'protocol', 'proto %s ', PROTOS[r.protocol] ?? String(r.protocol));
    if (r.scope !== RT_SCOPE_UNIVERSE && f.scope !== true)
      p.print('any', 'scope', 'scope %s ', scopeName(r.scope));
  }
  if (r.prefsrc !== undefined) {
    p.print('json', 'prefsrc', null, formatIp(r.prefsrc));
    p.fp(`src ${formatIp(r.prefsrc)} `);
  }
  if (r.priority !== undefined) p.print('any', 'metric', 'metric %s ', r.priority);
  p.openArray('json', 'flags');
  for (const [bit, name] of RT_FLAG_NAMES)
    if ((r.flags & bit) !== 0) p.print('any', null, '%s ', name);
  p.closeArray('json', null);
  if (r.uid !== undefined) p.print('any', 'uid', 'uid %s ', r.uid);
  if (r.family === AF_INET && (r.flags & RTM_F_CLONED) !== 0) printCacheFlags(p, r.flags);
  if (r.cacheinfo !== undefined) {
    // get_user_hz(): the kernel reports clock_t at USER_HZ = 100.
    if (r.cacheinfo.expires !== 0)
      p.print('any', 'expires', 'expires %ssec ', Math.trunc(r.cacheinfo.expires / 100));
    if (r.cacheinfo.error !== 0) p.print('any', 'error', 'error %s ', r.cacheinfo.error);
  }
  if (r.metrics !== undefined) {
    p.openArray('json', 'metrics');
    p.openObject(null);
    if (r.metrics.mtu !== undefined) {
      p.fp('mtu ');
      p.print('any', 'mtu', '%s ', r.metrics.mtu);
    }
    if (r.metrics.hoplimit !== undefined && r.metrics.hoplimit !== 0xffffffff) {
      p.fp('hoplimit ');
      p.print('any', 'hoplimit', '%s ', r.metrics.hoplimit);
    }
    p.closeObject();
    p.closeArray('any', null);
  }
  if (r.iif !== undefined) p.print('any', 'iif', 'iif %s ', names.get(r.iif) ?? `if${r.iif}`);
  if (r.pref !== undefined) {
    const pref = ({ 3: 'low', 0: 'medium', 1: 'high' } as Record<number, string>)[r.pref];
    if (pref !== undefined) p.print('any', 'pref', 'pref %s', pref);
    else p.print('any', 'pref', '%s', r.pref);
  }
  p.fp('\n');
  p.closeObject();
}

/** print_cache_flags(): the `cache` line of an IPv4 route-cache entry. */
function printCacheFlags(p: Printer, rtmFlags: number): void {
  let flags = (rtmFlags & ~0xffff) >>> 0;
  p.openArray('json', 'cache');
  p.fp(`${p.sl}    cache `);
  if (flags !== 0) {
    p.fp('<');
    for (const [bit, name] of RTCF_NAMES) {
      if ((flags & bit) === 0) continue;
      flags = (flags & ~bit) >>> 0;
      p.print('any', null, '%s', name);
      p.fp(flags !== 0 ? ',' : '> ');
    }
    if (flags !== 0) p.print('any', null, '%s> ', flags.toString(16));
  }
  p.closeArray('json', null);
}

async function getRoute(cmd: IpCmd, args: ArgCursor): Promise<number> {
  let dst: IpAddr | undefined;
  let src: IpAddr | undefined;
  let oif: number | undefined;
  let fibMatch = false;
  while (!args.done) {
    const w = args.current ?? '';
    if (w === 'from') {
      const v = args.next();
      const a = parseIp(v);
      if (a === null) throw badAddress(v, cmd.opts.family);
      src = a;
    } else if (w === 'oif' || w === 'dev') {
      const v = args.next();
      const idx = await nameToIndex(cmd, v);
      if (idx === 0) throw noDevice(v);
      oif = idx;
    } else if (w === 'fibmatch') {
      fibMatch = true;
    } else {
      let v = w;
      if (w === 'to') v = args.next();
      if (matches(v, 'help')) throw new IpExit(255, ROUTE_USAGE);
      const pfx = parsePrefix(v);
      if (pfx === null) throw badPrefix(v, cmd.opts.family);
      if (dst !== undefined) throw duparg('to', v);
      dst = pfx.addr;
    }
    args.skip();
  }
  if (dst === undefined) throw new IpExit(1, 'need at least a destination address\n');
  const req: Mutable<Parameters<typeof cmd.env.api.getRoute>[1]> = {
    family: isIpv4(dst) ? AF_INET : AF_INET6,
    dst,
  };
  if (src !== undefined) req.src = src;
  if (oif !== undefined) req.oif = oif;
  if (fibMatch) req.fibMatch = true;
  const r = await talk(cmd.env.api.getRoute(cmd.ctx, req));
  const links = await talk(cmd.env.api.dumpLinks(cmd.ctx));
  const p = cmd.out;
  p.begin();
  printRoute(p, r, new Map(links.map((l) => [l.ifindex, l.ifname])), { table: RT_TABLE_UNSPEC });
  p.end();
  cmd.env.stdout(p.output);
  return 0;
}

async function flushRoutes(cmd: IpCmd, args: ArgCursor): Promise<number> {
  if (args.done) throw new IpExit(255, '"ip route flush" requires arguments.\n');
  const f = await parseFilter(cmd, args);
  const routes = await talk(cmd.env.api.dumpRoutes(cmd.ctx, { family: dumpFamily(cmd, f) }));
  for (const r of routes) {
    if (!selected(f, r)) continue;
    const req: Mutable<DelRouteRequest> = {
      family: r.family,
      dstLen: r.dstLen,
      table: r.table,
      protocol: r.protocol,
      scope: r.scope,
      type: r.type,
    };
    if (r.dst !== undefined) req.dst = r.dst;
    if (r.gateway !== undefined) req.gateway = r.gateway;
    if (r.oif !== undefined) req.oif = r.oif;
    try {
      await cmd.env.api.delRoute(cmd.ctx, req);
    } catch (err) {
      if (!isErrno(err)) throw err;
    }
  }
  return 0;
}
