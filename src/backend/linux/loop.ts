// The I/O loop: one thread blocks in poll(2) over every link fd and a wake eventfd,
// then drains each readable fd in batches and hands each batch to the link's receiver
// synchronously. The engine runs inside the receivers, so a frame goes from read() to
// the engine's decision to write() without leaving this thread or allocating.
//
// `setTimer` gets the time after every poll and says how long the next poll may block,
// which is where the engine's deferred work (multicast backlog, neighbour timers) hooks
// in. After a round that found work, `run()` polls without blocking for `spinUs`
// (bounded adaptive spin): the next frame then skips a sleeping poll()'s wake-up.

import { DEFAULT_BATCH, DEFAULT_SLOT_SIZE, RxBatch } from './fd-link.ts';
import type { FdLink } from './fd-link.ts';
import { EINTR, POLLERR, POLLHUP, POLLIN, POLLNVAL } from './sys/constants.ts';
import { drainEventFd, PollSet } from './sys/fd.ts';

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
   * After a round that found work, `run()` keeps polling without blocking for this many
   * µs before it blocks again. A reply usually arrives tens of µs after its request was
   * forwarded; catching it while spinning skips the wake-up from a sleeping poll(). 0: off.
   */
  readonly spinUs?: number;
}

/** Why a link left the loop: poll flags, or the errno of a failed read. */
export interface LinkFailure {
  readonly revents: number;
  readonly errno: number;
}

export class IoLoop {
  /** Replaced, never mutated, on add/remove: a round keeps the array it started with. */
  #links: readonly FdLink[] = [];
  readonly #batch: RxBatch;
  readonly #budget: number;
  readonly #wakeFd: number;
  readonly #spinMs: number;
  #poll = new PollSet();
  #polled: readonly FdLink[] = [];
  #dirty = true;
  #running = false;
  #onWake: () => void = () => {};
  #onFailure: (link: FdLink, why: LinkFailure) => void = () => {};
  #timer: ((nowMs: number) => number) | null = null;

  constructor(options: IoLoopOptions = {}) {
    this.#budget = options.batch ?? DEFAULT_BATCH;
    this.#batch = new RxBatch(this.#budget, options.slotSize ?? DEFAULT_SLOT_SIZE);
    this.#wakeFd = options.wakeFd ?? -1;
    this.#spinMs = Math.max(0, options.spinUs ?? DEFAULT_SPIN_US) / 1000;
  }

  get links(): readonly FdLink[] {
    return this.#links;
  }

  /** Starts polling `link`; its receiver gets its batches from the next round on. */
  add(link: FdLink): void {
    if (this.#links.includes(link)) return;
    this.#links = [...this.#links, link];
    this.#dirty = true;
  }

  /** Stops polling `link` (the fd stays open: its owner closes it). */
  remove(link: FdLink): void {
    if (!this.#links.includes(link)) return;
    this.#links = this.#links.filter((l) => l !== link);
    this.#dirty = true;
  }

  /** Runs after the wake eventfd fired and was drained: pull control messages here. */
  onWake(fn: () => void): void {
    this.#onWake = fn;
  }

  /**
   * Runs when a link's fd reports POLLERR/POLLHUP/POLLNVAL or a read fails (EBADFD when
   * its namespace was deleted). The link has already been removed from the loop.
   */
  onLinkFailure(fn: (link: FdLink, why: LinkFailure) => void): void {
    this.#onFailure = fn;
  }

  /** Called after every poll with the current time (ms); returns the next poll timeout, -1 for none. */
  setTimer(fn: ((nowMs: number) => number) | null): void {
    this.#timer = fn;
  }

  #rebuild(): void {
    const p = new PollSet();
    if (this.#wakeFd >= 0) p.add(this.#wakeFd, POLLIN);
    for (const l of this.#links) p.add(l.fd, POLLIN);
    this.#poll = p;
    this.#polled = this.#links;
    this.#dirty = false;
  }

  /**
   * One round: poll for at most `timeoutMs` (-1: until something happens), then serve
   * every ready fd once. Returns the number of ready fds (0 on timeout or EINTR).
   */
  runOnce(timeoutMs: number): number {
    if (this.#dirty) this.#rebuild();
    const poll = this.#poll;
    const ready = poll.poll(timeoutMs);
    if (ready < 0) {
      if (-ready === EINTR) return 0;
      throw new Error(`poll failed with errno ${-ready}`);
    }
    if (ready === 0) return 0;
    const first = this.#wakeFd >= 0 ? 1 : 0;
    // Links are matched by slot: the array the poll set was built from (add and remove
    // replace it), so changes during the round only take effect next round.
    const links = this.#polled;
    for (let i = first; i < poll.count; i++) {
      const rev = poll.revents(i);
      if (rev === 0) continue;
      const link = links[i - first];
      if (link === undefined) continue;
      if ((rev & POLLIN) !== 0) this.#serve(link);
      if ((rev & (POLLERR | POLLHUP | POLLNVAL)) !== 0 && this.#links.includes(link)) {
        this.remove(link);
        this.#onFailure(link, { revents: rev, errno: link.lastErrno });
      }
    }
    if (first === 1 && (poll.revents(0) & POLLIN) !== 0) {
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

  /** Polls and serves until `stop()` is called (from a receiver, a timer or onWake). */
  run(): void {
    this.#running = true;
    const spinMs = this.#spinMs;
    let timeout = -1;
    // While the clock is before spinUntil, poll() does not block. The spin is bounded in
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
}
