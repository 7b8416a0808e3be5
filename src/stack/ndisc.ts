// Neighbour discovery (Linux: net/ipv6/ndisc.c, RFC 4861): the IPv6 neighbour protocol
// on the shared neighbour core, NS/NA processing, DAD probes and their conflicts
// (RFC 4862 §5.4.3), the router flag, and proxy NDP (`ip neigh add proxy` with
// forwarding and proxy_ndp). NS answers carry a target link-layer option only when the
// solicitation was multicast, as ndisc_recv_ns asks of ndisc_send_na.
// Not modelled: router solicitations/advertisements, redirects.

import { Ipv6Addr, type MacAddr } from '../wire/address.ts';
import {
  NdiscPacket,
  buildNdiscPacket,
  ndiscCheck,
  parseNdisc,
  type NdiscRepr,
} from '../wire/ndisc.ts';
import type { Ipv6Packet } from '../wire/ipv6.ts';
import { IPV6_ALL_NODES, ipv6MulticastMac, solicitedNodeMulticast } from '../wire/ipv6.ts';
import {
  ICMPV6_ADDR_UNREACH,
  ICMPV6_DEST_UNREACH,
  Icmpv6Packet,
  icmpv6ChecksumOkIn,
} from '../wire/icmpv6.ts';
import { ETH_P_IPV6, IFF_LOOPBACK, IFF_NOARP } from '../uapi/if.ts';
import { NUD_NOARP, NUD_REACHABLE, NUD_STALE } from '../uapi/rtnetlink.ts';
import { addrconfDadFailure, ipv6DevGetSaddr, ipv6GetIfaddr, ipv6LinkLocal } from './addrconf.ts';
import { IFA_F_TENTATIVE } from './inet.ts';
import { icmpv6Send } from './icmpv6.ts';
import { ip6RouteOutput, ip6XmitRaw } from './ipv6.ts';
import { writeEth } from './ipv4.ts';
import type { NetDevice } from './netdev.ts';
import type { NetNamespace } from './netns.ts';
import {
  NEIGH_UPDATE_F_ISROUTER,
  NEIGH_UPDATE_F_OVERRIDE,
  NEIGH_UPDATE_F_OVERRIDE_ISROUTER,
  NEIGH_UPDATE_F_WEAK_OVERRIDE,
  NeighTable,
  neighOutput,
  neighUpdate,
  pneighLookup,
  type NeighProtoOps,
  type Neighbour,
} from './neigh.ts';
import type { SkBuff } from './skb.ts';
import { ipv6DevConf } from './sysctl.ts';

const ndOps: NeighProtoOps = {
  family: 'ipv6',
  construct(n) {
    // ndisc_constructor: a multicast key maps to its group MAC first, even on NOARP
    // devices; other NOARP/loopback entries take the device's own address (V6-4).
    const dev = n.dev;
    const key = n.key as Ipv6Addr;
    if (key.isMulticast) {
      n.state = NUD_NOARP;
      n.lladdr = ipv6MulticastMac(key);
    } else if ((dev.flags & (IFF_NOARP | IFF_LOOPBACK)) !== 0) {
      n.state = NUD_NOARP;
      n.lladdr = dev.address;
    }
  },
  solicit(n, dstMac, skb) {
    ndiscSolicit(n, dstMac, skb);
  },
  errorReport(n, skb) {
    // ndisc_error_report → ip6_link_failure: "address unreachable" to the sender.
    icmpv6Send(skb, ICMPV6_DEST_UNREACH, ICMPV6_ADDR_UNREACH, 0);
    void n;
  },
  xmit(n, skb) {
    const dev = n.dev;
    writeEth(skb, n.lladdr as MacAddr, dev.address, ETH_P_IPV6);
    skb.dev = dev;
    return dev.netns.kernel.devQueueXmit(skb);
  },
};

/** The ND table of a namespace. */
export function ndTable(ns: NetNamespace): NeighTable {
  let t = ns.proto.get('ndisc') as NeighTable | undefined;
  if (t === undefined) {
    t = new NeighTable(ns, ndOps);
    ns.proto.set('ndisc', t);
  }
  return t;
}

/** Resolves `nexthop` on `dev` and sends `skb`. */
export function ndiscNeighOutput(dev: NetDevice, nexthop: Ipv6Addr, skb: SkBuff): 'ok' | 'drop' {
  const tbl = ndTable(dev.netns);
  const n = tbl.lookup(dev, nexthop) ?? tbl.create(dev, nexthop);
  return neighOutput(n, skb);
}

