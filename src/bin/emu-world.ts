// The emulated machine `ipvlan run` and `ipvlan shell` start from.
//
// Default (the seed HOWTO's setting): host `host1`, whose initial namespace has `lo`
// (up, 127.0.0.1/8, ::1) and `eth0` (52:54:00:12:34:56, up, 192.168.50.2/24, default
// route via 192.168.50.1), cabled by the wire `lan` to host `router`, whose eth0
// (52:54:00:ab:cd:ef) has 192.168.50.1/24 and answers ARP, ND and ping.
//
// `--bare`: host1 with only `lo` (up), like the oracle's fresh VM, so a script recorded
// there prints the same interface numbers.
//
// `--switch-hairpin` (or the `emu upstream` pseudo-command in a script): host1's eth0
// and the router are cabled to a learning switch `sw0` instead of the wire, with
// reflective relay (hairpin, IEEE 802.1Qbg) on host1's port, as a VEPA needs.
//
// Both hosts run the IP stack; host1 has the ipvlan module loaded and the ipvlan link
// kind registered with its rtnl.

import type { RtnlApi } from '../rtnl/api.ts';
import { createRtnl } from '../rtnl/server.ts';
import type { SystemApi } from '../rtnl/system.ts';
import { runIp } from '../cli/ip.ts';
import { World, type Host } from '../emu/world.ts';
import { registerIpvlanKind } from '../ipvlan/link-ops.ts';
import { ipvlanModuleInit } from '../ipvlan/main.ts';
import { installInetStack } from '../stack/stack.ts';
import { MacAddr } from '../wire/address.ts';
import type { Tool } from '../cli/command.ts';
import { conntrackTool } from '../cli/nft.ts';
import type { ExternalSwitch } from '../emu/switch.ts';
import type { Wire } from '../emu/wire.ts';
import type { NetDevice } from '../stack/netdev.ts';
import { emuConntrack, emuSystem } from './emu-system.ts';

export const HOST_NAME = 'host1';
export const HOST_MAC = '52:54:00:12:34:56';
export const HOST_ADDR = '192.168.50.2/24';
export const ROUTER_MAC = '52:54:00:ab:cd:ef';
export const ROUTER_ADDR = '192.168.50.1';

export interface EmuSession {
  readonly world: World;
  readonly host: Host;
  readonly router: Host | undefined;
  /** rtnetlink of host1. */
  readonly api: RtnlApi;
  /** The system API of host1. */
  readonly sys: SystemApi;
  /** rtnetlink of the router (none with --bare). */
  readonly routerApi: RtnlApi | undefined;
  /** How host1 reaches the router now (`wire lan (a plain cable)`, ...); undefined with --bare. */
  readonly upstreamLabel: () => string | undefined;
  /** Tools beyond the shell's own: `conntrack`, and `emu` (the world's knobs). */
  readonly tools: ReadonlyMap<string, Tool>;
}

/** How host1's eth0 reaches the router. */
export type Upstream = 'wire' | 'switch' | 'switch-hairpin';

export interface EmuWorldOptions {
  readonly bare?: boolean;
  readonly seed?: number;
  /** Default `wire`. */
  readonly upstream?: Upstream;
  /** How `nft -f FILE` reads files; null when it cannot. */
  readonly readFile?: (path: string) => string | null;
}

/** The cabling between host1 and the router, re-plugged by `emu upstream`. */
class Cabling {
  readonly #wire: Wire;
  readonly #switch: ExternalSwitch;
  readonly #eth0: NetDevice;
  readonly #router: NetDevice;
  upstream: Upstream = 'wire';

  constructor(wire: Wire, sw: ExternalSwitch, eth0: NetDevice, router: NetDevice) {
    this.#wire = wire;
    this.#switch = sw;
    this.#eth0 = eth0;
    this.#router = router;
    wire.attach(eth0);
    wire.attach(router);
  }

  describe(): string {
    return this.upstream === 'wire'
      ? 'wire lan (a plain cable)'
      : `switch sw0 (hairpin ${this.upstream === 'switch-hairpin' ? 'on' : 'off'} on host1's port)`;
  }

  set(upstream: Upstream): void {
    if (upstream === 'wire') {
      this.#switch.disconnect(this.#eth0);
      this.#switch.disconnect(this.#router);
      this.#wire.attach(this.#eth0);
      this.#wire.attach(this.#router);
    } else {
      if (this.upstream === 'wire') {
        this.#wire.detach(this.#eth0);
        this.#wire.detach(this.#router);
      }
      this.#switch.connect(this.#eth0);
      this.#switch.connect(this.#router);
      this.#switch.setHairpin(this.#eth0, upstream === 'switch-hairpin');
    }
    this.upstream = upstream;
  }
}

