// `ip route`: add/change/replace/append/del/show/flush/get as ip/iproute.c parses and prints them.

import type { DelRouteRequest, NewRouteRequest, RouteMsg } from '../rtnl/messages.ts';
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
      // accepted; the flag is ignored by this model
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
    flags: 0,
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
  type?: number;
}

async function parseFilter(cmd: IpCmd, args: ArgCursor): Promise<RouteFilter> {
  const f: RouteFilter = { table: RT_TABLE_MAIN };
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
    } else if (matches(w, 'help')) {
      throw new IpExit(255, ROUTE_USAGE);
    } else {
      throw new IpExit(255, `Error: either "to" is duplicate, or "${w}" is a garbage.\n`);
    }
    args.skip();
  }
  return f;
}

async function listRoutes(cmd: IpCmd, args: ArgCursor): Promise<number> {
  const f = await parseFilter(cmd, args);
  const family =
    cmd.opts.family === AF_INET6 ? AF_INET6 : cmd.opts.family === AF_INET ? AF_INET : AF_INET;
  const routes = await talk(cmd.env.api.dumpRoutes(cmd.ctx, { family }));
  const links = await talk(cmd.env.api.dumpLinks(cmd.ctx));
  const names = new Map(links.map((l) => [l.ifindex, l.ifname]));
  const p = cmd.out;
  p.begin();
  for (const r of routes) {
    if (f.table !== RT_TABLE_UNSPEC && r.table !== f.table) continue;
    if (f.dev !== undefined && r.oif !== f.dev) continue;
    if (f.protocol !== undefined && r.protocol !== f.protocol) continue;
    if (f.scope !== undefined && r.scope !== f.scope) continue;
    if ((r.flags & 0x200) !== 0) continue;
    p.openObject(null);
    printRoute(p, r, names, f, false);
    p.closeObject();
  }
  p.end();
  cmd.env.stdout(p.output);
  return 0;
}

/** print_route(). */
export function printRoute(
  p: Printer,
  r: RouteMsg,
  names: ReadonlyMap<number, string>,
  f: { table: number } | null,
  get: boolean,
): void {
  if (r.type !== RTN_UNICAST) p.print('any', 'type', '%s ', TYPES[r.type] ?? String(r.type));
  if (r.dst !== undefined) {
    const text =
      !get && r.dstLen !== (isIpv4(r.dst) ? 32 : 128)
        ? `${formatIp(r.dst)}/${r.dstLen}`
        : formatIp(r.dst);
    p.print('any', 'dst', '%s ', text);
  } else if (r.dstLen > 0) {
    p.print('any', 'dst', '0/%s ', r.dstLen);
  } else {
    p.print('any', 'dst', '%s ', 'default');
  }
  if (r.gateway !== undefined) p.print('any', 'gateway', 'via %s ', formatIp(r.gateway));
  if (r.oif !== undefined) p.print('any', 'dev', 'dev %s ', names.get(r.oif) ?? `if${r.oif}`);
  if (f === null || f.table === RT_TABLE_UNSPEC || r.table !== RT_TABLE_MAIN) {
    if (r.table !== RT_TABLE_MAIN && !get)
      p.print('any', 'table', 'table %s ', TABLES[r.table] ?? String(r.table));
  }
  if (r.protocol !== 3 && r.protocol !== 0 && !get)
    p.print('any', 'protocol', 'proto %s ', PROTOS[r.protocol] ?? String(r.protocol));
  if (r.scope !== RT_SCOPE_UNIVERSE && !get)
    p.print('any', 'scope', 'scope %s ', scopeName(r.scope));
  if (r.prefsrc !== undefined) p.print('any', 'prefsrc', 'src %s ', formatIp(r.prefsrc));
  if (r.priority !== undefined) p.print('any', 'metric', 'metric %s ', r.priority);
  if ((r.flags & 0x10) !== 0) {
    p.print('json', 'flags', null, 'linkdown');
    p.fp('linkdown ');
  }
  if (r.uid !== undefined) p.print('any', 'uid', 'uid %s ', r.uid);
  if (get) {
    p.fp(`\n    cache `);
    p.openArray('json', 'flags');
    p.closeArray('json', null);
  }
  if (r.metrics?.mtu !== undefined) p.print('any', 'mtu', 'mtu %s ', r.metrics.mtu);
  p.fp('\n');
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
  p.openObject(null);
  printRoute(p, r, new Map(links.map((l) => [l.ifindex, l.ifname])), null, !fibMatch);
  p.closeObject();
  p.end();
  cmd.env.stdout(p.output);
  return 0;
}

async function flushRoutes(cmd: IpCmd, args: ArgCursor): Promise<number> {
  if (args.done) throw new IpExit(255, '"ip route flush" requires arguments.\n');
  const f = await parseFilter(cmd, args);
  const routes = await talk(
    cmd.env.api.dumpRoutes(cmd.ctx, { family: cmd.opts.family === AF_INET6 ? AF_INET6 : AF_INET }),
  );
  for (const r of routes) {
    if (f.table !== RT_TABLE_UNSPEC && r.table !== f.table) continue;
    if (f.dev !== undefined && r.oif !== f.dev) continue;
    if (f.protocol !== undefined && r.protocol !== f.protocol) continue;
    if (f.scope !== undefined && r.scope !== f.scope) continue;
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