function sendNd(
  dev: NetDevice,
  src: Ipv6Addr,
  dst: Ipv6Addr,
  repr: NdiscRepr,
  dstMac: MacAddr | null,
): void {
  if ((dev.flags & IFF_NOARP) !== 0 && !dst.isMulticast) return;
  ip6XmitRaw(dev, buildNdiscPacket({ src, dst }, repr), dstMac ?? undefined);
}

/** Linux: ndisc_solicit. */
function ndiscSolicit(n: Neighbour, dstMac: MacAddr | null, skb: SkBuff | null): void {
  const dev = n.dev;
  const target = n.key as Ipv6Addr;
  let saddr: Ipv6Addr | null = null;
  if (skb !== null && skb.network + 40 <= skb.data.length) {
    const src = Ipv6Addr.fromBytes(skb.data, skb.network + 8);
    const ifa = ipv6GetIfaddr(dev, src);
    if (ifa !== undefined && (ifa.flags & IFA_F_TENTATIVE) === 0) saddr = src;
  }
  // ndisc_send_ns: a packet whose source is not an address of `dev` (an l3 ipvlan
  // slave's, routed out of the master) is solicited from the link-local, not from a
  // global address of the device (i7 recording: `fe80::... > ff02::1:ff00:100`).
  saddr ??= ipv6LinkLocal(dev, false);
  if (saddr === null) return;
  const dst = dstMac !== null ? target : solicitedNodeMulticast(target);
  sendNd(
    dev,
    saddr,
    dst,
    { kind: 'neighbourSolicitation', target, sourceLinkAddr: dev.address, nonce: null },
    dstMac,
  );
}

/** A DAD probe: NS from :: to the solicited-node group, with a nonce (addrconf_dad_work). */
export function ndiscSendDadNs(dev: NetDevice, target: Ipv6Addr, nonce: Uint8Array): void {
  sendNd(
    dev,
    Ipv6Addr.UNSPECIFIED,
    solicitedNodeMulticast(target),
    { kind: 'neighbourSolicitation', target, sourceLinkAddr: null, nonce },
    null,
  );
}

/** Linux: ndisc_send_na. */
function ndiscSendNa(
  dev: NetDevice,
  daddr: Ipv6Addr,
  target: Ipv6Addr,
  router: boolean,
  solicited: boolean,
  override: boolean,
  includeTllao: boolean,
  dstMac: MacAddr | null,
): void {
  let src: Ipv6Addr | null = ipv6GetIfaddr(dev, target) !== undefined ? target : null;
  src ??= ipv6DevGetSaddr(dev.netns, dev, daddr);
  if (src === null) return;
  sendNd(
    dev,
    src,
    daddr,
    {
      kind: 'neighbourAdvertisement',
      router,
      solicited,
      override,
      target,
      targetLinkAddr: includeTllao ? dev.address : null,
    },
    dstMac,
  );
}

/** Linux: ndisc_rcv — called from icmpv6 for types 133–137 with the checksum verified. */
export function ndiscRcv(skb: SkBuff, ip: Ipv6Packet, msg: Uint8Array): void {
  const kernel = skb.dev.netns.kernel;
  const nd = NdiscPacket.checked(msg);
  if (nd === null) {
    kernel.dropSkb(skb, 'NDISC_INVALID', 'short');
    return;
  }
  const problem = ndiscCheck(ip, nd);
  if (problem !== null) {
    kernel.dropSkb(skb, 'NDISC_INVALID', problem);
    return;
  }
  const repr = parseNdisc(nd);
  if (repr === null) {
    kernel.dropSkb(skb, 'NDISC_INVALID', 'options');
    return;
  }
  switch (repr.kind) {
    case 'neighbourSolicitation':
      recvNs(skb, ip, repr);
      return;
    case 'neighbourAdvertisement':
      recvNa(skb, ip, repr);
      return;
    default:
      kernel.trace(skb, skb.dev, 'consume', `ndisc ${repr.kind} ignored`);
  }
}

