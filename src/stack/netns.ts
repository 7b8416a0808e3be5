// One network namespace (Linux: struct net): its devices by name and ifindex, its
// sysctls, its drop counters, and per-protocol state slots that the stack's
// protocols fill through pernet ops.

import { ErrnoError } from '../base/errno.ts';
import type { Kernel } from './kernel.ts';
import type { DropReason } from './drop.ts';
import type { NetDevice } from './netdev.ts';

export class NetNamespace {
  /** `ip netns` name; the initial namespace is named after its host. */
  readonly name: string;
  readonly kernel: Kernel;
  readonly isInit: boolean;
  readonly #byName = new Map<string, NetDevice>();
  readonly #byIndex = new Map<number, NetDevice>();
  /** Last ifindex handed out (Linux: net->ifindex); new ones search upward from it. */
  #ifindexCursor = 0;
  /** Peer namespace ids (Linux: net->netns_ids), allocated on first use. */
  readonly #nsids = new Map<NetNamespace, number>();
  /** sysctl values by dotted name (net.ipv4.ip_forward …), as strings like /proc/sys. */
  readonly sysctl = new Map<string, string>();
  /** Frames dropped in this namespace, by reason (what `--trace` and tests read). */
  readonly drops = new Map<DropReason, number>();
  /** Per-protocol state (fib, neighbour tables, sockets, netfilter…), keyed by protocol. */
  readonly proto = new Map<string, unknown>();
  /** Set once deletion starts; no new devices may enter. */
  dying = false;

  constructor(kernel: Kernel, name: string, isInit: boolean) {
    this.kernel = kernel;
    this.name = name;
    this.isInit = isInit;
  }

  /** Devices in ifindex order (the order `ip link` dumps them). */
  get devices(): NetDevice[] {
    return [...this.#byIndex.values()].sort((a, b) => a.ifindex - b.ifindex);
  }

  getByName(name: string): NetDevice | undefined {
    return this.#byName.get(name);
  }

  getByIndex(ifindex: number): NetDevice | undefined {
    return this.#byIndex.get(ifindex);
  }

  /** The device or ENODEV (Linux: __dev_get_by_name, with iproute2's error). */
  requireByName(name: string): NetDevice {
    const dev = this.#byName.get(name);
    if (dev === undefined) throw new ErrnoError('ENODEV');
    return dev;
  }

  /** Picks an ifindex: `wanted` if free, else the next free one after the cursor (dev_new_index). */
  allocIfindex(wanted?: number): number {
    if (wanted !== undefined && wanted > 0 && !this.#byIndex.has(wanted)) return wanted;
    for (;;) {
      this.#ifindexCursor++;
      if (this.#ifindexCursor <= 0 || this.#ifindexCursor > 0x7fffffff) this.#ifindexCursor = 1;
      if (!this.#byIndex.has(this.#ifindexCursor)) return this.#ifindexCursor;
    }
  }

  /** Internal to the kernel: links a registered device into the tables. */
  attach(dev: NetDevice): void {
    this.#byName.set(dev.name, dev);
    this.#byIndex.set(dev.ifindex, dev);
    dev.netns = this;
  }

  /** Internal to the kernel: unlinks a device from the tables. */
  detach(dev: NetDevice): void {
    if (this.#byName.get(dev.name) === dev) this.#byName.delete(dev.name);
    if (this.#byIndex.get(dev.ifindex) === dev) this.#byIndex.delete(dev.ifindex);
  }

  /** Internal to the kernel: re-keys a renamed device. */
  rename(dev: NetDevice, newName: string): void {
    this.#byName.delete(dev.name);
    dev.name = newName;
    this.#byName.set(newName, dev);
  }

  /**
   * The id under which this namespace knows `peer` (Linux: peernet2id_alloc), allocated
   * on first use from 0 upward. The initial namespace seen from a child gets 0 first,
   * as `link-netnsid 0` in the recordings shows.
   */
  nsidOf(peer: NetNamespace): number {
    const known = this.#nsids.get(peer);
    if (known !== undefined) return known;
    const used = new Set(this.#nsids.values());
    let id = 0;
    while (used.has(id)) id++;
    this.#nsids.set(peer, id);
    return id;
  }

  /** The id of `peer` if already allocated, else -1 (Linux: peernet2id). */
  peekNsid(peer: NetNamespace): number {
    return this.#nsids.get(peer) ?? -1;
  }

  /** Every allocated id, ascending (the idr walk of rtnl_net_dumpid). */
  allocatedNsids(): number[] {
    return [...this.#nsids.values()].sort((a, b) => a - b);
  }

  /** Forgets a deleted peer namespace. */
  forgetPeer(peer: NetNamespace): void {
    this.#nsids.delete(peer);
  }

  /** Counts a drop under `reason`. */
  countDrop(reason: DropReason): void {
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1);
  }

  /** Reads a sysctl as a number (0 when unset). */
  sysctlNumber(name: string): number {
    return Number(this.sysctl.get(name) ?? '0');
  }
}
