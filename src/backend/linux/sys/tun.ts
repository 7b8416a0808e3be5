// TAP devices through /dev/net/tun (Documentation/networking/tuntap.rst): TUNSETIFF
// with IFF_TAP|IFF_NO_PI and, for offloads, IFF_VNET_HDR so every frame carries a
// struct virtio_net_hdr in front and GSO super-frames and partial checksums cross the
// fd intact. TUNSETOFFLOAD says which of those the reader accepts from the kernel.

import { SyscallError, check } from './errors.ts';
import { statSync } from 'node:fs';
import {
  EINVAL,
  ENOTTY,
  IFF_NO_PI,
  IFF_TAP,
  IFF_TUN_EXCL,
  IFF_VNET_HDR,
  O_CLOEXEC,
  O_NONBLOCK,
  O_RDWR,
  TUNGETIFF,
  TUNGETVNETHDRSZ,
  TUNGETDEVNETNS,
  TUNSETCARRIER,
  TUNSETOFFLOAD,
  TUNSETOWNER,
  TUNSETPERSIST,
  TUNSETIFF,
  TUNSETVNETHDRSZ,
  TUN_F_CSUM,
  TUN_F_TSO4,
  TUN_F_TSO6,
} from './constants.ts';
import { ifreq, ifreqFlags, ifreqName, setIfreqFlags } from './ifreq.ts';
import { errno, libc } from './libc.ts';

/** The tun clone device. */
export const TUN_PATH = '/dev/net/tun';

/** The offloads the data plane asks for: partial checksums and TCP segmentation. */
export const TAP_DEFAULT_OFFLOADS = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;

/** The virtio_net_hdr length used on every fd of the backend (no num_buffers field). */
export const VNET_HDR_LEN = 10;

export interface TapOptions {
  /** Interface name, or a pattern with `%d` for the kernel to fill in. */
  readonly name: string;
  /** Prepend a virtio_net_hdr to every frame (IFF_VNET_HDR). Default true. */
  readonly vnetHdr?: boolean;
  /** TUN_F_* offloads (needs vnetHdr). Default TAP_DEFAULT_OFFLOADS; 0 turns them off. */
  readonly offloads?: number;
  /** O_NONBLOCK on the fd. Default true: the I/O loop polls and reads until EAGAIN. */
  readonly nonBlocking?: boolean;
  /** Fail with EBUSY instead of attaching when the device already exists (IFF_TUN_EXCL). */
  readonly exclusive?: boolean;
}

/** An open TAP: the fd and the name the kernel gave it. */
export interface Tap {
  readonly fd: number;
  readonly name: string;
  /** 0 without IFF_VNET_HDR, else VNET_HDR_LEN. */
  readonly vnetHdrLen: number;
}

/**
 * Opens /dev/net/tun and creates (or attaches to) a TAP in the calling thread's
 * namespace. The fd is closed again if any later step fails.
 * @throws {SyscallError} ENOENT when /dev/net/tun is missing (no CONFIG_TUN); EINVAL
 * when `name` exists and is not a TAP; EBUSY when it is a TAP already attached (or
 * exists at all with `exclusive`); EPERM without CAP_NET_ADMIN.
 */
export function openTap(options: TapOptions): Tap {
  const c = libc();
  const vnet = options.vnetHdr ?? true;
  const flags =
    (options.nonBlocking ?? true) ? O_RDWR | O_NONBLOCK | O_CLOEXEC : O_RDWR | O_CLOEXEC;
  const fd = check(c.open(TUN_PATH, flags, 0), 'open', TUN_PATH);
  try {
    const req = ifreq(options.name);
    let iff = IFF_TAP | IFF_NO_PI;
    if (vnet) iff |= IFF_VNET_HDR;
    if (options.exclusive === true) iff |= IFF_TUN_EXCL;
    setIfreqFlags(req, iff);
    check(c.ioctl(fd, TUNSETIFF, req), 'TUNSETIFF', options.name);
    const name = ifreqName(req);
    if (vnet) {
      setVnetHdrSize(fd, VNET_HDR_LEN, name);
      setOffload(fd, options.offloads ?? TAP_DEFAULT_OFFLOADS, name);
    }
    return { fd, name, vnetHdrLen: vnet ? VNET_HDR_LEN : 0 };
  } catch (err) {
    c.close(fd);
    throw err;
  }
}

