// The ipvlan data plane (Linux: drivers/net/ipvlan/ipvlan_core.c): classify a frame by
// its L3 addresses, look the key up in the port table, and decide — transmit from a
// slave (TX-*), receive on the master (RX-*), and the deferred multicast worker (MC-*).
// Every decision is a return value; every drop is counted under a named reason.

import { IPPROTO_ICMPV6 } from '../uapi/rtnetlink.ts';
import { ETH_HLEN, ETH_P_ARP, ETH_P_IP, ETH_P_IPV6 } from '../uapi/if.ts';
import { formatIpv4, ipv4At, ipv6KeyAt, macKeyAt } from '../wire/address.ts';
import { Ipv4Packet } from '../wire/ipv4.ts';
import { Ipv6Packet } from '../wire/ipv6.ts';
import { ipLocalOut, ipRouteOutput, type Ipv4OutRoute } from '../stack/ipv4.ts';
import { ip6LocalOut, ip6RouteOutput, type Ipv6OutRoute } from '../stack/ipv6.ts';
import { be16 } from '../wire/bytes.ts';
import type { Kernel } from '../stack/kernel.ts';
import type { NetDevice, RxHandlerResult, XmitResult } from '../stack/netdev.ts';
import type { SkBuff } from '../stack/skb.ts';
import {
  ETH_P_PAUSE,
  IPVLAN_QBACKLOG_LIMIT,
  isPrivate,
  isVepa,
  type IpvlanDev,
  type IpvlanPort,
} from './types.ts';

const ARP_BODY_LEN = 28; // arp_hdr_len() for Ethernet/IPv4: 8 + 2 * (6 + 4)
const IPV4_MIN_HLEN = 20;
const IPV6_HLEN = 40;
const ICMP6_HLEN = 8;
const NDISC_NEIGHBOUR_SOLICITATION = 135;

/** No key: the frame is unclassifiable, or classifiable but has no address to look up. */
export const NO_KEY = undefined;

/**
 * The address key of a frame (Linux: ipvlan_get_L3_hdr + the key part of
 * ipvlan_addr_lookup), spec TX-C-3. `frame` starts at the Ethernet header. With
 * `useDest` the destination key, else the source key. Never throws on any bytes.
 */
export function frameKey(frame: Uint8Array, useDest: boolean): number | string | undefined {
  if (frame.length < ETH_HLEN) return NO_KEY;
  return l3Key(frame, ETH_HLEN, be16(frame, 12), useDest);
}

/**
 * The same classification for a packet whose L3 header starts at `l3` and whose
 * protocol (EtherType) is known — the IP layer's view, used by L3S (ipvlan_skb_to_addr
 * runs the same ipvlan_get_L3_hdr + ipvlan_addr_lookup).
 */
export function l3Key(
  data: Uint8Array,
  l3: number,
  protocol: number,
  useDest: boolean,
): number | string | undefined {
  const l3len = data.length - l3;
  if (l3 < 0 || l3len < 0) return NO_KEY;
  switch (protocol) {
    case ETH_P_ARP: {
      // The opcode and hardware type are not examined: requests, replies and
      // gratuitous ARP all classify (TX-C-3).
      if (l3len < ARP_BODY_LEN) return NO_KEY;
      // sender MAC (6) + sender IP (4) + target MAC (6) + target IP (4) after 8 bytes.
      return ipv4At(data, l3 + (useDest ? 8 + 6 + 4 + 6 : 8 + 6));
    }
    case ETH_P_IP: {
      if (l3len < IPV4_MIN_HLEN) return NO_KEY;
      const vihl = data[l3] as number;
      const ihl = vihl & 0x0f;
      if (ihl < 5 || vihl >> 4 !== 4) return NO_KEY;
      const totLen = be16(data, l3 + 2);
      if (l3len < totLen || totLen < ihl * 4) return NO_KEY;
      return ipv4At(data, l3 + (useDest ? 16 : 12));
    }
    case ETH_P_IPV6: {
      if (l3len < IPV6_HLEN) return NO_KEY;
      if ((data[l3] as number) >> 4 !== 6) return NO_KEY;
      if (isUnspecified(data, l3 + 8) && data[l3 + 6] === IPPROTO_ICMPV6) {
        // An ICMPv6 packet from :: (DAD): only a Neighbour Solicitation has a key,
        // its target, in both directions (TX-C-3 special case).
        return isDadSolicitation(data, l3) ? ipv6KeyAt(data, l3 + IPV6_HLEN + ICMP6_HLEN) : NO_KEY;
      }
      return ipv6KeyAt(data, l3 + (useDest ? 24 : 8));
    }
    default:
      return NO_KEY;
  }
}