const EMU_USAGE = `Usage: emu upstream { wire | switch | switch-hairpin }
       emu hairpin { on | off }
       emu router ip ARGS...
       emu show
`;

/**
 * `emu`: a pseudo-command for what a real machine changes with cables and switch
 * configuration. `emu upstream switch-hairpin` re-cables host1's eth0 and the router
 * to the learning switch sw0 with reflective relay on host1's port; `emu hairpin on|off`
 * flips that relay; `emu router ip ARGS...` runs `ip` on the router (say, a route back
 * to l3 slaves' subnet through host1); `emu show` prints the cabling.
 */
function emuTool(cabling: Cabling | undefined, routerApi: RtnlApi | undefined): Tool {
  return async (env, argv) => {
    if (cabling === undefined) {
      env.stderr('emu: this world has no upstream (--bare)\n');
      return 1;
    }
    const [verb, arg] = argv;
    if (verb === 'show' || verb === undefined) {
      env.stdout(`host1 eth0 <-> ${cabling.describe()} <-> router eth0\n`);
      return 0;
    }
    if (verb === 'router' && arg === 'ip' && routerApi !== undefined) {
      return runIp({ api: routerApi, stdout: env.stdout, stderr: env.stderr }, argv.slice(2));
    }
    if (verb === 'upstream' && (arg === 'wire' || arg === 'switch' || arg === 'switch-hairpin')) {
      cabling.set(arg);
      return 0;
    }
    if (verb === 'hairpin' && (arg === 'on' || arg === 'off')) {
      if (cabling.upstream === 'wire') {
        env.stderr('emu: hairpin needs a switch upstream (emu upstream switch)\n');
        return 1;
      }
      cabling.set(arg === 'on' ? 'switch-hairpin' : 'switch');
      return 0;
    }
    env.stderr(EMU_USAGE);
    return 2;
  };
}

/** Runs `ip ARGS` on a host's rtnl during setup; a refusal here is a bug. */
async function ip(api: RtnlApi, line: string): Promise<void> {
  let err = '';
  const status = await runIp({ api, stdout: () => {}, stderr: (t) => (err += t) }, line.split(' '));
  if (status !== 0) throw new Error(`world setup: ip ${line}: ${err.trim()}`);
}

/** Builds the world (see the file header). */
export async function buildEmuWorld(options: EmuWorldOptions = {}): Promise<EmuSession> {
  const world = new World({
    seed: options.seed ?? 1,
    setupHost: (h) => installInetStack(h.kernel),
  });
  const host = world.addHost(HOST_NAME);
  ipvlanModuleInit(host.kernel);
  const api = createRtnl(host.kernel, { kinds: [registerIpvlanKind] });
  await ip(api, 'link set lo up');
  let router: Host | undefined;
  let cabling: Cabling | undefined;
  let routerApi: RtnlApi | undefined;
  if (options.bare !== true) {
    router = world.addHost('router');
    const rapi = createRtnl(router.kernel);
    routerApi = rapi;
    // 50 µs each way, so router round trips show a plausible time; slave↔slave stays inside host1.
    const lan = world.addWire('lan', { latency: 50_000 });
    const eth0 = host.addNic('eth0', { address: MacAddr.parse(HOST_MAC) ?? MacAddr.ZERO });
    const reth0 = router.addNic('eth0', { address: MacAddr.parse(ROUTER_MAC) ?? MacAddr.ZERO });
    const sw0 = world.addSwitch('sw0', { latency: 50_000 });
    cabling = new Cabling(lan, sw0, eth0, reth0);
    if (options.upstream !== undefined && options.upstream !== 'wire')
      cabling.set(options.upstream);
    await ip(rapi, 'link set lo up');
    await ip(rapi, 'link set eth0 up');
    await ip(rapi, `addr add ${ROUTER_ADDR}/24 dev eth0`);
    await ip(api, 'link set eth0 up');
    await ip(api, `addr add ${HOST_ADDR} dev eth0`);
    await ip(api, `route add default via ${ROUTER_ADDR} dev eth0`);
  }
  // Let DAD and the first router solicitations finish before the script starts.
  world.runUntilIdle(5_000_000_000);
  const sys = emuSystem(world, host.kernel, {
    ...(options.readFile === undefined ? {} : { readFile: options.readFile }),
  });
  const tools = new Map<string, Tool>([
    ['conntrack', conntrackTool(emuConntrack(host.kernel))],
    ['emu', emuTool(cabling, routerApi)],
  ]);
  return {
    world,
    host,
    router,
    api,
    sys,
    routerApi,
    upstreamLabel: () => cabling?.describe(),
    tools,
  };
}
