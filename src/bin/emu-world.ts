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
import { emuSystem } from './emu-system.ts';

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
}

/** Runs `ip ARGS` on a host's rtnl during setup; a refusal here is a bug. */
async function ip(api: RtnlApi, line: string): Promise<void> {
  let err = '';
  const status = await runIp({ api, stdout: () => {}, stderr: (t) => (err += t) }, line.split(' '));
  if (status !== 0) throw new Error(`world setup: ip ${line}: ${err.trim()}`);
}

/** Builds the world (see the file header). */
export async function buildEmuWorld(
  options: { readonly bare?: boolean; readonly seed?: number } = {},
): Promise<EmuSession> {
  const world = new World({
    seed: options.seed ?? 1,
    setupHost: (h) => installInetStack(h.kernel),
  });
  const host = world.addHost(HOST_NAME);
  ipvlanModuleInit(host.kernel);
  const api = createRtnl(host.kernel, { kinds: [registerIpvlanKind] });
  await ip(api, 'link set lo up');
  let router: Host | undefined;
  if (options.bare !== true) {
    router = world.addHost('router');
    const rapi = createRtnl(router.kernel);
    // 50 µs each way, so router round trips show a plausible time; slave↔slave stays inside host1.
    const lan = world.addWire('lan', { latency: 50_000 });
    const eth0 = host.addNic('eth0', { address: MacAddr.parse(HOST_MAC) ?? MacAddr.ZERO });
    const reth0 = router.addNic('eth0', { address: MacAddr.parse(ROUTER_MAC) ?? MacAddr.ZERO });
    lan.attach(eth0);
    lan.attach(reth0);
    await ip(rapi, 'link set lo up');
    await ip(rapi, 'link set eth0 up');
    await ip(rapi, `addr add ${ROUTER_ADDR}/24 dev eth0`);
    await ip(api, 'link set eth0 up');
    await ip(api, `addr add ${HOST_ADDR} dev eth0`);
    // TODO(#5): drop the catch once the rtnl server implements RTM_NEWROUTE (it answers
    // EOPNOTSUPP today); host1's own traffic then leaves through the router.
    await ip(api, `route add default via ${ROUTER_ADDR} dev eth0`).catch(() => undefined);
  }
  // Let DAD and the first router solicitations finish before the script starts.
  world.runUntilIdle(5_000_000_000);
  return { world, host, router, api, sys: emuSystem(world, host.kernel) };
}
