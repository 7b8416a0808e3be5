// ipvlan's entries in the rtnl link-kind registry (Linux: ipvlan_link_ops in
// ipvlan_main.c, registered by ipvlan_link_register, and ipvtap_link_ops in ipvtap.c,
// which reuses it). rtnl never imports the driver; the composition root calls
// `registerIpvlanKind` on its registry.

import { ErrnoError } from '../base/errno.ts';
import { ETH_MAX_MTU, ETH_MIN_MTU } from '../uapi/if.ts';
import type { LinkKindOps, LinkKindRegistry } from '../rtnl/kinds.ts';
import {
  ipvlanChangeLink,
  ipvlanFillInfo,
  ipvlanModuleInit,
  ipvlanNewLink,
  ipvlanOf,
  ipvlanValidate,
} from './main.ts';

/**
 * Linux: ipvlan_link_ops ("ipvlan"), with ipvlan_link_setup's MTU range; for `ipvtap`
 * the same ops under another kind word (TAP-1: ipvtap_link_ops copies ipvlan's
 * validate/changelink/fill_info/get_link_net and wraps newlink/dellink).
 */
function ipvlanLinkOps(kind: 'ipvlan' | 'ipvtap'): LinkKindOps {
  return {
    kind,
    minMtu: ETH_MIN_MTU,
    maxMtu: ETH_MAX_MTU,
    // ipvlan_init sets the master's MAC with eth_hw_addr_set: perm_addr keeps it (MAC-4).
    permAddr: true,
    // Linux: netif_inherit_tso_max from the master.
    tsoMaxSize: (dev, of) => {
      const ipvlan = ipvlanOf(dev);
      return ipvlan === undefined ? 65536 : of(ipvlan.phyDev);
    },
    validate(info) {
      if (info.kind === kind) ipvlanValidate(info.data);
    },
    newLink({ kernel, net, ifname, req, lower }) {
      ipvlanModuleInit(kernel);
      const info = req.linkinfo;
      // Linux: ipvlan_link_new refuses a slave without IFLA_LINK (LC-2).
      const link = lower();
      if (link === null) throw new ErrnoError('EINVAL');
      return ipvlanNewLink(kernel, {
        link,
        name: ifname,
        netns: net,
        ...(req.mtu === undefined ? {} : { mtu: req.mtu }),
        ...(req.txqlen === undefined ? {} : { txqlen: req.txqlen }),
        ...((req.ifindex ?? 0) > 0 ? { ifindex: req.ifindex } : {}),
        ...(info?.kind === kind && info.data !== undefined ? { data: info.data } : {}),
        ...(kind === 'ipvtap' ? { tap: true } : {}),
      });
    },
    changeLink(dev, info) {
      if (info.kind === kind) ipvlanChangeLink(dev.netns.kernel, dev, info.data);
    },
    fillInfo: (dev) => ({ kind, data: ipvlanFillInfo(dev) }),
    // Linux: ipvlan_get_link_net — the master's namespace.
    getLinkNet: (dev) => ipvlanOf(dev)?.phyDev.netns ?? dev.netns,
  };
}

/**
 * Registers the `ipvlan` and `ipvtap` kinds (call once per registry, like
 * ipvlan_link_register and ipvtap_init).
 */
export function registerIpvlanKind(registry: LinkKindRegistry): void {
  registry.register(ipvlanLinkOps('ipvlan'));
  registry.register(ipvlanLinkOps('ipvtap'));
}
