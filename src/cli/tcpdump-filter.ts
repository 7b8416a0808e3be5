// A subset of pcap-filter(7) for tcpdump: protocol names (ether, arp, ip, ip6, icmp,
// icmp6, udp, tcp, vlan), `host`, `net`, `port` and `ether host` with src/dst
// qualifiers, byte comparisons `proto[off]` / `proto[off:size]` with relational
// operators and `&`, and `and`/`or`/`not` (`&&`, `||`, `!`) with parentheses.
// Matching reads the frame with bounds checks and never throws on bad bytes.
//
// Differs from libpcap: no arithmetic beyond `&`, no `gateway`, `portrange`, `less`,
// `greater`, `broadcast`/`multicast` keywords; `vlan` matches a tagged frame and,
// like libpcap, moves the following primitives past the tag.

import { ETH_P_8021AD, ETH_P_8021Q, ETH_P_ARP, ETH_P_IP, ETH_P_IPV6 } from '../uapi/if.ts';
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP } from '../uapi/rtnetlink.ts';
import {
  ipv4At,
  Ipv6Addr,
  MacAddr,
  parseIpv4,
  parsePrefix,
  prefixContains,
  type IpAddr,
  type IpPrefix,
} from '../wire/address.ts';
import { be16 } from '../wire/bytes.ts';

/** What a filter looks at in one frame. */
interface Fields {
  readonly frame: Uint8Array;
  readonly ethertype: number;
  /** Offset of the network header. */
  readonly l3: number;
  readonly src?: IpAddr;
  readonly dst?: IpAddr;
  /** IP protocol / IPv6 next header (first upper layer, only a few extension headers walked). */
  readonly proto?: number;
  readonly l4?: number;
  readonly tagged: boolean;
}

function fields(frame: Uint8Array): Fields | null {
  if (frame.length < 14) return null;
  let type = be16(frame, 12);
  let l3 = 14;
  let tagged = false;
  while ((type === ETH_P_8021Q || type === ETH_P_8021AD) && frame.length >= l3 + 4) {
    tagged = true;
    type = be16(frame, l3 + 2);
    l3 += 4;
  }
  const base = { frame, ethertype: type, l3, tagged };
  if (type === ETH_P_IP && frame.length >= l3 + 20) {
    const ihl = ((frame[l3] ?? 0) & 0x0f) * 4;
    return {
      ...base,
      src: ipv4At(frame, l3 + 12),
      dst: ipv4At(frame, l3 + 16),
      proto: frame[l3 + 9] ?? 0,
      l4: l3 + ihl,
    };
  }
  if (type === ETH_P_IPV6 && frame.length >= l3 + 40) {
    let next = frame[l3 + 6] ?? 0;
    let off = l3 + 40;
    // Hop-by-hop, routing and destination options: walk them to the upper layer.
    while ((next === 0 || next === 43 || next === 60) && frame.length >= off + 8) {
      next = frame[off] ?? 0;
      off += ((frame[off + 1] ?? 0) + 1) * 8;
    }
    return {
      ...base,
      src: Ipv6Addr.fromBytes(frame, l3 + 8),
      dst: Ipv6Addr.fromBytes(frame, l3 + 24),
      proto: next,
      l4: off,
    };
  }
  if (type === ETH_P_ARP && frame.length >= l3 + 28) {
    return { ...base, src: ipv4At(frame, l3 + 14), dst: ipv4At(frame, l3 + 24) };
  }
  return base;
}

/** A compiled filter. */
export type FrameFilter = (frame: Uint8Array) => boolean;

type Dir = 'src' | 'dst' | 'src or dst' | 'src and dst';

type Node =
  | { readonly op: 'and' | 'or'; readonly a: Node; readonly b: Node }
  | { readonly op: 'not'; readonly a: Node }
  | { readonly op: 'proto'; readonly name: string }
  | { readonly op: 'host'; readonly dir: Dir; readonly addr: IpAddr }
  | { readonly op: 'net'; readonly dir: Dir; readonly prefix: IpPrefix }
  | { readonly op: 'port'; readonly dir: Dir; readonly port: number }
  | { readonly op: 'ehost'; readonly dir: Dir; readonly mac: MacAddr }
  | {
      readonly op: 'rel';
      readonly proto: string;
      readonly offset: number;
      readonly size: number;
      readonly mask: number | undefined;
      readonly rel: string;
      readonly value: number;
    };

/** A filter expression libpcap refuses, with its message. */
export class FilterError {
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}

const PROTOS = new Set(['ether', 'arp', 'ip', 'ip6', 'icmp', 'icmp6', 'udp', 'tcp', 'vlan']);

