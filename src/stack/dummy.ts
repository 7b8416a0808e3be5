// The dummy device (Linux: drivers/net/dummy.c): counts and discards everything it
// transmits. The real-kernel recordings use one named eth0 as an ipvlan master.

import { IFF_BROADCAST, IFF_NOARP } from '../uapi/if.ts';
import type { MacAddr } from '../wire/address.ts';
import type { Kernel } from './kernel.ts';
import type { LinkKind, NetDevice, NetDeviceOps } from './netdev.ts';
import type { NetNamespace } from './netns.ts';

const dummyOps: NetDeviceOps = {
  startXmit(skb, dev) {
    dev.stats.txPackets++;
    dev.stats.txBytes += skb.len;
    return 'ok';
  },
  setMacAddress(dev, mac) {
    dev.address = mac;
  },
};

/** The `dummy` link kind: deleting one just unregisters it. */
export const dummyKind: LinkKind = {
  kind: 'dummy',
  dellink(dev) {
    dev.netns.kernel.unregisterNetdevice(dev);
  },
};

/** Creates a dummy device (BROADCAST|NOARP, random MAC unless given, min/max MTU 0). */
export function createDummy(
  kernel: Kernel,
  ns: NetNamespace,
  name: string,
  options: { address?: MacAddr; mtu?: number } = {},
): NetDevice {
  return kernel.createDevice(
    {
      name,
      ops: dummyOps,
      linkKind: dummyKind,
      flags: IFF_BROADCAST | IFF_NOARP,
      mtu: options.mtu ?? 1500,
      // Linux: dummy sets min_mtu = max_mtu = 0, meaning "no range check" (`minmtu 0 maxmtu 0`).
      minMtu: 0,
      maxMtu: 0,
      address: options.address ?? kernel.randomMac(),
      features: { noQueue: true, liveAddrChange: true },
    },
    ns,
  );
}
