// `ip` itself (ip/ip.c): global options, the object table matched by unique prefix in
// iproute2's order, and -batch. Output goes to the injected sinks; every refusal ends
// as iproute2's text and exit status, never as an exception.

import { AF_INET, AF_INET6, AF_PACKET, AF_UNSPEC } from '../uapi/rtnetlink.ts';
import { ArgCursor, IpExit, incompleteCommand, invarg, matches } from './argv.ts';
import type { IpCmd, IpEnv, IpOptions } from './env.ts';
import { doIpAddr } from './ipaddr.ts';
import { doIpLink } from './iplink.ts';
import { doIpNeigh } from './ipneigh.ts';
import { doIpNetns } from './ipnetns.ts';
import { doIpRoute } from './iproute.ts';
import { Printer } from './print.ts';

/** usage() of ip/ip.c (stderr, exit 255). */
export const IP_USAGE =
  'Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }\n' +
  '       ip [ -force ] -batch filename\n' +
  'where  OBJECT := { address | addrlabel | amt | fou | help | ila | ioam | l2tp |\n' +
  '                   link | macsec | maddress | monitor | mptcp | mroute | mrule |\n' +
  '                   neighbor | neighbour | netconf | netns | nexthop | ntable |\n' +
  '                   ntbl | route | rule | sr | tap | tcpmetrics |\n' +
  '                   token | tunnel | tuntap | vrf | xfrm }\n' +
  '       OPTIONS := { -V[ersion] | -s[tatistics] | -d[etails] | -r[esolve] |\n' +
  '                    -h[uman-readable] | -iec | -j[son] | -p[retty] |\n' +
  '                    -f[amily] { inet | inet6 | mpls | bridge | link } |\n' +
  '                    -4 | -6 | -M | -B | -0 |\n' +
  '                    -l[oops] { maximum-addr-flush-attempts } | -br[ief] |\n' +
  '                    -o[neline] | -t[imestamp] | -ts[hort] | -b[atch] [filename] |\n' +
  '                    -rc[vbuf] [size] | -n[etns] name | -N[umeric] | -a[ll] |\n' +
  '                    -c[olor]}\n';

type Handler = (cmd: IpCmd, args: ArgCursor) => Promise<number>;

function unsupported(name: string): Handler {
  // Differs from Linux: objects outside this project's scope answer as a kernel without them.
  return () => Promise.reject(new IpExit(2, `ip ${name}: not supported here\n`));
}

const help: Handler = () => Promise.reject(new IpExit(255, IP_USAGE));

/** ip/ip.c cmds[]: the order decides short prefixes (`ip a` = address, `ip n` = neighbor). */
const OBJECTS: readonly (readonly [string, Handler])[] = [
  ['address', doIpAddr],
  ['addrlabel', unsupported('addrlabel')],
  ['maddress', unsupported('maddress')],
  ['route', doIpRoute],
  ['rule', unsupported('rule')],
  ['neighbor', doIpNeigh],
  ['neighbour', doIpNeigh],
  ['ntable', unsupported('ntable')],
  ['ntbl', unsupported('ntbl')],
  ['link', doIpLink],
  ['l2tp', unsupported('l2tp')],
  ['fou', unsupported('fou')],
  ['ila', unsupported('ila')],
  ['macsec', unsupported('macsec')],
  ['tunnel', unsupported('tunnel')],
  ['tunl', unsupported('tunl')],
  ['tuntap', unsupported('tuntap')],
  ['tap', unsupported('tap')],
  ['token', unsupported('token')],
  ['tcpmetrics', unsupported('tcpmetrics')],
  ['tcp_metrics', unsupported('tcp_metrics')],
  ['monitor', unsupported('monitor')],
  ['xfrm', unsupported('xfrm')],
  ['mroute', unsupported('mroute')],
  ['mrule', unsupported('mrule')],
  ['netns', doIpNetns],
  ['netconf', unsupported('netconf')],
  ['vrf', unsupported('vrf')],
  ['sr', unsupported('sr')],
  ['nexthop', unsupported('nexthop')],
  ['mptcp', unsupported('mptcp')],
  ['ioam', unsupported('ioam')],
  ['help', help],
  ['stats', unsupported('stats')],
];

/** The object for a word (first match in table order), or undefined. */
export function lookupObject(word: string): string | undefined {
  return OBJECTS.find(([name]) => matches(word, name))?.[0];
}

type MutableOptions = { -readonly [K in keyof IpOptions]: IpOptions[K] };

/** read_family(). */
function readFamily(name: string): number {
  if (name === 'inet') return AF_INET;
  if (name === 'inet6') return AF_INET6;
  if (name === 'link') return AF_PACKET;
  return AF_UNSPEC;
}

/** Result of parsing the global options. */
interface Globals {
  opts: MutableOptions;
  netns: string | undefined;
  batch: string | undefined;
  rest: ArgCursor;
}

