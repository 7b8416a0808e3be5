// Interface queries and changes by name through socket ioctls (netdevice(7)): index,
// flags, MTU and hardware address. They act in the calling thread's network namespace;
// wrap them in `withNetns` to reach another one.

import { ARPHRD_ETHER, IFF_UP } from '../../../uapi/if.ts';
import type { MacAddr } from '../../../wire/address.ts';
import {
  AF_INET,
  SIOCGIFFLAGS,
  SIOCGIFHWADDR,
  SIOCGIFINDEX,
  SIOCGIFMTU,
  SIOCSIFFLAGS,
  SIOCSIFHWADDR,
  SIOCSIFMTU,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
} from './constants.ts';
import { check } from './errors.ts';
import {
  ifreq,
  ifreqFlags,
  ifreqHwAddr,
  ifreqInt,
  setIfreqFlags,
  setIfreqHwAddr,
  setIfreqInt,
} from './ifreq.ts';
import { libc } from './libc.ts';

function ioctlOn(
  name: string,
  request: number,
  requestName: string,
  fill?: (b: Uint8Array) => void,
): Uint8Array {
  const c = libc();
  const buf = ifreq(name);
  fill?.(buf);
  // Any socket in the namespace serves as the handle for interface ioctls.
  const fd = check(c.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), 'socket');
  try {
    check(c.ioctl(fd, request, buf), requestName, name);
  } finally {
    c.close(fd);
  }
  return buf;
}

/**
 * The ifindex of `name`.
 * @throws {SyscallError} ENODEV when there is no such interface.
 */
export function ifIndex(name: string): number {
  return ifreqInt(ioctlOn(name, SIOCGIFINDEX, 'SIOCGIFINDEX'));
}

/** The IFF_* device flags (the low 16 bits; IFF_LOWER_UP and above are not in this ioctl). */
export function getIfFlags(name: string): number {
  return ifreqFlags(ioctlOn(name, SIOCGIFFLAGS, 'SIOCGIFFLAGS'));
}

/** Writes the IFF_* flags (as `ip link set up/down/promisc` would). */
export function setIfFlags(name: string, flags: number): void {
  ioctlOn(name, SIOCSIFFLAGS, 'SIOCSIFFLAGS', (b) => setIfreqFlags(b, flags));
}

/** Sets or clears IFF_UP, keeping the other flags. */
export function setIfUp(name: string, up: boolean): void {
  const flags = getIfFlags(name);
  setIfFlags(name, up ? flags | IFF_UP : flags & ~IFF_UP);
}

export function getMtu(name: string): number {
  return ifreqInt(ioctlOn(name, SIOCGIFMTU, 'SIOCGIFMTU'));
}

export function setMtu(name: string, mtu: number): void {
  ioctlOn(name, SIOCSIFMTU, 'SIOCSIFMTU', (b) => setIfreqInt(b, mtu));
}

/** The hardware address and its ARPHRD_* type. */
export function getHwAddr(name: string): { readonly type: number; readonly mac: MacAddr } {
  return ifreqHwAddr(ioctlOn(name, SIOCGIFHWADDR, 'SIOCGIFHWADDR'));
}

/** Sets an Ethernet hardware address (ipvlan slaves take the master's). */
export function setHwAddr(name: string, mac: MacAddr): void {
  ioctlOn(name, SIOCSIFHWADDR, 'SIOCSIFHWADDR', (b) => setIfreqHwAddr(b, ARPHRD_ETHER, mac));
}
