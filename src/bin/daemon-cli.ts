// `ipvlan daemon [--state-dir DIR]` and `ipvlan link …`: the Linux data plane's
// daemon and the client commands that reach it over its control socket. `link`
// commands go through the `ip` front end (runIp) over a DaemonClient, so they parse
// and print exactly as iproute2's `ip link` does.

import { runIp } from '../cli/ip.ts';
import { DaemonClient, DaemonUnreachable, serveControl } from '../daemon/control.ts';
import { Daemon } from '../daemon/daemon.ts';
import { socketPath, stateDirFrom } from '../daemon/state.ts';
import { ErrnoError } from '../base/errno.ts';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** Takes `--state-dir DIR` (or `--state-dir=DIR`) out of argv. */
function takeStateDir(argv: readonly string[]): { dir: string; rest: string[] } {
  const rest: string[] = [];
  let flag: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--state-dir') flag = argv[++i];
    else if (a.startsWith('--state-dir=')) flag = a.slice('--state-dir='.length);
    else rest.push(a);
  }
  return { dir: stateDirFrom(flag), rest };
}

/** `ipvlan daemon`: runs until SIGINT/SIGTERM. Returns the exit status. */
export async function daemonCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { dir } = takeStateDir(argv);
  let daemon: Daemon;
  try {
    // IPVLAN_WATCH_MS: the watcher's safety-net round (DaemonOptions.tickMs).
    const watchMs = Number(process.env['IPVLAN_WATCH_MS'] ?? '');
    daemon = await Daemon.start({
      stateDir: dir,
      ...(Number.isFinite(watchMs) && watchMs > 0 ? { tickMs: watchMs } : {}),
    });
  } catch (err) {
    io.stderr(`ipvlan: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  const path = socketPath(dir);
  // A second daemon on the same state directory would fight over the TAPs.
  try {
    const other = await DaemonClient.connect(path);
    other.close();
    io.stderr(`ipvlan: a daemon is already running at ${path}\n`);
    await daemon.stop();
    return 1;
  } catch {
    // Nobody answers: the socket file, if any, is stale.
  }
  const server = await serveControl(path, (method, args) => daemon.handle(method, args));
  io.stdout(`ipvlan daemon: listening on ${path}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  server.close();
  await daemon.stop();
  return 0;
}

const LINK_USAGE = `Usage: ipvlan link add link MASTER name NAME type ipvlan [mode l2|l3|l3s] [bridge|private|vepa] [netns NS]
       ipvlan link del NAME
       ipvlan link show [NAME] [-j]
       ipvlan link set NAME type ipvlan [mode l2|l3|l3s] [bridge|private|vepa]
       options: --state-dir DIR (default $IPVLAN_STATE_DIR or /var/lib/ipvlan.ts)
`;

/** `ipvlan link …` through the daemon. Returns the exit status. */
export async function linkCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { dir, rest } = takeStateDir(argv);
  if (rest.length === 0 || rest[0] === 'help') {
    io.stdout(LINK_USAGE);
    return 0;
  }
  // Global `ip` options may come anywhere on the ipvlan command line; `ip` wants them
  // first. Listings are detailed (`ip -d`), so the ipvlan mode line is shown.
  const opts = rest.filter((a) => /^-[a-z]+$/.test(a));
  const words = rest.filter((a) => !/^-[a-z]+$/.test(a));
  // `ip` parses everything after `type ipvlan` as ipvlan options; the ipvlan command
  // line allows `netns NS` at the end, so it moves in front of `type`.
  const type = words.indexOf('type');
  const netns = words.indexOf('netns', type + 1);
  if (type >= 0 && netns > type && netns + 1 < words.length) {
    const pair = words.splice(netns, 2);
    words.splice(type, 0, ...pair);
  }
  const show = words.length === 0 || ['show', 'list', 'lst'].includes(words[0] ?? '');
  const ipArgv = [...(show && !opts.includes('-d') ? ['-d'] : []), ...opts, 'link', ...words];
  const path = socketPath(dir);
  let client: DaemonClient;
  try {
    client = await DaemonClient.connect(path);
  } catch (err) {
    io.stderr(`ipvlan: ${(err as Error).message}\n`);
    return 1;
  }
  try {
    return await runIp({ api: client, stdout: io.stdout, stderr: io.stderr }, ipArgv);
  } catch (err) {
    if (err instanceof DaemonUnreachable || err instanceof ErrnoError) {
      io.stderr(`ipvlan: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    client.close();
  }
}
