// The nft(8) language subset: a scanner and parser for commands (`add table inet t`,
// `add rule inet t c ip daddr 10.0.0.2 counter drop`, `list ruleset`, `table … { }`
// blocks as `nft -f` reads them) and the printer `nft list` uses, matching nftables
// 1.0.6 (Debian 12): tab indentation, symbolic priorities (prio2str in src/rule.c),
// `counter packets N bytes M`. Pure text ↔ values; nothing here touches a namespace.

import {
  formatIp,
  isIpv4,
  parseIp,
  prefixNetwork,
  type IpAddr,
  type IpPrefix,
} from '../../wire/address.ts';
import type { NfInetHook } from './hooks.ts';
import type {
  NftBaseSpec,
  NftChainType,
  NftFamily,
  NftItem,
  NftMatch,
  NftPolicy,
  NftStmt,
} from './nft.ts';

// ---------------------------------------------------------------- locations and errors

/** A span of the input, 1-based like nft's `struct location`. */
export interface NftLoc {
  readonly line: number;
  /** Offset of the line's first character in the input. */
  readonly lineStart: number;
  readonly first: number;
  readonly last: number;
}

/** A parse or evaluation error with the span nft underlines. */
export class NftError extends Error {
  override readonly name = 'NftError';
  readonly loc: NftLoc;
  constructor(message: string, loc: NftLoc) {
    super(message);
    this.loc = loc;
  }
}

/**
 * Renders an error as nft's erec_print does: for the command line no file prefix,
 * for files `NAME:LINE:FIRST-LAST: `, then the line and carets under the span.
 */
export function formatNftError(input: string, err: NftError, fileName: string | undefined): string {
  const { loc } = err;
  const lineEnd = input.indexOf('\n', loc.lineStart);
  const line = input.slice(loc.lineStart, lineEnd < 0 ? input.length : lineEnd);
  const prefix = fileName === undefined ? '' : `${fileName}:${loc.line}:${loc.first}-${loc.last}: `;
  const carets =
    ' '.repeat(Math.max(0, loc.first - 1)) + '^'.repeat(Math.max(1, loc.last - loc.first + 1));
  return `${prefix}Error: ${err.message}\n${line}\n${carets}\n`;
}

// ---------------------------------------------------------------- scanner

interface Token {
  readonly text: string;
  /** word, string ("…" without quotes), punctuation ({ } ;) or end of line. */
  readonly kind: 'word' | 'string' | 'punct' | 'eol' | 'eof';
  readonly loc: NftLoc;
}

