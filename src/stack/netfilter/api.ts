// The nft(8) boundary: one call runs an nft command line or ruleset file against a
// namespace and answers like the program (stdout, stderr, exit status), so the CLI can
// wrap it without touching the engine. A batch is one transaction: if any command
// fails, nothing it did stays (nf_tables commits all or nothing).

import { ErrnoError, strerror } from '../../base/errno.ts';
import type { NetNamespace } from '../netns.ts';
import {
  nftAddChain,
  nftAddRule,
  nftAddTable,
  nftDeleteChain,
  nftDeleteRule,
  nftDeleteTable,
  nftFlushChain,
  nftFlushRuleset,
  nftFlushTable,
  nftRuleset,
  type NftChain,
  type NftItem,
  type NftTable,
  type NftUndo,
} from './nft.ts';
import {
  NftError,
  formatNftError,
  formatNftRuleset,
  formatNftTable,
  parseNft,
  type NftChainRef,
  type NftCommand,
  type NftLoc,
  type NftTableRef,
} from './nft-syntax.ts';

/** What one nft invocation printed and returned. */
export interface NftResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly status: number;
}

export interface NftRunOptions {
  /** `-a`: show handles in listings. */
  readonly handles?: boolean;
  /** The file name nft prints before errors (`-f FILE`); undefined for the command line. */
  readonly fileName?: string;
  /** `-c`: check only, commit nothing. */
  readonly check?: boolean;
}

/** Levenshtein distance, for nft's "did you mean" hints (string_misspell_update). */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j] as number;
      row[j] = Math.min(
        cur + 1,
        (row[j - 1] as number) + 1,
        prev + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      prev = cur;
    }
  }
  return row[b.length] as number;
}

function misspellLimit(name: string): number {
  return Math.max(1, Math.floor(name.length / 4));
}

function noEntry(): string {
  return strerror('ENOENT');
}

class Executor {
  readonly ns: NetNamespace;
  readonly opts: NftRunOptions;
  readonly undo: NftUndo[] = [];
  stdout = '';

  constructor(ns: NetNamespace, opts: NftRunOptions) {
    this.ns = ns;
    this.opts = opts;
  }

  table(ref: NftTableRef): NftTable {
    const rs = nftRuleset(this.ns);
    const t = rs.table(ref.family, ref.table);
    if (t !== undefined) return t;
    let best: NftTable | undefined;
    let bestDist = Infinity;
    for (const cand of rs.tables) {
      const d = distance(cand.name, ref.table);
      if (d <= misspellLimit(ref.table) && d < bestDist) {
        best = cand;
        bestDist = d;
      }
      if (d === 0 && cand.family !== ref.family && bestDist > 0) best = cand;
    }
    throw new NftError(
      best === undefined
        ? noEntry()
        : `${noEntry()}; did you mean table ‘${best.name}’ in family ${best.family}?`,
      ref.tableLoc,
    );
  }

  chain(ref: NftChainRef): NftChain {
    const t = this.table(ref);
    const c = t.chain(ref.chain);
    if (c !== undefined) return c;
    let best: NftChain | undefined;
    let bestDist = Infinity;
    for (const table of nftRuleset(this.ns).tables) {
      for (const cand of table.chains) {
        const d = distance(cand.name, ref.chain);
        if (d <= misspellLimit(ref.chain) && d < bestDist) {
          best = cand;
          bestDist = d;
        }
      }
    }
    throw new NftError(
      best === undefined
        ? noEntry()
        : `${noEntry()}; did you mean chain ‘${best.name}’ in table ${best.table.family} ‘${best.table.name}’?`,
      ref.chainLoc,
    );
  }

