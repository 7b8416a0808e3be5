// IPv4 interface addresses (Linux: net/ipv4/devinet.c, the in_device of each device)
// and the kernel routes they create (net/ipv4/fib_frontend.c fib_add_ifaddr /
// fib_del_ifaddr / fib_netdev_event).
//
// Contract for upper drivers (ipvlan uses exactly this):
// - `addAddress` checks for a duplicate (EEXIST) and the subnet rules, then asks every
//   function on `kernel.inetaddrValidatorChain` BEFORE anything changes; a validator
//   that throws an ErrnoError aborts the add with that error and leaves no trace.
// - After an address is added the kernel routes are installed and then every function
//   on `kernel.inetaddrChain` gets {type: 'NETDEV_UP', dev, addr, prefixLen}; after one
//   is removed (delAddress, removal of its primary, device unregister, or a move to
//   another namespace, which Linux treats as unregister) they get 'NETDEV_DOWN'. `addr`
//   is the ifa_address both chains carry: the local address, or the peer when one was
//   given (`ip addr add L peer P`), which is what ipvlan registers (ADDR-2).
// - Addresses survive a device going down (only the non-local routes go, as in Linux).
//
// Order of `ip addr` (ifa_list): primaries sorted by scope as __inet_insert_ifa puts
// them (a new primary goes after the last primary whose scope is not narrower), then
// secondaries in the order they were added.

import { ErrnoError } from '../base/errno.ts';
import {
  MacAddr,
  formatIpv4,
  ipv4,
  ipv4Mask,
  ipv4IsMulticast,
  type Ipv4Addr,
} from '../wire/address.ts';
import { IFF_LOOPBACK } from '../uapi/if.ts';
import {
  RTN_BROADCAST,
  RTN_LOCAL,
  RTN_UNICAST,
  RTPROT_KERNEL,
  RT_SCOPE_HOST,
  RT_SCOPE_LINK,
  RT_SCOPE_NOWHERE,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_LOCAL,
  RT_TABLE_MAIN,
} from '../uapi/rtnetlink.ts';
import type { Kernel, NetdevEvent } from './kernel.ts';
import type { NetDevice } from './netdev.ts';
import type { NetNamespace } from './netns.ts';
import { fibOf, type Route } from './route.ts';

/** ifa_flags (include/uapi/linux/if_addr.h). */
export const IFA_F_SECONDARY = 0x01;
export const IFA_F_NODAD = 0x02;
export const IFA_F_OPTIMISTIC = 0x04;
export const IFA_F_DADFAILED = 0x08;
export const IFA_F_HOMEADDRESS = 0x10;
export const IFA_F_DEPRECATED = 0x20;
export const IFA_F_TENTATIVE = 0x40;
export const IFA_F_PERMANENT = 0x80;
export const IFA_F_NOPREFIXROUTE = 0x200;

/** The "forever" lifetime in seconds (INFINITY_LIFE_TIME). */
export const INFINITY_LIFE_TIME = 0xffffffff;

/** One IPv4 address of a device (Linux: struct in_ifaddr). */
export interface InIfaddr {
  readonly dev: NetDevice;
  readonly local: Ipv4Addr;
  /** The peer on point-to-point links; equal to `local` otherwise. */
  readonly address: Ipv4Addr;
  readonly prefixLen: number;
  /** 0 when not set (`brd` absent), as Linux stores it. */
  readonly broadcast: Ipv4Addr;
  readonly scope: number;
  flags: number;
  readonly label: string;
  /** Metric of the prefix route (ifa_rt_priority). */
  readonly rtPriority: number;
  validLft: number;
  preferredLft: number;
  /** Creation and update times (virtual ns). */
  readonly cstamp: number;
  tstamp: number;
}

/** Per-device IPv4 state (Linux: struct in_device). */
export class InDevice {
  readonly dev: NetDevice;
  /** Addresses in ifa_list order. */
  readonly addrs: InIfaddr[] = [];
  /** Joined multicast groups with user counts (ip_mc_list); 224.0.0.1 while up. */
  readonly mcGroups = new Map<number, number>();

  constructor(dev: NetDevice) {
    this.dev = dev;
  }

  get primaries(): InIfaddr[] {
    return this.addrs.filter((a) => (a.flags & IFA_F_SECONDARY) === 0);
  }
}

/** The device's IPv4 state, or undefined when it has none (MTU below 68, unregistered). */
export function inDevGet(dev: NetDevice): InDevice | undefined {
  return dev.proto.get('inet') as InDevice | undefined;
}

