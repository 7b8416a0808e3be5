// The ipvlan control plane (Linux: drivers/net/ipvlan/ipvlan_main.c): creating,
// changing and deleting slaves, the port's life, dev_id allocation, mode and flag
// changes with rollback, and the notifiers that keep slaves in step with their master
// (MTU, MAC, carrier, unregister, namespace moves) and own their addresses.
// Spec: ../shared/spec/ipvlan-behavior.md sections 1-2 and 7.

import { ErrnoError } from '../base/errno.ts';
import {
  ARPHRD_ETHER,
  IFF_BROADCAST,
  IFF_LOOPBACK,
  IFF_MULTICAST,
  IFF_NOARP,
  IPVLAN_F_PRIVATE,
  IPVLAN_F_VEPA,
  IPVLAN_MODE_L2,
  IPVLAN_MODE_L3,
  IPVLAN_MODE_L3S,
  IPVLAN_MODE_MAX,
  IF_OPER_DORMANT,
} from '../uapi/if.ts';
import { ipKey, type IpAddr } from '../wire/address.ts';
import type { AddrEvent, AddrValidatorEvent, Kernel, NetdevEvent } from '../stack/kernel.ts';
import {
  NetDevice,
  type LinkKind,
  type LinkStats64,
  type NetDeviceOps,
  type RxHandlerResult,
} from '../stack/netdev.ts';
import type { SkBuff } from '../stack/skb.ts';
import type { NetNamespace } from '../stack/netns.ts';
import { handleFrame, queueXmit } from './core.ts';
import { l3sRegister } from './l3s.ts';
import {
  IPVLAN_DEV_ID_END,
  newPort,
  newStats,
  type IpvlanAddr,
  type IpvlanDev,
  type IpvlanMode,
  type IpvlanPort,
} from './types.ts';

/** The extack ipvlan's address validators attach (ADDR-1); iproute2 adds the final period. */
export const ADDR_BUSY_EXTACK = 'Address already assigned to an ipvlan device';

/** IFLA_INFO_DATA of a request: each attribute present only when sent (NL-1). */
export interface IpvlanData {
  readonly mode?: number;
  readonly flags?: number;
}

/** What `ip link add link MASTER name NAME type ipvlan ...` asks for. */
export interface IpvlanNewLinkRequest {
  /** The IFLA_LINK device, already resolved in the link namespace (LC-2 is the caller's). */
  readonly link: NetDevice;
  readonly name: string;
  /** Where the slave is created (LC-12); the link namespace when absent. */
  readonly netns?: NetNamespace;
  readonly mtu?: number;
  readonly txqlen?: number;
  readonly ifindex?: number;
  readonly data?: IpvlanData;
  /** Kind `ipvtap` (TAP-1) instead of `ipvlan`. */
  readonly tap?: boolean;
}

// ---------------------------------------------------------------- lookups

/** The slave state of an ipvlan device, or undefined for any other device. */
export function ipvlanOf(dev: NetDevice): IpvlanDev | undefined {
  return dev.linkKind === ipvlanKind || dev.linkKind === ipvtapKind
    ? (dev.priv as IpvlanDev)
    : undefined;
}

// ---------------------------------------------------------------- ipvtap (TAP-*)

/**
 * One file descriptor opened on an ipvtap's character device (Linux: struct tap_queue
 * and its ptr_ring). The emulator has no character devices: a reader calls `read`.
 */
export interface IpvtapQueue {
  /** Frames waiting for the reader, Ethernet header included. */
  readonly ring: Uint8Array[];
  /** Takes the oldest queued frame, or null when the ring is empty. */
  read(): Uint8Array | null;
  /** Linux: tap_release — the descriptor is closed. */
  close(): void;
}

/** An ipvtap's tap state (Linux: struct tap_dev inside struct ipvtap_dev). */
interface IpvtapState {
  readonly queues: IpvtapQueue[];
}

const tapStates = new WeakMap<NetDevice, IpvtapState>();

