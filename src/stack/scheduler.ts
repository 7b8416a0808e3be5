// Deterministic time for one emulated world (or one real process): a clock that only
// moves when the driver of the world moves it, and a FIFO-stable event queue. Nothing
// in the stack reads wall-clock time; the emulator runs this until idle, the Linux
// backend advances it to the real time before each batch.

/** Nanoseconds since the world started. A double holds 2^53 ns (about 104 days) exactly. */
export type Nanos = number;

export const NS_PER_US = 1_000;
export const NS_PER_MS = 1_000_000;
export const NS_PER_SEC = 1_000_000_000;

/** A scheduled callback; cancel it with `Scheduler.cancel`. */
export interface Timer {
  readonly at: Nanos;
  readonly seq: number;
  cancelled: boolean;
  readonly fn: () => void;
}

/**
 * A binary min-heap of timers ordered by (time, insertion sequence), so that two
 * events at the same instant run in the order they were scheduled.
 */
export class Scheduler {
  #now: Nanos = 0;
  #seq = 0;
  #heap: Timer[] = [];
  #live = 0;

  get now(): Nanos {
    return this.#now;
  }

  /** Number of pending (not cancelled) timers. */
  get pending(): number {
    return this.#live;
  }

  /** Runs `fn` at absolute time `at` (clamped to now). */
  at(at: Nanos, fn: () => void): Timer {
    const timer: Timer = { at: Math.max(at, this.#now), seq: this.#seq++, cancelled: false, fn };
    this.#push(timer);
    this.#live++;
    return timer;
  }

  /** Runs `fn` after `delay` nanoseconds. */
  after(delay: Nanos, fn: () => void): Timer {
    return this.at(this.#now + Math.max(0, delay), fn);
  }

  /** Runs `fn` as soon as the current event finishes (a work queue / softirq). */
  defer(fn: () => void): Timer {
    return this.at(this.#now, fn);
  }

  cancel(timer: Timer | undefined): void {
    if (timer === undefined || timer.cancelled) return;
    timer.cancelled = true;
    this.#live--;
  }

  /** The time of the next pending event, or undefined when idle. */
  nextAt(): Nanos | undefined {
    this.#dropCancelled();
    return this.#heap[0]?.at;
  }

  /** Runs the next event (advancing the clock to it). Returns false when idle. */
  step(): boolean {
    this.#dropCancelled();
    const timer = this.#pop();
    if (timer === undefined) return false;
    this.#live--;
    timer.cancelled = true;
    if (timer.at > this.#now) this.#now = timer.at;
    timer.fn();
    return true;
  }

  /**
   * Runs events until none is left at or before `limit`, then sets the clock to
   * `limit`. Returns the number of events run. `maxEvents` guards against livelock.
   */
  runUntil(limit: Nanos, maxEvents = 10_000_000): number {
    let n = 0;
    for (;;) {
      const next = this.nextAt();
      if (next === undefined || next > limit) break;
      if (++n > maxEvents)
        throw new Error(`scheduler: more than ${maxEvents} events before ${limit}`);
      this.step();
    }
    if (limit > this.#now) this.#now = limit;
    return n;
  }

  /** Runs for `duration` nanoseconds of virtual time. */
  runFor(duration: Nanos, maxEvents?: number): number {
    return this.runUntil(this.#now + duration, maxEvents);
  }

  /**
   * Runs until no event is pending or the next one is later than `horizon` from now
   * (periodic timers never let a world go idle). Returns the number of events run.
   */
  runUntilIdle(horizon: Nanos = 60 * NS_PER_SEC, maxEvents = 10_000_000): number {
    const limit = this.#now + horizon;
    let n = 0;
    for (;;) {
      const next = this.nextAt();
      if (next === undefined || next > limit) return n;
      if (++n > maxEvents) throw new Error(`scheduler: more than ${maxEvents} events`);
      this.step();
    }
  }

  /** Moves the clock forward without running anything (the Linux backend's real time). */
  advanceTo(time: Nanos): void {
    if (time > this.#now) this.#now = time;
  }

  #dropCancelled(): void {
    while (this.#heap.length > 0 && (this.#heap[0] as Timer).cancelled) this.#pop();
  }

  #less(a: Timer, b: Timer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  #push(timer: Timer): void {
    const heap = this.#heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(heap[i] as Timer, heap[parent] as Timer)) break;
      [heap[i], heap[parent]] = [heap[parent] as Timer, heap[i] as Timer];
      i = parent;
    }
  }

  #pop(): Timer | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && this.#less(heap[l] as Timer, heap[m] as Timer)) m = l;
      if (r < heap.length && this.#less(heap[r] as Timer, heap[m] as Timer)) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m] as Timer, heap[i] as Timer];
      i = m;
    }
    return top;
  }
}