function scan(input: string): Token[] {
  const out: Token[] = [];
  let line = 1;
  let lineStart = 0;
  let i = 0;
  const loc = (start: number, end: number): NftLoc => ({
    line,
    lineStart,
    first: start - lineStart + 1,
    last: Math.max(start, end - 1) - lineStart + 1,
  });
  while (i < input.length) {
    const c = input[i] as string;
    if (c === '\n') {
      out.push({ text: '\n', kind: 'eol', loc: loc(i, i + 1) });
      i++;
      line++;
      lineStart = i;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (c === '#') {
      while (i < input.length && input[i] !== '\n') i++;
    } else if (c === '{' || c === '}' || c === ';') {
      out.push({ text: c, kind: 'punct', loc: loc(i, i + 1) });
      i++;
    } else if (c === '"') {
      const start = i++;
      while (i < input.length && input[i] !== '"' && input[i] !== '\n') i++;
      const text = input.slice(start + 1, i);
      if (input[i] === '"') i++;
      out.push({ text, kind: 'string', loc: loc(start, i) });
    } else {
      const start = i;
      while (i < input.length && !/[\s{};"#]/.test(input[i] as string)) i++;
      out.push({ text: input.slice(start, i), kind: 'word', loc: loc(start, i) });
    }
  }
  out.push({ text: '', kind: 'eof', loc: loc(i, i + 1) });
  return out;
}

// ---------------------------------------------------------------- commands

export interface NftTableRef {
  readonly family: NftFamily;
  readonly table: string;
  readonly tableLoc: NftLoc;
}

export interface NftChainRef extends NftTableRef {
  readonly chain: string;
  readonly chainLoc: NftLoc;
}

/** A rule item with where it was written (for errors about it). */
export interface NftItemSpec {
  readonly item: NftItem;
  readonly loc: NftLoc;
}

/** One parsed command (Linux nft: struct cmd). */
export type NftCommand =
  | { readonly op: 'add' | 'create'; readonly obj: 'table'; readonly ref: NftTableRef }
  | {
      readonly op: 'add' | 'create';
      readonly obj: 'chain';
      readonly ref: NftChainRef;
      readonly base: NftBaseSpec | null;
    }
  | {
      readonly op: 'add' | 'insert';
      readonly obj: 'rule';
      readonly ref: NftChainRef;
      readonly items: readonly NftItemSpec[];
    }
  | { readonly op: 'delete' | 'flush' | 'list'; readonly obj: 'table'; readonly ref: NftTableRef }
  | { readonly op: 'delete' | 'flush' | 'list'; readonly obj: 'chain'; readonly ref: NftChainRef }
  | {
      readonly op: 'delete';
      readonly obj: 'rule';
      readonly ref: NftChainRef;
      readonly handle: number;
      readonly handleLoc: NftLoc;
    }
  | {
      readonly op: 'list' | 'flush';
      readonly obj: 'ruleset';
      readonly family: NftFamily | undefined;
    }
  | { readonly op: 'reset'; readonly obj: 'counters'; readonly ref: NftTableRef | undefined };

const FAMILIES: readonly string[] = ['ip', 'ip6', 'inet'];
const HOOKS: readonly string[] = ['prerouting', 'input', 'forward', 'output', 'postrouting'];

/** Standard priority names (nftables src/rule.c std_prios; the ip/ip6/inet values). */
const STD_PRIOS: readonly (readonly [string, number])[] = [
  ['raw', -300],
  ['mangle', -150],
  ['dstnat', -100],
  ['filter', 0],
  ['security', 50],
  ['srcnat', 100],
];

/** Linux nft std_prio_family_hook_compat: dstnat only before routing, srcnat only after. */
function prioCompat(value: number, hook: NfInetHook): boolean {
  if (value === -100) return hook === 'prerouting' || hook === 'output';
  if (value === 100) return hook === 'input' || hook === 'postrouting';
  return true;
}

/** Linux nft prio2str: a standard name within ±10, else the number. */
export function formatPriority(priority: number, hook: NfInetHook): string {
  for (const [name, value] of STD_PRIOS) {
    const offset = priority - value;
    if (Math.abs(offset) <= 10) {
      if (!prioCompat(value, hook)) break;
      if (offset > 0) return `${name} + ${offset}`;
      if (offset < 0) return `${name} - ${-offset}`;
      return name;
    }
  }
  return String(priority);
}

const PROTO_BY_NAME: ReadonlyMap<string, number> = new Map([
  ['icmp', 1],
  ['igmp', 2],
  ['tcp', 6],
  ['udp', 17],
  ['gre', 47],
  ['esp', 50],
  ['ah', 51],
  ['icmpv6', 58],
  ['ipv6-icmp', 58],
  ['sctp', 132],
  ['udplite', 136],
]);
/** Names nft prints (from /etc/protocols). */
const PROTO_NAME: ReadonlyMap<number, string> = new Map([
  [1, 'icmp'],
  [2, 'igmp'],
  [6, 'tcp'],
  [17, 'udp'],
  [47, 'gre'],
  [50, 'esp'],
  [51, 'ah'],
  [58, 'ipv6-icmp'],
  [132, 'sctp'],
  [136, 'udplite'],
]);

const ICMP_TYPES: readonly (readonly [string, number])[] = [
  ['echo-reply', 0],
  ['destination-unreachable', 3],
  ['source-quench', 4],
  ['redirect', 5],
  ['echo-request', 8],
  ['router-advertisement', 9],
  ['router-solicitation', 10],
  ['time-exceeded', 11],
  ['parameter-problem', 12],
  ['timestamp-request', 13],
  ['timestamp-reply', 14],
  ['info-request', 15],
  ['info-reply', 16],
  ['address-mask-request', 17],
  ['address-mask-reply', 18],
];
const ICMPV6_TYPES: readonly (readonly [string, number])[] = [
  ['destination-unreachable', 1],
  ['packet-too-big', 2],
  ['time-exceeded', 3],
  ['parameter-problem', 4],
  ['echo-request', 128],
  ['echo-reply', 129],
  ['mld-listener-query', 130],
  ['mld-listener-report', 131],
  ['mld-listener-done', 132],
  ['nd-router-solicit', 133],
  ['nd-router-advert', 134],
  ['nd-neighbor-solicit', 135],
  ['nd-neighbor-advert', 136],
  ['nd-redirect', 137],
  ['router-renumbering', 138],
  ['ind-neighbor-solicit', 141],
  ['ind-neighbor-advert', 142],
  ['mld2-listener-report', 143],
];

/** ct state names in bit order, the order nft prints them. */
const CT_STATES: readonly (readonly [string, number])[] = [
  ['invalid', 1],
  ['established', 2],
  ['related', 4],
  ['new', 8],
  ['untracked', 64],
];

class Parser {
  readonly tokens: Token[];
  pos = 0;

  constructor(tokens: Token[]) {
    this.tokens = tokens;
  }

  peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)] as Token;
  }

  next(): Token {
    const t = this.peek();
    if (this.pos < this.tokens.length - 1) this.pos++;
    return t;
  }

  /** True at the end of one statement: `;`, end of line, `}` or end of input. */
  atEnd(): boolean {
    const t = this.peek();
    return t.kind === 'eol' || t.kind === 'eof' || (t.kind === 'punct' && t.text !== '{');
  }

  unexpected(t: Token, expecting?: string): NftError {
    const what =
      t.kind === 'eof'
        ? 'end of file'
        : t.kind === 'eol'
          ? 'newline'
          : t.kind === 'string'
            ? 'quoted string'
            : t.kind === 'punct'
              ? `'${t.text}'`
              : /^\d+$/.test(t.text)
                ? 'number'
                : 'string';
    return new NftError(
      `syntax error, unexpected ${what}${expecting !== undefined ? `, expecting ${expecting}` : ''}`,
      t.loc,
    );
  }

  word(expecting = 'string'): Token {
    const t = this.next();
    if (t.kind !== 'word' && t.kind !== 'string') throw this.unexpected(t, expecting);
    return t;
  }

  keyword(...words: string[]): Token {
    const t = this.next();
    if (t.kind !== 'word' || !words.includes(t.text)) throw this.unexpected(t, words.join(' or '));
    return t;
  }

  skipSeparators(): void {
    while (this.peek().kind === 'eol' || (this.peek().kind === 'punct' && this.peek().text === ';'))
      this.next();
  }

  family(): NftFamily {
    const t = this.peek();
    if (t.kind === 'word' && FAMILIES.includes(t.text)) {
      this.next();
      return t.text as NftFamily;
    }
    return 'ip';
  }

  tableRef(): NftTableRef {
    const family = this.family();
    const t = this.word('string');
    return { family, table: t.text, tableLoc: t.loc };
  }

  chainRef(): NftChainRef {
    const ref = this.tableRef();
    const c = this.word('string');
    return { ...ref, chain: c.text, chainLoc: c.loc };
  }

  // ------------------------------------------------------------ commands

  commands(): NftCommand[] {
    const out: NftCommand[] = [];
    for (;;) {
      this.skipSeparators();
      const t = this.peek();
      if (t.kind === 'eof') return out;
      out.push(...this.command());
      if (!this.atEnd()) throw this.unexpected(this.peek());
    }
  }

  command(): NftCommand[] {
    const t = this.word();
    switch (t.text) {
      case 'add':
      case 'create':
        return this.addCommand(t.text);
      case 'insert': {
        this.keyword('rule');
        return [this.ruleCommand('insert')];
      }
      case 'table':
        return this.tableBlock({ ...this.tableRef() });
      case 'delete': {
        const obj = this.keyword('table', 'chain', 'rule');
        if (obj.text === 'table') return [{ op: 'delete', obj: 'table', ref: this.tableRef() }];
        if (obj.text === 'chain') return [{ op: 'delete', obj: 'chain', ref: this.chainRef() }];
        const ref = this.chainRef();
        this.keyword('handle');
        const h = this.word('number');
        if (!/^\d+$/.test(h.text)) throw this.unexpected(h, 'number');
        return [{ op: 'delete', obj: 'rule', ref, handle: Number(h.text), handleLoc: h.loc }];
      }
      case 'list':
      case 'flush': {
        const obj = this.keyword('ruleset', 'table', 'chain');
        if (obj.text === 'ruleset') {
          const f = this.peek();
          const family =
            f.kind === 'word' && FAMILIES.includes(f.text)
              ? (this.next().text as NftFamily)
              : undefined;
          return [{ op: t.text, obj: 'ruleset', family }];
        }
        if (obj.text === 'table') return [{ op: t.text, obj: 'table', ref: this.tableRef() }];
        return [{ op: t.text, obj: 'chain', ref: this.chainRef() }];
      }
      case 'reset': {
        this.keyword('counters');
        if (this.atEnd()) return [{ op: 'reset', obj: 'counters', ref: undefined }];
        this.keyword('table');
        return [{ op: 'reset', obj: 'counters', ref: this.tableRef() }];
      }
      default:
        throw this.unexpected(t);
    }
  }

  addCommand(op: 'add' | 'create'): NftCommand[] {
    const obj = this.keyword('table', 'chain', 'rule');
    if (obj.text === 'table') {
      const ref = this.tableRef();
      const head: NftCommand = { op, obj: 'table', ref };
      if (this.peek().kind === 'punct' && this.peek().text === '{') {
        return [head, ...this.tableBody(ref)];
      }
      return [head];
    }
    if (obj.text === 'chain') {
      const ref = this.chainRef();
      let base: NftBaseSpec | null = null;
      if (this.peek().kind === 'punct' && this.peek().text === '{') {
        this.next();
        base = this.chainSpec(ref.family);
        this.skipSeparators();
        const close = this.next();
        if (close.text !== '}') throw this.unexpected(close, "'}'");
      }
      return [{ op, obj: 'chain', ref, base }];
    }
    if (op === 'create') throw this.unexpected(obj, 'table or chain');
    return [this.ruleCommand('add')];
  }

  ruleCommand(op: 'add' | 'insert'): NftCommand {
    const ref = this.chainRef();
    return { op, obj: 'rule', ref, items: this.ruleItems(ref.family) };
  }

  /** `table FAMILY NAME { chain … }` as in a ruleset file. */
  tableBlock(ref: NftTableRef): NftCommand[] {
    return [{ op: 'add', obj: 'table', ref }, ...this.tableBody(ref)];
  }

  tableBody(ref: NftTableRef): NftCommand[] {
    const open = this.next();
    if (open.text !== '{') throw this.unexpected(open, "'{'");
    const out: NftCommand[] = [];
    for (;;) {
      this.skipSeparators();
      const t = this.next();
      if (t.kind === 'punct' && t.text === '}') return out;
      if (t.kind !== 'word' || t.text !== 'chain') throw this.unexpected(t, 'chain');
      const name = this.word();
      const chainRef: NftChainRef = { ...ref, chain: name.text, chainLoc: name.loc };
      const o = this.next();
      if (o.text !== '{') throw this.unexpected(o, "'{'");
      this.skipSeparators();
      let base: NftBaseSpec | null = null;
      if (this.peek().kind === 'word' && this.peek().text === 'type') {
        base = this.chainSpec(ref.family);
      }
      out.push({ op: 'add', obj: 'chain', ref: chainRef, base });
      for (;;) {
        this.skipSeparators();
        const p = this.peek();
        if (p.kind === 'punct' && p.text === '}') {
          this.next();
          break;
        }
        if (p.kind === 'eof') throw this.unexpected(p, "'}'");
        out.push({ op: 'add', obj: 'rule', ref: chainRef, items: this.ruleItems(ref.family) });
      }
    }
  }

  /** `type T hook H priority P; [policy X;]` */
  chainSpec(family: NftFamily): NftBaseSpec {
    this.skipSeparators();
    this.keyword('type');
    const typeTok = this.keyword('filter', 'nat', 'route');
    if (typeTok.text === 'route')
      throw new NftError('Could not process rule: Operation not supported', typeTok.loc);
    const type = typeTok.text as NftChainType;
    this.keyword('hook');
    const hookTok = this.word();
    if (!HOOKS.includes(hookTok.text)) throw new NftError(`unknown chain hook`, hookTok.loc);
    const hook = hookTok.text as NfInetHook;
    this.keyword('priority');
    const priority = this.priority(hook, family);
    let policy: NftPolicy = 'accept';
    this.skipSeparators();
    if (this.peek().kind === 'word' && this.peek().text === 'policy') {
      this.next();
      const p = this.keyword('accept', 'drop');
      policy = p.text as NftPolicy;
      this.skipSeparators();
    }
    return { type, hook, priority, policy };
  }

  priority(hook: NfInetHook, family: NftFamily): number {
    void family;
    const first = this.word('number');
    let value: number;
    if (/^-?\d+$/.test(first.text)) value = Number(first.text);
    else {
      const std = STD_PRIOS.find(([n]) => n === first.text);
      if (std === undefined || !prioCompat(std[1], hook))
        throw new NftError(`'${first.text}' is not a valid priority in this context`, first.loc);
      value = std[1];
      const op = this.peek();
      if (op.kind === 'word' && (op.text === '+' || op.text === '-')) {
        this.next();
        const n = this.word('number');
        if (!/^\d+$/.test(n.text)) throw this.unexpected(n, 'number');
        value += (op.text === '+' ? 1 : -1) * Number(n.text);
      }
    }
    return value;
  }

  // ------------------------------------------------------------ rules

  ruleItems(family: NftFamily): NftItemSpec[] {
    const items: NftItemSpec[] = [];
    while (!this.atEnd()) items.push(this.item(family));
    if (items.length === 0) throw this.unexpected(this.peek());
    return items;
  }

  neg(): boolean {
    const t = this.peek();
    if (t.kind === 'word' && (t.text === '!=' || t.text === '==')) {
      this.next();
      return t.text === '!=';
    }
    return false;
  }

  item(family: NftFamily): NftItemSpec {
    const t = this.word();
    const start = t.loc;
    const done = (item: NftItem): NftItemSpec => {
      const end = this.tokens[this.pos - 1]?.loc ?? start;
      return { item, loc: { ...start, last: end.line === start.line ? end.last : start.last } };
    };
    switch (t.text) {
      case 'ip':
      case 'ip6': {
        const field = this.keyword(
          'saddr',
          'daddr',
          ...(t.text === 'ip' ? ['protocol'] : ['nexthdr']),
        );
        if (field.text === 'protocol' || field.text === 'nexthdr') {
          const neg = this.neg();
          return done({
            kind: 'l4proto',
            key: t.text === 'ip' ? 'ip protocol' : 'ip6 nexthdr',
            proto: this.proto(),
            neg,
          });
        }
        const neg = this.neg();
        const v = this.word('address');
        const prefix = parseAddrPrefix(v.text, t.text === 'ip' ? 4 : 6);
        if (prefix === null)
          throw new NftError(`Could not resolve hostname: Name or service not known`, v.loc);
        return done({
          kind: 'addr',
          family: t.text,
          field: field.text as 'saddr' | 'daddr',
          prefix,
          neg,
        });
      }
      case 'iif':
      case 'oif':
      case 'iifname':
      case 'oifname':
        return done(this.iface(t.text));
      case 'meta': {
        const key = this.keyword('l4proto', 'iif', 'oif', 'iifname', 'oifname');
        if (key.text === 'l4proto') {
          const neg = this.neg();
          return done({ kind: 'l4proto', key: 'meta l4proto', proto: this.proto(), neg });
        }
        return done(this.iface(key.text as 'iif' | 'oif' | 'iifname' | 'oifname'));
      }
      case 'tcp':
      case 'udp': {
        const field = this.keyword('sport', 'dport');
        const neg = this.neg();
        const v = this.word('number');
        const m = /^(\d+)(?:-(\d+))?$/.exec(v.text);
        const lo = Number(m?.[1] ?? NaN);
        const hi = m?.[2] !== undefined ? Number(m[2]) : lo;
        if (m === null || lo > 65535 || hi > 65535 || hi < lo) throw this.unexpected(v, 'number');
        return done({
          kind: 'port',
          proto: t.text,
          field: field.text as 'sport' | 'dport',
          lo,
          hi,
          neg,
        });
      }
      case 'icmp':
      case 'icmpv6': {
        this.keyword('type');
        const neg = this.neg();
        const v = this.word();
        const table = t.text === 'icmp' ? ICMP_TYPES : ICMPV6_TYPES;
        const type = /^\d+$/.test(v.text) ? Number(v.text) : table.find(([n]) => n === v.text)?.[1];
        if (type === undefined || type > 255)
          throw new NftError(`Could not parse ICMP${t.text === 'icmp' ? '' : 'v6'} type`, v.loc);
        return done({ kind: 'icmpType', proto: t.text, type, neg });
      }
      case 'ct': {
        this.keyword('state');
        const neg = this.neg();
        const v = this.word();
        let bits = 0;
        for (const name of v.text.split(',')) {
          const bit = CT_STATES.find(([n]) => n === name)?.[1];
          if (bit === undefined) throw new NftError(`Could not parse conntrack state`, v.loc);
          bits |= bit;
        }
        return done({ kind: 'ctState', bits, neg });
      }
      case 'counter': {
        const stmt: NftStmt = { kind: 'counter', packets: 0, bytes: 0 };
        if (this.peek().text === 'packets') {
          this.next();
          stmt.packets = Number(this.word('number').text) || 0;
          this.keyword('bytes');
          stmt.bytes = Number(this.word('number').text) || 0;
        }
        return done(stmt);
      }
      case 'accept':
      case 'drop':
        return done({ kind: 'verdict', verdict: t.text });
      case 'masquerade':
        return done({ kind: 'masquerade' });
      case 'snat':
      case 'dnat': {
        let natFamily: 'ip' | 'ip6' | undefined;
        const f = this.peek();
        if (f.kind === 'word' && (f.text === 'ip' || f.text === 'ip6')) {
          this.next();
          natFamily = f.text;
        }
        this.keyword('to');
        const v = this.word('address');
        const target = parseNatTarget(v.text);
        if (target === null)
          throw new NftError(`Could not resolve hostname: Name or service not known`, v.loc);
        // In inet tables nft needs the family; take it from the address, as listings
        // then show it (`snat ip to …`).
        if (family === 'inet' && natFamily === undefined)
          natFamily = isIpv4(target.addr) ? 'ip' : 'ip6';
        return done({ kind: t.text, family: natFamily, addr: target.addr, port: target.port });
      }
      default:
        throw this.unexpected(t);
    }
  }

  iface(key: 'iif' | 'oif' | 'iifname' | 'oifname'): NftMatch {
    const neg = this.neg();
    const v = this.word();
    return { kind: 'iface', key, name: v.text, ifindex: 0, neg };
  }

  proto(): number {
    const v = this.word();
    const n = /^\d+$/.test(v.text) ? Number(v.text) : PROTO_BY_NAME.get(v.text);
    if (n === undefined || n > 255) throw new NftError(`Could not resolve protocol name`, v.loc);
    return n;
  }
}

