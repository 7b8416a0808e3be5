// ARP (Linux: net/ipv4/arp.c, RFC 826): the IPv4 neighbour protocol on top of the
// neighbour core (neigh.ts), arp_rcv/arp_process with arp_ignore, arp_announce and
// proxy ARP (proxy_arp sysctl and `ip neigh add proxy` entries, with Linux's random
// proxy_delay for broadcast requests), and gratuitous ARP on NETDEV_UP /
// NETDEV_CHANGEADDR when arp_notify is set (inetdev_event → inetdev_send_gratuitous_arp).
// NOARP and loopback devices neither send nor answer ARP; their neighbours are NOARP.

import { ipv4, ipv4IsLoopback, ipv4IsMulticast, MacAddr, type Ipv4Addr } from '../wire/address.ts';
import { ArpPacket, buildArpFrame, parseArp } from '../wire/arp.ts';
import { ETH_P_ARP, ETH_P_IP, IFF_LOOPBACK, IFF_NOARP } from '../uapi/if.ts';
import {
  NUD_NOARP,
  RTN_BROADCAST,
  RTN_LOCAL,
  RT_TABLE_LOCAL,
  RTN_UNICAST,
  RT_SCOPE_HOST,
  RT_SCOPE_LINK,
} from '../uapi/rtnetlink.ts';
import { ICMP_DEST_UNREACH, ICMP_HOST_UNREACH } from '../wire/icmpv4.ts';
import { icmpSend } from './icmp.ts';
import { inDevGet, inetIfaMatch, inetSelectAddr, ipv4McMac, listAddresses } from './inet.ts';
import { ipRouteInput, writeEth } from './ipv4.ts';
import type { NetdevEvent } from './kernel.ts';
import type { NetDevice } from './netdev.ts';
import type { NetNamespace } from './netns.ts';
import {
  NeighTable,
  neighEventNs,
  neighOutput,
  neighRecvReply,
  pneighLookup,
  type NeighProtoOps,
  type Neighbour,
} from './neigh.ts';
import { fibLookup, isLocalAddr } from './route.ts';
import { NS_PER_MS } from './scheduler.ts';
import { SkBuff } from './skb.ts';
import { ipv4DevConf } from './sysctl.ts';

/** Linux's default proxy_delay (80 jiffies at HZ=100). */
const PROXY_DELAY = 800 * NS_PER_MS;

const arpOps: NeighProtoOps = {
  family: 'ipv4',
  construct(n) {
    // arp_constructor: the address type comes first, so a group keeps its group MAC
    // even on a NOARP device (h-l3-traffic h3: 239.1.1.1 → 01:00:5e:01:01:01 on an l3
    // slave, V6-4); other NOARP/loopback entries take the device's own address, and a
    // broadcast (limited or a local `brd` route) the device broadcast.
    const dev = n.dev;
    const key = n.key as Ipv4Addr;
    if (ipv4IsMulticast(key)) {
      n.state = NUD_NOARP;
      n.lladdr = MacAddr.fromBytes(ipv4McMac(key));
    } else if ((dev.flags & (IFF_NOARP | IFF_LOOPBACK)) !== 0) {
      n.state = NUD_NOARP;
      n.lladdr = dev.address;
    } else if (key === 0xffffffff || isBroadcastAddr(dev.netns, key)) {
      n.state = NUD_NOARP;
      n.lladdr = dev.broadcast;
    }
  },
  solicit(n, dstMac, skb) {
    arpSolicit(n, dstMac, skb);
  },
  errorReport(n, skb) {
    // arp_error_report → ipv4_link_failure: the sender hears "host unreachable".
    icmpSend(skb, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0);
    void n;
  },
  xmit(n, skb) {
    const dev = n.dev;
    writeEth(skb, n.lladdr as MacAddr, dev.address, ETH_P_IP);
    skb.dev = dev;
    return dev.netns.kernel.devQueueXmit(skb);
  },
};

/** The ARP table of a namespace. */
export function arpTable(ns: NetNamespace): NeighTable {
  let t = ns.proto.get('arp') as NeighTable | undefined;
  if (t === undefined) {
    t = new NeighTable(ns, arpOps);
    ns.proto.set('arp', t);
  }
  return t;
}

/** Resolves `nexthop` on `dev` and sends `skb` (queued while INCOMPLETE). */
export function arpNeighOutput(dev: NetDevice, nexthop: Ipv4Addr, skb: SkBuff): 'ok' | 'drop' {
  const tbl = arpTable(dev.netns);
  const n = tbl.lookup(dev, nexthop) ?? tbl.create(dev, nexthop);
  return neighOutput(n, skb);
}

