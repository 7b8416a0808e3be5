// The neighbour core shared by ARP and NDISC (Linux: net/core/neighbour.c): one entry
// per (device, address) with the NUD state machine, its timers in virtual time, the
// queue of packets waiting for resolution, and the administrative API `ip neigh` uses.
//
// States and transitions follow neigh_timer_handler / __neigh_event_send /
// __neigh_update:
//   NONE/FAILED --output--> INCOMPLETE (probes start at ucast_probes, so the first
//     mcast_probes solicitations are broadcast/multicast, one per retrans_time)
//   INCOMPLETE --reply--> REACHABLE;  --probes exhausted--> FAILED (queued packets
//     get the family's error report: ICMP host/address unreachable)
//   REACHABLE --reachable_time without confirmation--> STALE (or DELAY if used)
//   STALE --output--> DELAY --delay_first_probe_time--> PROBE (unicast) --> REACHABLE
//     on a reply, FAILED after ucast_probes
// reachable_time is base_reachable_time scaled by a random factor in [0.5, 1.5)
// (neigh_rand_reach_time), redrawn every 300 s as neigh_periodic_work does.
// Not modelled: garbage collection of unused entries (gc_thresh*, gc_stale_time),
// locktime other than the default 1 s, app_probes (user-space resolution).

import { ErrnoError } from '../base/errno.ts';
import { formatIp, ipKey, Ipv6Addr, type IpAddr, type MacAddr } from '../wire/address.ts';
import { solicitedNodeMulticast } from '../wire/ipv6.ts';
import {
  NUD_DELAY,
  NUD_FAILED,
  NUD_INCOMPLETE,
  NUD_NOARP,
  NUD_NONE,
  NUD_PERMANENT,
  NUD_PROBE,
  NUD_REACHABLE,
  NUD_STALE,
} from '../uapi/rtnetlink.ts';
import { ipv6McDec, ipv6McInc } from './mcast.ts';
import type { NetDevice, XmitResult } from './netdev.ts';
import type { NetNamespace } from './netns.ts';
import { NS_PER_MS, NS_PER_SEC, type Timer } from './scheduler.ts';
import type { SkBuff } from './skb.ts';
import { neighParm } from './sysctl.ts';

export const NUD_IN_TIMER = NUD_INCOMPLETE | NUD_REACHABLE | NUD_DELAY | NUD_PROBE;
export const NUD_VALID =
  NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_PROBE | NUD_STALE | NUD_DELAY;
export const NUD_CONNECTED = NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE;

/** __neigh_update flags. */
export const NEIGH_UPDATE_F_OVERRIDE = 0x1;
export const NEIGH_UPDATE_F_WEAK_OVERRIDE = 0x2;
export const NEIGH_UPDATE_F_OVERRIDE_ISROUTER = 0x4;
export const NEIGH_UPDATE_F_ISROUTER = 0x40000000;
export const NEIGH_UPDATE_F_ADMIN = 0x80000000;

/** Seconds of LOCKTIME: replies within it do not override the first one (arp_process). */
const LOCKTIME = 1 * NS_PER_SEC;

/** What a protocol (ARP, NDISC) plugs into the core (Linux: struct neigh_ops + constructor). */
export interface NeighProtoOps {
  readonly family: 'ipv4' | 'ipv6';
  /**
   * Initial state of a new entry: NOARP (with its link-layer address) for NOARP and
   * loopback devices and for group destinations, else NONE.
   */
  construct(n: Neighbour): void;
  /** Sends one solicitation; `dstMac` set = unicast probe, null = broadcast/multicast. */
  solicit(n: Neighbour, dstMac: MacAddr | null, skb: SkBuff | null): void;
  /** A queued packet could not be resolved (arp_error_report / ndisc_error_report). */
  errorReport(n: Neighbour, skb: SkBuff): void;
  /** Transmits a packet whose Ethernet header must be filled with `n`'s address. */
  xmit(n: Neighbour, skb: SkBuff): XmitResult;
}

