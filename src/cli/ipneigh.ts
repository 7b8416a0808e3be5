// `ip neigh`: add/change/replace/del/show/flush as ip/ipneigh.c parses and prints them.

import type { NeighMsg, NewNeighRequest } from '../rtnl/messages.ts';
import { NTF_PROXY, NTF_ROUTER } from '../rtnl/messages.ts';
import { isErrno } from '../base/errno.ts';
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  NUD_FAILED,
  NUD_NOARP,
  NUD_PERMANENT,
} from '../uapi/rtnetlink.ts';
import {
  MacAddr,
  formatIp,
  isIpv4,
  parseIp,
  parsePrefix,
  prefixContains,
} from '../wire/address.ts';
import type { IpAddr, IpPrefix } from '../wire/address.ts';
import type { ArgCursor } from './argv.ts';
import { IpExit, badAddress, badPrefix, duparg, invarg, matches, noDevice } from './argv.ts';
import type { IpCmd } from './env.ts';
import { talk } from './errors.ts';
import { nameToIndex } from './iplink.ts';
import type { Printer } from './print.ts';

export const NEIGH_USAGE =
  'Usage: ip neigh { add | del | change | replace }\n' +
  '                { ADDR [ lladdr LLADDR ] [ nud STATE ] proxy ADDR }\n' +
  '                [ dev DEV ] [ router ] [ use ] [ managed ] [ extern_learn ]\n' +
  '                [ protocol PROTO ]\n' +
  '\n' +
  '\tip neigh { show | flush } [ proxy ] [ to PREFIX ] [ dev DEV ] [ nud STATE ]\n' +
  '\t\t\t\t  [ vrf NAME ] [ nomaster ]\n' +
  '\tip neigh get { ADDR | proxy ADDR } dev DEV\n' +
  '\n' +
  'STATE := { delay | failed | incomplete | noarp | none |\n' +
  '           permanent | probe | reachable | stale }\n';

const NUD_NAMES: readonly (readonly [number, string])[] = [
  [0x01, 'INCOMPLETE'],
  [0x02, 'REACHABLE'],
  [0x04, 'STALE'],
  [0x08, 'DELAY'],
  [0x10, 'PROBE'],
  [0x20, 'FAILED'],
  [0x40, 'NOARP'],
  [0x80, 'PERMANENT'],
];

/** nud_state_a2n(). */
function nudState(text: string): number | null {
  const t = text.toLowerCase();
  if (t === 'none') return 0;
  if (t === 'all') return 0xff;
  for (const [bit, name] of NUD_NAMES) if (name.toLowerCase() === t) return bit;
  return null;
}