/**
 * Linux: tap_handle_frame, the ipvtap device's own rx handler (TAP-3). What ipvlan
 * hands to the device goes to a descriptor instead of the host stack; with no
 * descriptor open (tap_get_queue finds none) the frame passes on to the stack. A ring
 * holds tx_queue_len frames (tap_queue_resize): a full one, nobody reading, drops the
 * frame and counts it through count_rx_dropped, i.e. ipvlan's rx_errs (ST-1).
 */
function tapHandleFrame(skb: SkBuff): RxHandlerResult {
  const dev = skb.dev;
  const tap = tapStates.get(dev);
  // Linux spreads flows over queues by rxhash; the first queue stands for that choice.
  const q = tap?.queues[0];
  if (q === undefined) return 'pass';
  if (q.ring.length >= dev.txqlen) {
    (dev.priv as IpvlanDev).stats.rxErrors++;
    dev.netns.kernel.dropSkb(
      skb,
      'FULL_RING',
      `${dev.name}: tap ring full, nobody reading (TAP-3)`,
    );
    return 'consumed';
  }
  q.ring.push(skb.data.slice(0));
  return 'consumed';
}

/**
 * Opens a descriptor on an ipvtap's character device (Linux: tap_open on
 * /dev/tap<ifindex>, TAP-2): from now on frames for the device queue here (TAP-3).
 * @throws {ErrnoError} ENODEV when `dev` is not an ipvtap.
 */
export function ipvtapOpen(dev: NetDevice): IpvtapQueue {
  const tap = tapStates.get(dev);
  if (tap === undefined || !dev.registered) throw new ErrnoError('ENODEV');
  const ring: Uint8Array[] = [];
  const q: IpvtapQueue = {
    ring,
    read: () => ring.shift() ?? null,
    close() {
      const i = tap.queues.indexOf(q);
      if (i >= 0) tap.queues.splice(i, 1);
      ring.length = 0;
    },
  };
  tap.queues.push(q);
  return q;
}

/** The port hanging off `dev`, if `dev` is an ipvlan master (OBJ-3). */
export function portOf(dev: NetDevice): IpvlanPort | undefined {
  return dev.rxHandler === portRxHandler ? (dev.rxHandlerData as IpvlanPort) : undefined;
}

function portRxHandler(skb: SkBuff): RxHandlerResult {
  const port = skb.dev.rxHandlerData as IpvlanPort;
  return handleFrame(skb.dev.netns.kernel, port, skb);
}

// ---------------------------------------------------------------- validation (LC-10)

/** Linux: ipvlan_nl_validate. Rejects before any effect. */
export function ipvlanValidate(data: IpvlanData | undefined): void {
  if (data === undefined) return;
  if (
    data.mode !== undefined &&
    (data.mode < 0 || data.mode >= IPVLAN_MODE_MAX || !Number.isInteger(data.mode))
  )
    throw new ErrnoError('EINVAL');
  if (data.flags !== undefined) {
    const flags = data.flags;
    if (!Number.isInteger(flags) || flags < 0 || flags > 0xffff) throw new ErrnoError('EINVAL');
    if ((flags & ~(IPVLAN_F_PRIVATE | IPVLAN_F_VEPA)) !== 0) throw new ErrnoError('EINVAL');
    if ((flags & (IPVLAN_F_PRIVATE | IPVLAN_F_VEPA)) === (IPVLAN_F_PRIVATE | IPVLAN_F_VEPA))
      throw new ErrnoError('EINVAL');
  }
}

// ---------------------------------------------------------------- the slave device

