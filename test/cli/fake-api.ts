// A tiny in-memory RtnlApi for CLI tests: it stores what it is given, answers dumps
// from a fixed state, and records every request so parser tests can assert on them.

import { ErrnoError } from '../../src/base/errno.ts';
import type { RtnlApi } from '../../src/rtnl/api.ts';
import type {
  AddrMsg,
  LinkMsg,
  LinkStats64,
  NeighMsg,
  NetnsEntry,
  RouteMsg,
  RtnlContext,
} from '../../src/rtnl/messages.ts';
import { MacAddr } from '../../src/wire/address.ts';

export const ZERO_STATS: LinkStats64 = {
  rxPackets: 0,
  txPackets: 0,
  rxBytes: 0,
  txBytes: 0,
  rxErrors: 0,
  txErrors: 0,
  rxDropped: 0,
  txDropped: 0,
  multicast: 0,
  collisions: 0,
  rxLengthErrors: 0,
  rxOverErrors: 0,
  rxCrcErrors: 0,
  rxFrameErrors: 0,
  rxFifoErrors: 0,
  rxMissedErrors: 0,
  txAbortedErrors: 0,
  txCarrierErrors: 0,
  txFifoErrors: 0,
  txHeartbeatErrors: 0,
  txWindowErrors: 0,
  rxCompressed: 0,
  txCompressed: 0,
  rxNohandler: 0,
  rxOtherhostDropped: 0,
};

/** One namespace's state as the fake serves it. */
export interface FakeNs {
  links: LinkMsg[];
  addrs: AddrMsg[];
  routes: RouteMsg[];
  neighs: NeighMsg[];
  netns: NetnsEntry[];
}

export function emptyNs(): FakeNs {
  return { links: [], addrs: [], routes: [], neighs: [], netns: [] };
}

/** Every call as [method, ctx.netns, request]. */
export type Call = [string, string | undefined, unknown];

export class FakeRtnl implements RtnlApi {
  readonly spaces = new Map<string, FakeNs>([['', emptyNs()]]);
  readonly calls: Call[] = [];
  /** When set, every mutating request rejects with it. */
  refuse: ErrnoError | null = null;

  ns(ctx: RtnlContext): FakeNs {
    const s = this.spaces.get(ctx.netns ?? '');
    if (s === undefined) throw new ErrnoError('ENOENT');
    return s;
  }

