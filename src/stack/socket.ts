// Sockets for programs inside a namespace: ICMP echo ("ping") datagram sockets and UDP,
// over IPv4 and IPv6 (Linux: net/ipv4/ping.c, udp.c, net/ipv6/ping.c, udp.c). The API
// reads like the BSD calls (bind, connect, sendto, recvfrom, setsockopt) but returns
// values and throws ErrnoError; nothing blocks: received datagrams wait in `recvQueue`
// and `onReadable` fires when one arrives. ICMP errors about what a socket sent land
// in `errQueue` (as with IP_RECVERR, which ping sets), with the errno Linux reports.
//
// Kept open for TCP: a socket kind is a string, demultiplexing is per (family, kind)
// table, and the IP layers call `inetAddProtocol` for new protocols.

import { ErrnoError, type ErrnoName } from '../base/errno.ts';
import { ipEquals, ipv4, isIpv4, type IpAddr, type Ipv6Addr } from '../wire/address.ts';
import {
  ICMP_DEST_UNREACH,
  ICMP_ECHO,
  ICMP_FRAG_NEEDED,
  ICMP_HOST_UNREACH,
  ICMP_NET_UNREACH,
  ICMP_PARAMETERPROB,
  ICMP_PORT_UNREACH,
  ICMP_PROT_UNREACH,
  ICMP_TIME_EXCEEDED,
  ICMPV4_HEADER_LEN,
  Icmpv4Packet,
} from '../wire/icmpv4.ts';
import {
  ICMPV6_DEST_UNREACH,
  ICMPV6_ECHO_REQUEST,
  ICMPV6_PARAMPROB,
  ICMPV6_PKT_TOOBIG,
  ICMPV6_PORT_UNREACH,
  ICMPV6_TIME_EXCEED,
  Icmpv6Packet,
  fillIcmpv6Checksum,
} from '../wire/icmpv6.ts';
import { Ipv4Packet } from '../wire/ipv4.ts';
import { Ipv6Packet, ipv6UpperLayer } from '../wire/ipv6.ts';
import { UDP_HEADER_LEN, UdpPacket } from '../wire/udp.ts';
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_UDP } from '../uapi/rtnetlink.ts';
import { ipDevFind, ipMcDecGroup, ipMcIncGroup } from './inet.ts';
import {
  ipRouteOutput,
  ipSendPayload,
  IP_DEFAULT_TTL,
  type Ipv4OutRoute,
  type LocalOutResult,
} from './ipv4.ts';
import { ip6RouteOutput, ip6SendPayload, ipv6DevFind, type Ipv6OutRoute } from './ipv6.ts';
import { ipv6McDec, ipv6McInc } from './mcast.ts';
import { NF_DROP_ERRNO } from './netfilter/hooks.ts';
import type { NetDevice } from './netdev.ts';
import type { NetNamespace } from './netns.ts';
import type { SkBuff } from './skb.ts';

export type SocketFamily = 4 | 6;
/** `ping` = SOCK_DGRAM + IPPROTO_ICMP(V6); `udp` = SOCK_DGRAM + IPPROTO_UDP. */
export type SocketKind = 'ping' | 'udp';

/** One received datagram. For ping sockets `data` is the ICMP message (header first). */
export interface Datagram {
  readonly data: Uint8Array;
  readonly from: IpAddr;
  /** Source port (UDP) or echo identifier (ping). */
  readonly port: number;
  /** The destination address of the packet (IP_PKTINFO). */
  readonly to: IpAddr;
  readonly ifindex: number;
  /** TTL / hop limit as received. */
  readonly ttl: number;
  /** Virtual time of arrival (ns). */
  readonly time: number;
}