function recvNs(
  skb: SkBuff,
  ip: Ipv6Packet,
  ns: Extract<NdiscRepr, { kind: 'neighbourSolicitation' }>,
): void {
  const dev = skb.dev;
  const kernel = dev.netns.kernel;
  const saddr = ip.src;
  const dad = saddr.isUnspecified;
  const inc = ip.dstIsMulticast;
  const ifa = ipv6GetIfaddr(dev, ns.target);
  let isRouter = false;
  if (ifa !== undefined) {
    if ((ifa.flags & IFA_F_TENTATIVE) !== 0) {
      if (dad) {
        // Our own probe coming back (a hairpin or reflective relay) carries our nonce.
        const own = ns.nonce !== null && ifa.dadNonce !== null && bytesEq(ns.nonce, ifa.dadNonce);
        if (!own) addrconfDadFailure(ifa);
      }
      return;
    }
    isRouter = ipv6DevConf(dev, 'forwarding') !== 0;
  } else {
    const tbl = ndTable(dev.netns);
    const proxy =
      ipv6DevConf(dev, 'forwarding') !== 0 &&
      ipv6DevConf(dev, 'proxy_ndp') !== 0 &&
      pneighLookup(tbl, dev, ns.target);
    if (!proxy) {
      kernel.trace(skb, dev, 'consume', 'ns for a target that is not ours');
      return;
    }
    // pndisc_is_router: the proxy entry's NTF_ROUTER (`ip neigh add proxy ... router`,
    // not kept by this model), not the forwarding sysctl (i7: the peer's entry has no
    // `router`).
    isRouter = false;
  }
  if (dad) {
    ndiscSendNa(dev, IPV6_ALL_NODES, ns.target, isRouter, false, ifa !== undefined, true, null);
    return;
  }
  const tbl = ndTable(dev.netns);
  const lladdr = ns.sourceLinkAddr;
  let n = tbl.lookup(dev, saddr);
  if (n === undefined && (lladdr !== null || !inc)) n = tbl.create(dev, saddr);
  if (n !== undefined && lladdr !== null)
    neighUpdate(n, lladdr, NUD_STALE, NEIGH_UPDATE_F_WEAK_OVERRIDE | NEIGH_UPDATE_F_OVERRIDE);
  const dstMac = lladdr ?? n?.lladdr ?? null;
  ndiscSendNa(dev, saddr, ns.target, isRouter, true, ifa !== undefined, inc, dstMac);
}

function recvNa(
  skb: SkBuff,
  ip: Ipv6Packet,
  na: Extract<NdiscRepr, { kind: 'neighbourAdvertisement' }>,
): void {
  const dev = skb.dev;
  const kernel = dev.netns.kernel;
  const ifa = ipv6GetIfaddr(dev, na.target);
  if (ifa !== undefined) {
    if ((ifa.flags & IFA_F_TENTATIVE) !== 0) addrconfDadFailure(ifa);
    else kernel.trace(skb, dev, 'consume', 'na for our own address');
    return;
  }
  const n = ndTable(dev.netns).lookup(dev, na.target);
  if (n === undefined) {
    kernel.trace(skb, dev, 'consume', 'unsolicited na (accept_untracked_na=0)');
    return;
  }
  void ip;
  let flags = NEIGH_UPDATE_F_WEAK_OVERRIDE | NEIGH_UPDATE_F_OVERRIDE_ISROUTER;
  if (na.override) flags |= NEIGH_UPDATE_F_OVERRIDE;
  if (na.router) flags |= NEIGH_UPDATE_F_ISROUTER;
  neighUpdate(n, na.targetLinkAddr, na.solicited ? NUD_REACHABLE : NUD_STALE, flags);
}

function bytesEq(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** ND's netdevice notifier: entries go with the link (ndisc_netdev_event → neigh_ifdown). */
export function ndiscNetdevEvent(dev: NetDevice, type: string, flagsChanged = 0): void {
  const tbl = ndTable(dev.netns);
  if (type === 'NETDEV_DOWN' || type === 'NETDEV_UNREGISTER') tbl.flushDev(dev, true);
  else if (type === 'NETDEV_CHANGEADDR') tbl.flushDev(dev, false);
  else if (type === 'NETDEV_CHANGE' && ((flagsChanged & IFF_NOARP) !== 0 || !dev.carrier))
    tbl.flushDev(dev, false);
}

/** Checks an ND message's checksum (for callers outside icmpv6). */
export function ndiscChecksumOk(ip: Ipv6Packet, msg: Uint8Array): boolean {
  return icmpv6ChecksumOkIn(ip, Icmpv6Packet.unchecked(msg));
}

/** Route lookup helper kept for proxies that answer for off-link targets. */
export const ndiscRouteOutput = ip6RouteOutput;
