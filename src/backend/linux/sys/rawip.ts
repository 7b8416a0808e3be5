// Raw IP sockets that send whole packets into a namespace's own IP output path
// (raw(7), IPPROTO_RAW implies IP_HDRINCL; ipv6 likewise since Linux 4.5). Bound to one
// device with SO_BINDTODEVICE, so the kernel routes each packet with the output
// interface forced to it: routes through other devices do not qualify, IPv4 falls back
// to on-link when none does (ip_route_output_key_hash_rcu), IPv6 fails with
// ENETUNREACH. The packet then passes OUTPUT and POSTROUTING and neighbour resolution
// there with its TTL/hop limit untouched: what ipvlan's L3 egress needs (TX-L3-4).

import {
  AF_INET,
  AF_INET6,
  IPPROTO_RAW,
  SOCKADDR_IN6_SIZE,
  SOCKADDR_IN_SIZE,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_RAW,
  SOL_SOCKET,
  SO_BINDTODEVICE,
  SO_SNDBUFFORCE,
} from './constants.ts';
import { check } from './errors.ts';
import { errno, libc } from './libc.ts';
import type { Libc } from './libc.ts';

/**
 * Opens a non-blocking send-only raw socket of `family` (4 or 6) bound to `ifname`, in
 * the calling thread's namespace.
 * @throws {SyscallError} EPERM without CAP_NET_RAW, ENODEV for an unknown interface.
 */
export function openRawIpSocket(family: 4 | 6, ifname: string): number {
  const c = libc();
  const fd = check(
    c.socket(
      family === 4 ? AF_INET : AF_INET6,
      SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
      IPPROTO_RAW,
    ),
    'socket',
    family === 4 ? 'AF_INET raw' : 'AF_INET6 raw',
  );
  try {
    const name = new TextEncoder().encode(`${ifname}\0`);
    check(
      c.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, name.length),
      'SO_BINDTODEVICE',
      ifname,
    );
    const buf = new Uint8Array(4);
    new DataView(buf.buffer).setInt32(0, 4 << 20, true);
    c.setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, buf, 4);
    return fd;
  } catch (err) {
    c.close(fd);
    throw err;
  }
}

/**
 * Sends IP packets through a pair of raw sockets. Never throws and allocates nothing
 * per packet: the destination sockaddr is filled in a preallocated buffer from the
 * packet's own header. `send` returns 0 or a negative errno.
 */
export class RawIpSender {
  readonly #c: Libc;
  readonly #fd4: number;
  readonly #fd6: number;
  readonly #sin = new Uint8Array(SOCKADDR_IN_SIZE);
  readonly #sin6 = new Uint8Array(SOCKADDR_IN6_SIZE);

  /** `scopeId` is the bound device's ifindex, for link-local IPv6 destinations. */
  constructor(fd4: number, fd6: number, scopeId: number) {
    this.#c = libc();
    this.#fd4 = fd4;
    this.#fd6 = fd6;
    const v = new DataView(this.#sin.buffer);
    v.setUint16(0, AF_INET, true);
    const v6 = new DataView(this.#sin6.buffer);
    v6.setUint16(0, AF_INET6, true);
    v6.setUint32(24, scopeId, true);
  }

  /** Sends `len` bytes of `packet` (an IPv4 or IPv6 header first). */
  send(packet: Uint8Array, len: number): number {
    if (len < 20) return -22;
    const version = (packet[0] as number) >>> 4;
    let n: number;
    if (version === 4 && this.#fd4 >= 0) {
      for (let i = 0; i < 4; i++) this.#sin[4 + i] = packet[16 + i] as number;
      n = this.#c.sendto(this.#fd4, packet, len, 0, this.#sin, SOCKADDR_IN_SIZE);
    } else if (version === 6 && this.#fd6 >= 0 && len >= 40) {
      for (let i = 0; i < 16; i++) this.#sin6[8 + i] = packet[24 + i] as number;
      n = this.#c.sendto(this.#fd6, packet, len, 0, this.#sin6, SOCKADDR_IN6_SIZE);
    } else {
      return -22;
    }
    return n < 0 ? -errno() : 0;
  }
}