/** An error queued by ICMP (IP_RECVERR's sock_extended_err). */
export interface SocketError {
  readonly errno: ErrnoName;
  readonly origin: 'icmp' | 'icmp6' | 'local';
  readonly type: number;
  readonly code: number;
  /** Next-hop MTU for "fragmentation needed" / packet too big, else 0. */
  readonly info: number;
  /** Who sent the ICMP error. */
  readonly offender: IpAddr;
  /** The destination of the datagram that failed. */
  readonly dst: IpAddr;
  /** Its destination port, or for ping the echo sequence number. */
  readonly port: number;
  readonly time: number;
}

export class Socket {
  readonly ns: NetNamespace;
  readonly family: SocketFamily;
  readonly kind: SocketKind;
  /** Bound address, null for INADDR_ANY / in6addr_any. */
  localAddr: IpAddr | null = null;
  /** Local port (UDP) or echo identifier (ping); 0 until bound. */
  localPort = 0;
  remoteAddr: IpAddr | null = null;
  remotePort = 0;
  boundDev: NetDevice | null = null;
  broadcast = false;
  ttl: number | null = null;
  multicastTtl = 1;
  multicastLoop = true;
  multicastIf: NetDevice | null = null;
  readonly recvQueue: Datagram[] = [];
  readonly errQueue: SocketError[] = [];
  /** Called after a datagram or an error is queued. */
  onReadable: (() => void) | null = null;
  closed = false;
  /** IP id counter of a connected socket (inet_id). */
  inetId = 0;
  readonly groups: { group: IpAddr; dev: NetDevice }[] = [];

  constructor(ns: NetNamespace, family: SocketFamily, kind: SocketKind) {
    this.ns = ns;
    this.family = family;
    this.kind = kind;
  }

  /** bind(2). EADDRNOTAVAIL for an address that is not ours, EADDRINUSE for a taken port. */
  bind(addr: IpAddr | null, port = 0): void {
    if (this.closed) throw new ErrnoError('EBADF');
    if (this.localPort !== 0) throw new ErrnoError('EINVAL');
    if (addr !== null) {
      if (isIpv4(addr) !== (this.family === 4)) throw new ErrnoError('EAFNOSUPPORT');
      const any = isIpv4(addr) ? addr === 0 : addr.isUnspecified;
      const group = isIpv4(addr) ? addr >>> 28 === 0xe || addr === 0xffffffff : addr.isMulticast;
      if (!any && !group && !isLocal(this.ns, addr)) throw new ErrnoError('EADDRNOTAVAIL');
      this.localAddr = any ? null : addr;
    }
    this.localPort = port === 0 ? allocPort(this) : claimPort(this, port);
    table(this.ns, this.family, this.kind).push(this);
  }

  /** connect(2) for datagram sockets: fixes the peer and (if unbound) binds. */
  connect(addr: IpAddr, port = 0): void {
    if (isIpv4(addr) !== (this.family === 4)) throw new ErrnoError('EAFNOSUPPORT');
    const rt = this.route(addr);
    if (this.localPort === 0) this.bind(null, 0);
    this.localAddr ??= rt.src;
    this.remoteAddr = addr;
    this.remotePort = port;
    this.inetId = this.ns.kernel.random.below(0x10000);
  }

  /** SO_BINDTODEVICE. */
  bindToDevice(dev: NetDevice | null): void {
    if (dev !== null && dev.netns !== this.ns) throw new ErrnoError('ENODEV');
    this.boundDev = dev;
  }

  /** IP_ADD_MEMBERSHIP / IPV6_JOIN_GROUP on `dev`. */
  joinGroup(group: IpAddr, dev: NetDevice): void {
    if (isIpv4(group) !== (this.family === 4)) throw new ErrnoError('EINVAL');
    if (isIpv4(group) ? group >>> 28 !== 0xe : !group.isMulticast) throw new ErrnoError('EINVAL');
    if (this.groups.some((g) => g.dev === dev && ipEquals(g.group, group)))
      throw new ErrnoError('EADDRINUSE');
    this.groups.push({ group, dev });
    if (isIpv4(group)) ipMcIncGroup(dev, group);
    else ipv6McInc(dev, group);
  }

