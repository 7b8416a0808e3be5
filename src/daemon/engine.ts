// The daemon's program in the I/O worker: one emulated Kernel running the ipvlan
// driver, wired to real devices. The master is a device whose transmit writes to an
// AF_PACKET socket on the real master and whose receive is that socket's reads; each
// slave is an ipvlan device whose delivered frames are written to its real TAP (the
// ipvtap model, spec TAP-*: a receive hook on the slave hands frames to the TAP fd) and
// whose transmitted frames are the TAP's reads fed to the slave's startXmit
// (devQueueXmit). Every frame is decided by the driver in src/ipvlan.
//
// Zero copy: a frame read into a loop slot becomes an skb over that slot (after the
// 10-byte virtio_net_hdr); the kernel's backlog and the multicast worker run to
// completion before the receiver returns, so no skb outlives its slot. On the way out
// the header still in front of the slot goes with the frame unchanged, so GSO
// super-frames and partial checksums pass through (src/backend/linux/README.md).
//
// The emulated devices carry the real MTUs (the master's at attach, each slave its
// TAP's, as the watcher reads it). A GSO super-frame is longer than the MTU: its skb
// has the `gso` mark, set from the vnet header it was read with, which
// dev_forward_skb honours as Linux's is_skb_forwardable does.

import { ErrnoError } from '../base/errno.ts';
import { FdLink } from '../backend/linux/fd-link.ts';
import { parseNetlink, parseNflogPacket } from '../backend/linux/netlink-msg.ts';
import { RawIpSender } from '../backend/linux/sys/rawip.ts';
import type { FdLinkSpec } from '../backend/linux/fd-link.ts';
import type { FrameBatch, Link } from '../backend/linux/link.ts';
import type { LoopContext, LoopProgram } from '../backend/linux/protocol.ts';
import { vnetHdrValid, vnetIsGso } from '../backend/linux/vnet-hdr.ts';
import { registerIpvlanKind } from '../ipvlan/link-ops.ts';
import { isDadSolicitation, lookupOwner } from '../ipvlan/core.ts';
import { ipvlanModuleInit, ipvlanOf, portOf } from '../ipvlan/main.ts';
import type { LinkSelector, NewLinkRequest, RtnlContext } from '../rtnl/messages.ts';
import { LinkKindRegistry } from '../rtnl/kinds.ts';
import { delLink, dumpLinks, getLink, newLink, type RtnlCore } from '../rtnl/link.ts';
import { resolveNetnsTarget } from '../rtnl/netns.ts';
import { registerStackKinds } from '../rtnl/stack-kinds.ts';
import { Kernel } from '../stack/kernel.ts';
import type { NetDevice, NetDeviceOps, RxHandlerResult } from '../stack/netdev.ts';
import { Inet6Dev } from '../stack/addrconf.ts';
import { InDevice } from '../stack/inet.ts';
import { nfRegisterHook, type NfHookFn } from '../stack/netfilter/hooks.ts';
import { addRoute } from '../stack/route.ts';
import { SkBuff } from '../stack/skb.ts';
import {
  ARPHRD_ETHER,
  ETH_HLEN,
  ETH_P_IP,
  ETH_P_IPV6,
  IFF_BROADCAST,
  IFF_MULTICAST,
} from '../uapi/if.ts';
import { IPV4_ANY, Ipv6Addr, ipv6KeyAt, MacAddr, parseIp } from '../wire/address.ts';
import { linkLocalFromMac } from '../wire/ipv6.ts';
import { decodeValue, encodeValue } from './codec.ts';

/** The largest frame the engine builds or copies itself (a GSO super-frame's size). */
const MAX_FRAME = 65535;

