// Replays sections of an oracle recording against a fresh emulated kernel and compares
// each `ip` command's output and exit status. Sections of one scenario share Linux's
// global ifindex counter, which a fresh kernel cannot reproduce, so ifindexes are
// masked; random MACs (veth, bridge) are masked where the caller asks.

import assert from 'node:assert/strict';
import { oracleRecords, type OracleRecord } from '../fixtures/oracle/index.ts';
import type { Rtnl } from '../../src/rtnl/server.ts';
import { sh, standardKernel } from './harness.ts';

export interface ReplayChunk {
  /** Section titles (`### TITLE` without the prefix's `cN: ` text needed: a prefix match). */
  readonly sections: readonly string[];
  /** Commands the script ran without recording them (its `base`, `ip netns add`). */
  readonly setup?: readonly string[];
  /** Recorded commands not to run (kinds or layers the emulator does not have). */
  readonly skip?: RegExp;
  /** Mask every MAC except the fixed ones the scripts set. */
  readonly maskMacs?: boolean;
}

/** The script's `base`: the ipvlan master every c-errors section starts from. */
export const BASE = [
  'ip link add eth0 type dummy',
  'ip link set eth0 address 52:54:00:12:34:56',
  'ip link set eth0 up',
];

const FIXED_MACS = new Set(['ff:ff:ff:ff:ff:ff', '00:00:00:00:00:00', '52:54:00:12:34:56']);

function normalize(text: string, maskMacs: boolean): string {
  let out = text
    .replace(/^\d+: /gm, 'N: ')
    .replace(/@if\d+/g, '@ifN')
    .replace(/"(ifindex|link_index)":\d+/g, '"$1":N');
  if (maskMacs) {
    out = out.replace(/\b[0-9a-f]{2}(:[0-9a-f]{2}){5}\b/g, (m) => (FIXED_MACS.has(m) ? m : 'MAC'));
  }
  return out;
}

function sectionOf(rec: OracleRecord, sections: readonly string[]): boolean {
  return sections.some((s) => rec.section !== null && rec.section.startsWith(s));
}

/** Runs one chunk; returns how many recorded commands were compared. */
export async function replay(scenario: string, chunk: ReplayChunk): Promise<number> {
  const { rtnl } = standardKernel();
  for (const line of chunk.setup ?? []) {
    assert.deepEqual(await sh(rtnl, line), { output: '', exit: 0 }, `setup: ${line}`);
  }
  let compared = 0;
  for (const rec of oracleRecords(scenario)) {
    if (!sectionOf(rec, chunk.sections)) continue;
    if (!rec.command.startsWith('ip ') || chunk.skip?.test(rec.command) === true) continue;
    await compare(rtnl, rec, chunk.maskMacs ?? false);
    compared++;
  }
  return compared;
}

async function compare(rtnl: Rtnl, rec: OracleRecord, maskMacs: boolean): Promise<void> {
  const run = await sh(rtnl, rec.command);
  const where = `${rec.section ?? ''} line ${rec.line}: ${rec.command}`;
  assert.equal(normalize(run.output, maskMacs), normalize(rec.output, maskMacs), where);
  assert.equal(run.exit, rec.exit, `${where} (exit)`);
}
