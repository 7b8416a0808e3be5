// IEEE 802.1Q / 802.1ad VLAN sub-interfaces (Linux: net/8021q, 6.1, REORDER_HDR on,
// no QoS maps, no GVRP/MVRP). Transmit inserts the tag and sends on the lower device;
// receive is the kernel's vlan hook (vlan_do_receive): a tagged frame whose VID has a
// device on the receiving device moves there untagged. The vlan device follows its
// lower device's carrier, up/down state, MTU ceiling and (while it shares it) MAC.

import { ErrnoError } from '../base/errno.ts';
import {
  ETH_HLEN,
  ETH_P_8021AD,
  ETH_P_8021Q,
  IFF_BROADCAST,
  IFF_LOOPBACK,
  IFF_MULTICAST,
  IFF_NOARP,
  IFF_POINTOPOINT,
  IFF_UP,
} from '../uapi/if.ts';
import type { MacAddr } from '../wire/address.ts';
import { be16, setBe16 } from '../wire/bytes.ts';
import { VLAN_TAG_LEN } from '../wire/ethernet.ts';
import type { Kernel, NetdevEvent } from './kernel.ts';
import type { LinkKind, NetDevice, NetDeviceOps } from './netdev.ts';
import type { NetNamespace } from './netns.ts';
import type { SkBuff } from './skb.ts';

/** The VLAN protocols a vlan device may use. */
export type VlanProtocol = '802.1Q' | '802.1ad';

const TPID: Readonly<Record<VlanProtocol, number>> = {
  '802.1Q': ETH_P_8021Q,
  '802.1ad': ETH_P_8021AD,
};

/** VLAN_VID_MASK: 4095 is reserved, so ids run 0..4094. */
const VLAN_VID_MASK = 0x0fff;
const GROUP = '8021q';

/** What `ip -d link` shows for a vlan device. */
export interface VlanInfo {
  readonly lower: NetDevice;
  readonly id: number;
  readonly protocol: VlanProtocol;
}

interface VlanPriv extends VlanInfo {
  readonly vlanDev: true;
  /** The MAC is the lower device's (NET_ADDR_STOLEN) and follows it. */
  followsLower: boolean;
}

/** Vlan devices on one lower device, by TPID and VID (Linux: struct vlan_group). */
type VlanGroup = Map<number, NetDevice>;

function groupKey(tpid: number, vid: number): number {
  return tpid * 4096 + vid;
}

function vlanPriv(dev: NetDevice): VlanPriv | null {
  const priv = dev.priv as Partial<VlanPriv> | undefined;
  return priv !== undefined && priv !== null && priv.vlanDev === true ? (priv as VlanPriv) : null;
}

/** The lower device, id and protocol of a vlan device, or null for other kinds. */
export function vlanInfo(dev: NetDevice): VlanInfo | null {
  const priv = vlanPriv(dev);
  return priv === null ? null : { lower: priv.lower, id: priv.id, protocol: priv.protocol };
}

function groupOf(lower: NetDevice): VlanGroup | undefined {
  return lower.proto.get(GROUP) as VlanGroup | undefined;
}

const vlanOps: NetDeviceOps = {
  // Linux: vlan_dev_hard_start_xmit
  startXmit(skb, dev) {
    const priv = vlanPriv(dev) as VlanPriv;
    const kernel = dev.netns.kernel;
    const len = skb.len;
    if (len < ETH_HLEN) {
      dev.stats.txDropped++;
      kernel.dropSkb(skb, 'PKT_TOO_SMALL');
      return 'drop';
    }
    const tagged = new Uint8Array(len + VLAN_TAG_LEN);
    tagged.set(skb.data.subarray(0, 12), 0);
    setBe16(tagged, 12, TPID[priv.protocol]);
    setBe16(tagged, 14, priv.id); // PCP 0, DEI 0: no egress QoS map
    tagged.set(skb.data.subarray(12), 16);
    skb.data = tagged;
    skb.shared = false;
    skb.dev = priv.lower;
    if (kernel.devQueueXmit(skb) === 'ok') {
      dev.stats.txPackets++;
      dev.stats.txBytes += len;
      return 'ok';
    }
    dev.stats.txDropped++;
    return 'drop';
  },
  // Linux: vlan_dev_open
  open(dev) {
    const priv = vlanPriv(dev) as VlanPriv;
    if (!priv.lower.isUp) throw new ErrnoError('ENETDOWN');
    if (priv.lower.carrier) dev.netns.kernel.netifCarrierOn(dev);
  },
  stop(dev) {
    dev.netns.kernel.netifCarrierOff(dev);
  },
  changeMtu(dev, mtu) {
    const priv = vlanPriv(dev) as VlanPriv;
    if (mtu > priv.lower.mtu) throw new ErrnoError('ERANGE');
    dev.mtu = mtu;
  },
  setMacAddress(dev, mac) {
    const priv = vlanPriv(dev) as VlanPriv;
    dev.address = mac;
    priv.followsLower = mac.equals(priv.lower.address);
  },
  uninit(dev) {
    const priv = vlanPriv(dev);
    if (priv === null) return;
    const group = groupOf(priv.lower);
    const key = groupKey(TPID[priv.protocol], priv.id);
    if (group?.get(key) === dev) group.delete(key);
  },
};

