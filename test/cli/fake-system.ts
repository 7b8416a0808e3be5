// An in-memory SystemApi for CLI tests: a manual clock, ping sockets whose routing and
// replies a test scripts with plain functions, per-namespace sysctl maps, and captures
// fed by the test. Nothing here models a network; the real one is tested in test/bin.

import { ErrnoError } from '../../src/base/errno.ts';
import type {
  CaptureApi,
  CaptureHandle,
  CapturedFrame,
  ClockApi,
  PingApi,
  PingEvent,
  PingSocket,
  SysctlApi,
  SystemApi,
  SystemNanos,
} from '../../src/rtnl/system.ts';
import type { RtnlContext } from '../../src/rtnl/messages.ts';
import { ipEquals, type IpAddr } from '../../src/wire/address.ts';

export class FakeClock implements ClockApi {
  time: SystemNanos = 0;
  now(): SystemNanos {
    return this.time;
  }
  async sleep(duration: SystemNanos): Promise<void> {
    this.time += duration;
  }
  async settle(): Promise<void> {}
}

/** What a fake ping socket was asked to do, for the routing callback. */
export interface FakeConnect {
  readonly netns: string | undefined;
  readonly family: 4 | 6;
  readonly dst: IpAddr;
  readonly scope: string | undefined;
  readonly device: string | undefined;
  readonly bound: IpAddr | undefined;
  readonly broadcast: boolean;
}

/** An event the network will deliver `delay` ns after the send. */
export type FakeAnswer =
  | {
      readonly delay: SystemNanos;
      readonly kind: 'reply';
      readonly from: IpAddr;
      readonly ttl?: number;
      readonly scope?: string;
    }
  | {
      readonly delay: SystemNanos;
      readonly kind: 'error';
      readonly offender: IpAddr;
      readonly type: number;
      readonly code: number;
      /** Deliver at this absolute time instead of after `delay`. */
      readonly at?: SystemNanos;
    };

export interface FakeNet {
  /** connect(): the source address, or an ErrnoError to refuse. */
  route(c: FakeConnect): IpAddr | ErrnoError;
  /** What comes back for one echo request. */
  answer(c: FakeConnect, seq: number, data: Uint8Array, sentAt: SystemNanos): readonly FakeAnswer[];
  /** Devices that exist (for SO_BINDTODEVICE). */
  readonly devices: readonly string[];
  /** A send error to raise instead of sending, per sequence number. */
  sendError?(seq: number): ErrnoError | undefined;
}

class FakePingSocket implements PingSocket {
  readonly family: 4 | 6;
  readonly #clock: FakeClock;
  readonly #net: FakeNet;
  readonly #netns: string | undefined;
  #device: string | undefined;
  #bound: IpAddr | undefined;
  #broadcast = false;
  #conn: FakeConnect | undefined;
  readonly #queue: PingEvent[] = [];
  readonly sent: number[] = [];

  constructor(clock: FakeClock, net: FakeNet, netns: string | undefined, family: 4 | 6) {
    this.#clock = clock;
    this.#net = net;
    this.#netns = netns;
    this.family = family;
  }