  /** Runs a kernel-side step; an errno becomes nft's "Could not process rule" at `loc`. */
  kernel<T>(loc: NftLoc, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof ErrnoError)
        throw new NftError(`Could not process rule: ${strerror(e.code)}`, loc);
      throw e;
    }
  }

  run(cmd: NftCommand): void {
    const ns = this.ns;
    const undo = this.undo;
    switch (cmd.obj) {
      case 'table':
        if (cmd.op === 'add' || cmd.op === 'create') {
          const exclusive = cmd.op === 'create';
          this.kernel(cmd.ref.tableLoc, () =>
            nftAddTable(ns, cmd.ref.family, cmd.ref.table, exclusive, undo),
          );
        } else if (cmd.op === 'delete') {
          const t = nftRuleset(ns).table(cmd.ref.family, cmd.ref.table);
          if (t === undefined)
            throw new NftError(`Could not process rule: ${noEntry()}`, cmd.ref.tableLoc);
          nftDeleteTable(ns, t, undo);
        } else if (cmd.op === 'flush') {
          nftFlushTable(ns, this.table(cmd.ref), undo);
        } else {
          this.stdout += formatNftTable(this.table(cmd.ref), this.printOpts());
        }
        return;
      case 'chain':
        if (cmd.op === 'add' || cmd.op === 'create') {
          const t = this.table(cmd.ref);
          const exclusive = cmd.op === 'create';
          this.kernel(cmd.ref.chainLoc, () =>
            nftAddChain(ns, t, cmd.ref.chain, cmd.base, exclusive, undo),
          );
        } else if (cmd.op === 'delete') {
          const c = this.chain(cmd.ref);
          this.kernel(cmd.ref.chainLoc, () => nftDeleteChain(ns, c, undo));
        } else if (cmd.op === 'flush') {
          nftFlushChain(ns, this.chain(cmd.ref), undo);
        } else {
          const c = this.chain(cmd.ref);
          this.stdout += formatNftTable(c.table, this.printOpts(), c);
        }
        return;
      case 'rule': {
        const c = this.chain(cmd.ref);
        if (cmd.op === 'delete') {
          this.kernel(cmd.handleLoc, () => nftDeleteRule(ns, c, cmd.handle, undo));
          return;
        }
        const items: NftItem[] = [];
        for (const spec of cmd.items) {
          const it = spec.item;
          if (it.kind === 'iface' && (it.key === 'iif' || it.key === 'oif')) {
            const dev = ns.getByName(it.name);
            if (dev === undefined) throw new NftError('Interface does not exist', spec.loc);
            items.push({ ...it, ifindex: dev.ifindex });
          } else if (it.kind === 'counter') {
            items.push({ kind: 'counter', packets: it.packets, bytes: it.bytes });
          } else {
            items.push(it);
          }
        }
        const where = cmd.op === 'insert' ? 'insert' : 'append';
        try {
          nftAddRule(ns, c, items, where, undo);
        } catch (e) {
          if (!(e instanceof ErrnoError)) throw e;
          // The kernel rejects the expression; nft points at the statement it came from.
          const bad = cmd.items.find((s) => ['masquerade', 'snat', 'dnat'].includes(s.item.kind));
          throw new NftError(
            `Could not process rule: ${strerror(e.code)}`,
            bad?.loc ?? cmd.ref.chainLoc,
          );
        }
        return;
      }
      case 'ruleset':
        if (cmd.op === 'flush') nftFlushRuleset(ns, cmd.family, undo);
        else this.stdout += formatNftRuleset(nftRuleset(ns).tables, cmd.family, this.printOpts());
        return;
      case 'counters':
        // `reset counters` resets named counter objects only; anonymous rule counters
        // keep counting (the i-followup.sh recording shows them growing across it).
        if (cmd.ref !== undefined) {
          const t = this.table(cmd.ref);
          this.stdout += `table ${t.family} ${t.name} {\n}\n`;
        }
        return;
    }
  }

  printOpts(): { handles?: boolean } {
    return this.opts.handles === true ? { handles: true } : {};
  }
}

/**
 * Runs an nft buffer (a command line joined with spaces, or a ruleset file) in `ns`.
 * Errors are printed as nft prints them and undo the whole batch.
 */
export function nftRun(ns: NetNamespace, input: string, opts: NftRunOptions = {}): NftResult {
  let commands: NftCommand[];
  try {
    commands = parseNft(input);
  } catch (e) {
    if (e instanceof NftError)
      return { stdout: '', stderr: formatNftError(input, e, opts.fileName), status: 1 };
    throw e;
  }
  const exec = new Executor(ns, opts);
  try {
    for (const cmd of commands) exec.run(cmd);
  } catch (e) {
    for (const u of exec.undo.reverse()) u();
    if (e instanceof NftError)
      return { stdout: '', stderr: formatNftError(input, e, opts.fileName), status: 1 };
    throw e;
  }
  if (opts.check === true) for (const u of exec.undo.reverse()) u();
  return { stdout: exec.stdout, stderr: '', status: 0 };
}

/**
 * `nft [-a] [-c] [-f FILE] [COMMAND…]` as the program takes its arguments. `readFile`
 * supplies `-f` input (`-` is standard input); it returns null when the file cannot be read.
 */
export function nftCommand(
  ns: NetNamespace,
  argv: readonly string[],
  readFile: (path: string) => string | null = () => null,
): NftResult {
  let handles = false;
  let check = false;
  let file: string | undefined;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '-a' || a === '--handle') handles = true;
    else if (a === '-c' || a === '--check') check = true;
    else if (a === '-f' || a === '--file') {
      file = argv[++i];
      if (file === undefined)
        return { stdout: '', stderr: `nft: option requires an argument -- 'f'\n`, status: 1 };
    } else if (a === '--') {
      i++;
      break;
    } else if (a.startsWith('-') && !/^-\d/.test(a)) {
      return { stdout: '', stderr: `nft: invalid option -- '${a.slice(1)}'\n`, status: 1 };
    } else break;
  }
  const opts = { handles, check };
  if (file !== undefined) {
    const text = readFile(file);
    if (text === null)
      return {
        stdout: '',
        stderr: `Error: Could not open file "${file}": ${strerror('ENOENT')}\n`,
        status: 1,
      };
    return nftRun(ns, text, { ...opts, fileName: file === '-' ? '/dev/stdin' : file });
  }
  const rest = argv.slice(i);
  if (rest.length === 0) return { stdout: '', stderr: '', status: 0 };
  return nftRun(ns, rest.join(' '), opts);
}