/** TUNSETOFFLOAD: the TUN_F_* features the reader handles (TSO needs TUN_F_CSUM). */
export function setOffload(fd: number, offloads: number, name = ''): void {
  check(libc().ioctlValue(fd, TUNSETOFFLOAD, offloads), 'TUNSETOFFLOAD', name);
}

/** TUNSETVNETHDRSZ: 10 (virtio_net_hdr) or 12 (with num_buffers). */
export function setVnetHdrSize(fd: number, size: number, name = ''): void {
  const arg = new Uint8Array(4);
  new DataView(arg.buffer).setInt32(0, size, true);
  check(libc().ioctl(fd, TUNSETVNETHDRSZ, arg), 'TUNSETVNETHDRSZ', name);
}

/** TUNGETVNETHDRSZ. */
export function getVnetHdrSize(fd: number): number {
  const arg = new Uint8Array(4);
  check(libc().ioctl(fd, TUNGETVNETHDRSZ, arg), 'TUNGETVNETHDRSZ');
  return new DataView(arg.buffer).getInt32(0, true);
}

/** TUNGETIFF: the device's name and IFF_* tun flags as the kernel reports them. */
export function tunGetIff(fd: number): { readonly name: string; readonly flags: number } {
  const req = new Uint8Array(40);
  check(libc().ioctl(fd, TUNGETIFF, req), 'TUNGETIFF');
  return { name: ifreqName(req), flags: ifreqFlags(req) };
}

/**
 * TUNGETDEVNETNS: the inode of the namespace the TAP is in now, wherever that is (the
 * fd it hands out is closed at once: holding it would keep the namespace alive).
 * Null on kernels before 5.2, which lack the ioctl.
 * @throws {SyscallError} EBADFD when the TAP is gone.
 */
export function tapNetnsInode(fd: number): number | null {
  const c = libc();
  const nsfd = c.ioctlValue(fd, TUNGETDEVNETNS, 0);
  if (nsfd < 0) {
    const e = errno();
    if (e === ENOTTY || e === EINVAL) return null;
    check(-1, 'TUNGETDEVNETNS');
  }
  try {
    return statSync(`/proc/self/fd/${nsfd}`).ino;
  } finally {
    c.close(nsfd);
  }
}

/**
 * TUNSETPERSIST: a persistent TAP outlives its fd (and the daemon), so a restarted
 * daemon can attach to it again with the same name.
 */
export function setPersist(fd: number, persist: boolean, name = ''): void {
  check(libc().ioctlValue(fd, TUNSETPERSIST, persist ? 1 : 0), 'TUNSETPERSIST', name);
}

/** TUNSETOWNER: the uid allowed to attach to a persistent TAP (-1 for anyone with CAP_NET_ADMIN). */
export function setOwner(fd: number, uid: number, name = ''): void {
  check(libc().ioctlValue(fd, TUNSETOWNER, uid >>> 0), 'TUNSETOWNER', name);
}

export { SyscallError };

/**
 * TUNSETCARRIER: the TAP's carrier (a slave shows NO-CARRIER when its master has none,
 * LINK-3). A TAP gets carrier on whenever a queue attaches, so a restarted daemon must
 * impose it again.
 * @throws {SyscallError} when the kernel refuses (before 5.0: EINVAL).
 */
export function setCarrier(fd: number, on: boolean, name = ''): void {
  const arg = new Uint8Array(4);
  new DataView(arg.buffer).setInt32(0, on ? 1 : 0, true);
  check(libc().ioctl(fd, TUNSETCARRIER, arg), 'TUNSETCARRIER', name);
}