const slaveOps: NetDeviceOps = {
  init(dev) {
    // Linux: ipvlan_init — creates the port on first use and counts the slave in.
    const ipvlan = dev.priv as IpvlanDev;
    ipvlan.port.count++;
  },
  uninit(dev) {
    const ipvlan = dev.priv as IpvlanDev;
    const port = ipvlan.port;
    port.count--;
    if (port.count === 0) portDestroy(dev.netns.kernel, port);
  },
  open(dev) {
    // TAP-4: an ipvtap clears IFF_NO_QUEUE, so dev_activate attaches the default qdisc
    // (net.core.default_qdisc, fq_codel on the recorded guest) where an ipvlan gets
    // noqueue. The core's choice below this hook only fills a `noop`.
    if (dev.linkKind === ipvtapKind && dev.qdisc === 'noop') dev.qdisc = 'fq_codel';
    // NOARP is re-imposed at every open from the port's mode (MODE-6), without a
    // flag-change notification, as Linux writes dev->flags directly here.
    const ipvlan = dev.priv as IpvlanDev;
    if (ipvlan.port.mode === IPVLAN_MODE_L2) dev.flags &= ~IFF_NOARP;
    else dev.flags |= IFF_NOARP;
    for (const addr of ipvlan.addrs) htAddrAdd(ipvlan.port, addr);
  },
  stop(dev) {
    const ipvlan = dev.priv as IpvlanDev;
    mcUnsync(dev.netns.kernel, ipvlan);
    for (const addr of ipvlan.addrs) htAddrDel(ipvlan.port, addr);
  },
  startXmit(skb, dev) {
    // Linux: ipvlan_start_xmit — success (or congestion) counts tx, else tx_dropped (ST-1, ST-2).
    const ipvlan = dev.priv as IpvlanDev;
    const len = skb.len;
    const result = queueXmit(dev.netns.kernel, ipvlan, skb);
    if (result === 'ok') {
      ipvlan.stats.txPackets++;
      ipvlan.stats.txBytes += len;
    } else {
      ipvlan.stats.txDropped++;
    }
    return result;
  },
  getStats64(dev, into: LinkStats64) {
    // Linux: ipvlan_get_stats64 (ST-1..ST-5): rx_errs is reported as both rx_errors and
    // rx_dropped; the core adds its own rx_dropped on top.
    const s = (dev.priv as IpvlanDev).stats;
    into.rxPackets = s.rxPackets;
    into.rxBytes = s.rxBytes;
    into.multicast = s.rxMulticast;
    into.txPackets = s.txPackets;
    into.txBytes = s.txBytes;
    into.rxErrors = s.rxErrors;
    into.rxDropped = s.rxErrors;
    into.txDropped = s.txDropped;
  },
  setRxMode(dev) {
    setMulticastFilter(dev.netns.kernel, dev.priv as IpvlanDev);
  },
  getIflink(dev) {
    return (dev.priv as IpvlanDev).phyDev.ifindex;
  },
  // No setMacAddress: changing a slave's MAC is EOPNOTSUPP (MAC-2).
};

/**
 * Linux: ipvlan_set_multicast_mac_filter (OBJ-7, MAC-5). An exact set instead of the
 * 256-bit hash (the spec allows it); broadcast is always admitted. The slave's group
 * list is synced into the master's, and ALLMULTI holds one allmulti count on it.
 */
function setMulticastFilter(kernel: Kernel, ipvlan: IpvlanDev): void {
  const dev = ipvlan.dev;
  // dev->flags, which counts a packet socket's promiscuity and a dev_set_allmulti too.
  if (dev.promiscOn || dev.allmultiOn) {
    ipvlan.macFilter = null;
  } else {
    const filter = new Set<number>();
    for (const key of dev.mcList.keys()) filter.add(key);
    filter.add(dev.broadcast.key);
    ipvlan.macFilter = filter;
  }
  const wantAllmulti = dev.allmultiOn;
  if (wantAllmulti !== ipvlan.allmultiOnMaster) {
    kernel.devSetAllmulti(ipvlan.phyDev, wantAllmulti ? 1 : -1);
    ipvlan.allmultiOnMaster = wantAllmulti;
  }
  if (!dev.isUp) return;
  for (const [key, entry] of dev.mcList) {
    if (ipvlan.syncedMc.has(key)) continue;
    ipvlan.syncedMc.set(key, entry.mac);
    kernel.devMcAdd(ipvlan.phyDev, entry.mac);
  }
  for (const [key, mac] of [...ipvlan.syncedMc]) {
    if (dev.mcList.has(key)) continue;
    ipvlan.syncedMc.delete(key);
    kernel.devMcDel(ipvlan.phyDev, mac);
  }
}

