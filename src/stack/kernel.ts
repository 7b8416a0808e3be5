// One Linux kernel instance: its namespaces, the global notifier chains, the packet
// type registry, and the receive/transmit core (Linux: net/core/dev.c). Hosts in the
// emulator each have one; the Linux backend has one for the daemon.
//
// Receive is deferred like Linux's backlog (netif_rx → process_backlog): frames are
// queued and processed from the scheduler in FIFO order, so no device calls another
// device's receive path recursively.

import { ErrnoError } from '../base/errno.ts';
import { invariant } from '../base/assert.ts';
import { Random } from '../base/random.ts';
import {
  ETH_HLEN,
  ETH_P_8021AD,
  ETH_P_8021Q,
  IFF_ALLMULTI,
  IFF_NOARP,
  IFF_PROMISC,
  IFF_UP,
  IF_OPER_DORMANT,
  IF_OPER_DOWN,
  IF_OPER_LOWERLAYERDOWN,
  IF_OPER_UP,
} from '../uapi/if.ts';
import { be16 } from '../wire/bytes.ts';
import { describe } from '../wire/describe.ts';
import { MacAddr, type IpAddr } from '../wire/address.ts';
import type { DropReason, TraceEvent } from './drop.ts';
import { NetDevice, type NetDeviceInit, type RxHandler } from './netdev.ts';
import { NetNamespace } from './netns.ts';
import { Scheduler } from './scheduler.ts';
import type { SkBuff } from './skb.ts';

/** Netdevice notifier events (Linux: NETDEV_*), the ones the stack and drivers use. */
export type NetdevEventType =
  | 'NETDEV_REGISTER'
  | 'NETDEV_UNREGISTER'
  | 'NETDEV_PRE_UP'
  | 'NETDEV_UP'
  | 'NETDEV_GOING_DOWN'
  | 'NETDEV_DOWN'
  | 'NETDEV_CHANGE'
  | 'NETDEV_PRECHANGEMTU'
  | 'NETDEV_CHANGEMTU'
  | 'NETDEV_PRE_CHANGEADDR'
  | 'NETDEV_CHANGEADDR'
  | 'NETDEV_CHANGENAME'
  | 'NETDEV_FEAT_CHANGE'
  | 'NETDEV_CHANGEUPPER';

export interface NetdevEvent {
  readonly type: NetdevEventType;
  readonly dev: NetDevice;
  /** NETDEV_PRECHANGEMTU: the MTU about to be set. */
  readonly newMtu?: number;
  /** NETDEV_PRE_CHANGEADDR: the MAC about to be set. */
  readonly newAddr?: MacAddr;
  /**
   * NETDEV_UNREGISTER / NETDEV_REGISTER sent while the device moves between
   * namespaces (Linux: reg_state stays NETREG_REGISTERED during the move).
   */
  readonly netnsMove?: boolean;
  /** NETDEV_CHANGE from dev_change_flags: the flags that changed (netdev_notifier_change_info). */
  readonly flagsChanged?: number;
}

/**
 * A netdevice notifier. For NETDEV_PRE_* events (and NETDEV_REGISTER) it may throw an
 * ErrnoError to veto the change (Linux: notifier_from_errno); otherwise it must not throw.
 */
export type NetdevNotifier = (event: NetdevEvent) => void;

/** An address added to or removed from a device (Linux: inetaddr/inet6addr chain). */
export interface AddrEvent {
  readonly type: 'NETDEV_UP' | 'NETDEV_DOWN';
  readonly dev: NetDevice;
  readonly addr: IpAddr;
  readonly prefixLen: number;
}
export type AddrNotifier = (event: AddrEvent) => void;

/**
 * Asked before an address is added (Linux: inetaddr_validator_chain); throw an
 * ErrnoError (with extack) to refuse it.
 */
export interface AddrValidatorEvent {
  readonly dev: NetDevice;
  readonly addr: IpAddr;
}
export type AddrValidator = (event: AddrValidatorEvent) => void;

