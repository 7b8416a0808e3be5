// A loop program that wires links together in pairs: every frame read on one side is
// written to the other unchanged, vnet header included (a "dumb wire"). It proves the
// I/O layer in tests and is the JS row of the bench; the ipvlan engine replaces it.
// Frames whose vnet header the kernel would refuse are dropped and counted, never
// passed on.

import { ETH_P_ARP, ETH_P_IP } from '../../uapi/if.ts';
import { FdLink } from './fd-link.ts';
import type { FdLinkSpec } from './fd-link.ts';
import type { FrameBatch, Link, LinkStats } from './link.ts';
import type { LoopContext, LoopProgram } from './protocol.ts';
import { vnetHdrValid } from './vnet-hdr.ts';

export interface ForwarderData {
  readonly pairs: readonly { readonly a: FdLinkSpec; readonly b: FdLinkSpec }[];
}

/** Counters for one direction of one pair. */
export interface DirectionStats {
  frames: number;
  arp: number;
  icmp: number;
  /** Dropped: vnet header invalid (Linux drop reason DEV_HDR). */
  badHdr: number;
}

export interface ForwarderStats {
  readonly links: Readonly<Record<string, LinkStats>>;
  /** Keyed "A>B" by link names. */
  readonly directions: Readonly<Record<string, DirectionStats>>;
}

/** The forwarder's `call` requests. */
export type ForwarderCall = { readonly op: 'stats' };

/** Events it emits. */
export interface LinkFailureEvent {
  readonly type: 'link-failure';
  readonly name: string;
  readonly errno: number;
  readonly revents: number;
}

const IPPROTO_ICMP = 1;

function countKind(stats: DirectionStats, frame: Uint8Array, at: number, len: number): void {
  if (len < 14) return;
  const type = ((frame[at + 12] ?? 0) << 8) | (frame[at + 13] ?? 0);
  if (type === ETH_P_ARP) stats.arp++;
  else if (type === ETH_P_IP && len >= 34 && frame[at + 23] === IPPROTO_ICMP) stats.icmp++;
}

export function start(ctx: LoopContext): LoopProgram {
  const data = ctx.data as ForwarderData;
  const links: FdLink[] = [];
  const directions: Record<string, DirectionStats> = {};
  for (const pair of data.pairs) {
    const a = new FdLink(pair.a);
    const b = new FdLink(pair.b);
    if (a.vnetHdrLen !== b.vnetHdrLen)
      throw new Error(`${a.name} and ${b.name} differ in vnet header length`);
    wire(a, b);
    wire(b, a);
    links.push(a, b);
    ctx.loop.add(a);
    ctx.loop.add(b);
  }

  function wire(from: FdLink, to: Link): void {
    const stats: DirectionStats = { frames: 0, arp: 0, icmp: 0, badHdr: 0 };
    directions[`${from.name}>${to.name}`] = stats;
    const hdr = from.vnetHdrLen;
    from.setReceiver((_link: Link, batch: FrameBatch) => {
      for (let i = 0; i < batch.count; i++) {
        const frame = batch.frames[i] as Uint8Array;
        const len = batch.lengths[i] as number;
        if (hdr > 0 && !vnetHdrValid(frame, 0, len - hdr)) {
          stats.badHdr++;
          continue;
        }
        stats.frames++;
        countKind(stats, frame, hdr, len - hdr);
        to.transmit(frame, len);
      }
    });
  }

  ctx.loop.onLinkFailure((link, why) => {
    const ev: LinkFailureEvent = {
      type: 'link-failure',
      name: link.name,
      errno: why.errno,
      revents: why.revents,
    };
    ctx.emit(ev);
  });

  return {
    call(body: unknown): ForwarderStats {
      const req = body as ForwarderCall;
      if (req.op !== 'stats') throw new Error(`unknown request ${String(req.op)}`);
      const linkStats: Record<string, LinkStats> = {};
      for (const l of links) linkStats[l.name] = { ...l.stats };
      const dirs: Record<string, DirectionStats> = {};
      for (const [k, v] of Object.entries(directions)) dirs[k] = { ...v };
      return { links: linkStats, directions: dirs };
    },
  };
}
