// The loopback device (Linux: drivers/net/loopback.c): ifindex 1 in every namespace,
// cannot leave its namespace or be deleted, and turns every transmitted frame into a
// received one.

import { ARPHRD_LOOPBACK, IFF_LOOPBACK } from '../uapi/if.ts';
import { MacAddr } from '../wire/address.ts';
import type { Kernel } from './kernel.ts';
import type { NetDevice, NetDeviceOps } from './netdev.ts';
import type { NetNamespace } from './netns.ts';

const loopbackOps: NetDeviceOps = {
  startXmit(skb, dev) {
    // Linux: loopback_xmit re-runs eth_type_trans on the same device and netif_rx.
    skb.scrub(false);
    skb.iif = 0;
    if (!dev.netns.kernel.ethTypeTrans(skb, dev)) return 'drop';
    // The length is taken after eth_type_trans pulled the Ethernet header, so lo counts
    // bytes from the network header on (84 for a default ping, not 98).
    const len = skb.networkData.length;
    skb.pktType = 'loopback';
    dev.stats.txPackets++;
    dev.stats.txBytes += len;
    dev.stats.rxPackets++;
    dev.stats.rxBytes += len;
    dev.netns.kernel.netifRx(skb);
    return 'ok';
  },
};

/** Creates `lo` (ifindex 1) in `ns`. Install with `kernel.setLoopbackFactory(createLoopback)`. */
export function createLoopback(kernel: Kernel, ns: NetNamespace): NetDevice {
  return kernel.createDevice(
    {
      name: 'lo',
      ops: loopbackOps,
      type: ARPHRD_LOOPBACK,
      flags: IFF_LOOPBACK,
      mtu: 65536,
      minMtu: 0,
      maxMtu: 0,
      address: MacAddr.ZERO,
      broadcast: MacAddr.ZERO,
      features: { netnsLocal: true, noQueue: true },
    },
    ns,
    { ifindex: 1 },
  );
}