/** One neighbour entry (Linux: struct neighbour). */
export class Neighbour {
  readonly table: NeighTable;
  readonly dev: NetDevice;
  readonly key: IpAddr;
  state = NUD_NONE;
  lladdr: MacAddr | null = null;
  /** NTF_ROUTER (IPv6: learnt from the R flag of an NA). */
  isRouter = false;
  /** Virtual times (ns) of the last confirmation, state change and use. */
  confirmed: number;
  updated: number;
  used: number;
  probes = 0;
  timer: Timer | undefined;
  readonly queue: SkBuff[] = [];
  dead = false;

  constructor(table: NeighTable, dev: NetDevice, key: IpAddr) {
    this.table = table;
    this.dev = dev;
    this.key = key;
    const now = dev.netns.kernel.now;
    this.updated = now;
    this.used = now;
    // Linux: neigh_alloc sets confirmed in the past so a new entry is not "fresh".
    this.confirmed = now - 2 * table.baseReachable(dev);
  }

  get now(): number {
    return this.dev.netns.kernel.now;
  }
}

/** The neighbour table of one namespace and family (Linux: arp_tbl / nd_tbl per net). */
export class NeighTable {
  readonly ns: NetNamespace;
  readonly ops: NeighProtoOps;
  readonly #byDev = new Map<NetDevice, Map<number | string, Neighbour>>();
  /** Proxy entries (`ip neigh add proxy`): pneigh_table. */
  readonly proxies = new Map<NetDevice | null, Set<number | string>>();
  readonly #reach = new Map<NetDevice, { value: number; drawnAt: number }>();

  constructor(ns: NetNamespace, ops: NeighProtoOps) {
    this.ns = ns;
    this.ops = ops;
  }

  get family(): 'ipv4' | 'ipv6' {
    return this.ops.family;
  }

  baseReachable(dev: NetDevice): number {
    return neighParm(dev, this.family, 'base_reachable_time_ms') * NS_PER_MS;
  }

  retransTime(dev: NetDevice): number {
    return neighParm(dev, this.family, 'retrans_time_ms') * NS_PER_MS;
  }

  delayProbeTime(dev: NetDevice): number {
    return neighParm(dev, this.family, 'delay_first_probe_time') * NS_PER_SEC;
  }

  /** neigh_rand_reach_time, redrawn every 300 s (neigh_periodic_work). */
  reachableTime(dev: NetDevice): number {
    const now = this.ns.kernel.now;
    const cur = this.#reach.get(dev);
    if (cur !== undefined && now - cur.drawnAt < 300 * NS_PER_SEC) return cur.value;
    const base = this.baseReachable(dev);
    const value = Math.floor(base / 2) + this.ns.kernel.random.below(base);
    this.#reach.set(dev, { value, drawnAt: now });
    return value;
  }

  lookup(dev: NetDevice, key: IpAddr): Neighbour | undefined {
    return this.#byDev.get(dev)?.get(ipKey(key));
  }

  /** Linux: __neigh_create — runs the protocol constructor. */
  create(dev: NetDevice, key: IpAddr): Neighbour {
    const existing = this.lookup(dev, key);
    if (existing !== undefined) return existing;
    const n = new Neighbour(this, dev, key);
    this.ops.construct(n);
    let m = this.#byDev.get(dev);
    if (m === undefined) {
      m = new Map();
      this.#byDev.set(dev, m);
    }
    m.set(ipKey(key), n);
    return n;
  }

