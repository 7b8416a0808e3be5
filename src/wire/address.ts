// Link and network addresses: MAC (EUI-48), IPv4 (a branded uint32 number, so `===`
// compares and Map keys are free) and IPv6 (16 immutable bytes), with parse and format
// as iproute2 prints them (inet_ntop: RFC 5952 for IPv6) and prefixes.

import { be16 } from './bytes.ts';

// ---------------------------------------------------------------- MAC

/** An EUI-48 address. Immutable: never write to `bytes`. */
export class MacAddr {
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  static readonly BROADCAST = new MacAddr(new Uint8Array([255, 255, 255, 255, 255, 255]));
  static readonly ZERO = new MacAddr(new Uint8Array(6));

  /** Copies 6 bytes starting at `offset` (the caller has checked the length). */
  static fromBytes(bytes: Uint8Array, offset = 0): MacAddr {
    return new MacAddr(bytes.slice(offset, offset + 6));
  }

  /** Parses `aa:bb:cc:dd:ee:ff` (1 or 2 hex digits per byte, `:` or `-`), or returns null. */
  static parse(text: string): MacAddr | null {
    const parts = text.split(/[:-]/);
    if (parts.length !== 6) return null;
    const out = new Uint8Array(6);
    for (let i = 0; i < 6; i++) {
      const p = parts[i] ?? '';
      if (!/^[0-9a-fA-F]{1,2}$/.test(p)) return null;
      out[i] = parseInt(p, 16);
    }
    return new MacAddr(out);
  }

  /** Multicast (and broadcast): the I/G bit of the first octet. */
  get isMulticast(): boolean {
    return ((this.bytes[0] as number) & 1) === 1;
  }

  get isBroadcast(): boolean {
    return this.bytes.every((b) => b === 0xff);
  }

  get isZero(): boolean {
    return this.bytes.every((b) => b === 0);
  }

  /** A valid unicast station address (Linux: is_valid_ether_addr). */
  get isValidUnicast(): boolean {
    return !this.isMulticast && !this.isZero;
  }

  equals(other: MacAddr): boolean {
    for (let i = 0; i < 6; i++) if (this.bytes[i] !== other.bytes[i]) return false;
    return true;
  }

  /** Equal to the 6 bytes at `offset` of `frame`. */
  equalsAt(frame: Uint8Array, offset: number): boolean {
    for (let i = 0; i < 6; i++) if (this.bytes[i] !== frame[offset + i]) return false;
    return true;
  }

  /** Writes the address into `out` at `offset`. */
  writeTo(out: Uint8Array, offset: number): void {
    out.set(this.bytes, offset);
  }

  /** Lower-case colon form, as `ip link` prints it. */
  toString(): string {
    let s = '';
    for (let i = 0; i < 6; i++) {
      if (i > 0) s += ':';
      s += (this.bytes[i] as number).toString(16).padStart(2, '0');
    }
    return s;
  }

  /** A number usable as a Map key (48 bits fit a double exactly). */
  get key(): number {
    let k = 0;
    for (let i = 0; i < 6; i++) k = k * 256 + (this.bytes[i] as number);
    return k;
  }
}

/** Reads the 48-bit MAC at `offset` as a number key without allocating. */
export function macKeyAt(frame: Uint8Array, offset: number): number {
  let k = 0;
  for (let i = 0; i < 6; i++) k = k * 256 + (frame[offset + i] ?? 0);
  return k;
}

// ---------------------------------------------------------------- IPv4

declare const ipv4Brand: unique symbol;
/** An IPv4 address as an unsigned 32-bit number (network order value: 10.0.0.1 = 0x0a000001). */
export type Ipv4Addr = number & { readonly [ipv4Brand]: true };

/** Brands a uint32 as an IPv4 address (masks to 32 bits). */
export function ipv4(value: number): Ipv4Addr {
  return (value >>> 0) as Ipv4Addr;
}

/** Builds an address from its four octets. */
export function ipv4FromOctets(a: number, b: number, c: number, d: number): Ipv4Addr {
  return ipv4(((a & 255) << 24) | ((b & 255) << 16) | ((c & 255) << 8) | (d & 255));
}

/** Reads the IPv4 address at `offset`. */
export function ipv4At(bytes: Uint8Array, offset: number): Ipv4Addr {
  return ipv4FromOctets(
    bytes[offset] ?? 0,
    bytes[offset + 1] ?? 0,
    bytes[offset + 2] ?? 0,
    bytes[offset + 3] ?? 0,
  );
}

/** Writes an IPv4 address at `offset`. */
export function writeIpv4(out: Uint8Array, offset: number, addr: Ipv4Addr): void {
  out[offset] = addr >>> 24;
  out[offset + 1] = (addr >>> 16) & 255;
  out[offset + 2] = (addr >>> 8) & 255;
  out[offset + 3] = addr & 255;
}

