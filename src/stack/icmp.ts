// ICMP for IPv4 (Linux: net/ipv4/icmp.c, RFC 792, RFC 1122 §3.2.2, RFC 1812 §4.3):
// echo replies from the kernel, errors sent with icmpSend (never about ICMP errors,
// fragments other than the first, or group/broadcast packets; rate limited per
// destination with Linux's token bucket: icmp_ratelimit 1 s, burst 6, for the types in
// icmp_ratemask), and received errors handed to the socket that sent the offending
// datagram (ping, UDP).

import { formatIpv4, ipv4, ipv4IsMulticast, type Ipv4Addr } from '../wire/address.ts';
import {
  ICMP_DEST_UNREACH,
  ICMP_ECHO,
  ICMP_ECHOREPLY,
  ICMP_FRAG_NEEDED,
  ICMP_PARAMETERPROB,
  ICMP_REDIRECT,
  ICMP_TIME_EXCEEDED,
  ICMPV4_HEADER_LEN,
  Icmpv4Packet,
  icmpv4QuoteLen,
} from '../wire/icmpv4.ts';
import { Ipv4Packet } from '../wire/ipv4.ts';
import { IFF_LOOPBACK } from '../uapi/if.ts';
import { IPPROTO_ICMP, RT_SCOPE_UNIVERSE } from '../uapi/rtnetlink.ts';
import { inetSelectAddr } from './inet.ts';
import { ipRouteOutput, ipSendPayload, skbInputRoute, type Ipv4OutRoute } from './ipv4.ts';
import type { NetNamespace } from './netns.ts';
import { NS_PER_SEC } from './scheduler.ts';
import type { SkBuff } from './skb.ts';
import { pingRcv4, sockIcmpError4 } from './socket.ts';

/** net.ipv4.icmp_ratemask default: dest unreachable, source quench, time exceeded, param problem. */
const ICMP_RATEMASK = 0x1818;
const ICMP_RATELIMIT = 1 * NS_PER_SEC;
const XRLIM_BURST_FACTOR = 6;

/** Linux: inet_peer_xrlim_allow on the destination's peer entry. */
function xrlimAllow(ns: NetNamespace, dst: Ipv4Addr): boolean {
  let peers = ns.proto.get('icmp.peers') as
    Map<number, { tokens: number; last: number }> | undefined;
  if (peers === undefined) {
    peers = new Map();
    ns.proto.set('icmp.peers', peers);
  }
  const now = ns.kernel.now;
  // inet_getpeer: rate_last starts 60 s in the past, so a new peer has a full bucket.
  const p = peers.get(dst) ?? { tokens: 0, last: now - 60 * NS_PER_SEC };
  let token = p.tokens + (now - p.last);
  p.last = now;
  if (token > XRLIM_BURST_FACTOR * ICMP_RATELIMIT) token = XRLIM_BURST_FACTOR * ICMP_RATELIMIT;
  let ok = false;
  if (token >= ICMP_RATELIMIT) {
    token -= ICMP_RATELIMIT;
    ok = true;
  }
  p.tokens = token;
  peers.set(dst, p);
  return ok;
}

function isErrorType(type: number): boolean {
  return (
    type === ICMP_DEST_UNREACH ||
    type === ICMP_REDIRECT ||
    type === ICMP_TIME_EXCEEDED ||
    type === ICMP_PARAMETERPROB ||
    type === 4
  );
}

/**
 * Linux: __icmp_send. Sends an ICMP error about `skbIn` (whose `network` offset points
 * at the offending IPv4 header) back to its source. `info` is the next-hop MTU for
 * ICMP_FRAG_NEEDED, the pointer for parameter problems. Silently does nothing when
 * RFC 1122 forbids the error or the rate limit says no.
 */