async function parseGlobals(env: IpEnv, argv: readonly string[]): Promise<Globals> {
  const opts: MutableOptions = {
    family: AF_UNSPEC,
    details: 0,
    stats: 0,
    brief: false,
    json: false,
    pretty: false,
    oneline: false,
    force: false,
  };
  let netns = env.netns;
  let batch: string | undefined;
  const args = new ArgCursor(argv);
  while (!args.done) {
    let opt = args.current ?? '';
    if (opt === '--') {
      args.skip();
      break;
    }
    if (!opt.startsWith('-')) break;
    if (opt.startsWith('--')) opt = opt.slice(1);
    if (matches(opt, '-loops')) {
      args.next();
    } else if (matches(opt, '-family')) {
      const v = args.next();
      if (v === 'help') throw new IpExit(255, IP_USAGE);
      opts.family = readFamily(v);
      if (opts.family === AF_UNSPEC) throw invarg('invalid protocol family', v);
    } else if (opt === '-4') opts.family = AF_INET;
    else if (opt === '-6') opts.family = AF_INET6;
    else if (opt === '-0') opts.family = AF_PACKET;
    else if (matches(opt, '-human') || matches(opt, '-human-readable') || matches(opt, '-iec')) {
      // Accepted; counters here are printed exactly.
    } else if (matches(opt, '-stats') || matches(opt, '-statistics')) opts.stats++;
    else if (matches(opt, '-details')) opts.details++;
    else if (matches(opt, '-resolve')) {
      // Names are never resolved: there is no resolver in the world.
    } else if (matches(opt, '-oneline')) opts.oneline = true;
    else if (matches(opt, '-timestamp') || matches(opt, '-tshort')) {
      // Only meaningful for monitor.
    } else if (matches(opt, '-Version')) {
      throw new IpExit(0, '', 'ip utility, iproute2-6.1.0, libbpf 1\n');
    } else if (matches(opt, '-force')) opts.force = true;
    else if (matches(opt, '-batch')) {
      if (!args.hasNext) throw new IpExit(255, IP_USAGE);
      batch = args.next();
    } else if (matches(opt, '-brief')) opts.brief = true;
    else if (matches(opt, '-json')) opts.json = true;
    else if (matches(opt, '-pretty')) opts.pretty = true;
    else if (matches(opt, '-rcvbuf')) args.next();
    else if (matches(opt, '-color') || opt.startsWith('-color=')) {
      // No colours on a string sink.
    } else if (matches(opt, '-help')) throw new IpExit(255, IP_USAGE);
    else if (matches(opt, '-netns')) {
      if (!args.hasNext) throw incompleteCommand();
      const name = args.next();
      const list = await env.api.netnsList(netns === undefined ? {} : { netns });
      if (!list.some((n) => n.name === name)) {
        throw new IpExit(
          255,
          `Cannot open network namespace "${name}": No such file or directory\n`,
        );
      }
      netns = name;
    } else if (matches(opt, '-Numeric') || matches(opt, '-all') || opt === '-echo') {
      // Accepted without effect.
    } else {
      throw new IpExit(255, `Option "${opt}" is unknown, try "ip -help".\n`);
    }
    args.skip();
  }
  return { opts, netns, batch, rest: args };
}

/**
 * Runs `ip ARGV...` (argv without the leading "ip") and returns the exit status.
 * Never throws for bad input: refusals are written to `env.stderr`.
 */
export async function runIp(env: IpEnv, argv: readonly string[]): Promise<number> {
  try {
    const g = await parseGlobals(env, argv);
    if (g.batch !== undefined) return await runBatch(env, g, g.batch);
    if (g.rest.done) throw new IpExit(255, IP_USAGE);
    return await doCmd(env, g.opts, g.netns, g.rest, true);
  } catch (err) {
    if (err instanceof IpExit) {
      if (err.stdout !== '') env.stdout(err.stdout);
      if (err.stderr !== '') env.stderr(err.stderr);
      return err.status;
    }
    throw err;
  }
}

async function doCmd(
  env: IpEnv,
  opts: IpOptions,
  netns: string | undefined,
  args: ArgCursor,
  final: boolean,
): Promise<number> {
  const word = args.take();
  const entry = OBJECTS.find(([name]) => matches(word, name));
  if (entry === undefined) {
    if (final) env.stderr(`Object "${word}" is unknown, try "ip help".\n`);
    return 1;
  }
  const cmd: IpCmd = {
    env,
    opts,
    ctx: netns === undefined ? {} : { netns },
    out: new Printer({ json: opts.json, pretty: opts.pretty, oneline: opts.oneline }),
  };
  return entry[1](cmd, args);
}

/** makeargs(): splits a batch line on blanks with "..." / '...' quoting; `#` starts a comment. */
export function makeArgs(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i] ?? '')) i++;
    if (i >= line.length || line[i] === '#') break;
    let word = '';
    const q = line[i];
    if (q === '"' || q === "'") {
      const end = line.indexOf(q, i + 1);
      word = end < 0 ? line.slice(i + 1) : line.slice(i + 1, end);
      i = end < 0 ? line.length : end + 1;
    } else {
      while (i < line.length && !/\s/.test(line[i] ?? '')) word += line[i++];
    }
    out.push(word);
  }
  return out;
}

/** batch(): each line runs as `ip LINE`; the first failure stops unless -force. */
async function runBatch(env: IpEnv, g: Globals, path: string): Promise<number> {
  const text = env.readFile === undefined ? null : await env.readFile(path);
  if (text === null) {
    throw new IpExit(255, `Cannot open file "${path}" for reading: No such file or directory\n`);
  }
  let ret = 0;
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const [i, line] of lines.entries()) {
    const words = makeArgs(line);
    if (words.length === 0) continue;
    let status: number;
    try {
      status = await doCmd(env, g.opts, g.netns, new ArgCursor(words), true);
    } catch (err) {
      if (!(err instanceof IpExit)) throw err;
      if (err.stdout !== '') env.stdout(err.stdout);
      if (err.stderr !== '') env.stderr(err.stderr);
      // iproute2 exits the whole batch from exit() calls inside a command.
      if (err.status === 255 || err.status === 0) return err.status;
      status = err.status;
    }
    if (status !== 0) {
      env.stderr(`Command failed ${path}:${i + 1}\n`);
      ret = 1;
      if (!g.opts.force) break;
    }
  }
  return ret;
}
