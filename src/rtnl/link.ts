// RTM_NEWLINK / RTM_DELLINK / RTM_GETLINK over the stack (Linux 6.1
// net/core/rtnetlink.c: __rtnl_newlink, do_setlink, rtnl_dellink, rtnl_fill_ifinfo).
//
// Differs from Linux: none intended in what is modelled. Like Linux, a change request
// (do_setlink) that fails part-way keeps the steps already done; a create that fails
// after registering unregisters the device again.

import { ErrnoError } from '../base/errno.ts';
import type { Kernel } from '../stack/kernel.ts';
import type { NetDevice } from '../stack/netdev.ts';
import type { NetNamespace } from '../stack/netns.ts';
import {
  IFF_ALLMULTI,
  IFF_AUTOMEDIA,
  IFF_DEBUG,
  IFF_DYNAMIC,
  IFF_LOOPBACK,
  IFF_MULTICAST,
  IFF_NOARP,
  IFF_NOTRAILERS,
  IFF_PORTSEL,
  IFF_PROMISC,
  IFF_UP,
  IN6_ADDR_GEN_MODE_EUI64,
  IN6_ADDR_GEN_MODE_RANDOM,
} from '../uapi/if.ts';
import { MacAddr } from '../wire/address.ts';
import {
  TSO_LEGACY_MAX_SIZE,
  TSO_MAX_SIZE,
  type LinkKindOps,
  type LinkKindRegistry,
} from './kinds.ts';
import type {
  LinkInfo,
  LinkInfoRequest,
  LinkMsg,
  LinkSelector,
  NetnsTarget,
  NewLinkRequest,
} from './messages.ts';

/** What the link handlers share: the kernel, the kinds, and namespace resolution. */
export interface RtnlCore {
  readonly kernel: Kernel;
  readonly kinds: LinkKindRegistry;
  /**
   * Linux: rtnl_link_get_net — IFLA_NET_NS_FD (a name here) or IFLA_NET_NS_PID.
   * @throws {ErrnoError} ENOENT, ESRCH.
   */
  resolveNetns(target: NetnsTarget): NetNamespace;
}

/** Linux: IPV6_MIN_MTU — addrconf keeps an inet6_dev only on devices with at least this MTU. */
const IPV6_MIN_MTU = 1280;

/** The flags __dev_change_flags copies straight from the request. */
const PLAIN_FLAGS =
  IFF_DEBUG |
  IFF_NOTRAILERS |
  IFF_NOARP |
  IFF_DYNAMIC |
  IFF_MULTICAST |
  IFF_PORTSEL |
  IFF_AUTOMEDIA;

/** IFLA_NUM_TX_QUEUES / IFLA_NUM_RX_QUEUES as created (the stack has one queue each way). */
const queues = new WeakMap<NetDevice, { tx: number; rx: number }>();

/**
 * Linux: dev_validate_mtu as rtnl_create_link runs it against the kind's setup values.
 * @throws {ErrnoError} EINVAL with the kernel's extack.
 */
export function checkCreateMtu(ops: Pick<LinkKindOps, 'minMtu' | 'maxMtu'>, mtu: number): void {
  if (mtu < ops.minMtu) throw new ErrnoError('EINVAL', 'mtu less than device minimum');
  if (ops.maxMtu > 0 && mtu > ops.maxMtu)
    throw new ErrnoError('EINVAL', 'mtu greater than device maximum');
}

function hasInfoData(info: LinkInfoRequest): boolean {
  return 'data' in info && info.data !== undefined;
}

/** True while the device has IPv6 state (an inet6_dev), which is when IFLA_AF_SPEC/AF_INET6 is dumped. */
export function hasInet6(dev: NetDevice): boolean {
  return dev.mtu >= IPV6_MIN_MTU;
}

/** Linux: validate_linkmsg's AF_SPEC part (inet6_validate_link_af). */
function validateAfSpec(dev: NetDevice | undefined, req: NewLinkRequest): void {
  const mode = req.addrGenMode;
  if (mode === undefined) return;
  if (dev !== undefined && !hasInet6(dev)) throw new ErrnoError('EAFNOSUPPORT');
  if (!Number.isInteger(mode) || mode < IN6_ADDR_GEN_MODE_EUI64 || mode > IN6_ADDR_GEN_MODE_RANDOM)
    throw new ErrnoError('EINVAL');
  // Linux: stable_privacy needs a stable_secret, which no namespace here has.
  if (mode === 2) throw new ErrnoError('EINVAL');
}

