// A small POSIX-shell-like interpreter for `ipvlan run FILE` and `ipvlan shell`: one
// command line at a time, `#` comments, `NAME=value` and `$NAME` / `${NAME}` / `$?`
// expansion (unquoted expansions split on blanks), '...' and "..." quoting with
// backslash escapes, `;`, `&&`, `||`, a trailing `&` (background jobs: tcpdump), the
// redirections `>/dev/null`, `2>/dev/null`, `2>&1`, `&>/dev/null`, and the builtins
// echo, true, false, exit, sleep, wait, set (-x, -e), export, cd and `:`. Every other
// word names a tool (ip, ping, sysctl, tcpdump, arping, nft) run against the world.
//
// A failing command does not stop the run (no `set -e` unless asked) and prints nothing
// beyond what the command printed, as bash does. `ip netns exec NS CMD...` runs CMD
// in NS; `ip netns exec NS bash` (or `sh`) with no command enters NS until `exit`, as
// when the HOWTO's lines are typed into that shell.
//
// Unknown commands: in a script, `NAME: line N: foo: command not found` (bash's text
// for a script file, NAME being the script path as given); interactively
// `bash: foo: command not found`. Both exit 127.
//
// Differs from bash: no pipes, loops, functions, globbing, command substitution or
// here-documents; a nested `bash` keeps reading the same script instead of the terminal.

import type { RtnlApi } from '../rtnl/api.ts';
import type { SystemApi } from '../rtnl/system.ts';
import type { Tool, ToolEnv } from './command.ts';
import type { IpEnv } from './env.ts';
import { runArping } from './arping.ts';
import { runIp } from './ip.ts';
import { runNft } from './nft.ts';
import { runPing } from './ping.ts';
import { runSysctl } from './sysctl.ts';
import { runTcpdump, startTcpdump, type TcpdumpJob } from './tcpdump.ts';

const NS_PER_SEC = 1_000_000_000;

/** What the shell runs against. */
export interface ShellEnv {
  readonly api: RtnlApi;
  readonly sys: SystemApi;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readFile?: (path: string) => Promise<string | null>;
  readonly writeFile?: (path: string, bytes: Uint8Array) => Promise<void>;
  /** Extra tools by name (e.g. `arping`, `nft` from the composition root). */
  readonly tools?: ReadonlyMap<string, Tool>;
}

export interface ShellOptions {
  /** The script path for `PATH: line N: …` messages; absent for an interactive shell. */
  readonly scriptName?: string;
  /** Initial variables. */
  readonly vars?: Readonly<Record<string, string>>;
}

/** The tools every shell has. */
export const BUILTIN_TOOLS: ReadonlyMap<string, Tool> = new Map<string, Tool>([
  ['arping', runArping],
  ['nft', runNft],
  ['ping', runPing],
  ['sysctl', runSysctl],
  ['tcpdump', runTcpdump],
]);

/** The builtins, for completion. */
export const SHELL_BUILTINS: readonly string[] = [
  'echo',
  'true',
  'false',
  'exit',
  'sleep',
  'wait',
  'set',
  'export',
  'cd',
  ':',
  'bash',
  'sh',
];

/** A simple command with its redirections and the operator that follows it. */
interface Simple {
  words: string[];
  assigns: [string, string][];
  stdout: 'keep' | 'null' | 'stderr';
  stderr: 'keep' | 'null' | 'stdout';
  background: boolean;
  /** How this command joins the next: `;`, `&&` or `||`. */
  next: ';' | '&&' | '||';
}

/** A parse failure, with bash's text. */
class SyntaxError {
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}