/** Linux: dev_mc_unsync on stop — the master forgets this slave's groups (MAC-5). */
function mcUnsync(kernel: Kernel, ipvlan: IpvlanDev): void {
  for (const mac of ipvlan.syncedMc.values()) kernel.devMcDel(ipvlan.phyDev, mac);
  ipvlan.syncedMc.clear();
}

/** The `ipvlan` link kind. Deleting a slave: ipvlan_link_delete (DEL-1). */
export const ipvlanKind: LinkKind = {
  kind: 'ipvlan',
  dellink(dev) {
    linkDelete(dev.netns.kernel, dev.priv as IpvlanDev);
  },
};

/** The `ipvtap` link kind (TAP-1): an ipvlan slave; linkDelete also drops its queues. */
export const ipvtapKind: LinkKind = {
  kind: 'ipvtap',
  dellink(dev) {
    linkDelete(dev.netns.kernel, dev.priv as IpvlanDev);
  },
};

// ---------------------------------------------------------------- port life (OBJ-2)

function portCreate(kernel: Kernel, phyDev: NetDevice): IpvlanPort {
  const port = newPort(phyDev);
  kernel.netdevRxHandlerRegister(phyDev, portRxHandler, port);
  return port;
}

function portDestroy(kernel: Kernel, port: IpvlanPort): void {
  kernel.netdevRxHandlerUnregister(port.phyDev);
  if (port.mode === IPVLAN_MODE_L3S) port.l3sUnregister?.();
  port.l3sUnregister = null;
  port.dead = true;
  kernel.scheduler.cancel(port.worker);
  port.worker = undefined;
  for (let i = port.backlogHead; i < port.backlog.length; i++) {
    const entry = port.backlog[i];
    if (entry !== undefined)
      kernel.dropSkb(entry.skb, 'NOT_SPECIFIED', 'port destroyed with frames in its backlog');
  }
  port.backlog.length = 0;
  port.backlogHead = 0;
}

/** OBJ-8: the next free dev_id from the cursor, wrapping to 1; ENOSPC when none. */
function allocDevId(port: IpvlanPort): number {
  if (port.devIdStart === IPVLAN_DEV_ID_END) port.devIdStart = 1;
  for (let id = port.devIdStart; id < IPVLAN_DEV_ID_END; id++) if (!port.devIds.has(id)) return id;
  for (let id = 1; id < port.devIdStart; id++) if (!port.devIds.has(id)) return id;
  throw new ErrnoError('ENOSPC');
}

/**
 * Linux: ipvlan_set_port_mode (MODE-2). Sets or clears NOARP on every slave through
 * the normal flag-change path, then (un)registers L3S, then stores the mode; on
 * failure the flags already changed are put back and the mode stays.
 */
export function setPortMode(kernel: Kernel, port: IpvlanPort, mode: IpvlanMode): void {
  if (port.mode === mode) return;
  const noarpFor = (m: number): number => (m === IPVLAN_MODE_L2 ? 0 : IFF_NOARP);
  const changed: IpvlanDev[] = [];
  try {
    for (const slave of port.slaves) {
      kernel.devChangeFlags(slave.dev, noarpFor(mode), IFF_NOARP);
      changed.push(slave);
    }
    if (mode === IPVLAN_MODE_L3S) port.l3sUnregister = l3sRegister(kernel, port);
    else if (port.mode === IPVLAN_MODE_L3S) {
      port.l3sUnregister?.();
      port.l3sUnregister = null;
    }
  } catch (err) {
    for (const slave of changed.reverse())
      kernel.devChangeFlags(slave.dev, noarpFor(port.mode), IFF_NOARP);
    throw err;
  }
  port.mode = mode;
}