/**
 * Linux: __rtnl_newlink — change an existing device (found by ifindex, else by name)
 * or, with NLM_F_CREATE, create one of the requested kind.
 */
export function newLink(core: RtnlCore, net: NetNamespace, req: NewLinkRequest): void {
  const ifindex = req.ifindex ?? 0;
  if (ifindex < 0) throw new ErrnoError('EINVAL', "ifindex can't be negative");
  const dev =
    ifindex > 0
      ? net.getByIndex(ifindex)
      : req.ifname !== undefined
        ? net.getByName(req.ifname)
        : undefined;
  const linkSpecified = ifindex > 0 || req.ifname !== undefined;
  validateAfSpec(dev, req);
  const info = req.linkinfo;
  const ops = info === undefined ? undefined : core.kinds.get(info.kind);
  if (info !== undefined) ops?.validate?.(info);

  if (dev !== undefined) {
    if (req.nlm.excl === true) throw new ErrnoError('EEXIST');
    if (req.nlm.replace === true) throw new ErrnoError('EOPNOTSUPP');
    if (info !== undefined && hasInfoData(info)) {
      if (ops === undefined || ops !== core.kinds.of(dev) || ops.changeLink === undefined)
        throw new ErrnoError('EOPNOTSUPP');
      ops.changeLink(dev, info);
    }
    doSetlink(core, dev, req);
    return;
  }

  if (req.nlm.create !== true) {
    // Linux: "It is a bit inconsistent, but it's how it was" — ENODEV either way.
    void linkSpecified;
    throw new ErrnoError('ENODEV');
  }
  if (ops === undefined) throw new ErrnoError('EOPNOTSUPP', 'Unknown device type');
  createLink(core, net, req, ops);
}

/** Linux: rtnl_newlink_create + rtnl_create_link + rtnl_configure_link. */
function createLink(
  core: RtnlCore,
  net: NetNamespace,
  req: NewLinkRequest,
  ops: LinkKindOps,
): NetDevice {
  const kernel = core.kernel;
  const destNet = req.netns === undefined ? net : core.resolveNetns(req.netns);
  const tx = req.numTxQueues ?? 1;
  const rx = req.numRxQueues ?? 1;
  if (tx < 1 || tx > 4096) throw new ErrnoError('EINVAL', 'Invalid number of transmit queues');
  if (rx < 1 || rx > 4096) throw new ErrnoError('EINVAL', 'Invalid number of receive queues');
  if (req.mtu !== undefined) checkCreateMtu(ops, req.mtu);
  const dev = ops.newLink({
    kernel,
    srcNet: net,
    net: destNet,
    ifname: req.ifname ?? `${ops.kind}%d`,
    req,
    lower() {
      if (req.link === undefined) return null;
      const lower = net.getByIndex(req.link);
      if (lower === undefined) throw new ErrnoError('ENODEV');
      return lower;
    },
    resolveNetns: (target) => (target === undefined ? net : core.resolveNetns(target)),
  });
  try {
    if (req.group !== undefined) dev.group = req.group;
    if (req.broadcast !== undefined) dev.broadcast = req.broadcast;
    if (tx !== 1 || rx !== 1) queues.set(dev, { tx, rx });
    if (req.addrGenMode !== undefined) dev.addrGenMode = req.addrGenMode;
    if ((req.flags ?? 0) !== 0 || (req.change ?? 0) !== 0) changeFlags(kernel, dev, req);
    if (req.master !== undefined) doSetMaster(core, dev, req.master);
  } catch (err) {
    deleteDevice(core, dev);
    throw err;
  }
  return dev;
}

/** Linux: rtnl_dev_combine_flags + __dev_change_flags. */
function changeFlags(kernel: Kernel, dev: NetDevice, req: NewLinkRequest): void {
  const change = req.change ?? 0;
  // Linux: "bugwards compatibility: ifi_change == 0 is treated as ~0".
  const flags =
    change !== 0 ? ((req.flags ?? 0) & change) | (devGetFlags(dev) & ~change) : (req.flags ?? 0);
  kernel.devChangeFlags(dev, flags, PLAIN_FLAGS | IFF_UP);
  if (((flags ^ dev.gflags) & IFF_PROMISC) !== 0) {
    dev.gflags ^= IFF_PROMISC;
    kernel.devSetPromiscuity(dev, (flags & IFF_PROMISC) !== 0 ? 1 : -1);
  }
  if (((flags ^ dev.gflags) & IFF_ALLMULTI) !== 0) {
    dev.gflags ^= IFF_ALLMULTI;
    kernel.devSetAllmulti(dev, (flags & IFF_ALLMULTI) !== 0 ? 1 : -1);
  }
}

