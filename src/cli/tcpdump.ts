// tcpdump(8) 4.99.3 over a capture of the system API: `-i IF [-n] [-t] [-e] [-q]
// [-c N] [-w FILE] [expression]`, lines in tcpdump's words (src/wire/describe.ts), the
// banner and the closing counters on stderr as tcpdump prints them (checked against
// test/fixtures/oracle/l-ping.out). Timestamps are the world's virtual time of day.
//
// A capture runs alongside the script: `tcpdump ... &` starts a background job whose
// lines appear as the world produces frames, and `wait` (or the end of the script)
// stops it. In the foreground, tcpdump lets the world run until it is idle (or -c
// frames were seen) and then stops as if interrupted.
//
// Differs from Linux: names are never resolved (-n is always in effect), -q does not
// shorten lines, and -e prints the link header only for Ethernet II frames.

import { isErrno, strerror } from '../base/errno.ts';
import type { CaptureHandle, SystemNanos } from '../rtnl/system.ts';
import { describe } from '../wire/describe.ts';
import { MacAddr } from '../wire/address.ts';
import { be16 } from '../wire/bytes.ts';
import { PcapWriter } from '../wire/pcap.ts';
import { getopt, toolCtx, type ToolEnv } from './command.ts';
import { compileFilter, FilterError, type FrameFilter } from './tcpdump-filter.ts';

const USAGE = `tcpdump version 4.99.3
libpcap version 1.10.3 (with TPACKET_V3)
Usage: tcpdump [-AbdDefhHIJKlLnNOpqStuUvxX#] [ -B size ] [ -c count ] [--count]
\t\t[ -C file_size ] [ -E algo:secret ] [ -F file ] [ -G seconds ]
\t\t[ -i interface ] [ --immediate-mode ] [ -j tstamptype ]
\t\t[ -M secret ] [ --number ] [ --print ] [ -Q in|out|inout ]
\t\t[ -r file ] [ -s snaplen ] [ -T type ] [ --version ]
\t\t[ -V file ] [ -w file ] [ -W filecount ] [ -y datalinktype ]
\t\t[ --time-stamp-precision precision ] [ --micro ] [ --nano ]
\t\t[ -z postrotate-command ] [ -Z user ] [ expression ]
`;

const ETHERTYPES: ReadonlyMap<number, string> = new Map([
  [0x0800, 'IPv4'],
  [0x0806, 'ARP'],
  [0x86dd, 'IPv6'],
  [0x8100, '802.1Q'],
  [0x88a8, '802.1Q-QinQ'],
]);

/** HH:MM:SS.uuuuuu of a virtual time (tcpdump's default -tttt-less stamp). */
export function timeOfDay(ns: SystemNanos): string {
  const us = Math.floor(ns / 1000);
  const day = 86_400_000_000;
  const t = ((us % day) + day) % day;
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const h = Math.floor(t / 3_600_000_000);
  const m = Math.floor(t / 60_000_000) % 60;
  const s = Math.floor(t / 1_000_000) % 60;
  return `${p2(h)}:${p2(m)}:${p2(s)}.${String(t % 1_000_000).padStart(6, '0')}`;
}

/** One line as tcpdump prints it, with the -e link header when asked. */
export function formatFrame(frame: Uint8Array, linkHeader: boolean): string {
  const text = describe(frame);
  if (!linkHeader || frame.length < 14) return text;
  const type = be16(frame, 12);
  const name = ETHERTYPES.get(type);
  if (name === undefined || type === 0x8100 || type === 0x88a8) return text;
  const src = MacAddr.fromBytes(frame, 6).toString();
  const dst = MacAddr.fromBytes(frame, 0).toString();
  // With -e the network layer's own tag ("IP ", "IP6 ", "ARP, ") gives way to the link header.
  const inner = text.replace(/^(IP6? |ARP, )/, '');
  return `${src} > ${dst}, ethertype ${name} (0x${type.toString(16).padStart(4, '0')}), length ${frame.length}: ${inner}`;
}

interface TcpdumpOptions {
  iface: string;
  count: number;
  stamp: boolean;
  linkHeader: boolean;
  write: string | undefined;
  filter: FrameFilter;
}

/** A running tcpdump: `poll` prints what arrived, `stop` ends it with the counters. */
export interface TcpdumpJob {
  /** Prints new matching frames; true once -c frames were printed. */
  poll(): Promise<boolean>;
  /** Stops the capture, prints the counters (and writes -w), returns the exit status. */
  stop(): Promise<number>;
}

