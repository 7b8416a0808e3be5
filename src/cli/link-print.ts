// Printing one device as ip/ipaddress.c print_linkinfo() does, for `ip link show` and
// the header of each device in `ip addr show`: text, -d, -s/-s -s, -br, -o and JSON.

import type { LinkMsg, LinkStats64, NetnsEntry } from '../rtnl/messages.ts';
import {
  ARPHRD_ETHER,
  ARPHRD_LOOPBACK,
  ARPHRD_NONE,
  ARPHRD_VOID,
  IFF_POINTOPOINT,
  IFF_RUNNING,
  IFF_UP,
  IN6_ADDR_GEN_MODE_EUI64,
  IN6_ADDR_GEN_MODE_NONE,
  IN6_ADDR_GEN_MODE_RANDOM,
  IN6_ADDR_GEN_MODE_STABLE_PRIVACY,
} from '../uapi/if.ts';
import { AF_PACKET } from '../uapi/rtnetlink.ts';
import { kindHasPrintOpt, printBridgeSlaveData, printKindData } from './link-kinds.ts';
import type { Printer } from './print.ts';

/** What the printer needs beyond the message: the namespace's other devices and options. */
export interface LinkPrintContext {
  /** Devices of the same namespace by ifindex (for `NAME@LOWER`, M-DOWN and `master`). */
  readonly byIndex: ReadonlyMap<number, LinkMsg>;
  /** Named namespaces with their nsid here, for ` link-netns NAME`. */
  readonly netns: readonly NetnsEntry[];
  readonly family: number;
  readonly details: number;
  readonly stats: number;
  readonly brief: boolean;
  /** True for `ip link`, false for the device header of `ip addr`. */
  readonly doLink: boolean;
  /**
   * Links from an AF_INET6 RTM_GETLINK dump (`ip -6 addr`): inet6_fill_ifinfo carries only
   * name, address, MTU, IFLA_LINK (without IFLA_LINK_NETNSID), operstate and protinfo, so
   * no qdisc, master, group or statistics, and a lower index is resolved here.
   */
  readonly inet6?: boolean;
}

const FLAG_ORDER: readonly (readonly [number, string])[] = [
  [0x8, 'LOOPBACK'],
  [0x2, 'BROADCAST'],
  [0x10, 'POINTOPOINT'],
  [0x1000, 'MULTICAST'],
  [0x80, 'NOARP'],
  [0x200, 'ALLMULTI'],
  [0x100, 'PROMISC'],
  [0x400, 'MASTER'],
  [0x800, 'SLAVE'],
  [0x4, 'DEBUG'],
  [0x8000, 'DYNAMIC'],
  [0x4000, 'AUTOMEDIA'],
  [0x2000, 'PORTSEL'],
  [0x20, 'NOTRAILERS'],
  [0x1, 'UP'],
  [0x10000, 'LOWER_UP'],
  [0x20000, 'DORMANT'],
  [0x40000, 'ECHO'],
];

/** print_link_flags(): `<A,B,C> ` or `"flags":[...]`. */
export function printLinkFlags(p: Printer, ifFlags: number, mdown: boolean): void {
  p.openArray('any', p.json ? 'flags' : '<');
  let flags = ifFlags >>> 0;
  if ((flags & IFF_UP) !== 0 && (flags & IFF_RUNNING) === 0) {
    p.print('any', null, flags !== 0 ? '%s,' : '%s', 'NO-CARRIER');
  }
  flags &= ~IFF_RUNNING;
  for (const [bit, name] of FLAG_ORDER) {
    if ((flags & bit) === 0) continue;
    flags &= ~bit;
    p.print('any', null, flags !== 0 ? '%s,' : '%s', name);
  }
  if (flags !== 0) p.print('any', null, '%s', flags.toString(16));
  if (mdown) p.print('any', null, ',%s', 'M-DOWN');
  p.closeArray('any', '> ');
}

