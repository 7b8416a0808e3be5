// UDP receive for both families (Linux: net/ipv4/udp.c __udp4_lib_rcv, net/ipv6/udp.c
// __udp6_lib_rcv). Unicast goes to the best matching socket; broadcast and multicast
// to every bound socket on the port (__udp4_lib_mcast_deliver; IP_MULTICAST_ALL is on
// by default, so group membership of the host, not of the socket, decides). A unicast
// datagram for a port nobody listens on gets an ICMP port unreachable and is dropped
// with NO_SOCKET; group datagrams nobody wants are consumed silently.
// Sending is the socket's job (socket.ts).

import { ipv4IsMulticast } from '../wire/address.ts';
import { ICMP_DEST_UNREACH, ICMP_PORT_UNREACH } from '../wire/icmpv4.ts';
import { ICMPV6_DEST_UNREACH, ICMPV6_PORT_UNREACH } from '../wire/icmpv6.ts';
import type { Ipv4Packet } from '../wire/ipv4.ts';
import type { Ipv6Packet } from '../wire/ipv6.ts';
import { UdpPacket, parseUdp } from '../wire/udp.ts';
import { icmpSend } from './icmp.ts';
import { icmpv6Send } from './icmpv6.ts';
import { skbInputRoute } from './ipv4.ts';
import type { SkBuff } from './skb.ts';
import { lookupSockets } from './socket.ts';

/** Linux: __udp4_lib_rcv. */
export function udpRcv(skb: SkBuff, ip: Ipv4Packet): void {
  const kernel = skb.dev.netns.kernel;
  const udp = UdpPacket.checked(ip.payload);
  if (udp === null) {
    kernel.dropSkb(skb, 'PKT_TOO_SMALL');
    return;
  }
  if (parseUdp(udp, ip.src, ip.dst) === null) {
    kernel.dropSkb(skb, 'UDP_CSUM');
    return;
  }
  const rt = skbInputRoute(skb);
  const group = ipv4IsMulticast(ip.dst) || (rt?.kind === 'local' && rt.broadcast);
  const ns = skb.dev.netns;
  const socks = lookupSockets(
    ns,
    4,
    'udp',
    ip.dst,
    udp.dstPort,
    ip.src,
    udp.srcPort,
    skb.dev,
    group,
  );
  if (socks.length === 0) {
    if (group) {
      kernel.trace(skb, skb.dev, 'consume', 'udp group datagram without listener');
      return;
    }
    icmpSend(skb, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
    kernel.dropSkb(skb, 'NO_SOCKET');
    return;
  }
  const data = udp.payload.slice();
  for (const s of socks) {
    s.deliver({
      data,
      from: ip.src,
      port: udp.srcPort,
      to: ip.dst,
      ifindex: skb.dev.ifindex,
      ttl: ip.ttl,
      time: kernel.now,
    });
  }
}

/** Linux: __udp6_lib_rcv; `transport` is where the UDP header starts in `ip.bytes`. */
export function udp6Rcv(skb: SkBuff, ip: Ipv6Packet, transport: number): void {
  const kernel = skb.dev.netns.kernel;
  const udp = UdpPacket.checked(ip.bytes.subarray(transport, ip.totalLength));
  if (udp === null) {
    kernel.dropSkb(skb, 'PKT_TOO_SMALL');
    return;
  }
  const src = ip.src;
  const dst = ip.dst;
  if (parseUdp(udp, src, dst) === null) {
    kernel.dropSkb(skb, 'UDP_CSUM');
    return;
  }
  const group = dst.isMulticast;
  const ns = skb.dev.netns;
  const socks = lookupSockets(ns, 6, 'udp', dst, udp.dstPort, src, udp.srcPort, skb.dev, group);
  if (socks.length === 0) {
    if (group) {
      kernel.trace(skb, skb.dev, 'consume', 'udp6 group datagram without listener');
      return;
    }
    icmpv6Send(skb, ICMPV6_DEST_UNREACH, ICMPV6_PORT_UNREACH, 0);
    kernel.dropSkb(skb, 'NO_SOCKET');
    return;
  }
  const data = udp.payload.slice();
  for (const s of socks) {
    s.deliver({
      data,
      from: src,
      port: udp.srcPort,
      to: dst,
      ifindex: skb.dev.ifindex,
      ttl: ip.hopLimit,
      time: kernel.now,
    });
  }
}
