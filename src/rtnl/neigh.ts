// RTM_NEWNEIGH / RTM_DELNEIGH / RTM_GETNEIGH over the stack's ARP and ND tables
// (Linux 6.1: net/core/neighbour.c neigh_add, neigh_delete, neigh_dump_info,
// neigh_fill_info, pneigh_fill_info). Not modelled: NTF_USE, NTF_EXT_LEARNED,
// NDA_PROTOCOL, bridge FDB (AF_BRIDGE) requests.

import { ErrnoError } from '../base/errno.ts';
import type { NetDevice } from '../stack/netdev.ts';
import type { NetNamespace } from '../stack/netns.ts';
import { NUD_VALID, type Neighbour } from '../stack/neigh.ts';
import { NS_PER_SEC } from '../stack/scheduler.ts';
import { neighAdd, neighDel, neighTable } from '../stack/stack.ts';
import { AF_INET, AF_INET6, AF_UNSPEC, NUD_NONE, RTN_UNICAST } from '../uapi/rtnetlink.ts';
import { Ipv6Addr, ipv4, isIpv4, type IpAddr } from '../wire/address.ts';
import {
  NTF_PROXY,
  NTF_ROUTER,
  type DelNeighRequest,
  type GetNeighRequest,
  type NeighCacheInfo,
  type NeighMsg,
  type NewNeighRequest,
} from './messages.ts';

function neighFamily(family: number, dst: IpAddr): 4 | 6 {
  // neigh_find_table: only the ARP and ND tables exist.
  if (family !== AF_INET && family !== AF_INET6) throw new ErrnoError('EAFNOSUPPORT');
  const v4 = family === AF_INET;
  // nla_len(NDA_DST) < tbl->key_len is EINVAL ("Invalid network address").
  if (isIpv4(dst) !== v4) throw new ErrnoError('EINVAL', 'Invalid network address');
  return v4 ? 4 : 6;
}

function requireDev(net: NetNamespace, ifindex: number): NetDevice {
  const dev = net.getByIndex(ifindex);
  if (dev === undefined) throw new ErrnoError('ENODEV');
  return dev;
}

/**
 * Linux: neigh_add. NLM_F_EXCL (`add`) refuses an existing entry with EEXIST; without
 * NLM_F_CREATE (`change`) a missing one is ENOENT. A valid state without `lladdr` takes
 * the address the entry already has (a NOARP device's own MAC), else EINVAL.
 */
export function newNeigh(net: NetNamespace, req: NewNeighRequest): void {
  neighFamily(req.family, req.dst);
  // neigh_add requires ndm_ifindex for non-proxy entries (else "Device not specified"... the
  // kernel then falls through to EINVAL from the table lookup without a device).
  if (req.ifindex === 0 && (req.flags & NTF_PROXY) === 0) throw new ErrnoError('EINVAL');
  const dev = requireDev(net, req.ifindex);
  // NLM_F_EXCL: an existing entry is EEXIST; no NLM_F_CREATE: a missing one is ENOENT.
  const nlm = req.nlm;
  const mode = nlm.excl === true ? 'add' : nlm.create === true ? 'replace' : 'change';
  try {
    neighAdd(
      net,
      {
        dev,
        dst: req.dst,
        ...(req.lladdr !== undefined ? { lladdr: req.lladdr } : {}),
        state: req.state,
        ...((req.flags & NTF_ROUTER) !== 0 ? { router: true } : {}),
        ...((req.flags & NTF_PROXY) !== 0 ? { proxy: true } : {}),
      },
      mode,
    );
  } catch (err) {
    // __neigh_update: no address given and none known.
    if (
      err instanceof ErrnoError &&
      err.code === 'EINVAL' &&
      err.extack === undefined &&
      req.lladdr === undefined
    )
      throw new ErrnoError('EINVAL', 'No link layer address given');
    throw err;
  }
}

