// Running the real `ipvlan daemon` and `ipvlan link` commands inside a sandbox
// namespace (the daemon's "home", which holds the master veth end), for the daemon's
// root tests and the bench.

import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Run, Sandbox } from './netns.ts';

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