export async function doIpNeigh(cmd: IpCmd, args: ArgCursor): Promise<number> {
  if (args.done) return listNeighs(cmd, args, false);
  const w = args.current ?? '';
  if (matches(w, 'add')) return modify(cmd, args, { create: true, excl: true });
  if (matches(w, 'change') || w === 'chg') return modify(cmd, args, { replace: true });
  if (matches(w, 'replace')) return modify(cmd, args, { create: true, replace: true });
  if (matches(w, 'delete')) return modify(cmd, args, null);
  if (matches(w, 'list') || matches(w, 'show') || matches(w, 'lst')) {
    args.skip();
    return listNeighs(cmd, args, false);
  }
  if (matches(w, 'flush')) {
    args.skip();
    return listNeighs(cmd, args, true);
  }
  if (matches(w, 'help')) throw new IpExit(255, NEIGH_USAGE);
  throw new IpExit(255, `Command "${w}" is unknown, try "ip neigh help".\n`);
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

async function modify(
  cmd: IpCmd,
  args: ArgCursor,
  nlm: NewNeighRequest['nlm'] | null,
): Promise<number> {
  args.skip();
  let dst: IpAddr | undefined;
  let dev: string | undefined;
  let lladdr: MacAddr | undefined;
  let state = NUD_PERMANENT;
  let flags = 0;
  while (!args.done) {
    const w = args.current ?? '';
    if (matches(w, 'lladdr')) {
      const v = args.next();
      if (lladdr !== undefined) throw duparg('lladdr', v);
      const mac = MacAddr.parse(v);
      if (mac === null) throw new IpExit(1, `"${v}" is invalid lladdr.\n`);
      lladdr = mac;
    } else if (w === 'nud') {
      const v = args.next();
      const s = nudState(v);
      if (s === null || s === 0xff) throw invarg('nud state is bad', v);
      state = s;
    } else if (matches(w, 'proxy')) {
      const v = args.next();
      const a = parseIp(v);
      if (a === null) throw badAddress(v, cmd.opts.family);
      dst = a;
      flags |= NTF_PROXY;
    } else if (matches(w, 'router')) {
      flags |= NTF_ROUTER;
    } else if (matches(w, 'dev')) {
      dev = args.next();
    } else {
      let v = w;
      if (w === 'to') v = args.next();
      if (matches(v, 'help')) throw new IpExit(255, NEIGH_USAGE);
      if (dst !== undefined) throw duparg('to', v);
      const a = parseIp(v);
      if (a === null) throw badAddress(v, cmd.opts.family);
      dst = a;
    }
    args.skip();
  }
  if (dev === undefined || dst === undefined) {
    throw new IpExit(255, 'Device and destination are required arguments.\n');
  }
  const ifindex = await nameToIndex(cmd, dev);
  if (ifindex === 0) throw noDevice(dev);
  const family = isIpv4(dst) ? AF_INET : AF_INET6;
  if (nlm === null) {
    await talk(cmd.env.api.delNeigh(cmd.ctx, { family, ifindex, flags, dst }));
    return 0;
  }
  const req: Mutable<NewNeighRequest> = { nlm, family, ifindex, state, flags, dst };
  if (lladdr !== undefined) req.lladdr = lladdr;
  await talk(cmd.env.api.newNeigh(cmd.ctx, req));
  return 0;
}

/** The `to` filter of do_show_or_flush: get_prefix(), where all/any/default match everything. */
interface NeighTo {
  readonly family: number;
  readonly prefix: IpPrefix | null;
}

function neighTo(text: string, family: number): NeighTo {
  if (text === 'all' || text === 'any' || text === 'default') return { family, prefix: null };
  const p = parsePrefix(text);
  const pf = p === null ? AF_UNSPEC : isIpv4(p.addr) ? AF_INET : AF_INET6;
  if (p === null || (family !== AF_UNSPEC && pf !== family)) throw badPrefix(text, family);
  return { family: pf, prefix: p };
}

async function listNeighs(cmd: IpCmd, args: ArgCursor, flush: boolean): Promise<number> {
  // Exit 1, as iproute2 6.1 on Linux.
  if (flush && args.done) throw new IpExit(1, 'Flush requires arguments.\n');
  let ifindex: number | undefined;
  // Flush takes every state but the static ones; nud words then replace the default.
  let stateMask = flush ? ~(NUD_PERMANENT | NUD_NOARP) : 0xff & ~NUD_NOARP;
  let proxy = false;
  let to: NeighTo | undefined;
  let nudGiven = false;
  let family =
    cmd.opts.family === AF_INET || cmd.opts.family === AF_INET6 ? cmd.opts.family : AF_UNSPEC;
  while (!args.done) {
    const w = args.current ?? '';
    if (w === 'dev') {
      const v = args.next();
      const idx = await nameToIndex(cmd, v);
      if (idx === 0) throw new IpExit(1, `Cannot find device "${v}"\n`);
      ifindex = idx;
    } else if (w === 'nud') {
      const v = args.next();
      let s = nudState(v);
      if (s === null) {
        if (v !== 'all') throw invarg('nud state is bad', v);
        s = flush ? ~NUD_NOARP : ~0;
      }
      if (!nudGiven) stateMask = 0;
      stateMask |= s === 0 ? 0x100 : s;
      nudGiven = true;
    } else if (w === 'proxy') {
      proxy = true;
    } else if (matches(w, 'help')) {
      throw new IpExit(255, NEIGH_USAGE);
    } else {
      let v = w;
      if (w === 'to') v = args.next();
      to = neighTo(v, family);
      if (family === AF_UNSPEC) family = to.family;
    }
    args.skip();
  }
  if (flush) stateMask &= ~NUD_FAILED;
  const req: { family: number; ifindex?: number; proxy?: boolean } = { family };
  if (ifindex !== undefined) req.ifindex = ifindex;
  if (proxy) req.proxy = true;
  const prefix = to?.prefix ?? null;
  const select = (all: readonly NeighMsg[]): NeighMsg[] =>
    all.filter((n) => {
      if (family !== AF_UNSPEC && n.family !== family) return false;
      if (ifindex !== undefined && n.ifindex !== ifindex) return false;
      if (prefix !== null && !prefixContains(prefix, n.dst)) return false;
      if (!proxy && (n.flags & NTF_PROXY) === 0) {
        const st = n.state === 0 ? 0x100 : n.state;
        if ((st & stateMask) === 0) return false;
      }
      return true;
    });
  const links = await talk(cmd.env.api.dumpLinks(cmd.ctx));
  const names = new Map(links.map((l) => [l.ifindex, l.ifname]));
  const stats = cmd.opts.stats;
  const p = cmd.out;
  const printAll = (list: readonly NeighMsg[]): void => {
    for (const n of list) {
      p.openObject(null);
      const dev = ifindex === undefined ? (names.get(n.ifindex) ?? `if${n.ifindex}`) : null;
      printNeigh(p, n, dev, stats);
      p.closeObject();
    }
  };
  p.begin();
  if (flush) {
    // do_show_or_flush: dump, delete what matched, and again until a dump finds nothing.
    const out = (text: string): void => p.fp(text);
    for (let round = 0; round < MAX_FLUSH_ROUNDS; round++) {
      const victims = select(await talk(cmd.env.api.dumpNeighs(cmd.ctx, req)));
      if (victims.length === 0) {
        if (stats > 0) {
          out(
            round === 0
              ? 'Nothing to flush.\n'
              : `*** Flush is complete after ${round} round${round > 1 ? 's' : ''} ***\n`,
          );
        }
        p.end();
        cmd.env.stdout(p.output);
        return 0;
      }
      if (stats > 1) printAll(victims);
      for (const n of victims) {
        try {
          await cmd.env.api.delNeigh(cmd.ctx, {
            family: n.family,
            ifindex: n.ifindex,
            flags: n.flags,
            dst: n.dst,
          });
        } catch (err) {
          if (!isErrno(err)) throw err;
        }
      }
      if (stats > 0) out(`\n*** Round ${round + 1}, deleting ${victims.length} entries ***\n`);
    }
    out(`*** Flush not complete bailing out after ${MAX_FLUSH_ROUNDS} rounds\n`);
    p.end();
    cmd.env.stdout(p.output);
    return 1;
  }
  printAll(select(await talk(cmd.env.api.dumpNeighs(cmd.ctx, req))));
  p.end();
  cmd.env.stdout(p.output);
  return 0;
}

/** ipneigh.c MAX_ROUNDS. */
const MAX_FLUSH_ROUNDS = 10;

/**
 * print_neigh(): `DST dev DEV lladdr LL [router] STATE `, with `-s` the cache ages and
 * probes as iproute2 6.1 lays them out (` used A/B/C` then `probes N `, no space between).
 * `dev` null when filtered by device.
 */
export function printNeigh(p: Printer, n: NeighMsg, dev: string | null, stats = 0): void {
  p.print('any', 'dst', '%s ', formatIp(n.dst));
  if (dev !== null) p.print('any', 'dev', 'dev %s ', dev);
  if (n.lladdr !== undefined) p.print('any', 'lladdr', 'lladdr %s ', n.lladdr.toString());
  if ((n.flags & NTF_ROUTER) !== 0) p.print('any', 'router', 'router ', true);
  if ((n.flags & NTF_PROXY) !== 0) p.print('any', 'proxy', 'proxy ', true);
  if (stats > 0 && n.cacheinfo !== undefined) {
    const ci = n.cacheinfo;
    // print_cacheinfo: clock_t ticks divided by USER_HZ (100).
    if (ci.refcnt !== 0) p.print('any', 'refcnt', ' ref %s', ci.refcnt);
    p.print('any', 'used', ' used %s', Math.floor(ci.used / 100));
    p.print('any', 'confirmed', '/%s', Math.floor(ci.confirmed / 100));
    p.print('any', 'updated', '/%s', Math.floor(ci.updated / 100));
  }
  if (stats > 0 && n.probes !== undefined) p.print('any', 'probes', 'probes %s ', n.probes);
  if (n.state !== 0 || !p.json) {
    p.openArray('json', 'state');
    for (const [bit, name] of NUD_NAMES) {
      if ((n.state & bit) !== 0) p.print('any', null, '%s ', name);
    }
    p.closeArray('json', null);
  }
  p.fp('\n');
}
