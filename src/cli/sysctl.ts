// sysctl(8) of procps 4.0.2 over the system API's /proc/sys/net: reads (`sysctl NAME`,
// -n, -N, -a), writes (`-w NAME=VALUE`, or any NAME=VALUE argument), -q and -e, with
// procps' messages and exit status (checked against test/fixtures/oracle/l-ping.out).
//
// Differs from Linux: only net.* exists (there is no kernel.*, vm.*, fs.*), and -p
// (reading a file) is not supported.

import { isErrno, strerror } from '../base/errno.ts';
import { getopt, toolCtx, type ToolEnv } from './command.ts';

const USAGE = `
Usage:
 sysctl [options] [variable[=value] ...]

Options:
  -a, --all            display all variables
  -A                   alias of -a
  -X                   alias of -a
  -b, --binary         print value without new line
  -e, --ignore         ignore unknown variables errors
  -N, --names          print variable names without values
  -n, --values         print only values of the given variable(s)
  -p, --load[=<file>]  read values from file
  -q, --quiet          do not echo variable set
  -w, --write          enable writing a value to variable

 -h, --help     display this help and exit
 -V, --version  output version information and exit

For more details see sysctl(8).
`;

interface SysctlOptions {
  names: boolean;
  values: boolean;
  quiet: boolean;
  write: boolean;
  ignore: boolean;
  binary: boolean;
  all: boolean;
}

/** `net/ipv4/ip_forward` and `net.ipv4.ip_forward` name the same key; procps prints dots. */
function dotted(name: string): string {
  return name.replace(/\//g, '.');
}

/** The /proc path procps stats for a key. */
function procPath(name: string): string {
  return `/proc/sys/${name.replace(/\./g, '/')}`;
}

/** Runs `sysctl ARGV...`; resolves to procps' exit status. */
export async function runSysctl(env: ToolEnv, argv: readonly string[]): Promise<number> {
  const parsed = getopt(argv, 'aAXbeNnqwp:hVdfoxr:');
  if ('kind' in parsed) {
    const what =
      parsed.kind === 'missing'
        ? `option requires an argument -- '${parsed.opt}'`
        : `invalid option -- '${parsed.opt}'`;
    env.stderr(`sysctl: ${what}\n${USAGE}`);
    return 1;
  }
  const o: SysctlOptions = {
    names: false,
    values: false,
    quiet: false,
    write: false,
    ignore: false,
    binary: false,
    all: false,
  };
  for (const [opt] of parsed.opts) {
    if (opt === 'N') o.names = true;
    else if (opt === 'n') o.values = true;
    else if (opt === 'q') o.quiet = true;
    else if (opt === 'w') o.write = true;
    else if (opt === 'e') o.ignore = true;
    else if (opt === 'b') o.binary = true;
    else if (opt === 'a' || opt === 'A' || opt === 'X') o.all = true;
    else if (opt === 'h') {
      env.stdout(USAGE.slice(1));
      return 0;
    } else if (opt === 'V') {
      env.stdout('sysctl from procps-ng 4.0.2\n');
      return 0;
    } else if (opt === 'p') {
      env.stderr('sysctl: -p is not supported here\n');
      return 1;
    }
  }
  const ctx = toolCtx(env);
  if (o.all) {
    for (const name of await env.sys.sysctl.list(ctx)) await show(env, o, name);
    return 0;
  }
  if (parsed.operands.length === 0) {
    env.stderr(`sysctl: no variables specified\n${USAGE}`);
    return 1;
  }
  let rc = 0;
  for (const arg of parsed.operands) {
    const eq = arg.indexOf('=');
    if (eq >= 0) rc |= await write(env, o, arg.slice(0, eq), arg.slice(eq + 1));
    else if (o.write) {
      // procps: "-w" with a word lacking '=' is a syntax error on "line 0".
      env.stderr('sysctl: command line(0): invalid syntax, continuing...\n');
      rc = 1;
    } else rc |= await show(env, o, arg);
  }
  return rc;
}

async function show(env: ToolEnv, o: SysctlOptions, name: string): Promise<number> {
  const key = dotted(name);
  let value: string;
  try {
    value = await env.sys.sysctl.get(toolCtx(env), key);
  } catch (err) {
    if (!isErrno(err)) throw err;
    if (err.code === 'ENOENT' && o.ignore) return 0;
    env.stderr(`sysctl: cannot stat ${procPath(key)}: ${strerror(err.code)}\n`);
    return 1;
  }
  const nl = o.binary ? '' : '\n';
  if (o.names) env.stdout(`${key}${nl}`);
  else if (o.values) env.stdout(`${value}${nl}`);
  else env.stdout(`${key} = ${value}${nl}`);
  return 0;
}

async function write(env: ToolEnv, o: SysctlOptions, name: string, value: string): Promise<number> {
  const key = dotted(name.trim());
  const ctx = toolCtx(env);
  try {
    await env.sys.sysctl.get(ctx, key);
  } catch (err) {
    if (!isErrno(err)) throw err;
    if (err.code === 'ENOENT' && o.ignore) return 0;
    env.stderr(`sysctl: cannot stat ${procPath(key)}: ${strerror(err.code)}\n`);
    return 1;
  }
  try {
    await env.sys.sysctl.set(ctx, key, value);
  } catch (err) {
    if (!isErrno(err)) throw err;
    env.stderr(`sysctl: setting key "${key}": ${strerror(err.code)}\n`);
    return 1;
  }
  if (o.quiet) return 0;
  // procps echoes what was written, not a re-read.
  if (o.values) env.stdout(`${value}\n`);
  else env.stdout(`${key} = ${value}\n`);
  return 0;
}
