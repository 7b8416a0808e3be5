// IPv6 address configuration (Linux: net/ipv6/addrconf.c): the per-device inet6_dev,
// addresses with their flags (tentative, dadfailed, nodad, permanent), link-local
// generation with addrgenmode eui64 honouring dev_id exactly as addrconf_ifid_eui48
// (wire/ipv6.ts eui64InterfaceId), duplicate address detection (RFC 4862 §5.4), and the
// kernel routes: fe80::/64 and each address's prefix in main, `local ADDR` (inserted
// when DAD completes) and `multicast ff00::/8` in table local.
//
// Contract for upper drivers (ipvlan):
// - `addAddress6` asks `kernel.inet6addrValidatorChain` before anything else that can
//   change state (Linux calls the validators from ipv6_add_addr before the duplicate
//   check); a throwing validator aborts with its ErrnoError. Link-local addresses
//   generated on NETDEV_UP go through the validators too; a veto just skips them.
// - `kernel.inet6addrChain` gets NETDEV_UP when an address is added (while still
//   tentative, as Linux's ipv6_add_addr does) and NETDEV_DOWN when it is removed:
//   ip -6 addr del, link down (addresses are flushed unless keep_addr_on_down),
//   unregister, a move to another namespace, or disable_ipv6.
// Not modelled: SLAAC from router advertisements, router solicitations, privacy
// addresses, optimistic DAD, stable-privacy/random addrgenmodes.

import { ErrnoError } from '../base/errno.ts';
import { Ipv6Addr, prefixContains, prefixNetwork } from '../wire/address.ts';
import {
  linkLocalFromMac,
  ipv6MulticastMac as mcMac,
  solicitedNodeMulticast,
} from '../wire/ipv6.ts';
import { ARPHRD_ETHER, IFF_LOOPBACK, IFF_NOARP, IN6_ADDR_GEN_MODE_EUI64 } from '../uapi/if.ts';
import {
  RTN_LOCAL,
  RTN_MULTICAST,
  RTN_UNICAST,
  RTPROT_KERNEL,
  RT_SCOPE_HOST,
  RT_SCOPE_LINK,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_LOCAL,
  RT_TABLE_MAIN,
} from '../uapi/rtnetlink.ts';
import {
  IFA_F_DADFAILED,
  IFA_F_NODAD,
  IFA_F_NOPREFIXROUTE,
  IFA_F_PERMANENT,
  IFA_F_TENTATIVE,
  INFINITY_LIFE_TIME,
} from './inet.ts';
import type { Kernel, NetdevEvent } from './kernel.ts';
import { IPV6_IFLOCAL_ALL_NODES, ipv6McDec, ipv6McInc } from './mcast.ts';
import { ndiscSendDadNs } from './ndisc.ts';
import type { NetDevice } from './netdev.ts';
import type { NetNamespace } from './netns.ts';
import { fibOf, type Route } from './route.ts';
import { NS_PER_MS, NS_PER_SEC, type Timer } from './scheduler.ts';
import { ipv6DevConf, neighParm } from './sysctl.ts';
import { IPV6_ALL_NODES } from '../wire/ipv6.ts';

/** One IPv6 address of a device (Linux: struct inet6_ifaddr). */
export interface Inet6Ifaddr {
  readonly dev: NetDevice;
  readonly addr: Ipv6Addr;
  readonly prefixLen: number;
  /** RT_SCOPE_* as ifa_scope: host for ::1, link for fe80::/10, universe otherwise. */
  readonly scope: number;
  flags: number;
  readonly rtPriority: number;
  validLft: number;
  preferredLft: number;
  readonly cstamp: number;
  tstamp: number;
  /** DAD state: probes still to send, the timer, our nonce. */
  dadProbes: number;
  dadTimer: Timer | undefined;
  dadNonce: Uint8Array | null;
  /** The local route, present once DAD has completed. */
  localRoute: Route | null;
}