// ---------------------------------------------------------------- newlink / changelink / dellink

/**
 * Linux: ipvlan_link_new (LC-1..LC-13). Returns the new slave, administratively down.
 * @throws {ErrnoError} EINVAL (bad data, lo or non-Ethernet master), EBUSY (master
 *   has another rx handler), EEXIST (name), ENOSPC (no dev_id), EPERM never (root).
 */
export function ipvlanNewLink(kernel: Kernel, req: IpvlanNewLinkRequest): NetDevice {
  ipvlanValidate(req.data);
  let phyDev = req.link;
  const nested = ipvlanOf(phyDev);
  if (nested !== undefined) {
    phyDev = nested.phyDev; // nesting is flattened onto the real master (LC-3)
  } else if (portOf(phyDev) === undefined) {
    if (phyDev.type !== ARPHRD_ETHER || (phyDev.flags & IFF_LOOPBACK) !== 0) {
      kernel.trace(null, phyDev, 'ipvlan', 'Master is either lo or non-ether device');
      throw new ErrnoError('EINVAL');
    }
    if (phyDev.rxHandler !== null) {
      kernel.trace(null, phyDev, 'ipvlan', 'Device is already in use.');
      throw new ErrnoError('EBUSY');
    }
  }
  const netns = req.netns ?? req.link.netns;
  // The port exists before the slave registers (Linux creates it in ndo_init).
  const port = portOf(phyDev) ?? portCreate(kernel, phyDev);
  const ipvlan: IpvlanDev = {
    dev: undefined as unknown as NetDevice,
    phyDev,
    port,
    addrs: [],
    stats: newStats(),
    macFilter: new Set(),
    allmultiOnMaster: false,
    syncedMc: new Map(),
  };
  // The slave state points at its device before registration: register-time
  // notifiers (addrconf joining groups) may already call into the slave's ops.
  const tap = req.tap === true;
  const dev = new NetDevice({
    name: req.name,
    ops: slaveOps,
    linkKind: tap ? ipvtapKind : ipvlanKind,
    flags: IFF_BROADCAST | IFF_MULTICAST,
    // MTU-1: the master's unless given; MAC-1: always the master's (LC-7).
    mtu: req.mtu ?? phyDev.mtu,
    minMtu: 68,
    maxMtu: 65535,
    address: phyDev.address,
    // Linux: ipvtap_setup — TUN_READQ_SIZE (500) and a real queue (TAP-4).
    txqlen: req.txqlen ?? (tap ? 500 : 1000),
    features: { vlanChallenged: true, noQueue: !tap, noRxHandler: !tap, liveAddrChange: true },
    carrierOff: !phyDev.carrier,
    priv: ipvlan,
  });
  (ipvlan as { dev: NetDevice }).dev = dev;
  if (tap) {
    // Linux: ipvtap_newlink claims the device's rx handler before ipvlan_link_new, so
    // it is the one handler the slave has; no other upper may take it (MP-2).
    tapStates.set(dev, { queues: [] });
    kernel.netdevRxHandlerRegister(dev, tapHandleFrame, null);
    dev.features.noRxHandler = true;
  }
  try {
    kernel.registerNetdevice(dev, netns, req.ifindex === undefined ? {} : { ifindex: req.ifindex });
  } catch (err) {
    if (port.count === 0) portDestroy(kernel, port);
    throw err;
  }
  dev.dormant = phyDev.operstate === IF_OPER_DORMANT;
  let devId: number;
  try {
    devId = allocDevId(port);
  } catch (err) {
    kernel.unregisterNetdevice(dev);
    throw err;
  }
  port.devIds.add(devId);
  dev.devId = devId;
  port.devIdStart = devId + 1;
  // LC-7 steps 6-7: flags replace both bits when sent; the mode defaults to L3 (LC-8).
  if (req.data?.flags !== undefined) port.flags = req.data.flags;
  try {
    setPortMode(kernel, port, (req.data?.mode ?? IPVLAN_MODE_L3) as IpvlanMode);
  } catch (err) {
    port.devIds.delete(devId);
    kernel.unregisterNetdevice(dev);
    throw err;
  }
  port.slaves.push(ipvlan);
  stackedTransferOperstate(kernel, phyDev, dev);
  return dev;
}

