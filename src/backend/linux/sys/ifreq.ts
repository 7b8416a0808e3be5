// struct ifreq (include/uapi/linux/if.h): a 16-byte NUL-terminated name followed by a
// 24-byte union read as flags (short), ifindex/mtu (int) or a struct sockaddr holding a
// hardware address (sa_family, then the address bytes). Little-endian host order.

import { ErrnoError } from '../../../base/errno.ts';
import { MacAddr } from '../../../wire/address.ts';
import { IFNAMSIZ, IFREQ_SIZE } from './constants.ts';

const UNION = IFNAMSIZ;
const SA_DATA = UNION + 2;

/**
 * A fresh ifreq with `name` in it.
 * @throws {ErrnoError} EINVAL when the name is empty, has a NUL, '/', whitespace, or
 * does not fit IFNAMSIZ - 1 bytes (Linux: dev_valid_name()).
 */
export function ifreq(name: string): Uint8Array {
  const encoded = new TextEncoder().encode(name);
  if (!validIfName(name) || encoded.length >= IFNAMSIZ)
    throw new ErrnoError('EINVAL', `invalid interface name "${name}"`);
  const buf = new Uint8Array(IFREQ_SIZE);
  buf.set(encoded, 0);
  return buf;
}

/** Linux dev_valid_name(): not ".", "..", no '/', ':' or whitespace. */
export function validIfName(name: string): boolean {
  if (name === '' || name === '.' || name === '..') return false;
  return !/[/:\s\0]/.test(name);
}

/** The name field, up to its NUL. */
export function ifreqName(buf: Uint8Array): string {
  const end = buf.subarray(0, IFNAMSIZ).indexOf(0);
  return new TextDecoder().decode(buf.subarray(0, end < 0 ? IFNAMSIZ : end));
}

function view(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** ifr_flags (unsigned short; TUNSETIFF and SIOC[GS]IFFLAGS). */
export function ifreqFlags(buf: Uint8Array): number {
  return view(buf).getUint16(UNION, true);
}
export function setIfreqFlags(buf: Uint8Array, flags: number): void {
  view(buf).setUint16(UNION, flags & 0xffff, true);
}

/** ifr_ifindex / ifr_mtu (int). */
export function ifreqInt(buf: Uint8Array): number {
  return view(buf).getInt32(UNION, true);
}
export function setIfreqInt(buf: Uint8Array, value: number): void {
  view(buf).setInt32(UNION, value, true);
}

/** ifr_hwaddr: the sockaddr family (an ARPHRD_* type) and the 6 address bytes. */
export function ifreqHwAddr(buf: Uint8Array): { readonly type: number; readonly mac: MacAddr } {
  return { type: view(buf).getUint16(UNION, true), mac: MacAddr.fromBytes(buf, SA_DATA) };
}
export function setIfreqHwAddr(buf: Uint8Array, type: number, mac: MacAddr): void {
  view(buf).setUint16(UNION, type, true);
  mac.writeTo(buf, SA_DATA);
}
