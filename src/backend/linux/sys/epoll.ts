// epoll(7), level-triggered: the I/O loop's wait. Unlike poll(2), whose every call
// walks every fd (fdget, the driver's poll, fput), epoll_wait only looks at the ready
// list, so a round costs the same with 2 slaves or 2,000, and so does each non-blocking
// wait of the loop's spin window.
//
// struct epoll_event is { uint32 events; uint64 data } — packed (12 bytes) on x86-64 and
// i386, naturally aligned (16 bytes, data at 8) elsewhere. Only the low 32 bits of
// `data` are used: the caller's token (the loop uses the fd itself).

import { EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD } from './constants.ts';
import { check } from './errors.ts';
import { errno, libc } from './libc.ts';

const PACKED = process.arch === 'x64' || process.arch === 'ia32';
/** sizeof(struct epoll_event) and the offset of its data member. */
const EVENT_SIZE = PACKED ? 12 : 16;
const DATA_AT = PACKED ? 4 : 8;

export class Epoll {
  readonly fd: number;
  readonly #ctl = new Uint8Array(EVENT_SIZE);
  readonly #ctlView = new DataView(this.#ctl.buffer);
  readonly #ready: Uint8Array;
  readonly #readyView: DataView;
  readonly #max: number;

  /**
   * @param maxEvents how many ready fds one `wait` can report (the rest wait a round).
   * @throws {SyscallError} when epoll_create1 fails (EMFILE, ENOMEM).
   */
  constructor(maxEvents = 256) {
    this.fd = check(libc().epollCreate1(EPOLL_CLOEXEC), 'epoll_create1');
    this.#max = maxEvents;
    this.#ready = new Uint8Array(EVENT_SIZE * maxEvents);
    this.#readyView = new DataView(this.#ready.buffer);
  }

  /**
   * Watches `fd` for `events` (EPOLLIN …; EPOLLERR and EPOLLHUP are always reported).
   * @throws {SyscallError} EEXIST when already watched, EBADF, EPERM (a regular file).
   */
  add(fd: number, events: number, token: number): void {
    this.#control(EPOLL_CTL_ADD, fd, events, token, 'epoll_ctl ADD');
  }

  /**
   * Changes what `fd` is watched for; with EPOLLONESHOT this arms it again, and a fd
   * already ready is reported at the next wait.
   * @throws {SyscallError} ENOENT when not watched, EBADF.
   */
  modify(fd: number, events: number, token: number): void {
    this.#control(EPOLL_CTL_MOD, fd, events, token, 'epoll_ctl MOD');
  }

  #control(op: number, fd: number, events: number, token: number, what: string): void {
    this.#ctlView.setUint32(0, events >>> 0, true);
    this.#ctlView.setUint32(DATA_AT, token >>> 0, true);
    this.#ctlView.setUint32(DATA_AT + 4, 0, true);
    check(libc().epollCtl(this.fd, op, fd, this.#ctl), what);
  }

  /**
   * Stops watching `fd`. Returns 0, or the errno (ENOENT: not watched; EBADF: already
   * closed, and then the kernel has dropped it from the set by itself).
   */
  remove(fd: number): number {
    return libc().epollCtl(this.fd, EPOLL_CTL_DEL, fd, this.#ctl) === 0 ? 0 : errno();
  }

  /**
   * epoll_wait(2) for at most `timeoutMs` (-1: no limit, 0: do not block). Returns the
   * number of ready entries, read with `events(i)` and `token(i)`, or a negative errno
   * (EINTR).
   */
  wait(timeoutMs: number): number {
    const n = libc().epollWait(this.fd, this.#ready, this.#max, timeoutMs);
    return n >= 0 ? n : -errno();
  }

  events(i: number): number {
    return this.#readyView.getUint32(i * EVENT_SIZE, true);
  }

  token(i: number): number {
    return this.#readyView.getUint32(i * EVENT_SIZE + DATA_AT, true);
  }

  close(): void {
    libc().close(this.fd);
  }
}
