// The rtnetlink messages as typed values: one field per ifinfomsg/ifaddrmsg/rtmsg/ndmsg
// member or IFLA_*/IFA_*/RTA_*/NDA_* attribute iproute2 sends or prints, camelCased,
// with the kernel's numeric encodings kept (flags bitmasks, enums as numbers) so a
// message maps 1:1 to the bytes of include/uapi/linux/{rtnetlink,if_link,if_addr,neighbour}.h.
// Optional fields are attributes that may be absent; absent means "not sent".

import type { IpAddr, MacAddr } from '../wire/address.ts';

// ---------------------------------------------------------------- common

/**
 * The namespace a request is made in: a name from `ip netns add` (what `ip -n NS` and
 * `ip netns exec NS` select), or undefined for the initial namespace.
 */
export interface RtnlContext {
  readonly netns?: string;
}

/** Where `ip link set ... netns X` moves a device: IFLA_NET_NS_FD (a name) or IFLA_NET_NS_PID. */
export type NetnsTarget = { readonly name: string } | { readonly pid: number };

/**
 * The nlmsghdr flags that change the meaning of a NEW request (NLM_F_CREATE,
 * NLM_F_EXCL, NLM_F_REPLACE, NLM_F_APPEND). iproute2 sends:
 * `add` = create+excl, `replace` = create+replace, `change` = replace,
 * `append` = create+append, `ip link set` = none.
 */
export interface NlmNewFlags {
  readonly create?: boolean;
  readonly excl?: boolean;
  readonly replace?: boolean;
  readonly append?: boolean;
}

// ---------------------------------------------------------------- link

/** IF_LINK_MODE_* (IFLA_LINKMODE). */
export const IF_LINK_MODE_DEFAULT = 0;
export const IF_LINK_MODE_DORMANT = 1;
export const IF_LINK_MODE_TESTING = 2;

/**
 * struct rtnl_link_stats64 (IFLA_STATS64), every counter iproute2 prints with
 * `-s` and `-s -s`. Counters are plain numbers: 2^53 packets is out of reach.
 */
export interface LinkStats64 {
  readonly rxPackets: number;
  readonly txPackets: number;
  readonly rxBytes: number;
  readonly txBytes: number;
  readonly rxErrors: number;
  readonly txErrors: number;
  readonly rxDropped: number;
  readonly txDropped: number;
  readonly multicast: number;
  readonly collisions: number;
  readonly rxLengthErrors: number;
  readonly rxOverErrors: number;
  readonly rxCrcErrors: number;
  readonly rxFrameErrors: number;
  readonly rxFifoErrors: number;
  readonly rxMissedErrors: number;
  readonly txAbortedErrors: number;
  readonly txCarrierErrors: number;
  readonly txFifoErrors: number;
  readonly txHeartbeatErrors: number;
  readonly txWindowErrors: number;
  readonly rxCompressed: number;
  readonly txCompressed: number;
  readonly rxNohandler: number;
  readonly rxOtherhostDropped: number;
}

/** IFLA_INFO_DATA of kind `ipvlan`/`ipvtap` in a dump: the port's mode and flags (spec NL-2). */
export interface IpvlanInfoData {
  /** IPVLAN_MODE_* (u16). */
  readonly mode: number;
  /** IPVLAN_F_* bitmask (u16); 0 is "bridge". */
  readonly flags: number;
}

/**
 * IFLA_INFO_DATA of kind `ipvlan`/`ipvtap` in a request. Each attribute is present
 * only when sent: iproute2 sends no data for `type ipvlan` alone, and FLAGS (0 when
 * no flag word was given) whenever any ipvlan option was given (spec CLI-3, CLI-4).
 */
export interface IpvlanInfoDataRequest {
  readonly mode?: number;
  readonly flags?: number;
}

/** IFLA_VLAN_* of kind `vlan`. */
export interface VlanInfoData {
  readonly id: number;
  /** ETH_P_8021Q or ETH_P_8021AD. */
  readonly protocol: number;
  /** VLAN_FLAG_* (ifla_vlan_flags.flags). */
  readonly flags: number;
}