function parseAddrPrefix(text: string, version: 4 | 6): IpPrefix | null {
  const slash = text.indexOf('/');
  const addr = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (addr === null || isIpv4(addr) !== (version === 4)) return null;
  const max = version === 4 ? 32 : 128;
  const len = slash < 0 ? max : Number(text.slice(slash + 1));
  if (!Number.isInteger(len) || len < 0 || len > max) return null;
  // nft stores the masked value, so `10.0.0.1/24` lists as `10.0.0.0/24`.
  const prefix: IpPrefix = { addr, len };
  return { addr: prefixNetwork(prefix), len };
}

function parseNatTarget(text: string): { addr: IpAddr; port: number | undefined } | null {
  let host = text;
  let port: number | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (v6 !== null) {
    host = v6[1] as string;
    if (v6[2] !== undefined) port = Number(v6[2]);
  } else if (/^[\d.]+:\d+$/.test(text)) {
    const i = text.lastIndexOf(':');
    host = text.slice(0, i);
    port = Number(text.slice(i + 1));
  }
  const addr = parseIp(host);
  if (addr === null || (port !== undefined && port > 65535)) return null;
  return { addr, port };
}

/**
 * Parses nft input (a joined command line or a ruleset file) into commands.
 * @throws {NftError} on a syntax error, with the span nft would underline.
 */
