// Registers the IP stack on a Kernel (Linux: inet_init / inet6_init): per-namespace
// state (sysctls, FIBs, neighbour tables) through pernet ops, the protocol handlers for
// ETH_P_IP, ETH_P_ARP and ETH_P_IPV6, and the netdevice notifiers of devinet/fib,
// ARP, addrconf and ND. Call once per kernel, after the loopback factory is set or
// before: both orders give every namespace its `lo` with 127.0.0.1 and ::1 once up.

import { ETH_P_ARP, ETH_P_IP, ETH_P_IPV6 } from '../uapi/if.ts';
import { addrconfNetdevEvent, addrconfSysctl } from './addrconf.ts';
import { arpNetdevEvent, arpRcv } from './arp.ts';
import { inetNetdevEvent } from './inet.ts';
import { ipRcv } from './ipv4.ts';
import { ip6Rcv } from './ipv6.ts';
import type { Kernel, NetdevEvent } from './kernel.ts';
import { ndiscNetdevEvent } from './ndisc.ts';
import {
  sysctlDevExit,
  sysctlDevInit,
  sysctlDevRename,
  sysctlNetInit,
  sysctlWatchers,
} from './sysctl.ts';

const installed = new WeakSet<Kernel>();

/** Installs IPv4, ARP, IPv6 and ND on `kernel` (idempotent). */
export function installInetStack(kernel: Kernel): void {
  if (installed.has(kernel)) return;
  installed.add(kernel);
  const names = new WeakMap<object, string>();
  kernel.netdevChain.push((ev: NetdevEvent) => {
    const dev = ev.dev;
    // Per-device sysctls follow the device (devinet_sysctl_register / unregister).
    if (ev.type === 'NETDEV_REGISTER') {
      sysctlDevInit(dev);
      names.set(dev, dev.name);
    } else if (ev.type === 'NETDEV_CHANGENAME') {
      sysctlDevRename(dev, names.get(dev) ?? dev.name);
      names.set(dev, dev.name);
    }
    inetNetdevEvent(ev);
    arpNetdevEvent(ev);
    addrconfNetdevEvent(ev);
    ndiscNetdevEvent(dev, ev.type, ev.flagsChanged);
    if (ev.type === 'NETDEV_UNREGISTER') sysctlDevExit(dev);
  });
  kernel.registerPernet({
    name: 'inet',
    init(ns) {
      sysctlNetInit(ns);
      sysctlWatchers(ns).push((name, value) => addrconfSysctl(ns, name, value));
      // Devices registered before the stack was installed (lo of the first namespace).
      for (const dev of ns.devices) {
        sysctlDevInit(dev);
        names.set(dev, dev.name);
        inetNetdevEvent({ type: 'NETDEV_REGISTER', dev });
        addrconfNetdevEvent({ type: 'NETDEV_REGISTER', dev });
        if (dev.isUp) {
          inetNetdevEvent({ type: 'NETDEV_UP', dev });
          addrconfNetdevEvent({ type: 'NETDEV_UP', dev });
        }
      }
    },
  });
  kernel.ptypes.set(ETH_P_IP, ipRcv);
  kernel.ptypes.set(ETH_P_ARP, arpRcv);
  kernel.ptypes.set(ETH_P_IPV6, ip6Rcv);
}

// ---------------------------------------------------------------- control API helpers

import type { IpAddr } from '../wire/address.ts';
import { isIpv4 } from '../wire/address.ts';
import { arpTable } from './arp.ts';
import { ndTable } from './ndisc.ts';
import type { NetDevice } from './netdev.ts';
import type { NetNamespace } from './netns.ts';
import {
  neighAddTo,
  neighDelFrom,
  NUD_VALID,
  type NeighConfig,
  type NeighTable,
  type Neighbour,
} from './neigh.ts';
import { ipRouteInput, ipRouteOutput, type Ipv4InputRoute, type Ipv4OutRoute } from './ipv4.ts';
import { ip6RouteInput, ip6RouteOutput, type Ipv6InputRoute, type Ipv6OutRoute } from './ipv6.ts';
import { NUD_NOARP, NUD_PERMANENT } from '../uapi/rtnetlink.ts';

/** The neighbour table of a family in `ns` (ARP for 4, ND for 6). */
export function neighTable(ns: NetNamespace, family: 4 | 6): NeighTable {
  return family === 4 ? arpTable(ns) : ndTable(ns);
}

/** `ip neigh add|replace|change`; EEXIST / ENOENT as Linux's neigh_add. */
export function neighAdd(
  ns: NetNamespace,
  cfg: NeighConfig,
  mode: 'add' | 'replace' | 'change' = 'add',
): Neighbour | null {
  return neighAddTo(neighTable(ns, isIpv4(cfg.dst) ? 4 : 6), cfg, mode);
}

/** `ip neigh replace`. */
export function neighReplace(ns: NetNamespace, cfg: NeighConfig): Neighbour | null {
  return neighAdd(ns, cfg, 'replace');
}

/** `ip neigh del`; ENOENT when there is no such entry. */
export function neighDel(ns: NetNamespace, dev: NetDevice, dst: IpAddr, proxy = false): void {
  neighDelFrom(neighTable(ns, isIpv4(dst) ? 4 : 6), dev, dst, proxy);
}

/** Every entry of a family (`ip neigh show nud all`), optionally one device. */
export function neighList(ns: NetNamespace, family: 4 | 6, dev?: NetDevice): Neighbour[] {
  return neighTable(ns, family).entries(dev);
}

/**
 * `ip neigh flush [dev D]`: iproute2 deletes the entries its default filter shows —
 * valid states other than PERMANENT and NOARP — one by one. Returns how many went.
 */
export function neighFlush(ns: NetNamespace, family: 4 | 6, dev?: NetDevice): number {
  const tbl = neighTable(ns, family);
  let n = 0;
  for (const e of tbl.entries(dev)) {
    if ((e.state & NUD_VALID) === 0 || (e.state & (NUD_PERMANENT | NUD_NOARP)) !== 0) continue;
    tbl.remove(e);
    n++;
  }
  return n;
}

/** What `ip route get` asks. */
export interface RouteGetRequest {
  readonly dst: IpAddr;
  readonly src?: IpAddr;
  readonly oif?: NetDevice;
  /** With `iif`, the lookup is an input route as for a packet arriving there. */
  readonly iif?: NetDevice;
}

/** `ip route get` (inet_rtm_getroute / inet6_rtm_getroute): throws the lookup's errno. */
export function routeGet(
  ns: NetNamespace,
  req: RouteGetRequest,
): Ipv4OutRoute | Ipv6OutRoute | Ipv4InputRoute | Ipv6InputRoute {
  const dst = req.dst;
  if (isIpv4(dst)) {
    if (req.iif !== undefined)
      return ipRouteInput(dst, (req.src as never) ?? (0 as never), req.iif);
    return ipRouteOutput(ns, {
      daddr: dst,
      saddr: req.src !== undefined && isIpv4(req.src) ? req.src : undefined,
      oif: req.oif ?? null,
    });
  }
  if (req.iif !== undefined) return ip6RouteInput(dst, req.iif);
  return ip6RouteOutput(ns, {
    daddr: dst,
    saddr: req.src !== undefined && !isIpv4(req.src) ? req.src : undefined,
    oif: req.oif ?? null,
  });
}