/** Requests the main thread sends with LoopHost.call. */
export type EngineCall =
  | {
      readonly op: 'attachMaster';
      readonly name: string;
      readonly ifindex: number;
      readonly mac: string;
      readonly mtu: number;
      readonly link: FdLinkSpec;
      /** Raw IP sockets bound to the real master (L3/L3S egress, TX-L3-4); -1 when absent. */
      readonly raw4Fd?: number;
      readonly raw6Fd?: number;
    }
  | {
      /** The nfnetlink_log socket of an L3S master: packets after the host's INPUT (L3S-2). */
      readonly op: 'attachNflog';
      readonly masterIfindex: number;
      readonly link: FdLinkSpec;
    }
  | { readonly op: 'attachTap'; readonly ifindex: number; readonly link: FdLinkSpec }
  | { readonly op: 'detachTap'; readonly ifindex: number }
  /** The real master is gone: its device leaves the engine, and its slaves with it (DEL-2). */
  | { readonly op: 'detachMaster'; readonly ifindex: number }
  | {
      readonly op: 'rtnl';
      readonly method: 'newLink' | 'delLink' | 'getLink' | 'dumpLinks';
      readonly args: unknown;
    }
  | {
      readonly op: 'addr';
      readonly ifindex: number;
      readonly addr: string;
      readonly prefixLen: number;
      readonly add: boolean;
    }
  | { readonly op: 'setUp'; readonly ifindex: number; readonly up: boolean }
  | { readonly op: 'setMtu'; readonly ifindex: number; readonly mtu: number }
  | {
      /**
       * The real master's MTU and carrier, as rtnetlink reported them; carrier is
       * omitted while the master is down (IFF_LOWER_UP is only reported while running).
       * Answers the slaves' MTUs and carriers after the driver's notifier ran.
       */
      readonly op: 'masterLink';
      readonly ifindex: number;
      readonly mtu: number;
      readonly carrier?: boolean;
    }
  | { readonly op: 'stats' }
  /** The main thread's rtnetlink sockets: tell it when one is readable (EngineWatchReady). */
  | { readonly op: 'watchFd'; readonly fd: number }
  /** ...and arm them again once it has drained them. */
  | { readonly op: 'rearmFds'; readonly fds: readonly number[] };

/** What `masterLink` answers: each slave of the port as the driver left it. */
export interface EngineSlaveLink {
  readonly ifindex: number;
  readonly mtu: number;
  readonly carrier: boolean;
}

/** Counters of the glue between the engine and the fds (the driver counts its own drops). */
export interface GlueStats {
  /** Frames from a TAP whose source MAC is not the master's (spoofed), dropped. */
  spoofedMac: number;
  /** Frames whose virtio_net_hdr the kernel would refuse (DEV_HDR), dropped. */
  badVnetHdr: number;
  /** DAD probes for an address another slave owns (see onTapBatch), dropped. */
  dadForeign: number;
  /** Frames shorter than an Ethernet header, dropped. */
  runts: number;
  /** Frames the engine delivered to a slave whose TAP is not attached. */
  noTap: number;
  /** L3/L3S egress handed to the real master namespace (raw socket sends that succeeded). */
  l3Out: number;
  /** ...and those the real kernel refused (no route via the master, EMSGSIZE, full). */
  l3OutErrors: number;
  /** L3S packets received from the host's INPUT (nfnetlink_log) and delivered to a slave. */
  l3sIn: number;
  /** ...and those owned by no slave, or malformed. */
  l3sInDropped: number;
}

/** What `stats` answers. */
export interface EngineStats {
  readonly glue: GlueStats;
  readonly links: Readonly<Record<string, FdLink['stats']>>;
  readonly drops: Readonly<Record<string, number>>;
}

/**
 * A watched rtnetlink socket has events: the main thread reads it now rather than on
 * its next safety-net round, so an address added in a slave's namespace reaches the
 * engine before a ping started right after it sends its first frame.
 */
export interface EngineWatchReady {
  readonly type: 'watch-ready';
  readonly fd: number;
}

/** Events the engine emits. */
export interface EngineLinkFailure {
  readonly type: 'link-failure';
  readonly name: string;
  readonly ifindex: number;
  readonly errno: number;
  readonly revents: number;
}

interface Attached {
  readonly link: FdLink;
  readonly dev: NetDevice;
}