/**
 * Linux: do_setlink, in its order: namespace, address, MTU, group, name, broadcast,
 * flags, master, txqlen, AF_SPEC.
 */
export function doSetlink(core: RtnlCore, dev: NetDevice, req: NewLinkRequest): void {
  const kernel = core.kernel;
  if (req.netns !== undefined) {
    const target = core.resolveNetns(req.netns);
    // Linux: dev_change_net_namespace(dev, net, pat) uses IFLA_IFNAME only when the
    // current name is taken in the target; a plain rename follows below.
    const taken = target !== dev.netns && target.getByName(dev.name) !== undefined;
    if (taken && req.ifname === undefined) throw new ErrnoError('EEXIST');
    const source = dev.netns;
    const moving = target !== source;
    kernel.changeNetns(dev, target, taken ? req.ifname : undefined);
    // dev_change_net_namespace, once its checks pass, announces the move with
    // IFLA_NEW_NETNSID: the target gets an id in the source namespace (peernet2id_alloc).
    if (moving) source.nsidOf(target);
    // Linux: the move unregisters and re-registers the device, and dev_init_scheduler
    // puts the noop qdisc back. TODO: belongs in Kernel.changeNetns (kernel-made moves).
    if (moving) dev.qdisc = 'noop';
  }
  if (req.address !== undefined) kernel.devSetMacAddress(dev, req.address);
  if (req.mtu !== undefined) kernel.devSetMtu(dev, req.mtu);
  if (req.group !== undefined) dev.group = req.group;
  if ((req.ifindex ?? 0) > 0 && req.ifname !== undefined) kernel.devChangeName(dev, req.ifname);
  if (req.broadcast !== undefined) {
    dev.broadcast = req.broadcast;
    kernel.notify({ type: 'NETDEV_CHANGEADDR', dev });
  }
  if ((req.flags ?? 0) !== 0 || (req.change ?? 0) !== 0) changeFlags(kernel, dev, req);
  if (req.master !== undefined) doSetMaster(core, dev, req.master);
  if (req.txqlen !== undefined) {
    if (!Number.isInteger(req.txqlen) || req.txqlen < 0 || req.txqlen > 0xffffffff)
      throw new ErrnoError('ERANGE');
    dev.txqlen = req.txqlen;
  }
  if (req.addrGenMode !== undefined) dev.addrGenMode = req.addrGenMode;
}

/** Linux: do_set_master — leave the current master, then join the new one (0 = none). */
function doSetMaster(core: RtnlCore, dev: NetDevice, ifindex: number): void {
  const upper = dev.master;
  if (upper !== null) {
    if (upper.ifindex === ifindex) return;
    const ops = core.kinds.of(upper);
    if (ops?.delSlave === undefined) throw new ErrnoError('EOPNOTSUPP');
    ops.delSlave(upper, dev);
  }
  if (ifindex === 0) return;
  const master = dev.netns.getByIndex(ifindex);
  if (master === undefined) throw new ErrnoError('EINVAL');
  const ops = core.kinds.of(master);
  if (ops?.addSlave === undefined) throw new ErrnoError('EOPNOTSUPP');
  ops.addSlave(master, dev);
}

/** Linux: rtnl_delete_link — the kind's dellink; devices without a kind (lo, NICs) refuse. */
function deleteDevice(core: RtnlCore, dev: NetDevice): void {
  const ops = core.kinds.of(dev);
  if (ops?.delLink !== undefined) ops.delLink(dev);
  else if (dev.linkKind !== null) dev.linkKind.dellink(dev);
  else throw new ErrnoError('EOPNOTSUPP');
}

/** Linux: rtnl_dellink by ifindex. @throws {ErrnoError} ENODEV, EOPNOTSUPP. */
export function delLink(core: RtnlCore, net: NetNamespace, ifindex: number): void {
  const dev = ifindex > 0 ? net.getByIndex(ifindex) : undefined;
  if (dev === undefined) throw new ErrnoError('ENODEV');
  deleteDevice(core, dev);
}

/** Linux: rtnl_getlink. @throws {ErrnoError} ENODEV. */
export function getLink(core: RtnlCore, net: NetNamespace, selector: LinkSelector): LinkMsg {
  const dev =
    'ifindex' in selector ? net.getByIndex(selector.ifindex) : net.getByName(selector.ifname);
  if (dev === undefined) throw new ErrnoError('ENODEV');
  return fillLink(core, dev);
}