/** Linux: neigh_delete. @throws {ErrnoError} ENOENT when there is no such entry. */
export function delNeigh(net: NetNamespace, req: DelNeighRequest): void {
  neighFamily(req.family, req.dst);
  const proxy = (req.flags & NTF_PROXY) !== 0;
  if (req.ifindex === 0 && !proxy) throw new ErrnoError('EINVAL');
  const dev = requireDev(net, req.ifindex);
  neighDel(net, dev, req.dst, proxy);
}

/** jiffies_to_clock_t of an age: centiseconds (USER_HZ = 100). */
function ageClockT(now: number, then: number): number {
  return Math.max(0, Math.floor((now - then) / (NS_PER_SEC / 100)));
}

/** neigh_fill_info: NDA_LLADDR only while the state is valid; NDA_PROBES and NDA_CACHEINFO always. */
function neighMsg(family: number, n: Neighbour): NeighMsg {
  const now = n.dev.netns.kernel.now;
  const cacheinfo: NeighCacheInfo = {
    confirmed: ageClockT(now, n.confirmed),
    used: ageClockT(now, n.used),
    updated: ageClockT(now, n.updated),
    // ndm_refcnt is the count minus the table's own reference: a pending NUD timer
    // holds one (neigh_add_timer); routes and sockets holding entries are not modelled.
    refcnt: n.timer !== undefined && !n.timer.cancelled ? 1 : 0,
  };
  return {
    family,
    ifindex: n.dev.ifindex,
    state: n.state,
    flags: n.isRouter ? NTF_ROUTER : 0,
    type: RTN_UNICAST,
    dst: n.key,
    ...((n.state & NUD_VALID) !== 0 && n.lladdr !== null ? { lladdr: n.lladdr } : {}),
    probes: n.probes,
    cacheinfo,
  };
}

function dumpTable(net: NetNamespace, family: 4 | 6, req: GetNeighRequest): NeighMsg[] {
  const af = family === 4 ? AF_INET : AF_INET6;
  const tbl = neighTable(net, family);
  if (req.proxy === true) {
    // pneigh_fill_info: NTF_PROXY, state NONE, the device (0 for "any") and NDA_DST only.
    const out: NeighMsg[] = [];
    const devs = [...tbl.proxies.keys()].sort((a, b) => (a?.ifindex ?? 0) - (b?.ifindex ?? 0));
    for (const dev of devs) {
      if (req.ifindex !== undefined && dev?.ifindex !== req.ifindex) continue;
      for (const key of tbl.proxies.get(dev) ?? []) {
        const dst = proxyKey(key);
        if (dst === null) continue;
        out.push({
          family: af,
          ifindex: dev?.ifindex ?? 0,
          state: NUD_NONE,
          flags: NTF_PROXY,
          type: RTN_UNICAST,
          dst,
        });
      }
    }
    return out;
  }
  const dev = req.ifindex !== undefined ? net.getByIndex(req.ifindex) : undefined;
  // neigh_dump_table: a filter on a device that does not exist matches nothing.
  if (req.ifindex !== undefined && dev === undefined) return [];
  return tbl.entries(dev).map((n) => neighMsg(af, n));
}

/** A proxy-set key back as an address (ipKey: the IPv4 number, or 32 hex digits). */
function proxyKey(key: number | string): IpAddr | null {
  if (typeof key === 'number') return ipv4(key);
  if (!/^[0-9a-f]{32}$/.test(key)) return null;
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) bytes[i] = parseInt(key.slice(2 * i, 2 * i + 2), 16);
  return Ipv6Addr.fromBytes(bytes);
}

/**
 * RTM_GETNEIGH dump: ARP then ND for AF_UNSPEC (neigh_tables order), each table's
 * entries by device. Linux walks a hash with a per-boot random seed, so callers must
 * not rely on the order within a table.
 */
export function dumpNeighs(net: NetNamespace, req: GetNeighRequest): NeighMsg[] {
  const out: NeighMsg[] = [];
  if (req.family === AF_UNSPEC || req.family === AF_INET) out.push(...dumpTable(net, 4, req));
  if (req.family === AF_UNSPEC || req.family === AF_INET6) out.push(...dumpTable(net, 6, req));
  return out;
}
