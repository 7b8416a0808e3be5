// ping(8) of iputils 20221126 over a ping socket of the system API: the same option
// handling, the same calls in the same order (SO_BINDTODEVICE, bind, SO_BROADCAST,
// connect), and the same output byte for byte, with round-trip times measured in the
// world's virtual time (checked against test/fixtures/oracle/l-ping.out).
//
// Differs from Linux: names resolve only through a built-in /etc/hosts (`localhost`);
// without -c or -w the run stops as if interrupted after NO_COUNT_LIMIT of virtual
// time, since nobody can press ^C in a script; the interval may be shorter than
// iputils' 2 ms floor for non-root users (there is only root here).

import { ErrnoError, isErrno, strerror } from '../base/errno.ts';
import { AF_INET, AF_INET6 } from '../uapi/rtnetlink.ts';
import { formatIp, ipEquals, isIpv4, parseIpv4, Ipv6Addr, type IpAddr } from '../wire/address.ts';
import type { PingEvent, PingSocket, SystemNanos } from '../rtnl/system.ts';
import { getopt, toolCtx, type ToolEnv } from './command.ts';

const NS_PER_MS = 1_000_000;
const NS_PER_SEC = 1_000_000_000;

/** How long a ping without -c and -w runs before it stops as if interrupted. */
export const NO_COUNT_LIMIT: SystemNanos = 10 * NS_PER_SEC;

/** iputils' usage() text (stderr, exit 2). */
export const PING_USAGE = `
Usage
  ping [options] <destination>

Options:
  <destination>      dns name or ip address
  -a                 use audible ping
  -A                 use adaptive ping
  -B                 sticky source address
  -c <count>         stop after <count> replies
  -C                 call connect() syscall on socket creation
  -D                 print timestamps
  -d                 use SO_DEBUG socket option
  -e <identifier>    define identifier for ping session, default is random for
                     SOCK_RAW and kernel defined for SOCK_DGRAM
                     Imply using SOCK_RAW (for IPv4 only for identifier 0)
  -f                 flood ping
  -h                 print help and exit
  -I <interface>     either interface name or address
  -i <interval>      seconds between sending each packet
  -L                 suppress loopback of multicast packets
  -l <preload>       send <preload> number of packages while waiting replies
  -m <mark>          tag the packets going out
  -M <pmtud opt>     define mtu discovery, can be one of <do|dont|want>
  -n                 no dns name resolution
  -O                 report outstanding replies
  -p <pattern>       contents of padding byte
  -q                 quiet output
  -Q <tclass>        use quality of service <tclass> bits
  -s <size>          use <size> as number of data bytes to be sent
  -S <size>          use <size> as SO_SNDBUF socket option value
  -t <ttl>           define time to live
  -U                 print user-to-user latency
  -v                 verbose output
  -V                 print version and exit
  -w <deadline>      reply wait <deadline> in seconds
  -W <timeout>       time to wait for response

IPv4 options:
  -4                 use IPv4
  -b                 allow pinging broadcast
  -R                 record route
  -T <timestamp>     define timestamp, can be one of <tsonly|tsandaddr|tsprespec>

IPv6 options:
  -6                 use IPv6
  -F <flowlabel>     define flow label, default is random
  -N <nodeinfo opt>  use icmp6 node info query, try <help> as argument

For more details see ping(8).
`;

/** The option letters iputils' getopt string accepts (values after `:`). */
const OPTSTRING = 'h46aAbBc:CdDe:fF:hI:i:l:Lm:M:nN:Op:qQ:rRs:S:t:T:UvVw:W:';

/** Parsed command line. */
interface PingOptions {
  family: 0 | 4 | 6;
  count: number;
  /** Interval between probes (ns). */
  interval: SystemNanos;
  /** -W: how long to wait for the last reply (ns). */
  linger: SystemNanos;
  /** -w: overall deadline (ns), 0 for none. */
  deadline: SystemNanos;
  datalen: number;
  ttl: number | undefined;
  iface: string | undefined;
  broadcast: boolean;
  quiet: boolean;
  numeric: boolean;
  target: string;
}

/** Thrown inside the tool to end with iputils' message and status. */
class PingExit {
  readonly status: number;
  readonly stderr: string;
  constructor(status: number, stderr: string) {
    this.status = status;
    this.stderr = stderr;
  }
}

/** `error(status, 0, fmt)`: `ping: MSG`. */
function fail(status: number, msg: string): PingExit {
  return new PingExit(status, `ping: ${msg}\n`);
}