/** Per-device IPv6 state (Linux: struct inet6_dev). */
export class Inet6Dev {
  readonly dev: NetDevice;
  readonly addrs: Inet6Ifaddr[] = [];
  readonly mcGroups = new Map<string, { addr: Ipv6Addr; users: number }>();

  constructor(dev: NetDevice) {
    this.dev = dev;
  }
}

export function in6DevGet(dev: NetDevice): Inet6Dev | undefined {
  return dev.proto.get('inet6') as Inet6Dev | undefined;
}

/** Linux: ipv6_addr_scope as ifa_scope. */
function addrScope(addr: Ipv6Addr): number {
  if (addr.isLoopback) return RT_SCOPE_HOST;
  if (addr.isLinkLocal) return RT_SCOPE_LINK;
  return RT_SCOPE_UNIVERSE;
}

/** What `ip -6 addr add` asks for. */
export interface Inet6AddrConfig {
  readonly addr: Ipv6Addr;
  readonly prefixLen: number;
  readonly flags?: number;
  readonly metric?: number;
  readonly validLft?: number;
  readonly preferredLft?: number;
}

/**
 * `ip -6 addr add` (inet6_addr_add → ipv6_add_addr). EINVAL for a bad prefix length,
 * EADDRNOTAVAIL for multicast/unspecified addresses, EACCES when IPv6 is disabled on
 * the device, the validator's error, then EEXIST for a duplicate.
 */
export function addAddress6(dev: NetDevice, cfg: Inet6AddrConfig, replace = false): Inet6Ifaddr {
  if (cfg.prefixLen < 0 || cfg.prefixLen > 128)
    throw new ErrnoError('EINVAL', 'Invalid prefix length');
  if (cfg.addr.isMulticast || cfg.addr.isUnspecified) throw new ErrnoError('EADDRNOTAVAIL');
  const idev = in6DevGet(dev);
  if (idev === undefined) throw new ErrnoError('ENODEV');
  if (ipv6DevConf(dev, 'disable_ipv6') !== 0)
    throw new ErrnoError('EACCES', 'IPv6 is disabled on this device');
  const kernel = dev.netns.kernel;
  const existing = idev.addrs.find((a) => a.addr.equals(cfg.addr));
  if (existing !== undefined && replace) {
    existing.validLft = cfg.validLft ?? INFINITY_LIFE_TIME;
    existing.preferredLft = cfg.preferredLft ?? INFINITY_LIFE_TIME;
    existing.tstamp = kernel.now;
    return existing;
  }
  for (const fn of [...kernel.inet6addrValidatorChain]) fn({ dev, addr: cfg.addr });
  if (existing !== undefined) throw new ErrnoError('EEXIST');
  const now = kernel.now;
  const ifa: Inet6Ifaddr = {
    dev,
    addr: cfg.addr,
    prefixLen: cfg.prefixLen,
    scope: addrScope(cfg.addr),
    flags: ((cfg.flags ?? 0) | IFA_F_TENTATIVE) & ~IFA_F_DADFAILED,
    rtPriority: cfg.metric ?? 0,
    validLft: cfg.validLft ?? INFINITY_LIFE_TIME,
    preferredLft: cfg.preferredLft ?? INFINITY_LIFE_TIME,
    cstamp: now,
    tstamp: now,
    dadProbes: 0,
    dadTimer: undefined,
    dadNonce: null,
    localRoute: null,
  };
  if (ifa.validLft === INFINITY_LIFE_TIME) ifa.flags |= IFA_F_PERMANENT;
  // ipv6_link_dev_addr: kept sorted by scope, global first (ip -6 addr order).
  let i = 0;
  while (i < idev.addrs.length && (idev.addrs[i] as Inet6Ifaddr).scope <= ifa.scope) i++;
  idev.addrs.splice(i, 0, ifa);
  // inet6_addr_add → addrconf_prefix_route → ip6_route_add: fib6_nh_init refuses a device
  // without IFF_UP (ENETDOWN, ignored), so a down device gets its prefix route only from
  // addrconf_permanent_addr on NETDEV_UP.
  if (dev.isUp) addrPrefixRoute(ifa);
  kernel.trace(null, dev, 'addr', `add ${ifa.addr.toString()}/${ifa.prefixLen}`);
  for (const fn of [...kernel.inet6addrChain])
    fn({ type: 'NETDEV_UP', dev, addr: ifa.addr, prefixLen: ifa.prefixLen });
  // addrconf_dad_begin runs for a down device too: an address needing no DAD (NOARP,
  // nodad, accept_dad 0) completes at once and answers; any other stays tentative until
  // the device is IF_READY.
  if (dev.isUp || dadSkipped(ifa)) dadStart(ifa);
  return ifa;
}