/** The `vlan` link kind. */
export const vlanKind: LinkKind = {
  kind: 'vlan',
  dellink(dev) {
    dev.netns.kernel.unregisterNetdevice(dev);
  },
};

/** Options for `createVlan`. */
export interface VlanOptions {
  readonly lower: NetDevice;
  readonly id: number;
  /** Default 802.1Q. */
  readonly protocol?: VlanProtocol | number;
  /** Default: the lower device's MAC, followed while unchanged. */
  readonly address?: MacAddr;
  /** Default: the lower device's MTU. */
  readonly mtu?: number;
}

/**
 * `ip link add link LOWER name NAME type vlan id ID [protocol P]` (Linux: vlan_newlink
 * and vlan_check_real_dev).
 * @throws {ErrnoError} ERANGE for an id above 4094, EPROTONOSUPPORT for another
 *   protocol, EOPNOTSUPP when the lower device is VLAN-challenged (ipvlan slaves,
 *   MP-3; loopback), EEXIST when the lower device already has that VLAN, EINVAL for an
 *   MTU above the lower device's.
 */
export function createVlan(
  kernel: Kernel,
  ns: NetNamespace,
  name: string,
  options: VlanOptions,
): NetDevice {
  const lower = options.lower;
  const id = options.id;
  if (!Number.isInteger(id) || id < 0 || id >= VLAN_VID_MASK)
    throw new ErrnoError('ERANGE', '8021q: Invalid VLAN id');
  const protocol = vlanProtocol(options.protocol ?? '802.1Q');
  if (protocol === null) throw new ErrnoError('EPROTONOSUPPORT', '8021q: Invalid VLAN protocol');
  // Linux: loopback carries NETIF_F_VLAN_CHALLENGED too.
  if (lower.features.vlanChallenged || (lower.flags & IFF_LOOPBACK) !== 0)
    throw new ErrnoError('EOPNOTSUPP', '8021q: VLANs not supported on device');
  const key = groupKey(TPID[protocol], id);
  if (groupOf(lower)?.has(key) === true)
    throw new ErrnoError('EEXIST', '8021q: VLAN device already exists');
  const mtu = options.mtu ?? lower.mtu;
  if (mtu > lower.mtu) throw new ErrnoError('EINVAL');
  installVlan(kernel);
  const priv: VlanPriv = {
    vlanDev: true,
    lower,
    id,
    protocol,
    followsLower: options.address === undefined || options.address.equals(lower.address),
  };
  const dev = kernel.createDevice(
    {
      name,
      ops: vlanOps,
      linkKind: vlanKind,
      type: lower.type,
      // Linux: vlan_dev_init copies the lower's flags but the state ones.
      flags: lower.flags & (IFF_BROADCAST | IFF_MULTICAST | IFF_NOARP | IFF_POINTOPOINT),
      mtu,
      minMtu: 0,
      maxMtu: 65535,
      address: options.address ?? lower.address,
      broadcast: lower.broadcast,
      // vlan_dev_init starts without carrier; register_vlan_dev then copies the lower's
      // (netif_stacked_transfer_operstate), whose linkwatch event makes operstate UP.
      carrierOff: true,
      features: { noQueue: true, liveAddrChange: true },
      priv,
    },
    ns,
  );
  dev.lower = lower;
  if (lower.carrier) kernel.netifCarrierOn(dev);
  let group = groupOf(lower);
  if (group === undefined) {
    group = new Map();
    lower.proto.set(GROUP, group);
  }
  group.set(key, dev);
  return dev;
}

