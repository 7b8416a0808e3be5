// A standard emulated kernel behind the real rtnl API, with the real `ip` front end on
// top: what the composition root in src/bin will assemble, for tests that replay the
// oracle recordings command by command.

import { runIp } from '../../src/cli/ip.ts';
import { registerIpvlanKind } from '../../src/ipvlan/link-ops.ts';
import { ipvlanModuleInit } from '../../src/ipvlan/main.ts';
import { createRtnl, type Rtnl } from '../../src/rtnl/server.ts';
import { Kernel } from '../../src/stack/kernel.ts';
import { createLoopback } from '../../src/stack/loopback.ts';
import { installInetStack } from '../../src/stack/stack.ts';
import { installVlan } from '../../src/stack/vlan.ts';

/**
 * A kernel as a booted machine has it: `lo` up in the initial namespace, every kind
 * registered, and with `inet` the IP stack (off by default: with it, creating an ipvlan
 * slave currently crashes — Kernel.devMcAdd calls ndo_set_rx_mode on a device that is
 * still registering, before ipvlan has set its `dev`).
 */
export function standardKernel(options: { seed?: number; inet?: boolean } = {}): {
  kernel: Kernel;
  rtnl: Rtnl;
} {
  const kernel = new Kernel({ hostname: 'host', seed: options.seed ?? 1 });
  kernel.setLoopbackFactory(createLoopback);
  installVlan(kernel);
  if (options.inet === true) installInetStack(kernel);
  ipvlanModuleInit(kernel);
  const lo = kernel.initNet.getByIndex(1);
  if (lo !== undefined) kernel.devOpen(lo);
  const rtnl = createRtnl(kernel, { kinds: [registerIpvlanKind] });
  rtnl.exec = async (netns, argv) => {
    if (argv[0] !== 'ip') {
      return {
        stdout: '',
        stderr: `exec of "${argv[0] ?? ''}" failed: No such file or directory\n`,
        status: 127,
      };
    }
    const r = await ip(rtnl, argv.slice(1), netns);
    return { stdout: r.output, stderr: '', status: r.exit };
  };
  return { kernel, rtnl };
}

/** What one `ip` run printed (stdout and stderr interleaved, as the recordings merge them). */
export interface IpRun {
  readonly output: string;
  readonly exit: number;
}

/** Runs `ip ARGV...` against `rtnl` (in `netns` when given). */
export async function ip(rtnl: Rtnl, argv: readonly string[], netns?: string): Promise<IpRun> {
  let output = '';
  const env = {
    api: rtnl,
    stdout: (t: string) => (output += t),
    stderr: (t: string) => (output += t),
    ...(netns === undefined ? {} : { netns }),
  };
  const exit = await runIp(env, argv);
  return { output, exit };
}

/** Runs one recorded command line (`ip ...` only; words split on single spaces). */
export async function sh(rtnl: Rtnl, line: string): Promise<IpRun> {
  const argv = line.split(' ').filter((w) => w !== '');
  if (argv[0] !== 'ip') throw new Error(`not an ip command: ${line}`);
  return ip(rtnl, argv.slice(1));
}
