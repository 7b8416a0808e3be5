// `ipvlan run [--bare] [--switch-hairpin] [--trace] [--pcap FILE] FILE`: runs a shell
// script of ip, ping, arping, sysctl, tcpdump, nft, conntrack... on the emulated host and
// prints what bash would print, exiting with the last command's status.
// `--switch-hairpin` cables eth0 to a switch port with reflective relay (see emu-world.ts). `--trace` prints every trace event of every host
// (virtual time in seconds, host, where, what) on stderr; `--pcap FILE` writes every
// device's frames (interfaces `netns/ifname`, drop reasons as comments) as pcapng.

import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { Shell } from '../cli/script.ts';
import type { TraceEvent } from '../stack/drop.ts';
import type { Host } from '../emu/world.ts';
import { buildEmuWorld, type EmuSession } from './emu-world.ts';

export interface RunOptions {
  readonly bare: boolean;
  readonly trace: boolean;
  readonly pcap: string | undefined;
  /** Start with eth0 on a hairpin switch port instead of the plain wire. */
  readonly switchHairpin?: boolean;
}

export interface RunIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** One trace line: `[   0.001234] host1 ns0/ipvl0 tx: detail (REASON)`. */
export function formatTrace(host: Host, ev: TraceEvent): string {
  const t = (ev.time / 1e9).toFixed(6).padStart(11);
  const reason = ev.reason === undefined ? '' : ` (${ev.reason})`;
  return `[${t}] ${host.name} ${ev.where} ${ev.kind}: ${ev.detail}${reason}\n`;
}

/** Parses `run`'s options; a string is a usage error. */
export function parseRunArgs(
  argv: readonly string[],
): { options: RunOptions; file: string } | string {
  let bare = false;
  let trace = false;
  let pcap: string | undefined;
  let switchHairpin = false;
  let file: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--bare') bare = true;
    else if (a === '--trace') trace = true;
    else if (a === '--switch-hairpin') switchHairpin = true;
    else if (a === '--pcap') {
      pcap = argv[++i];
      if (pcap === undefined) return 'ipvlan run: --pcap needs a file name';
    } else if (a.startsWith('--pcap=')) pcap = a.slice(7);
    else if (a.startsWith('-') && a !== '-') return `ipvlan run: unknown option '${a}'`;
    else if (file === undefined) file = a;
    else return `ipvlan run: unexpected argument '${a}'`;
  }
  if (file === undefined) return 'ipvlan run: no script given';
  return { options: { bare, trace, pcap, switchHairpin }, file };
}

/** What `nft -f FILE` reads: the real file system, as the script's other file access. */
function readFileSyncOrNull(path: string): string | null {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch {
    return null;
  }
}

/** Builds the session a script or shell runs in, with tracing and capture hooked. */
export async function openSession(options: RunOptions, io: RunIo): Promise<EmuSession> {
  const session = await buildEmuWorld({
    bare: options.bare,
    upstream: options.switchHairpin === true ? 'switch-hairpin' : 'wire',
    readFile: readFileSyncOrNull,
  });
  if (options.trace) session.world.setTracer((host, ev) => io.stderr(formatTrace(host, ev)));
  return session;
}

/** Runs script `text` (named `name` in messages); resolves to its exit status. */
export async function runScriptText(
  text: string,
  name: string,
  options: RunOptions,
  io: RunIo,
): Promise<number> {
  const session = await openSession(options, io);
  const capture = options.pcap === undefined ? undefined : session.world.capture();
  const shell = new Shell(
    {
      api: session.api,
      sys: session.sys,
      stdout: io.stdout,
      stderr: io.stderr,
      readFile: async (path) => {
        try {
          return await readFile(path, 'utf8');
        } catch {
          return null;
        }
      },
      writeFile: (path, bytes) => writeFile(path, bytes),
      tools: session.tools,
    },
    { scriptName: name },
  );
  const status = await shell.runScript(text);
  if (capture !== undefined && options.pcap !== undefined) {
    session.world.stopCapture(capture);
    await writeFile(options.pcap, capture.pcapng());
  }
  return status;
}

/** `ipvlan run ...`: resolves to the process exit status. */
export async function runCommand(argv: readonly string[], io: RunIo): Promise<number> {
  const parsed = parseRunArgs(argv);
  if (typeof parsed === 'string') {
    io.stderr(
      `${parsed}\nUsage: ipvlan run [--bare] [--switch-hairpin] [--trace] [--pcap FILE] FILE\n`,
    );
    return 2;
  }
  let text: string;
  try {
    text = await readFile(parsed.file, 'utf8');
  } catch {
    // bash's words for a script it cannot open.
    io.stderr(`bash: ${parsed.file}: No such file or directory\n`);
    return 127;
  }
  return runScriptText(text, parsed.file, parsed.options, io);
}
