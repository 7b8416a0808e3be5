// `npm run bench:linux`: TCP throughput (iperf3) and ping latency between two
// namespaces over each data path, in one run, with medians of several repetitions
// interleaved across variants (the machine is noisy: compare ratios, expect ±30 %).
//
//   veth          a veth pair straight between the namespaces (kernel)
//   macvlan       two macvlan bridge-mode devices on one veth end (kernel)
//   c-tap         the minimal C TAP forwarder, IFF_VNET_HDR + TSO/CSUM (built with gcc)
//   js-tap        the backend's forwarder in the I/O worker, same topology as c-tap
//   js-packet     TAP ↔ AF_PACKET on a master veth ↔ upstream (the slave→master path)
//   daemon        `ipvlan daemon`: two L2 slaves (TAPs) on one master, slave ↔ slave
//   daemon-many   as daemon, with 150 more (idle) slaves on the master: per-round cost
//                 must not grow with the number of slaves
//   daemon-up     `ipvlan daemon`: an L2 slave ↔ the upstream through the master
//   restart       `kill -9` of the daemon and a new one: time to the first reply
//   first-ping    `ip addr add; ip link set up` on two new slaves, then at once one ping:
//                 how often its first packet makes it (the daemon learns by events)
//
// Root only (prints why and exits 0 otherwise). Everything lives in namespaces named
// lxd-<pid>-…, addresses 10.231.9.0/24; all are deleted at the end, also on failure.
// Options: --reps N (default 3), --time S (iperf3 seconds, default 3), --only a,b.

import { spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonProc } from '../../test/linux/daemon-helpers.ts';
import { Sandbox, linuxTestsUnavailable, sweepStale } from '../../test/linux/netns.ts';

const args = process.argv.slice(2);
function opt(name: string, fallback: string): string {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
}
const REPS = Number(opt('--reps', '3'));
const SECONDS = Number(opt('--time', '3'));
const ONLY = opt('--only', '')
  .split(',')
  .filter((s) => s !== '');

const A_ADDR = '10.231.9.1';
const B_ADDR = '10.231.9.2';
/** The upstream router's address when both ends are slaves. */
const UP_ADDR = '10.231.9.3';
const here = new URL('.', import.meta.url).pathname;
/** Idle slaves beside the two busy ones in the daemon-many variant. */
const IDLE_SLAVES = 150;

interface Topology {
  readonly box: Sandbox;
  readonly a: string;
  readonly b: string;
  readonly proc?: ChildProcess;
}

interface Variant {
  readonly name: string;
  readonly what: string;
  setup(box: Sandbox): Promise<Topology>;
}

let fwdBinary = '';

/** Waits for a child to print "ready" (bounded), or fails with its stderr. */
function waitReady(child: ChildProcess, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start: ${err}`)), 15_000);
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}): ${err}`));
    });
  });
}

function endpoints(box: Sandbox): { a: string; b: string } {
  return { a: box.addNetns('a'), b: box.addNetns('b') };
}

function addrUp(box: Sandbox, ns: string, dev: string, addr: string): void {
  box.ip(ns, 'addr', 'add', `${addr}/24`, 'dev', dev);
  box.ip(ns, 'link', 'set', dev, 'up');
}

/** Two TAPs opened by a forwarder process in namespace h, then moved to a and b. */
async function tapPair(
  box: Sandbox,
  argv: (ta: string, tb: string) => string[],
  what: string,
): Promise<Topology> {
  const { a, b } = endpoints(box);
  const h = box.addNetns('h');
  const ta = box.ifName('ta');
  const tb = box.ifName('tb');
  const proc = box.spawn(h, argv(ta, tb));
  await waitReady(proc, what);
  box.ip(h, 'link', 'set', ta, 'netns', a);
  box.ip(h, 'link', 'set', tb, 'netns', b);
  addrUp(box, a, ta, A_ADDR);
  addrUp(box, b, tb, B_ADDR);
  return { box, a, b, proc };
}

