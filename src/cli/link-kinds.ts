// Per-kind option parsers, printers and help, as iproute2's struct link_util
// (ip/iplink_ipvlan.c, ip/link_veth.c, ip/iplink_vlan.c, ip/iplink_bridge.c, dummy).

import type {
  IpvlanInfoDataRequest,
  LinkInfo,
  LinkInfoRequest,
  VethPeerRequest,
} from '../rtnl/messages.ts';
import {
  ETH_P_8021AD,
  ETH_P_8021Q,
  IPVLAN_F_PRIVATE,
  IPVLAN_F_VEPA,
  IPVLAN_MODE_L2,
  IPVLAN_MODE_L3,
  IPVLAN_MODE_L3S,
} from '../uapi/if.ts';
import type { ArgCursor } from './argv.ts';
import { IpExit, invarg, matches, parseUnsigned } from './argv.ts';
import type { Printer } from './print.ts';

/** ipvlan's explain() text (CLI-8). */
export function ipvlanUsage(kind: string): string {
  return (
    `Usage: ... ${kind} [ mode MODE ] [ FLAGS ]\n` +
    '\n' +
    'MODE: l3 | l3s | l2\n' +
    'FLAGS: bridge | private | vepa\n' +
    '(first values are the defaults if nothing is specified).\n'
  );
}

/**
 * ipvlan_parse_opt(): keywords by unique prefix in iproute2's order; at most one flag
 * word; FLAGS is always sent once any option was parsed (spec CLI-1..CLI-7).
 */
export function parseIpvlanOpts(kind: 'ipvlan' | 'ipvtap', args: ArgCursor): IpvlanInfoDataRequest {
  let mode: number | undefined;
  let flags = 0;
  let flagGiven = false;
  while (!args.done) {
    const word = args.current ?? '';
    if (matches(word, 'mode')) {
      const value = args.next();
      if (value === 'l2') mode = IPVLAN_MODE_L2;
      else if (value === 'l3') mode = IPVLAN_MODE_L3;
      else if (value === 'l3s') mode = IPVLAN_MODE_L3S;
      else throw new IpExit(1, 'Error: argument of "mode" must be either "l2", "l3" or "l3s"\n');
    } else if (matches(word, 'private') && !flagGiven) {
      flags |= IPVLAN_F_PRIVATE;
      flagGiven = true;
    } else if (matches(word, 'vepa') && !flagGiven) {
      flags |= IPVLAN_F_VEPA;
      flagGiven = true;
    } else if (matches(word, 'bridge') && !flagGiven) {
      flagGiven = true;
    } else if (matches(word, 'help')) {
      throw new IpExit(1, ipvlanUsage(kind));
    } else {
      throw new IpExit(1, `${kind}: unknown option "${word}"?\n${ipvlanUsage(kind)}`);
    }
    args.skip();
  }
  return mode === undefined ? { flags } : { mode, flags };
}

const VLAN_USAGE =
  'Usage: ... vlan [ protocol VLANPROTO ] id VLANID\n' +
  '                [ FLAG-LIST ]\n' +
  '                [ ingress-qos-map QOS-MAP ] [ egress-qos-map QOS-MAP ]\n' +
  '\n' +
  'VLANPROTO: [ 802.1Q | 802.1ad ]\n' +
  'VLANID := 0-4095\n' +
  'FLAG-LIST := [ FLAG-LIST ] FLAG\n' +
  'FLAG := [ reorder_hdr { on | off } ] [ gvrp { on | off } ] [ mvrp { on | off } ]\n' +
  '        [ loose_binding { on | off } ] [ bridge_binding { on | off } ]\n' +
  'QOS-MAP := [ QOS-MAP ] QOS-MAPPING\n' +
  'QOS-MAPPING := FROM:TO\n';

const VETH_USAGE =
  "Usage: ip link <options> type veth [peer <options>]\nTo get <options> type 'ip link help'\n";

