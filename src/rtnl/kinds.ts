// The link-kind registry (Linux: struct rtnl_link_ops and rtnl_link_register): what
// rtnetlink needs to create, change, delete and dump one kind of device. Kinds outside
// the stack (ipvlan) register themselves; rtnl never imports them.

import { invariant } from '../base/assert.ts';
import type { Kernel } from '../stack/kernel.ts';
import type { NetDevice } from '../stack/netdev.ts';
import type { NetNamespace } from '../stack/netns.ts';
import type { LinkInfo, LinkInfoRequest, NewLinkRequest, SlaveInfo } from './messages.ts';

/** Linux: GSO_LEGACY_MAX_SIZE, the tso_max_size of a device that does not raise it. */
export const TSO_LEGACY_MAX_SIZE = 65536;
/** Linux: GSO_MAX_SIZE (512 KiB - 8), what loopback and veth advertise as tso_max_size. */
export const TSO_MAX_SIZE = 524280;

/** What a kind's `newLink` gets (Linux: the arguments of rtnl_link_ops->newlink). */
export interface NewLinkParams {
  readonly kernel: Kernel;
  /** The link namespace: the requester's, where IFLA_LINK and peer defaults resolve. */
  readonly srcNet: NetNamespace;
  /** Where the device is registered (IFLA_NET_NS_* or the requester's namespace). */
  readonly net: NetNamespace;
  /** IFLA_IFNAME, or the `KIND%d` template when none was sent. */
  readonly ifname: string;
  /** The whole request (tb[] in Linux): mtu, address, txqlen, ifindex, linkinfo. */
  readonly req: NewLinkRequest;
  /**
   * The IFLA_LINK device in `srcNet`, null when the request has none.
   * @throws {ErrnoError} ENODEV when the index names no device there.
   */
  lower(): NetDevice | null;
  /**
   * Resolves a namespace target the way rtnl_link_get_net() does (for veth's peer).
   * @throws {ErrnoError} ENOENT (no such name), ESRCH (no such pid).
   */
  resolveNetns(target: NewLinkRequest['netns']): NetNamespace;
}

/**
 * One link kind (Linux: struct rtnl_link_ops plus the ndo_add_slave/ndo_del_slave of
 * masters). Every method may throw ErrnoError to refuse; a refused `newLink` must leave
 * nothing registered.
 */
export interface LinkKindOps {
  /** IFLA_INFO_KIND, and the `%d` template prefix for unnamed devices. */
  readonly kind: string;
  /** min_mtu/max_mtu as the kind's setup leaves them: rtnl_create_link checks IFLA_MTU against them (max 0 = no limit). */
  readonly minMtu: number;
  readonly maxMtu: number;
  /** register_netdevice copies dev_addr to perm_addr (NET_ADDR_PERM): the kind sets its MAC with eth_hw_addr_set. */
  readonly permAddr?: boolean;
  /** tso_max_size reported for `dev` (default TSO_LEGACY_MAX_SIZE); `of` answers for another device. */
  tsoMaxSize?(dev: NetDevice, of: (other: NetDevice) => number): number;
  /** ops->validate: checks IFLA_INFO_DATA before anything else happens, create or change. */
  validate?(info: LinkInfoRequest): void;
  /** ops->newlink: creates and registers the device (administratively down). */
  newLink(params: NewLinkParams): NetDevice;
  /** ops->changelink: applies IFLA_INFO_DATA to an existing device of this kind. Absent: EOPNOTSUPP. */
  changeLink?(dev: NetDevice, info: LinkInfoRequest): void;
  /** ops->dellink: absent means the device's own `linkKind.dellink`. */
  delLink?(dev: NetDevice): void;
  /** ops->fill_info (+ kind): IFLA_LINKINFO of a dump, without slave info. */
  fillInfo(dev: NetDevice): LinkInfo;
  /** ops->get_link_net: the namespace IFLA_LINK refers to (LINK_NETNSID when it differs). */
  getLinkNet?(dev: NetDevice): NetNamespace;
  /** ndo_add_slave of a master of this kind (`ip link set DEV master THIS`). Absent: EOPNOTSUPP. */
  addSlave?(master: NetDevice, dev: NetDevice): void;
  /** ndo_del_slave (`nomaster`). Absent: EOPNOTSUPP. */
  delSlave?(master: NetDevice, dev: NetDevice): void;
  /** ops->fill_slave_info of a master of this kind, for a port's IFLA_INFO_SLAVE_*. */
  fillSlaveInfo?(master: NetDevice, dev: NetDevice): SlaveInfo | undefined;
}

/** The registered kinds of one rtnl instance (Linux: link_ops, a global list). */
export class LinkKindRegistry {
  readonly #kinds = new Map<string, LinkKindOps>();

  /** Linux: rtnl_link_register. Registering a kind twice is a bug. */
  register(ops: LinkKindOps): void {
    invariant(!this.#kinds.has(ops.kind), `link kind ${ops.kind} registered twice`);
    this.#kinds.set(ops.kind, ops);
  }

  /** Linux: rtnl_link_ops_get. */
  get(kind: string): LinkKindOps | undefined {
    return this.#kinds.get(kind);
  }

  /** The ops of the kind `dev` was created with (dev->rtnl_link_ops), if registered. */
  of(dev: NetDevice): LinkKindOps | undefined {
    const kind = dev.linkKind?.kind;
    return kind === undefined ? undefined : this.#kinds.get(kind);
  }

  /** Registered kind names, in registration order. */
  get kinds(): string[] {
    return [...this.#kinds.keys()];
  }
}