export interface VlanInfoDataRequest {
  readonly id?: number;
  readonly protocol?: number;
  readonly flags?: { readonly flags: number; readonly mask: number };
}

export const VLAN_FLAG_REORDER_HDR = 0x1;
export const VLAN_FLAG_GVRP = 0x2;
export const VLAN_FLAG_LOOSE_BINDING = 0x4;
export const VLAN_FLAG_MVRP = 0x8;
export const VLAN_FLAG_BRIDGE_BINDING = 0x10;

/** IFLA_BR_* that `ip -d link` prints for a bridge (times in centiseconds, as the kernel reports clock_t). */
export interface BridgeInfoData {
  readonly forwardDelay: number;
  readonly helloTime: number;
  readonly maxAge: number;
  readonly ageingTime: number;
  readonly stpState: number;
  readonly priority: number;
  readonly vlanFiltering: number;
  readonly vlanProtocol: number;
  /** IFLA_BR_BRIDGE_ID / IFLA_BR_ROOT_ID: priority and MAC. */
  readonly bridgeId: { readonly priority: number; readonly addr: MacAddr };
  readonly rootId: { readonly priority: number; readonly addr: MacAddr };
  readonly rootPort: number;
  readonly rootPathCost: number;
  readonly topologyChange: number;
  readonly topologyChangeDetected: number;
  /** IFLA_BR_*_TIMER: time left, in centiseconds (clock_t). */
  readonly helloTimer: number;
  readonly tcnTimer: number;
  readonly topologyChangeTimer: number;
  readonly gcTimer: number;
  readonly vlanDefaultPvid: number;
  readonly vlanStatsEnabled: number;
  readonly vlanStatsPerPort: number;
  readonly groupFwdMask: number;
  readonly groupAddr: MacAddr;
  readonly mcastSnooping: number;
  /** IFLA_BR_MULTI_BOOLOPT: BR_BOOLOPT_NO_LL_LEARN and BR_BOOLOPT_MCAST_VLAN_SNOOPING. */
  readonly noLinklocalLearn: number;
  readonly mcastVlanSnooping: number;
  readonly mcastRouter: number;
  readonly mcastQueryUseIfaddr: number;
  readonly mcastQuerier: number;
  readonly mcastHashElasticity: number;
  readonly mcastHashMax: number;
  readonly mcastLastMemberCnt: number;
  readonly mcastStartupQueryCnt: number;
  /** IFLA_BR_MCAST_*_INTVL in centiseconds. */
  readonly mcastLastMemberIntvl: number;
  readonly mcastMembershipIntvl: number;
  readonly mcastQuerierIntvl: number;
  readonly mcastQueryIntvl: number;
  readonly mcastQueryResponseIntvl: number;
  readonly mcastStartupQueryIntvl: number;
  readonly mcastStatsEnabled: number;
  readonly mcastIgmpVersion: number;
  readonly mcastMldVersion: number;
  readonly nfCallIptables: number;
  readonly nfCallIp6tables: number;
  readonly nfCallArptables: number;
}

export interface BridgeInfoDataRequest {
  readonly forwardDelay?: number;
  readonly helloTime?: number;
  readonly maxAge?: number;
  readonly ageingTime?: number;
  readonly stpState?: number;
  readonly priority?: number;
  readonly vlanFiltering?: number;
}

