// ICMPv6 (Linux: net/ipv6/icmp.c, RFC 4443): echo replies from the kernel, errors sent
// with icmpv6Send (not about ICMPv6 errors, nor about packets to multicast except
// Packet Too Big and Parameter Problem code 2, RFC 4443 §2.4(e); rate limited per
// destination like IPv4, 1 s with a burst of 6, informational types exempt), ND and MLD
// dispatch, and errors handed to the sending socket.

import type { Ipv6Addr } from '../wire/address.ts';
import {
  ICMPV6_DEST_UNREACH,
  ICMPV6_ECHO_REPLY,
  ICMPV6_ECHO_REQUEST,
  ICMPV6_HEADER_LEN,
  ICMPV6_MGM_QUERY,
  ICMPV6_MGM_REDUCTION,
  ICMPV6_MGM_REPORT,
  ICMPV6_MLD2_REPORT,
  ICMPV6_PARAMPROB,
  ICMPV6_PKT_TOOBIG,
  ICMPV6_TIME_EXCEED,
  Icmpv6Packet,
  fillIcmpv6Checksum,
  icmpv6ChecksumOkIn,
  icmpv6IsError,
  icmpv6Quote,
} from '../wire/icmpv6.ts';
import { Ipv6Packet, ipv6UpperLayer } from '../wire/ipv6.ts';
import { IFF_LOOPBACK } from '../uapi/if.ts';
import { IPPROTO_ICMPV6 } from '../uapi/rtnetlink.ts';
import { ip6RouteOutput, ip6SendPayload, type Ipv6OutRoute } from './ipv6.ts';
import { ndiscRcv } from './ndisc.ts';
import type { NetNamespace } from './netns.ts';
import { NS_PER_SEC } from './scheduler.ts';
import type { SkBuff } from './skb.ts';
import { pingRcv6, sockIcmpError6 } from './socket.ts';

const RATELIMIT = 1 * NS_PER_SEC;
const BURST = 6;

function xrlimAllow(ns: NetNamespace, dst: Ipv6Addr): boolean {
  let peers = ns.proto.get('icmp6.peers') as
    Map<string, { tokens: number; last: number }> | undefined;
  if (peers === undefined) {
    peers = new Map();
    ns.proto.set('icmp6.peers', peers);
  }
  const now = ns.kernel.now;
  const p = peers.get(dst.key) ?? { tokens: 0, last: now - 60 * NS_PER_SEC };
  let token = Math.min(p.tokens + (now - p.last), BURST * RATELIMIT);
  p.last = now;
  let ok = false;
  if (token >= RATELIMIT) {
    token -= RATELIMIT;
    ok = true;
  }
  p.tokens = token;
  peers.set(dst.key, p);
  return ok;
}

/**
 * Linux: icmp6_send. `skbIn.network` points at the offending IPv6 header; `info` is
 * the MTU for Packet Too Big, the pointer for Parameter Problem.
 */
export function icmpv6Send(skbIn: SkBuff, type: number, code: number, info: number): void {
  const ns = skbIn.dev.netns;
  const region = skbIn.data.subarray(skbIn.network);
  if (region.length < 40 || (region[0] as number) >>> 4 !== 6) return;
  const hdr = Ipv6Packet.unchecked(region);
  const src = hdr.src;
  const dst = hdr.dst;
  if (src.isUnspecified || src.isMulticast) return;
  if (dst.isMulticast && !(type === ICMPV6_PKT_TOOBIG || (type === ICMPV6_PARAMPROB && code === 2)))
    return;
  // Never an error about an error (RFC 4443 §2.4(e.1)).
  const padded = new Uint8Array(Math.max(region.length, 40 + hdr.payloadLength));
  padded.set(region);
  const view = Ipv6Packet.checked(padded);
  const ul = view === null ? null : ipv6UpperLayer(view);
  if (ul !== null && ul.protocol === IPPROTO_ICMPV6 && ul.offset < region.length) {
    const t = region[ul.offset] as number;
    if (icmpv6IsError(t) || t === 137) return;
  }
  // A reply from the address the packet was sent to when it is ours.
  const received = skbIn.pktType !== 'outgoing';
  let rt: Ipv6OutRoute;
  try {
    const saddr = received && !dst.isMulticast && isOurs(ns, dst) ? dst : undefined;
    rt = ip6RouteOutput(ns, {
      daddr: src,
      saddr,
      oif: src.isLinkLocal ? skbIn.dev : null,
    });
  } catch {
    return;
  }
  const limited = type < 128 && type !== ICMPV6_PKT_TOOBIG && (rt.dev.flags & IFF_LOOPBACK) === 0;
  if (limited && !xrlimAllow(ns, src)) return;
  const quote = icmpv6Quote(region.subarray(0, Math.min(region.length, 40 + hdr.payloadLength)));
  const msg = new Uint8Array(ICMPV6_HEADER_LEN + quote.length);
  msg[0] = type;
  msg[1] = code;
  msg[4] = (info >>> 24) & 0xff;
  msg[5] = (info >>> 16) & 0xff;
  msg[6] = (info >>> 8) & 0xff;
  msg[7] = info & 0xff;
  msg.set(quote, ICMPV6_HEADER_LEN);
  fillIcmpv6Checksum(Icmpv6Packet.unchecked(msg), rt.src, rt.dst);
  if (ns.kernel.tracing)
    ns.kernel.trace(
      skbIn,
      skbIn.dev,
      'icmp6',
      `send type ${type} code ${code} to ${src.toString()}`,
    );
  ip6SendPayload(ns, rt, msg, { nextHeader: IPPROTO_ICMPV6, hopLimit: 64 });
}