/** Signals `exit` out of the interpreter. */
class ExitSignal {
  readonly status: number;
  constructor(status: number) {
    this.status = status;
  }
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class Shell {
  readonly env: ShellEnv;
  readonly vars = new Map<string, string>();
  /** Namespaces entered with `ip netns exec NS bash`, innermost last. */
  readonly #nested: (string | undefined)[] = [];
  readonly #jobs: TcpdumpJob[] = [];
  readonly #scriptName: string | undefined;
  #line = 0;
  #status = 0;
  #xtrace = false;
  #errexit = false;
  /** True once `exit` ended the outermost shell. */
  exited = false;

  constructor(env: ShellEnv, options: ShellOptions = {}) {
    this.env = env;
    this.#scriptName = options.scriptName;
    for (const [k, v] of Object.entries(options.vars ?? {})) this.vars.set(k, v);
  }

  /** The namespace commands run in now (undefined: the initial one). */
  get netns(): string | undefined {
    return this.#nested.length === 0 ? undefined : this.#nested[this.#nested.length - 1];
  }

  /** Exit status of the last command. */
  get status(): number {
    return this.#status;
  }

  /** Every tool name the shell knows (for completion). */
  get commandNames(): string[] {
    return [
      ...SHELL_BUILTINS,
      'ip',
      ...BUILTIN_TOOLS.keys(),
      ...(this.env.tools?.keys() ?? []),
    ].sort();
  }

  /** Runs a whole script; resolves to the status bash would exit with. */
  async runScript(text: string): Promise<number> {
    const lines = text.split('\n');
    for (const [i, line] of lines.entries()) {
      if (this.exited) break;
      await this.runLine(line, i + 1);
    }
    await this.waitJobs();
    return this.#status;
  }

  /** Runs one input line (`lineNo` for messages; interactive callers count their own). */
  async runLine(line: string, lineNo = this.#line + 1): Promise<number> {
    this.#line = lineNo;
    if (this.exited) return this.#status;
    let cmds: Simple[];
    try {
      cmds = this.#parse(line);
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      this.env.stderr(`${this.#where()}${err.message}\n`);
      this.#status = 2;
      return 2;
    }
    let skip = false;
    for (const cmd of cmds) {
      if (!skip) {
        try {
          await this.#runSimple(cmd);
        } catch (err) {
          if (!(err instanceof ExitSignal)) throw err;
          this.#status = err.status;
          if (this.#nested.length > 0) {
            this.#nested.pop();
          } else {
            this.exited = true;
            await this.waitJobs();
            return this.#status;
          }
        }
        await this.#pollJobs();
        if (this.#errexit && this.#status !== 0 && cmd.next === ';') {
          this.exited = true;
          return this.#status;
        }
      }
      skip = (cmd.next === '&&' && this.#status !== 0) || (cmd.next === '||' && this.#status === 0);
    }
    return this.#status;
  }

  /** `wait`: lets the world run, then stops every background job. */
  async waitJobs(): Promise<void> {
    if (this.#jobs.length === 0) return;
    await this.env.sys.clock.settle();
    for (const job of this.#jobs.splice(0)) await job.stop();
  }

  async #pollJobs(): Promise<void> {
    for (const job of [...this.#jobs]) {
      if (await job.poll()) {
        await job.stop();
        this.#jobs.splice(this.#jobs.indexOf(job), 1);
      }
    }
  }

  #where(): string {
    return this.#scriptName === undefined ? 'bash: ' : `${this.#scriptName}: line ${this.#line}: `;
  }

  // ------------------------------------------------------------ parsing

  #lookup(name: string): string {
    if (name === '?') return String(this.#status);
    return this.vars.get(name) ?? '';
  }

  /** Splits a line into simple commands, expanding variables and removing quotes. */
  #parse(line: string): Simple[] {
    const cmds: Simple[] = [];
    const fresh = (): Simple => ({
      words: [],
      assigns: [],
      stdout: 'keep',
      stderr: 'keep',
      background: false,
      next: ';',
    });
    let cur = fresh();
    let i = 0;
    const words: { text: string; quoted: boolean; assignable: boolean }[] = [];
    const flush = (next: Simple['next'], background = false): void => {
      this.#finishWords(cur, words.splice(0));
      cur.next = next;
      cur.background = background;
      if (cur.words.length > 0 || cur.assigns.length > 0) cmds.push(cur);
      else if (next !== ';' || background)
        throw new SyntaxError(`syntax error near unexpected token \`${background ? '&' : next}'`);
      cur = fresh();
    };
    while (i < line.length) {
      const c = line[i] ?? '';
      if (c === ' ' || c === '\t' || c === '\r') {
        i++;
        continue;
      }
      if (c === '#') break;
      if (c === ';') {
        flush(';');
        i++;
        continue;
      }
      if (line.startsWith('&&', i) || line.startsWith('||', i)) {
        flush(line.slice(i, i + 2) as '&&' | '||');
        i += 2;
        continue;
      }
      const redir = /^(&>|2>&1|>&2|1>&2|2>|1>|>)\s*/.exec(line.slice(i));
      if (redir !== null) {
        const op = redir[1] ?? '';
        i += redir[0].length;
        if (op === '2>&1') {
          cur.stderr = 'stdout';
          continue;
        }
        if (op === '>&2' || op === '1>&2') {
          cur.stdout = 'stderr';
          continue;
        }
        const target = this.#readWord(line, i);
        if (target === null) throw new SyntaxError("syntax error near unexpected token `newline'");
        i = target.end;
        // Only /dev/null exists to write to; other files are refused as a read-only root.
        if (target.text !== '/dev/null')
          throw new SyntaxError(`${target.text}: Read-only file system`);
        if (op === '&>') {
          cur.stdout = 'null';
          cur.stderr = 'null';
        } else if (op === '2>') cur.stderr = 'null';
        else cur.stdout = 'null';
        continue;
      }
      if (c === '&') {
        flush(';', true);
        i++;
        continue;
      }
      const w = this.#readWord(line, i);
      if (w === null) break;
      words.push({ text: w.text, quoted: w.quoted, assignable: w.assignable });
      i = w.end;
    }
    flush(';');
    return cmds;
  }

  #finishWords(cur: Simple, words: { text: string; quoted: boolean; assignable: boolean }[]): void {
    let leading = true;
    for (const w of words) {
      const eq = w.text.indexOf('=');
      if (leading && w.assignable && eq > 0 && NAME_RE.test(w.text.slice(0, eq))) {
        cur.assigns.push([w.text.slice(0, eq), w.text.slice(eq + 1)]);
        continue;
      }
      leading = false;
      if (w.text === '' && !w.quoted) continue;
      cur.words.push(w.text);
    }
  }

  /**
   * Reads one shell word at `start`: quotes removed, variables expanded. Unquoted
   * expansions split into several words; they come back joined by \u0000 and are split
   * by the caller. Returns null at the end of the line.
   */
  #readWord(
    line: string,
    start: number,
  ): { text: string; end: number; quoted: boolean; assignable: boolean } | null {
    let i = start;
    let text = '';
    let quoted = false;
    let assignable = true;
    const parts: string[] = [];
    const expand = (): string => {
      // At `$`: returns the value and advances i.
      const rest = line.slice(i + 1);
      let m = /^\{([A-Za-z_][A-Za-z0-9_]*|\?)\}/.exec(rest);
      if (m === null) m = /^([A-Za-z_][A-Za-z0-9_]*|\?)/.exec(rest);
      if (m === null) {
        i++;
        return '$';
      }
      i += 1 + m[0].length;
      return this.#lookup(m[1] ?? '');
    };
    while (i < line.length) {
      const c = line[i] ?? '';
      if (/[\s;&|<>]/.test(c)) break;
      if (c === '#' && text === '' && parts.length === 0 && i === start) break;
      if (c === "'") {
        const end = line.indexOf("'", i + 1);
        if (end < 0) throw new SyntaxError("unexpected EOF while looking for matching `''");
        text += line.slice(i + 1, end);
        quoted = true;
        i = end + 1;
      } else if (c === '"') {
        quoted = true;
        i++;
        for (;;) {
          if (i >= line.length)
            throw new SyntaxError('unexpected EOF while looking for matching `"\'');
          const d = line[i] ?? '';
          if (d === '"') {
            i++;
            break;
          }
          if (d === '\\' && /["\\$`]/.test(line[i + 1] ?? '')) {
            text += line[i + 1];
            i += 2;
          } else if (d === '$') text += expand();
          else {
            text += d;
            i++;
          }
        }
      } else if (c === '\\') {
        text += line[i + 1] ?? '';
        i += 2;
      } else if (c === '$') {
        const value = expand();
        // Field splitting of an unquoted expansion (IFS = blanks).
        const fields = value.split(/[ \t\n]+/);
        if (fields.length > 1) {
          assignable = assignable && text.includes('=');
          text += fields[0] ?? '';
          for (const f of fields.slice(1)) {
            parts.push(text);
            text = f;
          }
        } else text += value;
      } else {
        text += c;
        i++;
      }
    }
    if (i === start) return null;
    if (parts.length > 0) {
      // An assignment value is not split (bash: no field splitting in assignments).
      const joined = [...parts, text].join(' ');
      if (assignable && /^[A-Za-z_][A-Za-z0-9_]*=/.test(joined))
        return { text: joined, end: i, quoted, assignable };
      return {
        text: [...parts, text].filter((p) => p !== '').join('\u0000'),
        end: i,
        quoted,
        assignable: false,
      };
    }
    return { text, end: i, quoted, assignable };
  }

  // ------------------------------------------------------------ running

  async #runSimple(cmd: Simple): Promise<void> {
    const words = cmd.words.flatMap((w) => w.split('\u0000'));
    if (words.length === 0) {
      for (const [k, v] of cmd.assigns) this.vars.set(k, v);
      this.#status = 0;
      return;
    }
    const out = this.#sink(cmd.stdout, this.env.stdout, this.env.stderr);
    const err = this.#sink(cmd.stderr, this.env.stderr, out);
    if (this.#xtrace)
      this.env.stderr(`${'+'.repeat(this.#nested.length + 1)} ${words.join(' ')}\n`);
    if (cmd.background) {
      this.#status = await this.#background(words, out, err);
      return;
    }
    this.#status = await this.run(words, this.netns, out, err);
  }

  #sink(
    mode: 'keep' | 'null' | 'stderr' | 'stdout',
    keep: (t: string) => void,
    other: (t: string) => void,
  ): (t: string) => void {
    if (mode === 'null') return () => {};
    if (mode === 'keep') return keep;
    return other;
  }