/** IFLA_BRPORT_* of a bridge port (IFLA_INFO_SLAVE_DATA, slave kind `bridge`). */
export interface BridgePortData {
  /** BR_STATE_* (0 disabled, 1 listening, 2 learning, 3 forwarding, 4 blocking). */
  readonly state: number;
  readonly priority: number;
  readonly cost: number;
  readonly hairpin: boolean;
  readonly guard: boolean;
  readonly rootBlock: boolean;
  readonly fastLeave: boolean;
  readonly learning: boolean;
  readonly flood: boolean;
  /** IFLA_BRPORT_ID ((priority << 10) | port_no) and IFLA_BRPORT_NO. */
  readonly portId: number;
  readonly portNo: number;
  readonly designatedPort: number;
  readonly designatedCost: number;
  /** IFLA_BRPORT_BRIDGE_ID / IFLA_BRPORT_ROOT_ID: the designated bridge and root. */
  readonly designatedBridge: { readonly priority: number; readonly addr: MacAddr };
  readonly designatedRoot: { readonly priority: number; readonly addr: MacAddr };
  /** IFLA_BRPORT_*_TIMER in centiseconds. */
  readonly holdTimer: number;
  readonly messageAgeTimer: number;
  readonly forwardDelayTimer: number;
  readonly topologyChangeAck: number;
  readonly configPending: number;
  readonly proxyArp: boolean;
  readonly proxyArpWifi: boolean;
  readonly multicastRouter: number;
  readonly mcastFlood: boolean;
  readonly bcastFlood: boolean;
  readonly mcastToUnicast: boolean;
  readonly neighSuppress: boolean;
  readonly groupFwdMask: number;
  readonly vlanTunnel: boolean;
  readonly isolated: boolean;
  readonly locked: boolean;
}

/** The link kinds this project models; `kind` is IFLA_INFO_KIND. */
export type LinkKind = 'ipvlan' | 'ipvtap' | 'veth' | 'vlan' | 'bridge' | 'dummy';

/** IFLA_LINKINFO in a dump. */
export type LinkInfo =
  | {
      readonly kind: 'ipvlan' | 'ipvtap';
      readonly data: IpvlanInfoData;
      readonly slave?: SlaveInfo;
    }
  | { readonly kind: 'veth'; readonly slave?: SlaveInfo }
  | { readonly kind: 'vlan'; readonly data: VlanInfoData; readonly slave?: SlaveInfo }
  | { readonly kind: 'bridge'; readonly data: BridgeInfoData; readonly slave?: SlaveInfo }
  | { readonly kind: 'dummy'; readonly slave?: SlaveInfo };

/** IFLA_INFO_SLAVE_KIND + IFLA_INFO_SLAVE_DATA: the device is a port of a master. */
export type SlaveInfo = { readonly kind: 'bridge'; readonly data: BridgePortData };

/** IFLA_LINKINFO in a request. A device without linkinfo is a plain (kind-less) device. */
export type LinkInfoRequest =
  | { readonly kind: 'ipvlan' | 'ipvtap'; readonly data?: IpvlanInfoDataRequest }
  | { readonly kind: 'veth'; readonly data?: { readonly peer?: VethPeerRequest } }
  | { readonly kind: 'vlan'; readonly data?: VlanInfoDataRequest }
  | { readonly kind: 'bridge'; readonly data?: BridgeInfoDataRequest }
  | { readonly kind: 'dummy' };

/** VETH_INFO_PEER: a nested ifinfomsg with its own attributes (`peer name X ...`). */
export interface VethPeerRequest {
  readonly ifname?: string;
  readonly address?: MacAddr;
  readonly mtu?: number;
  readonly txqlen?: number;
  readonly netns?: NetnsTarget;
  readonly flags?: { readonly flags: number; readonly change: number };
  readonly numTxQueues?: number;
  readonly numRxQueues?: number;
}

/**
 * One RTM_NEWLINK as the kernel dumps it (`ip link show`): ifinfomsg + IFLA_*.
 * Fields the kernel always sends are required; the rest are absent when not sent.
 */
