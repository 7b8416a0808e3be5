// `ip address`: add/change/replace/del/flush/show as ip/ipaddress.c parses and prints them.

import { isErrno, strerror } from '../base/errno.ts';
import type { AddrMsg, LinkMsg, NewAddrRequest } from '../rtnl/messages.ts';
import {
  IFA_F_NODAD,
  IFA_F_NOPREFIXROUTE,
  IFA_F_PERMANENT,
  IFA_F_SECONDARY,
  INFINITY_LIFE_TIME,
} from '../rtnl/messages.ts';
import {
  AF_INET,
  AF_INET6,
  AF_PACKET,
  AF_UNSPEC,
  RT_SCOPE_HOST,
  RT_SCOPE_LINK,
  RT_SCOPE_NOWHERE,
  RT_SCOPE_SITE,
  RT_SCOPE_UNIVERSE,
} from '../uapi/rtnetlink.ts';
import { formatIp, ipv4, ipv4Mask, isIpv4, parseIp, parsePrefix } from '../wire/address.ts';
import type { IpAddr } from '../wire/address.ts';
import type { ArgCursor } from './argv.ts';
import {
  IpExit,
  badAddress,
  badPrefix,
  duparg,
  duparg2,
  invarg,
  matches,
  noDevice,
  parseUnsigned,
} from './argv.ts';
import type { IpCmd } from './env.ts';
import { talk } from './errors.ts';
import { linkContext, linkMatches, nameToIndex, parseLinkFilter } from './iplink.ts';
import { printLinkInfo, printStats64 } from './link-print.ts';
import type { Printer } from './print.ts';

export const ADDR_USAGE =
  'Usage: ip address {add|change|replace} IFADDR dev IFNAME [ LIFETIME ]\n' +
  '                                                      [ CONFFLAG-LIST ]\n' +
  '       ip address del IFADDR dev IFNAME [mngtmpaddr]\n' +
  '       ip address {save|flush} [ dev IFNAME ] [ scope SCOPE-ID ]\n' +
  '                            [ to PREFIX ] [ FLAG-LIST ] [ label LABEL ] [up]\n' +
  '       ip address [ show [ dev IFNAME ] [ scope SCOPE-ID ] [ master DEVICE ]\n' +
  '                         [ type TYPE ] [ to PREFIX ] [ FLAG-LIST ]\n' +
  '                         [ label LABEL ] [up] [ vrf NAME ] ]\n' +
  'IFADDR := PREFIX | ADDR peer PREFIX\n' +
  '          [ broadcast ADDR ] [ anycast ADDR ]\n' +
  '          [ label IFNAME ] [ scope SCOPE-ID ] [ metric METRIC ]\n' +
  'SCOPE-ID := [ host | link | global | NUMBER ]\n' +
  'FLAG-LIST := [ FLAG-LIST ] FLAG\n' +
  'FLAG  := [ permanent | dynamic | secondary | primary |\n' +
  '           [-]tentative | [-]deprecated | [-]dadfailed | temporary |\n' +
  '           CONFFLAG-LIST ]\n' +
  'CONFFLAG-LIST := [ CONFFLAG-LIST ] CONFFLAG\n' +
  'CONFFLAG  := [ home | nodad | mngtmpaddr | noprefixroute | autojoin ]\n' +
  'LIFETIME := [ valid_lft LFT ] [ preferred_lft LFT ]\n' +
  'LFT := forever | SECONDS\n';

/** rtnl_rtscope_n2a(). */
export function scopeName(scope: number): string {
  switch (scope) {
    case RT_SCOPE_UNIVERSE:
      return 'global';
    case RT_SCOPE_SITE:
      return 'site';
    case RT_SCOPE_LINK:
      return 'link';
    case RT_SCOPE_HOST:
      return 'host';
    case RT_SCOPE_NOWHERE:
      return 'nowhere';
    default:
      return String(scope);
  }
}