export function icmpSend(skbIn: SkBuff, type: number, code: number, info: number): void {
  const ns = skbIn.dev.netns;
  const region = skbIn.data.subarray(skbIn.network);
  const iph = Ipv4Packet.checkedQuoted(region);
  if (iph === null) return;
  const rtIn = skbIn.pktType === 'outgoing' ? undefined : skbInputRoute(skbIn);
  // No errors about group or broadcast packets (RFC 1122 3.2.2), nor from those sources.
  if (rtIn?.kind === 'local' && (rtIn.broadcast || rtIn.multicast)) return;
  if (ipv4IsMulticast(iph.dst) || iph.dst === 0xffffffff) return;
  if (iph.src === 0 || ipv4IsMulticast(iph.src) || iph.src === 0xffffffff) return;
  // Only the first fragment.
  if (iph.fragOffset !== 0) return;
  // Never an error about an ICMP error.
  if (iph.protocol === IPPROTO_ICMP) {
    const inner = region.subarray(iph.headerLen);
    const t = inner[0];
    if (t === undefined || isErrorType(t)) return;
  }
  const received = skbIn.pktType !== 'outgoing';
  // For packets addressed to us, reply from that address; else let routing choose
  // (for forwarded packets the router's own address toward the sender).
  const saddr = rtIn?.kind === 'local' && received ? iph.dst : ipv4(0);
  let rt: Ipv4OutRoute;
  try {
    rt = ipRouteOutput(ns, { daddr: iph.src, saddr: saddr !== 0 ? saddr : undefined });
  } catch {
    return;
  }
  if (rt.src === 0) return;
  const limited =
    !(type === ICMP_DEST_UNREACH && code === ICMP_FRAG_NEEDED) &&
    ((1 << type) & ICMP_RATEMASK) !== 0 &&
    (rt.dev.flags & IFF_LOOPBACK) === 0;
  if (limited && !xrlimAllow(ns, iph.src)) return;
  const quoteLen = icmpv4QuoteLen(Math.min(region.length, iph.totalLen));
  const msg = new Uint8Array(ICMPV4_HEADER_LEN + quoteLen);
  const icmp = Icmpv4Packet.unchecked(msg);
  icmp.setType(type);
  icmp.setCode(code);
  if (type === ICMP_DEST_UNREACH && code === ICMP_FRAG_NEEDED) icmp.setNextHopMtu(info);
  else if (type === ICMP_PARAMETERPROB) icmp.setPointer(info);
  msg.set(region.subarray(0, quoteLen), ICMPV4_HEADER_LEN);
  icmp.fillChecksum();
  const kernel = ns.kernel;
  if (kernel.tracing)
    kernel.trace(
      skbIn,
      skbIn.dev,
      'icmp',
      `send type ${type} code ${code} to ${formatIpv4(iph.src)}`,
    );
  // Errors carry precedence "internetwork control" (tos 0xc0) and no DF.
  ipSendPayload(ns, rt, msg, { protocol: IPPROTO_ICMP, tos: ((iph.tos & 0x1e) | 0xc0) & 0xff });
}

/** Linux: icmp_rcv. Called from local delivery with the IPv4 header checked. */
export function icmpRcv(skb: SkBuff, ip: Ipv4Packet): void {
  const kernel = skb.dev.netns.kernel;
  const icmp = Icmpv4Packet.checked(ip.payload);
  if (icmp === null) {
    kernel.dropSkb(skb, 'PKT_TOO_SMALL');
    return;
  }
  if (!icmp.checksumOk) {
    kernel.dropSkb(skb, 'ICMP_CSUM');
    return;
  }
  const rt = skbInputRoute(skb);
  const groupDst = rt?.kind === 'local' && (rt.broadcast || rt.multicast);
  switch (icmp.type) {
    case ICMP_ECHO:
      // Linux: icmp_echo — net.ipv4.icmp_echo_ignore_broadcasts (default 1).
      if (groupDst && skb.dev.netns.sysctl.get('net.ipv4.icmp_echo_ignore_broadcasts') !== '0') {
        kernel.dropSkb(skb, 'INVALID_PROTO', 'echo to broadcast ignored');
        return;
      }
      icmpEcho(skb, ip, icmp, groupDst);
      return;
    case ICMP_ECHOREPLY:
      pingRcv4(skb, ip, icmp);
      return;
    case ICMP_DEST_UNREACH:
    case ICMP_TIME_EXCEEDED:
    case ICMP_PARAMETERPROB:
      sockIcmpError4(skb, ip, icmp);
      return;
    default:
      kernel.trace(skb, skb.dev, 'consume', `icmp type ${icmp.type} ignored`);
  }
}

/** Linux: icmp_echo → icmp_reply. The reply leaves from the address the request was sent to. */
function icmpEcho(skb: SkBuff, ip: Ipv4Packet, req: Icmpv4Packet, groupDst: boolean): void {
  const ns = skb.dev.netns;
  // A broadcast or multicast destination cannot be a source: Linux (fib_compute_spec_dst)
  // answers from the receiving device's address instead.
  const saddr = groupDst ? inetSelectAddr(skb.dev, ip.src, RT_SCOPE_UNIVERSE) : ip.dst;
  let rt: Ipv4OutRoute;
  try {
    rt = ipRouteOutput(ns, { daddr: ip.src, saddr });
  } catch {
    ns.kernel.dropSkb(skb, 'IP_OUTNOROUTES', 'no route for echo reply');
    return;
  }
  const msg = req.bytes.slice();
  const reply = Icmpv4Packet.unchecked(msg);
  reply.setType(ICMP_ECHOREPLY);
  reply.setCode(0);
  reply.fillChecksum();
  ipSendPayload(ns, rt, msg, { protocol: IPPROTO_ICMP, tos: ip.tos });
}