const OPER_STATES = ['UNKNOWN', 'NOTPRESENT', 'DOWN', 'LOWERLAYERDOWN', 'TESTING', 'DORMANT', 'UP'];

function printOperstate(p: Printer, state: number, brief: boolean): void {
  const name = OPER_STATES[state];
  if (name === undefined) {
    if (p.json) p.print('json', 'operstate_index', null, state);
    else p.fp(`state 0x${state.toString(16)} `);
  } else if (brief) {
    p.print('any', 'operstate', '%s', name.padEnd(14) + ' ');
    // print_color_string(..., "%-14s ") pads only the text form.
  } else if (p.json) {
    p.print('json', 'operstate', null, name);
  } else {
    p.fp(`state ${name} `);
  }
}

/** ll_type_n2a(). */
export function linkTypeName(type: number): string {
  switch (type) {
    case ARPHRD_ETHER:
      return 'ether';
    case ARPHRD_LOOPBACK:
      return 'loopback';
    case ARPHRD_NONE:
      return 'none';
    case ARPHRD_VOID:
      return 'void';
    default:
      return `[${type}]`;
  }
}

/** print_name_and_link(): prints `NAME@LOWER` (or JSON link/link_index) and returns M-DOWN. */
function printNameAndLink(
  p: Printer,
  fmt: (name: string) => string,
  link: LinkMsg,
  lc: LinkPrintContext,
): boolean {
  let name = link.ifname;
  let mdown = false;
  if (link.link !== undefined) {
    const iflink = link.link;
    let lower: string | null = null;
    if (iflink !== 0) {
      if (link.linkNetnsid !== undefined && lc.inet6 !== true) {
        if (p.json) p.print('json', 'link_index', null, iflink);
        else lower = `if${iflink}`;
      } else {
        const dev = lc.byIndex.get(iflink);
        const lowerName = dev?.ifname ?? `if${iflink}`;
        if (p.json) p.print('json', 'link', null, lowerName);
        else lower = lowerName;
        mdown = dev !== undefined && (dev.flags & IFF_UP) === 0;
      }
    } else if (p.json) {
      p.printNull('json', 'link', null, '');
    } else {
      lower = 'NONE';
    }
    if (lower !== null) name = `${name}@${lower}`;
  }
  if (p.json) p.print('any', 'ifname', null, link.ifname);
  else p.fp(fmt(name));
  return mdown;
}