  async bindToDevice(dev: string): Promise<void> {
    if (!this.#net.devices.includes(dev)) throw new ErrnoError('ENODEV');
    this.#device = dev;
  }
  async bind(addr: IpAddr): Promise<void> {
    this.#bound = addr;
  }
  async setBroadcast(on: boolean): Promise<void> {
    this.#broadcast = on;
  }
  async setTtl(): Promise<void> {}
  async connect(dst: IpAddr, scope?: string): Promise<IpAddr> {
    const c: FakeConnect = {
      netns: this.#netns,
      family: this.family,
      dst,
      scope,
      device: this.#device,
      bound: this.#bound,
      broadcast: this.#broadcast,
    };
    const r = this.#net.route(c);
    if (r instanceof ErrnoError) throw r;
    this.#conn = c;
    return this.#bound ?? r;
  }
  async send(seq: number, data: Uint8Array): Promise<SystemNanos> {
    const c = this.#conn;
    if (c === undefined) throw new ErrnoError('EDESTADDRREQ');
    const err = this.#net.sendError?.(seq);
    if (err !== undefined) throw err;
    const now = this.#clock.time;
    this.sent.push(seq);
    for (const a of this.#net.answer(c, seq, data, now)) {
      const time = a.kind === 'error' && a.at !== undefined ? a.at : now + a.delay;
      const ev: PingEvent =
        a.kind === 'reply'
          ? {
              kind: 'reply',
              from: a.from,
              ...(a.scope === undefined ? {} : { scope: a.scope }),
              seq,
              ttl: a.ttl ?? 64,
              bytes: data.length + 8,
              data,
              time,
            }
          : {
              kind: 'error',
              offender: a.offender,
              seq,
              family: this.family,
              type: a.type,
              code: a.code,
              info: 0,
              time,
            };
      this.#queue.push(ev);
      this.#queue.sort((x, y) => x.time - y.time);
    }
    return now;
  }
  async receive(until: SystemNanos): Promise<PingEvent | null> {
    const next = this.#queue[0];
    if (next !== undefined && next.time <= until) {
      this.#queue.shift();
      if (next.time > this.#clock.time) this.#clock.time = next.time;
      return next;
    }
    if (until > this.#clock.time) this.#clock.time = until;
    return null;
  }
  async close(): Promise<void> {}
}

export class FakePing implements PingApi {
  readonly clock: FakeClock;
  net: FakeNet;
  readonly sockets: FakePingSocket[] = [];
  constructor(clock: FakeClock, net: FakeNet) {
    this.clock = clock;
    this.net = net;
  }
  async open(ctx: RtnlContext, family: 4 | 6): Promise<PingSocket> {
    const s = new FakePingSocket(this.clock, this.net, ctx.netns, family);
    this.sockets.push(s);
    return s;
  }
}

export class FakeSysctl implements SysctlApi {
  readonly spaces = new Map<string, Map<string, string>>();
  /** Keys whose value must be an integer (all of them here, as for net.*). */
  table(ctx: RtnlContext): Map<string, string> {
    const t = this.spaces.get(ctx.netns ?? '');
    if (t === undefined) throw new ErrnoError('ENOENT');
    return t;
  }
  async get(ctx: RtnlContext, name: string): Promise<string> {
    const v = this.table(ctx).get(name.replace(/\//g, '.'));
    if (v === undefined) throw new ErrnoError('ENOENT');
    return v;
  }
  async set(ctx: RtnlContext, name: string, value: string): Promise<void> {
    const t = this.table(ctx);
    const key = name.replace(/\//g, '.');
    if (!t.has(key)) throw new ErrnoError('ENOENT');
    if (!/^-?\d+$/.test(value.trim())) throw new ErrnoError('EINVAL');
    t.set(key, String(Number(value)));
    if (key === 'net.ipv4.ip_forward' || key === 'net.ipv4.conf.all.forwarding') {
      for (const k of t.keys())
        if (/^net\.ipv4\.conf\.[^.]+\.forwarding$/.test(k) || k === 'net.ipv4.ip_forward')
          t.set(k, String(Number(value)));
    }
  }
  async list(ctx: RtnlContext): Promise<readonly string[]> {
    return [...this.table(ctx).keys()].sort();
  }
}

class FakeCaptureHandle implements CaptureHandle {
  readonly #source: CapturedFrame[];
  #pos: number;
  stopped = false;
  constructor(source: CapturedFrame[]) {
    this.#source = source;
    this.#pos = source.length;
  }
  async take(): Promise<readonly CapturedFrame[]> {
    const out = this.#source.slice(this.#pos);
    this.#pos = this.#source.length;
    return out;
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
}

export class FakeCapture implements CaptureApi {
  /** Frames per `netns/dev` key ('' netns for the initial one); tests push into them. */
  readonly frames = new Map<string, CapturedFrame[]>();
  async start(ctx: RtnlContext, dev: string): Promise<CaptureHandle> {
    const list = this.frames.get(`${ctx.netns ?? ''}/${dev}`);
    if (list === undefined) throw new ErrnoError('ENODEV');
    return new FakeCaptureHandle(list);
  }
}

/** A SystemApi from fakes; `net` defaults to a network where nothing routes. */
export function fakeSystem(net?: FakeNet): SystemApi & {
  clock: FakeClock;
  ping: FakePing;
  sysctl: FakeSysctl;
  capture: FakeCapture;
} {
  const clock = new FakeClock();
  const noNet: FakeNet = {
    route: () => new ErrnoError('ENETUNREACH'),
    answer: () => [],
    devices: ['lo'],
  };
  const sysctl = new FakeSysctl();
  sysctl.spaces.set('', new Map());
  return { clock, ping: new FakePing(clock, net ?? noNet), sysctl, capture: new FakeCapture() };
}

export function sameIp(a: IpAddr, b: IpAddr): boolean {
  return ipEquals(a, b);
}
