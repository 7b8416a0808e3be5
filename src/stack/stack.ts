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
    ndiscNetdevEvent(dev, ev.type);
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