/**
 * A Neighbour Solicitation from :: with its whole target (a DAD probe, RFC 4862 5.4.2)
 * in the IPv6 packet at `l3`. Never throws on any bytes.
 */
export function isDadSolicitation(data: Uint8Array, l3: number): boolean {
  return (
    data.length - l3 >= IPV6_HLEN + ICMP6_HLEN + 16 &&
    (data[l3] as number) >> 4 === 6 &&
    data[l3 + 6] === IPPROTO_ICMPV6 &&
    isUnspecified(data, l3 + 8) &&
    data[l3 + IPV6_HLEN] === NDISC_NEIGHBOUR_SOLICITATION
  );
}

function isUnspecified(frame: Uint8Array, offset: number): boolean {
  for (let i = 0; i < 16; i++) if (frame[offset + i] !== 0) return false;
  return true;
}

/** The running slave that owns the frame's destination (or source) key, if any. */
export function lookupOwner(
  port: IpvlanPort,
  frame: Uint8Array,
  useDest: boolean,
): IpvlanDev | undefined {
  const key = frameKey(frame, useDest);
  if (key === NO_KEY) return undefined;
  return port.table.get(key)?.owner;
}

/** Linux: ipvlan_count_rx. */
function countRx(slave: IpvlanDev, len: number, success: boolean, mcast: boolean): void {
  const s = slave.stats;
  if (success) {
    s.rxPackets++;
    s.rxBytes += len;
    if (mcast) s.rxMulticast++;
  } else {
    s.rxErrors++;
  }
}

/**
 * Linux: ipvlan_rcv_frame. `local`: from another slave, forwarded into the target's
 * receive path (needs the target up); otherwise the frame came from the master and is
 * re-run on the slave (RX_HANDLER_ANOTHER). Counts per ST-3: a local delivery counts
 * the Ethernet header twice (Linux adds ETH_HLEN to a length that already has it).
 */
function rcvFrame(kernel: Kernel, owner: IpvlanDev, skb: SkBuff, local: boolean): RxHandlerResult {
  const dev = owner.dev;
  if (local) {
    const len = skb.len + ETH_HLEN;
    if (!dev.isUp) {
      kernel.dropSkb(skb, 'IPVLAN_TARGET_DOWN', `local delivery to ${dev.name}, which is down`);
      countRx(owner, len, false, false);
      return 'consumed';
    }
    skb.pktType = 'host';
    const ok = kernel.devForwardSkb(dev, skb) === 'ok';
    if (ok && kernel.tracing) kernel.trace(skb, dev, 'ipvlan', `local delivery to ${dev.path}`);
    countRx(owner, len, ok, false);
    return 'consumed';
  }
  countRx(owner, skb.len, true, false);
  if (kernel.tracing)
    kernel.trace(
      skb,
      dev,
      'ipvlan',
      `diverted from ${owner.phyDev.name} to ${dev.path} by destination address (RX-L3-1)`,
    );
  skb.dev = dev;
  return 'another';
}

// ---------------------------------------------------------------- transmit

/**
 * Linux: ipvlan_queue_xmit, the slave's transmit. Dispatches by the port's current
 * mode (TX-C-2); runts are dropped (TX-C-1).
 */
export function queueXmit(kernel: Kernel, slave: IpvlanDev, skb: SkBuff): XmitResult {
  if (skb.len < ETH_HLEN) {
    kernel.dropSkb(skb, 'PKT_TOO_SMALL', 'runt frame from an ipvlan slave (TX-C-1)');
    return 'drop';
  }
  return slave.port.mode === 0 ? xmitModeL2(kernel, slave, skb) : xmitModeL3(kernel, slave, skb);
}

