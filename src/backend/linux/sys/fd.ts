// Plain fd helpers: close, eventfd (the I/O loop's doorbell) and message socket pairs
// for tests.

import {
  AF_UNIX,
  EFD_CLOEXEC,
  EFD_NONBLOCK,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_SEQPACKET,
} from './constants.ts';
import { check } from './errors.ts';
import { libc } from './libc.ts';

/** close(2), ignoring errors (the fd is gone either way on Linux). */
export function closeFd(fd: number): void {
  libc().close(fd);
}

/**
 * A non-blocking AF_UNIX SOCK_SEQPACKET socketpair: two fds that carry one message per
 * read/write, like a TAP or a packet socket, and report POLLHUP when the other end
 * closes. For tests of links and loops without root.
 */
export function openMessagePair(): [number, number] {
  const sv = new Int32Array(2);
  check(
    libc().socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv),
    'socketpair',
  );
  return [sv[0] as number, sv[1] as number];
}

/** A non-blocking eventfd with counter 0. */
export function openEventFd(): number {
  return check(libc().eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), 'eventfd');
}

const ONE = new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]);

/** Adds 1 to an eventfd's counter, waking whoever polls it. Never throws. */
export function signalEventFd(fd: number): void {
  libc().write(fd, ONE, 8);
}

const drain = new Uint8Array(8);

/** Resets an eventfd's counter (a non-blocking read). Never throws. */
export function drainEventFd(fd: number): void {
  libc().read(fd, drain, 8);
}