function parse(env: ToolEnv, argv: readonly string[]): TcpdumpOptions | number {
  const parsed = getopt(argv, 'AbdDefhHIJKlLnNOpqStuUvxX#c:i:s:w:r:y:B:C:E:F:G:M:Q:T:V:W:z:Z:j:');
  if ('kind' in parsed) {
    const what =
      parsed.kind === 'missing'
        ? `option requires an argument -- '${parsed.opt}'`
        : `invalid option -- '${parsed.opt}'`;
    env.stderr(`tcpdump: ${what}\n${USAGE}`);
    return 1;
  }
  let iface: string | undefined;
  let count = 0;
  let stamp = true;
  let linkHeader = false;
  let write: string | undefined;
  for (const [opt, value = ''] of parsed.opts) {
    if (opt === 'i') iface = value;
    else if (opt === 'c') {
      if (!/^\d+$/.test(value) || Number(value) <= 0) {
        env.stderr(`tcpdump: invalid packet count ${value}\n`);
        return 1;
      }
      count = Number(value);
    } else if (opt === 't') stamp = false;
    else if (opt === 'e') linkHeader = true;
    else if (opt === 'w') write = value;
    else if (opt === 'h') {
      env.stderr(USAGE);
      return 0;
    } else if (opt === 'r') {
      env.stderr(`tcpdump: -r is not supported here\n`);
      return 1;
    }
  }
  if (iface === undefined) {
    // tcpdump picks the first non-loopback device that is up; scripts here always name one.
    env.stderr('tcpdump: no interface given (use -i IF)\n');
    return 1;
  }
  let filter: FrameFilter;
  try {
    filter = compileFilter(parsed.operands);
  } catch (err) {
    if (!(err instanceof FilterError)) throw err;
    env.stderr(`tcpdump: can't parse filter expression: ${err.message}\n`);
    return 1;
  }
  return { iface, count, stamp, linkHeader, write, filter };
}

/**
 * Starts `tcpdump ARGV...`: prints the banner and returns the running job, or the exit
 * status when it could not start (unknown interface, bad options).
 */
export async function startTcpdump(
  env: ToolEnv,
  argv: readonly string[],
): Promise<TcpdumpJob | number> {
  const o = parse(env, argv);
  if (typeof o === 'number') return o;
  let handle: CaptureHandle;
  try {
    handle = await env.sys.capture.start(toolCtx(env), o.iface);
  } catch (err) {
    if (!isErrno(err)) throw err;
    const text = err.code === 'ENODEV' ? 'No such device exists' : strerror(err.code);
    env.stderr(`tcpdump: ${o.iface}: ${text}\n(${text})\n`);
    return 1;
  }
  const banner = `listening on ${o.iface}, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n`;
  if (o.write === undefined) {
    env.stderr('tcpdump: verbose output suppressed, use -v[v]... for full protocol decode\n');
    env.stderr(banner);
  } else {
    env.stderr(`tcpdump: ${banner}`);
  }
  const pcap = o.write === undefined ? undefined : new PcapWriter({ resolution: 'us' });
  let captured = 0;
  let matched = 0;
  let stopped = false;
  const full = (): boolean => o.count > 0 && captured >= o.count;
  const poll = async (): Promise<boolean> => {
    if (stopped) return full();
    for (const f of await handle.take()) {
      if (!o.filter(f.bytes)) continue;
      matched++;
      if (full()) continue;
      captured++;
      if (pcap !== undefined) pcap.writePacket(f.time, f.bytes);
      else
        env.stdout(
          `${o.stamp ? `${timeOfDay(f.time)} ` : ''}${formatFrame(f.bytes, o.linkHeader)}\n`,
        );
    }
    return full();
  };
  const stop = async (): Promise<number> => {
    if (stopped) return 0;
    await poll();
    stopped = true;
    await handle.stop();
    if (pcap !== undefined && o.write !== undefined) {
      if (env.writeFile === undefined) {
        env.stderr(`tcpdump: ${o.write}: Read-only file system\n`);
        return 1;
      }
      await env.writeFile(o.write, pcap.drain());
    }
    env.stderr(
      `${captured} packets captured\n${matched} packets received by filter\n0 packets dropped by kernel\n`,
    );
    return 0;
  };
  return { poll, stop };
}

/** Foreground `tcpdump`: runs the world until idle or -c frames, then stops. */
export async function runTcpdump(env: ToolEnv, argv: readonly string[]): Promise<number> {
  const job = await startTcpdump(env, argv);
  if (typeof job === 'number') return job;
  await env.sys.clock.settle();
  await job.poll();
  return job.stop();
}