/**
 * The address's prefix route in main. The loopback's ::1 gets only its local-table route,
 * no main-table one (the recordings' `ip -6 route` on a fresh kernel lists no `::1 dev lo`).
 */
function addrPrefixRoute(ifa: Inet6Ifaddr): void {
  if ((ifa.flags & IFA_F_NOPREFIXROUTE) === 0 && ifa.prefixLen < 128 && !ifa.addr.isLoopback)
    addPrefixRoute(ifa.dev, ifa.addr, ifa.prefixLen, ifa.rtPriority === 0 ? 256 : ifa.rtPriority);
}

function addPrefixRoute(dev: NetDevice, addr: Ipv6Addr, len: number, metric: number): void {
  const fib = fibOf(dev.netns, 6);
  const dst = prefixNetwork({ addr, len });
  const exists = fib
    .table(RT_TABLE_MAIN)
    .some(
      (r) =>
        r.dev === dev &&
        r.dstLen === len &&
        r.dst.toString() === dst.toString() &&
        r.priority === metric,
    );
  if (exists) return;
  fib.insert(kernelRoute6(dev, RT_TABLE_MAIN, RTN_UNICAST, dst, len, metric), true);
}

function kernelRoute6(
  dev: NetDevice,
  table: number,
  type: number,
  dst: Ipv6Addr,
  len: number,
  metric: number,
): Route {
  return {
    family: 6,
    table,
    type,
    dst,
    dstLen: len,
    tos: 0,
    priority: metric,
    protocol: RTPROT_KERNEL,
    scope: type === RTN_LOCAL ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE,
    prefsrc: null,
    gateway: null,
    dev,
    flags: 0,
    nhScope: RT_SCOPE_LINK,
    metrics: {},
    pref: 0,
  };
}

/** What `ip -6 addr del` matches. */
export interface Inet6AddrFilter {
  readonly addr: Ipv6Addr;
  readonly prefixLen?: number;
}

/** `ip -6 addr del` (inet6_addr_del): EADDRNOTAVAIL when there is no such address. */
export function delAddress6(dev: NetDevice, filter: Inet6AddrFilter): Inet6Ifaddr {
  const idev = in6DevGet(dev);
  if (idev === undefined) throw new ErrnoError('ENODEV');
  const ifa = idev.addrs.find(
    (a) =>
      a.addr.equals(filter.addr) &&
      (filter.prefixLen === undefined || a.prefixLen === filter.prefixLen),
  );
  if (ifa === undefined) throw new ErrnoError('EADDRNOTAVAIL');
  ipv6DelAddr(ifa, true);
  return ifa;
}

