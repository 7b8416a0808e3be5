// The ipvlan driver's shared state (Linux: drivers/net/ipvlan/ipvlan.h): the port that
// hangs off a master, the per-slave state, the address entries, and the constants.
// Spec: ../shared/spec/ipvlan-behavior.md, section 1 (OBJ-*) and Appendix A.

import { IPVLAN_F_PRIVATE, IPVLAN_F_VEPA, IPVLAN_MODE_L3 } from '../uapi/if.ts';
import type { IpAddr, MacAddr } from '../wire/address.ts';
import type { NetDevice } from '../stack/netdev.ts';
import type { NetNamespace } from '../stack/netns.ts';
import type { SkBuff } from '../stack/skb.ts';
import type { Timer } from '../stack/scheduler.ts';

/** IPVLAN_QBACKLOG_LIMIT: deferred group frames per port (MC-1). */
export const IPVLAN_QBACKLOG_LIMIT = 1000;
/** dev_ids are handed out from 1 up to, not including, this (OBJ-8). */
export const IPVLAN_DEV_ID_END = 0xfffe;
/** EtherType of 802.3x PAUSE frames, never fanned out (TX-L2-2, RX-L2-3). */
export const ETH_P_PAUSE = 0x8808;

/** The three modes as the API names them; numbers at the netlink boundary. */
export type IpvlanMode = 0 | 1 | 2;

/** An address owned by a slave (OBJ-5). The slave is the back pointer Linux calls `master`. */
export interface IpvlanAddr {
  readonly addr: IpAddr;
  /** Map key: a number for IPv4, 32 hex digits for IPv6, so the families never collide (OBJ-5). */
  readonly key: number | string;
  readonly owner: IpvlanDev;
  /** In the port table: true while the owner is running (ADDR-6). */
  hashed: boolean;
}

/** Per-slave counters (Linux: struct ipvl_pcpu_stats), summed into stats64 (ST-*). */
export interface IpvlanStats {
  rxPackets: number;
  rxBytes: number;
  rxMulticast: number;
  txPackets: number;
  txBytes: number;
  rxErrors: number;
  txDropped: number;
}

/** One slave (Linux: struct ipvl_dev, netdev_priv of an ipvlan device). */
export interface IpvlanDev {
  readonly dev: NetDevice;
  /** The real master (never another slave: nesting is flattened, LC-3). */
  readonly phyDev: NetDevice;
  readonly port: IpvlanPort;
  /** Every address configured on the slave, in the order added (OBJ-4). */
  readonly addrs: IpvlanAddr[];
  readonly stats: IpvlanStats;
  /**
   * Group MACs the slave admits (OBJ-7). Linux keeps a 256-bit hash filter; the spec
   * allows an exact set. `null` means all (PROMISC or ALLMULTI on the slave).
   */
  macFilter: Set<number> | null;
  /** Whether this slave currently holds one allmulti reference on the master (MAC-5). */
  allmultiOnMaster: boolean;
  /** Group MACs this slave has synced into the master's list (dev_mc_sync, MAC-5). */
  readonly syncedMc: Map<number, MacAddr>;
}

/** A frame waiting in the multicast backlog, with the origin Linux keeps in IPVL_SKB_CB. */
export interface BacklogEntry {
  readonly skb: SkBuff;
  /** TX-origin (sent by `sender`) or RX-origin (arrived on the master), MC-2. */
  readonly txOrigin: boolean;
  readonly sender: IpvlanDev | null;
}

/** The state all slaves of one master share (Linux: struct ipvl_port, OBJ-1). */
export interface IpvlanPort {
  readonly phyDev: NetDevice;
  /** The namespace the master lives in (port->pnet), tracked across master moves (NS-2). */
  pnet: NetNamespace;
  mode: IpvlanMode;
  /** IPVLAN_F_PRIVATE | IPVLAN_F_VEPA, 0 = bridge. */
  flags: number;
  /** Registered slaves (Linux: port->count); the port dies when it reaches 0 (OBJ-2). */
  count: number;
  /** Slaves in creation order (OBJ-1). */
  readonly slaves: IpvlanDev[];
  /** The address table: key → entry, only for running owners (OBJ-6). */
  readonly table: Map<number | string, IpvlanAddr>;
  /** dev_ids in use, and the round-robin cursor (OBJ-8). */
  readonly devIds: Set<number>;
  devIdStart: number;
  /** FIFO of deferred group frames and its read position (MC-1). */
  readonly backlog: BacklogEntry[];
  backlogHead: number;
  /** The scheduled worker run, if any (schedule_work). */
  worker: Timer | undefined;
  /** Set once the port is destroyed; a queued worker run then does nothing. */
  dead: boolean;
  /** Undoes the l3s registration while in L3S (L3S-1). */
  l3sUnregister: (() => void) | null;
}

/** Port flag helpers (ipvlan_is_private / ipvlan_is_vepa). */
export function isPrivate(port: IpvlanPort): boolean {
  return (port.flags & IPVLAN_F_PRIVATE) !== 0;
}
export function isVepa(port: IpvlanPort): boolean {
  return (port.flags & IPVLAN_F_VEPA) !== 0;
}

/** A fresh port: mode L3, bridge, dev_id cursor 1, empty table and backlog (OBJ-2). */
export function newPort(phyDev: NetDevice): IpvlanPort {
  return {
    phyDev,
    pnet: phyDev.netns,
    mode: IPVLAN_MODE_L3,
    flags: 0,
    count: 0,
    slaves: [],
    table: new Map(),
    devIds: new Set(),
    devIdStart: 1,
    backlog: [],
    backlogHead: 0,
    worker: undefined,
    dead: false,
    l3sUnregister: null,
  };
}

export function newStats(): IpvlanStats {
  return {
    rxPackets: 0,
    rxBytes: 0,
    rxMulticast: 0,
    txPackets: 0,
    txBytes: 0,
    rxErrors: 0,
    txDropped: 0,
  };
}