export interface LinkMsg {
  /** ifi_index. */
  readonly ifindex: number;
  /** ifi_type: ARPHRD_*. */
  readonly type: number;
  /** ifi_flags: IFF_* including the read-only IFF_LOWER_UP/IFF_DORMANT/IFF_RUNNING. */
  readonly flags: number;
  readonly ifname: string;
  readonly mtu: number;
  readonly minMtu: number;
  readonly maxMtu: number;
  readonly txqlen: number;
  /** IF_OPER_* (RFC 2863). */
  readonly operstate: number;
  /** IF_LINK_MODE_*. */
  readonly linkmode: number;
  readonly group: number;
  /** IFLA_QDISC: `noop` while down and never up, `noqueue`, `pfifo_fast`, ... */
  readonly qdisc?: string;
  readonly address?: MacAddr;
  readonly broadcast?: MacAddr;
  readonly permAddress?: MacAddr;
  /** IFLA_LINK: the lower device's ifindex (in `linkNetnsid`'s namespace when that is set). */
  readonly link?: number;
  /** IFLA_LINK_NETNSID: the nsid, as seen from this namespace, of the lower device's namespace. */
  readonly linkNetnsid?: number;
  /** IFLA_MASTER: the upper (bridge) device's ifindex. */
  readonly master?: number;
  readonly promiscuity: number;
  readonly allmulti: number;
  readonly numTxQueues: number;
  readonly numRxQueues: number;
  readonly gsoMaxSize: number;
  readonly gsoMaxSegs: number;
  readonly tsoMaxSize: number;
  readonly tsoMaxSegs: number;
  readonly groMaxSize: number;
  readonly carrier?: number;
  readonly carrierChanges?: number;
  /** IFLA_AF_SPEC/AF_INET6/IFLA_INET6_ADDR_GEN_MODE (IN6_ADDR_GEN_MODE_*); absent without IPv6 on the device. */
  readonly addrGenMode?: number;
  readonly stats64: LinkStats64;
  readonly linkinfo?: LinkInfo;
}

/** Identifies one device in a request: ifi_index, else IFLA_IFNAME. */
export type LinkSelector = { readonly ifindex: number } | { readonly ifname: string };

/**
 * RTM_NEWLINK as a request: create (`ip link add`, with `nlm.create`+`nlm.excl`) or change
 * (`ip link set`, no NLM flags, `ifindex` set). `flags`/`change` are ifi_flags/ifi_change:
 * only bits set in `change` are written (`up` = IFF_UP in both, `down` = IFF_UP in change only).
 */
export interface NewLinkRequest {
  readonly nlm: NlmNewFlags;
  /** ifi_index: the device to change; 0 or absent on create (the kernel picks one). */
  readonly ifindex?: number;
  /** IFLA_IFNAME: the name on create; the new name on change. */
  readonly ifname?: string;
  readonly flags?: number;
  readonly change?: number;
  readonly mtu?: number;
  readonly txqlen?: number;
  readonly address?: MacAddr;
  readonly broadcast?: MacAddr;
  /** IFLA_LINK: lower device ifindex (`link DEV`). */
  readonly link?: number;
  /** IFLA_MASTER: 0 means `nomaster`. */
  readonly master?: number;
  readonly netns?: NetnsTarget;
  readonly group?: number;
  readonly numTxQueues?: number;
  readonly numRxQueues?: number;
  readonly addrGenMode?: number;
  readonly linkinfo?: LinkInfoRequest;
}

/** RTM_DELLINK. iproute2 resolves a name to `ifindex` first and reports `Cannot find device`. */
export interface DelLinkRequest {
  readonly ifindex: number;
}

/** RTM_GETLINK dump filter (what `ip link show [dev X] [type K] [master M] [up]` sends/filters). */
export interface GetLinkRequest {
  readonly selector?: LinkSelector;
}

// ---------------------------------------------------------------- addr

/** IFA_F_* (include/uapi/linux/if_addr.h). */
export const IFA_F_SECONDARY = 0x01;
export const IFA_F_NODAD = 0x02;
export const IFA_F_OPTIMISTIC = 0x04;
export const IFA_F_DADFAILED = 0x08;
export const IFA_F_HOMEADDRESS = 0x10;
export const IFA_F_DEPRECATED = 0x20;
export const IFA_F_TENTATIVE = 0x40;
export const IFA_F_PERMANENT = 0x80;
export const IFA_F_MANAGETEMPADDR = 0x100;
export const IFA_F_NOPREFIXROUTE = 0x200;
export const IFA_F_MCAUTOJOIN = 0x400;
export const IFA_F_STABLE_PRIVACY = 0x800;

/** The "forever" lifetime (INFINITY_LIFE_TIME). */
export const INFINITY_LIFE_TIME = 0xffffffff;

/** IFA_CACHEINFO (struct ifa_cacheinfo); lifetimes in seconds, times in centiseconds. */
export interface AddrCacheInfo {
  readonly preferred: number;
  readonly valid: number;
  readonly cstamp: number;
  readonly tstamp: number;
}

