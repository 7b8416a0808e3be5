// Running the real `ipvlan daemon` and `ipvlan link` commands inside a sandbox
// namespace (the daemon's "home", which holds the master veth end), for the daemon's
// root tests and the bench.

import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sandbox, sweepStale } from './netns.ts';
import type { Run } from './netns.ts';

const BIN = new URL('../../bin/ipvlan.js', import.meta.url).pathname;

/** One daemon process with its own state directory. */
export class DaemonProc {
  readonly box: Sandbox;
  readonly home: string;
  readonly stateDir: string;
  proc: ChildProcess | null = null;
  log = '';

  constructor(box: Sandbox, home: string) {
    this.box = box;
    this.home = home;
    this.stateDir = mkdtempSync(join(tmpdir(), 'lxd-state-'));
  }

  /** Starts the daemon and waits until it listens (bounded). */
  async start(): Promise<void> {
    const child = this.box.spawn(this.home, [
      process.execPath,
      BIN,
      'daemon',
      '--state-dir',
      this.stateDir,
    ]);
    this.proc = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`daemon did not start: ${this.log}`)),
        20_000,
      );
      const onData = (d: Buffer): void => {
        this.log += d.toString();
        if (this.log.includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`daemon exited (${code}): ${this.log}`));
      });
    });
  }

  /** SIGKILL, as a crash would, and waits for the exit. */
  async kill9(): Promise<void> {
    const p = this.proc;
    if (p === null || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGKILL');
    await exited;
    this.proc = null;
  }

  /** SIGTERM and wait. */
  async stop(): Promise<void> {
    const p = this.proc;
    if (p === null || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
    this.proc = null;
  }

  /** `ipvlan link ARGS… --state-dir DIR` run in the daemon's namespace. */
  link(...args: string[]): Run {
    return this.box.exec(this.home, [
      process.execPath,
      BIN,
      'link',
      '--state-dir',
      this.stateDir,
      ...args,
    ]);
  }

  /** Like `link`, throwing with stderr on failure. */
  linkOk(...args: string[]): string {
    const r = this.link(...args);
    if (r.status !== 0) throw new Error(`ipvlan link ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  /** Removes the state directory (after the daemon stopped). */
  cleanup(): void {
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}

/**
 * Runs ping in `ns` with a deadline; the number of replies received (ping keeps sending
 * until `count` replies arrived, so late replies can make it more than `count`).
 */
export function pingCount(box: Sandbox, ns: string, dst: string, count = 3, deadline = 8): number {
  const r = box.exec(
    ns,
    ['ping', '-c', String(count), '-i', '0.2', '-w', String(deadline), dst],
    (deadline + 5) * 1000,
  );
  const m = /(\d+) received/.exec(r.stdout);
  return m === null ? 0 : Number(m[1]);
}

/** Polls `cond` every 100 ms until it holds or `ms` passed. */
export async function waitFor(cond: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return cond();
}

/** How one master port is wired: see `addUplink`. */
export interface UplinkOptions {
  /** Address(es) with prefix length on the upstream's end; IPv6 ones get `nodad`. */
  readonly upstreamAddr?: string | readonly string[];
  /** An address with prefix length on the master itself (the host's own); IPv6 gets `nodad`. */
  readonly hostAddr?: string;
}

/** A master port: the veth end in the daemon's namespace and its peer in the upstream's. */
export interface Uplink {
  readonly upstream: string;
  readonly master: string;
  readonly peer: string;
}

/**
 * Adds namespace `up<suffix>` playing the upstream router and a veth pair `m<suffix>`
 * (in `home`, the daemon's master) ↔ `p<suffix>` (in the upstream), both up with their
 * addresses. IPv6 addresses skip DAD: a tentative address would make the tests' first
 * pings depend on how long DAD takes.
 */
export function addUplink(box: Sandbox, home: string, suffix: string, opts: UplinkOptions): Uplink {
  const upstream = box.addNetns(`up${suffix}`);
  const [master, peer] = box.addVeth(`m${suffix}`, home, `p${suffix}`, upstream);
  const addr = (ns: string, dev: string, a: string): void => {
    const nodad = a.includes(':') ? ['nodad'] : [];
    box.ip(ns, 'addr', 'add', a, 'dev', dev, ...nodad);
  };
  if (opts.hostAddr !== undefined) addr(home, master, opts.hostAddr);
  box.ip(home, 'link', 'set', master, 'up');
  for (const a of [opts.upstreamAddr ?? []].flat()) addr(upstream, peer, a);
  box.ip(upstream, 'link', 'set', peer, 'up');
  return { upstream, master, peer };
}

/** What `startDaemonTopology` builds. */
export interface DaemonTopologyOptions<R extends string> extends UplinkOptions {
  /** Roles of the empty namespaces the tests move slaves into (`ns.<role>`). */
  readonly slaveNamespaces?: readonly R[];
  /** Environment for the daemon process only (e.g. IPVLAN_WATCH_MS). */
  readonly env?: Readonly<Record<string, string>>;
  /** More wiring that must exist before the daemon starts (routes, a second master…). */
  readonly beforeStart?: (t: DaemonTopology<R>) => void;
}

/** A running daemon in its sandbox; `stop()` tears all of it down. */
export interface DaemonTopology<R extends string> extends Uplink {
  readonly box: Sandbox;
  readonly d: DaemonProc;
  /** The daemon's namespace, holding the master. */
  readonly home: string;
  /** The slave namespaces by role. */
  readonly ns: Readonly<Record<R, string>>;
  /** Stops the daemon, then deletes the namespaces and the state directory. */
  stop(): Promise<void>;
}

/**
 * The root daemon tests' common topology: a fresh Sandbox (stale ones of crashed runs
 * swept first), the daemon's "home" namespace with master `m`, the upstream `up` behind
 * it (`addUplink`), the slave namespaces, then the daemon started in `home`. When any
 * step fails, what was made is removed before the error is thrown.
 */
export async function startDaemonTopology<const R extends string = never>(
  opts: DaemonTopologyOptions<R>,
): Promise<DaemonTopology<R>> {
  sweepStale();
  const box = new Sandbox();
  let d: DaemonProc | null = null;
  const stop = async (): Promise<void> => {
    await d?.stop();
    box.cleanup();
    d?.cleanup();
  };
  try {
    const home = box.addNetns('home');
    const uplink = addUplink(box, home, '', opts);
    const ns = {} as Record<R, string>;
    for (const role of opts.slaveNamespaces ?? []) ns[role] = box.addNetns(role);
    d = new DaemonProc(box, home);
    const t: DaemonTopology<R> = { ...uplink, box, d, home, ns, stop };
    opts.beforeStart?.(t);
    await withEnv(opts.env ?? {}, () => t.d.start());
    return t;
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Runs `fn` with `env` added to process.env (which spawned children inherit), then restores it. */
async function withEnv<T>(env: Readonly<Record<string, string>>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.keys(env).map((k) => [k, process.env[k]] as const);
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/**
 * `ipvlan link add link MASTER name NAME type ipvlan mode MODE [netns NS]`, then, with
 * `cidr`, `ip addr add CIDR dev NAME` and `ip link set NAME up` inside NS.
 */
export function addSlave(
  t: { readonly box: Sandbox; readonly d: DaemonProc; readonly master: string },
  name: string,
  ns: string | null,
  opts: { readonly cidr?: string; readonly mode?: 'l2' | 'l3' | 'l3s' } = {},
): void {
  const where = ns === null ? [] : ['netns', ns];
  const mode = ['mode', opts.mode ?? 'l2'];
  t.d.linkOk('add', 'link', t.master, 'name', name, 'type', 'ipvlan', ...mode, ...where);
  if (opts.cidr === undefined || ns === null) return;
  t.box.ip(ns, 'addr', 'add', opts.cidr, 'dev', name);
  t.box.ip(ns, 'link', 'set', name, 'up');
}

/** Two pings of `size` payload bytes with Don't Fragment (`-M do`), 0.2 s apart, at most 5 s. */
export function pingNoFrag(box: Sandbox, ns: string, dst: string, size: number): Run {
  return box.exec(ns, [
    'ping',
    '-c',
    '2',
    '-i',
    '0.2',
    '-w',
    '5',
    '-M',
    'do',
    '-s',
    String(size),
    dst,
  ]);
}
