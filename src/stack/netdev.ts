// A network device (Linux: struct net_device) and the seams upper drivers plug into:
// device ops (net_device_ops), one receive handler slot (rx_handler), and the
// minimal link-kind ops the core needs to delete a device (rtnl_link_ops->dellink).

import {
  ARPHRD_ETHER,
  IFF_ALLMULTI,
  IFF_DORMANT,
  IFF_LOWER_UP,
  IFF_PROMISC,
  IFF_RUNNING,
  IFF_UP,
  IF_OPER_UNKNOWN,
  IF_OPER_UP,
} from '../uapi/if.ts';
import { MacAddr } from '../wire/address.ts';
import type { NetNamespace } from './netns.ts';
import type { SkBuff } from './skb.ts';

/** What an rx handler did with a frame (Linux: rx_handler_result_t). */
export type RxHandlerResult =
  /** Keep processing on the same device (RX_HANDLER_PASS). */
  | 'pass'
  /** The handler took the skb; stop (RX_HANDLER_CONSUMED). */
  | 'consumed'
  /** `skb.dev` was changed; run receive again on the new device (RX_HANDLER_ANOTHER). */
  | 'another'
  /** Deliver only to handlers bound exactly to this device (RX_HANDLER_EXACT). */
  | 'exact';

/** A receive handler installed on a lower device by an upper driver (bridge, ipvlan…). */
export type RxHandler = (skb: SkBuff) => RxHandlerResult;

/** Result of a driver's transmit (Linux: netdev_tx_t plus NET_XMIT_*). */
export type XmitResult = 'ok' | 'drop';

/** Linux: struct net_device_ops. Every method may throw ErrnoError to refuse. */
export interface NetDeviceOps {
  /** ndo_init: called from register; throwing aborts registration. */
  init?(dev: NetDevice): void;
  /** ndo_uninit: called from unregister. */
  uninit?(dev: NetDevice): void;
  /** ndo_open: bringing the device up. */
  open?(dev: NetDevice): void;
  /** ndo_stop: bringing the device down. */
  stop?(dev: NetDevice): void;
  /** ndo_start_xmit: the driver owns `skb` afterwards and counts its own stats. */
  startXmit(skb: SkBuff, dev: NetDevice): XmitResult;
  /** ndo_change_mtu: default just sets `dev.mtu` after the core's range check. */
  changeMtu?(dev: NetDevice, mtu: number): void;
  /** ndo_set_mac_address: absent means EOPNOTSUPP for most kinds (see `macChangeable`). */
  setMacAddress?(dev: NetDevice, mac: MacAddr): void;
  /** ndo_get_stats64: fill `into` (driver counters). Absent → `dev.stats` is used. */
  getStats64?(dev: NetDevice, into: LinkStats64): void;
  /** ndo_set_rx_mode: the multicast list or PROMISC/ALLMULTI changed. */
  setRxMode?(dev: NetDevice): void;
  /** ndo_get_iflink: the ifindex shown as `@ifN`/IFLA_LINK. */
  getIflink?(dev: NetDevice): number;
}

/** Minimal link-kind ops the core needs (Linux: parts of struct rtnl_link_ops). */
export interface LinkKind {
  /** `ip -d` kind string: veth, dummy, ipvlan, bridge, vlan… */
  readonly kind: string;
  /** Deletes `dev` (and whatever goes with it, e.g. a veth peer). */
  dellink(dev: NetDevice): void;
}

/** Linux: struct rtnl_link_stats64 (the fields iproute2 prints). */
export class LinkStats64 {
  rxPackets = 0;
  txPackets = 0;
  rxBytes = 0;
  txBytes = 0;
  rxErrors = 0;
  txErrors = 0;
  rxDropped = 0;
  txDropped = 0;
  multicast = 0;
  collisions = 0;
  rxLengthErrors = 0;
  rxOverErrors = 0;
  rxCrcErrors = 0;
  rxFrameErrors = 0;
  rxFifoErrors = 0;
  rxMissedErrors = 0;
  txAbortedErrors = 0;
  txCarrierErrors = 0;
  txFifoErrors = 0;
  txHeartbeatErrors = 0;
  txWindowErrors = 0;
  rxCompressed = 0;
  txCompressed = 0;
  rxNohandler = 0;
  rxOtherhostDropped = 0;
}