/**
 * One RTM_NEWADDR (ifaddrmsg + IFA_*). For IPv4 `local` is the interface address and
 * `address` equals it unless point-to-point; IPv6 sends only `address`.
 */
export interface AddrMsg {
  /** AF_INET or AF_INET6. */
  readonly family: number;
  readonly prefixlen: number;
  /** IFA_FLAGS (u32, includes the u8 ifa_flags). */
  readonly flags: number;
  /** RT_SCOPE_*. */
  readonly scope: number;
  readonly ifindex: number;
  readonly address?: IpAddr;
  readonly local?: IpAddr;
  readonly broadcast?: IpAddr;
  readonly label?: string;
  readonly cacheinfo?: AddrCacheInfo;
  readonly protocol?: number;
}

/** RTM_NEWADDR as a request (`ip addr add|replace|change`). */
export interface NewAddrRequest {
  readonly nlm: NlmNewFlags;
  readonly family: number;
  readonly prefixlen: number;
  readonly flags: number;
  readonly scope: number;
  readonly ifindex: number;
  readonly local?: IpAddr;
  readonly address?: IpAddr;
  readonly broadcast?: IpAddr;
  readonly label?: string;
  /** IFA_CACHEINFO: only `valid_lft`/`preferred_lft` are meaningful in a request. */
  readonly cacheinfo?: { readonly valid: number; readonly preferred: number };
}

/** RTM_DELADDR: the kernel deletes the first address that matches every field given. */
export interface DelAddrRequest {
  readonly family: number;
  readonly prefixlen: number;
  readonly ifindex: number;
  readonly local?: IpAddr;
  readonly address?: IpAddr;
  readonly label?: string;
}

/** RTM_GETADDR dump; `family` AF_UNSPEC (0) for both. */
export interface GetAddrRequest {
  readonly family: number;
  readonly ifindex?: number;
}

// ---------------------------------------------------------------- route

/** RTM_F_* and RTNH_F_* route flags iproute2 prints. */
export const RTNH_F_DEAD = 0x01;
export const RTNH_F_PERVASIVE = 0x02;
export const RTNH_F_ONLINK = 0x04;
export const RTNH_F_OFFLOAD = 0x08;
export const RTNH_F_LINKDOWN = 0x10;
export const RTNH_F_UNRESOLVED = 0x20;
export const RTM_F_NOTIFY = 0x100;
export const RTM_F_CLONED = 0x200;
export const RTM_F_LOOKUP_TABLE = 0x1000;
export const RTM_F_FIB_MATCH = 0x2000;

/** RTA_CACHEINFO of a `route get` reply, the parts iproute2 prints. */
export interface RouteCacheInfo {
  readonly expires: number;
  readonly error: number;
  readonly used: number;
}

/** One RTM_NEWROUTE (rtmsg + RTA_*). */
export interface RouteMsg {
  readonly family: number;
  readonly dstLen: number;
  readonly srcLen: number;
  readonly tos: number;
  /** RTA_TABLE (the full u32; rtm_table is its low byte). */
  readonly table: number;
  /** RTPROT_*. */
  readonly protocol: number;
  /** RT_SCOPE_*. */
  readonly scope: number;
  /** RTN_*. */
  readonly type: number;
  /** rtm_flags: RTNH_F_* | RTM_F_*. */
  readonly flags: number;
  readonly dst?: IpAddr;
  readonly src?: IpAddr;
  readonly gateway?: IpAddr;
  readonly oif?: number;
  readonly iif?: number;
  readonly prefsrc?: IpAddr;
  /** RTA_PRIORITY (`metric`). */
  readonly priority?: number;
  /** RTAX_MTU etc. from RTA_METRICS, only those iproute2 prints. */
  readonly metrics?: { readonly mtu?: number; readonly hoplimit?: number };
  readonly pref?: number;
  readonly cacheinfo?: RouteCacheInfo;
  /** RTA_UID of a `route get` reply. */
  readonly uid?: number;
}