function inDevRequire(dev: NetDevice): InDevice {
  const idev = inDevGet(dev);
  if (idev === undefined) throw new ErrnoError('ENOBUFS');
  return idev;
}

/** True when `addr` lies in the subnet of `ifa` (inet_ifa_match). */
export function inetIfaMatch(addr: number, ifa: InIfaddr): boolean {
  const mask = ipv4Mask(ifa.prefixLen);
  return ((addr ^ ifa.address) & mask) === 0;
}

/** What `ip addr add` asks for (shaped like NewAddrRequest for AF_INET). */
export interface InetAddrConfig {
  readonly local: Ipv4Addr;
  readonly prefixLen: number;
  /** Peer address on point-to-point links; defaults to `local`. */
  readonly address?: Ipv4Addr;
  readonly broadcast?: Ipv4Addr;
  readonly scope?: number;
  readonly label?: string;
  readonly flags?: number;
  readonly metric?: number;
  readonly validLft?: number;
  readonly preferredLft?: number;
}

/**
 * `ip addr add` for IPv4 (inet_rtm_newaddr → __inet_insert_ifa). Throws EEXIST for the
 * same address and prefix, EINVAL for a bad prefix or a scope that conflicts with the
 * subnet's primary, or the validator's error.
 */
export function addAddress(dev: NetDevice, cfg: InetAddrConfig, replace = false): InIfaddr {
  if (cfg.prefixLen < 0 || cfg.prefixLen > 32) throw new ErrnoError('EINVAL');
  const idev = inDevRequire(dev);
  const address = cfg.address ?? cfg.local;
  const label = cfg.label ?? dev.name;
  if (label !== dev.name && !label.startsWith(`${dev.name}:`))
    throw new ErrnoError('EINVAL', 'Label must begin with the device name');
  const now = dev.netns.kernel.now;
  const ifa: InIfaddr = {
    dev,
    local: cfg.local,
    address,
    prefixLen: cfg.prefixLen,
    broadcast: cfg.broadcast ?? ipv4(0),
    scope: cfg.scope ?? RT_SCOPE_UNIVERSE,
    flags: (cfg.flags ?? 0) & ~IFA_F_SECONDARY,
    label,
    rtPriority: cfg.metric ?? 0,
    validLft: cfg.validLft ?? INFINITY_LIFE_TIME,
    preferredLft: cfg.preferredLft ?? INFINITY_LIFE_TIME,
    cstamp: now,
    tstamp: now,
  };
  if (ifa.validLft === INFINITY_LIFE_TIME) ifa.flags |= IFA_F_PERMANENT;
  // find_matching_ifa: an exact match is EEXIST unless NLM_F_REPLACE.
  const existing = idev.addrs.find(
    (a) => a.prefixLen === ifa.prefixLen && a.address === ifa.address && a.local === ifa.local,
  );
  if (existing !== undefined) {
    if (!replace) throw new ErrnoError('EEXIST');
    existing.validLft = ifa.validLft;
    existing.preferredLft = ifa.preferredLft;
    existing.tstamp = now;
    return existing;
  }
  let lastPrimary = 0;
  for (let i = 0; i < idev.addrs.length; i++) {
    const a = idev.addrs[i] as InIfaddr;
    if ((a.flags & IFA_F_SECONDARY) === 0 && ifa.scope <= a.scope) lastPrimary = i + 1;
    if (a.prefixLen === ifa.prefixLen && inetIfaMatch(a.address, ifa)) {
      if (a.local === ifa.local) throw new ErrnoError('EEXIST');
      if (a.scope !== ifa.scope) throw new ErrnoError('EINVAL');
      ifa.flags |= IFA_F_SECONDARY;
    }
  }
  const kernel = dev.netns.kernel;
  // inetaddr_validator_chain runs before anything changes; a veto leaves no trace. Like
  // the notifier below it sees ifa_address: the peer of `ip addr add L peer P` (ADDR-2).
  for (const fn of [...kernel.inetaddrValidatorChain]) fn({ dev, addr: ifa.address });
  if ((ifa.flags & IFA_F_SECONDARY) !== 0) idev.addrs.push(ifa);
  else idev.addrs.splice(lastPrimary, 0, ifa);
  fibAddIfaddr(ifa);
  kernel.trace(null, dev, 'addr', `add ${formatIpv4(ifa.local)}/${ifa.prefixLen}`);
  notifyAddr(kernel, 'NETDEV_UP', ifa);
  return ifa;
}

