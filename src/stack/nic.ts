// A physical-NIC-like Ethernet device, modelled on a single-queue virtio_net NIC as a
// Debian 12 guest shows it (`qdisc pfifo_fast`, minmtu 68, maxmtu 65535). It has no
// link kind: it is hardware, so deleting its namespace returns it to the initial one.
// Frames leave through a `Link` (link.ts); received frames and carrier changes come
// back through the `LinkPort` the attach returns. Receive filtering is done as the
// hardware does it: unicast for another MAC is dropped unless promiscuous, multicast
// only when joined or ALLMULTI, broadcast always (ipvlan relies on it, spec MP-*).

import { ErrnoError } from '../base/errno.ts';
import { ETH_HLEN, IFF_BROADCAST, IFF_MULTICAST } from '../uapi/if.ts';
import type { MacAddr } from '../wire/address.ts';
import { macKeyAt } from '../wire/address.ts';
import { padEthernetFrame, VLAN_TAG_LEN } from '../wire/ethernet.ts';
import type { Kernel } from './kernel.ts';
import type { Link, LinkPort } from './link.ts';
import type { NetDevice, NetDeviceOps } from './netdev.ts';
import type { NetNamespace } from './netns.ts';
import { SkBuff } from './skb.ts';

interface NicPriv {
  readonly nic: true;
  link: Link | null;
  readonly port: LinkPort;
}

function nicPriv(dev: NetDevice): NicPriv | null {
  const priv = dev.priv as Partial<NicPriv> | undefined;
  return priv !== undefined && priv !== null && priv.nic === true ? (priv as NicPriv) : null;
}

/** True for devices made by `createNic`. */
export function isNic(dev: NetDevice): boolean {
  return nicPriv(dev) !== null;
}

const nicOps: NetDeviceOps = {
  startXmit(skb, dev) {
    const kernel = dev.netns.kernel;
    const priv = nicPriv(dev);
    const link = priv?.link ?? null;
    if (link === null || !dev.carrier) {
      // Linux: without carrier the qdisc is noop_qdisc, which frees the frame
      // without touching the device counters.
      kernel.dropSkb(skb, 'NO_CARRIER');
      return 'drop';
    }
    const len = skb.len;
    // Short frames are padded to ETH_ZLEN on the way out, as the MAC does;
    // tx_bytes counts what the stack handed over (virtio_net counts skb->len).
    if (!link.transmit(padEthernetFrame(skb.data))) {
      dev.stats.txDropped++;
      kernel.dropSkb(skb, 'FULL_RING');
      return 'drop';
    }
    dev.stats.txPackets++;
    dev.stats.txBytes += len;
    return 'ok';
  },
  setMacAddress(dev, mac) {
    dev.address = mac;
  },
  uninit(dev) {
    const priv = nicPriv(dev);
    if (priv === null) return;
    const link = priv.link;
    priv.link = null;
    link?.detached?.();
  },
};

// Linux: a driver's rx path (virtio_net receive_buf → napi_gro_receive), with the
// MAC's address filter in front of it.
function nicReceiveFrame(dev: NetDevice, frame: Uint8Array): void {
  if (!dev.registered) return;
  const kernel = dev.netns.kernel;
  // The frame belongs to the caller; the backlog keeps it past this call.
  const skb = new SkBuff(frame.slice(), dev);
  if (!dev.carrier) {
    kernel.dropSkb(skb, 'NO_CARRIER', 'frame arrived without carrier');
    return;
  }
  if (!dev.isUp) {
    dev.stats.rxDropped++;
    kernel.dropSkb(skb, 'DEV_READY');
    return;
  }
  if (frame.length < ETH_HLEN) {
    dev.stats.rxErrors++;
    dev.stats.rxLengthErrors++;
    kernel.dropSkb(skb, 'PKT_TOO_SMALL');
    return;
  }
  // A frame longer than MTU + header + one tag does not fit the receive buffers.
  if (frame.length > dev.mtu + ETH_HLEN + VLAN_TAG_LEN) {
    dev.stats.rxErrors++;
    dev.stats.rxLengthErrors++;
    kernel.dropSkb(skb, 'PKT_TOO_BIG');
    return;
  }
  const group = ((frame[0] as number) & 1) === 1;
  let broadcast = false;
  if (group) {
    broadcast = macKeyAt(frame, 0) === 0xffffffffffff;
    if (!broadcast && !dev.promiscOn && !dev.allmultiOn && !hasGroup(dev, frame)) {
      // The hardware filter drops it before the OS sees it: no device counter.
      kernel.dropSkb(skb, 'OTHERHOST', 'multicast group not joined');
      return;
    }
  } else if (!dev.address.equalsAt(frame, 0) && !dev.promiscOn) {
    kernel.dropSkb(skb, 'OTHERHOST', 'unicast for another MAC');
    return;
  }
  dev.stats.rxPackets++;
  dev.stats.rxBytes += frame.length;
  if (group && !broadcast) dev.stats.multicast++;
  if (!kernel.ethTypeTrans(skb, dev)) return;
  kernel.netifRx(skb);
}

