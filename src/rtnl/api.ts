// The control API the `ip` front end talks to: one method per rtnetlink request iproute2
// sends (plus the netns bookkeeping iproute2 does in /run/netns), so the CLI reads the
// same over the emulator (answers at once) and the Linux daemon (answers over a socket).

import type {
  AddrMsg,
  DelAddrRequest,
  DelLinkRequest,
  DelNeighRequest,
  DelRouteRequest,
  DumpRouteRequest,
  ExecResult,
  GetAddrRequest,
  GetNeighRequest,
  GetRouteRequest,
  LinkMsg,
  LinkSelector,
  NeighMsg,
  NetnsEntry,
  NewAddrRequest,
  NewLinkRequest,
  NewNeighRequest,
  NewRouteRequest,
  RouteMsg,
  RtnlContext,
} from './messages.ts';

export type * from './messages.ts';

/**
 * rtnetlink as typed requests and replies. Every method runs in the namespace named by
 * `ctx.netns` (the initial namespace when absent), as a netlink socket opened there would.
 *
 * Refusals reject with an `ErrnoError` (src/base/errno.ts) carrying the errno the kernel
 * returns and, when Linux sends one, the extack text; a context naming a namespace that
 * does not exist rejects with ENOENT. A rejected request changes nothing.
 * Replies are snapshots: callers may keep them, implementations must not mutate them.
 */
export interface RtnlApi {
  // ------------------------------------------------------------ link

  /**
   * RTM_NEWLINK: create (`nlm.create`, with `nlm.excl` for `ip link add`) or change an
   * existing device (`ifindex` set, no `create`).
   * @throws {ErrnoError} EEXIST (name taken with excl), ENODEV (no such ifindex on change),
   *   EINVAL, EOPNOTSUPP (linkinfo kind differs from the device's on change), EBUSY, ...
   */
  newLink(ctx: RtnlContext, req: NewLinkRequest): Promise<void>;

  /** RTM_DELLINK. @throws {ErrnoError} ENODEV, EOPNOTSUPP (e.g. `lo`). */
  delLink(ctx: RtnlContext, req: DelLinkRequest): Promise<void>;

  /** RTM_GETLINK for one device (by index or IFLA_IFNAME). @throws {ErrnoError} ENODEV. */
  getLink(ctx: RtnlContext, selector: LinkSelector): Promise<LinkMsg>;

  /** RTM_GETLINK dump (NLM_F_DUMP): every device of the namespace in ifindex order. */
  dumpLinks(ctx: RtnlContext): Promise<readonly LinkMsg[]>;

  // ------------------------------------------------------------ addr

  /** RTM_NEWADDR. @throws {ErrnoError} EEXIST, ENODEV, EADDRINUSE/extack from validators, EINVAL. */
  newAddr(ctx: RtnlContext, req: NewAddrRequest): Promise<void>;

  /** RTM_DELADDR. @throws {ErrnoError} EADDRNOTAVAIL when nothing matches, ENODEV. */
  delAddr(ctx: RtnlContext, req: DelAddrRequest): Promise<void>;

  /** RTM_GETADDR dump, in the kernel's order (per device by ifindex; IPv4 before IPv6 for AF_UNSPEC). */
  dumpAddrs(ctx: RtnlContext, req: GetAddrRequest): Promise<readonly AddrMsg[]>;

  // ------------------------------------------------------------ route

  /** RTM_NEWROUTE. @throws {ErrnoError} EEXIST, ENETUNREACH (gateway not reachable), ENODEV, EINVAL. */
  newRoute(ctx: RtnlContext, req: NewRouteRequest): Promise<void>;

  /** RTM_DELROUTE. @throws {ErrnoError} ESRCH when nothing matches. */
  delRoute(ctx: RtnlContext, req: DelRouteRequest): Promise<void>;

  /** RTM_GETROUTE dump: every table's routes (the CLI filters by table, as iproute2 does). */
  dumpRoutes(ctx: RtnlContext, req: DumpRouteRequest): Promise<readonly RouteMsg[]>;

  /** RTM_GETROUTE for one destination (`ip route get`). @throws {ErrnoError} ENETUNREACH, EHOSTUNREACH, ... */
  getRoute(ctx: RtnlContext, req: GetRouteRequest): Promise<RouteMsg>;

  // ------------------------------------------------------------ neigh

  /** RTM_NEWNEIGH. @throws {ErrnoError} EEXIST (add over an existing entry), ENODEV, EINVAL. */
  newNeigh(ctx: RtnlContext, req: NewNeighRequest): Promise<void>;

  /** RTM_DELNEIGH. @throws {ErrnoError} ENOENT when there is no such entry. */
  delNeigh(ctx: RtnlContext, req: DelNeighRequest): Promise<void>;

  /** RTM_GETNEIGH dump. */
  dumpNeighs(ctx: RtnlContext, req: GetNeighRequest): Promise<readonly NeighMsg[]>;

  // ------------------------------------------------------------ netns

  /**
   * `ip netns add NAME`: a new namespace with only `lo` (down).
   * @throws {ErrnoError} EEXIST (iproute2 prints `Cannot create namespace file "/run/netns/NAME": File exists`).
   */
  netnsAdd(name: string): Promise<void>;

  /** `ip netns del NAME`: devices move back or die as on Linux. @throws {ErrnoError} ENOENT. */
  netnsDel(name: string): Promise<void>;

  /** `ip netns list`: named namespaces, newest first (readdir order of /run/netns), with the nsid each has in `ctx`'s namespace. */
  netnsList(ctx: RtnlContext): Promise<readonly NetnsEntry[]>;

  /** `ip netns identify [PID]`: the names of the namespace `ctx` (or process PID) is in; empty for the unnamed initial namespace. */
  netnsIdentify(ctx: RtnlContext, pid?: number): Promise<readonly string[]>;

  /** RTM_NEWNSID (`ip netns set NAME NSID`): assign the nsid `ctx`'s namespace uses for NAME (-1 = auto). */
  netnsSetId(ctx: RtnlContext, name: string, nsid: number): Promise<void>;

  /**
   * RTM_GETNSID dump (`ip netns list-id`): every nsid `ctx`'s namespace has allocated,
   * ascending, named or not. Optional: a backend without it makes the command fail with
   * EOPNOTSUPP.
   */
  netnsListIds?(ctx: RtnlContext): Promise<readonly number[]>;

  /**
   * `ip netns exec NAME ARGV...`: run a command with NAME as its namespace. In the emulator
   * this runs the world's own commands (the composition root supplies them); the status is
   * the command's exit status (127 for an unknown command).
   * @throws {ErrnoError} ENOENT when NAME does not exist.
   */
  netnsExec(name: string, argv: readonly string[]): Promise<ExecResult>;
}
