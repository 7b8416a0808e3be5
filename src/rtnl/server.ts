// The RtnlApi over one emulated kernel: every request runs synchronously in the
// namespace its context names and answers at once. Link kinds come from a registry the
// composition root fills (the stack's own kinds are registered here; ipvlan registers
// itself with src/ipvlan/link-ops.ts).

import { ErrnoError } from '../base/errno.ts';
import type { Kernel } from '../stack/kernel.ts';
import type { NetNamespace } from '../stack/netns.ts';
import type { RtnlApi } from './api.ts';
import { delAddr, dumpAddrs, newAddr } from './addr.ts';
import { LinkKindRegistry } from './kinds.ts';
import { delLink, dumpLinks, getLink, newLink, type RtnlCore } from './link.ts';
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
  NetnsTarget,
  NewAddrRequest,
  NewLinkRequest,
  NewNeighRequest,
  NewRouteRequest,
  RouteMsg,
  RtnlContext,
} from './messages.ts';
import { delNeigh, dumpNeighs, newNeigh } from './neigh.ts';
import { contextNet, netnsList, netnsSetId, resolveNetnsTarget } from './netns.ts';
import { delRoute, dumpRoutes, getRoute, newRoute } from './route.ts';
import { registerStackKinds } from './stack-kinds.ts';

/** Runs `ip netns exec NAME ARGV...` commands; supplied by the composition root. */
export type ExecHandler = (netns: string, argv: readonly string[]) => Promise<ExecResult>;

/** Options of `createRtnl`. */
export interface RtnlOptions {
  /** Extra kind registrations (e.g. `registerIpvlanKind` from src/ipvlan/link-ops.ts). */
  readonly kinds?: readonly ((registry: LinkKindRegistry) => void)[];
  /** What `ip netns exec` runs; without one every command is "not found" (status 127). */
  readonly exec?: ExecHandler;
}

/** Runs `fn` as a request: its ErrnoError becomes the rejection, as a netlink error reply. */
function request<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

/** rtnetlink for one emulated kernel. */
export class Rtnl implements RtnlApi {
  readonly kernel: Kernel;
  readonly kinds = new LinkKindRegistry();
  /** What `ip netns exec` runs (settable after construction: runners usually need the API). */
  exec: ExecHandler | null;
  readonly #core: RtnlCore;

  constructor(kernel: Kernel, options: RtnlOptions = {}) {
    this.kernel = kernel;
    this.exec = options.exec ?? null;
    registerStackKinds(this.kinds);
    for (const register of options.kinds ?? []) register(this.kinds);
    this.#core = {
      kernel,
      kinds: this.kinds,
      resolveNetns: (target: NetnsTarget) => resolveNetnsTarget(kernel, target),
    };
  }

  #net(ctx: RtnlContext): NetNamespace {
    return contextNet(this.kernel, ctx.netns);
  }

  // ------------------------------------------------------------ link

  newLink(ctx: RtnlContext, req: NewLinkRequest): Promise<void> {
    return request(() => newLink(this.#core, this.#net(ctx), req));
  }

  delLink(ctx: RtnlContext, req: DelLinkRequest): Promise<void> {
    return request(() => delLink(this.#core, this.#net(ctx), req.ifindex));
  }

  getLink(ctx: RtnlContext, selector: LinkSelector): Promise<LinkMsg> {
    return request(() => getLink(this.#core, this.#net(ctx), selector));
  }

  dumpLinks(ctx: RtnlContext): Promise<readonly LinkMsg[]> {
    return request(() => dumpLinks(this.#core, this.#net(ctx)));
  }

  // ------------------------------------------------------------ addr

  newAddr(ctx: RtnlContext, req: NewAddrRequest): Promise<void> {
    return request(() => newAddr(this.#net(ctx), req));
  }

  delAddr(ctx: RtnlContext, req: DelAddrRequest): Promise<void> {
    return request(() => delAddr(this.#net(ctx), req));
  }

  dumpAddrs(ctx: RtnlContext, req: GetAddrRequest): Promise<readonly AddrMsg[]> {
    return request(() => dumpAddrs(this.#net(ctx), req));
  }

  // ------------------------------------------------------------ route, neigh

  newRoute(ctx: RtnlContext, req: NewRouteRequest): Promise<void> {
    return request(() => newRoute(this.#net(ctx), req));
  }

  delRoute(ctx: RtnlContext, req: DelRouteRequest): Promise<void> {
    return request(() => delRoute(this.#net(ctx), req));
  }

  dumpRoutes(ctx: RtnlContext, req: DumpRouteRequest): Promise<readonly RouteMsg[]> {
    return request(() => dumpRoutes(this.#net(ctx), req));
  }

  getRoute(ctx: RtnlContext, req: GetRouteRequest): Promise<RouteMsg> {
    return request(() => getRoute(this.#net(ctx), req));
  }

  newNeigh(ctx: RtnlContext, req: NewNeighRequest): Promise<void> {
    return request(() => newNeigh(this.#net(ctx), req));
  }

  delNeigh(ctx: RtnlContext, req: DelNeighRequest): Promise<void> {
    return request(() => delNeigh(this.#net(ctx), req));
  }

  dumpNeighs(ctx: RtnlContext, req: GetNeighRequest): Promise<readonly NeighMsg[]> {
    return request(() => dumpNeighs(this.#net(ctx), req));
  }

  // ------------------------------------------------------------ netns

  netnsAdd(name: string): Promise<void> {
    return request(() => {
      this.kernel.addNetns(name);
    });
  }

  netnsDel(name: string): Promise<void> {
    return request(() => this.kernel.deleteNetns(name));
  }

  netnsList(ctx: RtnlContext): Promise<readonly NetnsEntry[]> {
    return request(() => netnsList(this.kernel, this.#net(ctx)));
  }

  netnsIdentify(ctx: RtnlContext, pid?: number): Promise<readonly string[]> {
    return request(() => {
      // The emulator's only process is init (pid 1), in the initial namespace.
      if (pid !== undefined && pid !== 1) throw new ErrnoError('ESRCH');
      const net = pid === 1 ? this.kernel.initNet : this.#net(ctx);
      return net.isInit ? [] : [net.name];
    });
  }

  netnsListIds(ctx: RtnlContext): Promise<readonly number[]> {
    return request(() => this.#net(ctx).allocatedNsids());
  }

  netnsSetId(ctx: RtnlContext, name: string, nsid: number): Promise<void> {
    return request(() => netnsSetId(this.kernel, this.#net(ctx), name, nsid));
  }

  async netnsExec(name: string, argv: readonly string[]): Promise<ExecResult> {
    this.kernel.requireNetns(name);
    if (this.exec !== null) return this.exec(name, argv);
    // iproute2's text when execvp fails; 127 is the contract's "unknown command" status.
    return {
      stdout: '',
      stderr: `exec of "${argv[0] ?? ''}" failed: No such file or directory\n`,
      status: 127,
    };
  }
}

/** Builds the rtnl API for `kernel` with the stack's kinds and the given extra ones. */
export function createRtnl(kernel: Kernel, options: RtnlOptions = {}): Rtnl {
  return new Rtnl(kernel, options);
}