  /** IP_DROP_MEMBERSHIP / IPV6_LEAVE_GROUP. */
  leaveGroup(group: IpAddr, dev: NetDevice): void {
    const i = this.groups.findIndex((g) => g.dev === dev && ipEquals(g.group, group));
    if (i < 0) throw new ErrnoError('EADDRNOTAVAIL');
    this.groups.splice(i, 1);
    if (isIpv4(group)) ipMcDecGroup(dev, group);
    else ipv6McDec(dev, group);
  }

  private route(dst: IpAddr, scope: NetDevice | null = null): Ipv4OutRoute | Ipv6OutRoute {
    const multicast = isIpv4(dst) ? dst >>> 28 === 0xe : dst.isMulticast;
    const oif = this.boundDev ?? scope ?? (multicast ? this.multicastIf : null);
    const local = this.localAddr;
    try {
      if (isIpv4(dst)) {
        const saddr = local !== null && isIpv4(local) && local >>> 28 !== 0xe ? local : undefined;
        return ipRouteOutput(this.ns, { daddr: dst, saddr, oif });
      }
      // ping_v6_sendmsg: link-scope destinations need an interface (sin6_scope_id).
      if (this.kind === 'ping' && oif === null && needsScope(dst)) throw new ErrnoError('EINVAL');
      const saddr = local !== null && !isIpv4(local) && !local.isMulticast ? local : undefined;
      return ip6RouteOutput(this.ns, { daddr: dst, saddr, oif });
    } catch (err) {
      if (err instanceof ErrnoError && err.code === 'ENETUNREACH')
        this.ns.countDrop('IP_OUTNOROUTES');
      throw err;
    }
  }

  /**
   * sendto(2). For ping sockets `data` is an ICMP echo request (type 8 / 128, code 0,
   * header first); the kernel sets the identifier and checksum. `scope` is the
   * interface of a link-local IPv6 destination (sin6_scope_id). Returns the bytes sent.
   * A netfilter drop on the way out is EPERM (NF_DROP_ERRNO), except on IPv6 ping sockets.
   */
  sendto(data: Uint8Array, to?: IpAddr, port?: number, scope?: NetDevice): number {
    if (this.closed) throw new ErrnoError('EBADF');
    const dst = to ?? this.remoteAddr;
    const dport = to !== undefined ? (port ?? 0) : this.remotePort;
    if (dst === null) throw new ErrnoError('EDESTADDRREQ');
    if (isIpv4(dst) !== (this.family === 4)) throw new ErrnoError('EAFNOSUPPORT');
    if (this.kind === 'udp' && dport === 0) throw new ErrnoError('EINVAL');
    const rt = this.route(dst, scope ?? null);
    if (rt.family === 4 && rt.type === 'broadcast' && !this.broadcast)
      throw new ErrnoError('EACCES');
    if (this.localPort === 0) this.bind(null, 0);
    const multicast = rt.type === 'multicast';
    if (this.kind === 'ping') return this.sendPing(data, rt, multicast);
    const msg = new Uint8Array(UDP_HEADER_LEN + data.length);
    const udp = UdpPacket.unchecked(msg);
    udp.setSrcPort(this.localPort);
    udp.setDstPort(dport);
    udp.setLength(msg.length);
    msg.set(data, UDP_HEADER_LEN);
    udp.fillChecksum(rt.src, dst);
    this.transmit(rt, msg, IPPROTO_UDP, multicast);
    return data.length;
  }