/** The peer of `type veth peer [name] NAME [options]`: the generic options that apply to it. */
function parseVethPeer(args: ArgCursor): VethPeerRequest {
  let ifname: string | undefined;
  const peer: { -readonly [K in keyof VethPeerRequest]: VethPeerRequest[K] } = {};
  while (!args.done) {
    const word = args.current ?? '';
    if (word === 'name') {
      const v = args.next();
      if (ifname !== undefined)
        throw new IpExit(255, `Error: duplicate "name": "${v}" is the second value.\n`);
      ifname = v;
    } else if (word === 'mtu') {
      const v = args.next();
      const n = parseUnsigned(v, 0x7fffffff);
      if (n === null) throw invarg('Invalid "mtu" value\n', v);
      peer.mtu = n;
    } else if (matches(word, 'address')) {
      const v = args.next();
      const mac = parseMacArg(v);
      peer.address = mac;
    } else if (word === 'netns') {
      const v = args.next();
      peer.netns = { name: v };
    } else if (word === 'up') {
      peer.flags = { flags: 1, change: 1 };
    } else {
      if (word === 'dev') args.next();
      if (ifname !== undefined)
        throw new IpExit(
          255,
          `Error: either "dev" is duplicate, or "${args.current ?? ''}" is a garbage.\n`,
        );
      ifname = args.current ?? '';
    }
    args.skip();
  }
  if (ifname !== undefined) peer.ifname = ifname;
  return peer;
}

import { MacAddr } from '../wire/address.ts';

/** ll_addr_a2n(): `"ADDR" is invalid lladdr.` (exit 1 through the caller's -1). */
export function parseMacArg(text: string): MacAddr {
  const mac = MacAddr.parse(text);
  if (mac === null) throw new IpExit(1, `"${text}" is invalid lladdr.\n`);
  return mac;
}

/** Parses the options after `type KIND` into IFLA_LINKINFO, or null when the kind is unknown. */
export function parseKindOpts(kind: string, args: ArgCursor): LinkInfoRequest | null {
  switch (kind) {
    case 'ipvlan':
    case 'ipvtap':
      // CLI-3: no options, no IFLA_INFO_DATA at all.
      return args.done ? { kind } : { kind, data: parseIpvlanOpts(kind, args) };
    case 'dummy':
      if (!args.done) garbage(args);
      return { kind };
    case 'bridge':
      if (!args.done) garbage(args);
      return { kind };
    case 'veth': {
      if (args.done) return { kind };
      const word = args.current ?? '';
      if (matches(word, 'help')) throw new IpExit(255, VETH_USAGE);
      if (word !== 'peer') {
        throw new IpExit(1, `Garbage instead of arguments "${word} ...". Try "ip link help".\n`);
      }
      args.skip();
      return { kind, data: { peer: parseVethPeer(args) } };
    }
    case 'vlan':
      return { kind, data: parseVlanOpts(args) };
    default:
      return null;
  }
}

function garbage(args: ArgCursor): never {
  const word = args.current ?? '';
  if (matches(word, 'help')) throw new IpExit(255, '');
  throw new IpExit(1, `Garbage instead of arguments "${word} ...". Try "ip link help".\n`);
}

function parseVlanOpts(args: ArgCursor): { id?: number; protocol?: number } {
  const out: { id?: number; protocol?: number } = {};
  while (!args.done) {
    const word = args.current ?? '';
    if (matches(word, 'protocol')) {
      const v = args.next();
      if (v.toLowerCase() === '802.1q') out.protocol = ETH_P_8021Q;
      else if (v.toLowerCase() === '802.1ad') out.protocol = ETH_P_8021AD;
      else throw invarg('protocol is invalid', v);
    } else if (matches(word, 'id')) {
      const v = args.next();
      const id = parseUnsigned(v, 0xffff);
      if (id === null) throw invarg('id is invalid', v);
      out.id = id;
    } else if (matches(word, 'help')) {
      throw new IpExit(1, VLAN_USAGE);
    } else {
      throw new IpExit(1, `vlan: unknown command "${word}"?\n${VLAN_USAGE}`);
    }
    args.skip();
  }
  return out;
}

