// The Linux bridge (net/bridge, 6.1) with STP off and no VLAN filtering or multicast
// snooping state: ports are forwarding as soon as they are up with carrier, the FDB
// learns source MACs and ages them out after 300 s, unknown unicast, broadcast and
// multicast are flooded, and a port forwards a frame back out the port it came in on
// only with the hairpin flag (reflective relay). The bridge device is itself an
// interface of its namespace: frames for it are passed up through RX_HANDLER_ANOTHER.
//
// Differs from Linux: expired FDB entries are removed when looked up or listed rather
// than by a periodic garbage-collection timer (which would keep a world from idling).

import { ErrnoError } from '../base/errno.ts';
import { ARPHRD_ETHER, ETH_HLEN, IFF_BROADCAST, IFF_LOOPBACK, IFF_MULTICAST } from '../uapi/if.ts';
import { MacAddr, macKeyAt } from '../wire/address.ts';
import { VLAN_TAG_LEN } from '../wire/ethernet.ts';
import type { Kernel, NetdevEvent } from './kernel.ts';
import type { LinkKind, NetDevice, NetDeviceOps, RxHandlerResult } from './netdev.ts';
import type { NetNamespace } from './netns.ts';
import { NS_PER_SEC, type Nanos } from './scheduler.ts';
import type { SkBuff } from './skb.ts';

/** Default FDB ageing time (Linux: BR_DEFAULT_AGEING_TIME, 300 s). */
export const BR_DEFAULT_AGEING_TIME: Nanos = 300 * NS_PER_SEC;

/** Per-port flags that `bridge link set` changes (Linux: BR_HAIRPIN_MODE, BR_LEARNING, BR_FLOOD). */
export interface BridgePortFlags {
  /** Reflective relay: frames may leave through the port they arrived on. Default off. */
  hairpin: boolean;
  /** Learn source MACs arriving on this port. Default on. */
  learning: boolean;
  /** Flood unknown unicast to this port. Default on. */
  flood: boolean;
}

/** One bridge port (Linux: struct net_bridge_port). */
export interface BridgePort {
  readonly dev: NetDevice;
  readonly br: Bridge;
  readonly flags: BridgePortFlags;
  /** BR_STATE_FORWARDING or BR_STATE_DISABLED (no STP: nothing in between). */
  state: 'forwarding' | 'disabled';
  /** port_no: the lowest number from 1 no other port holds (Linux: find_portno). */
  readonly portNo: number;
}

/** One forwarding database entry (Linux: struct net_bridge_fdb_entry). */
export interface FdbEntry {
  readonly mac: MacAddr;
  /** The port behind which `mac` lives; null for the bridge's own address. */
  port: BridgePort | null;
  /** An address of the bridge or of one of its ports (BR_FDB_LOCAL, permanent). */
  readonly local: boolean;
  /** Virtual time the entry was last refreshed by a received frame. */
  updated: Nanos;
}

/** The bridge's state (Linux: struct net_bridge), kept in the bridge device's priv. */
export class Bridge {
  readonly dev: NetDevice;
  /** Newest first, as Linux's port_list (list_add_rcu at the head): the flood order. */
  readonly ports: BridgePort[] = [];
  readonly #fdb = new Map<number, FdbEntry>();
  ageingTime: Nanos = BR_DEFAULT_AGEING_TIME;
  /** The user set the MAC (NET_ADDR_SET): ports no longer choose it. */
  addressSet = false;
  /** The user set the MTU (BROPT_MTU_SET_BY_USER): ports no longer adjust it. */
  mtuSet = false;

  constructor(dev: NetDevice) {
    this.dev = dev;
  }

