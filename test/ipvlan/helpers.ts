// A lab for the spec's conformance scenarios (SC-*): the emulated machine of `ipvlan run
// --bare` (one host, IP stack, ipvlan loaded, `lo` up), driven through the real shell
// (`ip`, `ip netns exec NS ping`, `sysctl`), with the oracle scripts' topologies
// (`master`, `slave`, `topo` of test/fixtures/oracle/{g,h,i}-*.sh), tcpdump captures in
// any namespace, nft counting tables, per-device counters and per-namespace drop reasons.
import assert from 'node:assert/strict';
import { buildEmuWorld, type EmuSession } from '../../src/bin/emu-world.ts';
import { Shell } from '../../src/cli/script.ts';
import { startTcpdump } from '../../src/cli/tcpdump.ts';
import type { Kernel } from '../../src/stack/kernel.ts';
import type { LinkStats64, NetDevice } from '../../src/stack/netdev.ts';
import type { NetNamespace } from '../../src/stack/netns.ts';
import { nftCommand } from '../../src/stack/netfilter/api.ts';
import {
  findRecord,
  maskVariable,
  oracleRecords,
  type OracleRecord,
} from '../fixtures/oracle/index.ts';

export interface Run {
  readonly output: string;
  readonly exit: number;
}

/** The shared MAC of every master in the recordings. */
export const SHARED_MAC = '52:54:00:12:34:56';
export const EXT_MAC = '52:54:00:ab:cd:ef';

export class Lab {
  readonly session: EmuSession;
  readonly shell: Shell;
  #out = '';

