// `ip link`: add/set/change/replace/delete/show/help as ip/iplink.c parses them.

import type { LinkMsg, NetnsTarget, NewLinkRequest, RtnlContext } from '../rtnl/messages.ts';
import { IFF_NOARP, IFF_UP } from '../uapi/if.ts';
import { isErrno } from '../base/errno.ts';
import { AF_PACKET } from '../uapi/rtnetlink.ts';
import type { ArgCursor } from './argv.ts';
import { IpExit, duparg, duparg2, invarg, matches, noDevice, parseInteger } from './argv.ts';
import type { IpCmd } from './env.ts';
import { talk } from './errors.ts';
import { kindHelp, parseKindOpts, parseMacArg } from './link-kinds.ts';
import { printLinkInfo } from './link-print.ts';
import type { LinkPrintContext } from './link-print.ts';

/** iplink_usage(): `ip link help` (exit 255, stderr). */
export const LINK_USAGE =
  'Usage: ip link add [link DEV | parentdev NAME] [ name ] NAME\n' +
  '\t\t    [ txqueuelen PACKETS ]\n' +
  '\t\t    [ address LLADDR ]\n' +
  '\t\t    [ broadcast LLADDR ]\n' +
  '\t\t    [ mtu MTU ] [index IDX ]\n' +
  '\t\t    [ numtxqueues QUEUE_COUNT ]\n' +
  '\t\t    [ numrxqueues QUEUE_COUNT ]\n' +
  '\t\t    type TYPE [ ARGS ]\n' +
  '\n' +
  '\tip link delete { DEVICE | dev DEVICE | group DEVGROUP } type TYPE [ ARGS ]\n' +
  '\n' +
  '\tip link { set | change } { DEVICE | dev DEVICE | group DEVGROUP }\n' +
  '\t\t\t[ { up | down } ]\n' +
  '\t\t\t[ type TYPE ARGS ]\n' +
  '\t\t[ arp { on | off } ]\n' +
  '\t\t[ multicast { on | off } ]\n' +
  '\t\t[ allmulticast { on | off } ]\n' +
  '\t\t[ promisc { on | off } ]\n' +
  '\t\t[ txqueuelen PACKETS ]\n' +
  '\t\t[ name NEWNAME ]\n' +
  '\t\t[ address LLADDR ]\n' +
  '\t\t[ broadcast LLADDR ]\n' +
  '\t\t[ mtu MTU ]\n' +
  '\t\t[ netns { PID | NETNSNAME | NETNSFILE } ]\n' +
  '\t\t[ master DEVICE ][ vrf NAME ]\n' +
  '\t\t[ nomaster ]\n' +
  '\t\t[ addrgenmode { eui64 | none | stable_secret | random } ]\n' +
  '\n' +
  '\tip link show [ DEVICE | group GROUP ] [up] [master DEV] [vrf NAME] [type TYPE]\n' +
  '\t\t[nomaster]\n' +
  '\n' +
  '\tip link help [ TYPE ]\n' +
  '\n' +
  'TYPE := { bridge | dummy | ipvlan | ipvtap | veth | vlan }\n';

/** ll_name_to_index() through RTM_GETLINK: the ifindex, or 0 when there is no such device. */
export async function nameToIndex(
  cmd: IpCmd,
  name: string,
  ctx: RtnlContext = cmd.ctx,
): Promise<number> {
  try {
    return (await cmd.env.api.getLink(ctx, { ifname: name })).ifindex;
  } catch (err) {
    if (isErrno(err)) return 0;
    throw err;
  }
}

export async function doIpLink(cmd: IpCmd, args: ArgCursor): Promise<number> {
  if (args.done) return listLinks(cmd, args);
  const word = args.current ?? '';
  if (matches(word, 'add')) return modify(cmd, args, 'add');
  if (matches(word, 'set') || matches(word, 'change')) return modify(cmd, args, 'set');
  if (matches(word, 'replace')) return modify(cmd, args, 'replace');
  if (matches(word, 'delete')) return modify(cmd, args, 'delete');
  if (matches(word, 'show') || matches(word, 'lst') || matches(word, 'list')) {
    args.skip();
    return listLinks(cmd, args);
  }
  if (matches(word, 'help')) {
    args.skip();
    const kind = args.current;
    if (kind === undefined) throw new IpExit(255, LINK_USAGE);
    const help = kindHelp(kind);
    if (help === null) throw new IpExit(255, LINK_USAGE);
    cmd.env.stdout(help);
    return 0;
  }
  throw new IpExit(255, `Command "${word}" is unknown, try "ip link help".\n`);
}