/** A protocol receive function (Linux: packet_type.func), by EtherType. */
export type PacketHandler = (skb: SkBuff) => void;

/** Which way a frame passed a capture tap. */
export type TapDirection = 'rx' | 'tx';
/** A capture tap (Linux: ptype_all): sees frames on every device, or on one. */
export interface PacketTap {
  readonly dev: NetDevice | null;
  readonly fn: (skb: SkBuff, dir: TapDirection) => void;
}

/** Sees every dropped skb with its reason (Linux: the kfree_skb tracepoint, as dropwatch uses it). */
export type DropMonitor = (skb: SkBuff, reason: DropReason) => void;

/** Per-namespace setup and teardown for a protocol (Linux: pernet_operations). */
export interface PernetOps {
  readonly name: string;
  init(ns: NetNamespace): void;
  exit?(ns: NetNamespace): void;
}

/**
 * Creates the loopback device of a new namespace; set by the stack's loopback module
 * so the kernel core does not depend on it.
 */
export type LoopbackFactory = (kernel: Kernel, ns: NetNamespace) => NetDevice;

/**
 * Vlan receive hook (Linux: vlan_do_receive): the vlan device the skb was moved to
 * (another round), null to leave the frame alone, or 'consumed' when it dropped the skb.
 */
export type VlanReceive = (skb: SkBuff) => NetDevice | null | 'consumed';

const VALID_NAME = /^[^/:\s]{1,15}$/;

export class Kernel {
  readonly scheduler: Scheduler;
  /** Host name; also the name of the initial namespace in traces and captures. */
  readonly hostname: string;
  /** Seeded randomness for MACs, ids and jitter: the same seed gives the same world. */
  readonly random: Random;
  readonly initNet: NetNamespace;
  /** Namespaces by `ip netns` name (the initial one is not listed, as in Linux). */
  readonly namespaces = new Map<string, NetNamespace>();
  readonly netdevChain: NetdevNotifier[] = [];
  readonly inetaddrChain: AddrNotifier[] = [];
  readonly inet6addrChain: AddrNotifier[] = [];
  readonly inetaddrValidatorChain: AddrValidator[] = [];
  readonly inet6addrValidatorChain: AddrValidator[] = [];
  readonly ptypes = new Map<number, PacketHandler>();
  readonly taps = new Set<PacketTap>();
  /** Drop monitors (captures record dropped frames with their reason). */
  readonly dropMonitors = new Set<DropMonitor>();
  readonly pernetOps: PernetOps[] = [];
  vlanReceive: VlanReceive | null = null;
  #loopbackFactory: LoopbackFactory | null = null;
  /** Receives every trace event while set (`--trace`). */
  tracer: ((event: TraceEvent) => void) | null = null;
  readonly #backlog: SkBuff[] = [];
  #backlogHead = 0;
  #backlogScheduled = false;

  constructor(options: { hostname?: string; scheduler?: Scheduler; seed?: number } = {}) {
    this.hostname = options.hostname ?? 'host';
    this.random = new Random(options.seed ?? 1);
    this.scheduler = options.scheduler ?? new Scheduler();
    this.initNet = new NetNamespace(this, this.hostname, true);
  }

  get now(): number {
    return this.scheduler.now;
  }

  // ------------------------------------------------------------ namespaces

  /** Installs the loopback constructor and creates `lo` in the existing namespaces. */
  setLoopbackFactory(factory: LoopbackFactory): void {
    this.#loopbackFactory = factory;
    for (const ns of this.allNamespaces()) if (ns.getByIndex(1) === undefined) factory(this, ns);
  }

  /** Registers per-namespace protocol state and runs it for existing namespaces. */
  registerPernet(ops: PernetOps): void {
    this.pernetOps.push(ops);
    for (const ns of this.allNamespaces()) ops.init(ns);
  }

  /** The initial namespace first, then named ones in creation order. */
  allNamespaces(): NetNamespace[] {
    return [this.initNet, ...this.namespaces.values()];
  }