function hasGroup(dev: NetDevice, frame: Uint8Array): boolean {
  return dev.mcList.has(macKeyAt(frame, 0));
}

/** Options for `createNic`. */
export interface NicOptions {
  /** Default: a random locally administered MAC from the kernel's seeded generator. */
  readonly address?: MacAddr;
  readonly mtu?: number;
  /** Default 65535, as virtio_net without VIRTIO_NET_F_MTU. */
  readonly maxMtu?: number;
  /** Attach to this link at once (carrier stays off until the link's owner sets it). */
  readonly link?: Link;
}

/**
 * Creates a NIC (BROADCAST|MULTICAST, mtu 1500, min 68, `qdisc pfifo_fast` once up,
 * carrier off until its link reports one).
 */
export function createNic(
  kernel: Kernel,
  ns: NetNamespace,
  name: string,
  options: NicOptions = {},
): NetDevice {
  const priv: { nic: true; link: Link | null; port: LinkPort | null } = {
    nic: true,
    link: options.link ?? null,
    port: null,
  };
  const dev = kernel.createDevice(
    {
      name,
      ops: nicOps,
      linkKind: null,
      flags: IFF_BROADCAST | IFF_MULTICAST,
      mtu: options.mtu ?? 1500,
      minMtu: 68,
      maxMtu: options.maxMtu ?? 65535,
      address: options.address ?? kernel.randomMac(),
      txqlen: 1000,
      carrierOff: true,
      features: { noQueue: false, liveAddrChange: true },
      priv,
    },
    ns,
  );
  priv.port = {
    receive: (frame) => nicReceiveFrame(dev, frame),
    setCarrier: (on) => nicSetCarrier(dev, on),
  };
  return dev;
}

/**
 * Plugs `dev` into `link` (replacing any previous link, which is told it was
 * detached) and returns the port the link's owner feeds.
 * @throws {ErrnoError} EOPNOTSUPP when `dev` is not a NIC.
 */
export function nicAttach(dev: NetDevice, link: Link): LinkPort {
  const priv = requireNic(dev);
  const old = priv.link;
  priv.link = link;
  if (old !== null && old !== link) old.detached?.();
  return priv.port;
}

/** Unplugs the NIC: carrier goes off and the link is told. */
export function nicDetach(dev: NetDevice): void {
  const priv = requireNic(dev);
  const old = priv.link;
  priv.link = null;
  nicSetCarrier(dev, false);
  old?.detached?.();
}

/** The link the NIC is plugged into, or null. */
export function nicLink(dev: NetDevice): Link | null {
  return nicPriv(dev)?.link ?? null;
}

/** A frame arrives on the NIC's wire (the bytes are copied; never throws). */
export function nicReceive(dev: NetDevice, frame: Uint8Array): void {
  nicReceiveFrame(dev, frame);
}

/** The PHY reports link up or down. */
export function nicSetCarrier(dev: NetDevice, on: boolean): void {
  if (!dev.registered) return;
  if (on) dev.netns.kernel.netifCarrierOn(dev);
  else dev.netns.kernel.netifCarrierOff(dev);
}

function requireNic(dev: NetDevice): NicPriv {
  const priv = nicPriv(dev);
  if (priv === null) throw new ErrnoError('EOPNOTSUPP');
  return priv;
}
