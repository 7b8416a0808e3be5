// `nft` and `conntrack -L` over the system API: the netfilter ruleset and the
// connection-tracking table of the tool's namespace. The ruleset grammar, the listing
// format and the error texts are the engine's (src/stack/netfilter, nftables 1.0.6 and
// conntrack-tools 1.4.7 as Debian 12 ships them); this file only routes argv there.

import { toolCtx, type ToolEnv } from './command.ts';

/** `nft [-a] [-c] [-f FILE] [COMMAND...]`. */
export async function runNft(env: ToolEnv, argv: readonly string[]): Promise<number> {
  const nft = env.sys.nft;
  if (nft === undefined) {
    env.stderr('Error: Could not process rule: Operation not supported\n');
    return 1;
  }
  const r = await nft.run(toolCtx(env), argv);
  if (r.stdout !== '') env.stdout(r.stdout);
  if (r.stderr !== '') env.stderr(r.stderr);
  return r.status;
}

/** The conntrack table of a namespace, as `conntrack -L` prints it. */
export interface ConntrackApi {
  /** Entry lines (stdout) and the `N flow entries have been shown.` line (stderr). */
  list(
    ctx: { readonly netns?: string },
    family?: 'ipv4' | 'ipv6',
  ): Promise<{ readonly stdout: string; readonly stderr: string }>;
  /** Removes every entry (`conntrack -F`); resolves to how many were removed. */
  flush(ctx: { readonly netns?: string }): Promise<number>;
}

const CT_VERSION = 'conntrack v1.4.7 (conntrack-tools)';

/**
 * `conntrack -L|-D… [-f ipv4|ipv6]`, `conntrack -C` and `conntrack -F` over `api`
 * (conntrack-tools: the table on stdout, the summary on stderr).
 */
export function conntrackTool(api: ConntrackApi) {
  return async (env: ToolEnv, argv: readonly string[]): Promise<number> => {
    let command: 'list' | 'count' | 'flush' | undefined;
    let family: 'ipv4' | 'ipv6' | undefined;
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i] ?? '';
      if (a === '-L' || a === '--dump') command = 'list';
      else if (a === '-C' || a === '--count') command = 'count';
      else if (a === '-F' || a === '--flush') command = 'flush';
      else if (a === '-f' || a === '--family') {
        const f = argv[++i];
        if (f !== 'ipv4' && f !== 'ipv6') {
          env.stderr(`${CT_VERSION}: Unknown protocol family\n`);
          return 2;
        }
        family = f;
      } else {
        env.stderr(
          `${CT_VERSION}: Bad parameter \`${a}'\nTry \`conntrack -h' or 'conntrack --help' for more information.\n`,
        );
        return 2;
      }
    }
    if (command === undefined) {
      env.stderr(
        `${CT_VERSION}: no command specified\nTry \`conntrack -h' or 'conntrack --help' for more information.\n`,
      );
      return 2;
    }
    const ctx = toolCtx(env);
    if (command === 'flush') {
      await api.flush(ctx);
      env.stderr(`${CT_VERSION}: connection tracking table has been emptied.\n`);
      return 0;
    }
    const r = await api.list(ctx, family);
    if (command === 'count') {
      env.stdout(`${r.stdout.split('\n').filter((l) => l !== '').length}\n`);
      return 0;
    }
    env.stdout(r.stdout);
    env.stderr(r.stderr);
    return 0;
  };
}