  private sendPing(data: Uint8Array, rt: Ipv4OutRoute | Ipv6OutRoute, multicast: boolean): number {
    if (data.length < 8) throw new ErrnoError('EINVAL');
    const msg = data.slice();
    if (rt.family === 4) {
      if (msg[0] !== ICMP_ECHO || msg[1] !== 0) throw new ErrnoError('EINVAL');
      const icmp = Icmpv4Packet.unchecked(msg);
      icmp.setEchoIdent(this.localPort);
      icmp.fillChecksum();
      this.transmit(rt, msg, IPPROTO_ICMP, multicast);
    } else {
      if (msg[0] !== ICMPV6_ECHO_REQUEST || msg[1] !== 0) throw new ErrnoError('EINVAL');
      const icmp = Icmpv6Packet.unchecked(msg);
      icmp.setEchoIdent(this.localPort);
      fillIcmpv6Checksum(icmp, rt.src, rt.dst);
      this.transmit(rt, msg, IPPROTO_ICMPV6, multicast);
    }
    return data.length;
  }

  private transmit(
    rt: Ipv4OutRoute | Ipv6OutRoute,
    payload: Uint8Array,
    protocol: number,
    multicast: boolean,
  ): void {
    const ttl = multicast ? this.multicastTtl : (this.ttl ?? IP_DEFAULT_TTL);
    const headerLen = rt.family === 4 ? 20 : 40;
    // No local fragmentation: what does not fit the path MTU is refused (EMSGSIZE).
    if (payload.length + headerLen > rt.mtu) throw new ErrnoError('EMSGSIZE');
    let rc: LocalOutResult;
    if (rt.family === 4) {
      const connected = this.remoteAddr !== null;
      const ident = connected ? this.inetId++ & 0xffff : 0;
      rc = ipSendPayload(this.ns, rt, payload, {
        protocol,
        ttl,
        dontFrag: !multicast && rt.type !== 'broadcast',
        ident,
      });
    } else {
      rc = ip6SendPayload(this.ns, rt, payload, { nextHeader: protocol, hopLimit: ttl });
    }
    // IPv6 ping sockets never see the output path's verdict: icmpv6_push_pending_frames
    // drops ip6_push_pending_frames' result (the i7 recording's `ping -6` through an l3
    // slave with no route printed no error; n-nf-output-eperm: sendto() on an
    // IPPROTO_ICMPV6 datagram socket returned 64 while OUTPUT dropped the packet).
    if (this.kind === 'ping' && rt.family === 6) return;
    // ip_send_skb / ip6_send_skb: a netfilter drop in OUTPUT or POSTROUTING is
    // nf_hook_slow's errno, returned by ping_v4_sendmsg and udp(v6)_sendmsg alike (the
    // recording: sendto() / sendmsg() = -1 EPERM for IPv4 ping, UDP and UDPv6).
    if (rc === 'nf-drop') throw new ErrnoError(NF_DROP_ERRNO);
    // A device drop (NET_XMIT_DROP) is ENOBUFS through net_xmit_errno. IPv4 ping sockets
    // return it (ping_v4_sendmsg); UDP only with IP_RECVERR, which these sockets do not
    // offer (udp_send_skb counts SNDBUFERRORS).
    if (rc === 'xmit-drop' && this.kind === 'ping') throw new ErrnoError('ENOBUFS');
  }

  /** recvfrom(2): the next datagram, or null (EAGAIN). */
  recvfrom(): Datagram | null {
    return this.recvQueue.shift() ?? null;
  }

  /** recvmsg(MSG_ERRQUEUE): the next queued error, or null. */
  recvErr(): SocketError | null {
    return this.errQueue.shift() ?? null;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const g of [...this.groups]) this.leaveGroup(g.group, g.dev);
    const t = table(this.ns, this.family, this.kind);
    const i = t.indexOf(this);
    if (i >= 0) t.splice(i, 1);
  }

  /** Queues a datagram and wakes the reader. */
  deliver(d: Datagram): void {
    this.recvQueue.push(d);
    this.onReadable?.();
  }

  /** Queues an error and wakes the reader. */
  deliverError(e: SocketError): void {
    this.errQueue.push(e);
    this.onReadable?.();
  }
}