/** Linux: ipv6_del_addr — leaves the groups, drops routes, tells the chain. */
function ipv6DelAddr(ifa: Inet6Ifaddr, cleanupPrefix: boolean): void {
  const dev = ifa.dev;
  const idev = in6DevGet(dev);
  if (idev === undefined) return;
  const i = idev.addrs.indexOf(ifa);
  if (i < 0) return;
  idev.addrs.splice(i, 1);
  const kernel = dev.netns.kernel;
  kernel.scheduler.cancel(ifa.dadTimer);
  ifa.dadTimer = undefined;
  const fib = fibOf(dev.netns, 6);
  if (ifa.localRoute !== null) fib.remove(ifa.localRoute);
  ifa.localRoute = null;
  if (cleanupPrefix) {
    const net = prefixNetwork({ addr: ifa.addr, len: ifa.prefixLen });
    const stillUsed = idev.addrs.some(
      (a) =>
        a.prefixLen === ifa.prefixLen && prefixContains({ addr: net, len: ifa.prefixLen }, a.addr),
    );
    if (!stillUsed) {
      fib.flushDev(
        dev,
        (r) =>
          r.protocol === RTPROT_KERNEL &&
          r.table === RT_TABLE_MAIN &&
          r.dstLen === ifa.prefixLen &&
          r.dst.toString() === net.toString(),
      );
    }
  }
  if (!ifa.addr.isLoopback) ipv6McDec(dev, solicitedNodeMulticast(ifa.addr));
  kernel.trace(null, dev, 'addr', `del ${ifa.addr.toString()}/${ifa.prefixLen}`);
  for (const fn of [...kernel.inet6addrChain])
    fn({ type: 'NETDEV_DOWN', dev, addr: ifa.addr, prefixLen: ifa.prefixLen });
}

/** The IPv6 addresses of `dev` in `ip -6 addr` order. */
export function listAddresses6(dev: NetDevice): readonly Inet6Ifaddr[] {
  return in6DevGet(dev)?.addrs ?? [];
}

/** The address record if `addr` is configured on `dev` (ipv6_get_ifaddr). */
export function ipv6GetIfaddr(dev: NetDevice, addr: Ipv6Addr): Inet6Ifaddr | undefined {
  return in6DevGet(dev)?.addrs.find((a) => a.addr.equals(addr));
}

/** The first usable link-local address of `dev` (ipv6_get_lladdr); tentative ones only if asked. */
export function ipv6LinkLocal(dev: NetDevice, allowTentative: boolean): Ipv6Addr | null {
  for (const a of in6DevGet(dev)?.addrs ?? []) {
    if (!a.addr.isLinkLocal) continue;
    if (!allowTentative && (a.flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED)) !== 0) continue;
    return a.addr;
  }
  return null;
}

/** Number of leading bits two addresses share (RFC 6724 rule 8). */
function commonPrefixLen(a: Ipv6Addr, b: Ipv6Addr): number {
  let n = 0;
  for (let i = 0; i < 16; i++) {
    const x = (a.bytes[i] as number) ^ (b.bytes[i] as number);
    if (x === 0) {
      n += 8;
      continue;
    }
    return n + Math.clz32(x) - 24;
  }
  return n;
}

/**
 * Linux: ipv6_dev_get_saddr, reduced to RFC 6724 rules 1, 2 and 8: usable (not
 * tentative) addresses; the same one if dst is ours; appropriate scope; longest
 * common prefix. Addresses of `dev` first, then of the other devices. Null when none.
 */
export function ipv6DevGetSaddr(
  ns: NetNamespace,
  dev: NetDevice | null,
  dst: Ipv6Addr,
): Ipv6Addr | null {
  const dstScope = dst.isMulticast ? mcScope(dst) : addrScope(dst);
  const candidates = (d: NetDevice): Inet6Ifaddr[] =>
    (in6DevGet(d)?.addrs ?? []).filter(
      (a) => (a.flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED)) === 0,
    );
  const pick = (list: Inet6Ifaddr[]): Ipv6Addr | null => {
    let best: Inet6Ifaddr | null = null;
    let bestScore = -Infinity;
    for (const a of list) {
      if (a.addr.equals(dst)) return a.addr;
      // Rule 2: prefer the smallest scope at least the destination's.
      const scopeScore =
        scopeRank(a.scope) >= scopeRank(dstScope)
          ? 1000 - scopeRank(a.scope)
          : -1000 + scopeRank(a.scope);
      const score = scopeScore * 256 + commonPrefixLen(a.addr, dst);
      if (score > bestScore) {
        best = a;
        bestScore = score;
      }
    }
    return best?.addr ?? null;
  };
  if (dev !== null) {
    const own = pick(candidates(dev));
    if (own !== null) return own;
    if (dstScope === RT_SCOPE_LINK) return null;
  }
  const all: Inet6Ifaddr[] = [];
  for (const d of ns.devices)
    if (d !== dev)
      all.push(...candidates(d).filter((a) => a.scope !== RT_SCOPE_LINK || dev === null));
  return pick(all);
}