const VARIANTS: readonly Variant[] = [
  {
    name: 'veth',
    what: 'veth pair (kernel)',
    setup: async (box) => {
      const { a, b } = endpoints(box);
      const [va, vb] = box.addVeth('va', a, 'vb', b);
      addrUp(box, a, va, A_ADDR);
      addrUp(box, b, vb, B_ADDR);
      return { box, a, b };
    },
  },
  {
    name: 'macvlan',
    what: 'macvlan bridge (kernel)',
    setup: async (box) => {
      const { a, b } = endpoints(box);
      const h = box.addNetns('h');
      const up = box.addNetns('up');
      const [m0, m1] = box.addVeth('m0', h, 'm1', up);
      // The peer must be up too, or m0 (and the macvlans on it) have no carrier.
      box.ip(up, 'link', 'set', m1, 'up');
      box.ip(h, 'link', 'set', m0, 'up');
      const ma = box.ifName('ma');
      const mb = box.ifName('mb');
      box.ip(h, 'link', 'add', ma, 'link', m0, 'type', 'macvlan', 'mode', 'bridge');
      box.ip(h, 'link', 'add', mb, 'link', m0, 'type', 'macvlan', 'mode', 'bridge');
      box.ip(h, 'link', 'set', ma, 'netns', a);
      box.ip(h, 'link', 'set', mb, 'netns', b);
      addrUp(box, a, ma, A_ADDR);
      addrUp(box, b, mb, B_ADDR);
      return { box, a, b };
    },
  },
  {
    name: 'c-tap',
    what: 'C TAP forwarder, vnet+TSO',
    setup: (box) => tapPair(box, (ta, tb) => [fwdBinary, ta, tb], 'fwd.c'),
  },
  {
    name: 'js-tap',
    what: 'JS TAP forwarder (I/O worker)',
    setup: (box) =>
      tapPair(
        box,
        (ta, tb) => [
          process.execPath,
          '--import',
          'tsx',
          join(here, 'js-forwarder.ts'),
          'tap-tap',
          ta,
          tb,
        ],
        'js-forwarder',
      ),
  },
  {
    name: 'js-packet',
    what: 'JS TAP↔AF_PACKET master→upstream',
    setup: async (box) => {
      const { a, b } = endpoints(box);
      const h = box.addNetns('h');
      const [m0, m1] = box.addVeth('m0', h, 'm1', b);
      box.ip(h, 'link', 'set', m0, 'up');
      addrUp(box, b, m1, B_ADDR);
      const t = box.ifName('t');
      const proc = box.spawn(h, [
        process.execPath,
        '--import',
        'tsx',
        join(here, 'js-forwarder.ts'),
        'tap-packet',
        t,
        m0,
      ]);
      await waitReady(proc, 'js-forwarder');
      box.ip(h, 'link', 'set', t, 'netns', a);
      addrUp(box, a, t, A_ADDR);
      return { box, a, b, proc };
    },
  },
  {
    name: 'daemon',
    what: 'ipvlan daemon L2 slave↔slave',
    setup: (box) => daemonSlavePair(box, 0),
  },
  {
    name: 'daemon-many',
    what: `ipvlan daemon, 2 of ${IDLE_SLAVES + 2} slaves busy`,
    setup: (box) => daemonSlavePair(box, IDLE_SLAVES),
  },
  {
    name: 'daemon-up',
    what: 'ipvlan daemon L2 slave→upstream',
    setup: async (box) => {
      const a = box.addNetns('a');
      const { d, master, upstream } = await daemonHome(box, B_ADDR);
      const sa = box.ifName('sa');
      d.linkOk('add', 'link', master, 'name', sa, 'type', 'ipvlan', 'mode', 'l2', 'netns', a);
      addrUp(box, a, sa, A_ADDR);
      return { box, a, b: upstream, ...(d.proc === null ? {} : { proc: d.proc }) };
    },
  },
];

/**
 * Two L2 slaves of one daemon, in namespaces a and b, after `idle` more slaves that
 * stay in the daemon's namespace, down (their TAPs are watched all the same).
 */
async function daemonSlavePair(box: Sandbox, idle: number): Promise<Topology> {
  const { a, b } = endpoints(box);
  const { d, master } = await daemonHome(box, UP_ADDR);
  for (let k = 0; k < idle; k++)
    d.linkOk('add', 'link', master, 'name', box.ifName(`i${k}`), 'type', 'ipvlan');
  const sa = box.ifName('sa');
  const sb = box.ifName('sb');
  d.linkOk('add', 'link', master, 'name', sa, 'type', 'ipvlan', 'mode', 'l2', 'netns', a);
  d.linkOk('add', 'link', master, 'name', sb, 'type', 'ipvlan', 'mode', 'l2', 'netns', b);
  addrUp(box, a, sa, A_ADDR);
  addrUp(box, b, sb, B_ADDR);
  return { box, a, b, ...(d.proc === null ? {} : { proc: d.proc }) };
}

