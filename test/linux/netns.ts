// Real-kernel test sandboxes: network namespaces and veths with a per-process prefix,
// commands run inside them, and cleanup that always happens (explicit `cleanup()`, a
// process 'exit' hook, and SIGINT/SIGTERM). Nothing is ever created in the root
// namespace: veth pairs are made inside a sandbox namespace and TAPs are moved out of
// one, so deleting the namespaces deletes every device with them.

import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Namespace names start with this, then the pid in base 36; see `sweepStale`. */
const NS_PREFIX = 'lxd-';

/**
 * Why real-kernel tests cannot run here, or null when they can: they need root,
 * /dev/net/tun and a working `ip netns`.
 */
export function linuxTestsUnavailable(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root';
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing (no CONFIG_TUN)';
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0)
    return `'ip netns' does not work: ${r.error?.message ?? r.stderr.trim()}`;
  return null;
}

/** True when the real-kernel tests can run; prints why once when they cannot. */
export function linuxTestsAvailable(): boolean {
  const why = linuxTestsUnavailable();
  if (why !== null && !warned) {
    warned = true;
    console.log(`# skipping Linux data-plane tests: ${why}`);
  }
  return why === null;
}
let warned = false;

/** The result of a command run to completion. */
export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const live = new Set<Sandbox>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const s of live) s.cleanup();
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      for (const s of live) s.cleanup();
      process.exit(130);
    });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Deletes sandbox namespaces left by processes that no longer exist (a crashed run). */
export function sweepStale(): void {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  for (const line of r.stdout.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = /^lxd-([0-9a-z]+)-/.exec(name);
    if (m === null) continue;
    const pid = parseInt(m[1] ?? '', 36);
    if (!alive(pid)) spawnSync('ip', ['netns', 'del', name]);
  }
}

let counter = 0;

/** One test's namespaces, devices and child processes. */
export class Sandbox {
  /** Prefix of every namespace this sandbox makes ("lxd-<pid36>-<n>-"). */
  readonly nsPrefix: string;
  /** Prefix of every interface name (at most 8 characters, leaving 7 for the role). */
  readonly ifPrefix: string;
  readonly #namespaces: string[] = [];
  readonly #children = new Set<ChildProcess>();
  #closed = false;

  constructor() {
    const pid = process.pid.toString(36);
    const n = (counter++ % 36).toString(36);
    this.nsPrefix = `${NS_PREFIX}${pid}-${n}-`;
    this.ifPrefix = `lx${pid}${n}`.slice(0, 8);
    hookExit();
    live.add(this);
  }

  /** A namespace name for `role`. */
  nsName(role: string): string {
    return this.nsPrefix + role;
  }

  /** An interface name for `role` (at most 15 characters, IFNAMSIZ - 1). */
  ifName(role: string): string {
    const name = this.ifPrefix + role;
    if (name.length > 15) throw new Error(`interface name too long: ${name}`);
    return name;
  }

  /** Creates namespace `role` with its loopback up; returns its name. */
  addNetns(role: string): string {
    const ns = this.nsName(role);
    run(['ip', 'netns', 'add', ns]);
    this.#namespaces.push(ns);
    this.ip(ns, 'link', 'set', 'lo', 'up');
    return ns;
  }

  /**
   * Creates a veth pair inside namespace `nsA` and moves the peer to `nsB`; both ends
   * stay down. Returns the two interface names.
   */
  addVeth(roleA: string, nsA: string, roleB: string, nsB: string): [string, string] {
    const a = this.ifName(roleA);
    const b = this.ifName(roleB);
    this.ip(nsA, 'link', 'add', a, 'type', 'veth', 'peer', 'name', b, 'netns', nsB);
    return [a, b];
  }

  /** Runs `ip -n NS ARGS…`; throws with ip's stderr when it fails. Returns stdout. */
  ip(ns: string, ...args: string[]): string {
    return run(['ip', '-n', ns, ...args]).stdout;
  }

  /** Runs a command inside `ns` to completion (no throw; check `status`). */
  exec(ns: string, argv: readonly string[], timeoutMs = 30_000): Run {
    const r = spawnSync('ip', ['netns', 'exec', ns, ...argv], {
      encoding: 'utf8',
      timeout: timeoutMs,
    });
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  /** Like exec, but throws when the command fails. */
  execOk(ns: string, argv: readonly string[], timeoutMs = 30_000): string {
    const r = this.exec(ns, argv, timeoutMs);
    if (r.status !== 0)
      throw new Error(`${argv.join(' ')} in ${ns} failed (${r.status}): ${r.stderr.trim()}`);
    return r.stdout;
  }

  /** Starts a long-running command inside `ns`; it is killed by `cleanup()`. */
  spawn(ns: string, argv: readonly string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
    return child;
  }

  /** Kills children, then deletes every namespace (and so every device in them). Idempotent. */
  cleanup(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const c of this.#children)
      if (c.pid !== undefined && c.exitCode === null) c.kill('SIGKILL');
    for (const ns of this.#namespaces.reverse()) spawnSync('ip', ['netns', 'del', ns]);
    live.delete(this);
  }
}

function run(argv: readonly string[]): Run {
  const [cmd, ...args] = argv;
  const r = spawnSync(cmd ?? 'false', args, { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0)
    throw new Error(`${argv.join(' ')} failed (${r.status}): ${(r.stderr ?? '').trim()}`);
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