/** rtnl_rtscope_a2n(). */
export function parseScope(text: string): number | null {
  const names: Record<string, number> = {
    global: 0,
    universe: 0,
    site: 200,
    link: 253,
    host: 254,
    nowhere: 255,
  };
  const n = names[text];
  if (n !== undefined) return n;
  return parseUnsigned(text, 255);
}

export async function doIpAddr(cmd: IpCmd, args: ArgCursor): Promise<number> {
  if (args.done) return listAddrs(cmd, args);
  const w = args.current ?? '';
  if (matches(w, 'add')) return modify(cmd, args, { create: true, excl: true });
  if (matches(w, 'change') || w === 'chg') return modify(cmd, args, { replace: true });
  if (matches(w, 'replace')) return modify(cmd, args, { create: true, replace: true });
  if (matches(w, 'delete')) return modify(cmd, args, null);
  if (matches(w, 'list') || matches(w, 'show') || matches(w, 'lst')) {
    args.skip();
    return listAddrs(cmd, args);
  }
  if (matches(w, 'flush')) {
    args.skip();
    return flushAddrs(cmd, args);
  }
  if (matches(w, 'help')) throw new IpExit(255, ADDR_USAGE);
  throw new IpExit(255, `Command "${w}" is unknown, try "ip address help".\n`);
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** ipaddr_modify(). `nlm` null means delete. */
async function modify(
  cmd: IpCmd,
  args: ArgCursor,
  nlm: NewAddrRequest['nlm'] | null,
): Promise<number> {
  args.skip();
  let local: { addr: IpAddr; len: number; explicitLen: boolean } | undefined;
  let peer: { addr: IpAddr; len: number } | undefined;
  let dev: string | undefined;
  let label: string | undefined;
  let scope: number | undefined;
  let brd: IpAddr | '+' | '-' | undefined;
  let flags = 0;
  let valid: number | undefined;
  let preferred: number | undefined;
  const family = cmd.opts.family;
  while (!args.done) {
    const w = args.current ?? '';
    if (matches(w, 'peer') || matches(w, 'remote')) {
      // IFA_ADDRESS = the peer, and its length is the request's prefix length.
      const v = args.next();
      if (peer !== undefined) throw duparg('peer', v);
      const pfx = parsePrefix(v);
      if (
        pfx === null ||
        (family === AF_INET && !isIpv4(pfx.addr)) ||
        (family === AF_INET6 && isIpv4(pfx.addr))
      ) {
        throw badPrefix(v, family);
      }
      peer = pfx;
    } else if (matches(w, 'broadcast') || w === 'brd') {
      const v = args.next();
      if (brd !== undefined) throw duparg('broadcast', v);
      if (v === '+' || v === '-') brd = v;
      else {
        const a = parseIp(v);
        if (a === null) throw badAddress(v, family);
        brd = a;
      }
    } else if (w === 'dev') {
      dev = args.next();
    } else if (matches(w, 'label')) {
      label = args.next();
    } else if (matches(w, 'scope')) {
      const v = args.next();
      const s = parseScope(v);
      if (s === null) throw invarg('invalid scope value.', v);
      scope = s;
    } else if (w === 'nodad') flags |= IFA_F_NODAD;
    else if (w === 'noprefixroute') flags |= IFA_F_NOPREFIXROUTE;
    else if (matches(w, 'valid_lft') || matches(w, 'preferred_lft')) {
      const v = args.next();
      const n = v === 'forever' ? INFINITY_LIFE_TIME : parseUnsigned(v);
      const key = matches(w, 'valid_lft') ? 'valid_lft' : 'preferred_lft';
      if (n === null) throw invarg(`${key} value`, v);
      if (key === 'valid_lft') valid = n;
      else preferred = n;
    } else {
      if (w === 'local') args.next();
      const v = args.current ?? '';
      if (matches(v, 'help')) throw new IpExit(255, ADDR_USAGE);
      if (local !== undefined) throw duparg2('local', v);
      const pfx = parsePrefix(v);
      if (
        pfx === null ||
        (family === AF_INET && !isIpv4(pfx.addr)) ||
        (family === AF_INET6 && isIpv4(pfx.addr))
      ) {
        throw badPrefix(v, family);
      }
      local = { addr: pfx.addr, len: pfx.len, explicitLen: v.includes('/') };
    }
    args.skip();
  }
  if (dev === undefined) {
    throw new IpExit(1, 'Not enough information: "dev" argument is required.\n');
  }
  const ifindex = await nameToIndex(cmd, dev);
  if (ifindex === 0) throw noDevice(dev);
  if (local === undefined) {
    // iproute2 sends the request without IFA_LOCAL: with no family the kernel has no
    // RTM_NEWADDR handler for AF_UNSPEC (EOPNOTSUPP, j-grammar); inet/inet6 refuse the
    // missing address with EINVAL.
    const code =
      cmd.opts.family === AF_INET || cmd.opts.family === AF_INET6 ? 'EINVAL' : 'EOPNOTSUPP';
    throw new IpExit(2, `RTNETLINK answers: ${strerror(code)}\n`);
  }
  const fam = isIpv4(local.addr) ? AF_INET : AF_INET6;
  if (nlm === null) {
    const del: Mutable<Parameters<typeof cmd.env.api.delAddr>[1]> = {
      family: fam,
      prefixlen: peer !== undefined && peer.len !== 0 ? peer.len : local.len,
      ifindex,
      local: local.addr,
      address: peer?.addr ?? local.addr,
    };
    if (label !== undefined) del.label = label;
    await talk(cmd.env.api.delAddr(cmd.ctx, del));
    return 0;
  }
  if (label !== undefined && !label.startsWith(dev)) {
    throw new IpExit(1, `"${label}" is not a valid label. It must start with "${dev}"\n`);
  }
  let broadcast: IpAddr | undefined;
  if (brd !== undefined && brd !== '-' && fam === AF_INET && isIpv4(local.addr)) {
    if (brd === '+') {
      if (local.len <= 30) broadcast = ipv4((local.addr | ~ipv4Mask(local.len)) >>> 0);
    } else broadcast = brd;
  } else if (brd !== undefined && brd !== '+' && brd !== '-') broadcast = brd;
  const req: Mutable<NewAddrRequest> = {
    nlm,
    family: fam,
    prefixlen: peer !== undefined && peer.len !== 0 ? peer.len : local.len,
    flags,
    scope: scope ?? defaultScope(local.addr),
    ifindex,
    local: local.addr,
    address: peer?.addr ?? local.addr,
  };
  if (broadcast !== undefined) req.broadcast = broadcast;
  if (label !== undefined) req.label = label;
  if (valid !== undefined || preferred !== undefined) {
    const v = valid ?? INFINITY_LIFE_TIME;
    req.cacheinfo = { valid: v, preferred: preferred ?? v };
  }
  await talk(cmd.env.api.newAddr(cmd.ctx, req));
  return 0;
}

/** default_scope(): loopback addresses get host scope, the rest global. */
function defaultScope(addr: IpAddr): number {
  if (isIpv4(addr)) return addr >>> 24 === 127 ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE;
  return RT_SCOPE_UNIVERSE;
}

interface AddrFilter {
  scope?: number;
  label?: string;
  to?: { addr: IpAddr; len: number };
}

async function listAddrs(cmd: IpCmd, args: ArgCursor): Promise<number> {
  const af: AddrFilter = {};
  const f = await parseLinkFilter(cmd, args, (w) => {
    if (matches(w, 'scope')) {
      const v = args.next();
      const s = parseScope(v);
      if (s === null) throw invarg('invalid "scope"\n', v);
      af.scope = s;
      args.skip();
      return true;
    }
    if (matches(w, 'label')) {
      af.label = args.next();
      args.skip();
      return true;
    }
    return false;
  });
  const allLinks = await talk(cmd.env.api.dumpLinks(cmd.ctx));
  let links: readonly LinkMsg[] = allLinks;
  if (f.dev !== undefined) {
    const dev = f.dev;
    const one = allLinks.find((l) => l.ifname === dev);
    if (one === undefined) throw new IpExit(1, `Device "${dev}" does not exist.\n`);
    links = [one];
  }
  const family = cmd.opts.family === AF_PACKET ? AF_UNSPEC : cmd.opts.family;
  const addrs =
    cmd.opts.family === AF_PACKET ? [] : await talk(cmd.env.api.dumpAddrs(cmd.ctx, { family }));
  // An AF_INET6 RTM_GETLINK *dump* is inet6_dump_ifinfo; with `dev` iproute2 asks for the
  // one link (ipaddr_link_get), and that request has only the full PF_UNSPEC handler.
  const inet6 = family === AF_INET6 && f.dev === undefined;
  const lc = { ...(await linkContext(cmd, allLinks, false)), inet6 };
  // ipaddr_list_flush_or_save prints no link lines with -o (only `N: NAME` before each
  // address) nor with a label filter, where even -br leaves out name and state (iproute2
  // 6.1 on Linux: `ip -br addr show label X` prints an empty line per other device).
  const noLink = (cmd.opts.oneline || af.label !== undefined) && cmd.opts.family !== AF_PACKET;
  const p = cmd.out;
  p.begin();
  for (const l of links) {
    if (!linkMatches(l, f)) continue;
    const any = addrs.some((a) => a.ifindex === l.ifindex);
    const mine = addrs.filter((a) => a.ifindex === l.ifindex && addrMatches(l, a, af));
    // ipaddr_filter: a device stays when an address passes every filter, or when it has
    // no address at all and no family was asked for.
    if (mine.length === 0 && (any || family !== AF_UNSPEC)) continue;
    p.openObject(null);
    if (cmd.opts.brief) {
      if (!noLink) printLinkInfo(p, l, lc);
      p.openArray('json', 'addr_info');
      for (const a of mine) {
        p.openObject(null);
        p.print('any', 'local', '%s', formatIp(a.local ?? a.address ?? ipv4(0)));
        p.print('any', 'prefixlen', '/%s ', a.prefixlen);
        p.closeObject();
      }
      p.closeArray('json', null);
      p.fp('\n');
    } else {
      const header = !noLink;
      if (header) printLinkInfo(p, l, lc);
      p.openArray('json', 'addr_info');
      for (const a of mine) {
        p.openObject(null);
        if (cmd.opts.oneline) {
          p.print('json', 'index', null, l.ifindex);
          p.print('json', 'dev', null, l.ifname);
          p.fp(`${l.ifindex}: ${l.ifname}`);
        }
        printAddr(p, a);
        p.closeObject();
      }
      p.closeArray('json', null);
      // print_link_stats after the addresses; an AF_INET6 link message has no statistics.
      if (header && cmd.opts.stats > 0 && lc.inet6 !== true) {
        printStats64(p, l.stats64, l.carrierChanges, cmd.opts.stats);
        p.fp(p.sl);
      }
    }
    p.closeObject();
  }
  p.end();
  cmd.env.stdout(p.output);
  return 0;
}

function addrMatches(l: LinkMsg, a: AddrMsg, f: AddrFilter): boolean {
  if (f.scope !== undefined && a.scope !== f.scope) return false;
  if (f.label !== undefined && !fnmatch(f.label, a.label ?? l.ifname)) return false;
  return true;
}

/** fnmatch(3) without flags: `*`, `?`, `[...]` (with `!`/`^` and ranges) and `\` escapes. */
export function fnmatch(pattern: string, text: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') re += '[\\s\\S]*';
    else if (c === '?') re += '[\\s\\S]';
    else if (c === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i] as string);
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) {
        re += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, close);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, (m) => `\\${m}`)}]`;
      i = close;
    } else re += escapeRe(c);
  }
  return new RegExp(`${re}$`).test(text);
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/-]/g, (m) => `\\${m}`);
}

const IFA_FLAGS: readonly (readonly [string, number, boolean])[] = [
  ['secondary', IFA_F_SECONDARY, false],
  ['temporary', IFA_F_SECONDARY, true],
  ['nodad', IFA_F_NODAD, true],
  ['optimistic', 0x04, true],
  ['dadfailed', 0x08, true],
  ['home', 0x10, true],
  ['deprecated', 0x20, true],
  ['tentative', 0x40, true],
  ['permanent', IFA_F_PERMANENT, false],
  ['mngtmpaddr', 0x100, true],
  ['noprefixroute', IFA_F_NOPREFIXROUTE, false],
  ['autojoin', 0x400, false],
  ['stable-privacy', 0x800, true],
];

/** print_addrinfo() for one address under its device. */
export function printAddr(p: Printer, a: AddrMsg): void {
  const v6 = a.family === AF_INET6;
  p.print(
    'any',
    'family',
    '    %s ',
    v6 ? 'inet6' : a.family === AF_INET ? 'inet' : String(a.family),
  );
  const local = a.local ?? a.address;
  if (local !== undefined) {
    p.print('any', 'local', '%s', formatIp(local));
    if (
      a.local !== undefined &&
      a.address !== undefined &&
      formatIp(a.address) !== formatIp(a.local)
    ) {
      p.fp(' peer ');
      p.print('any', 'address', '%s', formatIp(a.address));
    }
    p.print('any', 'prefixlen', '/%s ', a.prefixlen);
  }
  if (a.broadcast !== undefined) {
    p.fp('brd ');
    p.print('any', 'broadcast', '%s ', formatIp(a.broadcast));
  }
  p.print('any', 'scope', 'scope %s ', scopeName(a.scope));
  let flags = a.flags;
  for (const [name, mask, v6only] of IFA_FLAGS) {
    if (v6only && !v6) continue;
    if (mask === IFA_F_PERMANENT) {
      if ((flags & mask) === 0) {
        p.fp('dynamic ');
        p.print('json', 'dynamic', null, true);
      }
    } else if ((flags & mask) !== 0) {
      p.fp(`${name} `);
      p.print('json', name, null, true);
    }
    flags &= ~mask;
  }
  if (flags !== 0) p.print('any', 'flags', 'flags %s ', flags.toString(16).padStart(2, '0'));
  if (a.label !== undefined) p.print('any', 'label', '%s', a.label);
  if (a.cacheinfo !== undefined) {
    p.fp(p.sl);
    p.fp('       valid_lft ');
    lifetime(p, 'valid_life_time', a.cacheinfo.valid);
    p.fp(' preferred_lft ');
    lifetime(p, 'preferred_life_time', a.cacheinfo.preferred);
  }
  p.fp('\n');
}

function lifetime(p: Printer, key: string, value: number): void {
  if (value === INFINITY_LIFE_TIME) {
    p.print('json', key, null, INFINITY_LIFE_TIME);
    p.fp('forever');
  } else {
    p.print('any', key, '%ssec', value);
  }
}

/** `ip addr flush`: deletes every matching address (secondaries go with their primary). */
async function flushAddrs(cmd: IpCmd, args: ArgCursor): Promise<number> {
  if (args.done) {
    throw new IpExit(1, 'Flush requires arguments.\n');
  }
  const f = await parseLinkFilter(cmd, args);
  const family = cmd.opts.family === AF_PACKET ? AF_UNSPEC : cmd.opts.family;
  let ifindex: number | undefined;
  if (f.dev !== undefined) {
    const idx = await nameToIndex(cmd, f.dev);
    if (idx === 0) throw new IpExit(1, `Device "${f.dev}" does not exist.\n`);
    ifindex = idx;
  }
  const addrs = await talk(cmd.env.api.dumpAddrs(cmd.ctx, { family }));
  for (const a of addrs) {
    if (ifindex !== undefined && a.ifindex !== ifindex) continue;
    try {
      const del: Mutable<Parameters<typeof cmd.env.api.delAddr>[1]> = {
        family: a.family,
        prefixlen: a.prefixlen,
        ifindex: a.ifindex,
      };
      if (a.local !== undefined) del.local = a.local;
      if (a.address !== undefined) del.address = a.address;
      await cmd.env.api.delAddr(cmd.ctx, del);
    } catch (err) {
      // A secondary already removed with its primary: iproute2 ignores that refusal.
      if (!isErrno(err)) throw err;
    }
  }
  return 0;
}