  get #now(): Nanos {
    return this.dev.netns.kernel.now;
  }

  /** The port that `dev` is of this bridge, or undefined. */
  portOf(dev: NetDevice): BridgePort | undefined {
    return this.ports.find((p) => p.dev === dev);
  }

  /** Live entries, sorted by MAC (what `bridge fdb show` lists). */
  fdbEntries(): FdbEntry[] {
    const out: FdbEntry[] = [];
    for (const [key, entry] of [...this.#fdb]) {
      if (this.#expired(entry)) this.#fdb.delete(key);
      else out.push(entry);
    }
    return out.sort((a, b) => a.mac.key - b.mac.key);
  }

  /** Linux: br_fdb_find_rcu, with ageing applied at lookup. */
  fdbFind(key: number): FdbEntry | undefined {
    const entry = this.#fdb.get(key);
    if (entry === undefined) return undefined;
    if (this.#expired(entry)) {
      this.#fdb.delete(key);
      return undefined;
    }
    return entry;
  }

  #expired(entry: FdbEntry): boolean {
    return !entry.local && this.#now - entry.updated > this.ageingTime;
  }

  /** Linux: br_fdb_update — learn or refresh `src` behind `port`. */
  fdbLearn(src: Uint8Array, port: BridgePort): void {
    const key = macKeyAt(src, 6);
    const entry = this.#fdb.get(key);
    if (entry !== undefined) {
      // Linux logs "received packet on X with own address as source address" and
      // leaves a local entry alone.
      if (entry.local) return;
      entry.port = port;
      entry.updated = this.#now;
      return;
    }
    this.#fdb.set(key, { mac: MacAddr.fromBytes(src, 6), port, local: false, updated: this.#now });
  }

  /** Inserts a permanent local entry (br_fdb_insert for the bridge and port MACs). */
  fdbAddLocal(mac: MacAddr, port: BridgePort | null): void {
    this.#fdb.set(mac.key, { mac, port, local: true, updated: this.#now });
  }

  /** Removes the local entry for `mac` owned by `port` (null: the bridge's own). */
  fdbDeleteLocal(mac: MacAddr, port: BridgePort | null): void {
    const entry = this.#fdb.get(mac.key);
    if (entry === undefined || !entry.local || entry.port !== port) return;
    this.#fdb.delete(mac.key);
    // Another port with the same MAC keeps the address local (fdb_delete_local).
    for (const other of this.ports) {
      if (other !== port && other.dev.address.equals(mac)) {
        this.fdbAddLocal(mac, other);
        return;
      }
    }
    if (port !== null && this.dev.address.equals(mac)) this.fdbAddLocal(mac, null);
  }

  /** Replaces `port`'s local entry by one for its current MAC (br_fdb_changeaddr). */
  fdbReplaceLocal(port: BridgePort): void {
    for (const entry of [...this.#fdb.values()]) {
      if (entry.local && entry.port === port && !entry.mac.equals(port.dev.address))
        this.fdbDeleteLocal(entry.mac, port);
    }
    this.fdbAddLocal(port.dev.address, port);
  }

  /** Linux: br_fdb_delete_by_port — flush what was learned on `port` (and its locals with `all`). */
  fdbFlushPort(port: BridgePort, all: boolean): void {
    for (const [key, entry] of [...this.#fdb]) {
      if (entry.port === port && (all || !entry.local)) this.#fdb.delete(key);
    }
  }
}

function bridgeOfDev(dev: NetDevice): Bridge | null {
  return dev.priv instanceof Bridge ? dev.priv : null;
}

/** The bridge state of a bridge device, or null when `dev` is not a bridge. */
export function bridgeOf(dev: NetDevice): Bridge | null {
  return bridgeOfDev(dev);
}

/** The port record of a bridge port, or null. */
export function bridgePortOf(dev: NetDevice): BridgePort | null {
  const data = dev.rxHandlerData as Partial<BridgePort> | null;
  return dev.rxHandler === brHandleFrame && data !== null ? (data as BridgePort) : null;
}

// ---------------------------------------------------------------- device ops

const bridgeOps: NetDeviceOps = {
  // Linux: br_dev_xmit
  startXmit(skb, dev) {
    const br = bridgeOfDev(dev) as Bridge;
    dev.stats.txPackets++;
    dev.stats.txBytes += skb.len;
    const data = skb.data;
    if (data.length < ETH_HLEN) {
      dev.netns.kernel.dropSkb(skb, 'PKT_TOO_SMALL');
      return 'ok';
    }
    if (((data[0] as number) & 1) === 1) {
      brFlood(br, skb, null, 'multicast', /* localRcv */ false);
      return 'ok';
    }
    const dst = br.fdbFind(macKeyAt(data, 0));
    if (dst === undefined) brFlood(br, skb, null, 'unicast', false);
    else brForward(br, dst.port, skb, null);
    return 'ok';
  },
  open(dev) {
    const br = bridgeOfDev(dev) as Bridge;
    // Linux: br_dev_open → br_stp_enable_bridge runs the port state selection
    // (IFF_UP is set only after ndo_open returns, hence the explicit state).
    updatePortStates(br, /* bridgeUp */ true);
  },
  stop(dev) {
    const br = bridgeOfDev(dev) as Bridge;
    updatePortStates(br, false);
  },
  setMacAddress(dev, mac) {
    const br = bridgeOfDev(dev) as Bridge;
    setBridgeAddress(br, mac);
    br.addressSet = true;
  },
  changeMtu(dev, mtu) {
    const br = bridgeOfDev(dev) as Bridge;
    dev.mtu = mtu;
    br.mtuSet = true;
  },
  uninit(dev) {
    const br = bridgeOfDev(dev);
    if (br === null) return;
    for (const port of [...br.ports]) delPort(br, port);
  },
};

/** The `bridge` link kind: deleting one releases its ports first (br_dev_delete). */
export const bridgeKind: LinkKind = {
  kind: 'bridge',
  dellink(dev) {
    const br = bridgeOfDev(dev);
    if (br !== null) for (const port of [...br.ports]) delPort(br, port);
    dev.netns.kernel.unregisterNetdevice(dev);
  },
};

/**
 * Creates a bridge (Linux: br_dev_setup): BROADCAST|MULTICAST, a random MAC until the
 * first port brings its own, no carrier until a port forwards, cannot change namespace.
 */
export function createBridge(
  kernel: Kernel,
  ns: NetNamespace,
  name: string,
  options: { address?: MacAddr; ageingTime?: Nanos } = {},
): NetDevice {
  installBridgeNotifier(kernel);
  const dev = kernel.createDevice(
    {
      name,
      ops: bridgeOps,
      linkKind: bridgeKind,
      flags: IFF_BROADCAST | IFF_MULTICAST,
      mtu: 1500,
      minMtu: 68,
      maxMtu: 65535,
      address: options.address ?? kernel.randomMac(),
      carrierOff: true,
      features: { noQueue: true, liveAddrChange: true, netnsLocal: true },
    },
    ns,
  );
  const br = new Bridge(dev);
  if (options.address !== undefined) br.addressSet = true;
  if (options.ageingTime !== undefined) br.ageingTime = options.ageingTime;
  dev.priv = br;
  br.fdbAddLocal(dev.address, null);
  return dev;
}

/**
 * `ip link set PORT master BR` (Linux: br_add_if).
 * @throws {ErrnoError} EINVAL for loopback, non-Ethernet or MAC-less devices and for
 *   devices that refuse rx handlers; ELOOP for a bridge; EBUSY when `port` already has
 *   a master or an rx handler; EOPNOTSUPP when `brDev` is not a bridge.
 */
export function bridgeAddPort(brDev: NetDevice, portDev: NetDevice): BridgePort {
  const br = bridgeOfDev(brDev);
  if (br === null) throw new ErrnoError('EOPNOTSUPP');
  const kernel = brDev.netns.kernel;
  if (
    (portDev.flags & IFF_LOOPBACK) !== 0 ||
    portDev.type !== ARPHRD_ETHER ||
    !portDev.address.isValidUnicast
  )
    throw new ErrnoError('EINVAL');
  if (bridgeOfDev(portDev) !== null) throw new ErrnoError('ELOOP');
  if (portDev.netns !== brDev.netns) throw new ErrnoError('EINVAL');
  if (portDev.master !== null) throw new ErrnoError('EBUSY');
  const port: BridgePort = {
    dev: portDev,
    br,
    flags: { hairpin: false, learning: true, flood: true },
    state: 'disabled',
    portNo: findPortNo(br),
  };
  kernel.netdevRxHandlerRegister(portDev, brHandleFrame, port);
  kernel.devSetPromiscuity(portDev, 1);
  // br_add_if: a port receives every multicast group (the bridge snoops them).
  kernel.devSetAllmulti(portDev, 1);
  portDev.master = brDev;
  br.ports.unshift(port);
  br.fdbAddLocal(portDev.address, port);
  recalculateBridgeAddress(br);
  adjustMtu(br);
  updatePortStates(br, brDev.isUp);
  kernel.notify({ type: 'NETDEV_CHANGEUPPER', dev: portDev });
  return port;
}

function findPortNo(br: Bridge): number {
  const used = new Set(br.ports.map((p) => p.portNo));
  let no = 1;
  while (used.has(no)) no++;
  return no;
}

/** `ip link set PORT nomaster` (Linux: br_del_if). EINVAL when `port` is not a port of `brDev`. */
export function bridgeDelPort(brDev: NetDevice, portDev: NetDevice): void {
  const br = bridgeOfDev(brDev);
  const port = br?.portOf(portDev);
  if (br === null || port === undefined) throw new ErrnoError('EINVAL');
  delPort(br, port);
}

/** `bridge link set dev PORT hairpin on|off learning … flood …`. EINVAL when not a port. */
export function bridgeSetPortFlags(portDev: NetDevice, flags: Partial<BridgePortFlags>): void {
  const port = bridgePortOf(portDev);
  if (port === null) throw new ErrnoError('EINVAL');
  Object.assign(port.flags, flags);
}

// Linux: del_nbp
function delPort(br: Bridge, port: BridgePort): void {
  const index = br.ports.indexOf(port);
  if (index < 0) return;
  const kernel = br.dev.netns.kernel;
  const dev = port.dev;
  port.state = 'disabled';
  br.ports.splice(index, 1);
  kernel.devSetPromiscuity(dev, -1);
  kernel.devSetAllmulti(dev, -1);
  kernel.netdevRxHandlerUnregister(dev);
  dev.master = null;
  br.fdbFlushPort(port, /* all */ true);
  br.fdbDeleteLocal(dev.address, port);
  recalculateBridgeAddress(br);
  adjustMtu(br);
  updateCarrier(br);
  if (dev.registered) kernel.notify({ type: 'NETDEV_CHANGEUPPER', dev });
}

// Linux: br_stp_recalculate_bridge_id — the lowest port MAC, unless the user chose one.
function recalculateBridgeAddress(br: Bridge): void {
  if (br.addressSet || br.ports.length === 0) return;
  let lowest: MacAddr | null = null;
  for (const p of br.ports)
    if (lowest === null || p.dev.address.key < lowest.key) lowest = p.dev.address;
  if (lowest === null || lowest.equals(br.dev.address)) return;
  setBridgeAddress(br, lowest);
  br.dev.netns.kernel.notify({ type: 'NETDEV_CHANGEADDR', dev: br.dev });
}

function setBridgeAddress(br: Bridge, mac: MacAddr): void {
  br.fdbDeleteLocal(br.dev.address, null);
  br.dev.address = mac;
  br.fdbAddLocal(mac, null);
}

// Linux: br_mtu_auto_adjust — the smallest port MTU (1500 without ports).
function adjustMtu(br: Bridge): void {
  if (br.mtuSet) return;
  let mtu = br.ports.length === 0 ? 1500 : Infinity;
  for (const p of br.ports) mtu = Math.min(mtu, p.dev.mtu);
  if (mtu === br.dev.mtu) return;
  br.dev.mtu = mtu;
  br.dev.netns.kernel.notify({ type: 'NETDEV_CHANGEMTU', dev: br.dev });
}

// Linux: br_port_carrier_check / br_port_state_selection with STP off.
function updatePortStates(br: Bridge, bridgeUp: boolean): void {
  for (const port of br.ports) {
    const dev = port.dev;
    const want = bridgeUp && dev.isUp && dev.carrier ? 'forwarding' : 'disabled';
    if (want === port.state) continue;
    port.state = want;
    // Linux: br_stp_disable_port flushes what was learned on the port.
    if (want === 'disabled') br.fdbFlushPort(port, /* all */ false);
  }
  updateCarrier(br);
}

function updateCarrier(br: Bridge): void {
  const kernel = br.dev.netns.kernel;
  const live = br.ports.some((p) => p.dev.isUp && p.dev.carrier);
  if (live) kernel.netifCarrierOn(br.dev);
  else kernel.netifCarrierOff(br.dev);
}

const notifierInstalled = new WeakSet<Kernel>();

/** Linux: br_device_event — ports follow their devices' state, MAC, MTU and lifetime. */
function installBridgeNotifier(kernel: Kernel): void {
  if (notifierInstalled.has(kernel)) return;
  notifierInstalled.add(kernel);
  kernel.netdevChain.push((event: NetdevEvent) => {
    const port = bridgePortOf(event.dev);
    if (port === null) return;
    const br = port.br;
    switch (event.type) {
      case 'NETDEV_UNREGISTER':
        delPort(br, port);
        break;
      case 'NETDEV_UP':
      case 'NETDEV_DOWN':
      case 'NETDEV_CHANGE':
        updatePortStates(br, br.dev.isUp);
        break;
      case 'NETDEV_PRE_CHANGEADDR':
        break;
      case 'NETDEV_CHANGEADDR':
        // Linux: br_fdb_changeaddr — the port's local entry moves to the new MAC.
        br.fdbReplaceLocal(port);
        recalculateBridgeAddress(br);
        break;
      case 'NETDEV_CHANGEMTU':
        adjustMtu(br);
        break;
      default:
        break;
    }
  });
}

// ---------------------------------------------------------------- data path

// Linux: br_handle_frame + br_handle_frame_finish (the rx_handler on every port).
function brHandleFrame(skb: SkBuff): RxHandlerResult {
  const port = skb.dev.rxHandlerData as BridgePort;
  const br = port.br;
  const kernel = skb.dev.netns.kernel;
  if (skb.pktType === 'loopback') return 'pass';
  const data = skb.data;
  // eth_type_trans guaranteed 14 bytes.
  const srcMulticast = ((data[6] as number) & 1) === 1;
  if (srcMulticast || macKeyAt(data, 6) === 0) {
    kernel.dropSkb(skb, 'NOT_SPECIFIED', 'bridge: invalid source MAC');
    return 'consumed';
  }
  const dstKey = macKeyAt(data, 0);
  // IEEE 802.1D link-local group 01:80:c2:00:00:0X.
  if (Math.floor(dstKey / 16) === 0x0180c200000) {
    const low = dstKey % 16;
    if (low === 1) {
      kernel.dropSkb(skb, 'NOT_SPECIFIED', 'bridge: MAC control (PAUSE) frame');
      return 'consumed';
    }
    // 00 (STP BPDUs) is forwarded while STP is off, to keep loop detection working
    // elsewhere; the others stay on the port (group_fwd_mask 0).
    if (low !== 0) return 'pass';
  }
  if (port.state !== 'forwarding') {
    kernel.dropSkb(skb, 'NOT_SPECIFIED', 'bridge: port not forwarding');
    return 'consumed';
  }
  if (br.dev.address.equalsAt(data, 0)) skb.pktType = 'host';
  if (port.flags.learning) br.fdbLearn(data, port);

  let localRcv = br.dev.promiscOn;
  if (((data[0] as number) & 1) === 1) {
    // Broadcast and multicast (no snooping querier: flooded) also go up locally.
    localRcv = true;
    if (dstKey !== 0xffffffffffff) br.dev.stats.multicast++;
    brFlood(br, skb, port, 'multicast', localRcv);
  } else {
    const dst = br.fdbFind(dstKey);
    if (dst !== undefined && dst.local) return brPassFrameUp(br, skb);
    if (dst !== undefined) brForward(br, dst.port, localRcv ? skb.clone() : skb, port);
    else brFlood(br, skb, port, 'unicast', localRcv);
  }
  return localRcv ? brPassFrameUp(br, skb) : 'consumed';
}

// Linux: br_pass_frame_up — the frame continues on the bridge device.
function brPassFrameUp(br: Bridge, skb: SkBuff): RxHandlerResult {
  const dev = br.dev;
  dev.stats.rxPackets++;
  // skb->len after eth_type_trans: without the Ethernet header.
  dev.stats.rxBytes += skb.len - ETH_HLEN;
  skb.dev = dev;
  return 'another';
}

// Linux: should_deliver
function shouldDeliver(port: BridgePort, ingress: BridgePort | null): boolean {
  return (port.flags.hairpin || port !== ingress) && port.state === 'forwarding';
}

// Linux: br_forward — to one port, or dropped when that port may not take it.
function brForward(
  br: Bridge,
  to: BridgePort | null,
  skb: SkBuff,
  ingress: BridgePort | null,
): void {
  const kernel = br.dev.netns.kernel;
  if (to === null) {
    kernel.dropSkb(skb, 'NOT_SPECIFIED', 'bridge: destination is the bridge itself');
    return;
  }
  if (!shouldDeliver(to, ingress)) {
    kernel.dropSkb(
      skb,
      to === ingress ? 'BRIDGE_HAIRPIN' : 'BRIDGE_NO_PORT',
      to === ingress ? 'bridge: destination behind the ingress port, hairpin off' : undefined,
    );
    return;
  }
  brDevQueuePushXmit(to, skb);
}

// Linux: br_flood — every port that should get it, in port-list order.
function brFlood(
  br: Bridge,
  skb: SkBuff,
  ingress: BridgePort | null,
  kind: 'unicast' | 'multicast',
  localRcv: boolean,
): void {
  const targets = br.ports.filter(
    (p) => shouldDeliver(p, ingress) && (kind !== 'unicast' || p.flags.flood),
  );
  if (targets.length === 0) {
    if (!localRcv) br.dev.netns.kernel.dropSkb(skb, 'BRIDGE_NO_PORT');
    return;
  }
  targets.forEach((p, i) => {
    // The last port gets the original unless it also goes up locally.
    const last = i === targets.length - 1 && !localRcv;
    brDevQueuePushXmit(p, last ? skb : skb.clone());
  });
}

// Linux: br_dev_queue_push_xmit — is_skb_forwardable, then dev_queue_xmit on the port.
function brDevQueuePushXmit(port: BridgePort, skb: SkBuff): void {
  const dev = port.dev;
  const kernel = dev.netns.kernel;
  skb.dev = dev;
  if (!dev.isUp || skb.len - ETH_HLEN > dev.mtu + ETH_HLEN + VLAN_TAG_LEN) {
    kernel.dropSkb(skb, 'PKT_TOO_BIG');
    return;
  }
  kernel.devQueueXmit(skb);
}