/** Linux: ipvlan_xmit_mode_l2 (TX-L2-*). */
function xmitModeL2(kernel: Kernel, slave: IpvlanDev, skb: SkBuff): XmitResult {
  const port = slave.port;
  const frame = skb.data;
  if (!isVepa(port) && macEqual(frame, 0, 6)) {
    // D == S: addressed to the shared MAC, so local: another slave or the master (TX-L2-1).
    const owner = lookupOwner(port, frame, true);
    if (owner !== undefined) {
      if (isPrivate(port)) {
        kernel.dropSkb(
          skb,
          'IPVLAN_PRIVATE',
          `private port: ${slave.dev.name} may not reach ${owner.dev.name} (TX-L2-1)`,
        );
        return 'drop';
      }
      rcvFrame(kernel, owner, skb, true);
      return 'ok';
    }
    // Owned by no slave but local: into the master's receive path (TX-L2-1 b).
    if (kernel.tracing)
      kernel.trace(skb, slave.dev, 'ipvlan', `to the master's receive path (TX-L2-1 b)`);
    kernel.devForwardSkb(port.phyDev, skb);
    return 'ok';
  }
  if (((frame[0] as number) & 1) === 1) {
    // Group destination: deferred to the port worker; the send succeeds now (TX-L2-2).
    skb.scrub(true);
    multicastEnqueue(kernel, port, skb, slave);
    return 'ok';
  }
  // Another unicast MAC (or VEPA): out of the master unchanged (TX-L2-3).
  skb.dev = port.phyDev;
  return kernel.devQueueXmit(skb);
}

/** Linux: ipvlan_xmit_mode_l3 (TX-L3-*), also L3S (L3S-7). */
function xmitModeL3(kernel: Kernel, slave: IpvlanDev, skb: SkBuff): XmitResult {
  const port = slave.port;
  if (!isVepa(port)) {
    const owner = lookupOwner(port, skb.data, true);
    if (owner !== undefined) {
      if (isPrivate(port)) {
        kernel.dropSkb(
          skb,
          'IPVLAN_PRIVATE',
          `private port: ${slave.dev.name} may not reach ${owner.dev.name} (TX-L3-1)`,
        );
        return 'drop';
      }
      rcvFrame(kernel, owner, skb, true);
      return 'ok';
    }
  }
  // Hand to the master's namespace (TX-L3-2): drop conntrack and cached route; the
  // mark only when the namespaces differ.
  skb.scrub(slave.dev.netns !== port.phyDev.netns);
  skb.dev = port.phyDev;
  return processOutbound(kernel, port, skb);
}

/** Linux: ipvlan_process_outbound. */
function processOutbound(kernel: Kernel, port: IpvlanPort, skb: SkBuff): XmitResult {
  const frame = skb.data;
  if (((frame[0] as number) & 1) === 1) {
    kernel.dropSkb(
      skb,
      'IPVLAN_L3_GROUP',
      'l3/l3s slaves send no multicast or broadcast (TX-L3-3)',
    );
    return 'drop';
  }
  const proto = be16(frame, 12);
  skb.protocol = proto;
  skb.network = ETH_HLEN;
  let result: XmitResult;
  if (proto === ETH_P_IPV6) result = processV6Outbound(kernel, skb);
  else if (proto === ETH_P_IP) result = processV4Outbound(kernel, skb);
  else {
    kernel.dropSkb(
      skb,
      'IPVLAN_L3_NON_IP',
      `non-IP frame (type 0x${proto.toString(16)}) from an l3 slave (TX-L3-4)`,
    );
    return 'drop';
  }
  // Linux bumps the master's generic tx_errors on a route failure (ST-6).
  if (result === 'drop') port.phyDev.stats.txErrors++;
  return result;
}

/**
 * Linux: ipvlan_process_v4_outbound. Routed in the master's namespace with the output
 * device forced to the master and any source allowed (on-link fallback when no route
 * uses the master); only unicast or local results are sent, as locally generated
 * traffic of that namespace: OUTPUT and POSTROUTING run there, TTL is untouched.
 */