function tokenize(words: readonly string[]): string[] {
  const text = words.join(' ');
  const out: string[] = [];
  // ':' separates offset and size only inside `[...]`; elsewhere it belongs to MAC and
  // IPv6 addresses.
  const outside = /\s*(&&|\|\||>=|<=|!=|==|[()!\[\]<>=&]|[^\s()!\[\]<>=&|]+)/y;
  const inside = /\s*([\]:&]|[^\s\]:&]+)/y;
  let pos = 0;
  let depth = 0;
  for (;;) {
    const re = depth > 0 ? inside : outside;
    re.lastIndex = pos;
    const m = re.exec(text);
    if (m === null) break;
    const tok = m[1] ?? '';
    if (tok === '[') depth++;
    else if (tok === ']') depth = Math.max(0, depth - 1);
    out.push(tok);
    pos = re.lastIndex;
  }
  if (text.slice(pos).trim() !== '') throw new FilterError('syntax error');
  return out;
}

function number(text: string | undefined): number {
  if (text === undefined) throw new FilterError('syntax error');
  const v = /^0x[0-9a-f]+$/i.test(text)
    ? parseInt(text, 16)
    : /^\d+$/.test(text)
      ? Number(text)
      : NaN;
  if (Number.isNaN(v)) throw new FilterError('syntax error');
  return v;
}