function isOurs(ns: NetNamespace, addr: Ipv6Addr): boolean {
  for (const d of ns.devices) {
    const idev = d.proto.get('inet6') as { addrs: { addr: Ipv6Addr }[] } | undefined;
    if (idev?.addrs.some((a) => a.addr.equals(addr)) === true) return true;
  }
  return false;
}

/** Linux: icmpv6_rcv. `offset` is where the ICMPv6 message starts in `ip.bytes`. */
export function icmpv6Rcv(skb: SkBuff, ip: Ipv6Packet, offset: number): void {
  const kernel = skb.dev.netns.kernel;
  const bytes = ip.bytes.subarray(offset, ip.totalLength);
  const icmp = Icmpv6Packet.checked(bytes);
  if (icmp === null) {
    kernel.dropSkb(skb, 'PKT_TOO_SMALL');
    return;
  }
  if (!icmpv6ChecksumOkIn(ip, icmp)) {
    kernel.dropSkb(skb, 'ICMP_CSUM');
    return;
  }
  switch (icmp.msgType) {
    case ICMPV6_ECHO_REQUEST:
      icmpv6Echo(skb, ip, icmp);
      return;
    case ICMPV6_ECHO_REPLY:
      pingRcv6(skb, ip, icmp);
      return;
    case ICMPV6_DEST_UNREACH:
    case ICMPV6_PKT_TOOBIG:
    case ICMPV6_TIME_EXCEED:
    case ICMPV6_PARAMPROB:
      sockIcmpError6(skb, ip, icmp);
      return;
    case 133:
    case 134:
    case 135:
    case 136:
    case 137:
      ndiscRcv(skb, ip, bytes);
      return;
    case ICMPV6_MGM_QUERY:
    case ICMPV6_MGM_REPORT:
    case ICMPV6_MGM_REDUCTION:
    case ICMPV6_MLD2_REPORT:
      kernel.trace(skb, skb.dev, 'consume', 'mld');
      return;
    default:
      kernel.trace(skb, skb.dev, 'consume', `icmpv6 type ${icmp.msgType} ignored`);
  }
}

/** Linux: icmpv6_echo_reply (echo to multicast is answered from a unicast address). */
function icmpv6Echo(skb: SkBuff, ip: Ipv6Packet, req: Icmpv6Packet): void {
  const ns = skb.dev.netns;
  const dst = ip.dst;
  let rt: Ipv6OutRoute;
  try {
    rt = ip6RouteOutput(ns, {
      daddr: ip.src,
      saddr: dst.isMulticast ? undefined : dst,
      oif: ip.src.isLinkLocal || dst.isMulticast ? skb.dev : null,
    });
  } catch {
    ns.kernel.dropSkb(skb, 'IP_OUTNOROUTES', 'no route for echo reply');
    return;
  }
  const msg = req.bytes.slice();
  msg[0] = ICMPV6_ECHO_REPLY;
  msg[1] = 0;
  fillIcmpv6Checksum(Icmpv6Packet.unchecked(msg), rt.src, rt.dst);
  ip6SendPayload(ns, rt, msg, {
    nextHeader: IPPROTO_ICMPV6,
    hopLimit: 64,
    trafficClass: ip.trafficClass,
  });
}