/** Strict dotted-quad parse (inet_pton): exactly four decimal octets, or null. */
export function parseIpv4(text: string): Ipv4Addr | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let v = 0;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    v = v * 256 + n;
  }
  return ipv4(v);
}

/** Dotted-quad text. */
export function formatIpv4(addr: Ipv4Addr): string {
  return `${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}`;
}

/** The netmask of a prefix length 0..32. */
export function ipv4Mask(len: number): number {
  return len <= 0 ? 0 : len >= 32 ? 0xffffffff : (0xffffffff << (32 - len)) >>> 0;
}

export const IPV4_ANY = ipv4(0);
export const IPV4_BROADCAST = ipv4(0xffffffff);

export function ipv4IsMulticast(addr: Ipv4Addr): boolean {
  return addr >>> 28 === 0xe;
}
export function ipv4IsLoopback(addr: Ipv4Addr): boolean {
  return addr >>> 24 === 127;
}
export function ipv4IsLinkLocal(addr: Ipv4Addr): boolean {
  return addr >>> 16 === 0xa9fe;
}

// ---------------------------------------------------------------- IPv6

/** An IPv6 address: 16 immutable bytes. */
export class Ipv6Addr {
  readonly bytes: Uint8Array;
  #key: string | undefined;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  static readonly UNSPECIFIED = new Ipv6Addr(new Uint8Array(16));
  static readonly LOOPBACK = new Ipv6Addr(
    Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
  );

  /** Copies 16 bytes starting at `offset` (the caller has checked the length). */
  static fromBytes(bytes: Uint8Array, offset = 0): Ipv6Addr {
    const out = new Uint8Array(16);
    out.set(bytes.subarray(offset, offset + 16));
    return new Ipv6Addr(out);
  }

  /** Builds an address from eight 16-bit groups. */
  static fromWords(words: readonly number[]): Ipv6Addr {
    const out = new Uint8Array(16);
    for (let i = 0; i < 8; i++) {
      const w = words[i] ?? 0;
      out[2 * i] = (w >>> 8) & 255;
      out[2 * i + 1] = w & 255;
    }
    return new Ipv6Addr(out);
  }

  /** Parses RFC 4291 §2.2 text (with `::` and a trailing dotted quad), or returns null. */
  static parse(text: string): Ipv6Addr | null {
    if (text.length === 0 || text.length > 45) return null;
    let head = text;
    let tail = '';
    const dbl = text.indexOf('::');
    if (dbl >= 0) {
      if (text.indexOf('::', dbl + 1) >= 0) return null;
      head = text.slice(0, dbl);
      tail = text.slice(dbl + 2);
    }
    const parseGroups = (s: string, allowV4: boolean): number[] | null => {
      if (s === '') return [];
      const groups = s.split(':');
      const words: number[] = [];
      for (let i = 0; i < groups.length; i++) {
        const g = groups[i] ?? '';
        if (allowV4 && i === groups.length - 1 && g.includes('.')) {
          const v4 = parseIpv4(g);
          if (v4 === null) return null;
          words.push(v4 >>> 16, v4 & 0xffff);
        } else {
          if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
          words.push(parseInt(g, 16));
        }
      }
      return words;
    };
    const a = parseGroups(head, dbl < 0);
    const b = parseGroups(tail, true);
    if (a === null || b === null) return null;
    if (dbl < 0) return a.length === 8 ? Ipv6Addr.fromWords(a) : null;
    if (a.length + b.length > 7) return null;
    const words = [...a, ...new Array<number>(8 - a.length - b.length).fill(0), ...b];
    return Ipv6Addr.fromWords(words);
  }

  word(i: number): number {
    return be16(this.bytes, 2 * i);
  }

  get isUnspecified(): boolean {
    return this.bytes.every((b) => b === 0);
  }
  get isLoopback(): boolean {
    return this.equals(Ipv6Addr.LOOPBACK);
  }
  get isMulticast(): boolean {
    return this.bytes[0] === 0xff;
  }
  /** fe80::/10 */
  get isLinkLocal(): boolean {
    return this.bytes[0] === 0xfe && ((this.bytes[1] as number) & 0xc0) === 0x80;
  }

  equals(other: Ipv6Addr): boolean {
    for (let i = 0; i < 16; i++) if (this.bytes[i] !== other.bytes[i]) return false;
    return true;
  }

  /** Writes the address into `out` at `offset`. */
  writeTo(out: Uint8Array, offset: number): void {
    out.set(this.bytes, offset);
  }

