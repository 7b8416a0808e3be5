// Plain fd helpers: close, eventfd (the I/O loop's doorbell) and poll(2) over a reusable
// struct pollfd array.

import {
  AF_UNIX,
  EFD_CLOEXEC,
  EFD_NONBLOCK,
  POLLFD_SIZE,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_SEQPACKET,
} from './constants.ts';
import { check } from './errors.ts';
import { errno, libc } from './libc.ts';

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

/**
 * A growable struct pollfd array. Entries are addressed by slot; `revents(i)` reads
 * the result of the last `poll()`.
 */
export class PollSet {
  #bytes = new Uint8Array(POLLFD_SIZE * 8);
  #view = new DataView(this.#bytes.buffer);
  #count = 0;

  get count(): number {
    return this.#count;
  }

  /** Appends an entry and returns its slot. */
  add(fd: number, events: number): number {
    if ((this.#count + 1) * POLLFD_SIZE > this.#bytes.length) {
      const bigger = new Uint8Array(this.#bytes.length * 2);
      bigger.set(this.#bytes);
      this.#bytes = bigger;
      this.#view = new DataView(bigger.buffer);
    }
    const slot = this.#count++;
    this.set(slot, fd, events);
    return slot;
  }

  /** Overwrites slot `i`. */
  set(i: number, fd: number, events: number): void {
    const o = i * POLLFD_SIZE;
    this.#view.setInt32(o, fd, true);
    this.#view.setInt16(o + 4, events, true);
    this.#view.setInt16(o + 6, 0, true);
  }

  /** Removes the last entry. */
  pop(): void {
    if (this.#count > 0) this.#count--;
  }

  fd(i: number): number {
    return this.#view.getInt32(i * POLLFD_SIZE, true);
  }

  revents(i: number): number {
    return this.#view.getUint16(i * POLLFD_SIZE + 6, true);
  }

  /** poll(2); returns the number of ready entries, or a negative errno (EINTR). */
  poll(timeoutMs: number): number {
    const c = libc();
    const n = c.poll(this.#bytes, this.#count, timeoutMs);
    return n >= 0 ? n : -errno();
  }
}