export function parseNft(input: string): NftCommand[] {
  return new Parser(scan(input)).commands();
}

// ---------------------------------------------------------------- printer

/** What the printer needs of a chain (the engine's NftChain satisfies it). */
export interface NftChainView {
  readonly name: string;
  readonly handle: number;
  readonly base: NftBaseSpec | null;
  readonly rules: readonly { readonly handle: number; readonly items: readonly NftItem[] }[];
}

export interface NftTableView {
  readonly family: NftFamily;
  readonly name: string;
  readonly handle: number;
  readonly chains: readonly NftChainView[];
}

export interface NftPrintOptions {
  /** `-a`: print handles. */
  readonly handles?: boolean;
}

function formatPrefix(prefix: IpPrefix): string {
  const max = isIpv4(prefix.addr) ? 32 : 128;
  return prefix.len === max ? formatIp(prefix.addr) : `${formatIp(prefix.addr)}/${prefix.len}`;
}

function formatNatAddr(addr: IpAddr, port: number | undefined): string {
  if (port === undefined) return formatIp(addr);
  return isIpv4(addr) ? `${formatIp(addr)}:${port}` : `[${formatIp(addr)}]:${port}`;
}

/** One rule item as `nft list` prints it. */
export function formatNftItem(item: NftItem): string {
  const op = (neg: boolean): string => (neg ? '!= ' : '');
  switch (item.kind) {
    case 'addr':
      return `${item.family} ${item.field} ${op(item.neg)}${formatPrefix(item.prefix)}`;
    case 'iface':
      return `${item.key} ${op(item.neg)}"${item.name}"`;
    case 'l4proto':
      return `${item.key} ${op(item.neg)}${PROTO_NAME.get(item.proto) ?? item.proto}`;
    case 'port':
      return `${item.proto} ${item.field} ${op(item.neg)}${item.lo === item.hi ? item.lo : `${item.lo}-${item.hi}`}`;
    case 'icmpType': {
      const table = item.proto === 'icmp' ? ICMP_TYPES : ICMPV6_TYPES;
      const name = table.find(([, v]) => v === item.type)?.[0] ?? String(item.type);
      return `${item.proto} type ${op(item.neg)}${name}`;
    }
    case 'ctState': {
      const names = CT_STATES.filter(([, b]) => (item.bits & b) !== 0).map(([n]) => n);
      return `ct state ${op(item.neg)}${names.join(',')}`;
    }
    case 'counter':
      return `counter packets ${item.packets} bytes ${item.bytes}`;
    case 'verdict':
      return item.verdict;
    case 'masquerade':
      return 'masquerade';
    case 'snat':
    case 'dnat':
      return `${item.kind}${item.family !== undefined ? ` ${item.family}` : ''} to ${formatNatAddr(item.addr, item.port)}`;
  }
}

