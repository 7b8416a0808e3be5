// What every non-`ip` tool (ping, sysctl, tcpdump, arping, nft) runs against: the
// rtnetlink API, the system API beyond it, the namespace the process is in, and the
// output sinks. A tool returns its exit status and never throws for bad input.

import type { RtnlApi } from '../rtnl/api.ts';
import type { SystemApi } from '../rtnl/system.ts';

export interface ToolEnv {
  readonly api: RtnlApi;
  readonly sys: SystemApi;
  /** The namespace the tool runs in (undefined: the initial one). */
  readonly netns?: string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Writes a file (`tcpdump -w`); absent where there is no file system. */
  readonly writeFile?: (path: string, bytes: Uint8Array) => Promise<void>;
}

/** One tool: argv without the program name; resolves to the exit status. */
export type Tool = (env: ToolEnv, argv: readonly string[]) => Promise<number>;

/** The rtnl/system context of the tool's namespace. */
export function toolCtx(env: ToolEnv): { readonly netns?: string } {
  return env.netns === undefined ? {} : { netns: env.netns };
}

/** A getopt(3) result: options in order, then the operands. */
export interface GetoptResult {
  readonly opts: readonly (readonly [string, string | undefined])[];
  readonly operands: readonly string[];
}

/** getopt failures, with the glibc message text (without the program prefix). */
export type GetoptError =
  | { readonly kind: 'missing'; readonly opt: string }
  | { readonly kind: 'invalid'; readonly opt: string };

/**
 * POSIX getopt with GNU argument permutation: `spec` lists option letters, a `:` after
 * a letter means it takes a value (`-c 2` or `-c2`); flags may be grouped (`-qn`);
 * `--` ends options; operands may come between options, as glibc allows.
 */
export function getopt(argv: readonly string[], spec: string): GetoptResult | GetoptError {
  const opts: [string, string | undefined][] = [];
  const operands: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      operands.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      operands.push(arg);
      continue;
    }
    for (let j = 1; j < arg.length; j++) {
      const c = arg[j] ?? '';
      const at = spec.indexOf(c);
      if (at < 0 || c === ':') return { kind: 'invalid', opt: c };
      if (spec[at + 1] === ':') {
        let value = arg.slice(j + 1);
        if (value === '') {
          const next = argv[i + 1];
          if (next === undefined) return { kind: 'missing', opt: c };
          value = next;
          i++;
        }
        opts.push([c, value]);
        break;
      }
      opts.push([c, undefined]);
    }
  }
  return { opts, operands };
}