/**
 * Linux: ipvlan_nl_changelink (MODE-1..MODE-4): mode first, then flags if the mode
 * part succeeded. No data is a no-op.
 */
export function ipvlanChangeLink(
  kernel: Kernel,
  dev: NetDevice,
  data: IpvlanData | undefined,
): void {
  const ipvlan = ipvlanOf(dev);
  if (ipvlan === undefined) throw new ErrnoError('EOPNOTSUPP');
  if (data === undefined) return;
  ipvlanValidate(data);
  if (data.mode !== undefined) setPortMode(kernel, ipvlan.port, data.mode as IpvlanMode);
  if (data.flags !== undefined) ipvlan.port.flags = data.flags & (IPVLAN_F_PRIVATE | IPVLAN_F_VEPA);
}

/** IFLA_INFO_DATA of a dump: the port's current mode and flags (NL-2). */
export function ipvlanFillInfo(dev: NetDevice): { mode: number; flags: number } {
  const ipvlan = ipvlanOf(dev);
  if (ipvlan === undefined) throw new ErrnoError('EOPNOTSUPP');
  return { mode: ipvlan.port.mode, flags: ipvlan.port.flags };
}

/** Linux: ipvlan_link_delete (DEL-1). */
function linkDelete(kernel: Kernel, ipvlan: IpvlanDev): void {
  const tap = tapStates.get(ipvlan.dev);
  if (tap !== undefined) {
    // Linux: ipvtap_dellink — rx handler off and every queue detached first.
    kernel.netdevRxHandlerUnregister(ipvlan.dev);
    for (const q of [...tap.queues]) q.close();
  }
  const port = ipvlan.port;
  for (const addr of ipvlan.addrs) htAddrDel(port, addr);
  ipvlan.addrs.length = 0;
  port.devIds.delete(ipvlan.dev.devId);
  const i = port.slaves.indexOf(ipvlan);
  if (i >= 0) port.slaves.splice(i, 1);
  if (ipvlan.allmultiOnMaster) {
    kernel.devSetAllmulti(ipvlan.phyDev, -1);
    ipvlan.allmultiOnMaster = false;
  }
  kernel.unregisterNetdevice(ipvlan.dev);
}

/** Linux: netif_stacked_transfer_operstate (LINK-1). */
function stackedTransferOperstate(kernel: Kernel, root: NetDevice, dev: NetDevice): void {
  kernel.netifSetDormant(dev, root.operstate === IF_OPER_DORMANT);
  if (root.carrier) kernel.netifCarrierOn(dev);
  else kernel.netifCarrierOff(dev);
}

// ---------------------------------------------------------------- address table (OBJ-5, ADDR-*)

function htAddrAdd(port: IpvlanPort, addr: IpvlanAddr): void {
  if (addr.hashed) return;
  port.table.set(addr.key, addr);
  addr.hashed = true;
}

function htAddrDel(port: IpvlanPort, addr: IpvlanAddr): void {
  if (!addr.hashed) return;
  if (port.table.get(addr.key) === addr) port.table.delete(addr.key);
  addr.hashed = false;
}

/** Linux: ipvlan_addr_busy — any slave's list, up or down, the owner included (ADDR-1, ADDR-6, ADDR-8). */
export function addrBusy(port: IpvlanPort, addr: IpAddr): boolean {
  const key = ipKey(addr);
  return port.slaves.some((s) => s.addrs.some((a) => a.key === key));
}

function addAddr(ipvlan: IpvlanDev, addr: IpAddr): void {
  const entry: IpvlanAddr = { addr, key: ipKey(addr), owner: ipvlan, hashed: false };
  ipvlan.addrs.push(entry);
  // Hashed only while the slave runs; open() hashes the rest (ADDR-6).
  if (ipvlan.dev.isUp) htAddrAdd(ipvlan.port, entry);
}