const HDR = 10;

export function start(ctx: LoopContext): LoopProgram {
  const kernel = new Kernel({ hostname: 'ipvlan-daemon' });
  ipvlanModuleInit(kernel);
  const kinds = new LinkKindRegistry();
  registerStackKinds(kinds);
  registerIpvlanKind(kinds);
  // The rtnl handlers are called directly (not through the promise API of
  // src/rtnl/server.ts): a worker call must answer synchronously.
  const core: RtnlCore = {
    kernel,
    kinds,
    resolveNetns: (target) => resolveNetnsTarget(kernel, target),
  };
  const net = kernel.initNet;
  const glue: GlueStats = {
    spoofedMac: 0,
    badVnetHdr: 0,
    dadForeign: 0,
    runts: 0,
    noTap: 0,
    l3Out: 0,
    l3OutErrors: 0,
    l3sIn: 0,
    l3sInDropped: 0,
  };
  /** Per master ifindex: the raw sockets into the real master namespace. */
  const rawOut = new Map<number, RawIpSender>();
  const byIfindex = new Map<number, Attached>();
  const nflogLinks = new Map<number, FdLink[]>();
  /** The loop's slot memory: an skb over it still has its vnet header in front. */
  let slotMemory: ArrayBufferLike | null = null;
  const scratch = new Uint8Array(HDR + MAX_FRAME + 64);

  /** The loop's slot views, and the byte distance between two slots. */
  let slots: readonly Uint8Array[] = [];
  let slotStride = 0;

  /** Remembers the batch's slots, so that sendSkb finds a frame's slot without a new view. */
  function useBatch(batch: FrameBatch): void {
    const frames = batch.frames;
    const first = frames[0];
    if (first === undefined || first.buffer === slotMemory) return;
    slotMemory = first.buffer;
    slots = frames;
    slotStride = frames.length > 1 ? (frames[1] as Uint8Array).byteOffset - first.byteOffset : 0;
  }

  /** Sends an skb's frame on `link`, with its own vnet header when it still has one. */
  function sendSkb(link: Link, skb: SkBuff): boolean {
    const data = skb.data;
    if (data.buffer === slotMemory && data.byteOffset >= HDR) {
      // Usually the frame still starts right after its slot's vnet header: write the
      // slot itself (no view allocated per frame).
      const at = data.byteOffset - HDR - (slots[0] as Uint8Array).byteOffset;
      const slot = slotStride > 0 && at % slotStride === 0 ? slots[at / slotStride] : undefined;
      if (slot !== undefined) return link.transmit(slot, data.length + HDR);
      const out = new Uint8Array(data.buffer, data.byteOffset - HDR, data.length + HDR);
      return link.transmit(out, out.length);
    }
    // A frame the engine copied or built: plain, no offload metadata.
    if (data.length + HDR > scratch.length) return false;
    scratch.fill(0, 0, HDR);
    scratch.set(data, HDR);
    return link.transmit(scratch, data.length + HDR);
  }

  const masterOps: NetDeviceOps = {
    startXmit(skb, dev) {
      const a = byIfindex.get(dev.ifindex);
      if (a === undefined || !sendSkb(a.link, skb)) {
        dev.stats.txDropped++;
        kernel.dropSkb(skb, 'FULL_RING');
        return 'drop';
      }
      dev.stats.txPackets++;
      dev.stats.txBytes += skb.len;
      return 'ok';
    },
  };

  // The ipvtap receive hook: what the driver delivers to a slave goes to its TAP.
  function tapRx(skb: SkBuff): RxHandlerResult {
    const a = byIfindex.get(skb.dev.ifindex);
    if (a === undefined) {
      glue.noTap++;
      kernel.dropSkb(skb, 'DEV_READY', 'slave has no TAP attached');
      return 'consumed';
    }
    // The driver moved the skb past eth_type_trans; the frame still starts at the MAC header.
    sendSkb(a.link, skb);
    return 'consumed';
  }

  function drain(): void {
    const s = kernel.scheduler;
    s.advanceTo(performance.now() * 1e6);
    s.runUntil(s.now);
  }

  function onMasterBatch(dev: NetDevice) {
    return (_link: Link, batch: FrameBatch): void => {
      useBatch(batch);
      for (let i = 0; i < batch.count; i++) {
        const slot = batch.frames[i] as Uint8Array;
        const len = batch.lengths[i] as number;
        if (len < HDR + ETH_HLEN) {
          glue.runts++;
          continue;
        }
        dev.stats.rxPackets++;
        dev.stats.rxBytes += len - HDR;
        const skb = new SkBuff(slot.subarray(HDR, len), dev);
        skb.gso = vnetIsGso(slot, 0);
        if (!kernel.ethTypeTrans(skb, dev)) continue;
        kernel.netifRx(skb);
      }
      drain();
    };
  }

  function onTapBatch(dev: NetDevice) {
    const slave = ipvlanOf(dev);
    const masterMac = (slave?.phyDev ?? dev).address;
    const port = slave === undefined ? undefined : portOf(slave.phyDev);
    // What every slave's kernel derives from the shared MAC (RFC 4291 2.5.1).
    const sharedLinkLocal = linkLocalFromMac(masterMac).key;
    return (_link: Link, batch: FrameBatch): void => {
      useBatch(batch);
      for (let i = 0; i < batch.count; i++) {
        const slot = batch.frames[i] as Uint8Array;
        const len = batch.lengths[i] as number;
        if (len < HDR + ETH_HLEN) {
          glue.runts++;
          continue;
        }
        if (!vnetHdrValid(slot, 0, len - HDR)) {
          glue.badVnetHdr++;
          continue;
        }
        // The slave carries the master's MAC; anything else is spoofed (enforced here
        // because a TAP, unlike a kernel ipvlan slave, lets its user change its MAC).
        if (!masterMac.equalsAt(slot, HDR + 6)) {
          glue.spoofedMac++;
          continue;
        }
        // A DAD probe (ICMPv6 NS from ::) for an address this slave does not own while
        // another slave does, or for the link-local address every slave derives from the
        // shared MAC unless this slave owns it. Kernel ipvlan refuses a second owner before
        // it can probe (ADDR-1); here the TAP's kernel adds the address, probes, and only
        // then hears of the refusal, and slaves coming up together probe for the shared
        // fe80:: address at once. Passed on, such a probe fails the owner's own DAD.
        // One view per frame, shared with the skb below.
        const frame = slot.subarray(HDR, len);
        const protocol = ((frame[12] as number) << 8) | (frame[13] as number);
        if (port !== undefined && protocol === ETH_P_IPV6 && isDadSolicitation(frame, ETH_HLEN)) {
          const owner = lookupOwner(port, frame, true);
          const shared = ipv6KeyAt(frame, ETH_HLEN + 48) === sharedLinkLocal;
          if (owner !== slave && (owner !== undefined || shared)) {
            glue.dadForeign++;
            continue;
          }
        }
        const skb = new SkBuff(frame, dev);
        skb.gso = vnetIsGso(slot, 0);
        skb.protocol = protocol;
        skb.network = ETH_HLEN;
        kernel.devQueueXmit(skb);
      }
      drain();
    };
  }

  // L3/L3S egress (TX-L3-4): the driver routes in the engine's master namespace, which
  // holds only default routes through the master (so any destination qualifies), and
  // hands the packet to ip_local_out. This OUTPUT hook, the first, steals it and sends
  // it with a raw socket bound to the real master in the real master namespace, whose
  // kernel then does the real routing (oif forced), OUTPUT/POSTROUTING and ARP/ND, TTL
  // untouched. The engine's own neighbour tables are never used.
  const stealToRealNamespace: NfHookFn = (skb, state) => {
    const out = state.out === null ? undefined : rawOut.get(state.out.ifindex);
    if (out === undefined) return 'accept';
    const data = skb.data;
    const packet = data.subarray(skb.network);
    if (out.send(packet, packet.length) === 0) glue.l3Out++;
    else {
      glue.l3OutErrors++;
      if (state.out !== null) state.out.stats.txErrors++;
    }
    return 'stolen';
  };
  for (const pf of ['ipv4', 'ipv6'] as const)
    nfRegisterHook(net, {
      pf,
      hook: 'output',
      priority: -0x7fffffff,
      fn: stealToRealNamespace,
      owner: 'ipvlan daemon: to the real master namespace',
    });

  /** Room for an Ethernet header in front of an L3S packet read from nfnetlink_log. */
  const l3sFrame = new Uint8Array(ETH_HLEN + 0x10000);

  // L3S ingress (L3S-2): the real host has run PREROUTING, routing and INPUT (with
  // conntrack confirmed) on the packet, and its nft rule logged it to us and dropped it.
  // The engine finds the owning slave by destination (ipvlan_skb_to_addr) and writes the
  // packet to its TAP as ipvlan_nf_input hands it to the slave.
  function onNflogBatch(master: NetDevice) {
    return (_link: Link, batch: FrameBatch): void => {
      for (let i = 0; i < batch.count; i++) {
        const slot = batch.frames[i] as Uint8Array;
        const len = batch.lengths[i] as number;
        const { msgs } = parseNetlink(slot.subarray(0, len));
        for (const msg of msgs) {
          const p = parseNflogPacket(msg);
          if (p === null) continue;
          deliverL3s(master, p.family, p.payload, p.hwaddr);
        }
      }
    };
  }

  function deliverL3s(
    master: NetDevice,
    family: 4 | 6,
    packet: Uint8Array,
    hwaddr: Uint8Array | null,
  ): void {
    const port = portOf(master);
    if (port === undefined || packet.length + ETH_HLEN > l3sFrame.length) {
      glue.l3sInDropped++;
      return;
    }
    const f = l3sFrame;
    master.address.writeTo(f, 0);
    if (hwaddr !== null) f.set(hwaddr, 6);
    else master.address.writeTo(f, 6);
    const type = family === 4 ? ETH_P_IP : ETH_P_IPV6;
    f[12] = type >>> 8;
    f[13] = type & 0xff;
    f.set(packet, ETH_HLEN);
    const frame = f.subarray(0, ETH_HLEN + packet.length);
    const owner = lookupOwner(port, frame, true);
    const a = owner === undefined ? undefined : byIfindex.get(owner.dev.ifindex);
    if (owner === undefined || a === undefined || !owner.dev.isUp) {
      glue.l3sInDropped++;
      return;
    }
    scratch.fill(0, 0, HDR);
    scratch.set(frame, HDR);
    if (a.link.transmit(scratch, frame.length + HDR)) {
      glue.l3sIn++;
      owner.stats.rxPackets++;
      owner.stats.rxBytes += frame.length;
    } else {
      owner.stats.rxErrors++;
    }
  }

  function requireDev(ifindex: number): NetDevice {
    const dev = net.getByIndex(ifindex);
    if (dev === undefined) throw new ErrnoError('ENODEV');
    return dev;
  }

  function rtnlCall(method: string, args: unknown): unknown {
    const [, reqArg] = decodeValue(args) as [RtnlContext, unknown];
    // Every slave and master lives in the engine's initial namespace: the real
    // namespaces are the TAPs' business (see docs/linux-dataplane.md).
    switch (method) {
      case 'newLink': {
        const req = reqArg as NewLinkRequest;
        newLink(core, net, req);
        return null;
      }
      case 'delLink':
        delLink(core, net, (reqArg as { ifindex: number }).ifindex);
        return null;
      case 'getLink':
        return getLink(core, net, reqArg as LinkSelector);
      case 'dumpLinks':
        return dumpLinks(core, net);
      default:
        throw new ErrnoError('EOPNOTSUPP');
    }
  }

  const watchReady = (fd: number): void => {
    const ev: EngineWatchReady = { type: 'watch-ready', fd };
    ctx.emit(ev);
  };

  ctx.loop.onLinkFailure((link, why) => {
    let ifindex = 0;
    for (const [i, a] of byIfindex) if (a.link === link) ifindex = i;
    const ev: EngineLinkFailure = {
      type: 'link-failure',
      name: link.name,
      ifindex,
      errno: why.errno,
      revents: why.revents,
    };
    ctx.emit(ev);
  });

  return {
    call(body: unknown): unknown {
      const req = body as EngineCall;
      switch (req.op) {
        case 'attachMaster': {
          const mac = MacAddr.parse(req.mac);
          if (mac === null) throw new ErrnoError('EINVAL');
          let dev = net.getByIndex(req.ifindex);
          if (dev === undefined) {
            dev = kernel.createDevice(
              {
                name: req.name,
                ops: masterOps,
                linkKind: null,
                type: ARPHRD_ETHER,
                flags: IFF_BROADCAST | IFF_MULTICAST,
                mtu: req.mtu,
                minMtu: 68,
                maxMtu: MAX_FRAME,
                address: mac,
                txqlen: 1000,
                features: { noQueue: false, liveAddrChange: true },
              },
              net,
              { ifindex: req.ifindex },
            );
            kernel.devOpen(dev);
            kernel.netifCarrierOn(dev);
            // The driver's L3 egress routes through the master (ip_route_output with oif
            // forced, TX-L3-4), which needs the master's in_device/inet6_dev; no inet
            // stack is installed, so the engine's master never sends or answers anything.
            dev.proto.set('inet', new InDevice(dev));
            dev.proto.set('inet6', new Inet6Dev(dev));
            // Everything qualifies in the engine's routing; the real namespace decides.
            // Appended: each master has its own default routes (the lookup with the
            // oif forced takes the one through it), and a second master must not
            // collide with the first's (EEXIST).
            const append = { append: true } as const;
            addRoute(net, { family: 4, dst: IPV4_ANY, dstLen: 0, dev }, append);
            addRoute(net, { family: 6, dst: Ipv6Addr.UNSPECIFIED, dstLen: 0, dev }, append);
          }
          const raw4 = req.raw4Fd ?? -1;
          const raw6 = req.raw6Fd ?? -1;
          if (raw4 >= 0 || raw6 >= 0)
            rawOut.set(req.ifindex, new RawIpSender(raw4, raw6, req.ifindex));
          const link = new FdLink(req.link);
          link.setReceiver(onMasterBatch(dev));
          byIfindex.set(req.ifindex, { link, dev });
          ctx.loop.add(link);
          return null;
        }
        case 'attachTap': {
          const dev = requireDev(req.ifindex);
          if (ipvlanOf(dev) === undefined) throw new ErrnoError('EINVAL');
          const old = byIfindex.get(req.ifindex);
          if (old !== undefined) ctx.loop.remove(old.link);
          const link = new FdLink(req.link);
          link.setReceiver(onTapBatch(dev));
          // ipvtap: the slave's receive path ends in the TAP (the slave refuses other
          // rx handlers, IFF_NO_RX_HANDLER, so the hook is installed directly).
          dev.rxHandler = tapRx;
          dev.rxHandlerData = link;
          // The slave's multicast list lives on the real TAP, where the engine cannot
          // see it: the slave takes every group frame (dev_set_allmulti, which also
          // raises the master's allmulti as ipvlan_change_rx_flags does) and the slave
          // namespace's own stack drops the groups it did not join. Without this the
          // driver's filter (MAC-5) would drop IPv6 neighbour solicitations.
          if (!dev.allmultiOn) kernel.devSetAllmulti(dev, 1);
          byIfindex.set(req.ifindex, { link, dev });
          ctx.loop.add(link);
          return null;
        }
        case 'attachNflog': {
          const master = requireDev(req.masterIfindex);
          const link = new FdLink(req.link);
          link.setReceiver(onNflogBatch(master));
          ctx.loop.add(link);
          nflogLinks.get(req.masterIfindex)?.forEach((l) => ctx.loop.remove(l));
          nflogLinks.set(req.masterIfindex, [link]);
          return null;
        }
        case 'detachTap': {
          const a = byIfindex.get(req.ifindex);
          if (a !== undefined) {
            ctx.loop.remove(a.link);
            byIfindex.delete(req.ifindex);
          }
          return null;
        }
        case 'detachMaster': {
          const a = byIfindex.get(req.ifindex);
          if (a !== undefined) ctx.loop.remove(a.link);
          byIfindex.delete(req.ifindex);
          rawOut.delete(req.ifindex);
          nflogLinks.get(req.ifindex)?.forEach((l) => ctx.loop.remove(l));
          nflogLinks.delete(req.ifindex);
          // ipvlan's NETDEV_UNREGISTER deletes every slave of the port (DEL-2).
          const dev = net.getByIndex(req.ifindex);
          if (dev !== undefined) kernel.unregisterNetdevice(dev);
          return null;
        }
        case 'rtnl':
          return encodeValue(rtnlCall(req.method, req.args));
        case 'addr': {
          const dev = requireDev(req.ifindex);
          const addr = parseIp(req.addr);
          if (addr === null) throw new ErrnoError('EINVAL');
          const v4 = typeof addr === 'number';
          if (req.add) {
            const validators = v4 ? kernel.inetaddrValidatorChain : kernel.inet6addrValidatorChain;
            for (const v of validators) v({ dev, addr });
          }
          const chain = v4 ? kernel.inetaddrChain : kernel.inet6addrChain;
          const type = req.add ? 'NETDEV_UP' : 'NETDEV_DOWN';
          for (const n of chain) n({ type, dev, addr, prefixLen: req.prefixLen });
          return null;
        }
        case 'setUp': {
          const dev = requireDev(req.ifindex);
          if (req.up) kernel.devOpen(dev);
          else kernel.devClose(dev);
          return null;
        }
        case 'setMtu':
          // The real TAP took the MTU already; the engine's slave follows it.
          kernel.devSetMtu(requireDev(req.ifindex), req.mtu);
          return null;
        case 'masterLink': {
          // The real kernel validated and applied the change already, so the engine's
          // master takes it without its own range check. ipvlan vetoes no master MTU
          // (it has no NETDEV_PRECHANGEMTU case); its NETDEV_CHANGEMTU overwrites every
          // slave's MTU (MTU-3) and NETDEV_CHANGE passes the carrier on (LINK-1).
          const dev = requireDev(req.ifindex);
          const port = portOf(dev);
          if (port === undefined) throw new ErrnoError('EINVAL');
          if (dev.mtu !== req.mtu) {
            const { minMtu, maxMtu } = dev;
            dev.minMtu = 0;
            dev.maxMtu = 0;
            try {
              kernel.devSetMtu(dev, req.mtu);
            } finally {
              dev.minMtu = minMtu;
              dev.maxMtu = maxMtu;
            }
          }
          if (req.carrier === true) kernel.netifCarrierOn(dev);
          else if (req.carrier === false) kernel.netifCarrierOff(dev);
          const slaves: EngineSlaveLink[] = port.slaves.map((s) => ({
            ifindex: s.dev.ifindex,
            mtu: s.dev.mtu,
            carrier: s.dev.carrier,
          }));
          return slaves;
        }
        case 'watchFd':
          ctx.loop.notifyReadable(req.fd, watchReady);
          return null;
        case 'rearmFds':
          for (const fd of req.fds) ctx.loop.rearm(fd);
          return null;
        case 'stats': {
          const links: Record<string, FdLink['stats']> = {};
          for (const [i, a] of byIfindex) links[`${a.dev.name}#${i}`] = { ...a.link.stats };
          const drops: Record<string, number> = {};
          for (const [reason, n] of net.drops) drops[reason] = n;
          const stats: EngineStats = { glue: { ...glue }, links, drops };
          return stats;
        }
      }
    },
  };
}
