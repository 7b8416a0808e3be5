// Replays recorded commands of an oracle scenario through the real shell (`ip`, `ping`,
// `sysctl`, `ip netns exec`) on the bare emulated machine (`ipvlan run --bare`), so
// route and neighbour commands can be compared after the traffic that shaped them.
// Only what test/fixtures/oracle/README.md says varies is masked: ifindexes are kept
// (one boot per scenario), and `ip neigh` listings are compared as sets of lines.

import { Shell } from '../../src/cli/script.ts';
import { openSession } from '../../src/bin/run.ts';
import type { EmuSession } from '../../src/bin/emu-world.ts';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { maskVariable, oracleRecords, type OracleRecord } from '../fixtures/oracle/index.ts';

export interface ShellRun {
  readonly output: string;
  readonly exit: number;
}

/** A bare emulated machine with a shell whose output is captured per command. */
export class OracleShell {
  readonly session: EmuSession;
  readonly shell: Shell;
  #out = '';

  private constructor(session: EmuSession) {
    this.session = session;
    this.shell = new Shell({
      api: session.api,
      sys: session.sys,
      stdout: (s) => (this.#out += s),
      stderr: (s) => (this.#out += s),
    });
  }

  static async open(): Promise<OracleShell> {
    return new OracleShell(
      await openSession(
        { bare: true, trace: false, pcap: undefined },
        { stdout: () => {}, stderr: () => {} },
      ),
    );
  }

  /** Runs one command line as the recording's shell did; a millisecond passes after it. */
  async run(line: string): Promise<ShellRun> {
    this.#out = '';
    await this.shell.runLine(line);
    this.session.world.runFor(1_000_000);
    return { output: this.#out, exit: this.shell.status };
  }
}

/** True for `ip ... neigh|neighbour|n ...` listings, whose order is a hash walk on Linux. */
export function isNeighListing(command: string): boolean {
  const words = command.split(' ');
  const ip = words.lastIndexOf('ip');
  if (ip < 0) return false;
  let i = ip + 1;
  while (i < words.length && (words[i] ?? '').startsWith('-')) {
    if (words[i] === '-n') i++;
    i++;
  }
  const obj = words[i] ?? '';
  if (!['n', 'ne', 'nei', 'neig', 'neigh', 'neighbor', 'neighbour'].includes(obj)) return false;
  const verb = words[i + 1];
  return verb === undefined || verb === 'show' || verb === 'list' || verb === 'sh';
}

/** Text made comparable: variable parts masked, neighbour listings sorted. */
export function comparable(command: string, text: string): string {
  const masked = maskVariable(text);
  if (!isNeighListing(command)) return masked;
  if (masked.startsWith('[') && !masked.includes('\n  ')) {
    const parsed = JSON.parse(masked) as unknown[];
    return JSON.stringify(parsed.map((e) => JSON.stringify(e)).sort());
  }
  return masked
    .split('\n')
    .filter((l) => l !== '')
    .sort()
    .join('\n');
}

/** Where a record is, for assertion messages. */
export function where(rec: OracleRecord): string {
  return `${rec.section ?? ''} line ${rec.line}: ${rec.command}`;
}

/**
 * Replays every command of recording `name` on a fresh bare machine, one subtest per
 * command (a command `notEmulated` names a reason for is a skipped subtest), comparing
 * output and exit status after masking what varies. `rewrite` adapts a recorded line
 * to the shell (quoting). Returns how many ran, matched, and were pings, for the caller
 * to assert that nothing was skipped by accident.
 */
export async function replayRecording(
  t: TestContext,
  name: string,
  notEmulated: (command: string) => string | undefined,
  rewrite: (command: string) => string = (c) => c,
): Promise<{ replayed: number; same: number; pings: number }> {
  const sh = await OracleShell.open();
  let replayed = 0;
  let same = 0;
  let pings = 0;
  for (const rec of oracleRecords(name)) {
    const skip = notEmulated(rec.command);
    if (skip !== undefined) {
      await t.test(`line ${rec.line}: ${rec.command}`, { skip }, () => {});
      continue;
    }
    const run = await sh.run(rewrite(rec.command));
    replayed++;
    if (maskVariable(run.output) === maskVariable(rec.output) && run.exit === rec.exit) same++;
    if (/(^| )ping /.test(rec.command)) pings++;
    await t.test(`line ${rec.line}: ${rec.command}`, () => {
      assert.equal(maskVariable(run.output), maskVariable(rec.output), `line ${rec.line}`);
      assert.equal(run.exit, rec.exit, `line ${rec.line} (exit)`);
    });
  }
  return { replayed, same, pings };
}
