// Entry point of the I/O worker thread: loads the program module named by the host,
// lets it attach links to an IoLoop, and runs the loop until the host says stop.

import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { IoLoop } from './loop.ts';
import type { ControlMessage, LoopProgram, LoopProgramModule, WorkerMessage } from './protocol.ts';

interface WorkerInit {
  readonly programUrl: string;
  readonly data: unknown;
  readonly wakeFd: number;
  readonly batch?: number;
  readonly spinUs?: number;
}

const port = parentPort;
if (port === null) throw new Error('worker.ts must run in a worker thread');
const init = workerData as WorkerInit;
const send = (m: WorkerMessage): void => port.postMessage(m);

const loop = new IoLoop({
  wakeFd: init.wakeFd,
  ...(init.batch === undefined ? {} : { batch: init.batch }),
  ...(init.spinUs === undefined ? {} : { spinUs: init.spinUs }),
});
const mod = (await import(init.programUrl)) as LoopProgramModule;
const program: LoopProgram = mod.start({
  loop,
  data: init.data,
  emit: (body) => send({ kind: 'event', body }),
});

loop.onWake(() => {
  for (;;) {
    const got = receiveMessageOnPort(port);
    if (got === undefined) return;
    const msg = got.message as ControlMessage;
    switch (msg.kind) {
      case 'stop':
        loop.stop();
        return;
      case 'post':
        program.post?.(msg.body);
        break;
      case 'call':
        try {
          send({ kind: 'reply', id: msg.id, value: program.call?.(msg.body) });
        } catch (err) {
          const e = err as { message?: unknown; code?: unknown };
          send({
            kind: 'reply-error',
            id: msg.id,
            message: String(e.message ?? err),
            ...(typeof e.code === 'string' ? { code: e.code } : {}),
          });
        }
        break;
    }
  }
});

send({ kind: 'ready' });
loop.run();
program.stop?.();
loop.close();