function onOff(key: string, value: string): IpExit {
  return new IpExit(1, `Error: argument of "${key}" must be "on" or "off", not "${value}"\n`);
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** iplink_parse() + iplink_modify(). */
async function modify(
  cmd: IpCmd,
  args: ArgCursor,
  op: 'add' | 'set' | 'replace' | 'delete',
): Promise<number> {
  args.skip();
  const req: Mutable<NewLinkRequest> = {
    nlm:
      op === 'add'
        ? { create: true, excl: true }
        : op === 'replace'
          ? { create: true, replace: true }
          : {},
  };
  const create = op === 'add' || op === 'replace';
  let flags = 0;
  let change = 0;
  let name: string | undefined;
  let dev: string | undefined;
  let link: string | undefined;
  let type: string | undefined;
  let seenMtu = false;
  let seenQlen = false;
  let seenNetns = false;
  let index: number | undefined;
  while (!args.done) {
    const w = args.current ?? '';
    if (w === 'up') {
      change |= IFF_UP;
      flags |= IFF_UP;
    } else if (w === 'down') {
      change |= IFF_UP;
      flags &= ~IFF_UP;
    } else if (w === 'name') {
      const v = args.next();
      if (name !== undefined) throw duparg('name', v);
      if (!validIfname(v)) throw invarg('"name" not a valid ifname', v);
      name = v;
      dev ??= name;
    } else if (w === 'index') {
      const v = args.next();
      if (index !== undefined) throw duparg('index', v);
      const n = Number.parseInt(v, 10);
      if (!(n > 0)) throw invarg('Invalid "index" value', v);
      index = n;
    } else if (matches(w, 'link')) {
      link = args.next();
    } else if (matches(w, 'address')) {
      req.address = parseMacArg(args.next());
    } else if (matches(w, 'broadcast') || w === 'brd') {
      req.broadcast = parseMacArg(args.next());
    } else if (matches(w, 'txqueuelen') || w === 'qlen' || matches(w, 'txqlen')) {
      const v = args.next();
      if (seenQlen) throw duparg('txqueuelen', v);
      const n = parseInteger(v);
      if (n === null) throw invarg('Invalid "txqueuelen" value\n', v);
      seenQlen = true;
      req.txqlen = n;
    } else if (w === 'mtu') {
      const v = args.next();
      if (seenMtu) throw duparg('mtu', v);
      const n = parseInteger(v);
      if (n === null) throw invarg('Invalid "mtu" value\n', v);
      seenMtu = true;
      req.mtu = n;
    } else if (w === 'netns') {
      const v = args.next();
      if (seenNetns) throw duparg('netns', v);
      seenNetns = true;
      req.netns = await netnsTarget(cmd, v);
    } else if (w === 'arp' || w === 'multicast' || w === 'allmulticast' || w === 'promisc') {
      const v = args.next();
      const bit =
        w === 'arp' ? IFF_NOARP : w === 'multicast' ? 0x1000 : w === 'allmulticast' ? 0x200 : 0x100;
      change |= bit;
      const on = v === 'on';
      if (!on && v !== 'off') throw onOff(w, v);
      // `arp on` clears IFF_NOARP: the flag is inverted.
      if (w === 'arp' ? !on : on) flags |= bit;
      else flags &= ~bit;
    } else if (matches(w, 'master')) {
      const v = args.next();
      const ifindex = await nameToIndex(cmd, v);
      if (ifindex === 0) throw invarg('Device does not exist\n', v);
      req.master = ifindex;
    } else if (matches(w, 'nomaster')) {
      req.master = 0;
    } else if (matches(w, 'type')) {
      type = args.next();
      args.skip();
      break;
    } else if (w === 'group') {
      const v = args.next();
      const n = v === 'default' ? 0 : parseInteger(v);
      if (n === null) throw invarg('Invalid "group" value\n', v);
      req.group = n;
    } else if (matches(w, 'numtxqueues') || matches(w, 'numrxqueues')) {
      const v = args.next();
      const n = parseInteger(v);
      const key = matches(w, 'numtxqueues') ? 'numtxqueues' : 'numrxqueues';
      if (n === null) throw invarg(`Invalid "${key}" value\n`, v);
      if (key === 'numtxqueues') req.numTxQueues = n;
      else req.numRxQueues = n;
    } else if (matches(w, 'addrgenmode')) {
      const v = args.next();
      const modes = ['eui64', 'none', 'stable_secret', 'random'];
      const mode = modes.indexOf(v);
      if (mode < 0) throw invarg('Invalid address generation mode\n', v);
      req.addrGenMode = mode;
    } else {
      if (matches(w, 'help')) throw new IpExit(255, LINK_USAGE);
      let v = w;
      if (w === 'dev') v = args.next();
      if (dev !== name || dev !== undefined) {
        if (dev !== undefined) throw duparg2('dev', v);
      }
      if (!validIfname(v)) throw invarg('"dev" not a valid ifname', v);
      dev = v;
    }
    args.skip();
  }
  if (change !== 0) {
    req.flags = flags;
    req.change = change;
  }

  if (!create) {
    if (dev === undefined) {
      throw new IpExit(255, 'Not enough information: "dev" argument is required.\n');
    }
    const ifindex = await nameToIndex(cmd, dev);
    if (ifindex === 0) throw noDevice(dev);
    req.ifindex = ifindex;
    if (name !== undefined && name !== dev) req.ifname = name;
  } else {
    const ifname = name ?? dev;
    if (ifname !== undefined) req.ifname = ifname;
    if (index !== undefined) req.ifindex = index;
  }
  if (link !== undefined) {
    const ifindex = await nameToIndex(cmd, link);
    if (ifindex === 0) throw noDevice(link);
    req.link = ifindex;
  }

  if (type !== undefined) {
    const info = parseKindOpts(type, args);
    if (info === null) {
      if (!args.done) {
        const g = args.current ?? '';
        if (matches(g, 'help')) throw new IpExit(255, LINK_USAGE);
        throw new IpExit(1, `Garbage instead of arguments "${g} ...". Try "ip link help".\n`);
      }
      // Differs from Linux: an unknown kind goes to the API, which answers EOPNOTSUPP
      // (the kernel would try to load a module and fail the same way).
      req.linkinfo = { kind: type as 'dummy' };
    } else {
      req.linkinfo = info;
    }
  } else if (create) {
    throw new IpExit(1, 'Not enough information: "type" argument is required\n');
  }

  if (op === 'delete') {
    await talk(cmd.env.api.delLink(cmd.ctx, { ifindex: req.ifindex ?? 0 }));
    return 0;
  }
  await talk(cmd.env.api.newLink(cmd.ctx, req));
  return 0;
}

/** check_ifname(): 1..15 bytes, no '/', ':' or whitespace. */
function validIfname(name: string): boolean {
  return name.length > 0 && name.length < 16 && !/[/:\s]/.test(name);
}

async function netnsTarget(cmd: IpCmd, value: string): Promise<NetnsTarget> {
  const list = await cmd.env.api.netnsList(cmd.ctx);
  if (list.some((n) => n.name === value)) return { name: value };
  const pid = parseInteger(value);
  if (pid !== null) return { pid };
  throw invarg('Invalid "netns" value\n', value);
}

/** Everything the printer needs about the namespace, fetched once per listing. */
export async function linkContext(
  cmd: IpCmd,
  links: readonly LinkMsg[],
  doLink: boolean,
): Promise<LinkPrintContext> {
  const netns = links.some((l) => l.linkNetnsid !== undefined)
    ? await cmd.env.api.netnsList(cmd.ctx)
    : [];
  return {
    byIndex: new Map(links.map((l) => [l.ifindex, l])),
    netns,
    family: doLink ? AF_PACKET : cmd.opts.family,
    details: cmd.opts.details,
    stats: cmd.opts.stats,
    brief: cmd.opts.brief,
    doLink,
  };
}

/** The filter of `ip link show` / `ip addr show`. */
export interface LinkFilter {
  dev?: string;
  up?: boolean;
  master?: number;
  kind?: string;
}

/** Parses `[dev] NAME | up | master DEV | type KIND` shared by link and addr show. */
export async function parseLinkFilter(
  cmd: IpCmd,
  args: ArgCursor,
  extra?: (w: string) => boolean,
): Promise<LinkFilter> {
  const f: LinkFilter = {};
  while (!args.done) {
    const w = args.current ?? '';
    if (extra?.(w) === true) continue;
    if (w === 'up') f.up = true;
    else if (w === 'master') {
      const v = args.next();
      const ifindex = await nameToIndex(cmd, v);
      if (ifindex === 0) throw invarg('Device does not exist\n', v);
      f.master = ifindex;
    } else if (w === 'type') {
      f.kind = args.next();
    } else {
      let v = w;
      if (w === 'dev') v = args.next();
      else if (matches(w, 'help')) throw new IpExit(255, LINK_USAGE);
      if (f.dev !== undefined) throw duparg2('dev', v);
      f.dev = v;
    }
    args.skip();
  }
  return f;
}

export function linkMatches(l: LinkMsg, f: LinkFilter): boolean {
  if (f.up === true && (l.flags & IFF_UP) === 0) return false;
  if (f.master !== undefined && l.master !== f.master) return false;
  if (f.kind !== undefined && l.linkinfo?.kind !== f.kind) return false;
  return true;
}

async function listLinks(cmd: IpCmd, args: ArgCursor): Promise<number> {
  const f = await parseLinkFilter(cmd, args);
  let links = await talk(cmd.env.api.dumpLinks(cmd.ctx));
  if (f.dev !== undefined) {
    const dev = f.dev;
    const one = links.find((l) => l.ifname === dev);
    if (one === undefined) throw new IpExit(1, `Device "${dev}" does not exist.\n`);
    links = [one];
  }
  const lc = await linkContext(cmd, await talk(cmd.env.api.dumpLinks(cmd.ctx)), true);
  const p = cmd.out;
  p.begin();
  for (const l of links) {
    if (!linkMatches(l, f)) continue;
    p.openObject(null);
    printLinkInfo(p, l, lc);
    p.closeObject();
  }
  p.end();
  cmd.env.stdout(p.output);
  return 0;
}