function notifyAddr(kernel: Kernel, type: 'NETDEV_UP' | 'NETDEV_DOWN', ifa: InIfaddr): void {
  for (const fn of [...kernel.inetaddrChain])
    fn({ type, dev: ifa.dev, addr: ifa.address, prefixLen: ifa.prefixLen });
}

/** What `ip addr del` matches on (RTM_DELADDR: every field given must match). */
export interface InetAddrFilter {
  readonly local?: Ipv4Addr;
  /** With `prefixLen`: the address/peer and its subnet must match. */
  readonly address?: Ipv4Addr;
  readonly prefixLen?: number;
  readonly label?: string;
}

/** `ip addr del` for IPv4 (inet_rtm_deladdr): EADDRNOTAVAIL when nothing matches. */
export function delAddress(dev: NetDevice, filter: InetAddrFilter): InIfaddr {
  const idev = inDevGet(dev);
  if (idev === undefined) throw new ErrnoError('ENODEV');
  const ifa = idev.addrs.find((a) => {
    if (filter.local !== undefined && a.local !== filter.local) return false;
    if (filter.label !== undefined && a.label !== filter.label) return false;
    if (
      filter.address !== undefined &&
      (filter.prefixLen !== a.prefixLen || !inetIfaMatch(filter.address, a))
    )
      return false;
    return true;
  });
  if (ifa === undefined) throw new ErrnoError('EADDRNOTAVAIL');
  inetDelIfa(idev, ifa);
  return ifa;
}

/**
 * Linux: __inet_del_ifa. Deleting a primary also deletes its secondaries unless
 * promote_secondaries is set, in which case the first secondary becomes primary.
 */
function inetDelIfa(idev: InDevice, ifa: InIfaddr): void {
  const kernel = idev.dev.netns.kernel;
  const removed: InIfaddr[] = [];
  if ((ifa.flags & IFA_F_SECONDARY) === 0) {
    const promote = promoteSecondaries(idev.dev);
    let promoted = false;
    for (const a of [...idev.addrs]) {
      if (a === ifa || (a.flags & IFA_F_SECONDARY) === 0) continue;
      if (a.prefixLen !== ifa.prefixLen || !inetIfaMatch(a.address, ifa)) continue;
      if (promote && !promoted) {
        a.flags &= ~IFA_F_SECONDARY;
        promoted = true;
        continue;
      }
      if (!promote) {
        idev.addrs.splice(idev.addrs.indexOf(a), 1);
        removed.push(a);
      }
    }
  }
  idev.addrs.splice(idev.addrs.indexOf(ifa), 1);
  // Secondaries go first, as Linux sends their RTM_DELADDR before the primary's.
  for (const a of removed) {
    kernel.trace(null, idev.dev, 'addr', `del ${formatIpv4(a.local)}/${a.prefixLen}`);
    notifyAddr(kernel, 'NETDEV_DOWN', a);
  }
  kernel.trace(null, idev.dev, 'addr', `del ${formatIpv4(ifa.local)}/${ifa.prefixLen}`);
  notifyAddr(kernel, 'NETDEV_DOWN', ifa);
  fibResync(idev.dev);
}

function promoteSecondaries(dev: NetDevice): boolean {
  const s = dev.netns.sysctl;
  return (
    s.get(`net.ipv4.conf.${dev.name}.promote_secondaries`) === '1' ||
    s.get('net.ipv4.conf.all.promote_secondaries') === '1'
  );
}

/** The addresses of `dev` in `ip addr` order (empty when it has no IPv4 state). */
export function listAddresses(dev: NetDevice): readonly InIfaddr[] {
  return inDevGet(dev)?.addrs ?? [];
}

/** Every IPv4 address of the namespace, devices in ifindex order. */
export function listNsAddresses(ns: NetNamespace): InIfaddr[] {
  const out: InIfaddr[] = [];
  for (const dev of ns.devices) out.push(...listAddresses(dev));
  return out;
}

/** The device in `ns` that has `addr` configured (Linux: __ip_dev_find), or undefined. */
export function ipDevFind(ns: NetNamespace, addr: Ipv4Addr): NetDevice | undefined {
  for (const dev of ns.devices) {
    if (listAddresses(dev).some((a) => a.local === addr)) return dev;
  }
  return undefined;
}

