// Netlink sockets (netlink(7)): NETLINK_ROUTE for address and link events, and
// NETLINK_NETFILTER for nfnetlink_log. Non-blocking; reads return whole datagrams,
// which src/backend/linux/netlink-msg.ts parses without ever throwing.

import {
  AF_NETLINK,
  EAGAIN,
  EINTR,
  NETLINK_NO_ENOBUFS,
  SOCKADDR_NL_SIZE,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_RAW,
  SOL_NETLINK,
  SOL_SOCKET,
  SO_RCVBUFFORCE,
} from './constants.ts';
import { check } from './errors.ts';
import { errno, libc } from './libc.ts';

/**
 * Opens a non-blocking netlink socket of `protocol` joined to the legacy multicast
 * `groups` bit mask, in the calling thread's namespace (wrap in `withNetns` for another).
 * The socket pins its namespace for as long as it is open.
 * @throws {SyscallError}
 */
export function openNetlinkSocket(protocol: number, groups = 0, rcvbuf = 1 << 20): number {
  const c = libc();
  const fd = check(
    c.socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol),
    'socket',
    `AF_NETLINK ${protocol}`,
  );
  try {
    const int = new Uint8Array(4);
    new DataView(int.buffer).setInt32(0, rcvbuf, true);
    c.setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, int, 4);
    // Under overload the kernel drops silently instead of failing the next read.
    new DataView(int.buffer).setInt32(0, 1, true);
    c.setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, int, 4);
    const sa = new Uint8Array(SOCKADDR_NL_SIZE);
    const v = new DataView(sa.buffer);
    v.setUint16(0, AF_NETLINK, true);
    v.setUint32(8, groups, true);
    check(c.bind(fd, sa, SOCKADDR_NL_SIZE), 'bind', `AF_NETLINK ${protocol}`);
    return fd;
  } catch (err) {
    c.close(fd);
    throw err;
  }
}

/**
 * Sends one request to the kernel (a write on a netlink socket goes to pid 0).
 * @throws {SyscallError}
 */
export function netlinkSend(fd: number, msg: Uint8Array): void {
  const n = libc().write(fd, msg, msg.length);
  check(n < 0 ? -1 : n, 'netlink write');
}

/**
 * Reads every datagram queued on `fd` (non-blocking) and returns copies of them.
 * Errors other than EAGAIN end the read (ENOBUFS means events were lost: the caller
 * resynchronises with a dump). Never throws.
 */
export function netlinkDrain(
  fd: number,
  buf: Uint8Array,
  max = 256,
): { datagrams: Uint8Array[]; errno: number } {
  const c = libc();
  const datagrams: Uint8Array[] = [];
  for (let i = 0; i < max; i++) {
    const n = c.read(fd, buf, buf.length);
    if (n < 0) {
      const e = errno();
      if (e === EINTR) continue;
      return { datagrams, errno: e === EAGAIN ? 0 : e };
    }
    if (n === 0) break;
    datagrams.push(buf.slice(0, n));
  }
  return { datagrams, errno: 0 };
}
