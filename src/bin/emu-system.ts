// The system API (src/rtnl/system.ts) over one emulated host: /proc/sys/net from the
// stack's sysctl tables, ping sockets from src/stack/socket.ts, captures through the
// kernel's packet taps, and the world's scheduler as the clock. Waiting (ping's
// receive, sleep) runs the world's events in virtual time; nothing reads a real clock.

import { ErrnoError } from '../base/errno.ts';
import type { World } from '../emu/world.ts';
import { contextNet } from '../rtnl/netns.ts';
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
} from '../rtnl/system.ts';
import type { Kernel, PacketTap } from '../stack/kernel.ts';
import { ipRouteOutput } from '../stack/ipv4.ts';
import type { NetNamespace } from '../stack/netns.ts';
import { NS_PER_SEC } from '../stack/scheduler.ts';
import { echoRequest, openSocket, type Socket } from '../stack/socket.ts';
import { sysctlGet, sysctlSet } from '../stack/sysctl.ts';
import { isIpv4, type IpAddr, type Ipv4Addr } from '../wire/address.ts';

/** How far `settle` lets the world run at most (periodic timers never go idle). */
const SETTLE_HORIZON = 10 * NS_PER_SEC;

class EmuPingSocket implements PingSocket {
  readonly family: 4 | 6;
  readonly #world: World;
  readonly #ns: NetNamespace;
  readonly #sock: Socket;

  constructor(world: World, ns: NetNamespace, family: 4 | 6) {
    this.#world = world;
    this.#ns = ns;
    this.family = family;
    this.#sock = openSocket(ns, family, 'ping');
  }

  async bindToDevice(name: string): Promise<void> {
    const dev = this.#ns.getByName(name);
    if (dev === undefined) throw new ErrnoError('ENODEV');
    this.#sock.bindToDevice(dev);
  }

  async bind(addr: IpAddr): Promise<void> {
    this.#sock.bind(addr);
  }

  async setBroadcast(on: boolean): Promise<void> {
    this.#sock.broadcast = on;
  }

  async setTtl(ttl: number): Promise<void> {
    this.#sock.ttl = ttl;
  }

  async connect(dst: IpAddr, scope?: string): Promise<IpAddr> {
    if (scope !== undefined && this.#sock.boundDev === null) {
      // sin6_scope_id: the device of a link-local destination (Linux uses it as oif).
      const dev = this.#ns.getByName(scope);
      if (dev === undefined) throw new ErrnoError('ENODEV');
      this.#sock.bindToDevice(dev);
    }
    if (isIpv4(dst)) {
      // Linux: ip4_datagram_connect refuses a broadcast route without SO_BROADCAST.
      const rt = ipRouteOutput(this.#ns, {
        daddr: dst,
        saddr: (this.#sock.localAddr ?? undefined) as Ipv4Addr | undefined,
        oif: this.#sock.boundDev,
      });
      if (rt.type === 'broadcast' && !this.#sock.broadcast) throw new ErrnoError('EACCES');
    }
    this.#sock.connect(dst);
    const src = this.#sock.localAddr;
    if (src === null) throw new ErrnoError('EADDRNOTAVAIL');
    return src;
  }

  async send(seq: number, data: Uint8Array): Promise<SystemNanos> {
    this.#sock.sendto(echoRequest(this.family, seq, data));
    return this.#world.now;
  }

  #next(): PingEvent | null {
    const d = this.#sock.recvQueue[0];
    const e = this.#sock.errQueue[0];
    if (d !== undefined && (e === undefined || d.time <= e.time)) {
      this.#sock.recvfrom();
      const seq = ((d.data[6] ?? 0) << 8) | (d.data[7] ?? 0);
      const linkLocal = !isIpv4(d.from) && d.from.isLinkLocal;
      const scope = linkLocal ? this.#ns.getByIndex(d.ifindex)?.name : undefined;
      return {
        kind: 'reply',
        from: d.from,
        ...(scope === undefined ? {} : { scope }),
        seq,
        ttl: d.ttl,
        bytes: d.data.length,
        data: d.data.subarray(8),
        time: d.time,
      };
    }
    if (e !== undefined) {
      this.#sock.recvErr();
      return {
        kind: 'error',
        offender: e.offender,
        seq: e.port,
        family: this.family,
        type: e.type,
        code: e.code,
        info: e.info,
        time: e.time,
      };
    }
    return null;
  }

  async receive(until: SystemNanos): Promise<PingEvent | null> {
    const scheduler = this.#world.scheduler;
    for (;;) {
      const ev = this.#next();
      if (ev !== null) return ev;
      const next = scheduler.nextAt();
      if (next === undefined || next > until) {
        scheduler.runUntil(until);
        return this.#next();
      }
      scheduler.step();
    }
  }

  async close(): Promise<void> {
    this.#sock.close();
  }
}

class EmuCapture implements CaptureHandle {
  readonly #kernel: Kernel;
  readonly #tap: PacketTap;
  readonly #frames: CapturedFrame[];

  constructor(kernel: Kernel, tap: PacketTap, frames: CapturedFrame[]) {
    this.#kernel = kernel;
    this.#tap = tap;
    this.#frames = frames;
  }

  async take(): Promise<readonly CapturedFrame[]> {
    return this.#frames.splice(0);
  }

  async stop(): Promise<void> {
    this.#kernel.taps.delete(this.#tap);
  }
}

/** The SystemApi of `kernel` (one host) in `world`. */
export function emuSystem(world: World, kernel: Kernel): SystemApi {
  const net = (ctx: { readonly netns?: string }): NetNamespace => contextNet(kernel, ctx.netns);
  const sysctl: SysctlApi = {
    get: async (ctx, name) => sysctlGet(net(ctx), name),
    set: async (ctx, name, value) => sysctlSet(net(ctx), name, value),
    list: async (ctx) => [...net(ctx).sysctl.keys()].sort(),
  };
  const ping: PingApi = {
    open: async (ctx, family) => new EmuPingSocket(world, net(ctx), family),
  };
  const capture: CaptureApi = {
    start: async (ctx, name) => {
      const ns = net(ctx);
      const dev = name === 'any' ? null : ns.getByName(name);
      if (dev === undefined) throw new ErrnoError('ENODEV');
      const frames: CapturedFrame[] = [];
      const tap: PacketTap = {
        dev: null,
        fn: (skb, dir) => {
          if (dev === null ? skb.dev.netns !== ns : skb.dev !== dev) return;
          frames.push({
            time: kernel.now,
            bytes: skb.data.slice(),
            direction: dir === 'rx' ? 'in' : 'out',
          });
        },
      };
      kernel.taps.add(tap);
      return new EmuCapture(kernel, tap, frames);
    },
  };
  const clock: ClockApi = {
    now: () => world.now,
    sleep: async (duration) => {
      world.runFor(duration);
    },
    settle: async () => {
      world.runUntilIdle(SETTLE_HORIZON);
    },
  };
  return { sysctl, ping, capture, clock };
}