/** Every daemon the bench started: their state directories go at exit, also on failure. */
const daemons = new Set<DaemonProc>();
process.once('exit', () => {
  for (const d of daemons) d.cleanup();
});

/** A daemon in namespace h whose master veth leads to `up`, which holds `upAddr`. */
async function daemonHome(
  box: Sandbox,
  upAddr: string,
): Promise<{ d: DaemonProc; master: string; upstream: string }> {
  const h = box.addNetns('h');
  const upstream = box.addNetns('up');
  const [m0, m1] = box.addVeth('m0', h, 'm1', upstream);
  box.ip(h, 'link', 'set', m0, 'up');
  addrUp(box, upstream, m1, upAddr);
  const d = new DaemonProc(box, h);
  daemons.add(d);
  await d.start();
  return { d, master: m0, upstream };
}

/** What the spawned daemon runs: `ipvlan version` says compiled dist/ or the sources. */
function fromWhat(): string {
  const bin = new URL('../../bin/ipvlan.js', import.meta.url).pathname;
  const r = spawnSync(process.execPath, [bin, 'version'], { encoding: 'utf8' });
  return r.stdout.trim().replace(/^ipvlan\.ts \S+, /, '');
}

/** iperf3 TCP a → b for SECONDS; bits per second received. */
async function tcp(t: Topology): Promise<number> {
  const server = t.box.spawn(t.b, ['iperf3', '-s', '-1', '-B', B_ADDR]);
  try {
    for (let i = 0; i < 50; i++) {
      if (/:5201\b/.test(t.box.exec(t.b, ['ss', '-ltn']).stdout)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const r = t.box.exec(
      t.a,
      ['iperf3', '-c', B_ADDR, '-t', String(SECONDS), '-J'],
      (SECONDS + 20) * 1000,
    );
    if (r.status !== 0) throw new Error(`iperf3 failed: ${r.stderr || r.stdout.slice(0, 300)}`);
    const j = JSON.parse(r.stdout) as {
      error?: string;
      end?: { sum_received?: { bits_per_second: number } };
    };
    const bps = j.end?.sum_received?.bits_per_second;
    if (bps === undefined) throw new Error(`iperf3: ${j.error ?? 'no result'}`);
    return bps;
  } finally {
    server.kill('SIGKILL');
  }
}

/**
 * Median round-trip times a → b in µs, after one warm-up ping for ARP: `idle` from 200
 * pings 10 ms apart, where every request finds the forwarder asleep in poll() and the
 * thread wake-ups dominate; `busy` from 400 pings 0.5 ms apart, where it shows mostly
 * the forwarder's own per-frame cost.
 */
function latency(t: Topology): { idle: number; busy: number } {
  t.box.exec(t.a, ['ping', '-c', '1', '-W', '2', B_ADDR]);
  const run = (count: number, interval: string): number => {
    const r = t.box.exec(
      t.a,
      ['ping', '-c', String(count), '-i', interval, '-W', '2', B_ADDR],
      30_000,
    );
    const times = [...r.stdout.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]) * 1000);
    if (times.length === 0) throw new Error(`ping got no replies: ${r.stdout}${r.stderr}`);
    return median(times);
  };
  return { idle: run(200, '0.01'), busy: run(400, '0.0005') };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/**
 * `kill -9` of the daemon, then a new one on the same state directory: the time from
 * spawning it to the first echo reply slave → slave, in ms. A ping every 10 ms runs
 * through the kill and the start; its `-D` timestamps date the replies.
 */
async function restartOnce(): Promise<number> {
  const box = new Sandbox();
  let d: DaemonProc | undefined;
  try {
    const { a, b } = endpoints(box);
    const home = await daemonHome(box, UP_ADDR);
    d = home.d;
    const sa = box.ifName('sa');
    const sb = box.ifName('sb');
    d.linkOk('add', 'link', home.master, 'name', sa, 'type', 'ipvlan', 'netns', a);
    d.linkOk('add', 'link', home.master, 'name', sb, 'type', 'ipvlan', 'netns', b);
    addrUp(box, a, sa, A_ADDR);
    addrUp(box, b, sb, B_ADDR);
    box.exec(a, ['ping', '-c', '1', '-W', '2', B_ADDR]);
    const probe = box.spawn(a, ['ping', '-D', '-i', '0.01', '-W', '1', '-w', '30', B_ADDR]);
    let out = '';
    probe.stdout?.on('data', (x: Buffer) => (out += x.toString()));
    try {
      await d.kill9();
      d.log = '';
      const spawnedAt = Date.now() / 1000;
      await d.start();
      const deadline = Date.now() + 10_000;
      for (;;) {
        const first = [...out.matchAll(/^\[(\d+\.\d+)\] \d+ bytes from/gm)]
          .map((m) => Number(m[1]))
          .find((t) => t > spawnedAt);
        if (first !== undefined) return (first - spawnedAt) * 1000;
        if (Date.now() > deadline) throw new Error('no reply within 10 s of the restart');
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      probe.kill('SIGKILL');
    }
  } finally {
    await d?.stop();
    box.cleanup();
    d?.cleanup();
  }
}

/**
 * Pairs of new L2 slaves configured with `ip addr add; ip link set up`, then at once
 * `ping -c 1 -W 1` between them: how many of `pairs` replied to that first packet (a
 * miss means the daemon had not applied the address or up state yet: ARP retries 1 s
 * later).
 */
async function firstPings(pairs: number): Promise<number> {
  const box = new Sandbox();
  let d: DaemonProc | undefined;
  try {
    const home = await daemonHome(box, UP_ADDR);
    d = home.d;
    let ok = 0;
    for (let k = 0; k < pairs; k++) {
      const ns = [box.addNetns(`f${k}a`), box.addNetns(`f${k}b`)];
      const names = [box.ifName(`f${k}a`), box.ifName(`f${k}b`)];
      const addrs = [`10.231.10.${2 * k + 1}`, `10.231.10.${2 * k + 2}`];
      for (let i = 0; i < 2; i++)
        d.linkOk(
          'add',
          'link',
          home.master,
          'name',
          names[i] as string,
          'type',
          'ipvlan',
          'netns',
          ns[i] as string,
        );
      for (let i = 0; i < 2; i++) {
        box.ip(ns[i] as string, 'addr', 'add', `${addrs[i]}/24`, 'dev', names[i] as string);
        box.ip(ns[i] as string, 'link', 'set', names[i] as string, 'up');
      }
      const r = box.exec(ns[0] as string, ['ping', '-c', '1', '-W', '1', addrs[1] as string]);
      if (r.status === 0) ok++;
    }
    return ok;
  } finally {
    await d?.stop();
    box.cleanup();
    d?.cleanup();
  }
}

async function stopProc(p: ChildProcess | undefined): Promise<void> {
  if (p === undefined || p.exitCode !== null) return;
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  p.kill('SIGTERM');
  const t = setTimeout(() => p.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(t);
}

async function main(): Promise<void> {
  const why = linuxTestsUnavailable();
  if (why !== null) {
    console.log(`bench:linux skipped: ${why} (it needs root, /dev/net/tun and ip netns).`);
    return;
  }
  for (const tool of ['iperf3', 'ping', 'gcc'])
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
      console.log(`bench:linux skipped: ${tool} is not installed.`);
      return;
    }
  sweepStale();
  const dir = mkdtempSync(join(tmpdir(), 'lxd-bench-'));
  try {
    fwdBinary = join(dir, 'fwd');
    const cc = spawnSync('gcc', ['-O2', '-Wall', '-o', fwdBinary, join(here, 'fwd.c')], {
      encoding: 'utf8',
    });
    if (cc.status !== 0) throw new Error(`gcc failed: ${cc.stderr}`);

    const variants = VARIANTS.filter((v) => ONLY.length === 0 || ONLY.includes(v.name));
    const tcpRuns = new Map<string, number[]>();
    const pingRuns = new Map<string, number[]>();
    const busyRuns = new Map<string, number[]>();
    console.log(
      `bench:linux: ${variants.length} variants × ${REPS} reps, iperf3 ${SECONDS} s, ` +
        `ping 200 × 10 ms (idle) and 400 × 0.5 ms (busy)`,
    );
    for (let rep = 1; rep <= REPS; rep++) {
      for (const v of variants) {
        const box = new Sandbox();
        let t: Topology | undefined;
        try {
          t = await v.setup(box);
          const bps = await tcp(t);
          const us = latency(t);
          (tcpRuns.get(v.name) ?? tcpRuns.set(v.name, []).get(v.name))?.push(bps);
          (pingRuns.get(v.name) ?? pingRuns.set(v.name, []).get(v.name))?.push(us.idle);
          (busyRuns.get(v.name) ?? busyRuns.set(v.name, []).get(v.name))?.push(us.busy);
          console.log(
            `  rep ${rep} ${v.name.padEnd(10)} ${(bps / 1e9).toFixed(2)} Gbit/s  ` +
              `ping idle ${us.idle.toFixed(0)} µs, busy ${us.busy.toFixed(0)} µs`,
          );
        } catch (err) {
          console.log(`  rep ${rep} ${v.name.padEnd(10)} FAILED: ${(err as Error).message}`);
        } finally {
          await stopProc(t?.proc);
          box.cleanup();
        }
      }
    }
    report(variants, tcpRuns, pingRuns, busyRuns);
    if (ONLY.length === 0 || ONLY.includes('first-ping')) {
      const pairs = 10 * REPS;
      const ok = await firstPings(pairs);
      console.log(
        `\nfirst ping right after ip addr add; ip link set up (${fromWhat()}): ${ok} of ${pairs} answered`,
      );
    }
    if (ONLY.length === 0 || ONLY.includes('restart')) {
      const times: number[] = [];
      for (let rep = 1; rep <= REPS; rep++) {
        try {
          const ms = await restartOnce();
          times.push(ms);
          console.log(
            `  rep ${rep} restart    first reply ${ms.toFixed(0)} ms after the new daemon's spawn`,
          );
        } catch (err) {
          console.log(`  rep ${rep} restart    FAILED: ${(err as Error).message}`);
        }
      }
      if (times.length > 0)
        console.log(
          `\nrestart after kill -9 (${fromWhat()}): first slave↔slave reply ` +
            `${median(times).toFixed(0)} ms median [${Math.min(...times).toFixed(0)}–${Math.max(...times).toFixed(0)}] after spawn`,
        );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(
  variants: readonly Variant[],
  tcpRuns: ReadonlyMap<string, number[]>,
  pingRuns: ReadonlyMap<string, number[]>,
  busyRuns: ReadonlyMap<string, number[]>,
): void {
  const medianOf = (runs: ReadonlyMap<string, number[]>, n: string): number | undefined => {
    const r = runs.get(n);
    return r === undefined || r.length === 0 ? undefined : median(r);
  };
  const tcpMed = (n: string): number | undefined => medianOf(tcpRuns, n);
  const pingMed = (n: string): number | undefined => medianOf(pingRuns, n);
  const busyMed = (n: string): number | undefined => medianOf(busyRuns, n);
  const mac = tcpMed('macvlan');
  const c = tcpMed('c-tap');
  const macPing = pingMed('macvlan');
  const macBusy = busyMed('macvlan');
  const delta = (x: number | undefined, y: number | undefined): string =>
    x === undefined || y === undefined ? '–' : `${(x - y).toFixed(0)}`;
  const ratio = (x: number | undefined, y: number | undefined): string =>
    x === undefined || y === undefined ? '–' : `${(x / y).toFixed(2)}×`;
  console.log('');
  console.log(
    '| variant | TCP Gbit/s median [min–max] | ×macvlan | ×C fwd | ping idle µs | Δ macvlan | ping busy µs | Δ macvlan |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const v of variants) {
    const runs = tcpRuns.get(v.name) ?? [];
    const t = tcpMed(v.name);
    const p = pingMed(v.name);
    const range =
      runs.length === 0
        ? 'failed'
        : `${((t ?? 0) / 1e9).toFixed(2)} [${(Math.min(...runs) / 1e9).toFixed(2)}–${(Math.max(...runs) / 1e9).toFixed(2)}]`;
    const b = busyMed(v.name);
    const us = (x: number | undefined): string => (x === undefined ? '–' : x.toFixed(0));
    console.log(
      `| ${v.what} | ${range} | ${ratio(t, mac)} | ${ratio(t, c)} | ${us(p)} | ${delta(p, macPing)} | ${us(b)} | ${delta(b, macBusy)} |`,
    );
  }
}

await main();
