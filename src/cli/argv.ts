// The argv cursor and the error exits of iproute2's lib/utils.c (matches(), NEXT_ARG(),
// invarg(), duparg(), incomplete_command()), so every command parser reports bad input
// with iproute2's exact text and exit status instead of throwing.

/**
 * A refusal with iproute2's text and exit status. Thrown by parsers and caught by the
 * dispatcher, which writes `stderr`/`stdout` and exits with `status`; never escapes `runIp`.
 */
export class IpExit {
  readonly status: number;
  readonly stderr: string;
  readonly stdout: string;

  constructor(status: number, stderr: string, stdout = '') {
    this.status = status;
    this.stderr = stderr;
    this.stdout = stdout;
  }
}

/**
 * True when `prefix` is a non-empty prefix of `word` (iproute2 `matches() == 0`).
 * Callers test keywords in iproute2's order, so the first keyword wins a short prefix.
 */
export function matches(prefix: string, word: string): boolean {
  return prefix.length > 0 && prefix.length <= word.length && word.startsWith(prefix);
}

/** `Command line is not complete. Try option "help"` (exit 255): NEXT_ARG() at the end. */
export function incompleteCommand(): IpExit {
  return new IpExit(255, 'Command line is not complete. Try option "help"\n');
}

/** `Error: argument "ARG" is wrong: MSG` (exit 255). */
export function invarg(msg: string, arg: string): IpExit {
  return new IpExit(255, `Error: argument "${arg}" is wrong: ${msg}\n`);
}

/** `Error: duplicate "KEY": "ARG" is the second value.` (exit 255). */
export function duparg(key: string, arg: string): IpExit {
  return new IpExit(255, `Error: duplicate "${key}": "${arg}" is the second value.\n`);
}

/** `Error: either "KEY" is duplicate, or "ARG" is a garbage.` (exit 255). */
export function duparg2(key: string, arg: string): IpExit {
  return new IpExit(255, `Error: either "${key}" is duplicate, or "${arg}" is a garbage.\n`);
}

/** lib/utils.c family_name_verbose(). */
function familyVerbose(family: number): string {
  if (family === 2) return 'inet';
  if (family === 10) return 'inet6';
  return 'any valid';
}

/** `Error: any valid prefix is expected rather than "ARG".` (exit 1), from get_prefix(). */
export function badPrefix(arg: string, family: number): IpExit {
  return new IpExit(
    1,
    `Error: ${familyVerbose(family)} prefix is expected rather than "${arg}".\n`,
  );
}

/** `Error: inet address is expected rather than "ARG".` (exit 1), from get_addr(). */
export function badAddress(arg: string, family: number): IpExit {
  return new IpExit(
    1,
    `Error: ${familyVerbose(family)} address is expected rather than "${arg}".\n`,
  );
}

/** `Cannot find device "DEV"` (exit 1), iproute2's nodev(). */
export function noDevice(dev: string): IpExit {
  return new IpExit(1, `Cannot find device "${dev}"\n`);
}

/** A read cursor over argv, as iproute2's `argc/argv` with NEXT_ARG(). */
export class ArgCursor {
  readonly #args: readonly string[];
  #pos = 0;

  constructor(args: readonly string[]) {
    this.#args = args;
  }

  /** The current word, or undefined at the end. */
  get current(): string | undefined {
    return this.#args[this.#pos];
  }

  get done(): boolean {
    return this.#pos >= this.#args.length;
  }

  /** Words left including the current one. */
  get remaining(): readonly string[] {
    return this.#args.slice(this.#pos);
  }

  /** Takes the current word (the caller checked `done`). */
  take(): string {
    const word = this.#args[this.#pos] ?? '';
    this.#pos++;
    return word;
  }

  /** NEXT_ARG(): moves past the keyword and returns its value, or fails as iproute2 does. */
  next(): string {
    this.#pos++;
    const word = this.#args[this.#pos];
    if (word === undefined) throw incompleteCommand();
    return word;
  }

  /** True when a word follows the current one (NEXT_ARG_OK()). */
  get hasNext(): boolean {
    return this.#pos + 1 < this.#args.length;
  }

  /** PREV_ARG(). */
  back(): void {
    if (this.#pos > 0) this.#pos--;
  }

  /** Moves past the current word. */
  skip(): void {
    this.#pos++;
  }
}

/** get_unsigned()/get_u32() with base 0 (decimal, 0x hex, 0 octal), as strtoul accepts it. */
export function parseUnsigned(text: string, max = 0xffffffff): number | null {
  let value: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) value = parseInt(text.slice(2), 16);
  else if (/^0[0-7]*$/.test(text)) value = text.length > 1 ? parseInt(text.slice(1), 8) : 0;
  else if (/^[1-9][0-9]*$/.test(text)) value = Number(text);
  else return null;
  return Number.isSafeInteger(value) && value <= max ? value : null;
}

/** get_integer() with base 0 (signed). */
export function parseInteger(text: string): number | null {
  if (text.startsWith('-')) {
    const v = parseUnsigned(text.slice(1), 0x80000000);
    return v === null ? null : -v;
  }
  return parseUnsigned(text, 0x7fffffff);
}