/** inet_addr_type_dev_table's RTN_BROADCAST: a `broadcast` route for `addr` in table local. */
function isBroadcastAddr(ns: NetNamespace, addr: Ipv4Addr): boolean {
  const r = fibLookup(ns, 4, addr, { table: RT_TABLE_LOCAL });
  return r !== null && r.type === RTN_BROADCAST && r.dstLen === 32;
}

/** Sends one ARP packet on `dev` (arp_send_dst). Nothing is sent on NOARP devices. */
export function arpSend(
  dev: NetDevice,
  op: 'request' | 'reply',
  dstIp: Ipv4Addr,
  srcIp: Ipv4Addr,
  dstHw: MacAddr | null,
  targetHw: MacAddr | null,
): void {
  if ((dev.flags & IFF_NOARP) !== 0) return;
  const frame = buildArpFrame(
    {
      op,
      senderMac: dev.address,
      senderIp: srcIp,
      targetMac: targetHw ?? MacAddr.ZERO,
      targetIp: dstIp,
    },
    { ethDst: dstHw ?? dev.broadcast, ethSrc: dev.address },
  );
  const skb = new SkBuff(frame, dev);
  skb.network = 14;
  skb.protocol = ETH_P_ARP;
  skb.pktType = 'outgoing';
  dev.netns.kernel.devQueueXmit(skb);
}

/** Linux: arp_solicit — the source address honours arp_announce. */
function arpSolicit(n: Neighbour, dstMac: MacAddr | null, skb: SkBuff | null): void {
  const dev = n.dev;
  const target = n.key as Ipv4Addr;
  let saddr = ipv4(0);
  const pktSrc = skb !== null ? ipv4SrcOf(skb) : 0;
  switch (ipv4DevConf(dev, 'arp_announce')) {
    case 1:
      if (pktSrc !== 0 && isDevLocal(dev, pktSrc)) {
        const idev = inDevGet(dev);
        if (idev?.addrs.some((a) => inetIfaMatch(target, a) && inetIfaMatch(pktSrc, a)) === true)
          saddr = ipv4(pktSrc);
      }
      break;
    case 2:
      break;
    default:
      if (pktSrc !== 0 && isLocalAddr(dev.netns, ipv4(pktSrc))) saddr = ipv4(pktSrc);
  }
  if (saddr === 0) saddr = inetSelectAddr(dev, target, RT_SCOPE_LINK);
  arpSend(dev, 'request', target, saddr, dstMac, null);
}

function ipv4SrcOf(skb: SkBuff): number {
  const d = skb.data;
  const o = skb.network + 12;
  if (o + 4 > d.length) return 0;
  return (
    (((d[o] as number) << 24) |
      ((d[o + 1] as number) << 16) |
      ((d[o + 2] as number) << 8) |
      (d[o + 3] as number)) >>>
    0
  );
}

function isDevLocal(dev: NetDevice, addr: number): boolean {
  return listAddresses(dev).some((a) => a.local === addr);
}

/** Linux: arp_ignore — true when the request must not be answered. */
function arpIgnore(dev: NetDevice, sip: Ipv4Addr, tip: Ipv4Addr): boolean {
  switch (ipv4DevConf(dev, 'arp_ignore')) {
    case 0:
      return false;
    case 1:
      // Reply only if the target address is configured on the incoming interface.
      return !listAddresses(dev).some((a) => a.local === tip && a.scope <= RT_SCOPE_HOST);
    case 2:
      // ... and the sender is in the same subnet as that address.
      return !listAddresses(dev).some((a) => a.local === tip && inetIfaMatch(sip, a));
    case 3:
      // Do not reply for host-scope addresses; global and link ones are fine.
      return !dev.netns.devices.some((d) =>
        listAddresses(d).some((a) => a.local === tip && a.scope <= RT_SCOPE_LINK),
      );
    case 8:
      return true;
    default:
      return false;
  }
}