  async #background(
    words: string[],
    out: (t: string) => void,
    err: (t: string) => void,
  ): Promise<number> {
    if (words[0] !== 'tcpdump') {
      // Everything else finishes in virtual time before the next line anyway.
      return this.run(words, this.netns, out, err);
    }
    const job = await startTcpdump(this.#toolEnv(this.netns, out, err), words.slice(1));
    if (typeof job !== 'number') this.#jobs.push(job);
    return 0;
  }

  #toolEnv(netns: string | undefined, out: (t: string) => void, err: (t: string) => void): ToolEnv {
    return {
      api: this.env.api,
      sys: this.env.sys,
      ...(netns === undefined ? {} : { netns }),
      stdout: out,
      stderr: err,
      ...(this.env.writeFile === undefined ? {} : { writeFile: this.env.writeFile }),
    };
  }

  /**
   * Runs one command (argv[0] is the program) in `netns` and returns its status. This is
   * also what `ip netns exec NS ...` calls.
   */
  async run(
    argv: readonly string[],
    netns: string | undefined,
    out: (t: string) => void = this.env.stdout,
    err: (t: string) => void = this.env.stderr,
  ): Promise<number> {
    const [name = '', ...args] = argv;
    switch (name) {
      case 'echo':
        return this.#echo(args, out);
      case 'true':
      case ':':
        return 0;
      case 'false':
        return 1;
      case 'cd':
        return 0;
      case 'exit': {
        const n = args[0] === undefined ? this.#status : Number(args[0]);
        if (!Number.isInteger(n)) {
          err(`${this.#where()}exit: ${args[0] ?? ''}: numeric argument required\n`);
          throw new ExitSignal(2);
        }
        throw new ExitSignal(n & 0xff);
      }
      case 'sleep':
        return this.#sleep(args, err);
      case 'wait':
        await this.waitJobs();
        return 0;
      case 'set':
        return this.#set(args, err);
      case 'export':
        for (const a of args) {
          const eq = a.indexOf('=');
          if (eq > 0) this.vars.set(a.slice(0, eq), a.slice(eq + 1));
        }
        return 0;
      case 'bash':
      case 'sh':
        return this.#bash(args, netns, err);
      case 'ip':
        return runIp(this.#ipEnv(netns, out, err), args);
      default: {
        const tool = BUILTIN_TOOLS.get(name) ?? this.env.tools?.get(name);
        if (tool === undefined) {
          err(`${this.#where()}${name}: command not found\n`);
          return 127;
        }
        return tool(this.#toolEnv(netns, out, err), args);
      }
    }
  }

  /** True when `name` is a builtin or a tool this shell can run. */
  #knows(name: string): boolean {
    return (
      SHELL_BUILTINS.includes(name) ||
      name === 'ip' ||
      BUILTIN_TOOLS.has(name) ||
      this.env.tools?.has(name) === true
    );
  }

  #ipEnv(netns: string | undefined, out: (t: string) => void, err: (t: string) => void): IpEnv {
    return {
      api: this.env.api,
      ...(netns === undefined ? {} : { netns }),
      stdout: out,
      stderr: err,
      ...(this.env.readFile === undefined ? {} : { readFile: this.env.readFile }),
      exec: async (ns, argv) => {
        // ip netns exec execvp()s the program itself: an unknown one is its error, not bash's.
        const name = argv[0] ?? '';
        if (!this.#knows(name)) {
          err(`exec of "${name}" failed: No such file or directory\n`);
          return 1;
        }
        return this.run(argv, ns, out, err);
      },
    };
  }

  /** `bash` / `sh`: with no command, enter `netns` (a nested shell); `-c CMD` runs CMD there. */
  async #bash(
    args: readonly string[],
    netns: string | undefined,
    err: (t: string) => void,
  ): Promise<number> {
    if (args.length === 0) {
      // A nested shell: `exit` returns to this one (and to its namespace).
      this.#nested.push(netns);
      return 0;
    }
    if (args[0] === '-c' && args[1] !== undefined) {
      const sub = new Shell(this.env, { vars: Object.fromEntries(this.vars) });
      if (netns !== undefined) sub.#nested.push(netns);
      await sub.runLine(args[1]);
      await sub.waitJobs();
      return sub.status;
    }
    err(`bash: ${args[0] ?? ''}: No such file or directory\n`);
    return 127;
  }

  #echo(args: readonly string[], out: (t: string) => void): number {
    let newline = true;
    let i = 0;
    while (args[i] === '-n' || args[i] === '-e' || args[i] === '-E') {
      if (args[i] === '-n') newline = false;
      i++;
    }
    out(args.slice(i).join(' ') + (newline ? '\n' : ''));
    return 0;
  }

  async #sleep(args: readonly string[], err: (t: string) => void): Promise<number> {
    if (args.length === 0) {
      err("sleep: missing operand\nTry 'sleep --help' for more information.\n");
      return 1;
    }
    let total = 0;
    for (const a of args) {
      const m = /^(\d+\.?\d*|\.\d+)([smhd]?)$/.exec(a);
      if (m === null) {
        err(`sleep: invalid time interval '${a}'\nTry 'sleep --help' for more information.\n`);
        return 1;
      }
      const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] ?? ''] ?? 1;
      total += Number(m[1]) * unit;
    }
    await this.env.sys.clock.sleep(Math.round(total * NS_PER_SEC));
    return 0;
  }

  #set(args: readonly string[], err: (t: string) => void): number {
    for (const a of args) {
      const on = a.startsWith('-');
      if (!/^[-+][xeu]+$/.test(a)) {
        err(`${this.#where()}set: ${a}: invalid option\n`);
        return 2;
      }
      if (a.includes('x')) this.#xtrace = on;
      if (a.includes('e')) this.#errexit = on;
    }
    return 0;
  }

  /** The prompt: `root@HOST:~# `, or `root@HOST:~# ` with `[NS] ` before it inside a namespace. */
  prompt(hostname: string): string {
    const ns = this.netns;
    return ns === undefined ? `root@${hostname}:~# ` : `[${ns}] root@${hostname}:~# `;
  }
}