function delAddr(ipvlan: IpvlanDev, addr: IpAddr): void {
  const key = ipKey(addr);
  const i = ipvlan.addrs.findIndex((a) => a.key === key);
  if (i < 0) return;
  const [entry] = ipvlan.addrs.splice(i, 1);
  if (entry !== undefined) htAddrDel(ipvlan.port, entry);
}

// ---------------------------------------------------------------- notifiers

const initialised = new WeakSet<Kernel>();

/**
 * Linux: ipvlan_init_module. Registers the netdevice notifier, the address notifiers
 * and the address validators on `kernel`. Idempotent.
 */
export function ipvlanModuleInit(kernel: Kernel): void {
  if (initialised.has(kernel)) return;
  initialised.add(kernel);
  kernel.netdevChain.push((event) => deviceEvent(kernel, event));
  const onAddr = (event: AddrEvent): void => {
    const ipvlan = ipvlanOf(event.dev);
    if (ipvlan === undefined) return;
    if (event.type === 'NETDEV_UP') addAddr(ipvlan, event.addr);
    else delAddr(ipvlan, event.addr);
  };
  kernel.inetaddrChain.push(onAddr);
  kernel.inet6addrChain.push(onAddr);
  const validate = (event: AddrValidatorEvent): void => {
    const ipvlan = ipvlanOf(event.dev);
    if (ipvlan === undefined) return;
    if (addrBusy(ipvlan.port, event.addr)) throw new ErrnoError('EADDRINUSE', ADDR_BUSY_EXTACK);
  };
  kernel.inetaddrValidatorChain.push(validate);
  kernel.inet6addrValidatorChain.push(validate);
}

/** Linux: ipvlan_device_event, for events on a master (a device that is a port). */
function deviceEvent(kernel: Kernel, event: NetdevEvent): void {
  const dev = event.dev;
  const port = portOf(dev);
  if (port === undefined) return;
  switch (event.type) {
    case 'NETDEV_UP':
    case 'NETDEV_CHANGE':
      // LINK-1; on 6.1 a master's own admin-down is not passed on (LINK-4).
      for (const slave of port.slaves) stackedTransferOperstate(kernel, dev, slave.dev);
      break;
    case 'NETDEV_REGISTER':
      // The master moved namespaces: the port follows, and so does L3S (NS-2, L3S-6).
      if (dev.netns !== port.pnet) {
        port.pnet = dev.netns;
        if (port.mode === IPVLAN_MODE_L3S) {
          port.l3sUnregister?.();
          port.l3sUnregister = l3sRegister(kernel, port);
        }
      }
      break;
    case 'NETDEV_UNREGISTER':
      // A real unregister (not a namespace move) deletes every slave, anywhere (DEL-2).
      if (event.netnsMove === true) break;
      for (const slave of [...port.slaves]) linkDelete(kernel, slave);
      break;
    case 'NETDEV_CHANGEMTU':
      // MTU-3: overwritten silently, no event for the slaves.
      for (const slave of port.slaves) slave.dev.mtu = dev.mtu;
      break;
    case 'NETDEV_PRE_CHANGEADDR':
      // MAC-3: every slave is asked first; any veto aborts the master's change.
      for (const slave of port.slaves)
        kernel.notify(
          event.newAddr === undefined
            ? { type: 'NETDEV_PRE_CHANGEADDR', dev: slave.dev }
            : { type: 'NETDEV_PRE_CHANGEADDR', dev: slave.dev, newAddr: event.newAddr },
        );
      break;
    case 'NETDEV_CHANGEADDR':
      for (const slave of port.slaves) {
        slave.dev.address = dev.address;
        kernel.notify({ type: 'NETDEV_CHANGEADDR', dev: slave.dev });
      }
      break;
    default:
      break;
  }
}
