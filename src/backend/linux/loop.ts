// The I/O loop: one thread blocks in epoll_wait(2) over every link fd and a wake
// eventfd, then drains each readable fd in batches and hands each batch to the link's
// receiver synchronously. epoll rather than poll(2): a round looks only at the ready
// fds, so its cost does not grow with the number of slaves (sys/epoll.ts). The engine
// runs inside the receivers, so a frame goes from read() to the engine's decision to
// write() without leaving this thread or allocating.
//
// `setTimer` gets the time after every wait and says how long the next wait may block,
// which is where the engine's deferred work (multicast backlog, neighbour timers) hooks
// in. After a round that found work, `run()` waits without blocking for `spinUs`
// (bounded adaptive spin): the next frame then skips a sleeping thread's wake-up.

import { DEFAULT_BATCH, DEFAULT_SLOT_SIZE, RxBatch } from './fd-link.ts';
import type { FdLink } from './fd-link.ts';
import { EINTR, EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLONESHOT } from './sys/constants.ts';
import { Epoll } from './sys/epoll.ts';
import { drainEventFd } from './sys/fd.ts';

/**
 * Default spin window after a busy round, in µs. With `npm run bench:linux` (23 reps
 * each, alternated in one period) 100 µs cut the daemon's slave↔slave ping median from
 * 68 to 54 µs and raised its TCP median from 13.5 to 14.5 Gbit/s; 50 and 200 µs
 * measured the same within noise.
 */
export const DEFAULT_SPIN_US = 100;

export interface IoLoopOptions {
  /** Frames read per fd per round. Default 64. */
  readonly batch?: number;
  /** Bytes per receive slot. Default room for a 64 KB GSO frame. */
  readonly slotSize?: number;
  /** An eventfd that wakes the loop for control work; see `onWake`. */
  readonly wakeFd?: number;
  /**
   * After a round that found work, `run()` keeps waiting without blocking for this many
   * µs before it blocks again. A reply usually arrives tens of µs after its request was
   * forwarded; catching it while spinning skips a sleeping thread's wake-up. 0: off.
   */
  readonly spinUs?: number;
}

/** Why a link left the loop: epoll event bits (EPOLLERR/EPOLLHUP), or the errno of a failed read. */
export interface LinkFailure {
  readonly revents: number;
  readonly errno: number;
}

export class IoLoop {
  /** Replaced, never mutated, on add/remove. */
  #links: readonly FdLink[] = [];
  /** The link of each watched fd (the epoll token is the fd). */
  readonly #byFd: (FdLink | undefined)[] = [];
  /** Fds watched for someone else to read (see `notifyReadable`), with whom to tell. */
  readonly #notify = new Map<number, (fd: number) => void>();
  readonly #batch: RxBatch;
  readonly #budget: number;
  readonly #wakeFd: number;
  readonly #spinMs: number;
  readonly #epoll: Epoll;
  #running = false;
  #onWake: () => void = () => {};
  #onFailure: (link: FdLink, why: LinkFailure) => void = () => {};
  #timer: ((nowMs: number) => number) | null = null;