/** RTM_NEWROUTE as a request (`ip route add|replace|change|append`). */
export interface NewRouteRequest {
  readonly nlm: NlmNewFlags;
  readonly family: number;
  readonly dstLen: number;
  readonly table: number;
  readonly protocol: number;
  readonly scope: number;
  readonly type: number;
  readonly flags: number;
  readonly dst?: IpAddr;
  readonly gateway?: IpAddr;
  readonly oif?: number;
  readonly prefsrc?: IpAddr;
  readonly priority?: number;
  readonly metrics?: { readonly mtu?: number; readonly hoplimit?: number };
}

/**
 * RTM_DELROUTE: the kernel deletes the first route matching every field given
 * (iproute2 sends scope RT_SCOPE_NOWHERE and protocol/type 0 as wildcards unless set).
 */
export interface DelRouteRequest {
  readonly family: number;
  readonly dstLen: number;
  readonly table: number;
  readonly protocol: number;
  readonly scope: number;
  readonly type: number;
  readonly dst?: IpAddr;
  readonly gateway?: IpAddr;
  readonly oif?: number;
  readonly prefsrc?: IpAddr;
  readonly priority?: number;
}

/** RTM_GETROUTE dump (`ip route show`): filtered by iproute2 on the replies. */
export interface DumpRouteRequest {
  readonly family: number;
}

/** RTM_GETROUTE for one destination (`ip route get ADDR [from S] [oif DEV] [iif DEV]`). */
export interface GetRouteRequest {
  readonly family: number;
  readonly dst: IpAddr;
  readonly src?: IpAddr;
  readonly oif?: number;
  readonly iif?: number;
  /** RTM_F_FIB_MATCH: return the matching FIB entry instead of the resolved route. */
  readonly fibMatch?: boolean;
}

// ---------------------------------------------------------------- neigh

/** NTF_* (ndm_flags). */
export const NTF_USE = 0x01;
export const NTF_SELF = 0x02;
export const NTF_MASTER = 0x04;
export const NTF_PROXY = 0x08;
export const NTF_EXT_LEARNED = 0x10;
export const NTF_OFFLOADED = 0x20;
export const NTF_STICKY = 0x40;
export const NTF_ROUTER = 0x80;

/** NDA_CACHEINFO (struct nda_cacheinfo), ages in clock ticks (centiseconds). */
export interface NeighCacheInfo {
  readonly confirmed: number;
  readonly used: number;
  readonly updated: number;
  readonly refcnt: number;
}

/** One RTM_NEWNEIGH (ndmsg + NDA_*). */
export interface NeighMsg {
  readonly family: number;
  readonly ifindex: number;
  /** NUD_*. */
  readonly state: number;
  /** NTF_*. */
  readonly flags: number;
  /** RTN_* (ndm_type). */
  readonly type: number;
  readonly dst: IpAddr;
  readonly lladdr?: MacAddr;
  readonly probes?: number;
  readonly cacheinfo?: NeighCacheInfo;
  readonly protocol?: number;
}

/** RTM_NEWNEIGH as a request (`ip neigh add|replace|change`). */
export interface NewNeighRequest {
  readonly nlm: NlmNewFlags;
  readonly family: number;
  readonly ifindex: number;
  /** NUD_*; iproute2 defaults to NUD_PERMANENT. */
  readonly state: number;
  /** NTF_* (`proxy` = NTF_PROXY, `router` = NTF_ROUTER). */
  readonly flags: number;
  readonly dst: IpAddr;
  readonly lladdr?: MacAddr;
}

/** RTM_DELNEIGH. */
export interface DelNeighRequest {
  readonly family: number;
  readonly ifindex: number;
  readonly flags: number;
  readonly dst: IpAddr;
}

/** RTM_GETNEIGH dump; `proxy` dumps the proxy table (NTF_PROXY). */
export interface GetNeighRequest {
  readonly family: number;
  readonly ifindex?: number;
  readonly proxy?: boolean;
}

// ---------------------------------------------------------------- netns

/** One named namespace as `ip netns list` shows it; `nsid` is the id assigned in the caller's namespace. */
export interface NetnsEntry {
  readonly name: string;
  readonly nsid?: number;
}

// ---------------------------------------------------------------- exec

/** What a command run in a namespace printed and returned (`ip netns exec NS CMD`). */
export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly status: number;
}