  /** `ip netns add NAME`. */
  addNetns(name: string): NetNamespace {
    if (this.namespaces.has(name)) throw new ErrnoError('EEXIST');
    if (name.length === 0 || name.includes('/') || name === '.' || name === '..')
      throw new ErrnoError('EINVAL');
    const ns = new NetNamespace(this, name, false);
    this.namespaces.set(name, ns);
    this.#loopbackFactory?.(this, ns);
    for (const ops of this.pernetOps) ops.init(ns);
    return ns;
  }

  /**
   * `ip netns del NAME` (Linux: cleanup_net → default_device_exit). Virtual devices
   * are deleted through their kind (a veth takes its peer along; ipvlan slaves go);
   * devices without a kind (physical NICs) return to the initial namespace.
   */
  deleteNetns(name: string): void {
    const ns = this.namespaces.get(name);
    if (ns === undefined) throw new ErrnoError('ENOENT');
    ns.dying = true;
    for (const dev of ns.devices.reverse()) {
      if (!dev.registered || dev.netns !== ns || dev.ifindex === 1) continue;
      if (dev.linkKind !== null) {
        dev.linkKind.dellink(dev);
      } else {
        let newName = dev.name;
        if (this.initNet.getByName(newName) !== undefined)
          newName = this.#allocName('dev%d', this.initNet);
        this.changeNetns(dev, this.initNet, newName);
      }
    }
    for (const ops of [...this.pernetOps].reverse()) ops.exit?.(ns);
    const lo = ns.getByIndex(1);
    if (lo !== undefined) this.unregisterNetdevice(lo);
    this.namespaces.delete(name);
    for (const other of this.allNamespaces()) other.forgetPeer(ns);
  }

  /** A namespace by `ip netns` name, or ENOENT. */
  requireNetns(name: string): NetNamespace {
    const ns = this.namespaces.get(name);
    if (ns === undefined) throw new ErrnoError('ENOENT');
    return ns;
  }

  // ------------------------------------------------------------ notifiers

  /** Calls every netdev notifier; a throw from one aborts the remaining ones. */
  notify(event: NetdevEvent): void {
    for (const fn of [...this.netdevChain]) fn(event);
  }

  // ------------------------------------------------------------ device lifecycle

  /** Creates and registers a device (alloc_netdev + register_netdevice). */
  createDevice(
    init: NetDeviceInit,
    ns: NetNamespace,
    options: { ifindex?: number } = {},
  ): NetDevice {
    const dev = new NetDevice(init);
    this.registerNetdevice(dev, ns, options);
    return dev;
  }

  /**
   * Linux: register_netdevice. Checks the name (EINVAL, EEXIST), expands `%d`
   * templates, assigns an ifindex, runs ndo_init and NETDEV_REGISTER; undoes all of it
   * when a step refuses.
   */
  registerNetdevice(dev: NetDevice, ns: NetNamespace, options: { ifindex?: number } = {}): void {
    invariant(!dev.registered, 'device registered twice');
    if (ns.dying) throw new ErrnoError('EINVAL');
    if (dev.name.includes('%')) dev.name = this.#allocName(dev.name, ns);
    this.checkName(dev.name, ns);
    if (options.ifindex !== undefined && ns.getByIndex(options.ifindex) !== undefined)
      throw new ErrnoError('EBUSY');
    dev.ifindex = ns.allocIfindex(options.ifindex);
    dev.ops.init?.(dev);
    ns.attach(dev);
    dev.registered = true;
    // Linux: linkwatch_init_dev — a device born without carrier gets its operstate now.
    if (!dev.carrier) dev.operstate = this.#defaultOperstate(dev);
    try {
      this.notify({ type: 'NETDEV_REGISTER', dev });
    } catch (err) {
      this.unregisterNetdevice(dev);
      throw err;
    }
  }