/** Every device of `net` in ifindex order (RTM_GETLINK dump). */
export function dumpLinks(core: RtnlCore, net: NetNamespace): LinkMsg[] {
  return net.devices.map((dev) => fillLink(core, dev));
}

/** tso_max_size: loopback and some kinds raise it; stacked kinds inherit it. */
function tsoMaxSize(core: RtnlCore, dev: NetDevice, depth = 0): number {
  const ops = core.kinds.of(dev);
  if (ops?.tsoMaxSize !== undefined && depth < 8)
    return ops.tsoMaxSize(dev, (other) => tsoMaxSize(core, other, depth + 1));
  // Linux: loopback_setup raises it to GSO_MAX_SIZE.
  if (ops === undefined && (dev.flags & IFF_LOOPBACK) !== 0) return TSO_MAX_SIZE;
  return TSO_LEGACY_MAX_SIZE;
}

/**
 * Linux: dev_get_flags — PROMISC and ALLMULTI as the user set them (gflags), not the
 * counters uppers hold (a bridge port is promiscuous without showing it).
 */
export function devGetFlags(dev: NetDevice): number {
  const shown = dev.displayFlags & ~(IFF_PROMISC | IFF_ALLMULTI);
  return shown | (dev.gflags & (IFF_PROMISC | IFF_ALLMULTI));
}

/** Linux: rtnl_fill_ifinfo, the attributes iproute2 reads. */
export function fillLink(core: RtnlCore, dev: NetDevice): LinkMsg {
  const kernel = core.kernel;
  const ops = core.kinds.of(dev);
  const iflink = dev.iflink;
  const linkNet = ops?.getLinkNet?.(dev);
  // Linux: rtnl_fill_link_netnsid → peernet2id_alloc, which allocates an id on first dump.
  const linkNetnsid =
    linkNet !== undefined && linkNet !== dev.netns ? dev.netns.nsidOf(linkNet) : undefined;
  // perm_addr is non-zero only where register_netdevice copied a NET_ADDR_PERM address.
  const permAddr =
    (ops === undefined ? dev.linkKind === null : ops.permAddr === true) &&
    !dev.permAddress.equals(MacAddr.ZERO)
      ? dev.permAddress
      : undefined;
  const q = queues.get(dev);
  const linkinfo = ops === undefined ? undefined : linkInfo(core, ops, dev);
  return {
    ifindex: dev.ifindex,
    type: dev.type,
    flags: devGetFlags(dev),
    ifname: dev.name,
    mtu: dev.mtu,
    minMtu: dev.minMtu,
    maxMtu: dev.maxMtu,
    txqlen: dev.txqlen,
    operstate: kernel.reportedOperstate(dev),
    linkmode: dev.linkMode,
    group: dev.group,
    qdisc: dev.qdisc,
    address: dev.address,
    broadcast: dev.broadcast,
    ...(permAddr === undefined ? {} : { permAddress: permAddr }),
    // nla_put_iflink: also when the index equals the device's own, if it names a device
    // of another namespace (a slave created straight into a namespace, a veth end).
    ...(iflink !== dev.ifindex || linkNetnsid !== undefined ? { link: iflink } : {}),
    ...(linkNetnsid === undefined ? {} : { linkNetnsid }),
    ...(dev.master === null ? {} : { master: dev.master.ifindex }),
    promiscuity: dev.promiscuity,
    allmulti: dev.allmulti,
    numTxQueues: q?.tx ?? 1,
    numRxQueues: q?.rx ?? 1,
    gsoMaxSize: TSO_LEGACY_MAX_SIZE,
    gsoMaxSegs: 65535,
    tsoMaxSize: tsoMaxSize(core, dev),
    tsoMaxSegs: 65535,
    groMaxSize: TSO_LEGACY_MAX_SIZE,
    carrier: dev.carrier ? 1 : 0,
    carrierChanges: dev.carrierUpCount + dev.carrierDownCount,
    ...(hasInet6(dev) ? { addrGenMode: dev.addrGenMode } : {}),
    stats64: { ...dev.getStats64() },
    ...(linkinfo === undefined ? {} : { linkinfo }),
  };
}

/** Linux: rtnl_link_fill — the kind's info plus, for a port, its master's slave info. */
function linkInfo(core: RtnlCore, ops: LinkKindOps, dev: NetDevice): LinkInfo {
  const info = ops.fillInfo(dev);
  const master = dev.master;
  if (master === null) return info;
  const slave = core.kinds.of(master)?.fillSlaveInfo?.(master, dev);
  return slave === undefined ? info : ({ ...info, slave } as LinkInfo);
}