  /** @throws {SyscallError} when the epoll instance cannot be created (EMFILE). */
  constructor(options: IoLoopOptions = {}) {
    this.#budget = options.batch ?? DEFAULT_BATCH;
    this.#batch = new RxBatch(this.#budget, options.slotSize ?? DEFAULT_SLOT_SIZE);
    this.#wakeFd = options.wakeFd ?? -1;
    this.#spinMs = Math.max(0, options.spinUs ?? DEFAULT_SPIN_US) / 1000;
    this.#epoll = new Epoll();
    if (this.#wakeFd >= 0) this.#epoll.add(this.#wakeFd, EPOLLIN, this.#wakeFd);
  }

  get links(): readonly FdLink[] {
    return this.#links;
  }

  /**
   * Starts watching `link`; its receiver gets its batches from the next wait on.
   * @throws {SyscallError} when epoll refuses the fd (EBADF, EEXIST: another link has it).
   */
  add(link: FdLink): void {
    if (this.#links.includes(link)) return;
    this.#epoll.add(link.fd, EPOLLIN, link.fd);
    // The number may have been a notify fd's before it was closed.
    this.#notify.delete(link.fd);
    this.#links = [...this.#links, link];
    this.#byFd[link.fd] = link;
  }

  /**
   * Stops watching `link` (the fd stays open: its owner closes it, after this; an fd
   * closed while watched just stops reporting, as epoll drops closed files by itself).
   */
  remove(link: FdLink): void {
    if (!this.#links.includes(link)) return;
    this.#epoll.remove(link.fd);
    this.#links = this.#links.filter((l) => l !== link);
    if (this.#byFd[link.fd] === link) this.#byFd[link.fd] = undefined;
  }

  /**
   * Tells `onReady` (from inside a round) when `fd` has something to read, once: the
   * loop never reads it, and reports it again only after `rearm(fd)`. For fds another
   * thread reads, such as the daemon's rtnetlink sockets, so that it hears of events at
   * once without polling them on a timer. A fd already ready is reported at the next
   * wait. Closing the fd is enough to forget it (epoll drops closed files).
   * @throws {SyscallError} when epoll refuses the fd (EBADF).
   */
  notifyReadable(fd: number, onReady: (fd: number) => void): void {
    const events = EPOLLIN | EPOLLONESHOT;
    // A number seen before belonged to a fd since closed (epoll forgot it) or is this
    // one again: ADD first, MOD when epoll still has it.
    try {
      this.#epoll.add(fd, events, fd);
    } catch {
      this.#epoll.modify(fd, events, fd);
    }
    this.#notify.set(fd, onReady);
  }

  /** Arms a `notifyReadable` fd again after its reader has drained it. */
  rearm(fd: number): void {
    if (!this.#notify.has(fd)) return;
    this.#epoll.modify(fd, EPOLLIN | EPOLLONESHOT, fd);
  }

  /** Runs after the wake eventfd fired and was drained: pull control messages here. */
  onWake(fn: () => void): void {
    this.#onWake = fn;
  }

  /**
   * Runs when a link's fd reports EPOLLERR/EPOLLHUP or a read fails (EBADFD when
   * its namespace was deleted). The link has already been removed from the loop.
   */
  onLinkFailure(fn: (link: FdLink, why: LinkFailure) => void): void {
    this.#onFailure = fn;
  }

  /** Called after every wait with the current time (ms); returns the next wait's timeout, -1 for none. */
  setTimer(fn: ((nowMs: number) => number) | null): void {
    this.#timer = fn;
  }

  /**
   * One round: wait for at most `timeoutMs` (-1: until something happens), then serve
   * every ready fd once, in the order they became ready. Returns the number of ready
   * fds (0 on timeout or EINTR).
   */
  runOnce(timeoutMs: number): number {
    const ep = this.#epoll;
    const ready = ep.wait(timeoutMs);
    if (ready < 0) {
      if (-ready === EINTR) return 0;
      throw new Error(`epoll_wait failed with errno ${-ready}`);
    }
    let woken = false;
    for (let i = 0; i < ready; i++) {
      const fd = ep.token(i);
      if (fd === this.#wakeFd) {
        woken = true;
        continue;
      }
      // Removed earlier in this round (a receiver or a failure): skip.
      const link = this.#byFd[fd];
      if (link === undefined) {
        this.#notify.get(fd)?.(fd);
        continue;
      }
      const ev = ep.events(i);
      const error = (ev & (EPOLLERR | EPOLLHUP)) !== 0;
      // A packet socket's error (not a hang-up) is read, and so cleared, like a frame:
      // its device went down and will come back (FdLink.errorsAreTransient).
      const transient = error && link.errorsAreTransient && (ev & EPOLLHUP) === 0;
      if ((ev & EPOLLIN) !== 0 || transient) this.#serve(link);
      if (error && !transient && this.#byFd[fd] === link) {
        this.remove(link);
        this.#onFailure(link, { revents: ev, errno: link.lastErrno });
      }
    }
    // Control work after the frames, so a burst is not held up by it.
    if (woken) {
      drainEventFd(this.#wakeFd);
      this.#onWake();
    }
    return ready;
  }

  #serve(link: FdLink): void {
    // One batch per fd per round keeps one busy link from starving the others. The
    // first frame is handed over alone, before the read that finds the fd empty: a
    // lone frame (a ping, an ACK) is forwarded one syscall earlier.
    const batch = this.#batch;
    const n = link.readBatch(batch, 1);
    if (n < 0) {
      this.remove(link);
      this.#onFailure(link, { revents: 0, errno: -n });
      return;
    }
    if (n === 0) return;
    if (link.receiver !== null) link.receiver(link, batch);
    if (this.#budget <= 1) return;
    const more = link.readBatch(batch, this.#budget - 1);
    if (more > 0 && link.receiver !== null) link.receiver(link, batch);
  }

  /** Waits and serves until `stop()` is called (from a receiver, a timer or onWake). */
  run(): void {
    this.#running = true;
    const spinMs = this.#spinMs;
    let timeout = -1;
    // While the clock is before spinUntil, the wait does not block. The spin is bounded in
    // real time: the loop blocks again spinUs after the last round that found work.
    let spinUntil = -1;
    while (this.#running) {
      const ready = this.runOnce(spinUntil >= 0 ? 0 : timeout);
      const now = performance.now();
      if (ready > 0 && spinMs > 0) spinUntil = now + spinMs;
      else if (now >= spinUntil) spinUntil = -1;
      timeout = this.#timer === null ? -1 : this.#timer(now);
    }
  }

  stop(): void {
    this.#running = false;
  }

  /** Releases the epoll instance; the links' fds are their owners'. */
  close(): void {
    this.#running = false;
    this.#epoll.close();
  }
}