  #mutate(name: string, ctx: RtnlContext, req: unknown): Promise<void> {
    this.calls.push([name, ctx.netns, req]);
    this.ns(ctx);
    return this.refuse === null ? Promise.resolve() : Promise.reject(this.refuse);
  }

  newLink = (ctx: RtnlContext, req: unknown): Promise<void> => this.#mutate('newLink', ctx, req);
  delLink = (ctx: RtnlContext, req: unknown): Promise<void> => this.#mutate('delLink', ctx, req);
  newAddr = (ctx: RtnlContext, req: unknown): Promise<void> => this.#mutate('newAddr', ctx, req);
  delAddr = (ctx: RtnlContext, req: unknown): Promise<void> => this.#mutate('delAddr', ctx, req);
  newRoute = (ctx: RtnlContext, req: unknown): Promise<void> => this.#mutate('newRoute', ctx, req);
  delRoute = (ctx: RtnlContext, req: unknown): Promise<void> => this.#mutate('delRoute', ctx, req);
  newNeigh = (ctx: RtnlContext, req: unknown): Promise<void> => this.#mutate('newNeigh', ctx, req);
  delNeigh = (ctx: RtnlContext, req: unknown): Promise<void> => this.#mutate('delNeigh', ctx, req);

  async getLink(ctx: RtnlContext, sel: { ifindex: number } | { ifname: string }): Promise<LinkMsg> {
    const l = this.ns(ctx).links.find((x) =>
      'ifindex' in sel ? x.ifindex === sel.ifindex : x.ifname === sel.ifname,
    );
    if (l === undefined) throw new ErrnoError('ENODEV');
    return l;
  }
  async dumpLinks(ctx: RtnlContext): Promise<readonly LinkMsg[]> {
    return this.ns(ctx).links;
  }
  async dumpAddrs(ctx: RtnlContext, req: { family: number }): Promise<readonly AddrMsg[]> {
    return this.ns(ctx).addrs.filter((a) => req.family === 0 || a.family === req.family);
  }
  async dumpRoutes(ctx: RtnlContext, req: { family: number }): Promise<readonly RouteMsg[]> {
    return this.ns(ctx).routes.filter((r) => r.family === req.family);
  }
  async getRoute(ctx: RtnlContext): Promise<RouteMsg> {
    const r = this.ns(ctx).routes[0];
    if (r === undefined) throw new ErrnoError('ENETUNREACH');
    return r;
  }
  async dumpNeighs(ctx: RtnlContext, req: { family: number }): Promise<readonly NeighMsg[]> {
    return this.ns(ctx).neighs.filter((n) => req.family === 0 || n.family === req.family);
  }
  async netnsAdd(name: string): Promise<void> {
    this.calls.push(['netnsAdd', undefined, name]);
    if (this.spaces.has(name)) throw new ErrnoError('EEXIST');
    this.spaces.set(name, emptyNs());
  }
  async netnsDel(name: string): Promise<void> {
    this.calls.push(['netnsDel', undefined, name]);
    if (!this.spaces.delete(name)) throw new ErrnoError('ENOENT');
  }
  async netnsList(ctx: RtnlContext): Promise<readonly NetnsEntry[]> {
    const own = this.ns(ctx).netns;
    return [...this.spaces.keys()]
      .filter((k) => k !== '')
      .reverse()
      .map((name) => own.find((e) => e.name === name) ?? { name });
  }
  async netnsIdentify(ctx: RtnlContext): Promise<readonly string[]> {
    return ctx.netns === undefined ? [] : [ctx.netns];
  }
  async netnsSetId(): Promise<void> {}
  async netnsExec(
    name: string,
    argv: readonly string[],
  ): Promise<{ stdout: string; stderr: string; status: number }> {
    return { stdout: `${name}: ${argv.join(' ')}\n`, stderr: '', status: 0 };
  }
}

/** The base of a Linux device dump; tests override what their recording shows. */
export function linkMsg(over: Partial<LinkMsg> & Pick<LinkMsg, 'ifindex' | 'ifname'>): LinkMsg {
  return {
    type: 1,
    flags: 0x1002,
    mtu: 1500,
    minMtu: 68,
    maxMtu: 65535,
    txqlen: 1000,
    operstate: 2,
    linkmode: 0,
    group: 0,
    qdisc: 'noop',
    address: MacAddr.parse('52:54:00:12:34:56') ?? MacAddr.ZERO,
    broadcast: MacAddr.BROADCAST,
    promiscuity: 0,
    allmulti: 0,
    numTxQueues: 1,
    numRxQueues: 1,
    gsoMaxSize: 65536,
    gsoMaxSegs: 65535,
    tsoMaxSize: 65536,
    tsoMaxSegs: 65535,
    groMaxSize: 65536,
    addrGenMode: 0,
    stats64: ZERO_STATS,
    ...over,
  };
}

/** Runs `ip ARGS` against the fake and returns what it printed. */
export async function ip(
  api: FakeRtnl,
  line: string,
  netns?: string,
): Promise<{ out: string; err: string; status: number }> {
  const { runIp } = await import('../../src/cli/ip.ts');
  let out = '';
  let err = '';
  const env = {
    api,
    stdout: (t: string) => (out += t),
    stderr: (t: string) => (err += t),
    ...(netns === undefined ? {} : { netns }),
  };
  const status = await runIp(
    env,
    line.split(' ').filter((w) => w !== ''),
  );
  return { out, err, status };
}