/** __ipv6_addr_needs_scope_id: link-local unicast, or multicast of link scope or below. */
function needsScope(addr: Ipv6Addr): boolean {
  if (addr.isLinkLocal) return true;
  return addr.isMulticast && ((addr.bytes[1] as number) & 0x0f) <= 2;
}

function isLocal(ns: NetNamespace, addr: IpAddr): boolean {
  return isIpv4(addr) ? ipDevFind(ns, addr) !== undefined : ipv6DevFind(ns, addr) !== undefined;
}

/** socket(2) in `ns`. */
export function openSocket(ns: NetNamespace, family: SocketFamily, kind: SocketKind): Socket {
  return new Socket(ns, family, kind);
}

/** The bound sockets of a namespace for one family and kind. */
export function table(ns: NetNamespace, family: SocketFamily, kind: SocketKind): Socket[] {
  const key = `sock.${kind}${family}`;
  let t = ns.proto.get(key) as Socket[] | undefined;
  if (t === undefined) {
    t = [];
    ns.proto.set(key, t);
  }
  return t;
}

function portTaken(s: Socket, port: number): boolean {
  return table(s.ns, s.family, s.kind).some(
    (o) =>
      o.localPort === port &&
      (o.localAddr === null || s.localAddr === null || ipEquals(o.localAddr, s.localAddr)),
  );
}

function claimPort(s: Socket, port: number): number {
  if (port < 0 || port > 0xffff) throw new ErrnoError('EINVAL');
  if (portTaken(s, port)) throw new ErrnoError('EADDRINUSE');
  return port;
}

/** Ephemeral ports: UDP from ip_local_port_range (32768–60999), ping idents from a rover. */
function allocPort(s: Socket): number {
  if (s.kind === 'ping') {
    const key = 'sock.pingRover';
    let rover = (s.ns.proto.get(key) as number | undefined) ?? 0;
    for (let i = 0; i < 0x10000; i++) {
      rover = (rover + 1) & 0xffff;
      if (rover === 0) continue;
      if (!portTaken(s, rover)) {
        s.ns.proto.set(key, rover);
        return rover;
      }
    }
    throw new ErrnoError('EADDRINUSE');
  }
  const low = 32768;
  const span = 60999 - low + 1;
  const start = s.ns.kernel.random.below(span);
  for (let i = 0; i < span; i++) {
    const p = low + ((start + i) % span);
    if (!portTaken(s, p)) return p;
  }
  throw new ErrnoError('EADDRINUSE');
}

/** Sockets that should see a packet to `dst`:`port` arriving on `dev`. */
export function lookupSockets(
  ns: NetNamespace,
  family: SocketFamily,
  kind: SocketKind,
  dst: IpAddr,
  port: number,
  src: IpAddr,
  sport: number,
  dev: NetDevice,
  all: boolean,
): Socket[] {
  let best: Socket | null = null;
  let bestScore = -1;
  const out: Socket[] = [];
  for (const s of table(ns, family, kind)) {
    if (s.localPort !== port) continue;
    let score = 0;
    if (s.localAddr !== null) {
      if (!ipEquals(s.localAddr, dst)) continue;
      score += 4;
    }
    // Linux: ping_lookup matches the identifier, bound address and device only, so a
    // connected ping socket also gets replies from other sources (echo to a group).
    if (s.remoteAddr !== null && kind !== 'ping') {
      if (!ipEquals(s.remoteAddr, src) || (kind === 'udp' && s.remotePort !== sport)) continue;
      score += 4;
    }
    if (s.boundDev !== null) {
      if (s.boundDev !== dev) continue;
      score += 2;
    }
    if (all) out.push(s);
    else if (score > bestScore) {
      best = s;
      bestScore = score;
    }
  }
  if (!all && best !== null) out.push(best);
  return out;
}

// ---------------------------------------------------------------- ping receive

/** Linux: ping_rcv for IPv4 echo replies. */
export function pingRcv4(skb: SkBuff, ip: Ipv4Packet, icmp: Icmpv4Packet): void {
  pingRcv(skb, 4, ip.src, ip.dst, ip.ttl, icmp.echoIdent, icmp.bytes);
}