/** Scopes in RFC 4291 order (smaller = narrower): host, link, global. */
function scopeRank(scope: number): number {
  if (scope === RT_SCOPE_HOST) return 1;
  if (scope === RT_SCOPE_LINK) return 2;
  return 14;
}

function mcScope(group: Ipv6Addr): number {
  const s = (group.bytes[1] as number) & 0x0f;
  if (s <= 1) return RT_SCOPE_HOST;
  if (s === 2) return RT_SCOPE_LINK;
  return RT_SCOPE_UNIVERSE;
}

// ---------------------------------------------------------------- DAD

/** Linux: addrconf_dad_begin's test for an address that needs no DAD. */
function dadSkipped(ifa: Inet6Ifaddr): boolean {
  return (
    (ifa.dev.flags & (IFF_NOARP | IFF_LOOPBACK)) !== 0 ||
    ipv6DevConf(ifa.dev, 'accept_dad') < 1 ||
    (ifa.flags & IFA_F_NODAD) !== 0 ||
    (ifa.flags & IFA_F_TENTATIVE) === 0
  );
}

/** Linux: addrconf_dad_start / addrconf_dad_begin. */
function dadStart(ifa: Inet6Ifaddr): void {
  const dev = ifa.dev;
  if (!ifa.addr.isLoopback) ipv6McInc(dev, solicitedNodeMulticast(ifa.addr));
  if (dadSkipped(ifa)) {
    dadCompleted(ifa);
    return;
  }
  const kernel = dev.netns.kernel;
  ifa.dadProbes = Math.max(1, ipv6DevConf(dev, 'dad_transmits'));
  if (ipv6DevConf(dev, 'dad_transmits') === 0) {
    dadCompleted(ifa);
    return;
  }
  // addrconf_dad_kick: a random delay below rtr_solicit_delay (1 s) before the first probe.
  const delay = kernel.random.below(NS_PER_SEC);
  ifa.dadTimer = kernel.scheduler.after(delay, () => dadWork(ifa));
}

/** Linux: addrconf_dad_work — one probe per retrans_time, then success. */
function dadWork(ifa: Inet6Ifaddr): void {
  ifa.dadTimer = undefined;
  const dev = ifa.dev;
  if (!dev.registered || !dev.isUp || (ifa.flags & IFA_F_TENTATIVE) === 0) return;
  if ((ifa.flags & IFA_F_DADFAILED) !== 0) return;
  if (ifa.dadProbes === 0) {
    dadCompleted(ifa);
    return;
  }
  ifa.dadProbes--;
  const kernel = dev.netns.kernel;
  // RFC 7527 enhanced DAD: a 6-byte nonce recognises our own looped-back probe.
  ifa.dadNonce = kernel.random.fill(new Uint8Array(6));
  ndiscSendDadNs(dev, ifa.addr, ifa.dadNonce);
  const retrans = neighParm(dev, 'ipv6', 'retrans_time_ms') * NS_PER_MS;
  ifa.dadTimer = kernel.scheduler.after(retrans, () => dadWork(ifa));
}