  /** A string usable as a Map key (32 hex digits). */
  get key(): string {
    if (this.#key === undefined) this.#key = ipv6KeyAt(this.bytes, 0);
    return this.#key;
  }

  /** Text as glibc's inet_ntop prints it (RFC 5952, plus the ::ffff:a.b.c.d form). */
  toString(): string {
    const words: number[] = [];
    for (let i = 0; i < 8; i++) words.push(this.word(i));
    // Longest run of two or more zero groups; the first one on a tie (RFC 5952 §4.2.3).
    let bestBase = -1;
    let bestLen = 0;
    for (let i = 0; i < 8;) {
      if (words[i] !== 0) {
        i++;
        continue;
      }
      let j = i;
      while (j < 8 && words[j] === 0) j++;
      if (j - i > bestLen) {
        bestBase = i;
        bestLen = j - i;
      }
      i = j;
    }
    if (bestLen < 2) bestBase = -1;
    // glibc prints an embedded IPv4 for ::a.b.c.d (6 zero groups) and ::ffff:a.b.c.d.
    const embedV4 = bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff));
    let s = '';
    for (let i = 0; i < 8; i++) {
      if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
        if (i === bestBase) s += ':';
        continue;
      }
      if (i > 0) s += ':';
      if (embedV4 && i === 6) {
        s += formatIpv4(ipv4At(this.bytes, 12));
        break;
      }
      s += (words[i] as number).toString(16);
    }
    if (bestBase >= 0 && bestBase + bestLen === 8) s += ':';
    return s;
  }
}

/** The Map key of the IPv6 address at `offset` (same as `Ipv6Addr.key`), without building one. */
export function ipv6KeyAt(bytes: Uint8Array, offset: number): string {
  let s = '';
  for (let i = 0; i < 16; i++) s += HEX_BYTE[bytes[offset + i] ?? 0];
  return s;
}

const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, i) =>
  i.toString(16).padStart(2, '0'),
);

// ---------------------------------------------------------------- IP (either family)

/** An IPv4 or IPv6 address; narrow with `typeof addr === 'number'`. */
export type IpAddr = Ipv4Addr | Ipv6Addr;

export function isIpv4(addr: IpAddr): addr is Ipv4Addr {
  return typeof addr === 'number';
}

/** Parses either family (strict), or returns null. */
export function parseIp(text: string): IpAddr | null {
  return text.includes(':') ? Ipv6Addr.parse(text) : parseIpv4(text);
}

export function formatIp(addr: IpAddr): string {
  return typeof addr === 'number' ? formatIpv4(addr) : addr.toString();
}

export function ipEquals(a: IpAddr, b: IpAddr): boolean {
  if (typeof a === 'number' || typeof b === 'number') return a === b;
  return a.equals(b);
}

/** A Map key unique across both families. */
export function ipKey(addr: IpAddr): number | string {
  return typeof addr === 'number' ? addr : addr.key;
}

// ---------------------------------------------------------------- prefixes

/** An address with a prefix length, as in `10.0.0.1/24` or `fe80::1/64`. */
export interface IpPrefix<A extends IpAddr = IpAddr> {
  readonly addr: A;
  readonly len: number;
}

/** Parses `ADDR[/LEN]` (strict address); LEN defaults to the full length. */
export function parsePrefix(text: string): IpPrefix | null {
  const slash = text.indexOf('/');
  const addr = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (addr === null) return null;
  const max = typeof addr === 'number' ? 32 : 128;
  if (slash < 0) return { addr, len: max };
  const lenText = text.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(lenText)) return null;
  const len = Number(lenText);
  if (len > max) return null;
  return { addr, len };
}

export function formatPrefix(prefix: IpPrefix): string {
  return `${formatIp(prefix.addr)}/${prefix.len}`;
}

/** True when `addr` lies inside `prefix` (same family). */
export function prefixContains(prefix: IpPrefix, addr: IpAddr): boolean {
  const p = prefix.addr;
  if (typeof p === 'number') {
    if (typeof addr !== 'number') return false;
    const mask = ipv4Mask(prefix.len);
    return (p & mask) >>> 0 === (addr & mask) >>> 0;
  }
  if (typeof addr === 'number') return false;
  let bits = prefix.len;
  for (let i = 0; i < 16 && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((((p.bytes[i] as number) ^ (addr.bytes[i] as number)) & mask) !== 0) return false;
  }
  return true;
}

/** The network address of a prefix (host bits cleared). */
export function prefixNetwork<A extends IpAddr>(prefix: IpPrefix<A>): A {
  const p = prefix.addr;
  if (typeof p === 'number') return ipv4(p & ipv4Mask(prefix.len)) as A;
  const out = new Uint8Array(16);
  let bits = prefix.len;
  for (let i = 0; i < 16; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : bits <= 0 ? 0 : (0xff << (8 - bits)) & 0xff;
    out[i] = (p.bytes[i] as number) & mask;
  }
  return Ipv6Addr.fromBytes(out) as A;
}