/** Linux: ping_rcv for IPv6 echo replies. */
export function pingRcv6(skb: SkBuff, ip: Ipv6Packet, icmp: Icmpv6Packet): void {
  pingRcv(skb, 6, ip.src, ip.dst, ip.hopLimit, icmp.echoIdent, icmp.bytes);
}

/** Linux: ping_rcv — the ping socket bound to the echo identifier gets the reply. */
function pingRcv(
  skb: SkBuff,
  family: SocketFamily,
  src: IpAddr,
  dst: IpAddr,
  ttl: number,
  ident: number,
  message: Uint8Array,
): void {
  const ns = skb.dev.netns;
  const s = lookupSockets(ns, family, 'ping', dst, ident, src, 0, skb.dev, false)[0];
  if (s === undefined) {
    ns.kernel.dropSkb(skb, 'NO_SOCKET');
    return;
  }
  s.deliver({
    data: message.slice(),
    from: src,
    port: ident,
    to: dst,
    ifindex: skb.dev.ifindex,
    ttl,
    time: ns.kernel.now,
  });
}

// ---------------------------------------------------------------- ICMP errors to sockets

/** Linux: icmp_err_convert. */
function icmp4Errno(type: number, code: number): ErrnoName {
  if (type === ICMP_TIME_EXCEEDED) return 'EHOSTUNREACH';
  if (type === ICMP_PARAMETERPROB) return 'EPROTO';
  if (type !== ICMP_DEST_UNREACH) return 'EHOSTUNREACH';
  switch (code) {
    case ICMP_NET_UNREACH:
      return 'ENETUNREACH';
    case ICMP_HOST_UNREACH:
      return 'EHOSTUNREACH';
    case ICMP_PROT_UNREACH:
      return 'ENOPROTOOPT';
    case ICMP_PORT_UNREACH:
      return 'ECONNREFUSED';
    case ICMP_FRAG_NEEDED:
      return 'EMSGSIZE';
    case 6:
      return 'ENETUNREACH';
    case 7:
      return 'EHOSTDOWN';
    default:
      return 'EHOSTUNREACH';
  }
}

/** Linux: icmp_unreach → ping_err / __udp4_lib_err. Errors are consumed, not dropped. */
export function sockIcmpError4(skb: SkBuff, ip: Ipv4Packet, icmp: Icmpv4Packet): void {
  const ns = skb.dev.netns;
  const inner = Ipv4Packet.checkedQuoted(icmp.data);
  if (inner === null || icmp.data.length < inner.headerLen + 8) {
    ns.kernel.dropSkb(skb, 'PKT_TOO_SMALL', 'icmp quote too short');
    return;
  }
  const l4 = icmp.data.subarray(inner.headerLen);
  const at = (o: number): number => ((l4[o] ?? 0) << 8) | (l4[o + 1] ?? 0);
  let socks: Socket[] = [];
  let port = 0;
  if (inner.protocol === IPPROTO_UDP) {
    port = at(2);
    socks = lookupSockets(ns, 4, 'udp', inner.src, at(0), inner.dst, port, skb.dev, false);
  } else if (inner.protocol === IPPROTO_ICMP && l4[0] === ICMP_ECHO) {
    port = at(6);
    socks = lookupSockets(ns, 4, 'ping', inner.src, at(4), inner.dst, 0, skb.dev, false);
  }
  const s = socks[0];
  if (s === undefined) {
    ns.kernel.trace(skb, skb.dev, 'consume', 'icmp error for no socket');
    return;
  }
  const info =
    icmp.type === ICMP_DEST_UNREACH && icmp.code === ICMP_FRAG_NEEDED ? icmp.nextHopMtu : 0;
  s.deliverError({
    errno: icmp4Errno(icmp.type, icmp.code),
    origin: 'icmp',
    type: icmp.type,
    code: icmp.code,
    info,
    offender: ip.src,
    dst: inner.dst,
    port,
    time: ns.kernel.now,
  });
}