/** Linux: addrconf_dad_completed — the address becomes usable: local route in. */
function dadCompleted(ifa: Inet6Ifaddr): void {
  ifa.flags &= ~IFA_F_TENTATIVE;
  const dev = ifa.dev;
  if (ifa.localRoute === null) {
    const r = kernelRoute6(dev, RT_TABLE_LOCAL, RTN_LOCAL, ifa.addr, 128, 0);
    fibOf(dev.netns, 6).insert(r, true);
    ifa.localRoute = r;
  }
  dev.netns.kernel.trace(null, dev, 'addr', `${ifa.addr.toString()} dad completed`);
}

/** Linux: addrconf_dad_failure — the address stays, marked dadfailed, never usable. */
export function addrconfDadFailure(ifa: Inet6Ifaddr): void {
  if ((ifa.flags & IFA_F_TENTATIVE) === 0) return;
  ifa.flags |= IFA_F_DADFAILED;
  ifa.dev.netns.kernel.scheduler.cancel(ifa.dadTimer);
  ifa.dadTimer = undefined;
  ifa.dev.netns.kernel.trace(
    null,
    ifa.dev,
    'addr',
    `${ifa.addr.toString()}: duplicate address detected`,
  );
}

// ---------------------------------------------------------------- device events

function idevCreate(dev: NetDevice): Inet6Dev {
  let idev = in6DevGet(dev);
  if (idev !== undefined) return idev;
  idev = new Inet6Dev(dev);
  dev.proto.set('inet6', idev);
  // ipv6_add_dev joins the all-nodes groups at once.
  ipv6McInc(dev, IPV6_IFLOCAL_ALL_NODES);
  ipv6McInc(dev, IPV6_ALL_NODES);
  return idev;
}

/** Linux: addrconf_dev_config + addrconf_add_linklocal, run when the link is ready. */
function addrconfDevConfig(dev: NetDevice): void {
  const idev = in6DevGet(dev);
  if (idev === undefined || ipv6DevConf(dev, 'disable_ipv6') !== 0) return;
  if ((dev.flags & IFF_LOOPBACK) !== 0) {
    if (!idev.addrs.some((a) => a.addr.isLoopback)) {
      try {
        // init_loopback's add_addr: IFA_F_PERMANENT only; DAD is skipped for IFF_LOOPBACK.
        addAddress6(dev, { addr: Ipv6Addr.LOOPBACK, prefixLen: 128, flags: IFA_F_PERMANENT });
      } catch {
        // a validator refused ::1; nothing else to do
      }
    }
    return;
  }
  // addrconf_add_mroute: multicast ff00::/8 in table local.
  const fib = fibOf(dev.netns, 6);
  if (!fib.table(RT_TABLE_LOCAL).some((r) => r.dev === dev && r.type === RTN_MULTICAST)) {
    fib.insert(
      kernelRoute6(dev, RT_TABLE_LOCAL, RTN_MULTICAST, Ipv6Addr.fromWords([0xff00]), 8, 256),
      true,
    );
  }
  // Existing addresses (added while down) start DAD now.
  for (const a of idev.addrs)
    if (a.dadTimer === undefined && (a.flags & IFA_F_TENTATIVE) !== 0) dadStart(a);
  if (dev.type !== ARPHRD_ETHER || dev.addrGenMode !== IN6_ADDR_GEN_MODE_EUI64) return;
  const ll = linkLocalFromMac(dev.address, dev.devId);
  if (idev.addrs.some((a) => a.addr.equals(ll))) return;
  try {
    addAddress6(dev, { addr: ll, prefixLen: 64 });
  } catch {
    // a validator vetoed the link-local address (Linux logs and continues)
  }
}