  private constructor(session: EmuSession) {
    this.session = session;
    this.shell = new Shell({
      api: session.api,
      sys: session.sys,
      stdout: (t) => (this.#out += t),
      stderr: (t) => (this.#out += t),
    });
  }

  static async create(): Promise<Lab> {
    return new Lab(await buildEmuWorld({ bare: true }));
  }

  get kernel(): Kernel {
    return this.session.host.kernel;
  }

  /** Runs one shell line; returns what it printed (stdout and stderr merged) and its status. */
  async sh(line: string): Promise<Run> {
    this.#out = '';
    await this.shell.runLine(line);
    return { output: this.#out, exit: this.shell.status };
  }

  /** Runs lines that must succeed silently or not (setup). */
  async ok(...lines: string[]): Promise<void> {
    for (const line of lines) {
      const r = await this.sh(line);
      assert.equal(r.exit, 0, `${line}: ${r.output}`);
    }
  }

  /** Lets virtual time pass (timers, DAD, the multicast worker). */
  settle(ns = 1_000_000_000): void {
    this.session.world.runFor(ns);
  }

  net(ns: string | null = null): NetNamespace {
    return ns === null ? this.kernel.initNet : this.kernel.requireNetns(ns);
  }

  dev(ns: string | null, name: string): NetDevice {
    const dev = this.net(ns).getByName(name);
    assert.ok(dev, `no device ${name} in ${ns ?? 'init'}`);
    return dev;
  }

  stats(ns: string | null, name: string): LinkStats64 {
    return this.dev(ns, name).getStats64();
  }

  /** How many packets namespace `ns` dropped for `reason` (the kernel's drop counters). */
  drops(ns: string | null, reason: string): number {
    return this.net(ns).drops.get(reason as never) ?? 0;
  }

  /** `nft ARGV` in `ns` (`-f FILE` reads `file`); asserts success, returns stdout. */
  nft(ns: string | null, argv: readonly string[], file?: string): string {
    const r = nftCommand(this.net(ns), argv, () => file ?? null);
    assert.equal(r.status, 0, `nft ${argv.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  /**
   * The oracle scripts' `nftc NS ADDR`: a table `inet c` counting ADDR as source and as
   * destination at every hook.
   */
  nftc(ns: string | null, addr: string): void {
    const ch = (name: string, hook: string, prio: number) =>
      `  chain ${name} { type filter hook ${hook} priority ${prio}; ip saddr ${addr} counter; ip daddr ${addr} counter; }\n`;
    const script =
      'table inet c {\n' +
      ch('c_pre', 'prerouting', -300) +
      ch('c_in', 'input', 0) +
      ch('c_fw', 'forward', 0) +
      ch('c_out', 'output', 0) +
      ch('c_post', 'postrouting', 0) +
      '}\n';
    this.nft(ns, ['-f', 'c.nft'], script);
  }

  /** Packet counts of `nftc`'s rules: `{ pre: [saddr, daddr], in: [...], ... }`. */
  nftCounts(ns: string | null): Record<string, [number, number]> {
    const text = this.nft(ns, ['list', 'table', 'inet', 'c']);
    const out: Record<string, [number, number]> = {};
    let chain = '';
    for (const line of text.split('\n')) {
      const c = /chain c_(\w+)/.exec(line);
      if (c !== null) chain = c[1] ?? '';
      const m = /ip (saddr|daddr) \S+ counter packets (\d+)/.exec(line);
      if (m === null) continue;
      const entry = out[chain] ?? [0, 0];
      entry[m[1] === 'saddr' ? 0 : 1] = Number(m[2]);
      out[chain] = entry;
    }
    return out;
  }

  /**
   * The scripts' `cap`: `timeout 6 tcpdump -p -l -n -e -t -i DEV ARGS` in `ns`, in the
   * background; `stop()` lets the rest of the 6 virtual seconds pass and returns its output.
   */
  async cap(
    ns: string | null,
    dev: string,
    ...args: string[]
  ): Promise<{ stop(): Promise<string> }> {
    let text = '';
    const env = {
      api: this.session.api,
      sys: this.session.sys,
      ...(ns === null ? {} : { netns: ns }),
      stdout: (t: string) => (text += t),
      stderr: (t: string) => (text += t),
    };
    const job = await startTcpdump(env, ['-p', '-l', '-n', '-e', '-t', '-i', dev, ...args]);
    assert.notEqual(typeof job, 'number', `tcpdump on ${dev} did not start: ${text}`);
    const world = this.session.world;
    const end = world.now + 6_000_000_000;
    return {
      stop: async () => {
        if (world.now < end) world.runUntil(end);
        if (typeof job !== 'number') await job.stop();
        return showcap(text);
      },
    };
  }

  // ---------------------------------------------------------------- oracle topologies

  /** `v6off`: IPv6 disabled in the initial namespace (and for new ones). */
  async v6off(ns: string | null = null): Promise<void> {
    const pre = ns === null ? '' : `ip netns exec ${ns} `;
    await this.ok(
      `${pre}sysctl -qw net.ipv6.conf.all.disable_ipv6=1`,
      `${pre}sysctl -qw net.ipv6.conf.default.disable_ipv6=1`,
    );
  }

  /** `master`: veth0 (SHARED_MAC, 10.0.0.254/24) whose peer veth1 (EXT_MAC, 10.0.0.100/24) is in `ext`. */
  async master(opts: { v6?: boolean } = {}): Promise<void> {
    if (opts.v6 !== true) await this.v6off();
    await this.ok('ip netns add ext');
    if (opts.v6 !== true) await this.v6off('ext');
    await this.ok(
      'ip link add veth0 type veth peer name veth1',
      `ip link set veth0 address ${SHARED_MAC}`,
      `ip link set veth1 address ${EXT_MAC}`,
      'ip link set veth1 netns ext',
      'ip -n ext link set lo up',
      'ip -n ext addr add 10.0.0.100/24 dev veth1',
      'ip -n ext link set veth1 up',
      'ip addr add 10.0.0.254/24 dev veth0',
      'ip link set veth0 up',
    );
  }

  /** `slave N ADDR/PLEN ARGS`: ipvlN on veth0, moved to nsN, addressed and up. */
  async slave(i: number, addr: string, args: string, opts: { v6?: boolean } = {}): Promise<void> {
    await this.ok(`ip netns add ns${i}`);
    if (opts.v6 !== true) await this.v6off(`ns${i}`);
    await this.ok(
      `ip -n ns${i} link set lo up`,
      `ip link add link veth0 ipvl${i} type ipvlan ${args}`.trim(),
      `ip link set ipvl${i} netns ns${i}`,
      `ip -n ns${i} addr add ${addr} dev ipvl${i}`,
      `ip -n ns${i} link set ipvl${i} up`,
    );
  }

  /** g-l2-traffic's `topo N ARGS`: master plus N slaves 10.0.0.(i+1)/24. */
  async topo(n: number, args: string): Promise<void> {
    await this.master();
    for (let i = 0; i < n; i++) await this.slave(i, `10.0.0.${i + 1}/24`, args);
    await this.ok('sleep 0.5');
  }
}

/** The recording scripts' `showcap`: tcpdump's text without blank and banner lines. */
export function showcap(text: string): string {
  return text
    .split('\n')
    .filter((l) => l !== '' && !/verbose output|listening on/.test(l))
    .map((l) => `${l}\n`)
    .join('');
}

/** The last `n` lines of `text` (`| tail -n`). */
export function tail(text: string, n: number): string {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines
    .slice(-n)
    .map((l) => `${l}\n`)
    .join('');
}

/** Lines of `text` matching `re` (`| grep`). */
export function grep(text: string, re: RegExp): string {
  return text
    .split('\n')
    .filter((l) => l !== '' && re.test(l))
    .map((l) => `${l}\n`)
    .join('');
}

/** A record of the recording `scenario` (see test/fixtures/oracle/README.md). */
export function rec(
  scenario: string,
  command: string,
  section: string,
  occurrence = 0,
): OracleRecord {
  const records = oracleRecords(scenario).filter((r) => r.section?.startsWith(section) === true);
  return findRecord(records, command, { occurrence });
}

/** The `showcap` block `--- capture NAME` printed after a command of a recording. */
export function recCapture(scenario: string, section: string, name: string): string {
  for (const r of oracleRecords(scenario)) {
    if (r.section?.startsWith(section) !== true) continue;
    const i = r.output.indexOf(`--- capture ${name}\n`);
    if (i < 0) continue;
    const rest = r.output.slice(i + `--- capture ${name}\n`.length);
    const end = rest.indexOf('--- capture ');
    return end < 0 ? rest : rest.slice(0, end);
  }
  throw new Error(`no capture ${name} in ${scenario} ${section}`);
}

/** Ifindexes differ from a fresh boot's: `N: ` and `@ifN` masked. */
export function maskIfindex(text: string): string {
  return (
    text
      .replace(/^\d+: /gm, 'N: ')
      // `ip -br` pads the name column, whose width then depends on the digits.
      .replace(/@if\d+ {2,}/g, '@ifN  ')
      .replace(/@if\d+/g, '@ifN')
      .replace(/^(\d+):\t/gm, 'N:\t')
      .replace(/"(ifindex|link_index)":\d+/g, '"$1":N')
  );
}

/**
 * Runs the recorded command `command` (its `occurrence`-th in `section` of `scenario`)
 * on the lab and asserts Linux's output and status, ping times, ICMP ids and
 * ifindexes masked. `| tail -N` and `| grep WORD` of the recording are applied here.
 */
export async function expectRecorded(
  lab: Lab,
  scenario: string,
  section: string,
  command: string,
  occurrence = 0,
): Promise<Run> {
  return replayRecord(lab, rec(scenario, command, section, occurrence), scenario);
}

/** Runs one record on the lab and asserts what Linux printed (see `expectRecorded`). */
export async function replayRecord(
  lab: Lab,
  r: OracleRecord,
  scenario: string,
  maskExpected: (text: string) => string = (t) => t,
): Promise<Run> {
  const command = r.command;
  let line = command;
  let post = (t: string): string => t;
  const t = / \| tail -(\d+)$/.exec(line);
  const g = / \| grep (\S+)$/.exec(line);
  if (t !== null) {
    line = line.slice(0, t.index);
    post = (s) => tail(s, Number(t[1]));
  } else if (g !== null) {
    line = line.slice(0, g.index);
    const word = g[1] ?? '';
    post = (s) => grep(s, new RegExp(word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  }
  const run = await lab.sh(line);
  const mask = (s: string): string => maskVariable(maskIfindex(s));
  // The recording glues `showcap` blocks after the command that precedes `wait`.
  // Its `[exit N]` then stands on its own line before the first block.
  let want = r.output.split('--- capture ')[0] ?? '';
  let exit = r.exit;
  const glued = /\[exit (\d+)\]\n$/.exec(want);
  if (glued !== null) {
    want = want.slice(0, glued.index);
    exit = Number(glued[1]);
  }
  const where = `${scenario} line ${r.line}: $ ${command}`;
  assert.equal(mask(maskExpected(post(run.output))), mask(maskExpected(want)), where);
  assert.equal(run.exit, exit, `${where} (exit)`);
  return run;
}

/** How to replay one section of a recording on a fresh lab. */
export interface SectionReplay {
  /** Lines run first (the script's unrecorded `base`, `ip netns add`, loops). */
  readonly setup?: readonly string[];
  /** Recorded commands not run (tools or kinds the emulator lacks), with why in the caller. */
  readonly skip?: RegExp;
  /** Unrecorded lines the script ran just before a recorded command. */
  readonly before?: ReadonlyMap<string, readonly string[]>;
  /** Applied to both outputs (e.g. lines of modules the guest had loaded, random MACs). */
  readonly maskExpected?: (text: string) => string;
}

/** Replays every recorded command of `section`; returns how many were compared. */
export async function replaySection(
  scenario: string,
  section: string,
  how: SectionReplay = {},
): Promise<number> {
  const lab = await Lab.create();
  await lab.ok(...(how.setup ?? []));
  let compared = 0;
  for (const r of oracleRecords(scenario)) {
    if (r.section?.startsWith(section) !== true) continue;
    const pre = how.before?.get(r.command);
    if (pre !== undefined) for (const l of pre) await lab.sh(l);
    if (how.skip?.test(r.command) === true) continue;
    await replayRecord(lab, r, scenario, how.maskExpected);
    compared++;
  }
  return compared;
}