/** Linux: icmpv6_err_convert. */
function icmp6Errno(type: number, code: number): ErrnoName {
  switch (type) {
    case ICMPV6_DEST_UNREACH:
      if (code === ICMPV6_PORT_UNREACH) return 'ECONNREFUSED';
      if (code === 1) return 'EACCES';
      return code === 0 ? 'ENETUNREACH' : 'EHOSTUNREACH';
    case ICMPV6_PKT_TOOBIG:
      return 'EMSGSIZE';
    case ICMPV6_PARAMPROB:
      return 'EHOSTUNREACH'; // Linux: EPROTO, which base/errno.ts does not list yet
    case ICMPV6_TIME_EXCEED:
    default:
      return 'EHOSTUNREACH';
  }
}

/** Linux: icmpv6_notify → udpv6_err / ping_err for IPv6. */
export function sockIcmpError6(skb: SkBuff, ip: Ipv6Packet, icmp: Icmpv6Packet): void {
  const ns = skb.dev.netns;
  const quoted = icmp.payload;
  const inner = quoted.length >= 40 ? Ipv6Packet.unchecked(quoted) : null;
  if (inner === null || inner.version !== 6) {
    ns.kernel.dropSkb(skb, 'PKT_TOO_SMALL', 'icmpv6 quote too short');
    return;
  }
  // The quote may be cut short; walk what is there.
  const padded = new Uint8Array(Math.max(quoted.length, 40 + inner.payloadLength));
  padded.set(quoted);
  const view = Ipv6Packet.checked(padded);
  const ul = view === null ? null : ipv6UpperLayer(view);
  if (ul === null || ul.offset + 8 > quoted.length) {
    ns.kernel.trace(skb, skb.dev, 'consume', 'icmpv6 error without transport header');
    return;
  }
  const l4 = quoted.subarray(ul.offset);
  const at = (o: number): number => ((l4[o] ?? 0) << 8) | (l4[o + 1] ?? 0);
  let socks: Socket[] = [];
  let port = 0;
  if (ul.protocol === IPPROTO_UDP) {
    port = at(2);
    socks = lookupSockets(ns, 6, 'udp', inner.src, at(0), inner.dst, port, skb.dev, false);
  } else if (ul.protocol === IPPROTO_ICMPV6 && l4[0] === ICMPV6_ECHO_REQUEST) {
    port = at(6);
    socks = lookupSockets(ns, 6, 'ping', inner.src, at(4), inner.dst, 0, skb.dev, false);
  }
  const s = socks[0];
  if (s === undefined) {
    ns.kernel.trace(skb, skb.dev, 'consume', 'icmpv6 error for no socket');
    return;
  }
  s.deliverError({
    errno: icmp6Errno(icmp.msgType, icmp.code),
    origin: 'icmp6',
    type: icmp.msgType,
    code: icmp.code,
    info: icmp.msgType === ICMPV6_PKT_TOOBIG ? icmp.mtu : 0,
    offender: ip.src,
    dst: inner.dst,
    port,
    time: ns.kernel.now,
  });
}

/** Builds an ICMP echo request message (type 8, or 128 for IPv6) for a ping socket. */
export function echoRequest(family: SocketFamily, seq: number, payload: Uint8Array): Uint8Array {
  const msg = new Uint8Array(ICMPV4_HEADER_LEN + payload.length);
  msg[0] = family === 4 ? ICMP_ECHO : ICMPV6_ECHO_REQUEST;
  msg[6] = (seq >>> 8) & 0xff;
  msg[7] = seq & 0xff;
  msg.set(payload, ICMPV4_HEADER_LEN);
  return msg;
}

/** Shorthand for tests and tools: the IPv4 any address. */
export const INADDR_ANY = ipv4(0);