function vlanProtocol(p: VlanProtocol | number): VlanProtocol | null {
  if (p === '802.1Q' || p === ETH_P_8021Q) return '802.1Q';
  if (p === '802.1ad' || p === ETH_P_8021AD) return '802.1ad';
  return null;
}

const installed = new WeakSet<Kernel>();

/** Installs the kernel's vlan receive hook and the lower-device notifier (once per kernel). */
export function installVlan(kernel: Kernel): void {
  if (installed.has(kernel)) return;
  installed.add(kernel);
  kernel.vlanReceive = vlanDoReceive;
  kernel.netdevChain.push(vlanDeviceEvent);
}

// Linux: vlan_do_receive
function vlanDoReceive(skb: SkBuff): NetDevice | null | 'consumed' {
  const group = groupOf(skb.dev);
  const data = skb.data;
  if (group === undefined || skb.network !== ETH_HLEN || data.length < ETH_HLEN + VLAN_TAG_LEN)
    return null;
  const tci = be16(data, ETH_HLEN);
  const vlanDev = group.get(groupKey(skb.protocol, tci & VLAN_VID_MASK));
  if (vlanDev === undefined) return null;
  const kernel = skb.dev.netns.kernel;
  if (!vlanDev.isUp) {
    kernel.dropSkb(skb, 'DEV_READY', `vlan device ${vlanDev.name} is down`);
    return 'consumed';
  }
  const untagged = new Uint8Array(data.length - VLAN_TAG_LEN);
  untagged.set(data.subarray(0, 12), 0);
  untagged.set(data.subarray(16), 12);
  skb.data = untagged;
  skb.shared = false;
  skb.vlanTci = tci;
  skb.protocol = be16(untagged, 12);
  skb.network = ETH_HLEN;
  skb.dev = vlanDev;
  if (skb.pktType === 'otherhost' && vlanDev.address.equalsAt(untagged, 0)) skb.pktType = 'host';
  vlanDev.stats.rxPackets++;
  // skb->len at this point: the untagged frame without its Ethernet header.
  vlanDev.stats.rxBytes += untagged.length - ETH_HLEN;
  if (skb.pktType === 'multicast') vlanDev.stats.multicast++;
  return vlanDev;
}

// Linux: vlan_device_event — vlan devices follow their lower device.
function vlanDeviceEvent(event: NetdevEvent): void {
  const lower = event.dev;
  const group = groupOf(lower);
  if (group === undefined || group.size === 0) return;
  const devs = [...group.values()];
  switch (event.type) {
    case 'NETDEV_CHANGE':
      for (const dev of devs) {
        if (lower.carrier && dev.isUp) dev.netns.kernel.netifCarrierOn(dev);
        else if (!lower.carrier) dev.netns.kernel.netifCarrierOff(dev);
      }
      break;
    case 'NETDEV_DOWN':
      for (const dev of devs) dev.netns.kernel.devChangeFlags(dev, 0, IFF_UP);
      break;
    case 'NETDEV_UP':
      for (const dev of devs) dev.netns.kernel.devChangeFlags(dev, IFF_UP, IFF_UP);
      break;
    case 'NETDEV_CHANGEMTU':
      for (const dev of devs) {
        if (dev.mtu > lower.mtu) {
          dev.mtu = lower.mtu;
          dev.netns.kernel.notify({ type: 'NETDEV_CHANGEMTU', dev });
        }
      }
      break;
    case 'NETDEV_CHANGEADDR':
      for (const dev of devs) {
        const priv = vlanPriv(dev);
        if (priv === null || !priv.followsLower) continue;
        dev.address = lower.address;
        dev.netns.kernel.notify({ type: 'NETDEV_CHANGEADDR', dev });
      }
      break;
    case 'NETDEV_UNREGISTER':
      // A namespace move keeps the vlan devices (reg_state stays REGISTERED).
      if (event.netnsMove === true) break;
      for (const dev of devs) dev.netns.kernel.unregisterNetdevice(dev);
      group.clear();
      break;
    default:
      break;
  }
}
