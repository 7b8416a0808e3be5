// The system API (src/rtnl/system.ts) over one emulated host: /proc/sys/net from the
// stack's sysctl tables, ping sockets from src/stack/socket.ts, arping's packet sockets
// and captures through the kernel's packet taps, nft and conntrack over
// src/stack/netfilter, and the world's scheduler as the clock. Waiting (ping's and
// arping's receive, sleep) runs the world's events in virtual time; nothing reads a
// real clock.

import { ErrnoError } from '../base/errno.ts';
import type { World } from '../emu/world.ts';
import { contextNet } from '../rtnl/netns.ts';
import type { ConntrackApi } from '../cli/nft.ts';
import type {
  ArpingApi,
  ArpReply,
  ArpSocket,
  CaptureApi,
  CaptureHandle,
  CapturedFrame,
  ClockApi,
  PingApi,
  PingEvent,
  PingSocket,
  SysctlApi,
  SystemApi,
  NftApi,
  SystemNanos,
} from '../rtnl/system.ts';
import { nftCommand } from '../stack/netfilter/api.ts';
import { conntrackList, conntrackOf } from '../stack/netfilter/conntrack.ts';
import { ETH_P_ARP, IFF_NOARP } from '../uapi/if.ts';
import { ArpPacket, buildArpFrame, parseArp } from '../wire/arp.ts';
import { MacAddr } from '../wire/address.ts';
import type { NetDevice } from '../stack/netdev.ts';
import { SkBuff } from '../stack/skb.ts';
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
  #dst: IpAddr | null = null;

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
    // Kept even when the route lookup below fails: iputils skips or voids its probe
    // connect() in some cases and then sends to the address with sendto().
    this.#dst = dst;
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
    this.#sock.sendto(echoRequest(this.family, seq, data), this.#dst ?? undefined);
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

/**
 * arping's AF_PACKET socket on one device: requests go straight to the device's queue
 * (no neighbour table, as a packet socket), replies are read from a packet tap.
 */
class EmuArpSocket implements ArpSocket {
  readonly mac: MacAddr;
  readonly #world: World;
  readonly #dev: NetDevice;
  readonly #tap: PacketTap;
  readonly #replies: ArpReply[] = [];

  constructor(world: World, dev: NetDevice) {
    this.#world = world;
    this.#dev = dev;
    this.mac = dev.address;
    this.#tap = {
      dev,
      fn: (skb, dir) => {
        if (dir !== 'rx' || skb.dev !== dev) return;
        const frame = skb.data;
        if (frame.length < 14 || ((frame[12] ?? 0) << 8) + (frame[13] ?? 0) !== ETH_P_ARP) return;
        const pkt = ArpPacket.checked(frame.subarray(14));
        const arp = pkt === null ? null : parseArp(pkt);
        if (arp === null || arp.op !== 'reply') return;
        this.#replies.push({ from: arp.senderIp, mac: arp.senderMac, time: world.now });
      },
    };
    dev.netns.kernel.taps.add(this.#tap);
  }

  async request(source: Ipv4Addr, target: Ipv4Addr, dst?: MacAddr): Promise<SystemNanos> {
    const dev = this.#dev;
    if (!dev.isUp) throw new ErrnoError('ENETDOWN');
    const frame = buildArpFrame(
      {
        op: 'request',
        senderMac: dev.address,
        senderIp: source,
        targetMac: dst ?? MacAddr.ZERO,
        targetIp: target,
      },
      { ethDst: dst ?? dev.broadcast, ethSrc: dev.address },
    );
    const skb = new SkBuff(frame, dev);
    skb.network = 14;
    skb.protocol = ETH_P_ARP;
    skb.pktType = 'outgoing';
    dev.netns.kernel.devQueueXmit(skb);
    return this.#world.now;
  }

  async receive(target: Ipv4Addr, until: SystemNanos): Promise<ArpReply | null> {
    const scheduler = this.#world.scheduler;
    const next = (): ArpReply | null => {
      const i = this.#replies.findIndex((r) => r.from === target);
      if (i < 0) return null;
      const [r] = this.#replies.splice(i, 1);
      return r ?? null;
    };
    for (;;) {
      const r = next();
      if (r !== null) return r;
      const at = scheduler.nextAt();
      if (at === undefined || at > until) {
        scheduler.runUntil(until);
        return next();
      }
      scheduler.step();
    }
  }

  async close(): Promise<void> {
    this.#dev.netns.kernel.taps.delete(this.#tap);
  }
}

/** What the emulated system reads files with (`nft -f`); null when it cannot. */
export interface EmuSystemOptions {
  readonly readFile?: (path: string) => string | null;
}

/** `conntrack` over the tables of `kernel`'s namespaces. */
export function emuConntrack(kernel: Kernel): ConntrackApi {
  return {
    list: async (ctx, family) => conntrackList(contextNet(kernel, ctx.netns), family),
    flush: async (ctx) => conntrackOf(contextNet(kernel, ctx.netns)).flush(),
  };
}

/** The SystemApi of `kernel` (one host) in `world`. */
export function emuSystem(world: World, kernel: Kernel, options: EmuSystemOptions = {}): SystemApi {
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
  const arping: ArpingApi = {
    open: async (ctx, name) => {
      const dev = net(ctx).getByName(name);
      if (dev === undefined) throw new ErrnoError('ENODEV');
      return new EmuArpSocket(world, dev);
    },
    sourceFor: async (ctx, name, target) => {
      // arping connects a UDP socket bound to the device and asks getsockname.
      const ns = net(ctx);
      const dev = ns.getByName(name);
      if (dev === undefined || (dev.flags & IFF_NOARP) !== 0) return null;
      try {
        const rt = ipRouteOutput(ns, { daddr: target, oif: dev });
        return rt.src === 0 ? null : rt.src;
      } catch {
        return null;
      }
    },
  };
  const readFile = options.readFile ?? (() => null);
  const nft: NftApi = {
    run: async (ctx, argv) => nftCommand(net(ctx), argv, readFile),
  };
  return { sysctl, ping, capture, clock, arping, nft };
}
