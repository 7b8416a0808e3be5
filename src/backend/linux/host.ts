// The main thread's handle on an I/O worker: starts it with a program module and its
// data, forwards control messages (ringing the wake eventfd so the polling worker
// notices), and stops it. The host opens the fds and closes them after `stop()`; the
// worker only polls, reads and writes them.

import { Worker } from 'node:worker_threads';
import { closeFd, openEventFd, signalEventFd } from './sys/fd.ts';
import type { ControlMessage, WorkerMessage } from './protocol.ts';

export interface LoopHostOptions {
  /** Frames per fd per round in the worker's loop. */
  readonly batch?: number;
  /** µs the worker's loop keeps polling without blocking after a busy round (IoLoopOptions.spinUs). */
  readonly spinUs?: number;
}

/**
 * The module `stem` beside the module at `from` (an `import.meta.url`), with the same
 * extension: `.ts` when running from the sources, `.js` when compiled to dist/.
 */
export function siblingModule(stem: string, from: string): URL {
  return new URL(`./${stem}${from.endsWith('.ts') ? '.ts' : '.js'}`, from);
}

/**
 * Starts `entry` in a worker. Running from TypeScript sources (tests, bench), the
 * worker does not inherit the parent's tsx loader, so a one-line bootstrap registers
 * tsx in the worker before importing the entry; compiled .js runs directly.
 */
function spawnWorker(entry: URL, workerData: unknown): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { workerData });
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot =
    `import(${JSON.stringify(tsx)}).then((m) => { m.register(); ` +
    `return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { eval: true, workerData });
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

export class LoopHost {
  readonly #worker: Worker;
  readonly #wakeFd: number;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #exited: Promise<number>;
  #eventHandler: (body: unknown) => void = () => {};
  #failure: Error | null = null;

  private constructor(worker: Worker, wakeFd: number) {
    this.#worker = worker;
    this.#wakeFd = wakeFd;
    this.#exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.on('message', (m: WorkerMessage) => this.#onMessage(m));
    worker.on('error', (err) => this.#fail(err));
    void this.#exited.then((code) => {
      this.#fail(new Error(`I/O worker exited (code ${code})`));
      closeFd(wakeFd);
    });
  }

  /**
   * Starts a worker running the program module at `programUrl` (a module exporting
   * `start(ctx)`, see protocol.ts) and resolves once it is polling.
   */
  static async start(
    programUrl: URL | string,
    data: unknown,
    options: LoopHostOptions = {},
  ): Promise<LoopHost> {
    const wakeFd = openEventFd();
    const worker = spawnWorker(siblingModule('worker', import.meta.url), {
      programUrl: String(programUrl),
      data,
      wakeFd,
      ...options,
    });
    const host = new LoopHost(worker, wakeFd);
    await new Promise<void>((resolve, reject) => {
      const onMsg = (m: WorkerMessage): void => {
        if (m.kind !== 'ready') return;
        worker.off('message', onMsg);
        resolve();
      };
      worker.on('message', onMsg);
      worker.once('error', reject);
      worker.once('exit', (code) =>
        reject(new Error(`I/O worker exited during start (code ${code})`)),
      );
    });
    return host;
  }

  /** Receives the program's `emit`ted events. */
  onEvent(fn: (body: unknown) => void): void {
    this.#eventHandler = fn;
  }

  /** Sends a message the program handles in `post`. */
  post(body: unknown): void {
    this.#send({ kind: 'post', body });
  }

  /** Sends a message the program answers in `call`. */
  call<T = unknown>(body: unknown): Promise<T> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    const reply = new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    });
    this.#send({ kind: 'call', id, body });
    return reply;
  }

  /** Stops the loop, lets the program clean up and waits for the thread to end. */
  async stop(): Promise<void> {
    if (this.#failure === null) this.#send({ kind: 'stop' });
    await this.#exited;
  }

  #send(msg: ControlMessage): void {
    if (this.#failure !== null) return;
    this.#worker.postMessage(msg);
    signalEventFd(this.#wakeFd);
  }

  #onMessage(m: WorkerMessage): void {
    switch (m.kind) {
      case 'ready':
        return;
      case 'event':
        this.#eventHandler(m.body);
        return;
      case 'reply':
      case 'reply-error': {
        const p = this.#pending.get(m.id);
        if (p === undefined) return;
        this.#pending.delete(m.id);
        if (m.kind === 'reply') p.resolve(m.value);
        else
          p.reject(
            Object.assign(new Error(m.message), m.code === undefined ? {} : { code: m.code }),
          );
      }
    }
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }
}
