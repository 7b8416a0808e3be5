// The daemon's state directory: the configuration that must survive a crash (which
// slaves exist, on which master, in which mode) as one JSON file written atomically
// (write a temporary file, fsync, rename over), and the control socket beside it.

import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

/** Where the daemon keeps its state unless told otherwise. */
export const DEFAULT_STATE_DIR = '/var/lib/ipvlan.ts';

/** The state directory: `--state-dir`, else $IPVLAN_STATE_DIR, else the default. */
export function stateDirFrom(flag: string | undefined, env = process.env): string {
  return flag ?? env['IPVLAN_STATE_DIR'] ?? DEFAULT_STATE_DIR;
}

/** The control socket in a state directory. */
export function socketPath(stateDir: string): string {
  return join(stateDir, 'control.sock');
}

/** One slave as persisted. */
export interface SlaveRecord {
  readonly name: string;
  readonly master: string;
  /** IPVLAN_MODE_* and IPVLAN_F_* as the port has them. */
  mode: number;
  flags: number;
  /** The namespace the TAP was last seen in (an `ip netns` name), null for the daemon's own. */
  netns: string | null;
  /** The ifindex the engine gave the slave (the TAP's at creation). */
  readonly ifindex: number;
  /**
   * The TAP's own name when it was renamed in its namespace (`ip link set ipvl0 name
   * eth0`, as container runtimes do); the slave keeps `name` in the engine and for
   * `ipvlan link`. Absent while the two are the same.
   */
  tap?: string;
}

/** The name the real TAP has now. */
export function tapName(rec: SlaveRecord): string {
  return rec.tap ?? rec.name;
}

export interface DaemonState {
  readonly version: 1;
  slaves: SlaveRecord[];
}

const STATE_FILE = 'state.json';

function isRecord(x: unknown): x is SlaveRecord {
  if (x === null || typeof x !== 'object') return false;
  const r = x as Record<string, unknown>;
  return (
    typeof r['name'] === 'string' &&
    typeof r['master'] === 'string' &&
    typeof r['mode'] === 'number' &&
    typeof r['flags'] === 'number' &&
    (r['netns'] === null || typeof r['netns'] === 'string') &&
    typeof r['ifindex'] === 'number' &&
    (r['tap'] === undefined || typeof r['tap'] === 'string')
  );
}

/** Creates the directory (mode 0700: only root may read the configuration or reach the socket). */
export function ensureStateDir(stateDir: string): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
}

/** Reads the state; a missing file is an empty state, a malformed entry is skipped. */
export function loadState(stateDir: string): DaemonState {
  let text: string;
  try {
    text = readFileSync(join(stateDir, STATE_FILE), 'utf8');
  } catch {
    return { version: 1, slaves: [] };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { version: 1, slaves: [] };
  }
  const slaves = (parsed as { slaves?: unknown } | null)?.slaves;
  return { version: 1, slaves: Array.isArray(slaves) ? slaves.filter(isRecord) : [] };
}

/** Writes the state so that a crash leaves either the old or the new file, never half. */
export function saveState(stateDir: string, state: DaemonState): void {
  const path = join(stateDir, STATE_FILE);
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(state, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