/** One chain inside its table, as table_print/chain_print lay it out (tabs). */
function formatChain(chain: NftChainView, opts: NftPrintOptions): string {
  let s = `\tchain ${chain.name} {`;
  if (opts.handles === true) s += ` # handle ${chain.handle}`;
  s += '\n';
  if (chain.base !== null) {
    const b = chain.base;
    s += `\t\ttype ${b.type} hook ${b.hook} priority ${formatPriority(b.priority, b.hook)}; policy ${b.policy};\n`;
  }
  for (const rule of chain.rules) {
    s += `\t\t${rule.items.map(formatNftItem).join(' ')}`;
    if (opts.handles === true) s += ` # handle ${rule.handle}`;
    s += '\n';
  }
  return s + '\t}\n';
}

/** A table as `nft list table` prints it; `only` restricts it to one chain (`list chain`). */
export function formatNftTable(
  table: NftTableView,
  opts: NftPrintOptions = {},
  only?: NftChainView,
): string {
  let s = `table ${table.family} ${table.name} {`;
  if (opts.handles === true) s += ` # handle ${table.handle}`;
  s += '\n';
  let delim = '';
  for (const chain of table.chains) {
    if (only !== undefined && chain !== only) continue;
    s += delim + formatChain(chain, opts);
    delim = '\n';
  }
  return s + '}\n';
}

/** `nft list ruleset`: every table in creation order, no blank line between tables. */
export function formatNftRuleset(
  tables: readonly NftTableView[],
  family: NftFamily | undefined,
  opts: NftPrintOptions = {},
): string {
  return tables
    .filter((t) => family === undefined || t.family === family)
    .map((t) => formatNftTable(t, opts))
    .join('');
}