/** Linux: addrconf_ifdown — addresses go (keep_addr_on_down=0), routes and groups too. */
function addrconfIfdown(dev: NetDevice, unregister: boolean): void {
  const idev = in6DevGet(dev);
  if (idev === undefined) return;
  const keep = !unregister && ipv6DevConf(dev, 'keep_addr_on_down') > 0;
  for (const a of [...idev.addrs]) {
    if (keep && (a.flags & IFA_F_PERMANENT) !== 0 && !a.addr.isLinkLocal) {
      dev.netns.kernel.scheduler.cancel(a.dadTimer);
      a.dadTimer = undefined;
      a.flags |= IFA_F_TENTATIVE;
      continue;
    }
    ipv6DelAddr(a, false);
  }
  const fib = fibOf(dev.netns, 6);
  fib.flushDev(dev, (r) => unregister || !keep || r.protocol === RTPROT_KERNEL);
  if (unregister) {
    for (const e of idev.mcGroups.values()) dev.netns.kernel.devMcDel(dev, mcMac(e.addr));
    idev.mcGroups.clear();
    dev.proto.delete('inet6');
  }
}

/** Linux: addrconf_notify for one device event. */
export function addrconfNetdevEvent(ev: NetdevEvent): void {
  const dev = ev.dev;
  switch (ev.type) {
    case 'NETDEV_REGISTER':
      if (dev.mtu >= 1280 || (dev.flags & IFF_LOOPBACK) !== 0) idevCreate(dev);
      break;
    case 'NETDEV_UP':
    case 'NETDEV_CHANGE': {
      const idev = in6DevGet(dev);
      if (idev === undefined || ipv6DevConf(dev, 'disable_ipv6') !== 0) break;
      // addrconf_permanent_addr (fixup_permanent_addr): the prefix routes refused while
      // the device was down.
      if (ev.type === 'NETDEV_UP')
        for (const a of idev.addrs) if ((a.flags & IFA_F_PERMANENT) !== 0) addrPrefixRoute(a);
      // addrconf_link_ready waits for carrier. On NETDEV_UP with carrier already on,
      // Linux configures at once; here that runs right after the current event (a veth
      // peer's addrconf must not send into a device that is still opening). A carrier
      // change arrives through the asynchronous linkwatch work, so it configures one hop
      // later: of a veth pair brought up one end then the other, the second end is
      // configured first (the k-display route order shows it).
      const sched = dev.netns.kernel.scheduler;
      const config = (): void => {
        if (dev.registered && dev.isUp && dev.carrier) addrconfDevConfig(dev);
      };
      if (ev.type === 'NETDEV_UP') sched.defer(config);
      else sched.defer(() => sched.defer(config));
      break;
    }
    case 'NETDEV_DOWN':
      addrconfIfdown(dev, false);
      break;
    case 'NETDEV_UNREGISTER':
      addrconfIfdown(dev, true);
      break;
    case 'NETDEV_CHANGEMTU':
      if (dev.mtu < 1280 && (dev.flags & IFF_LOOPBACK) === 0) addrconfIfdown(dev, true);
      else if (in6DevGet(dev) === undefined && dev.mtu >= 1280) {
        idevCreate(dev);
        if (dev.isUp && dev.carrier) addrconfDevConfig(dev);
      }
      break;
    default:
      break;
  }
}

/** Reacts to disable_ipv6 writes (addrconf_disable_change): down or up the IPv6 side. */
export function addrconfSysctl(ns: NetNamespace, name: string, value: string): void {
  const m = /^net\.ipv6\.conf\.([^.]+)\.disable_ipv6$/.exec(name);
  if (m === null) return;
  const devs =
    m[1] === 'all' ? ns.devices : m[1] === 'default' ? [] : [ns.getByName(m[1] as string)];
  for (const dev of devs) {
    if (dev === undefined) continue;
    if (value !== '0') addrconfIfdown(dev, false);
    else if (dev.isUp && dev.carrier) addrconfDevConfig(dev);
  }
}

/** Every IPv6 address of a namespace. */
export function listNsAddresses6(ns: NetNamespace): Inet6Ifaddr[] {
  const out: Inet6Ifaddr[] = [];
  for (const dev of ns.devices) out.push(...listAddresses6(dev));
  return out;
}

/** Unused parameter guard for the kernel type in docs. */
export type AddrconfKernel = Kernel;
