// Messages between the main thread (LoopHost) and the I/O worker. The worker's own JS
// event loop is blocked in poll(2), so it never sees 'message' events: the host posts
// a message and then rings the wake eventfd, and the worker pulls every queued message
// synchronously with receiveMessageOnPort.

import type { IoLoop } from './loop.ts';

/** Host → worker. */
export type ControlMessage =
  | { readonly kind: 'call'; readonly id: number; readonly body: unknown }
  | { readonly kind: 'post'; readonly body: unknown }
  | { readonly kind: 'stop' };

/** Worker → host. */
export type WorkerMessage =
  | { readonly kind: 'ready' }
  | { readonly kind: 'reply'; readonly id: number; readonly value: unknown }
  | {
      readonly kind: 'reply-error';
      readonly id: number;
      readonly message: string;
      readonly code?: string;
    }
  | { readonly kind: 'event'; readonly body: unknown };

/** What a program running in the worker gets. */
export interface LoopContext {
  readonly loop: IoLoop;
  /** The `data` the host passed to `LoopHost.start` (structured-cloned). */
  readonly data: unknown;
  /** Sends an event to the host (arrives as LoopHost 'event'). */
  emit(body: unknown): void;
}

/** The handlers a program returns from `start`. */
export interface LoopProgram {
  /** Answers `LoopHost.call`; the return value (or thrown error) goes back to the caller. */
  call?(body: unknown): unknown;
  /** Handles `LoopHost.post` (no answer). */
  post?(body: unknown): void;
  /** Runs once after the loop stopped, before the worker exits. */
  stop?(): void;
}

/** The shape of a program module: `export function start(ctx) { … }`. */
export interface LoopProgramModule {
  start(ctx: LoopContext): LoopProgram;
}