/**
 * Linux: inet_select_addr. A primary address of `dev` with scope at most `scope`,
 * preferring one in the same subnet as `dst`; else such an address of another device
 * in the namespace (not link scope). Returns 0 when there is none.
 */
export function inetSelectAddr(dev: NetDevice, dst: number, scope: number): Ipv4Addr {
  let fallback = 0;
  for (const a of inDevGet(dev)?.addrs ?? []) {
    if ((a.flags & IFA_F_SECONDARY) !== 0 || a.scope > scope) continue;
    if (dst === 0 || inetIfaMatch(dst, a)) return a.local;
    if (fallback === 0) fallback = a.local;
  }
  if (fallback !== 0) return ipv4(fallback);
  for (const other of dev.netns.devices) {
    for (const a of inDevGet(other)?.addrs ?? []) {
      if ((a.flags & IFA_F_SECONDARY) !== 0) continue;
      if (a.scope !== RT_SCOPE_LINK && a.scope <= scope) return a.local;
    }
  }
  return ipv4(0);
}

/** True when `dev` has joined the IPv4 group `group` (ip_check_mc_rcu). */
export function ipCheckMc(dev: NetDevice, group: Ipv4Addr): boolean {
  return (inDevGet(dev)?.mcGroups.get(group) ?? 0) > 0;
}

/** The MAC an IPv4 group maps to (RFC 1112 §6.4: 01:00:5e + low 23 bits). */
export function ipv4McMac(group: number): Uint8Array {
  return Uint8Array.of(0x01, 0x00, 0x5e, (group >>> 16) & 0x7f, (group >>> 8) & 0xff, group & 0xff);
}

/**
 * Joins an IPv4 group on `dev` (ip_mc_inc_group): counted, and the MAC goes on the
 * device's multicast list. IGMP reports are not sent (documented divergence).
 */
export function ipMcIncGroup(dev: NetDevice, group: Ipv4Addr): void {
  const idev = inDevGet(dev);
  if (idev === undefined || !ipv4IsMulticast(group)) return;
  const n = idev.mcGroups.get(group) ?? 0;
  idev.mcGroups.set(group, n + 1);
  if (n === 0) dev.netns.kernel.devMcAdd(dev, macOf(group));
}

/** Leaves an IPv4 group on `dev` (ip_mc_dec_group). */
export function ipMcDecGroup(dev: NetDevice, group: Ipv4Addr): void {
  const idev = inDevGet(dev);
  const n = idev?.mcGroups.get(group) ?? 0;
  if (idev === undefined || n === 0) return;
  if (n === 1) {
    idev.mcGroups.delete(group);
    dev.netns.kernel.devMcDel(dev, macOf(group));
  } else {
    idev.mcGroups.set(group, n - 1);
  }
}

function macOf(group: number): MacAddr {
  return MacAddr.fromBytes(ipv4McMac(group));
}

// ---------------------------------------------------------------- kernel routes

const IGMP_ALL_HOSTS = ipv4(0xe0000001);

/** Linux: fib_add_ifaddr for one address. */
function fibAddIfaddr(ifa: InIfaddr): void {
  const dev = ifa.dev;
  const fib = fibOf(dev.netns, 4);
  let prim = ifa;
  const mask = ipv4Mask(ifa.prefixLen);
  const prefix = ipv4(ifa.address & mask);
  if ((ifa.flags & IFA_F_SECONDARY) !== 0) {
    const p = inDevGet(dev)?.primaries.find(
      (a) => a.prefixLen === ifa.prefixLen && inetIfaMatch(ifa.address, a),
    );
    if (p === undefined) return;
    prim = p;
  }
  const magic = (type: number, dst: Ipv4Addr, len: number, priority = 0): void => {
    const route: Route = {
      family: 4,
      table: type === RTN_UNICAST ? RT_TABLE_MAIN : RT_TABLE_LOCAL,
      type,
      dst,
      dstLen: len,
      tos: 0,
      priority,
      protocol: RTPROT_KERNEL,
      scope: type === RTN_LOCAL ? RT_SCOPE_HOST : RT_SCOPE_LINK,
      prefsrc: prim.local,
      gateway: null,
      dev,
      flags: 0,
      nhScope: type === RTN_LOCAL ? RT_SCOPE_NOWHERE : RT_SCOPE_HOST,
      metrics: {},
      pref: 0,
    };
    // fib_magic appends, and fib_table_insert refuses an identical alias (EEXIST, ignored):
    // `brd +` giving the subnet broadcast twice leaves one route.
    const same = fib
      .table(route.table)
      .some(
        (r) =>
          r.type === type &&
          r.dst === dst &&
          r.dstLen === len &&
          r.dev === dev &&
          r.prefsrc === prim.local &&
          r.priority === priority,
      );
    if (!same) fib.insert(route, true);
  };
  magic(RTN_LOCAL, ifa.local, 32);
  if (!dev.isUp) return;
  if (ifa.broadcast !== 0 && ifa.broadcast !== 0xffffffff) magic(RTN_BROADCAST, ifa.broadcast, 32);
  if (
    prefix !== 0 &&
    (ifa.flags & IFA_F_SECONDARY) === 0 &&
    (prefix !== ifa.local || ifa.prefixLen < 32)
  ) {
    if ((ifa.flags & IFA_F_NOPREFIXROUTE) === 0) {
      // The loopback's prefix route is a local route (127.0.0.0/8 in table local).
      if ((dev.flags & IFF_LOOPBACK) !== 0) magic(RTN_LOCAL, prefix, ifa.prefixLen);
      else magic(RTN_UNICAST, prefix, ifa.prefixLen, ifa.rtPriority);
    }
    // Linux ≥ 5.19 adds only the highest address as a network broadcast route; the
    // lowest is unicast ("ipv4: treat the lowest address of a subnet as unicast").
    if (ifa.prefixLen < 31) magic(RTN_BROADCAST, ipv4(prefix | ~mask), 32);
  }
}