class Parser {
  readonly #t: string[];
  #i = 0;
  constructor(tokens: string[]) {
    this.#t = tokens;
  }
  get #peek(): string | undefined {
    return this.#t[this.#i];
  }
  #take(): string | undefined {
    return this.#t[this.#i++];
  }
  parse(): Node {
    const n = this.#or();
    if (this.#peek !== undefined) throw new FilterError('syntax error');
    return n;
  }
  #or(): Node {
    let a = this.#and();
    while (this.#peek === 'or' || this.#peek === '||') {
      this.#take();
      a = { op: 'or', a, b: this.#and() };
    }
    return a;
  }
  #and(): Node {
    let a = this.#unary();
    while (this.#peek === 'and' || this.#peek === '&&') {
      this.#take();
      a = { op: 'and', a, b: this.#unary() };
    }
    return a;
  }
  #unary(): Node {
    const t = this.#peek;
    if (t === 'not' || t === '!') {
      this.#take();
      return { op: 'not', a: this.#unary() };
    }
    if (t === '(') {
      this.#take();
      const n = this.#or();
      if (this.#take() !== ')') throw new FilterError('syntax error');
      return n;
    }
    return this.#primitive();
  }
  #dir(): Dir {
    const t = this.#peek;
    if (t !== 'src' && t !== 'dst') return 'src or dst';
    this.#take();
    if (
      (this.#peek === 'or' || this.#peek === 'and') &&
      (this.#t[this.#i + 1] === 'src' || this.#t[this.#i + 1] === 'dst')
    ) {
      const op = this.#take();
      this.#take();
      return op === 'or' ? 'src or dst' : 'src and dst';
    }
    return t;
  }
  #primitive(): Node {
    const t = this.#peek;
    if (t === undefined) throw new FilterError('syntax error');
    if (PROTOS.has(t) && this.#t[this.#i + 1] === '[') return this.#relation();
    if (
      t === 'ether' &&
      (this.#t[this.#i + 1] === 'host' ||
        this.#t[this.#i + 1] === 'src' ||
        this.#t[this.#i + 1] === 'dst')
    ) {
      this.#take();
      const dir = this.#dir();
      if (this.#peek === 'host') this.#take();
      const mac = MacAddr.parse(this.#take() ?? '');
      if (mac === null) throw new FilterError('bogus ethernet address');
      return { op: 'ehost', dir, mac };
    }
    if (PROTOS.has(t)) {
      this.#take();
      // `ip host X`, `ip6 net Y`: the protocol qualifier narrows the primitive after it.
      const n = this.#peek;
      if (n === 'host' || n === 'net' || n === 'src' || n === 'dst' || n === 'port')
        return { op: 'and', a: { op: 'proto', name: t }, b: this.#primitive() };
      return { op: 'proto', name: t };
    }
    const dir = this.#dir();
    const kw = this.#peek;
    if (kw === 'host' || kw === 'net' || kw === 'port') this.#take();
    const value = this.#take();
    if (value === undefined) throw new FilterError('syntax error');
    if (kw === 'port') {
      const port = number(value);
      if (port > 65535) throw new FilterError(`illegal port number ${port} > 65535`);
      return { op: 'port', dir, port };
    }
    if (kw === 'net') {
      const prefix = parsePrefix(value.includes('/') ? value : value);
      if (prefix === null) throw new FilterError(`invalid net ${value}`);
      return { op: 'net', dir, prefix };
    }
    const addr = parseIpv4(value) ?? Ipv6Addr.parse(value);
    if (addr === null) throw new FilterError(`unknown host '${value}'`);
    return { op: 'host', dir, addr };
  }
  #relation(): Node {
    const proto = this.#take() ?? '';
    this.#take(); // '['
    const offset = number(this.#take());
    let size = 1;
    if (this.#peek === ':') {
      this.#take();
      size = number(this.#take());
      if (size !== 1 && size !== 2 && size !== 4)
        throw new FilterError('data size must be 1, 2, or 4');
    }
    if (this.#take() !== ']') throw new FilterError('syntax error');
    let mask: number | undefined;
    if (this.#peek === '&') {
      this.#take();
      mask = number(this.#take());
    }
    const rel = this.#take();
    if (rel === undefined || !['>', '<', '>=', '<=', '=', '==', '!='].includes(rel))
      throw new FilterError('syntax error');
    return { op: 'rel', proto, offset, size, mask, rel, value: number(this.#take()) };
  }
}

function dirMatch(dir: Dir, src: boolean, dst: boolean): boolean {
  if (dir === 'src') return src;
  if (dir === 'dst') return dst;
  if (dir === 'src and dst') return src && dst;
  return src || dst;
}

function sameIp(a: IpAddr | undefined, b: IpAddr): boolean {
  if (a === undefined) return false;
  if (typeof a === 'number' || typeof b === 'number') return a === b;
  return a.equals(b);
}

function evaluate(n: Node, f: Fields): boolean {
  switch (n.op) {
    case 'and':
      return evaluate(n.a, f) && evaluate(n.b, f);
    case 'or':
      return evaluate(n.a, f) || evaluate(n.b, f);
    case 'not':
      return !evaluate(n.a, f);
    case 'proto':
      return protoMatch(n.name, f);
    case 'host':
      if (
        f.ethertype !== (typeof n.addr === 'number' ? ETH_P_IP : ETH_P_IPV6) &&
        !(typeof n.addr === 'number' && f.ethertype === ETH_P_ARP)
      )
        return false;
      return dirMatch(n.dir, sameIp(f.src, n.addr), sameIp(f.dst, n.addr));
    case 'net':
      return dirMatch(
        n.dir,
        f.src !== undefined && prefixContains(n.prefix, f.src),
        f.dst !== undefined && prefixContains(n.prefix, f.dst),
      );
    case 'port': {
      if (f.l4 === undefined || (f.proto !== IPPROTO_UDP && f.proto !== IPPROTO_TCP)) return false;
      if (f.frame.length < f.l4 + 4) return false;
      return dirMatch(n.dir, be16(f.frame, f.l4) === n.port, be16(f.frame, f.l4 + 2) === n.port);
    }
    case 'ehost':
      return dirMatch(
        n.dir,
        MacAddr.fromBytes(f.frame, 6).equals(n.mac),
        MacAddr.fromBytes(f.frame, 0).equals(n.mac),
      );
    case 'rel': {
      if (!protoMatch(n.proto, f)) return false;
      const base =
        n.proto === 'ether'
          ? 0
          : n.proto === 'ip' || n.proto === 'ip6' || n.proto === 'arp'
            ? f.l3
            : f.l4;
      if (base === undefined) return false;
      const at = base + n.offset;
      if (at + n.size > f.frame.length) return false;
      let v = 0;
      for (let i = 0; i < n.size; i++) v = v * 256 + (f.frame[at + i] ?? 0);
      if (n.mask !== undefined) v = (v & n.mask) >>> 0;
      switch (n.rel) {
        case '>':
          return v > n.value;
        case '<':
          return v < n.value;
        case '>=':
          return v >= n.value;
        case '<=':
          return v <= n.value;
        case '!=':
          return v !== n.value;
        default:
          return v === n.value;
      }
    }
  }
}

function protoMatch(name: string, f: Fields): boolean {
  switch (name) {
    case 'ether':
      return true;
    case 'vlan':
      return f.tagged;
    case 'arp':
      return f.ethertype === ETH_P_ARP;
    case 'ip':
      return f.ethertype === ETH_P_IP;
    case 'ip6':
      return f.ethertype === ETH_P_IPV6;
    case 'icmp':
      return f.ethertype === ETH_P_IP && f.proto === IPPROTO_ICMP;
    case 'icmp6':
      return f.ethertype === ETH_P_IPV6 && f.proto === IPPROTO_ICMPV6;
    case 'udp':
      return (f.ethertype === ETH_P_IP || f.ethertype === ETH_P_IPV6) && f.proto === IPPROTO_UDP;
    case 'tcp':
      return (f.ethertype === ETH_P_IP || f.ethertype === ETH_P_IPV6) && f.proto === IPPROTO_TCP;
    default:
      return false;
  }
}

/**
 * Compiles the filter words of a tcpdump command line (empty: match everything).
 * @throws {FilterError} with libpcap's message for an expression it would refuse.
 */
export function compileFilter(words: readonly string[]): FrameFilter {
  if (words.join('').trim() === '') return () => true;
  const node = new Parser(tokenize(words)).parse();
  return (frame) => {
    const f = fields(frame);
    return f !== null && evaluate(node, f);
  };
}