/** The device part of `ip link show`/`ip addr show`; returns false when filtered out. */
export function printLinkInfo(p: Printer, link: LinkMsg, lc: LinkPrintContext): void {
  if (lc.brief) {
    printLinkBrief(p, link, lc);
    return;
  }
  p.print('any', 'ifindex', '%s: ', link.ifindex);
  const mdown = printNameAndLink(p, (n) => `${n}: `, link, lc);
  printLinkFlags(p, link.flags, mdown);
  p.print('any', 'mtu', 'mtu %s ', link.mtu);
  const full = lc.inet6 !== true;
  if (full && link.qdisc !== undefined) p.print('any', 'qdisc', 'qdisc %s ', link.qdisc);
  if (full && link.master !== undefined) {
    p.print(
      'any',
      'master',
      'master %s ',
      lc.byIndex.get(link.master)?.ifname ?? `if${link.master}`,
    );
  }
  printOperstate(p, link.operstate, false);
  if (lc.doLink) {
    if (link.linkmode === 0 || link.linkmode === 1) {
      p.print('any', 'linkmode', 'mode %s ', link.linkmode === 0 ? 'DEFAULT' : 'DORMANT');
    } else {
      p.print('any', 'linkmode_index', 'mode %s ', link.linkmode);
    }
  }
  if (full) {
    p.print('any', 'group', 'group %s ', link.group === 0 ? 'default' : String(link.group));
  }
  // print_queuelen falls back to SIOCGIFTXQLEN when the message has no IFLA_TXQLEN.
  if (link.txqlen !== 0) p.print('any', 'txqlen', 'qlen %s', link.txqlen);

  if (lc.family === 0 || lc.family === AF_PACKET || lc.details > 0) {
    p.fp(p.sl);
    p.print('any', 'link_type', '    link/%s ', linkTypeName(link.type));
    if (link.address !== undefined) p.print('any', 'address', '%s', link.address.toString());
    if (full && link.broadcast !== undefined) {
      if ((link.flags & IFF_POINTOPOINT) !== 0) {
        p.fp(' peer ');
        p.print('json', 'link_pointtopoint', null, true);
      } else {
        p.fp(' brd ');
      }
      p.print('any', 'broadcast', '%s', link.broadcast.toString());
    }
    if (
      full &&
      link.permAddress !== undefined &&
      (link.address === undefined || !link.permAddress.equals(link.address))
    ) {
      p.print('any', 'permaddr', ' permaddr %s', link.permAddress.toString());
    }
  }

  if (full && link.linkNetnsid !== undefined) {
    const id = link.linkNetnsid;
    if (p.json) p.print('json', 'link_netnsid', null, id);
    else if (id >= 0) {
      const named = lc.netns.find((n) => n.nsid === id);
      p.fp(named !== undefined ? ` link-netns ${named.name}` : ` link-netnsid ${id}`);
    } else p.fp(' link-netnsid unknown');
  }

  if (full && lc.details > 0) {
    p.print('any', 'promiscuity', ' promiscuity %s ', link.promiscuity);
    p.print('any', 'allmulti', ' allmulti %s ', link.allmulti);
    p.print('any', 'min_mtu', 'minmtu %s ', link.minMtu);
    p.print('any', 'max_mtu', 'maxmtu %s ', link.maxMtu);
    if (link.linkinfo !== undefined) {
      const info = link.linkinfo;
      p.openObject('linkinfo');
      p.fp(p.sl);
      p.print('any', 'info_kind', '    %s ', info.kind);
      if (kindHasPrintOpt(info.kind)) {
        p.openObject('info_data');
        printKindData(p, info);
        p.closeObject();
      }
      if (info.slave !== undefined) {
        p.fp(p.sl);
        p.print('any', 'info_slave_kind', '    %s_slave ', info.slave.kind);
        p.openObject('info_slave_data');
        printBridgeSlaveData(p, info.slave.data);
        p.closeObject();
      }
      p.closeObject();
    }
    if (lc.doLink && link.addrGenMode !== undefined) {
      p.print('any', 'inet6_addr_gen_mode', 'addrgenmode %s ', addrGenModeName(link.addrGenMode));
    }
    p.print('any', 'num_tx_queues', 'numtxqueues %s ', link.numTxQueues);
    p.print('any', 'num_rx_queues', 'numrxqueues %s ', link.numRxQueues);
    p.print('any', 'gso_max_size', 'gso_max_size %s ', link.gsoMaxSize);
    p.print('any', 'gso_max_segs', 'gso_max_segs %s ', link.gsoMaxSegs);
    p.print('any', 'tso_max_size', 'tso_max_size %s ', link.tsoMaxSize);
    p.print('any', 'tso_max_segs', 'tso_max_segs %s ', link.tsoMaxSegs);
    p.print('any', 'gro_max_size', 'gro_max_size %s ', link.groMaxSize);
  }

  if (lc.doLink && lc.stats > 0) {
    p.fp(p.sl);
    printStats64(p, link.stats64, link.carrierChanges, lc.stats);
  }
  p.fp('\n');
}

function addrGenModeName(mode: number): string {
  switch (mode) {
    case IN6_ADDR_GEN_MODE_EUI64:
      return 'eui64';
    case IN6_ADDR_GEN_MODE_NONE:
      return 'none';
    case IN6_ADDR_GEN_MODE_STABLE_PRIVACY:
      return 'stable_secret';
    case IN6_ADDR_GEN_MODE_RANDOM:
      return 'random';
    default:
      return `0x${mode.toString(16).padStart(2, '0')}`;
  }
}

