// The wire form of rtnl requests and replies between the CLI, the daemon's main thread
// and its I/O worker. The API's values are plain data except MAC and IPv6 addresses
// (class instances) and errors; JSON carries those as tagged objects so that a reply
// decoded on the other side is the same value the emulated rtnl produced. Decoding
// never throws on the shape of foreign input: an unknown tag stays a plain object.

import { ErrnoError, ERRNO, type ErrnoName } from '../base/errno.ts';
import { Ipv6Addr, MacAddr } from '../wire/address.ts';

/** A refusal as it crosses a thread or socket boundary. */
export interface WireError {
  readonly code: string;
  readonly extack?: string;
  readonly message: string;
}

/** Replaces class instances with tagged plain objects (for JSON or postMessage). */
export function encodeValue(value: unknown): unknown {
  if (value instanceof MacAddr) return { $mac: value.toString() };
  if (value instanceof Ipv6Addr) return { $ip6: value.toString() };
  if (Array.isArray(value)) return value.map(encodeValue);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = encodeValue(v);
    return out;
  }
  return value;
}

/** The inverse of `encodeValue`. */
export function decodeValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeValue);
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o['$mac'] === 'string') return MacAddr.parse(o['$mac']) ?? value;
    if (typeof o['$ip6'] === 'string') return Ipv6Addr.parse(o['$ip6']) ?? value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) out[k] = decodeValue(v);
    return out;
  }
  return value;
}

/** An error as data: ErrnoErrors keep their code and extack, anything else becomes EIO. */
export function encodeError(err: unknown): WireError {
  if (err instanceof ErrnoError)
    return err.extack === undefined
      ? { code: err.code, message: err.message }
      : { code: err.code, extack: err.extack, message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code in ERRNO) return { code, message };
  return { code: 'EIO', message };
}

/** Rebuilds the ErrnoError an `encodeError` described. */
export function decodeError(wire: unknown): ErrnoError {
  const w = (wire ?? {}) as Partial<WireError>;
  const code: ErrnoName =
    typeof w.code === 'string' && w.code in ERRNO ? (w.code as ErrnoName) : 'EIO';
  const err = new ErrnoError(code, typeof w.extack === 'string' ? w.extack : undefined);
  if (w.extack === undefined && typeof w.message === 'string' && w.message !== '')
    err.message = w.message;
  return err;
}
