// `ipvlan shell [--bare] [--trace]`: an interactive prompt over the emulated host, the
// world kept between commands. Prompt `root@host1:~# `, and `[ns0] root@host1:~# `
// after `ip netns exec ns0 bash` until `exit`. node:readline gives line editing and
// history; Tab completes commands, `ip` objects and verbs, namespace names and device
// names of the current namespace.

import { createInterface } from 'node:readline';
import { Shell } from '../cli/script.ts';
import type { RtnlApi } from '../rtnl/api.ts';
import { HOST_NAME } from './emu-world.ts';
import { openSession, type RunOptions } from './run.ts';

const IP_OBJECTS = ['address', 'link', 'neighbour', 'netns', 'route', 'help'];
const IP_VERBS: Readonly<Record<string, readonly string[]>> = {
  link: ['add', 'delete', 'set', 'show', 'help'],
  address: ['add', 'delete', 'flush', 'show', 'help'],
  route: ['add', 'delete', 'replace', 'show', 'get', 'help'],
  neighbour: ['add', 'delete', 'replace', 'flush', 'show', 'help'],
  netns: ['add', 'delete', 'list', 'exec', 'identify', 'set', 'help'],
};
const LINK_WORDS = [
  'dev',
  'up',
  'down',
  'mtu',
  'address',
  'netns',
  'master',
  'nomaster',
  'type',
  'link',
  'name',
  'mode',
];
const KINDS = [
  'ipvlan',
  'veth',
  'bridge',
  'dummy',
  'vlan',
  'l2',
  'l3',
  'l3s',
  'bridge',
  'private',
  'vepa',
];

/** Candidates for the last word of `line` (readline's completer contract). */
export async function complete(
  shell: Shell,
  api: RtnlApi,
  line: string,
): Promise<[string[], string]> {
  const words = line.split(/\s+/);
  const last = words.at(-1) ?? '';
  const before = words.slice(0, -1).filter((w) => w !== '');
  let pool: string[];
  if (before.length === 0) pool = shell.commandNames;
  else if (before[0] === 'ip') {
    const args = before.slice(1).filter((w) => !w.startsWith('-'));
    const object = IP_OBJECTS.find((o) => args[0] !== undefined && o.startsWith(args[0]));
    if (args.length === 0) pool = IP_OBJECTS;
    else if (args.length === 1) pool = [...(IP_VERBS[object ?? ''] ?? [])];
    else if (object === 'netns' || before.at(-1) === 'netns') pool = await netnsNames(api);
    else pool = [...LINK_WORDS, ...KINDS, ...(await devNames(shell, api))];
  } else pool = await devNames(shell, api);
  const hits = [...new Set(pool)].filter((c) => c.startsWith(last)).sort();
  return [hits, last];
}

async function netnsNames(api: RtnlApi): Promise<string[]> {
  return (await api.netnsList({})).map((n) => n.name);
}

async function devNames(shell: Shell, api: RtnlApi): Promise<string[]> {
  try {
    const ctx = shell.netns === undefined ? {} : { netns: shell.netns };
    return (await api.dumpLinks(ctx)).map((l) => l.ifname);
  } catch {
    return [];
  }
}

/** Runs the interactive shell until `exit` or end of input; resolves to the exit status. */
export async function shellCommand(options: RunOptions): Promise<number> {
  const io = {
    stdout: (t: string) => void process.stdout.write(t),
    stderr: (t: string) => void process.stderr.write(t),
  };
  const session = await openSession(options, io);
  const shell = new Shell({ api: session.api, sys: session.sys, tools: session.tools, ...io });
  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    historySize: 1000,
    completer: (line: string, cb: (err: null, result: [string[], string]) => void) => {
      void complete(shell, session.api, line).then((r) => cb(null, r));
    },
  });
  rl.setPrompt(shell.prompt(HOST_NAME));
  rl.prompt();
  let lineNo = 0;
  for await (const line of rl) {
    await shell.runLine(line, ++lineNo);
    if (shell.exited) break;
    rl.setPrompt(shell.prompt(HOST_NAME));
    rl.prompt();
  }
  rl.close();
  await shell.waitJobs();
  return shell.status;
}