/** The kinds with a print_help; `ip link help KIND` prints it to stdout. */
export function kindHelp(kind: string): string | null {
  if (kind === 'ipvlan' || kind === 'ipvtap') return ipvlanUsage(kind);
  if (kind === 'vlan') return VLAN_USAGE;
  if (kind === 'veth') return VETH_USAGE;
  // A kind without its own print_help: ip/iplink.c prints the generic line (j-grammar).
  if (kind === 'dummy') return 'Usage: ... dummy\n';
  return null;
}

/** lu->print_opt(): the kind's IFLA_INFO_DATA on the `-d` line and in `info_data`. */
export function printKindData(p: Printer, info: LinkInfo): void {
  switch (info.kind) {
    case 'ipvlan':
    case 'ipvtap': {
      const m = info.data.mode;
      const mode =
        m === IPVLAN_MODE_L2
          ? 'l2'
          : m === IPVLAN_MODE_L3
            ? 'l3'
            : m === IPVLAN_MODE_L3S
              ? 'l3s'
              : 'unknown';
      p.print('any', 'mode', ' mode %s ', mode);
      const f = info.data.flags;
      if ((f & IPVLAN_F_PRIVATE) !== 0) p.print('any', 'private', 'private ', true);
      else if ((f & IPVLAN_F_VEPA) !== 0) p.print('any', 'vepa', 'vepa ', true);
      else p.print('any', 'bridge', 'bridge ', true);
      return;
    }
    case 'vlan': {
      const proto =
        info.data.protocol === ETH_P_8021AD
          ? '802.1ad'
          : info.data.protocol === ETH_P_8021Q
            ? '802.1Q'
            : `[${info.data.protocol}]`;
      p.print('any', 'protocol', 'protocol %s ', proto);
      p.print('any', 'id', 'id %s ', info.data.id);
      printVlanFlags(p, info.data.flags);
      return;
    }
    case 'bridge': {
      const d = info.data;
      p.print('any', 'forward_delay', 'forward_delay %s ', d.forwardDelay);
      p.print('any', 'hello_time', 'hello_time %s ', d.helloTime);
      p.print('any', 'max_age', 'max_age %s ', d.maxAge);
      p.print('any', 'ageing_time', 'ageing_time %s ', d.ageingTime);
      p.print('any', 'stp_state', 'stp_state %s ', d.stpState);
      p.print('any', 'priority', 'priority %s ', d.priority);
      p.print('any', 'vlan_filtering', 'vlan_filtering %s ', d.vlanFiltering);
      p.print(
        'any',
        'vlan_protocol',
        'vlan_protocol %s ',
        d.vlanProtocol === ETH_P_8021AD ? '802.1ad' : '802.1Q',
      );
      return;
    }
    case 'veth':
    case 'dummy':
      return;
  }
}

const VLAN_FLAG_NAMES: readonly (readonly [number, string])[] = [
  [0x1, 'REORDER_HDR'],
  [0x2, 'GVRP'],
  [0x4, 'LOOSE_BINDING'],
  [0x8, 'MVRP'],
  [0x10, 'BRIDGE_BINDING'],
];

function printVlanFlags(p: Printer, flags: number): void {
  p.openArray('any', p.json ? 'flags' : '<');
  let rest = flags;
  for (const [bit, name] of VLAN_FLAG_NAMES) {
    if ((rest & bit) === 0) continue;
    rest &= ~bit;
    p.print('any', null, rest !== 0 ? '%s,' : '%s', name);
  }
  p.closeArray('any', '> ');
}

/** Kinds whose `print_opt` exists: the printer opens `info_data` only for these. */
export function kindHasPrintOpt(kind: string): boolean {
  return kind === 'ipvlan' || kind === 'ipvtap' || kind === 'vlan' || kind === 'bridge';
}