  /** Every entry, devices in ifindex order then insertion order. */
  entries(dev?: NetDevice): Neighbour[] {
    const out: Neighbour[] = [];
    const devs =
      dev !== undefined ? [dev] : [...this.#byDev.keys()].sort((a, b) => a.ifindex - b.ifindex);
    for (const d of devs) out.push(...(this.#byDev.get(d)?.values() ?? []));
    return out;
  }

  /** Removes one entry: timers stop, queued packets are dropped (neigh_cleanup_and_release). */
  remove(n: Neighbour): void {
    this.ns.kernel.scheduler.cancel(n.timer);
    n.timer = undefined;
    n.dead = true;
    for (const skb of n.queue.splice(0)) this.ns.kernel.dropSkb(skb, 'NEIGH_DEAD');
    this.#byDev.get(n.dev)?.delete(ipKey(n.key));
  }

  /**
   * Linux: neigh_ifdown / neigh_flush_dev. Without `all`, PERMANENT and NOARP entries
   * survive a carrier loss or address change (neigh_carrier_down keeps permanent ones).
   */
  flushDev(dev: NetDevice, all: boolean): void {
    for (const n of [...(this.#byDev.get(dev)?.values() ?? [])]) {
      // neigh_flush_dev: only permanent entries survive; NOARP ones are rebuilt on use.
      if (!all && (n.state & NUD_PERMANENT) !== 0) continue;
      this.remove(n);
    }
    if (all) {
      this.#byDev.delete(dev);
      this.proxies.delete(dev);
      this.#reach.delete(dev);
    }
  }
}

function maxProbes(n: Neighbour): number {
  const dev = n.dev;
  const fam = n.table.family;
  let max = neighParm(dev, fam, 'ucast_solicit') + neighParm(dev, fam, 'app_solicit');
  if ((n.state & NUD_PROBE) === 0) max += neighParm(dev, fam, 'mcast_solicit');
  return max;
}

function addTimer(n: Neighbour, at: number): void {
  const sched = n.dev.netns.kernel.scheduler;
  sched.cancel(n.timer);
  n.timer = sched.at(at, () => neighTimerHandler(n));
}

function delTimer(n: Neighbour): void {
  n.dev.netns.kernel.scheduler.cancel(n.timer);
  n.timer = undefined;
}

/** Linux: neigh_probe — one solicitation, chosen from the probe count. */
function neighProbe(n: Neighbour): void {
  const ucast = neighParm(n.dev, n.table.family, 'ucast_solicit');
  const skb = n.queue.length > 0 ? (n.queue[n.queue.length - 1] as SkBuff) : null;
  // arp_solicit / ndisc_solicit: probes below ucast_probes go unicast to the known address.
  const unicast = n.probes < ucast && n.lladdr !== null && (n.state & NUD_VALID) !== 0;
  n.probes++;
  n.table.ops.solicit(n, unicast ? n.lladdr : null, skb);
}

/** Linux: neigh_timer_handler. */
function neighTimerHandler(n: Neighbour): void {
  n.timer = undefined;
  if (n.dead || (n.state & NUD_IN_TIMER) === 0) return;
  const tbl = n.table;
  const now = n.now;
  const dev = n.dev;
  let next = now + tbl.retransTime(dev);
  if ((n.state & NUD_REACHABLE) !== 0) {
    const reach = tbl.reachableTime(dev);
    if (now <= n.confirmed + reach) {
      next = n.confirmed + reach;
    } else if (now <= n.used + tbl.delayProbeTime(dev)) {
      setState(n, NUD_DELAY);
      next = now + tbl.delayProbeTime(dev);
    } else {
      setState(n, NUD_STALE);
    }
  } else if ((n.state & NUD_DELAY) !== 0) {
    if (now <= n.confirmed + tbl.delayProbeTime(dev)) {
      setState(n, NUD_REACHABLE);
      next = n.confirmed + tbl.reachableTime(dev);
    } else {
      setState(n, NUD_PROBE);
      n.probes = 0;
      next = now + tbl.retransTime(dev);
    }
  }
  if ((n.state & (NUD_INCOMPLETE | NUD_PROBE)) !== 0 && n.probes >= maxProbes(n)) {
    setState(n, NUD_FAILED);
    neighInvalidate(n);
    return;
  }
  if ((n.state & NUD_IN_TIMER) !== 0) addTimer(n, Math.max(next, now + NS_PER_MS * 10));
  if ((n.state & (NUD_INCOMPLETE | NUD_PROBE)) !== 0) neighProbe(n);
}

function setState(n: Neighbour, state: number): void {
  n.state = state;
  n.updated = n.now;
  const k = n.dev.netns.kernel;
  if (k.tracing) k.trace(null, n.dev, 'neigh', `${formatIp(n.key)} ${nudName(state)}`);
}

/** Linux: neigh_invalidate — every queued packet gets the protocol's error report. */
function neighInvalidate(n: Neighbour): void {
  for (const skb of n.queue.splice(0)) {
    n.table.ops.errorReport(n, skb);
    n.dev.netns.kernel.dropSkb(skb, 'NEIGH_FAILED');
  }
}

/**
 * Linux: __neigh_event_send. Returns true when the packet may go out now (the entry
 * is usable, perhaps stale), false when it was queued or dropped.
 */
export function neighEventSend(n: Neighbour, skb: SkBuff | null): boolean {
  const tbl = n.table;
  const dev = n.dev;
  const now = n.now;
  n.used = now;
  if ((n.state & (NUD_CONNECTED | NUD_DELAY | NUD_PROBE)) !== 0) return true;
  if (n.dead) {
    if (skb !== null) dev.netns.kernel.dropSkb(skb, 'NEIGH_DEAD');
    return false;
  }
  if ((n.state & (NUD_STALE | NUD_INCOMPLETE)) === 0) {
    const fam = tbl.family;
    if (neighParm(dev, fam, 'mcast_solicit') + neighParm(dev, fam, 'app_solicit') > 0) {
      n.probes = neighParm(dev, fam, 'ucast_solicit');
      setState(n, NUD_INCOMPLETE);
      addTimer(n, now + Math.max(tbl.retransTime(dev), 10 * NS_PER_MS));
      if (skb !== null) n.queue.push(skb);
      neighProbe(n);
      return false;
    }
    setState(n, NUD_FAILED);
    if (skb !== null) dev.netns.kernel.dropSkb(skb, 'NEIGH_FAILED');
    return false;
  }
  if ((n.state & NUD_STALE) !== 0) {
    setState(n, NUD_DELAY);
    addTimer(n, now + tbl.delayProbeTime(dev));
    return true;
  }
  // INCOMPLETE: queue, dropping the oldest beyond unres_qlen (NEIGH_QUEUEFULL).
  if (skb !== null) {
    const limit = neighParm(dev, tbl.family, 'unres_qlen');
    while (n.queue.length >= limit && n.queue.length > 0) {
      dev.netns.kernel.dropSkb(n.queue.shift() as SkBuff, 'NEIGH_QUEUEFULL');
    }
    n.queue.push(skb);
  }
  return false;
}

/**
 * Linux: neigh_resolve_output — sends now (the device's verdict, which a local sender
 * sees as ENOBUFS on a drop) or after resolution ('ok': queued or dropped silently).
 */
export function neighOutput(n: Neighbour, skb: SkBuff): XmitResult {
  if ((n.state & NUD_CONNECTED) !== 0 && n.lladdr !== null) {
    n.used = n.now;
    return n.table.ops.xmit(n, skb);
  }
  if (neighEventSend(n, skb) && n.lladdr !== null) return n.table.ops.xmit(n, skb);
  return 'ok';
}

/**
 * Linux: __neigh_update. `lladdr` null keeps the known address. Returns false when
 * the update was refused (an admin-only entry touched by the protocol, or an override
 * not allowed).
 */
export function neighUpdate(
  n: Neighbour,
  lladdr: MacAddr | null,
  newState: number,
  flags: number,
): boolean {
  const old = n.state;
  const admin = (flags & NEIGH_UPDATE_F_ADMIN) !== 0;
  const now = n.now;
  if (!admin && (old & (NUD_NOARP | NUD_PERMANENT)) !== 0) return false;
  if (n.dead) return false;
  if ((newState & NUD_VALID) === 0) {
    delTimer(n);
    setState(n, newState);
    if ((old & (NUD_INCOMPLETE | NUD_PROBE)) !== 0 && (newState & NUD_FAILED) !== 0)
      neighInvalidate(n);
    return true;
  }
  let addr = lladdr;
  let state = newState;
  if (addr === null) {
    if ((old & NUD_VALID) === 0 || n.lladdr === null) return false;
    addr = n.lladdr;
  }
  if ((state & NUD_CONNECTED) !== 0) n.confirmed = now;
  if ((old & NUD_VALID) !== 0 && n.lladdr !== null) {
    const same = addr.equals(n.lladdr);
    if (!same && (flags & NEIGH_UPDATE_F_OVERRIDE) === 0) {
      if ((flags & NEIGH_UPDATE_F_WEAK_OVERRIDE) !== 0 && (old & NUD_CONNECTED) !== 0) {
        addr = n.lladdr;
        state = NUD_STALE;
      } else {
        return false;
      }
    } else if (same && state === NUD_STALE && !admin) {
      state = old;
    }
  }
  if ((flags & NEIGH_UPDATE_F_OVERRIDE_ISROUTER) !== 0)
    n.isRouter = (flags & NEIGH_UPDATE_F_ISROUTER) !== 0;
  const changedAddr = n.lladdr === null || !addr.equals(n.lladdr);
  if (state !== old || changedAddr) n.updated = now;
  if (state !== old) {
    delTimer(n);
    if ((state & NUD_PROBE) !== 0) n.probes = 0;
    if ((state & NUD_IN_TIMER) !== 0)
      addTimer(n, now + ((state & NUD_REACHABLE) !== 0 ? n.table.reachableTime(n.dev) : 0));
    setState(n, state);
  }
  if (changedAddr) {
    n.lladdr = addr;
    if ((state & NUD_CONNECTED) === 0) n.confirmed = now - 2 * n.table.baseReachable(n.dev);
  }
  if (state === old) return true;
  if ((old & NUD_VALID) === 0) {
    // The entry just became valid: send what waited for it (neigh_update's arp_queue loop).
    for (const skb of n.queue.splice(0)) n.table.ops.xmit(n, skb);
  }
  return true;
}

/**
 * Linux: neigh_event_ns — a solicitation from `key` told us its address: create the
 * entry if needed and mark it STALE (unless it is valid with the same address).
 */
export function neighEventNs(
  tbl: NeighTable,
  dev: NetDevice,
  key: IpAddr,
  lladdr: MacAddr,
): Neighbour {
  const n = tbl.create(dev, key);
  neighUpdate(n, lladdr, NUD_STALE, NEIGH_UPDATE_F_OVERRIDE);
  return n;
}

/**
 * Updates from a received reply (arp_process): REACHABLE when solicited unicast, else
 * STALE; a reply within LOCKTIME of the last update does not override a different
 * address (the first of several proxy replies wins).
 */
export function neighRecvReply(
  n: Neighbour,
  lladdr: MacAddr,
  reachable: boolean,
  forceOverride: boolean,
): void {
  const override = forceOverride || n.now > n.updated + LOCKTIME;
  neighUpdate(
    n,
    lladdr,
    reachable ? NUD_REACHABLE : NUD_STALE,
    override ? NEIGH_UPDATE_F_OVERRIDE : 0,
  );
}

// ---------------------------------------------------------------- admin API (ip neigh)

/** The state names `ip neigh` prints. */
export function nudName(state: number): string {
  const names: [number, string][] = [
    [NUD_INCOMPLETE, 'INCOMPLETE'],
    [NUD_REACHABLE, 'REACHABLE'],
    [NUD_STALE, 'STALE'],
    [NUD_DELAY, 'DELAY'],
    [NUD_PROBE, 'PROBE'],
    [NUD_FAILED, 'FAILED'],
    [NUD_NOARP, 'NOARP'],
    [NUD_PERMANENT, 'PERMANENT'],
  ];
  const parts = names.filter(([bit]) => (state & bit) !== 0).map(([, s]) => s);
  return parts.length === 0 ? 'NONE' : parts.join(' ');
}

/** What `ip neigh add|replace|change` asks for. */
export interface NeighConfig {
  readonly dev: NetDevice;
  readonly dst: IpAddr;
  readonly lladdr?: MacAddr;
  /** NUD_*; iproute2 sends PERMANENT by default. */
  readonly state?: number;
  readonly router?: boolean;
  readonly proxy?: boolean;
}

/** Linux: neigh_add. `mode` maps NLM_F_EXCL (add), NLM_F_REPLACE (replace), neither (change). */
export function neighAddTo(
  tbl: NeighTable,
  cfg: NeighConfig,
  mode: 'add' | 'replace' | 'change',
): Neighbour | null {
  if (cfg.proxy === true) {
    let set = tbl.proxies.get(cfg.dev);
    if (set === undefined) {
      set = new Set();
      tbl.proxies.set(cfg.dev, set);
    }
    const k = ipKey(cfg.dst);
    if (set.has(k)) {
      if (mode === 'add') throw new ErrnoError('EEXIST');
      return null;
    }
    set.add(k);
    // pndisc_constructor: the master joins the proxied address's solicited-node group,
    // or the multicast NS for it would never pass its IPv6 input (RX-L3-4 proxy NDP).
    if (cfg.dst instanceof Ipv6Addr) ipv6McInc(cfg.dev, solicitedNodeMulticast(cfg.dst));
    return null;
  }
  let n = tbl.lookup(cfg.dev, cfg.dst);
  if (n === undefined) {
    if (mode === 'change') throw new ErrnoError('ENOENT');
    n = tbl.create(cfg.dev, cfg.dst);
  } else if (mode === 'add') {
    throw new ErrnoError('EEXIST');
  }
  const state = cfg.state ?? NUD_PERMANENT;
  let flags = NEIGH_UPDATE_F_ADMIN | NEIGH_UPDATE_F_OVERRIDE;
  if (cfg.router !== undefined) {
    flags |= NEIGH_UPDATE_F_OVERRIDE_ISROUTER;
    if (cfg.router) flags |= NEIGH_UPDATE_F_ISROUTER;
  }
  if (cfg.lladdr === undefined && (state & NUD_VALID) !== 0 && n.lladdr === null)
    throw new ErrnoError('EINVAL');
  neighUpdate(n, cfg.lladdr ?? null, state, flags);
  return n;
}

/** Linux: neigh_delete — ENOENT when there is no such entry. */
export function neighDelFrom(tbl: NeighTable, dev: NetDevice, dst: IpAddr, proxy = false): void {
  if (proxy) {
    const set = tbl.proxies.get(dev);
    if (set === undefined || !set.delete(ipKey(dst))) throw new ErrnoError('ENOENT');
    // pndisc_destructor
    if (dst instanceof Ipv6Addr) ipv6McDec(dev, solicitedNodeMulticast(dst));
    return;
  }
  const n = tbl.lookup(dev, dst);
  if (n === undefined) throw new ErrnoError('ENOENT');
  neighUpdate(n, null, NUD_FAILED, NEIGH_UPDATE_F_OVERRIDE | NEIGH_UPDATE_F_ADMIN);
  tbl.remove(n);
}

/** True when `dst` has a proxy entry on `dev` or on any device (pneigh_lookup). */
export function pneighLookup(tbl: NeighTable, dev: NetDevice, dst: IpAddr): boolean {
  const k = ipKey(dst);
  return (tbl.proxies.get(dev)?.has(k) ?? false) || (tbl.proxies.get(null)?.has(k) ?? false);
}
