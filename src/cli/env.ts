// What one `ip` invocation runs against: the rtnl API, the namespace it runs in, the
// output sinks and the global options (ip/ip.c's globals, as a value instead of statics).

import type { RtnlApi } from '../rtnl/api.ts';
import type { RtnlContext } from '../rtnl/messages.ts';
import type { Printer } from './print.ts';

/** The injected world: output goes to the sinks, never to process.stdout. */
export interface IpEnv {
  readonly api: RtnlApi;
  /** The namespace the command runs in (undefined: the initial one). */
  readonly netns?: string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Reads a `-batch` file (`-` is stdin); null when it cannot be read. */
  readonly readFile?: (path: string) => Promise<string | null>;
  /**
   * Runs a command line inside namespace `netns` for `ip netns exec` and returns its
   * exit status. When absent, `api.netnsExec` is used.
   */
  readonly exec?: (netns: string, argv: readonly string[]) => Promise<number>;
}

/** ip/ip.c's global options. */
export interface IpOptions {
  /** preferred_family: AF_UNSPEC, AF_INET, AF_INET6, AF_PACKET. */
  readonly family: number;
  readonly details: number;
  readonly stats: number;
  readonly brief: boolean;
  readonly json: boolean;
  readonly pretty: boolean;
  readonly oneline: boolean;
  readonly force: boolean;
}

/** One command in flight: the env, the options, the request context and the printer. */
export interface IpCmd {
  readonly env: IpEnv;
  readonly opts: IpOptions;
  readonly ctx: RtnlContext;
  readonly out: Printer;
}
