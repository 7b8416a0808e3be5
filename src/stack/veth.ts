// Virtual Ethernet pairs (Linux: drivers/net/veth.c, 6.1, without XDP/NAPI): what one
// end transmits the other receives through dev_forward_skb. Carrier is on only while
// both ends are up; deleting either end deletes the pair; either end may move to
// another namespace and keeps working. Stats as veth_get_stats64 reports them: an
// end's rx counters are its peer's successful transmits.

import { IFF_BROADCAST, IFF_MULTICAST } from '../uapi/if.ts';
import type { MacAddr } from '../wire/address.ts';
import type { Kernel } from './kernel.ts';
import type { LinkKind, LinkStats64, NetDevice, NetDeviceOps } from './netdev.ts';
import type { NetNamespace } from './netns.ts';

interface VethPriv {
  readonly veth: true;
  peer: NetDevice | null;
  /** Successful transmits (the lstats veth_xmit adds to). */
  txPackets: number;
  txBytes: number;
  /** Frames veth_xmit could not hand to the peer (priv->dropped → tx_dropped). */
  dropped: number;
}

function vethPriv(dev: NetDevice): VethPriv | null {
  const priv = dev.priv as Partial<VethPriv> | undefined;
  return priv !== undefined && priv !== null && priv.veth === true ? (priv as VethPriv) : null;
}

/** The other end of a veth, or null when `dev` is not a veth (or is being torn down). */
export function vethPeer(dev: NetDevice): NetDevice | null {
  return vethPriv(dev)?.peer ?? null;
}

const vethOps: NetDeviceOps = {
  // Linux: veth_xmit
  startXmit(skb, dev) {
    const priv = vethPriv(dev) as VethPriv;
    const kernel = dev.netns.kernel;
    const peer = priv.peer;
    if (peer === null) {
      priv.dropped++;
      kernel.dropSkb(skb, 'DEV_READY', 'veth without peer');
      return 'drop';
    }
    const length = skb.len;
    // dev_forward_skb refuses a down peer or an oversize frame (rx_dropped on the
    // peer); veth then counts the frame as its own tx_dropped too.
    if (kernel.devForwardSkb(peer, skb) !== 'ok') {
      priv.dropped++;
      return 'drop';
    }
    priv.txPackets++;
    priv.txBytes += length;
    return 'ok';
  },
  // Linux: veth_open — carrier on both ends once both are up.
  open(dev) {
    const peer = vethPeer(dev);
    if (peer === null) return;
    if (peer.isUp) {
      const kernel = dev.netns.kernel;
      kernel.netifCarrierOn(dev);
      peer.netns.kernel.netifCarrierOn(peer);
    }
  },
  // Linux: veth_close — carrier off on both ends.
  stop(dev) {
    dev.netns.kernel.netifCarrierOff(dev);
    const peer = vethPeer(dev);
    if (peer !== null) peer.netns.kernel.netifCarrierOff(peer);
  },
  setMacAddress(dev, mac) {
    dev.address = mac;
  },
  getIflink(dev) {
    return vethPeer(dev)?.ifindex ?? 0;
  },
  // Linux: veth_get_stats64
  getStats64(dev, into: LinkStats64) {
    const priv = vethPriv(dev) as VethPriv;
    into.txPackets = priv.txPackets;
    into.txBytes = priv.txBytes;
    into.txDropped = priv.dropped;
    const peerPriv = priv.peer === null ? null : vethPriv(priv.peer);
    if (peerPriv !== null) {
      into.rxPackets = peerPriv.txPackets;
      into.rxBytes = peerPriv.txBytes;
    }
  },
  uninit(dev) {
    // Linux: veth_dellink clears both peer pointers before unregistering.
    const priv = vethPriv(dev);
    if (priv === null) return;
    const peer = priv.peer;
    priv.peer = null;
    if (peer !== null) {
      const peerPriv = vethPriv(peer);
      if (peerPriv !== null) peerPriv.peer = null;
    }
  },
};

/** The `veth` link kind: deleting either end unregisters both (veth_dellink). */
export const vethKind: LinkKind = {
  kind: 'veth',
  dellink(dev) {
    const peer = vethPeer(dev);
    dev.netns.kernel.unregisterNetdevice(dev);
    if (peer !== null && peer.registered) peer.netns.kernel.unregisterNetdevice(peer);
  },
};

/** One end of a pair to create. */
export interface VethEnd {
  readonly ns: NetNamespace;
  /** A name or a `%d` template (default `veth%d`). */
  readonly name?: string;
  readonly address?: MacAddr;
  readonly mtu?: number;
}

/**
 * Creates a veth pair (Linux: veth_newlink). The peer is registered first, so it gets
 * the lower ifindex, as `ip link add veth0 type veth peer name veth1` shows. Both ends
 * start without carrier. Returns `[dev, peer]`.
 */
export function createVethPair(
  kernel: Kernel,
  end: VethEnd,
  peerEnd: VethEnd,
): [NetDevice, NetDevice] {
  const peer = kernel.createDevice(vethInit(kernel, peerEnd), peerEnd.ns);
  let dev: NetDevice;
  try {
    dev = kernel.createDevice(vethInit(kernel, end), end.ns);
  } catch (err) {
    kernel.unregisterNetdevice(peer);
    throw err;
  }
  (vethPriv(dev) as VethPriv).peer = peer;
  (vethPriv(peer) as VethPriv).peer = dev;
  // veth_newlink turns each end's carrier off after register_netdevice, which counts one
  // carrier_down (IFLA_CARRIER_CHANGES); the ends are born without carrier here instead.
  peer.carrierDownCount++;
  dev.carrierDownCount++;
  return [dev, peer];
}

function vethInit(kernel: Kernel, end: VethEnd) {
  const priv: VethPriv = { veth: true, peer: null, txPackets: 0, txBytes: 0, dropped: 0 };
  return {
    name: end.name ?? 'veth%d',
    ops: vethOps,
    linkKind: vethKind,
    flags: IFF_BROADCAST | IFF_MULTICAST,
    mtu: end.mtu ?? 1500,
    minMtu: 68,
    maxMtu: 65535,
    address: end.address ?? kernel.randomMac(),
    carrierOff: true,
    features: { noQueue: true, liveAddrChange: true },
    priv,
  };
}
