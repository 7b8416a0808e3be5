// The control socket: a Unix stream socket (mode 0600 in a 0700 state directory, so
// only root reaches it) speaking newline-delimited JSON. A request names an RtnlApi
// method and its encoded arguments; the reply carries the encoded value or an error
// with errno name and extack. `DaemonClient` is the RtnlApi the CLI's `runIp` talks to,
// so `ipvlan link …` parses and prints exactly as `ip link …` does.

import { chmodSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { ErrnoError } from '../base/errno.ts';
import type { RtnlApi } from '../rtnl/api.ts';
import type {
  AddrMsg,
  DelLinkRequest,
  ExecResult,
  LinkMsg,
  LinkSelector,
  NeighMsg,
  NetnsEntry,
  NewLinkRequest,
  RouteMsg,
  RtnlContext,
} from '../rtnl/messages.ts';
import { decodeError, decodeValue, encodeError, encodeValue, type WireError } from './codec.ts';

/** One request line. */
export interface ControlRequest {
  readonly id: number;
  readonly method: string;
  readonly args: unknown;
}

/** One reply line. */
export type ControlReply =
  | { readonly id: number; readonly value: unknown }
  | { readonly id: number; readonly error: WireError };

/** The longest request line accepted; a client that sends more is cut off. */
const MAX_LINE = 1 << 20;

/** Serves `handle` on a Unix socket at `path` (a stale socket file is replaced). */
export async function serveControl(
  path: string,
  handle: (method: string, args: unknown) => Promise<unknown>,
): Promise<Server> {
  try {
    unlinkSync(path);
  } catch {
    // No stale socket.
  }
  const server = createServer((sock) => serveConnection(sock, handle));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  chmodSync(path, 0o600);
  return server;
}

function serveConnection(
  sock: Socket,
  handle: (method: string, args: unknown) => Promise<unknown>,
): void {
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('error', () => sock.destroy());
  sock.on('data', (chunk: string) => {
    buf += chunk;
    if (buf.length > MAX_LINE) {
      sock.destroy();
      return;
    }
    for (;;) {
      const nl = buf.indexOf('\n');
      if (nl < 0) break;
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      void answer(sock, line, handle);
    }
  });
}

async function answer(
  sock: Socket,
  line: string,
  handle: (method: string, args: unknown) => Promise<unknown>,
): Promise<void> {
  let req: Partial<ControlRequest>;
  try {
    req = JSON.parse(line) as Partial<ControlRequest>;
  } catch {
    sock.destroy();
    return;
  }
  const id = typeof req.id === 'number' ? req.id : 0;
  let reply: ControlReply;
  try {
    if (typeof req.method !== 'string') throw new ErrnoError('EINVAL');
    reply = { id, value: await handle(req.method, req.args) };
  } catch (err) {
    reply = { id, error: encodeError(err) };
  }
  if (!sock.destroyed) sock.write(`${JSON.stringify(reply)}\n`);
}

/** The daemon could not be reached at all (not running, no permission). */
export class DaemonUnreachable extends Error {
  readonly path: string;
  constructor(path: string, cause: string) {
    super(`cannot connect to the daemon at ${path}: ${cause}`);
    this.path = path;
  }
}

const CONNECT_ERRORS: Record<string, string> = {
  ENOENT: 'No such file or directory (is `ipvlan daemon` running?)',
  ECONNREFUSED: 'Connection refused (is `ipvlan daemon` running?)',
  EACCES: 'Permission denied (the daemon accepts root only)',
};

/** An RtnlApi whose link requests go to the daemon. Other requests are EOPNOTSUPP. */
export class DaemonClient implements RtnlApi {
  readonly path: string;
  #sock: Socket | null = null;
  #buf = '';
  #nextId = 1;
  readonly #pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

  private constructor(path: string) {
    this.path = path;
  }

  /** Connects, or throws DaemonUnreachable with the reason. */
  static async connect(path: string): Promise<DaemonClient> {
    const c = new DaemonClient(path);
    await new Promise<void>((resolve, reject) => {
      const sock = createConnection(path);
      sock.setEncoding('utf8');
      sock.once('connect', () => {
        c.#sock = sock;
        resolve();
      });
      sock.once('error', (err: NodeJS.ErrnoException) => {
        const code = err.code ?? '';
        reject(new DaemonUnreachable(path, CONNECT_ERRORS[code] ?? err.message));
      });
      sock.on('data', (chunk: string) => c.#onData(chunk));
      sock.on('close', () => {
        for (const p of c.#pending.values())
          p.reject(new DaemonUnreachable(path, 'the daemon closed the connection'));
        c.#pending.clear();
      });
    });
    return c;
  }

  close(): void {
    this.#sock?.end();
    this.#sock = null;
  }

  #onData(chunk: string): void {
    this.#buf += chunk;
    for (;;) {
      const nl = this.#buf.indexOf('\n');
      if (nl < 0) return;
      const line = this.#buf.slice(0, nl);
      this.#buf = this.#buf.slice(nl + 1);
      let reply: ControlReply;
      try {
        reply = JSON.parse(line) as ControlReply;
      } catch {
        continue;
      }
      const p = this.#pending.get(reply.id);
      if (p === undefined) continue;
      this.#pending.delete(reply.id);
      if ('error' in reply) p.reject(decodeError(reply.error));
      else p.resolve(decodeValue(reply.value));
    }
  }

  /** Sends one request and waits for its reply. */
  request<T>(method: string, args: readonly unknown[]): Promise<T> {
    const sock = this.#sock;
    if (sock === null) return Promise.reject(new DaemonUnreachable(this.path, 'not connected'));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      sock.write(`${JSON.stringify({ id, method, args: encodeValue(args) })}\n`);
    });
  }

  newLink(ctx: RtnlContext, req: NewLinkRequest): Promise<void> {
    return this.request('newLink', [ctx, req]);
  }
  delLink(ctx: RtnlContext, req: DelLinkRequest): Promise<void> {
    return this.request('delLink', [ctx, req]);
  }
  getLink(ctx: RtnlContext, selector: LinkSelector): Promise<LinkMsg> {
    return this.request('getLink', [ctx, selector]);
  }
  dumpLinks(ctx: RtnlContext): Promise<readonly LinkMsg[]> {
    return this.request('dumpLinks', [ctx]);
  }
  netnsList(): Promise<readonly NetnsEntry[]> {
    return this.request('netnsList', []);
  }

  #unsupported<T>(): Promise<T> {
    return Promise.reject(new ErrnoError('EOPNOTSUPP'));
  }
  newAddr(): Promise<void> {
    return this.#unsupported();
  }
  delAddr(): Promise<void> {
    return this.#unsupported();
  }
  dumpAddrs(): Promise<readonly AddrMsg[]> {
    return this.#unsupported();
  }
  newRoute(): Promise<void> {
    return this.#unsupported();
  }
  delRoute(): Promise<void> {
    return this.#unsupported();
  }
  dumpRoutes(): Promise<readonly RouteMsg[]> {
    return this.#unsupported();
  }
  getRoute(): Promise<RouteMsg> {
    return this.#unsupported();
  }
  newNeigh(): Promise<void> {
    return this.#unsupported();
  }
  delNeigh(): Promise<void> {
    return this.#unsupported();
  }
  dumpNeighs(): Promise<readonly NeighMsg[]> {
    return this.#unsupported();
  }
  netnsAdd(): Promise<void> {
    return this.#unsupported();
  }
  netnsDel(): Promise<void> {
    return this.#unsupported();
  }
  netnsIdentify(): Promise<readonly string[]> {
    return this.#unsupported();
  }
  netnsSetId(): Promise<void> {
    return this.#unsupported();
  }
  netnsExec(): Promise<ExecResult> {
    return this.#unsupported();
  }
}