/** The built-in /etc/hosts (Debian's): name → addresses by family. */
const HOSTS: Readonly<Record<string, { readonly v4?: string; readonly v6?: string }>> = {
  localhost: { v4: '127.0.0.1', v6: '::1' },
  'ip6-localhost': { v6: '::1' },
  'ip6-loopback': { v6: '::1' },
};

/** getnameinfo() over the same table: the first name of an address. */
function reverseName(addr: IpAddr): string | undefined {
  const text = formatIp(addr);
  if (text === '127.0.0.1' || text === '::1') return 'localhost';
  return undefined;
}

/** strtod-like parse of a seconds value ("0.2", "1", "1e-1"). */
function seconds(text: string): number | null {
  if (!/^[+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return null;
  return Number(text);
}

/** strtol_or_err(): a decimal integer in [min, max]. */
function integer(text: string, min: number, max: number): number {
  if (!/^[-+]?\d+$/.test(text)) throw fail(1, `invalid argument: '${text}'`);
  const v = Number(text);
  if (v < min || v > max)
    throw fail(1, `invalid argument: '${text}': out of range: ${min} <= value <= ${max}`);
  return v;
}

function parseOptions(argv: readonly string[]): PingOptions {
  const parsed = getopt(argv, OPTSTRING);
  if ('kind' in parsed) {
    const what =
      parsed.kind === 'missing'
        ? `option requires an argument -- '${parsed.opt}'`
        : `invalid option -- '${parsed.opt}'`;
    throw new PingExit(2, `ping: ${what}\n${PING_USAGE}`);
  }
  const o: PingOptions = {
    family: 0,
    count: 0,
    interval: NS_PER_SEC,
    linger: 10 * NS_PER_SEC,
    deadline: 0,
    datalen: 56,
    ttl: undefined,
    iface: undefined,
    broadcast: false,
    quiet: false,
    numeric: false,
    target: '',
  };
  for (const [opt, value = ''] of parsed.opts) {
    switch (opt) {
      case '4':
      case '6':
        if (o.family !== 0 && o.family !== Number(opt))
          throw fail(2, 'only one -4 or -6 option may be specified');
        o.family = opt === '4' ? 4 : 6;
        break;
      case 'b':
        o.broadcast = true;
        break;
      case 'c':
        o.count = integer(value, 1, Number.MAX_SAFE_INTEGER);
        break;
      case 'i': {
        const s = seconds(value);
        if (s === null || s < 0) throw fail(2, `bad timing interval: ${value}`);
        o.interval = Math.round(s * NS_PER_SEC);
        break;
      }
      case 'W': {
        const s = seconds(value);
        if (s === null || s < 0) throw fail(2, `bad linger time: ${value}`);
        o.linger = Math.round(s * NS_PER_SEC);
        break;
      }
      case 'w':
        o.deadline = integer(value, 0, 2147483647) * NS_PER_SEC;
        break;
      case 's':
        o.datalen = integer(value, 0, 2147483647);
        break;
      case 't':
        o.ttl = integer(value, 0, 255);
        break;
      case 'I':
        o.iface = value;
        break;
      case 'q':
        o.quiet = true;
        break;
      case 'n':
        o.numeric = true;
        break;
      case 'h':
        throw new PingExit(2, PING_USAGE);
      case 'V':
        throw new PingExit(0, '');
      default:
        // Accepted and without effect here (audible, adaptive, marks, patterns, ...).
        break;
    }
  }
  const target = parsed.operands.at(-1);
  if (target === undefined) throw fail(1, 'usage error: Destination address required');
  o.target = target;
  return o;
}

/** The destination after name resolution. */
interface Destination {
  readonly addr: IpAddr;
  /** Device of a `%dev` scope on a link-local IPv6 address. */
  readonly scope: string | undefined;
  /** True when the target was given as a name (replies then show `name (addr)`). */
  readonly named: boolean;
}

function resolve(target: string, family: 0 | 4 | 6): Destination {
  const pct = target.indexOf('%');
  const bare = pct < 0 ? target : target.slice(0, pct);
  const scope = pct < 0 ? undefined : target.slice(pct + 1);
  const v4 = parseIpv4(bare);
  const v6 = v4 === null ? Ipv6Addr.parse(bare) : null;
  if (v4 !== null || v6 !== null) {
    const addr: IpAddr = v4 ?? (v6 as Ipv6Addr);
    if ((family === 6 && v4 !== null) || (family === 4 && v6 !== null))
      throw fail(2, `${target}: Address family for hostname not supported`);
    return { addr, scope, named: false };
  }
  const entry = HOSTS[target];
  const text = entry === undefined ? undefined : family === 6 ? entry.v6 : (entry.v4 ?? entry.v6);
  const addr = text === undefined ? null : (parseIpv4(text) ?? Ipv6Addr.parse(text));
  if (addr === null) throw fail(2, `${target}: Name or service not known`);
  return { addr, scope: undefined, named: true };
}

/** iputils' triptime format: 3 significant decimals below 10 ms, fewer above. */
export function formatRtt(us: number): string {
  if (us >= 100000 - 50) return `${Math.floor((us + 500) / 1000)}`;
  if (us >= 10000 - 5) {
    const t = Math.floor((us + 50) / 100);
    return `${Math.floor(t / 10)}.${t % 10}`;
  }
  if (us >= 1000) {
    const t = Math.floor((us + 5) / 10);
    return `${Math.floor(t / 100)}.${String(t % 100).padStart(2, '0')}`;
  }
  return `${Math.floor(us / 1000)}.${String(us % 1000).padStart(3, '0')}`;
}

/** `%ld.%03ld` of a microsecond value, as the rtt line prints it. */
function ms3(us: number): string {
  return `${Math.floor(us / 1000)}.${String(us % 1000).padStart(3, '0')}`;
}

/** printf `%g` for the loss percentage (6 significant digits, no trailing zeros). */
function percent(value: number): string {
  return String(Number(value.toPrecision(6)));
}

const ICMP4_UNREACH: readonly string[] = [
  'Destination Net Unreachable',
  'Destination Host Unreachable',
  'Destination Protocol Unreachable',
  'Destination Port Unreachable',
  'Frag needed and DF set',
  'Source Route Failed',
  'Destination Net Unknown',
  'Destination Host Unknown',
  'Source Host Isolated',
  'Destination Net Prohibited',
  'Destination Host Prohibited',
  'Destination Net Unreachable for Type of Service',
  'Destination Host Unreachable for Type of Service',
  'Packet filtered',
  'Precedence Violation',
  'Precedence Cutoff',
];

/** pr_icmph() of ping4 / ping6 for the errors a ping socket queues. */
export function icmpErrorText(family: 4 | 6, type: number, code: number, info: number): string {
  if (family === 4) {
    if (type === 3) {
      if (code === 4) return `Frag needed and DF set (mtu = ${info})`;
      return ICMP4_UNREACH[code] ?? `Dest Unreachable, Bad Code: ${code}`;
    }
    if (type === 11) {
      if (code === 0) return 'Time to live exceeded';
      if (code === 1) return 'Frag reassembly time exceeded';
      return `Time exceeded, Bad Code: ${code}`;
    }
    if (type === 12) return `Parameter problem: pointer = ${info}`;
    if (type === 4) return 'Source Quench';
    return `Bad ICMP type: ${type}`;
  }
  if (type === 1) {
    const codes = [
      'No route',
      'Administratively prohibited',
      'Beyond scope of source address',
      'Address unreachable',
      'Port unreachable',
    ];
    return `Destination unreachable: ${codes[code] ?? `Unknown code ${code}`}`;
  }
  if (type === 2) return `Packet too big: mtu=${info}`;
  if (type === 3) {
    if (code === 0) return 'Time exceeded: Hop limit';
    if (code === 1) return 'Time exceeded: Defragmentation failure';
    return `Time exceeded: Unknown code ${code}`;
  }
  if (type === 4) {
    const codes = ['Erroneous header field', 'Unknown header', 'Unknown option'];
    return `Parameter problem: ${codes[code] ?? `Unknown code ${code}`} at ${info}`;
  }
  return `Unknown icmp type: ${type}`;
}

/** The device that owns `addr` (getifaddrs), or undefined. */
async function ownerOf(env: ToolEnv, addr: IpAddr): Promise<string | undefined> {
  const ctx = toolCtx(env);
  const family = isIpv4(addr) ? AF_INET : AF_INET6;
  const addrs = await env.api.dumpAddrs(ctx, { family });
  const own = addrs.find((a) => {
    const a1 = a.local ?? a.address;
    return a1 !== undefined && ipEquals(a1, addr);
  });
  if (own === undefined) return undefined;
  const links = await env.api.dumpLinks(ctx);
  return links.find((l) => l.ifindex === own.ifindex)?.ifname;
}

/** The echo data iputils sends: a timeval of the send time, then bytes 0x10, 0x11, .... */
function echoData(datalen: number, now: SystemNanos): Uint8Array {
  const data = new Uint8Array(datalen);
  for (let i = 0; i < datalen; i++) data[i] = i & 0xff;
  if (datalen >= 16) {
    const view = new DataView(data.buffer);
    const us = Math.floor(now / 1000);
    view.setBigUint64(0, BigInt(Math.floor(us / 1e6)), true);
    view.setBigUint64(8, BigInt(us % 1e6), true);
  }
  return data;
}

/** Runs `ping ARGV...`; resolves to iputils' exit status (0, 1 or 2). */
export async function runPing(env: ToolEnv, argv: readonly string[]): Promise<number> {
  try {
    return await ping(env, parseOptions(argv));
  } catch (err) {
    if (err instanceof PingExit) {
      if (err.stderr !== '') env.stderr(err.stderr);
      return err.status;
    }
    if (isErrno(err)) {
      // A failure of the system itself (e.g. the namespace vanished): as perror would.
      env.stderr(`ping: ${strerror(err.code)}\n`);
      return 2;
    }
    throw err;
  }
}

async function ping(env: ToolEnv, o: PingOptions): Promise<number> {
  const dst = resolve(o.target, o.family);
  const family: 4 | 6 = isIpv4(dst.addr) ? 4 : 6;
  const ctx = toolCtx(env);
  let device: string | undefined;
  let source: IpAddr | undefined;
  if (o.iface !== undefined) {
    const a = parseIpv4(o.iface) ?? Ipv6Addr.parse(o.iface);
    if (a !== null && isIpv4(a) === (family === 4)) source = a;
    else device = o.iface;
  }
  const sock = await env.sys.ping.open(ctx, family);
  try {
    if (device !== undefined) {
      try {
        await sock.bindToDevice(device);
      } catch (err) {
        if (!isErrno(err)) throw err;
        throw fail(2, `SO_BINDTODEVICE ${device}: ${strerror(err.code)}`);
      }
    }
    if (source !== undefined) {
      try {
        await sock.bind(source);
      } catch (err) {
        if (!isErrno(err)) throw err;
        throw fail(2, `bind: ${strerror(err.code)}`);
      }
    }
    if (o.broadcast) await sock.setBroadcast(true);
    if (o.ttl !== undefined) await sock.setTtl(o.ttl);
    const linkLocal6 = !isIpv4(dst.addr) && (dst.addr.isLinkLocal || isMcLinkLocal(dst.addr));
    let chosen: IpAddr;
    try {
      chosen = await sock.connect(dst.addr, dst.scope ?? device);
    } catch (err) {
      if (!isErrno(err)) throw err;
      if (err.code === 'EACCES' && !o.broadcast)
        throw fail(
          2,
          'Do you want to ping broadcast? Then -b. If not, check your local firewall rules',
        );
      // iputils finds the route with a probe connect() only when no source was given,
      // and for a link-local (unicast or ff02::/16-scope multicast) IPv6 destination that
      // probe carries no address family (AF_UNSPEC: a disconnect, which succeeds). Then
      // only each sendto() fails, silently (o-down-device: `-I 192.168.1.1` and `-I veth0
      // fe80::…` on a down veth0: sendto()/sendmsg() = -1 ENETUNREACH, 100% loss, exit 1).
      if (source === undefined && !linkLocal6) throw fail(2, `connect: ${strerror(err.code)}`);
      chosen = source ?? Ipv6Addr.UNSPECIFIED;
    }
    // ping6 leaves the source unset for a link-local destination on a named device.
    const shownSource: IpAddr =
      family === 6 && device !== undefined && linkLocal6 ? Ipv6Addr.UNSPECIFIED : chosen;
    if (device !== undefined) {
      const owner = family === 6 && linkLocal6 ? undefined : await ownerOf(env, shownSource);
      if (owner !== device)
        env.stderr(
          `ping: Warning: source address might be selected on device other than: ${device}\n`,
        );
    }
    const multicast =
      family === 4 && (o.broadcast || (isIpv4(dst.addr) && dst.addr >>> 28 === 0xe))
        ? true
        : !isIpv4(dst.addr) && dst.addr.isMulticast;
    // iputils warns for any -b run whose connect() succeeded (l-ping: not for a failed
    // 255.255.255.255), without checking that the address is a broadcast one.
    if (family === 4 && o.broadcast) env.stderr('WARNING: pinging broadcast address\n');
    return await pingLoop(env, o, sock, dst, family, shownSource, device, multicast);
  } finally {
    await sock.close();
  }
}

/** IN6_IS_ADDR_MC_LINKLOCAL: ff02::/16 with any flags (ffX2::). */
function isMcLinkLocal(addr: Ipv6Addr): boolean {
  return addr.isMulticast && ((addr.bytes[1] as number) & 0x0f) === 2;
}

/** gather_statistics() state. */
interface Stats {
  ntransmitted: number;
  nreceived: number;
  nrepeats: number;
  nerrors: number;
  pipesize: number;
  tmin: number;
  tmax: number;
  tsum: number;
  tsum2: number;
  received: Set<number>;
  sentAt: Map<number, SystemNanos>;
  lastSend: SystemNanos;
}

async function pingLoop(
  env: ToolEnv,
  o: PingOptions,
  sock: PingSocket,
  dst: Destination,
  family: 4 | 6,
  source: IpAddr,
  device: string | undefined,
  multicast: boolean,
): Promise<number> {
  const from = o.iface !== undefined ? `from ${formatIp(source)} ${device ?? ''}: ` : '';
  if (family === 4) {
    env.stdout(
      `PING ${o.target} (${formatIp(dst.addr)}) ${from}${o.datalen}(${o.datalen + 28}) bytes of data.\n`,
    );
  } else {
    env.stdout(
      `PING ${o.target}(${dst.named ? formatIp(dst.addr) : o.target}) ${from}${o.datalen} data bytes\n`,
    );
  }
  const timing = o.datalen >= 16;
  const clock = env.sys.clock;
  const start = clock.now();
  const st: Stats = {
    ntransmitted: 0,
    nreceived: 0,
    nrepeats: 0,
    nerrors: 0,
    pipesize: 0,
    tmin: Number.MAX_SAFE_INTEGER,
    tmax: 0,
    tsum: 0,
    tsum2: 0,
    received: new Set(),
    sentAt: new Map(),
    lastSend: start,
  };
  const deadline =
    o.deadline > 0 ? start + o.deadline : o.count === 0 ? start + NO_COUNT_LIMIT : Infinity;
  const done = (): boolean => o.count > 0 && st.nreceived + st.nerrors >= o.count;
  let nextSend = start;
  let oomCount = 0;
  for (;;) {
    if (done()) break;
    const now = clock.now();
    if (now >= deadline) break;
    const allSent = o.count > 0 && st.ntransmitted >= o.count;
    if (!allSent && now >= nextSend) {
      const seq = (st.ntransmitted + 1) & 0xffff;
      try {
        const at = await sock.send(seq, echoData(o.datalen, now));
        st.sentAt.set(seq, at);
        st.ntransmitted++;
        st.lastSend = now;
        oomCount = 0;
        nextSend = now + o.interval;
      } catch (err) {
        if (!(err instanceof ErrnoError)) throw err;
        const noBuffers = err.code === 'ENOBUFS' || err.code === 'ENOMEM';
        if (noBuffers) {
          // iputils: the device queue is full; retry at half the interval (at most
          // 500 ms) until the linger time is used up, then count it as a hard error.
          const retry = Math.min(Math.floor(o.interval / 2), 500 * NS_PER_MS);
          oomCount++;
          if (oomCount * retry < o.linger) {
            nextSend = now + retry;
            continue;
          }
        }
        // Hard local error: iputils pretends the packet was sent. oom_count is only reset
        // by a successful send, so after one exhausted retry series every later ENOBUFS
        // fails at once (h-l3-traffic h2: 3 requests, 7 + 1 + 1 = 9 attempts).
        st.ntransmitted++;
        st.lastSend = now;
        nextSend = now + o.interval;
        // Only the exhausted ENOBUFS series is printed. For any other errno iputils first
        // reads the error queue (receive_error_msg); finding it empty (EAGAIN) counts as a
        // local error, and pinger prints no sendmsg line and adds nothing to "errors"
        // (n-nf-output-eperm: sendto() = -1 EPERM from a netfilter drop, then silence and
        // the full linger wait; l-ping: `-s 70000`, EMSGSIZE, prints nothing either).
        if (noBuffers && !o.quiet) env.stderr(`ping: sendmsg: ${strerror(err.code)}\n`);
      }
      continue;
    }
    const limit = Math.min(deadline, allSent ? st.lastSend + o.linger : nextSend);
    if (allSent && now >= limit) break;
    const ev = await sock.receive(limit);
    if (ev !== null) handleEvent(env, o, st, ev, dst, family, timing, multicast);
  }
  return finish(env, o, st, clock.now() - start, timing, deadline !== Infinity && o.deadline > 0);
}

/** acknowledge(): the largest number of probes outstanding at once. */
function acknowledge(st: Stats, seq: number): void {
  const diff = (st.ntransmitted - seq) & 0xffff;
  if (diff <= 0x7fff && diff + 1 > st.pipesize) st.pipesize = diff + 1;
}

function handleEvent(
  env: ToolEnv,
  o: PingOptions,
  st: Stats,
  ev: PingEvent,
  dst: Destination,
  family: 4 | 6,
  timing: boolean,
  multicast: boolean,
): void {
  if (ev.kind === 'error') {
    if (!st.sentAt.has(ev.seq)) return;
    // ping4's receive_error_msg acknowledges the probe an ICMP error quotes; ping6's does
    // not, so IPv6 errors never raise the pipe count (o-down-device: `pipe 4` after four
    // IPv4 "Destination Host Unreachable", none after four IPv6 "Address unreachable").
    if (family === 4) acknowledge(st, ev.seq);
    st.nerrors++;
    if (!o.quiet)
      env.stdout(
        `From ${formatIp(ev.offender)} icmp_seq=${ev.seq} ${icmpErrorText(family, ev.type, ev.code, ev.info)}\n`,
      );
    return;
  }
  const sent = st.sentAt.get(ev.seq);
  if (sent === undefined) return;
  acknowledge(st, ev.seq);
  st.nreceived++;
  let triptime = 0;
  if (timing) {
    triptime = Math.max(0, Math.floor((ev.time - sent) / 1000));
    st.tsum += triptime;
    st.tsum2 += triptime * triptime;
    if (triptime < st.tmin) st.tmin = triptime;
    if (triptime > st.tmax) st.tmax = triptime;
  }
  let dup = false;
  if (st.received.has(ev.seq)) {
    st.nrepeats++;
    st.nreceived--;
    dup = true;
  } else {
    st.received.add(ev.seq);
  }
  if (o.quiet) return;
  let fromText = formatIp(ev.from);
  if (ev.scope !== undefined) fromText += `%${ev.scope}`;
  const name = dst.named && !o.numeric ? reverseName(ev.from) : undefined;
  if (name !== undefined) fromText = `${name} (${fromText})`;
  let line = `${ev.bytes} bytes from ${fromText}: icmp_seq=${ev.seq} ttl=${ev.ttl}`;
  if (timing) line += ` time=${formatRtt(triptime)} ms`;
  if (dup && !multicast) line += ' (DUP!)';
  env.stdout(`${line}\n`);
}

function finish(
  env: ToolEnv,
  o: PingOptions,
  st: Stats,
  _elapsed: SystemNanos,
  timing: boolean,
  hasDeadline: boolean,
): number {
  const start = st.sentAt.size === 0 ? st.lastSend : Math.min(...st.sentAt.values());
  const timeMs = Math.floor((st.lastSend - start) / NS_PER_MS);
  let text = `\n--- ${o.target} ping statistics ---\n`;
  text += `${st.ntransmitted} packets transmitted, ${st.nreceived} received`;
  if (st.nrepeats > 0) text += `, +${st.nrepeats} duplicates`;
  if (st.nerrors > 0) text += `, +${st.nerrors} errors`;
  if (st.ntransmitted > 0) {
    const loss = ((st.ntransmitted - st.nreceived) * 100) / st.ntransmitted;
    text += `, ${percent(loss)}% packet loss`;
    text += `, time ${timeMs}ms`;
  }
  text += '\n';
  let comma = '';
  if (st.nreceived > 0 && timing) {
    const n = st.nreceived + st.nrepeats;
    const avg = Math.floor(st.tsum / n);
    const avg2 = Math.floor(st.tsum2 / n);
    const mdev = Math.floor(Math.sqrt(Math.max(0, avg2 - avg * avg)));
    text += `rtt min/avg/max/mdev = ${ms3(st.tmin)}/${ms3(avg)}/${ms3(st.tmax)}/${ms3(mdev)} ms`;
    comma = ', ';
  }
  if (st.pipesize > 1) text += `${comma}pipe ${st.pipesize}`;
  text += '\n';
  env.stdout(text);
  if (st.nreceived === 0) return 1;
  if (hasDeadline && o.count > 0 && st.nreceived < o.count) return 1;
  return 0;
}