/**
 * Rebuilds the kernel routes of `dev` from its addresses (what fib_del_ifaddr and the
 * NETDEV_UP/DOWN handlers leave behind, computed in one go).
 */
export function fibResync(dev: NetDevice): void {
  const fib = fibOf(dev.netns, 4);
  fib.flushDev(dev, (r) => r.protocol === RTPROT_KERNEL);
  for (const a of inDevGet(dev)?.addrs ?? []) fibAddIfaddr(a);
}

/** Linux: fib_disable_ip / fib_sync_down_dev — routes through `dev` die; local ones stay on down. */
function fibSyncDownDev(dev: NetDevice, unregister: boolean): void {
  const fib = fibOf(dev.netns, 4);
  fib.flushDev(dev, (r) => unregister || r.nhScope !== RT_SCOPE_NOWHERE);
}

// ---------------------------------------------------------------- device events

/** Linux: inetdev_event + fib_netdev_event, for one namespace's devices. */
export function inetNetdevEvent(ev: NetdevEvent): void {
  const dev = ev.dev;
  switch (ev.type) {
    case 'NETDEV_REGISTER':
      if (dev.mtu >= 68 && inDevGet(dev) === undefined) dev.proto.set('inet', new InDevice(dev));
      break;
    case 'NETDEV_UNREGISTER':
      inetdevDestroy(dev);
      break;
    case 'NETDEV_UP': {
      const idev = inDevGet(dev);
      if (idev === undefined) break;
      if ((dev.flags & IFF_LOOPBACK) !== 0 && !idev.addrs.some((a) => a.local === 0x7f000001)) {
        addAddress(dev, { local: ipv4(0x7f000001), prefixLen: 8, scope: RT_SCOPE_HOST });
      }
      ipMcIncGroup(dev, IGMP_ALL_HOSTS);
      fibResync(dev);
      break;
    }
    case 'NETDEV_DOWN': {
      const idev = inDevGet(dev);
      if (idev === undefined) break;
      ipMcDecGroup(dev, IGMP_ALL_HOSTS);
      fibSyncDownDev(dev, false);
      break;
    }
    case 'NETDEV_CHANGEMTU':
      if (dev.mtu < 68) inetdevDestroy(dev);
      else if (inDevGet(dev) === undefined) dev.proto.set('inet', new InDevice(dev));
      break;
    default:
      break;
  }
}

/** Linux: inetdev_destroy — every address goes, with NETDEV_DOWN events, then all routes. */
function inetdevDestroy(dev: NetDevice): void {
  const idev = inDevGet(dev);
  if (idev === undefined) return;
  const kernel = dev.netns.kernel;
  while (idev.addrs.length > 0) {
    const ifa = idev.addrs.shift() as InIfaddr;
    notifyAddr(kernel, 'NETDEV_DOWN', ifa);
  }
  for (const group of [...idev.mcGroups.keys()]) kernel.devMcDel(dev, macOf(group));
  idev.mcGroups.clear();
  fibSyncDownDev(dev, true);
  dev.proto.delete('inet');
}
