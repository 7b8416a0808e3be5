// Why a frame died. Names follow Linux's include/net/dropreason-core.h
// (SKB_DROP_REASON_*) where one fits; driver-specific reasons carry their module's
// prefix (IPVLAN_*), as Linux subsystems do with their own reason lists.

/** A drop reason. Linux names where Linux has one; `IPVLAN_*` for the driver's own. */
export type DropReason =
  // core / L2
  | 'NOT_SPECIFIED'
  | 'PKT_TOO_SMALL'
  | 'PKT_TOO_BIG'
  | 'DEV_READY'
  | 'DEV_HDR'
  | 'NO_CARRIER'
  | 'UNHANDLED_PROTO'
  | 'OTHERHOST'
  | 'MAC_IS_MULTICAST'
  | 'FULL_RING'
  | 'VLAN_NOT_FOUND'
  | 'BRIDGE_NO_PORT'
  | 'BRIDGE_HAIRPIN'
  | 'TC_EGRESS'
  // IPv4 / IPv6
  | 'IP_CSUM'
  | 'IP_INHDR'
  | 'IP_RPFILTER'
  | 'IP_INVALID_SOURCE'
  | 'IP_LOCALNET'
  | 'IP_INADDRERRORS'
  | 'IP_INVALID_DEST'
  | 'IP_INNOROUTES'
  | 'IP_OUTNOROUTES'
  | 'IP_NOPROTO'
  | 'IPV6DISABLED'
  | 'IPV6_BAD_EXTHDR'
  | 'INVALID_PROTO'
  | 'IP_TUNNEL_ECN'
  | 'UNICAST_IN_L2_MULTICAST'
  | 'XFRM_POLICY'
  | 'NO_SOCKET'
  | 'SOCKET_RCVBUFF'
  | 'SOCKET_FILTER'
  | 'UDP_CSUM'
  | 'TCP_CSUM'
  | 'ICMP_CSUM'
  | 'IP_FRAGMENT'
  | 'IP_FORWARDING_DISABLED'
  | 'TTL_EXPIRED'
  | 'HOP_LIMIT_EXPIRED'
  | 'NEIGH_CREATEFAIL'
  | 'NEIGH_FAILED'
  | 'NEIGH_QUEUEFULL'
  | 'NEIGH_DEAD'
  | 'ARP_INVALID'
  | 'NDISC_INVALID'
  | 'IPV6_NDISC_FRAG'
  | 'IPV6_NDISC_HOP_LIMIT'
  | 'IPV6_NDISC_BAD_CODE'
  | 'IPV6_NDISC_BAD_OPTIONS'
  | 'IPV6_NDISC_NS_OTHERHOST'
  | 'NETFILTER_DROP'
  | 'CONNTRACK_INVALID'
  | 'QDISC_DROP'
  // ipvlan (drivers/net/ipvlan): named after the spec statements that decide them
  | 'IPVLAN_PRIVATE' // PRIVATE flag refused slave-to-slave traffic (TX-L2-1, TX-L3-2)
  | 'IPVLAN_L3_GROUP' // group destination MAC from a slave in l3/l3s (TX-L3-*)
  | 'IPVLAN_L3_NON_IP' // non-IP frame from a slave in l3/l3s
  | 'IPVLAN_NO_ROUTE' // no route in the master's namespace (TX-L3-*)
  | 'IPVLAN_BACKLOG_FULL' // multicast backlog at its 1000-frame limit (MC-*)
  | 'IPVLAN_PAUSE' // 802.3x PAUSE frames are never fanned out
  | 'IPVLAN_NO_PORT' // slave without a port (TX-C-1)
  | 'IPVLAN_TARGET_DOWN'; // local forward to a slave that is not up

/** One hop or decision in a frame's life, for `--trace`. */
export interface TraceEvent {
  /** Virtual time in nanoseconds. */
  readonly time: number;
  /** The namespace name and device, e.g. `ns0/ipvl0`. */
  readonly where: string;
  /** What happened: rx, tx, drop, deliver, forward, hook, decision… */
  readonly kind: string;
  /** A human sentence, citing the spec ID or RFC where a branch was decided. */
  readonly detail: string;
  /** Set on drops. */
  readonly reason?: DropReason;
  /** Trace id of the frame (one per original skb, kept across clones). */
  readonly skbId: number;
}