  /** Linux: unregister_netdevice. Brings the device down first; NETDEV_UNREGISTER tells uppers. */
  unregisterNetdevice(dev: NetDevice): void {
    if (!dev.registered) return;
    this.devClose(dev);
    dev.unregistering = true;
    this.notify({ type: 'NETDEV_UNREGISTER', dev });
    dev.ops.uninit?.(dev);
    dev.netns.detach(dev);
    for (const tap of this.taps) if (tap.dev === dev) this.taps.delete(tap);
    dev.registered = false;
  }

  /** dev_valid_name plus uniqueness in `ns`. */
  checkName(name: string, ns: NetNamespace, self?: NetDevice): void {
    if (!VALID_NAME.test(name) || name === '.' || name === '..') throw new ErrnoError('EINVAL');
    const other = ns.getByName(name);
    if (other !== undefined && other !== self) throw new ErrnoError('EEXIST');
  }

  /** Expands a `%d` template to the first free name (Linux: dev_alloc_name). */
  #allocName(template: string, ns: NetNamespace): string {
    for (let i = 0; i < 32768; i++) {
      const name = template.replace('%d', String(i));
      if (ns.getByName(name) === undefined) return name;
    }
    throw new ErrnoError('ENFILE');
  }

  /** Linux: dev_open. No-op when already up. */
  devOpen(dev: NetDevice): void {
    if (dev.isUp) return;
    this.notify({ type: 'NETDEV_PRE_UP', dev });
    dev.ops.open?.(dev);
    dev.flags |= IFF_UP;
    dev.ops.setRxMode?.(dev); // Linux: __dev_open → dev_set_rx_mode
    if (dev.qdisc === 'noop') dev.qdisc = dev.features.noQueue ? 'noqueue' : 'pfifo_fast';
    this.notify({ type: 'NETDEV_UP', dev });
    this.trace(null, dev, 'link', 'up');
  }

  /** Linux: dev_close. No-op when already down. */
  devClose(dev: NetDevice): void {
    if (!dev.isUp) return;
    this.notify({ type: 'NETDEV_GOING_DOWN', dev });
    // Linux clears __LINK_STATE_START before ndo_stop, so a carrier change the driver
    // makes while stopping (veth) reaches linkwatch with the device already not
    // running and raises no NETDEV_CHANGE (spec LINK-4).
    dev.flags &= ~IFF_UP;
    dev.ops.stop?.(dev);
    this.notify({ type: 'NETDEV_DOWN', dev });
    this.trace(null, dev, 'link', 'down');
  }

  /**
   * Linux: dev_change_flags for the flags user space may change (UP, NOARP,
   * PROMISC, ALLMULTI, MULTICAST…). A change other than UP sends NETDEV_CHANGE.
   */
  devChangeFlags(dev: NetDevice, flags: number, mask: number): void {
    const wantUp = (mask & IFF_UP) !== 0 ? (flags & IFF_UP) !== 0 : dev.isUp;
    // PROMISC and ALLMULTI from user space are the device's gflags, each holding one
    // count on the promiscuity/allmulti counters (Linux: __dev_change_flags).
    for (const bit of [IFF_PROMISC, IFF_ALLMULTI]) {
      if ((mask & bit) === 0 || ((dev.gflags ^ flags) & bit) === 0) continue;
      dev.gflags ^= bit;
      const inc = (flags & bit) !== 0 ? 1 : -1;
      if (bit === IFF_PROMISC) this.devSetPromiscuity(dev, inc);
      else this.devSetAllmulti(dev, inc);
    }
    const other = mask & ~(IFF_UP | IFF_PROMISC | IFF_ALLMULTI);
    const old = dev.flags;
    if (other !== 0) {
      dev.flags = (dev.flags & ~other) | (flags & other);
      if ((old ^ dev.flags) & IFF_NOARP)
        this.trace(null, dev, 'link', `noarp ${dev.flags & IFF_NOARP ? 'on' : 'off'}`);
    }
    if (wantUp && !dev.isUp) this.devOpen(dev);
    else if (!wantUp && dev.isUp) this.devClose(dev);
    if (other !== 0 && (old ^ dev.flags) & other) {
      dev.ops.setRxMode?.(dev);
      this.notify({ type: 'NETDEV_CHANGE', dev, flagsChanged: (old ^ dev.flags) & other });
    }
  }

  /** Linux: dev_set_mtu_ext — range check with extack, PRECHANGEMTU veto, rollback. */
  devSetMtu(dev: NetDevice, mtu: number): void {
    if (mtu === dev.mtu) return;
    if (mtu < 0 || mtu < dev.minMtu) throw new ErrnoError('EINVAL', 'mtu less than device minimum');
    if (dev.maxMtu > 0 && mtu > dev.maxMtu)
      throw new ErrnoError('EINVAL', 'mtu greater than device maximum');
    this.notify({ type: 'NETDEV_PRECHANGEMTU', dev, newMtu: mtu });
    const old = dev.mtu;
    if (dev.ops.changeMtu !== undefined) dev.ops.changeMtu(dev, mtu);
    else dev.mtu = mtu;
    try {
      this.notify({ type: 'NETDEV_CHANGEMTU', dev });
    } catch (err) {
      dev.mtu = old;
      throw err;
    }
  }

  /** Linux: dev_set_mac_address — EOPNOTSUPP without the op, EADDRNOTAVAIL for group MACs. */
  devSetMacAddress(dev: NetDevice, mac: MacAddr): void {
    if (dev.ops.setMacAddress === undefined) throw new ErrnoError('EOPNOTSUPP');
    if (!mac.isValidUnicast) throw new ErrnoError('EADDRNOTAVAIL');
    if (dev.isUp && !dev.features.liveAddrChange) throw new ErrnoError('EBUSY');
    this.notify({ type: 'NETDEV_PRE_CHANGEADDR', dev, newAddr: mac });
    dev.ops.setMacAddress(dev, mac);
    this.notify({ type: 'NETDEV_CHANGEADDR', dev });
  }

  /** Linux: dev_change_name. */
  devChangeName(dev: NetDevice, name: string): void {
    if (name === dev.name) return;
    if (dev.isUp) throw new ErrnoError('EBUSY');
    this.checkName(name, dev.netns, dev);
    dev.netns.rename(dev, name);
    this.notify({ type: 'NETDEV_CHANGENAME', dev });
  }

  /**
   * Linux: __dev_change_net_namespace. The device goes down, leaves with
   * NETDEV_UNREGISTER (netnsMove), keeps its ifindex when free in the target, and
   * arrives with NETDEV_REGISTER (netnsMove).
   */
  changeNetns(dev: NetDevice, target: NetNamespace, newName?: string): void {
    if (dev.netns === target) return;
    if (dev.features.netnsLocal) throw new ErrnoError('EINVAL');
    if (target.dying) throw new ErrnoError('EINVAL');
    const name = newName ?? dev.name;
    this.checkName(name, target);
    this.devClose(dev);
    this.notify({ type: 'NETDEV_UNREGISTER', dev, netnsMove: true });
    dev.netns.detach(dev);
    dev.name = name;
    dev.ifindex = target.allocIfindex(dev.ifindex);
    target.attach(dev);
    this.notify({ type: 'NETDEV_REGISTER', dev, netnsMove: true });
    this.trace(null, dev, 'link', `moved to namespace ${target.name}`);
  }

  // ------------------------------------------------------------ carrier and operstate

  /** Linux: netif_carrier_on → linkwatch → NETDEV_CHANGE when running. */
  netifCarrierOn(dev: NetDevice): void {
    if (dev.carrier) return;
    dev.carrier = true;
    // A transition before registration (a driver's init) is not counted.
    if (dev.registered) dev.carrierUpCount++;
    this.#linkwatch(dev);
  }

  /** Linux: netif_carrier_off. */
  netifCarrierOff(dev: NetDevice): void {
    if (!dev.carrier) return;
    dev.carrier = false;
    if (dev.registered) dev.carrierDownCount++;
    this.#linkwatch(dev);
  }

  /** Linux: netif_dormant_on/off (used by stacked devices to mirror a lower's state). */
  netifSetDormant(dev: NetDevice, dormant: boolean): void {
    if (dev.dormant === dormant) return;
    dev.dormant = dormant;
    this.#linkwatch(dev);
  }

  /** Linux: linkwatch_do_dev (done at once: virtual time has no 1 s linkwatch delay). */
  #linkwatch(dev: NetDevice): void {
    if (!dev.registered) return;
    dev.operstate = this.#defaultOperstate(dev);
    if (dev.isUp) this.notify({ type: 'NETDEV_CHANGE', dev });
  }

  /** Linux 6.1: default_operstate + rfc2863_policy. */
  #defaultOperstate(dev: NetDevice): number {
    if (!dev.carrier) return dev.iflink !== dev.ifindex ? IF_OPER_LOWERLAYERDOWN : IF_OPER_DOWN;
    if (dev.dormant || dev.linkMode === 1) return IF_OPER_DORMANT;
    return IF_OPER_UP;
  }

  /** IFLA_OPERSTATE as rtnetlink reports it: DOWN whenever the device is not running. */
  reportedOperstate(dev: NetDevice): number {
    return dev.isUp ? dev.operstate : IF_OPER_DOWN;
  }

  /** Linux: eth_random_addr — a random locally administered unicast MAC. */
  randomMac(): MacAddr {
    const bytes = this.random.fill(new Uint8Array(6));
    bytes[0] = ((bytes[0] as number) & 0xfe) | 0x02;
    return MacAddr.fromBytes(bytes);
  }

  // ------------------------------------------------------------ multicast lists

  /** Linux: dev_mc_add — reference-counted; ndo_set_rx_mode on the first user. */
  devMcAdd(dev: NetDevice, mac: MacAddr): void {
    const entry = dev.mcList.get(mac.key);
    if (entry !== undefined) {
      entry.users++;
      return;
    }
    dev.mcList.set(mac.key, { mac, users: 1 });
    // Linux: __dev_set_rx_mode does nothing while the device is down; open() applies it.
    if (dev.isUp) dev.ops.setRxMode?.(dev);
  }

  /** Linux: dev_mc_del. */
  devMcDel(dev: NetDevice, mac: MacAddr): void {
    const entry = dev.mcList.get(mac.key);
    if (entry === undefined) return;
    if (--entry.users > 0) return;
    dev.mcList.delete(mac.key);
    if (dev.isUp) dev.ops.setRxMode?.(dev);
  }

  /** Linux: dev_set_promiscuity (a counter; PROMISC shows while above zero). */
  devSetPromiscuity(dev: NetDevice, inc: number): void {
    dev.promiscuity = Math.max(0, dev.promiscuity + inc);
    dev.ops.setRxMode?.(dev);
  }

  /** Linux: dev_set_allmulti. */
  devSetAllmulti(dev: NetDevice, inc: number): void {
    dev.allmulti = Math.max(0, dev.allmulti + inc);
    dev.ops.setRxMode?.(dev);
  }

  // ------------------------------------------------------------ rx handlers

  /**
   * Linux: netdev_rx_handler_register. Claims `dev` for an upper driver (bridge port,
   * ipvlan master).
   * @throws {ErrnoError} EINVAL when the device forbids rx handlers (IFF_NO_RX_HANDLER),
   *   EBUSY when another upper already holds it.
   */
  netdevRxHandlerRegister(dev: NetDevice, handler: RxHandler, data: unknown): void {
    if (dev.features.noRxHandler) throw new ErrnoError('EINVAL');
    if (dev.rxHandler !== null) throw new ErrnoError('EBUSY');
    dev.rxHandlerData = data;
    dev.rxHandler = handler;
  }

  /** Linux: netdev_rx_handler_unregister. */
  netdevRxHandlerUnregister(dev: NetDevice): void {
    dev.rxHandler = null;
    dev.rxHandlerData = null;
  }

  // ------------------------------------------------------------ receive

  /**
   * Linux: eth_type_trans. Puts the skb on `dev`, reads the EtherType and classifies
   * the destination MAC. Returns false (after counting) when the frame is shorter
   * than an Ethernet header.
   */
  ethTypeTrans(skb: SkBuff, dev: NetDevice): boolean {
    skb.dev = dev;
    const data = skb.data;
    if (data.length < ETH_HLEN) {
      this.dropSkb(skb, 'PKT_TOO_SMALL');
      return false;
    }
    skb.protocol = be16(data, 12);
    skb.network = ETH_HLEN;
    skb.transport = -1;
    if (((data[0] as number) & 1) === 1) {
      let bcast = true;
      for (let i = 0; i < 6; i++) if (data[i] !== 0xff) bcast = false;
      skb.pktType = bcast ? 'broadcast' : 'multicast';
    } else {
      skb.pktType = dev.address.equalsAt(data, 0) ? 'host' : 'otherhost';
    }
    return true;
  }

  /**
   * Linux: netif_rx. Queues a received frame (already through eth_type_trans) for
   * processing after the current event.
   */
  netifRx(skb: SkBuff): void {
    this.#backlog.push(skb);
    if (!this.#backlogScheduled) {
      this.#backlogScheduled = true;
      this.scheduler.defer(this.#runBacklog);
    }
  }

  /** Bound once: scheduling the backlog allocates no closure per frame or batch. */
  readonly #runBacklog = (): void => this.#processBacklog();

  /** Linux: process_backlog, draining everything queued including frames queued meanwhile. */
  #processBacklog(): void {
    while (this.#backlogHead < this.#backlog.length) {
      const skb = this.#backlog[this.#backlogHead++] as SkBuff;
      this.netifReceiveSkb(skb);
    }
    this.#backlog.length = 0;
    this.#backlogHead = 0;
    this.#backlogScheduled = false;
  }

  /**
   * Linux: __netif_receive_skb_core. Taps, VLAN untagging, the device's rx handler
   * (which may move the skb to another device and ask for another round), then the
   * protocol handler for the EtherType.
   */
  netifReceiveSkb(skb: SkBuff): void {
    let exact = false;
    if (skb.iif === 0) skb.iif = skb.dev.ifindex;
    for (let round = 0; round < 8; round++) {
      const dev = skb.dev;
      if (!dev.registered) {
        this.dropSkb(skb, 'DEV_READY');
        return;
      }
      if (this.tracer !== null) this.trace(skb, dev, 'rx', describe(skb.data));
      if (this.taps.size > 0) this.#runTaps(skb, 'rx');
      if (
        (skb.protocol === ETH_P_8021Q || skb.protocol === ETH_P_8021AD) &&
        this.vlanReceive !== null
      ) {
        const vlanDev = this.vlanReceive(skb);
        if (vlanDev === 'consumed') return;
        if (vlanDev !== null) continue; // vlan_do_receive moved the skb: another round
      }
      const handler = dev.rxHandler;
      if (handler !== null) {
        const result = handler(skb);
        if (result === 'consumed') return;
        if (result === 'another') continue;
        if (result === 'exact') exact = true;
      }
      if (
        (skb.protocol === ETH_P_8021Q || skb.protocol === ETH_P_8021AD) &&
        skb.network === ETH_HLEN &&
        skb.len >= ETH_HLEN + 4
      ) {
        // Linux: a tag no vlan device claimed is cleared after the rx handler; a
        // non-zero VID makes the frame PACKET_OTHERHOST, a priority tag (VID 0) is
        // delivered normally. The tag stays in the bytes; the network header moves.
        if ((be16(skb.data, ETH_HLEN) & 0x0fff) !== 0) skb.pktType = 'otherhost';
        skb.protocol = be16(skb.data, ETH_HLEN + 2);
        skb.network = ETH_HLEN + 4;
      }
      const ptype = this.ptypes.get(skb.protocol);
      if (ptype !== undefined && !exact) {
        ptype(skb);
        return;
      }
      if (exact) skb.dev.coreStats.rxNohandler++;
      else skb.dev.coreStats.rxDropped++;
      this.dropSkb(skb, 'UNHANDLED_PROTO');
      return;
    }
    this.dropSkb(skb, 'NOT_SPECIFIED');
  }

  // ------------------------------------------------------------ transmit

  /**
   * Linux: dev_queue_xmit (no qdisc: every device here transmits at once). A device
   * that is down, or up without carrier, has noop_qdisc (dev_deactivate on close and on
   * carrier loss; dev_activate waits for carrier), which frees the frame and returns
   * NET_XMIT_CN: a congestion notice every caller counts as sent (net_xmit_errno(CN) = 0,
   * ipvlan_start_xmit counts it in tx_pkts), so a local sender gets no errno
   * (o-down-device: sendto() = 64 through a veth whose peer is down, then silent loss).
   */
  devQueueXmit(skb: SkBuff): 'ok' | 'drop' {
    const dev = skb.dev;
    if (!dev.registered) {
      dev.coreStats.txDropped++;
      this.dropSkb(skb, 'DEV_READY');
      return 'drop';
    }
    if (!dev.isUp) {
      // Counted as tx_dropped here, though noop_qdisc leaves the device counters alone.
      dev.coreStats.txDropped++;
      this.dropSkb(skb, 'DEV_READY');
      return 'ok';
    }
    if (!dev.carrier) {
      this.dropSkb(skb, 'NO_CARRIER');
      return 'ok';
    }
    if (this.tracer !== null) this.trace(skb, dev, 'tx', describe(skb.data));
    if (this.taps.size > 0) this.#runTaps(skb, 'tx');
    return dev.ops.startXmit(skb, dev);
  }

  /**
   * Linux: dev_forward_skb — hand a frame to `dev`'s receive path as if it arrived
   * there. Refused (rx_dropped on `dev`) when `dev` is down or the frame exceeds its
   * MTU plus link header and is not a GSO super-frame; scrubs metadata when crossing
   * namespaces.
   */
  devForwardSkb(dev: NetDevice, skb: SkBuff): 'ok' | 'drop' {
    // Linux: is_skb_forwardable — a GSO skb passes whatever its length.
    if (!dev.isUp || !dev.registered || (skb.len > dev.mtu + ETH_HLEN + 4 && !skb.gso)) {
      dev.coreStats.rxDropped++;
      this.dropSkb(skb, dev.isUp ? 'PKT_TOO_BIG' : 'DEV_READY');
      return 'drop';
    }
    skb.scrub(skb.dev.netns !== dev.netns);
    skb.iif = 0;
    if (!this.ethTypeTrans(skb, dev)) return 'drop';
    this.netifRx(skb);
    return 'ok';
  }

  #runTaps(skb: SkBuff, dir: TapDirection): void {
    for (const tap of this.taps) if (tap.dev === null || tap.dev === skb.dev) tap.fn(skb, dir);
  }

  // ------------------------------------------------------------ drops and tracing

  /** Linux: kfree_skb_reason. Counts the reason in the skb's namespace and traces it. */
  dropSkb(skb: SkBuff, reason: DropReason, detail?: string): void {
    skb.dev.netns.countDrop(reason);
    for (const monitor of this.dropMonitors) monitor(skb, reason);
    if (this.tracer !== null) {
      this.tracer({
        time: this.now,
        where: skb.dev.path,
        kind: 'drop',
        detail: detail ?? reason,
        reason,
        skbId: skb.id,
      });
    }
  }

  /** True while a tracer listens: callers build detail strings only then. */
  get tracing(): boolean {
    return this.tracer !== null;
  }

  /** Emits a trace event (cheap no-op without a tracer). */
  trace(skb: SkBuff | null, dev: NetDevice, kind: string, detail: string): void {
    if (this.tracer === null) return;
    this.tracer({ time: this.now, where: dev.path, kind, detail, skbId: skb?.id ?? 0 });
  }
}
