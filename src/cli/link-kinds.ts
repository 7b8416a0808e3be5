// Per-kind option parsers, printers and help, as iproute2's struct link_util
// (ip/iplink_ipvlan.c, ip/link_veth.c, ip/iplink_vlan.c, ip/iplink_bridge.c, dummy).

import type {
  BridgePortData,
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
import { MacAddr } from '../wire/address.ts';

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
      p.print('any', 'bridge_id', 'bridge_id %s ', bridgeId(d.bridgeId));
      p.print('any', 'root_id', 'designated_root %s ', bridgeId(d.rootId));
      p.print('any', 'root_port', 'root_port %s ', d.rootPort);
      p.print('any', 'root_path_cost', 'root_path_cost %s ', d.rootPathCost);
      p.print('any', 'topology_change', 'topology_change %s ', d.topologyChange);
      p.print(
        'any',
        'topology_change_detected',
        'topology_change_detected %s ',
        d.topologyChangeDetected,
      );
      printTimer(p, 'hello_timer', d.helloTimer);
      printTimer(p, 'tcn_timer', d.tcnTimer);
      printTimer(p, 'topology_change_timer', d.topologyChangeTimer);
      printTimer(p, 'gc_timer', d.gcTimer);
      p.print('any', 'vlan_default_pvid', 'vlan_default_pvid %s ', d.vlanDefaultPvid);
      p.print('any', 'vlan_stats_enabled', 'vlan_stats_enabled %s ', d.vlanStatsEnabled);
      p.print('any', 'vlan_stats_per_port', 'vlan_stats_per_port %s ', d.vlanStatsPerPort);
      p.print('any', 'group_fwd_mask', 'group_fwd_mask %s ', hex0x(d.groupFwdMask));
      p.print('any', 'group_addr', 'group_address %s ', d.groupAddr.toString());
      const u = (key: string, text: string, v: number): void =>
        p.print('any', key, `${text} %s `, v);
      u('mcast_snooping', 'mcast_snooping', d.mcastSnooping);
      u('no_linklocal_learn', 'no_linklocal_learn', d.noLinklocalLearn);
      u('mcast_vlan_snooping', 'mcast_vlan_snooping', d.mcastVlanSnooping);
      u('mcast_router', 'mcast_router', d.mcastRouter);
      u('mcast_query_use_ifaddr', 'mcast_query_use_ifaddr', d.mcastQueryUseIfaddr);
      u('mcast_querier', 'mcast_querier', d.mcastQuerier);
      u('mcast_hash_elasticity', 'mcast_hash_elasticity', d.mcastHashElasticity);
      u('mcast_hash_max', 'mcast_hash_max', d.mcastHashMax);
      u('mcast_last_member_cnt', 'mcast_last_member_count', d.mcastLastMemberCnt);
      u('mcast_startup_query_cnt', 'mcast_startup_query_count', d.mcastStartupQueryCnt);
      u('mcast_last_member_intvl', 'mcast_last_member_interval', d.mcastLastMemberIntvl);
      u('mcast_membership_intvl', 'mcast_membership_interval', d.mcastMembershipIntvl);
      u('mcast_querier_intvl', 'mcast_querier_interval', d.mcastQuerierIntvl);
      u('mcast_query_intvl', 'mcast_query_interval', d.mcastQueryIntvl);
      u('mcast_query_response_intvl', 'mcast_query_response_interval', d.mcastQueryResponseIntvl);
      u('mcast_startup_query_intvl', 'mcast_startup_query_interval', d.mcastStartupQueryIntvl);
      u('mcast_stats_enabled', 'mcast_stats_enabled', d.mcastStatsEnabled);
      u('mcast_igmp_version', 'mcast_igmp_version', d.mcastIgmpVersion);
      u('mcast_mld_version', 'mcast_mld_version', d.mcastMldVersion);
      u('nf_call_iptables', 'nf_call_iptables', d.nfCallIptables);
      u('nf_call_ip6tables', 'nf_call_ip6tables', d.nfCallIp6tables);
      u('nf_call_arptables', 'nf_call_arptables', d.nfCallArptables);
      return;
    }
    case 'veth':
    case 'dummy':
      return;
  }
}

/** br_dump_bridge_id: `PPPP.m:a:c:a:d:r` (priority in hex, MAC bytes without padding). */
function bridgeId(id: { readonly priority: number; readonly addr: MacAddr }): string {
  const prio = id.priority.toString(16).padStart(4, '0');
  return `${prio}.${[...id.addr.bytes].map((b) => b.toString(16)).join(':')}`;
}