function processV4Outbound(kernel: Kernel, skb: SkBuff): XmitResult {
  const frame = skb.data;
  const net = skb.dev.netns;
  const ip = Ipv4Packet.checked(frame.subarray(ETH_HLEN));
  if (ip === null) {
    kernel.dropSkb(skb, 'IP_INHDR', 'malformed IPv4 from an l3 slave');
    return 'drop';
  }
  let rt: Ipv4OutRoute;
  try {
    rt = ipRouteOutput(net, {
      daddr: ip.dst,
      saddr: ip.src,
      oif: skb.dev,
      tos: ip.dscp << 2,
      anySrc: true,
    });
  } catch (err) {
    kernel.dropSkb(
      skb,
      'IPVLAN_NO_ROUTE',
      `no route to ${formatIpv4(ip.dst)} via ${skb.dev.name} in ${net.name}: ${errText(err)} (TX-L3-4)`,
    );
    return 'drop';
  }
  if (rt.type !== 'unicast' && rt.type !== 'local') {
    kernel.dropSkb(
      skb,
      'IPVLAN_NO_ROUTE',
      `route to ${formatIpv4(ip.dst)} is ${rt.type}, not unicast or local (TX-L3-4)`,
    );
    return 'drop';
  }
  // The slave's frame is exactly the packet: cut any padding after the IP total length.
  skb.data = frame.subarray(0, ETH_HLEN + ip.totalLen);
  if (kernel.tracing)
    kernel.trace(skb, skb.dev, 'ipvlan', `routed in ${net.name} out ${rt.dev.name} (TX-L3-4)`);
  return ipLocalOut(net, skb, rt);
}