/** Linux: arp_rcv + arp_process. Registered for ETH_P_ARP. Never throws. */
export function arpRcv(skb: SkBuff): void {
  const dev = skb.dev;
  const kernel = dev.netns.kernel;
  if ((dev.flags & IFF_NOARP) !== 0 || skb.pktType === 'otherhost' || skb.pktType === 'loopback') {
    kernel.trace(skb, dev, 'consume', 'arp ignored on this device');
    return;
  }
  const pkt = ArpPacket.checked(skb.networkData);
  const arp = pkt === null ? null : parseArp(pkt);
  if (arp === null) {
    kernel.dropSkb(skb, 'ARP_INVALID');
    return;
  }
  const idev = inDevGet(dev);
  if (idev === undefined) {
    kernel.dropSkb(skb, 'NOT_SPECIFIED', 'no IPv4 on device');
    return;
  }
  const sip = arp.senderIp;
  const tip = arp.targetIp;
  const sha = arp.senderMac;
  if (ipv4IsMulticast(tip) || ipv4IsLoopback(tip) || ipv4IsMulticast(sip)) {
    kernel.dropSkb(skb, 'ARP_INVALID');
    return;
  }
  const ns = dev.netns;
  const tbl = arpTable(ns);
  // RFC 5227 probe (sender 0.0.0.0): answer if it asks for one of our addresses.
  if (sip === 0) {
    if (arp.op === 'request' && isLocalAddr(ns, tip) && !arpIgnore(dev, sip, tip))
      arpSend(dev, 'reply', sip, tip, sha, sha);
    return;
  }
  if (arp.op === 'request') {
    const rt = ipRouteInput(tip, sip, dev);
    if (rt.kind === 'local' && !rt.broadcast && !rt.multicast) {
      if (!arpIgnore(dev, sip, tip)) {
        neighEventNs(tbl, dev, sip, sha);
        arpSend(dev, 'reply', sip, tip, sha, sha);
      }
      return;
    }
    if (rt.kind === 'forward' && ipv4DevConf(dev, 'forwarding') !== 0) {
      const out = rt.out.dev;
      const proxy =
        (out !== dev && ipv4DevConf(dev, 'proxy_arp') !== 0) ||
        (out !== dev && pneighLookup(tbl, dev, tip));
      if (proxy) {
        neighEventNs(tbl, dev, sip, sha);
        if (skb.pktType === 'host') {
          arpSend(dev, 'reply', sip, tip, sha, sha);
        } else {
          // pneigh_enqueue: broadcast requests are answered after a random delay.
          const delay = kernel.random.below(PROXY_DELAY);
          kernel.scheduler.after(delay, () => {
            if (dev.registered && dev.isUp) arpSend(dev, 'reply', sip, tip, sha, sha);
          });
        }
        return;
      }
    }
  }
  // Update our ARP table. Unsolicited ARP creates no entry (arp_accept=0) except a
  // gratuitous one when arp_accept is set; requests and broadcast replies only make
  // an existing entry STALE.
  let n = tbl.lookup(dev, sip);
  const isGarp = tip === sip && arp.op === 'request';
  if (n === undefined && ipv4DevConf(dev, 'arp_accept') !== 0) {
    const unicastSender = fibLookup(ns, 4, sip)?.type === RTN_UNICAST;
    if (isGarp || (arp.op === 'reply' && unicastSender)) n = tbl.create(dev, sip);
  }
  if (n !== undefined) {
    const reachable = arp.op === 'reply' && skb.pktType === 'host';
    neighRecvReply(n, sha, reachable, isGarp);
  }
}

/** Sends a gratuitous ARP for the device's first address (inetdev_send_gratuitous_arp). */
export function arpSendGratuitous(dev: NetDevice): void {
  const first = listAddresses(dev)[0];
  if (first === undefined) return;
  arpSend(dev, 'request', first.local, first.local, null, null);
}

/** ARP's netdevice notifier: flushes on down/unregister/address change, announces on up. */
export function arpNetdevEvent(ev: NetdevEvent): void {
  const dev = ev.dev;
  const tbl = arpTable(dev.netns);
  switch (ev.type) {
    case 'NETDEV_UP':
      if (ipv4DevConf(dev, 'arp_notify') !== 0) arpSendGratuitous(dev);
      break;
    case 'NETDEV_CHANGEADDR':
      tbl.flushDev(dev, false);
      if (dev.isUp && ipv4DevConf(dev, 'arp_notify') !== 0) arpSendGratuitous(dev);
      break;
    case 'NETDEV_DOWN':
      tbl.flushDev(dev, true);
      break;
    case 'NETDEV_UNREGISTER':
      tbl.flushDev(dev, true);
      break;
    case 'NETDEV_CHANGE':
      // A NOARP toggle invalidates every entry (their addresses came from the old rule:
      // neigh_changeaddr, MODE-2); losing carrier drops the learnt ones (neigh_carrier_down).
      if (((ev.flagsChanged ?? 0) & IFF_NOARP) !== 0) tbl.flushDev(dev, false);
      else if (!dev.carrier) tbl.flushDev(dev, false);
      break;
    default:
      break;
  }
}

/** True when `addr` is a local address; exported for tests of the ARP rules. */
export function arpIsLocal(ns: NetNamespace, addr: Ipv4Addr): boolean {
  return fibLookup(ns, 4, addr)?.type === RTN_LOCAL;
}