/** print_linkinfo_brief(): `NAME@LOWER        STATE          ADDR <FLAGS> `. */
function printLinkBrief(p: Printer, link: LinkMsg, lc: LinkPrintContext): void {
  const mdown = printNameAndLink(p, (n) => n.padEnd(16) + ' ', link, lc);
  if (p.json) p.print('json', 'operstate', null, OPER_STATES[link.operstate] ?? 'UNKNOWN');
  else printOperstate(p, link.operstate, true);
  if (lc.family === AF_PACKET) {
    if (link.address !== undefined) p.print('any', 'address', '%s ', link.address.toString());
    printLinkFlags(p, link.flags, mdown);
    p.fp('\n');
  }
}

/** size_columns(): widen each column to the longest number it will hold. */
function sizeColumns(cols: number[], values: readonly number[]): void {
  values.forEach((v, i) => {
    const len = String(v).length;
    if (len > (cols[i] ?? 0)) cols[i] = len;
  });
}

function num(width: number, value: number): string {
  return String(value).padStart(width) + ' ';
}

/** print_stats64(): the RX/TX blocks of `-s` and the error blocks of `-s -s`. */
export function printStats64(
  p: Printer,
  s: LinkStats64,
  carrierChanges: number | undefined,
  level: number,
): void {
  if (p.json) {
    p.openObject('stats64');
    p.openObject('rx');
    p.print('json', 'bytes', null, s.rxBytes);
    p.print('json', 'packets', null, s.rxPackets);
    p.print('json', 'errors', null, s.rxErrors);
    p.print('json', 'dropped', null, s.rxDropped);
    p.print('json', 'over_errors', null, s.rxOverErrors);
    p.print('json', 'multicast', null, s.multicast);
    if (s.rxCompressed !== 0) p.print('json', 'compressed', null, s.rxCompressed);
    if (level > 1) {
      p.print('json', 'length_errors', null, s.rxLengthErrors);
      p.print('json', 'crc_errors', null, s.rxCrcErrors);
      p.print('json', 'frame_errors', null, s.rxFrameErrors);
      p.print('json', 'fifo_errors', null, s.rxFifoErrors);
      p.print('json', 'missed_errors', null, s.rxMissedErrors);
      if (s.rxNohandler !== 0) p.print('json', 'nohandler', null, s.rxNohandler);
      if (s.rxOtherhostDropped !== 0) p.print('json', 'otherhost', null, s.rxOtherhostDropped);
    }
    p.closeObject();
    p.openObject('tx');
    p.print('json', 'bytes', null, s.txBytes);
    p.print('json', 'packets', null, s.txPackets);
    p.print('json', 'errors', null, s.txErrors);
    p.print('json', 'dropped', null, s.txDropped);
    p.print('json', 'carrier_errors', null, s.txCarrierErrors);
    p.print('json', 'collisions', null, s.collisions);
    if (s.txCompressed !== 0) p.print('json', 'compressed', null, s.txCompressed);
    if (level > 1) {
      p.print('json', 'aborted_errors', null, s.txAbortedErrors);
      p.print('json', 'fifo_errors', null, s.txFifoErrors);
      p.print('json', 'window_errors', null, s.txWindowErrors);
      p.print('json', 'heartbeat_errors', null, s.txHeartbeatErrors);
      if (carrierChanges !== undefined) p.print('json', 'carrier_changes', null, carrierChanges);
    }
    p.closeObject();
    p.closeObject();
    return;
  }
  const cols = [10, 7, 6, 7, 7, 7, 10, 9];
  sizeColumns(cols, [
    s.rxBytes,
    s.rxPackets,
    s.rxErrors,
    s.rxDropped,
    s.rxMissedErrors,
    s.multicast,
    s.rxCompressed,
  ]);
  sizeColumns(cols, [
    s.txBytes,
    s.txPackets,
    s.txErrors,
    s.txDropped,
    s.txCarrierErrors,
    s.collisions,
    s.txCompressed,
  ]);
  if (level > 1) {
    sizeColumns(cols, [
      0,
      0,
      s.rxLengthErrors,
      s.rxCrcErrors,
      s.rxFrameErrors,
      s.rxFifoErrors,
      s.rxOverErrors,
      s.rxNohandler,
      s.rxOtherhostDropped,
    ]);
    sizeColumns(cols, [
      0,
      0,
      s.txAbortedErrors,
      s.txFifoErrors,
      s.txWindowErrors,
      s.txHeartbeatErrors,
      carrierChanges ?? 0,
    ]);
  }
  const c = (i: number): number => cols[i] ?? 0;
  const sl = p.sl;
  let t = '';
  t += `    RX: ${'bytes'.padStart(c(0) - 4)} ${'packets'.padStart(c(1))} ${'errors'.padStart(c(2))} ${'dropped'.padStart(c(3))} ${'missed'.padStart(c(4))} ${'mcast'.padStart(c(5))} ${(s.rxCompressed !== 0 ? 'compressed' : '').padStart(c(6))}${sl}`;
  t +=
    '    ' +
    num(c(0), s.rxBytes) +
    num(c(1), s.rxPackets) +
    num(c(2), s.rxErrors) +
    num(c(3), s.rxDropped) +
    num(c(4), s.rxMissedErrors) +
    num(c(5), s.multicast);
  if (s.rxCompressed !== 0) t += num(c(6), s.rxCompressed);
  if (level > 1) {
    t += sl;
    t += `    RX errors:${''.padStart(c(0) - 10)} ${'length'.padStart(c(1))} ${'crc'.padStart(c(2))} ${'frame'.padStart(c(3))} ${'fifo'.padStart(c(4))} ${'overrun'.padStart(c(5))}${s.rxNohandler !== 0 ? ' ' + 'nohandler'.padStart(c(6)) : ''}${s.rxOtherhostDropped !== 0 ? ' ' + 'otherhost'.padStart(c(7)) : ''}${sl}`;
    t +=
      ''.padStart(c(0) + 5) +
      num(c(1), s.rxLengthErrors) +
      num(c(2), s.rxCrcErrors) +
      num(c(3), s.rxFrameErrors) +
      num(c(4), s.rxFifoErrors) +
      num(c(5), s.rxOverErrors);
    if (s.rxNohandler !== 0) t += num(c(6), s.rxNohandler);
    if (s.rxOtherhostDropped !== 0) t += num(c(7), s.rxOtherhostDropped);
  }
  t += sl;
  t += `    TX: ${'bytes'.padStart(c(0) - 4)} ${'packets'.padStart(c(1))} ${'errors'.padStart(c(2))} ${'dropped'.padStart(c(3))} ${'carrier'.padStart(c(4))} ${'collsns'.padStart(c(5))} ${(s.txCompressed !== 0 ? 'compressed' : '').padStart(c(6))}${sl}`;
  t +=
    '    ' +
    num(c(0), s.txBytes) +
    num(c(1), s.txPackets) +
    num(c(2), s.txErrors) +
    num(c(3), s.txDropped) +
    num(c(4), s.txCarrierErrors) +
    num(c(5), s.collisions);
  if (s.txCompressed !== 0) t += num(c(6), s.txCompressed);
  if (level > 1) {
    t += sl;
    t += `    TX errors:${''.padStart(c(0) - 10)} ${'aborted'.padStart(c(1))} ${'fifo'.padStart(c(2))} ${'window'.padStart(c(3))} ${'heartbt'.padStart(c(4))}${carrierChanges !== undefined ? ' ' + 'transns'.padStart(c(5)) : ''}${sl}`;
    t +=
      ''.padStart(c(0) + 5) +
      num(c(1), s.txAbortedErrors) +
      num(c(2), s.txFifoErrors) +
      num(c(3), s.txWindowErrors) +
      num(c(4), s.txHeartbeatErrors);
    if (carrierChanges !== undefined) t += num(c(5), carrierChanges);
  }
  p.fp(t);
}