/** Linux: ipvlan_process_v6_outbound. No on-link fallback: no route via the master is a drop. */
function processV6Outbound(kernel: Kernel, skb: SkBuff): XmitResult {
  const frame = skb.data;
  const net = skb.dev.netns;
  const ip = Ipv6Packet.checked(frame.subarray(ETH_HLEN));
  if (ip === null) {
    kernel.dropSkb(skb, 'IP_INHDR', 'malformed IPv6 from an l3 slave');
    return 'drop';
  }
  let rt: Ipv6OutRoute;
  try {
    rt = ip6RouteOutput(net, { daddr: ip.dst, saddr: ip.src, oif: skb.dev });
  } catch (err) {
    kernel.dropSkb(
      skb,
      'IPVLAN_NO_ROUTE',
      `no IPv6 route via ${skb.dev.name} in ${net.name}: ${errText(err)} (TX-L3-4)`,
    );
    return 'drop';
  }
  skb.data = frame.subarray(0, ETH_HLEN + ip.totalLength);
  if (kernel.tracing)
    kernel.trace(skb, skb.dev, 'ipvlan', `routed in ${net.name} out ${rt.dev.name} (TX-L3-4)`);
  return ip6LocalOut(net, skb, rt);
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function macEqual(frame: Uint8Array, a: number, b: number): boolean {
  for (let i = 0; i < 6; i++) if (frame[a + i] !== frame[b + i]) return false;
  return true;
}

// ---------------------------------------------------------------- receive on the master

/**
 * Linux: ipvlan_handle_frame, the master's rx handler (RX-*). L3S passes everything
 * to the master (RX-L3S-1); L2 fans group frames out later (RX-L2-3); unicast goes to
 * the running owner of the destination key, else to the master (RX-L3-1).
 */
export function handleFrame(kernel: Kernel, port: IpvlanPort, skb: SkBuff): RxHandlerResult {
  switch (port.mode) {
    case 0:
      return handleModeL2(kernel, port, skb);
    case 1:
      return handleModeL3(kernel, port, skb);
    default:
      return 'pass';
  }
}

function handleModeL3(kernel: Kernel, port: IpvlanPort, skb: SkBuff): RxHandlerResult {
  const owner = lookupOwner(port, skb.data, true);
  if (owner === undefined) return 'pass';
  return rcvFrame(kernel, owner, skb, false);
}

function handleModeL2(kernel: Kernel, port: IpvlanPort, skb: SkBuff): RxHandlerResult {
  // The master's own looped-back frames stay with the master (RX-L2-1).
  if (skb.pktType === 'loopback' || skb.loopedBack) return 'pass';
  const frame = skb.data;
  if (frame.length >= ETH_HLEN && ((frame[0] as number) & 1) === 1) {
    if (isExternalFrame(port, skb)) {
      // The master gets the original now; a copy waits for the worker (RX-L2-3).
      const copy = skb.clone();
      copy.scrub(true);
      multicastEnqueue(kernel, port, copy, null);
    } else if (kernel.tracing) {
      kernel.trace(
        skb,
        port.phyDev,
        'ipvlan',
        'reflected copy of a slave frame: not redistributed (RX-L2-4)',
      );
    }
    return 'pass';
  }
  return handleModeL3(kernel, port, skb);
}

/** Linux: ipvlan_external_frame (RX-L2-4): our own group frame reflected back is not external. */
function isExternalFrame(port: IpvlanPort, skb: SkBuff): boolean {
  const frame = skb.data;
  if (!skb.dev.address.equalsAt(frame, 6)) return true;
  return lookupOwner(port, frame, false) === undefined;
}

// ---------------------------------------------------------------- multicast backlog

/** Linux: ipvlan_multicast_enqueue (TX-L2-2, RX-L2-3, MC-1). */
function multicastEnqueue(
  kernel: Kernel,
  port: IpvlanPort,
  skb: SkBuff,
  sender: IpvlanDev | null,
): void {
  if (be16(skb.data, 12) === ETH_P_PAUSE) {
    kernel.dropSkb(skb, 'IPVLAN_PAUSE', 'PAUSE frames are never fanned out');
    return;
  }
  if (port.backlog.length - port.backlogHead >= IPVLAN_QBACKLOG_LIMIT) {
    // Counted on skb->dev: the sending slave for TX, the master for RX (TX-L2-2, RX-L2-3).
    const dev: NetDevice = sender?.dev ?? port.phyDev;
    dev.coreStats.rxDropped++;
    kernel.dropSkb(
      skb,
      'IPVLAN_BACKLOG_FULL',
      `multicast backlog of ${port.phyDev.name} full (${IPVLAN_QBACKLOG_LIMIT})`,
    );
    return;
  }
  port.backlog.push({ skb, txOrigin: sender !== null, sender });
  if (port.worker === undefined) {
    port.worker = kernel.scheduler.defer(() => processMulticast(kernel, port));
  }
}

/**
 * Linux: ipvlan_process_multicast, the port worker (MC-2..MC-4): every queued frame
 * goes, in port order, to each up slave whose filter admits it except its sender; a
 * TX-origin frame then leaves on the master.
 */
export function processMulticast(kernel: Kernel, port: IpvlanPort): void {
  port.worker = undefined;
  if (port.dead) return;
  while (port.backlogHead < port.backlog.length) {
    const entry = port.backlog[port.backlogHead++];
    if (entry === undefined) break;
    const { skb, txOrigin, sender } = entry;
    const frame = skb.data;
    let broadcast = true;
    for (let i = 0; i < 6; i++) if (frame[i] !== 0xff) broadcast = false;
    const pktType = broadcast ? 'broadcast' : 'multicast';
    const macKey = macKeyAt(frame, 0);
    const len = txOrigin ? skb.len + ETH_HLEN : skb.len;
    let consumed = false;
    for (const slave of port.slaves) {
      if (txOrigin && slave === sender) continue;
      if (slave.macFilter !== null && !slave.macFilter.has(macKey)) continue;
      if (!slave.dev.isUp) continue;
      const copy = skb.clone();
      consumed = true;
      copy.pktType = pktType;
      let ok: boolean;
      if (txOrigin) {
        ok = kernel.devForwardSkb(slave.dev, copy) === 'ok';
      } else {
        copy.dev = slave.dev;
        copy.iif = 0;
        kernel.netifRx(copy);
        ok = true;
      }
      countRx(slave, len, ok, true);
      if (ok && kernel.tracing)
        kernel.trace(copy, slave.dev, 'ipvlan', `group frame copy to ${slave.dev.path} (MC-2)`);
    }
    if (txOrigin) {
      skb.dev = port.phyDev;
      skb.pktType = pktType;
      kernel.devQueueXmit(skb);
    } else if (!consumed && kernel.tracing) {
      kernel.trace(skb, port.phyDev, 'ipvlan', 'group frame copy admitted by no slave');
    }
  }
  port.backlog.length = 0;
  port.backlogHead = 0;
}