/** Device capabilities the core and upper drivers check (Linux: feature bits / priv_flags). */
export interface DeviceFeatures {
  /** NETIF_F_VLAN_CHALLENGED: no 802.1Q devices on top. */
  vlanChallenged: boolean;
  /** NETIF_F_NETNS_LOCAL: cannot change namespace (loopback, bridge). */
  netnsLocal: boolean;
  /** IFF_NO_QUEUE: shows `qdisc noqueue` once opened. */
  noQueue: boolean;
  /** IFF_LIVE_ADDR_CHANGE: the MAC may change while up. */
  liveAddrChange: boolean;
  /** IFF_NO_RX_HANDLER: no upper may install an rx_handler (ipvlan slaves, MP-2). */
  noRxHandler: boolean;
}

const defaultFeatures: DeviceFeatures = {
  vlanChallenged: false,
  netnsLocal: false,
  noQueue: true,
  liveAddrChange: true,
  noRxHandler: false,
};

/** Construction parameters for a device; the core fills ifindex and namespace on register. */
export interface NetDeviceInit {
  readonly name: string;
  readonly ops: NetDeviceOps;
  readonly linkKind?: LinkKind | null;
  readonly type?: number;
  readonly flags?: number;
  readonly mtu?: number;
  readonly minMtu?: number;
  readonly maxMtu?: number;
  readonly address?: MacAddr;
  readonly broadcast?: MacAddr;
  readonly txqlen?: number;
  readonly features?: Partial<DeviceFeatures>;
  /** Starts with carrier off (veth, NICs without a wire). */
  readonly carrierOff?: boolean;
  readonly priv?: unknown;
}

/** One network device. Owned by its namespace; the kernel moves it between namespaces. */
export class NetDevice {
  name: string;
  ifindex = 0;
  netns!: NetNamespace;
  readonly ops: NetDeviceOps;
  linkKind: LinkKind | null;
  /** ARPHRD_* link type. */
  type: number;
  /** Administrative flags (IFF_UP, IFF_BROADCAST, IFF_NOARP, IFF_MULTICAST, IFF_LOOPBACK…). */
  flags: number;
  /** PROMISC/ALLMULTI as set by the user (dev->gflags). */
  gflags = 0;
  promiscuity = 0;
  allmulti = 0;
  mtu: number;
  minMtu: number;
  maxMtu: number;
  address: MacAddr;
  permAddress: MacAddr;
  broadcast: MacAddr;
  /** Distinguishes devices sharing one MAC (ipvlan slaves); feeds IPv6 EUI-64 (dev_id). */
  devId = 0;
  txqlen: number;
  group = 0;
  /** `noop` until the first open, then `noqueue` (or a real qdisc for NICs). */
  qdisc = 'noop';
  /** IF_OPER_* as linkwatch last computed it. */
  operstate = IF_OPER_UNKNOWN;
  /** IF_LINK_MODE_* (0 default, 1 dormant). */
  linkMode = 0;
  carrier: boolean;
  /** carrier_up_count/carrier_down_count: transitions after registration (IFLA_CARRIER_CHANGES). */
  carrierUpCount = 0;
  carrierDownCount = 0;
  dormant = false;
  features: DeviceFeatures;
  /** The upper master (bridge) this device is a port of, if any. */
  master: NetDevice | null = null;
  /** Lower device for IFLA_LINK when ops.getIflink is absent (vlan, macvlan…). */
  lower: NetDevice | null = null;
  rxHandler: RxHandler | null = null;
  rxHandlerData: unknown = null;
  /** Driver-maintained counters (used when ops.getStats64 is absent). */
  readonly stats = new LinkStats64();
  /** Counters the core itself maintains (dev->core_stats), added to every read. */
  readonly coreStats = { rxDropped: 0, txDropped: 0, rxNohandler: 0, rxOtherhostDropped: 0 };
  /** Multicast MAC list with reference counts (dev->mc). */
  readonly mcList = new Map<number, { mac: MacAddr; users: number }>();
  /** Kind-specific private data (netdev_priv). */
  priv: unknown;
  /** True between register and unregister. */
  registered = false;
  /** Set while the device is being unregistered (reg_state == NETREG_UNREGISTERING). */
  unregistering = false;
  /** IPv6 address generation mode (IN6_ADDR_GEN_MODE_*). */
  addrGenMode = 0;
  /** The per-protocol state slots the stack's protocols attach (in_device, inet6_dev…). */
  readonly proto = new Map<string, unknown>();