/** print_0xhex with `%#llx`: `0` for zero, else `0x…`. */
function hex0x(v: number): string {
  return v === 0 ? '0' : `0x${v.toString(16)}`;
}

/** _bridge_print_timer: centiseconds as `%4i.%.2i` seconds; JSON as a bare number. */
function printTimer(p: Printer, key: string, centis: number): void {
  const secs = `${Math.trunc(centis / 100)}.${String(centis % 100).padStart(2, '0')}`;
  p.printNumber(key, `${key} %s `, secs, secs.padStart(7));
}

const BR_STATES = ['disabled', 'listening', 'learning', 'forwarding', 'blocking'];

/** bridge_slave_print_opt (iplink_bridge_slave.c). */
export function printBridgeSlaveData(p: Printer, d: BridgePortData): void {
  const onOff = (key: string, text: string, v: boolean): void => {
    p.print('fp', null, `${text} %s `, v ? 'on' : 'off');
    p.print('json', key, null, v);
  };
  p.print('any', 'state', 'state %s ', BR_STATES[d.state] ?? String(d.state));
  p.print('any', 'priority', 'priority %s ', d.priority);
  p.print('any', 'cost', 'cost %s ', d.cost);
  onOff('hairpin', 'hairpin', d.hairpin);
  onOff('guard', 'guard', d.guard);
  onOff('root_block', 'root_block', d.rootBlock);
  onOff('fastleave', 'fastleave', d.fastLeave);
  onOff('learning', 'learning', d.learning);
  onOff('flood', 'flood', d.flood);
  p.print('any', 'id', 'port_id %s ', hex0x(d.portId));
  p.print('any', 'no', 'port_no %s ', hex0x(d.portNo));
  p.print('any', 'designated_port', 'designated_port %s ', d.designatedPort);
  p.print('any', 'designated_cost', 'designated_cost %s ', d.designatedCost);
  p.print('any', 'bridge_id', 'designated_bridge %s ', bridgeId(d.designatedBridge));
  p.print('any', 'root_id', 'designated_root %s ', bridgeId(d.designatedRoot));
  printTimer(p, 'hold_timer', d.holdTimer);
  printTimer(p, 'message_age_timer', d.messageAgeTimer);
  printTimer(p, 'forward_delay_timer', d.forwardDelayTimer);
  p.print('any', 'topology_change_ack', 'topology_change_ack %s ', d.topologyChangeAck);
  p.print('any', 'config_pending', 'config_pending %s ', d.configPending);
  onOff('proxy_arp', 'proxy_arp', d.proxyArp);
  onOff('proxy_arp_wifi', 'proxy_arp_wifi', d.proxyArpWifi);
  p.print('any', 'multicast_router', 'mcast_router %s ', d.multicastRouter);
  // IFLA_BRPORT_FAST_LEAVE again, text only (its JSON key was printed as `fastleave`).
  p.print('fp', null, 'mcast_fast_leave %s ', d.fastLeave ? 'on' : 'off');
  onOff('mcast_flood', 'mcast_flood', d.mcastFlood);
  onOff('bcast_flood', 'bcast_flood', d.bcastFlood);
  onOff('mcast_to_unicast', 'mcast_to_unicast', d.mcastToUnicast);
  onOff('neigh_suppress', 'neigh_suppress', d.neighSuppress);
  p.print('any', 'group_fwd_mask', 'group_fwd_mask %s ', hex0x(d.groupFwdMask));
  p.print('any', 'group_fwd_mask_str', 'group_fwd_mask_str %s ', fwdMaskStr(d.groupFwdMask));
  onOff('vlan_tunnel', 'vlan_tunnel', d.vlanTunnel);
  onOff('isolated', 'isolated', d.isolated);
  onOff('locked', 'locked', d.locked);
}

/** _bitmask2str over fwd_mask_tbl: bit 0 is `stp`, 2 `802.3ad`, 14 `lldp`, others hex. */
function fwdMaskStr(mask: number): string {
  const names: Record<number, string> = { 0: 'stp', 2: '802.3ad', 14: 'lldp' };
  const parts: string[] = [];
  for (let i = 0; i < 16; i++)
    if ((mask & (1 << i)) !== 0) parts.push(names[i] ?? `0x${(1 << i).toString(16)}`);
  return parts.length === 0 ? '0x0' : parts.join(',');
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