  constructor(init: NetDeviceInit) {
    this.name = init.name;
    this.ops = init.ops;
    this.linkKind = init.linkKind ?? null;
    this.type = init.type ?? ARPHRD_ETHER;
    this.flags = init.flags ?? 0;
    this.mtu = init.mtu ?? 1500;
    this.minMtu = init.minMtu ?? 68;
    this.maxMtu = init.maxMtu ?? 65535;
    this.address = init.address ?? MacAddr.ZERO;
    this.permAddress = this.address;
    this.broadcast = init.broadcast ?? MacAddr.BROADCAST;
    this.txqlen = init.txqlen ?? 1000;
    this.features = { ...defaultFeatures, ...init.features };
    this.carrier = !(init.carrierOff ?? false);
    this.priv = init.priv;
  }

  /** IFF_UP is set (Linux: netif_running, which tests __LINK_STATE_START). */
  get isUp(): boolean {
    return (this.flags & IFF_UP) !== 0;
  }

  /** Operationally up: running, carrier, and operstate UP or UNKNOWN (netif_oper_up). */
  get isOperUp(): boolean {
    return (
      this.isUp &&
      this.carrier &&
      (this.operstate === IF_OPER_UP || this.operstate === IF_OPER_UNKNOWN)
    );
  }

  /** The flags user space sees (Linux: dev_get_flags). */
  get displayFlags(): number {
    let f =
      (this.flags & ~(IFF_PROMISC | IFF_ALLMULTI | IFF_RUNNING | IFF_LOWER_UP | IFF_DORMANT)) |
      (this.gflags & (IFF_PROMISC | IFF_ALLMULTI));
    // Only the user's own PROMISC/ALLMULTI show; a bridge port's promiscuity count does not.
    if (this.isUp) {
      if (this.carrier && (this.operstate === IF_OPER_UP || this.operstate === IF_OPER_UNKNOWN))
        f |= IFF_RUNNING;
      if (this.carrier) f |= IFF_LOWER_UP;
      if (this.dormant) f |= IFF_DORMANT;
    }
    return f;
  }

  /**
   * IFF_PROMISC as the kernel itself sees it (dev->flags): the user's flag or any
   * promiscuity count (a bridge port, a packet socket's PACKET_MR_PROMISC).
   */
  get promiscOn(): boolean {
    return this.promiscuity > 0 || ((this.flags | this.gflags) & IFF_PROMISC) !== 0;
  }

  /** IFF_ALLMULTI as the kernel itself sees it: the user's flag or any allmulti count. */
  get allmultiOn(): boolean {
    return this.allmulti > 0 || ((this.flags | this.gflags) & IFF_ALLMULTI) !== 0;
  }

  /** The ifindex shown after `@` (Linux: dev_get_iflink). */
  get iflink(): number {
    if (this.ops.getIflink !== undefined) return this.ops.getIflink(this);
    return this.lower?.ifindex ?? this.ifindex;
  }

  /** Counters as `ip -s` reads them: driver stats plus core stats (dev_get_stats). */
  getStats64(): LinkStats64 {
    const out = new LinkStats64();
    if (this.ops.getStats64 !== undefined) this.ops.getStats64(this, out);
    else Object.assign(out, this.stats);
    out.rxDropped += this.coreStats.rxDropped;
    out.txDropped += this.coreStats.txDropped;
    out.rxNohandler += this.coreStats.rxNohandler;
    out.rxOtherhostDropped += this.coreStats.rxOtherhostDropped;
    return out;
  }

  /** `netns/ifname`, the name used in traces and capture interfaces. */
  get path(): string {
    return `${this.netns?.name ?? '?'}/${this.name}`;
  }

  /** True when `mac` is in the multicast list. */
  hasMulticast(mac: MacAddr): boolean {
    return this.mcList.has(mac.key);
  }
}
