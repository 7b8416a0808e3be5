// One-line summaries of Ethernet frames in the words of `tcpdump -n` 4.99 without -e
// (print-ether.c, print-arp.c, print-ip.c, print-icmp.c, print-igmp.c, print-udp.c,
// print-tcp.c, print-ip6.c, print-icmp6.c). Lines were checked against tcpdump 4.99.3
// (see describe.test.ts). Deliberate differences, all for readability:
//  - an 802.1Q/802.1ad tag is shown as a `vlan N, p P, ` prefix (tcpdump shows it only with -e);
//  - a truncation marker keeps its protocol name (`ARP, [|arp]`, `IP6 [|ip6]`);
//  - no application decoding (DNS, DHCP, HTTP...): UDP is `UDP, length N` on every port;
//  - TCP sequence numbers are absolute: a one-line summary has no connection state;
//  - tcpdump's missing spaces (`reportmax resp delay`, `truncated-udplength`,
//    `bytes missing!2001:db8::1`) are restored;
//  - no LLC, LLDP or STP decoding: such frames print as `MAC > MAC, 802.3, length N` or
//    `MAC > MAC, ethertype NAME (0xXXXX), length N`, without tcpdump's hex dump;
//  - Routing headers other than types 0 and 2 print only `RT6 (len, type, segleft)`;
//  - ICMPv6 errors with unknown codes still end in `, length N`.
// Never throws: every read is bounds-checked, and damage is shown as `[|proto]`.

import {
  IPPROTO_DSTOPTS,
  IPPROTO_FRAGMENT,
  IPPROTO_HOPOPTS,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_IGMP,
  IPPROTO_IPV6,
  IPPROTO_NONE,
  IPPROTO_ROUTING,
  IPPROTO_TCP,
  IPPROTO_UDP,
} from '../uapi/rtnetlink.ts';
import { ETH_P_ARP, ETH_P_IP, ETH_P_IPV6 } from '../uapi/if.ts';
import { MacAddr, formatIpv4, ipv4At, Ipv6Addr, macKeyAt } from './address.ts';
import { ARP_PACKET_LEN, ARPOP_REPLY, ARPOP_REQUEST } from './arp.ts';
import { be16, be32 } from './bytes.ts';
import { EthernetPacket, ETHERTYPE_MIN, isVlanTpid } from './ethernet.ts';
import { Ipv4Packet } from './ipv4.ts';

/** A tcpdump-style one-line summary of an Ethernet frame (no timestamp, no link header). */
export function describe(frame: Uint8Array): string {
  const eth = EthernetPacket.checked(frame);
  if (eth === null) return frame.length >= 14 ? '[|vlan]' : '[|ether]';
  let prefix = '';
  let type = eth.ethertype;
  let payload = eth.payload;
  if (eth.isVlanTagged) prefix = vlanText(eth.vlanTci);
  // A second (QinQ inner) tag stays in the payload; unwrap tags one by one.
  while (isVlanTpid(type)) {
    if (payload.length < 4) return `${prefix}[|vlan]`;
    prefix += vlanText(be16(payload, 0));
    type = be16(payload, 2);
    payload = payload.subarray(4);
  }
  if (type < ETHERTYPE_MIN) {
    return `${prefix}${mac(frame, 6)} > ${mac(frame, 0)}, 802.3, length ${payload.length}`;
  }
  return prefix + describeEthertype(type, payload, frame);
}

/** A tcpdump-style summary of a bare IPv4 or IPv6 packet (by its version nibble). */
export function describeIp(packet: Uint8Array): string {
  const version = (packet[0] ?? 0) >>> 4;
  return version === 6 ? describeIpv6(packet, 0) : describeIpv4(packet, 0);
}

/** IPv4-in-IPv4 (RFC 2003); not among the uapi IPPROTO_* constants yet. */
const IPPROTO_IPIP = 4;

/** Tunnels (IP-in-IP, 6in4) are described inside their carrier, this deep at most. */
const MAX_TUNNEL_DEPTH = 4;

function describeTunnel(protocol: number, inner: Uint8Array, depth: number): string | null {
  if (depth >= MAX_TUNNEL_DEPTH) return null;
  if (protocol === IPPROTO_IPIP) return describeIpv4(inner, depth + 1);
  if (protocol === IPPROTO_IPV6) return describeIpv6(inner, depth + 1);
  return null;
}

function describeEthertype(type: number, payload: Uint8Array, frame: Uint8Array): string {
  switch (type) {
    case ETH_P_IP:
      return describeIpv4(payload, 0);
    case ETH_P_IPV6:
      return describeIpv6(payload, 0);
    case ETH_P_ARP:
      return describeArp(payload);
    default: {
      const name = ETHERTYPE_NAMES.get(type) ?? 'Unknown';
      return `${mac(frame, 6)} > ${mac(frame, 0)}, ethertype ${name} (0x${hex4(type)}), length ${frame.length}`;
    }
  }
}

// tcpdump's names (ethertype.h) for types it knows but we do not decode.
const ETHERTYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [0x8035, 'Reverse ARP'],
  [0x8847, 'MPLS unicast'],
  [0x8848, 'MPLS multicast'],
  [0x8863, 'PPPoE D'],
  [0x8864, 'PPPoE S'],
  [0x888e, 'EAPOL'],
  [0x88cc, 'LLDP'],
  [0x88f7, 'PTP'],
  [0x9000, 'Loopback'],
]);

function vlanText(tci: number): string {
  return `vlan ${tci & 0xfff}, p ${tci >>> 13}${(tci & 0x1000) !== 0 ? ', DEI' : ''}, `;
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}

function mac(bytes: Uint8Array, offset: number): string {
  return MacAddr.fromBytes(bytes, offset).toString();
}

function ip4(bytes: Uint8Array, offset: number): string {
  return formatIpv4(ipv4At(bytes, offset));
}

function ip6(bytes: Uint8Array, offset: number): string {
  return Ipv6Addr.fromBytes(bytes, offset).toString();
}

// ---------------------------------------------------------------- ARP (print-arp.c)

function describeArp(a: Uint8Array): string {
  if (a.length < 8) return 'ARP, [|arp]';
  const hln = a[4] as number;
  const pln = a[5] as number;
  const op = be16(a, 6);
  const len = `, length ${a.length}`;
  // Addresses are printed for any hardware type with 6-byte MACs and IPv4 (tcpdump does
  // the same for IEEE 802 ARP), otherwise only the header is named.
  if (hln !== 6 || pln !== 4 || be16(a, 2) !== ETH_P_IP) {
    return `ARP, hardware #${be16(a, 0)}, protocol 0x${hex4(be16(a, 2))}, op ${op}${len}`;
  }
  if (a.length < ARP_PACKET_LEN) return 'ARP, [|arp]';
  const sha = mac(a, 8);
  const spa = ip4(a, 14);
  const tha = mac(a, 18);
  const tpa = ip4(a, 24);
  switch (op) {
    case ARPOP_REQUEST: {
      const thaKnown = macKeyAt(a, 18) !== 0;
      return `ARP, Request who-has ${tpa}${thaKnown ? ` (${tha})` : ''} tell ${spa}${len}`;
    }
    case ARPOP_REPLY:
      return `ARP, Reply ${spa} is-at ${sha}${len}`;
    case 3: // ARPOP_RREQUEST (RFC 903)
      return `ARP, Reverse Request who-is ${tha} tell ${sha}${len}`;
    case 4:
      return `ARP, Reverse Reply ${tha} at ${tpa}${len}`;
    case 8: // ARPOP_InREQUEST (RFC 2390)
      return `ARP, Inverse Request who-is ${tha} tell ${sha}${len}`;
    case 9:
      return `ARP, Inverse Reply ${sha} at ${spa}${len}`;
    default:
      return `ARP, Unknown (${op})${len}`;
  }
}

// ---------------------------------------------------------------- IPv4 (print-ip.c)

function describeIpv4(bytes: Uint8Array, depth: number): string {
  if (bytes.length < 1) return 'IP [|ip]';
  const version = (bytes[0] as number) >>> 4;
  if (version !== 4) return `IP${version} (invalid)`;
  if (bytes.length < 20) return 'IP [|ip]';
  const hlen = ((bytes[0] as number) & 0x0f) * 4;
  if (hlen < 20) return `IP bad-hlen ${hlen}`;
  const total = be16(bytes, 2);
  if (total < hlen) return `IP bad-len ${total}`;
  const ip = Ipv4Packet.checkedQuoted(bytes);
  if (ip === null) return 'IP [|ip]'; // options cut short
  let out = 'IP ';
  if (total > bytes.length) out += `truncated-ip - ${total - bytes.length} bytes missing! `;
  const src = formatIpv4(ip.src);
  const dst = formatIpv4(ip.dst);
  // The payload ends at the total length or at the end of what was captured.
  const payload = bytes.subarray(hlen, Math.min(total, bytes.length));
  const plen = total - hlen;
  if (ip.fragOffset !== 0) return `${out}${src} > ${dst}: ip-proto-${ip.protocol}`;
  switch (ip.protocol) {
    case IPPROTO_ICMP:
      return `${out}${src} > ${dst}: ${describeIcmp(payload, plen)}`;
    case IPPROTO_IGMP:
      return `${out}${src} > ${dst}: ${describeIgmp(payload, plen)}`;
    case IPPROTO_UDP:
      // A first fragment carries a UDP length for the whole datagram.
      return out + describeUdp(payload, plen, src, dst, ip.moreFrags);
    case IPPROTO_TCP:
      return out + describeTcp(payload, plen, src, dst);
    default: {
      const inner = describeTunnel(ip.protocol, payload, depth);
      if (inner !== null) return `${out}${src} > ${dst}: ${inner}`;
      return `${out}${src} > ${dst}: ip-proto-${ip.protocol} ${plen}`;
    }
  }
}

// ---------------------------------------------------------------- ICMP (print-icmp.c)

const ICMP_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'echo reply'],
  [4, 'source quench'],
  [8, 'echo request'],
  [10, 'router solicitation'],
  [13, 'time stamp request'],
  [14, 'time stamp reply'],
  [15, 'information request'],
  [16, 'information reply'],
  [17, 'address mask request'],
]);

// RFC 792 / RFC 1812 unreachable codes; `%s` is the quoted datagram's destination.
const UNREACH_FORMATS: ReadonlyMap<number, string> = new Map([
  [0, 'net %s unreachable'],
  [1, 'host %s unreachable'],
  [5, '%s unreachable - source route failed'],
  [6, 'net %s unreachable - unknown'],
  [7, 'host %s unreachable - unknown'],
  [8, '%s unreachable - source host isolated'],
  [9, 'net %s unreachable - admin prohibited'],
  [10, 'host %s unreachable - admin prohibited'],
  [11, 'net %s unreachable - tos prohibited'],
  [12, 'host %s unreachable - tos prohibited'],
  [13, 'host %s unreachable - admin prohibited filter'],
  [14, 'host %s unreachable - host precedence violation'],
  [15, 'host %s unreachable - precedence cutoff'],
]);

const REDIRECT_FORMATS: ReadonlyMap<number, string> = new Map([
  [0, 'redirect %s to net %s'],
  [1, 'redirect %s to host %s'],
  [2, 'redirect-tos %s to net %s'],
  [3, 'redirect-tos %s to host %s'],
]);

function fill(format: string, ...values: string[]): string {
  let i = 0;
  return format.replace(/%s/g, () => values[i++] ?? '');
}

/** The ICMP body text; `plen` is the IP payload length from the header. */
function describeIcmp(m: Uint8Array, plen: number): string {
  if (m.length < 2) return '[|icmp]';
  const type = m[0] as number;
  const code = m[1] as number;
  const trunc = '[|icmp]';
  // The quoted datagram's destination address (ICMP header 8 + IPv4 dst offset 16).
  const quotedDst = (): string | null => (m.length >= 28 ? ip4(m, 24) : null);
  let text: string;
  switch (type) {
    case 0:
    case 8: {
      if (m.length < 8) return trunc;
      const what = type === 8 ? 'request' : 'reply';
      text = `echo ${what}, id ${be16(m, 4)}, seq ${be16(m, 6)}`;
      break;
    }
    case 3: {
      const dst = quotedDst();
      if (dst === null) return trunc;
      if (code === 2) {
        text = `${dst} protocol ${m[17] as number} unreachable`;
      } else if (code === 3) {
        const ihl = ((m[8] as number) & 0x0f) * 4;
        const at = 8 + ihl + 2;
        if (m.length < at + 2) return trunc;
        const proto = m[17] as number;
        const dport = be16(m, at);
        text =
          proto === IPPROTO_TCP
            ? `${dst} tcp port ${dport} unreachable`
            : proto === IPPROTO_UDP
              ? `${dst} udp port ${dport} unreachable`
              : `${dst} protocol ${proto} port ${dport} unreachable`;
      } else if (code === 4) {
        const mtu = be16(m, 6);
        text = `${dst} unreachable - need to frag${mtu !== 0 ? ` (mtu ${mtu})` : ''}`;
      } else {
        text = fill(UNREACH_FORMATS.get(code) ?? `%s unreachable - #${code}`, dst);
      }
      break;
    }
    case 5: {
      const dst = quotedDst();
      if (dst === null) return trunc;
      text = fill(REDIRECT_FORMATS.get(code) ?? `redirect-#${code} %s to %s`, dst, ip4(m, 4));
      break;
    }
    case 11: {
      if (quotedDst() === null) return trunc;
      text =
        code === 0
          ? 'time exceeded in-transit'
          : code === 1
            ? 'ip reassembly time exceeded'
            : `time exceeded-#${code}`;
      break;
    }
    case 12: {
      if (code !== 0) text = `parameter problem - code ${code}`;
      else if (m.length < 5) return trunc;
      else text = `parameter problem - octet ${m[4] as number}`;
      break;
    }
    case 18:
      if (m.length < 12) return trunc;
      text = `address mask is 0x${be32(m, 8).toString(16).padStart(8, '0')}`;
      break;
    default:
      text = ICMP_NAMES.get(type) ?? `type-#${type}`;
  }
  return `ICMP ${text}, length ${plen}`;
}

// ---------------------------------------------------------------- IGMP (print-igmp.c)

function describeIgmp(m: Uint8Array, plen: number): string {
  if (m.length < 1) return '[|igmp]';
  const type = m[0] as number;
  switch (type) {
    case 0x11: {
      if (m.length < 8) return '[|igmp]';
      const code = m[1] as number;
      const group = be32(m, 4);
      const gaddr = group !== 0 ? ` [gaddr ${ip4(m, 4)}]` : '';
      if (plen >= 12) {
        if (m.length < 12) return 'igmp query v3 [|igmp]';
        // RFC 3376 §4.1.1: a Max Resp Code of 128 or more is a floating-point value.
        const mrt = code < 128 ? code : ((code & 0x0f) | 0x10) << (((code >>> 4) & 7) + 3);
        let text = 'igmp query v3';
        if (mrt !== 100) {
          const t =
            mrt < 600 ? `${Math.floor(mrt / 10)}.${mrt % 10}s` : relts(Math.floor(mrt / 10));
          text += ` [max resp time ${t}]`;
        }
        if (group === 0) return text;
        const sources = be16(m, 10);
        return `${text} [gaddr ${ip4(m, 4)}${sources > 0 ? `, ${sources} source(s)` : ''}]`;
      }
      if (code === 0) return `igmp query v1${gaddr}`;
      return `igmp query v2${code !== 100 ? ` [max resp time ${code}]` : ''}${gaddr}`;
    }
    case 0x12:
    case 0x16:
    case 0x17: {
      if (m.length < 8) return '[|igmp]';
      const name = type === 0x12 ? 'v1 report' : type === 0x16 ? 'v2 report' : 'leave';
      return `igmp ${name} ${ip4(m, 4)}`;
    }
    case 0x22: {
      if (m.length < 8) return '[|igmp]';
      return `igmp v3 report, ${be16(m, 6)} group record(s)`;
    }
    default:
      return `igmp-${type}`;
  }
}

/** Seconds as tcpdump's unsigned_relts_print writes them: `1h2m3s`, `0s`. */
function relts(seconds: number): string {
  const units: readonly (readonly [number, string])[] = [
    [31536000, 'y'],
    [604800, 'w'],
    [86400, 'd'],
    [3600, 'h'],
    [60, 'm'],
    [1, 's'],
  ];
  if (seconds === 0) return '0s';
  let rest = seconds;
  let s = '';
  for (const [size, unit] of units) {
    if (rest >= size) {
      s += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return s;
}

// ---------------------------------------------------------------- UDP / TCP

/**
 * `a.p > b.q`; when tcpdump reaches UDP/TCP through IPv6 extension headers it has
 * already printed the addresses and shows the ports alone (src and dst are null).
 */
function endpoints(src: string | null, dst: string | null, sp: number, dp: number): string {
  return src === null || dst === null ? `${sp} > ${dp}` : `${src}.${sp} > ${dst}.${dp}`;
}

/** What to print when even the ports are missing. */
function noPorts(src: string | null, dst: string | null, marker: string): string {
  return src === null || dst === null ? marker : `${src} > ${dst}: ${marker}`;
}

function describeUdp(
  u: Uint8Array,
  plen: number,
  src: string | null,
  dst: string | null,
  fragmented = false,
): string {
  if (u.length < 4) return noPorts(src, dst, '[|udp]');
  const head = endpoints(src, dst, be16(u, 0), be16(u, 2));
  if (u.length < 8) return `${head}: [|udp]`;
  const ulen = be16(u, 4);
  if (ulen < 8) return `${head}: truncated-udp length ${ulen}`;
  if (ulen > plen && !fragmented) return `${head}: UDP, bad length ${ulen - 8} > ${plen - 8}`;
  return `${head}: UDP, length ${ulen - 8}`;
}

const TCP_FLAGS: readonly (readonly [number, string])[] = [
  [0x01, 'F'],
  [0x02, 'S'],
  [0x04, 'R'],
  [0x08, 'P'],
  [0x10, '.'],
  [0x20, 'U'],
  [0x40, 'E'],
  [0x80, 'W'],
];

function describeTcp(t: Uint8Array, plen: number, src: string | null, dst: string | null): string {
  if (t.length < 4) return noPorts(src, dst, '[|tcp]');
  const head = endpoints(src, dst, be16(t, 0), be16(t, 2));
  if (t.length < 20) return `${head}: [|tcp]`;
  const hlen = ((t[12] as number) >>> 4) * 4;
  if (hlen < 20) return `${head}: tcp ${plen - hlen} [bad hdr length ${hlen} - too short, < 20]`;
  const flags = t[13] as number;
  let flagText = '';
  for (const [bit, ch] of TCP_FLAGS) if ((flags & bit) !== 0) flagText += ch;
  let out = `${head}: Flags [${flagText === '' ? 'none' : flagText}]`;
  if (hlen > plen) return `${out} [bad hdr length ${hlen} - too long, > ${plen}]`;
  const seq = be32(t, 4);
  const ack = be32(t, 8);
  const len = plen - hlen;
  if (len > 0 || (flags & 0x07) !== 0) {
    out += `, seq ${seq}`;
    if (len > 0) out += `:${(seq + len) >>> 0}`;
  }
  if ((flags & 0x10) !== 0) out += `, ack ${ack}`;
  out += `, win ${be16(t, 14)}`;
  if ((flags & 0x20) !== 0) out += `, urg ${be16(t, 18)}`;
  if (hlen > 20) {
    if (t.length < hlen) return `${out}, options [|tcp]`;
    out += `, options [${tcpOptions(t.subarray(20, hlen))}]`;
  }
  return `${out}, length ${len}`;
}

const TCP_OPTION_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'eol'],
  [1, 'nop'],
  [2, 'mss'],
  [3, 'wscale'],
  [4, 'sackOK'],
  [5, 'sack'],
  [8, 'TS'],
  [19, 'md5'],
  [28, 'uto'],
  [29, 'tcp-ao'],
  [30, 'mptcp'],
  [34, 'tfo'],
]);

/** Option list as print-tcp.c writes it (RFC 793, RFC 7323, RFC 2018). */
function tcpOptions(o: Uint8Array): string {
  const parts: string[] = [];
  let i = 0;
  while (i < o.length) {
    const kind = o[i] as number;
    const name = TCP_OPTION_NAMES.get(kind) ?? `unknown-${kind}`;
    if (kind === 0 || kind === 1) {
      parts.push(name);
      i++;
      if (kind === 0) break;
      continue;
    }
    if (i + 1 >= o.length) {
      parts.push(`${name} [|tcp]`);
      break;
    }
    const len = o[i + 1] as number;
    if (len < 2 || i + len > o.length) {
      parts.push(`${name} [bad opt]`);
      break;
    }
    const d = o.subarray(i + 2, i + len);
    switch (kind) {
      case 2:
        parts.push(d.length === 2 ? `mss ${be16(d, 0)}` : `mss [bad opt]`);
        break;
      case 3:
        parts.push(d.length === 1 ? `wscale ${d[0] as number}` : `wscale [bad opt]`);
        break;
      case 5: {
        if (d.length % 8 !== 0) {
          parts.push('sack invalid');
          break;
        }
        let s = `sack ${d.length / 8} `;
        for (let k = 0; k < d.length; k += 8) s += `{${be32(d, k)}:${be32(d, k + 4)}}`;
        parts.push(s);
        break;
      }
      case 8:
        parts.push(d.length === 8 ? `TS val ${be32(d, 0)} ecr ${be32(d, 4)}` : 'TS [bad opt]');
        break;
      case 253:
      case 254: // RFC 6994 experiments are named by their ExID
        parts.push(d.length >= 2 ? `exp-${hex4(be16(d, 0))}` : 'exp [bad opt]');
        break;
      default:
        parts.push(d.length === 0 ? name : `${name} 0x${toHexString(d)}`);
    }
    i += len;
  }
  return parts.join(',');
}

function toHexString(d: Uint8Array): string {
  let s = '';
  for (const b of d) s += b.toString(16).padStart(2, '0');
  return s;
}

// ---------------------------------------------------------------- IPv6 (print-ip6.c)

const IPV6_HEADER_LEN = 40;

function describeIpv6(bytes: Uint8Array, depth: number): string {
  if (bytes.length < 1) return 'IP6 [|ip6]';
  const version = (bytes[0] as number) >>> 4;
  if (version !== 6) return `IP6 version error: ${version} != 6`;
  if (bytes.length < IPV6_HEADER_LEN) return 'IP6 [|ip6]';
  const payloadLen = be16(bytes, 4);
  const total = IPV6_HEADER_LEN + payloadLen;
  let out = 'IP6 ';
  if (total > bytes.length) out += `truncated-ip6 - ${total - bytes.length} bytes missing! `;
  const end = Math.min(total, bytes.length);
  const src = ip6(bytes, 8);
  const dst = ip6(bytes, 24);
  let nh = bytes[6] as number;
  let off = IPV6_HEADER_LEN;
  let chain = '';
  // Each step advances at least 8 bytes, so the walk ends.
  for (;;) {
    if (nh === IPPROTO_HOPOPTS || nh === IPPROTO_DSTOPTS || nh === IPPROTO_ROUTING) {
      if (off + 8 > end) return `${out}${src} > ${dst}: ${chain}[|ip6]`;
      const len = ((bytes[off + 1] as number) + 1) * 8;
      if (off + len > end) return `${out}${src} > ${dst}: ${chain}[|ip6]`;
      if (nh === IPPROTO_HOPOPTS) chain += 'HBH ';
      else if (nh === IPPROTO_DSTOPTS) chain += 'DSTOPT ';
      else chain += routingText(bytes, off, len);
      nh = bytes[off] as number;
      off += len;
      continue;
    }
    if (nh === IPPROTO_FRAGMENT) {
      if (off + 8 > end) return `${out}${src} > ${dst}: ${chain}frag [|ip6]`;
      const fragOff = be16(bytes, off + 2) & 0xfff8;
      nh = bytes[off] as number;
      off += 8;
      chain += `frag (${fragOff}|${total - off}) `;
      if (fragOff !== 0) return `${out}${src} > ${dst}: ${chain.trimEnd()}`;
      continue;
    }
    break;
  }
  const payload = bytes.subarray(off, end);
  const plen = total - off;
  // tcpdump prints addresses with the ports only when UDP/TCP follows the fixed header.
  const direct = off === IPV6_HEADER_LEN;
  const addrs = `${src} > ${dst}: ${chain}`;
  switch (nh) {
    case IPPROTO_UDP:
      return direct
        ? out + describeUdp(payload, plen, src, dst)
        : out + addrs + describeUdp(payload, plen, null, null);
    case IPPROTO_TCP:
      return direct
        ? out + describeTcp(payload, plen, src, dst)
        : out + addrs + describeTcp(payload, plen, null, null);
    case IPPROTO_ICMPV6:
      return out + addrs + describeIcmp6(payload, plen);
    case IPPROTO_NONE:
      return `${out}${addrs}no next header`;
    default: {
      const inner = describeTunnel(nh, payload, depth);
      if (inner !== null) return `${out}${addrs}${inner}`;
      return `${out}${addrs}ip-proto-${nh} ${plen}`;
    }
  }
}

/** `RT6 (...) ` for a Routing header of `len` bytes at `off` (print-rt6.c, short form). */
function routingText(bytes: Uint8Array, off: number, len: number): string {
  const type = bytes[off + 2] as number;
  let s = `RT6 (len=${bytes[off + 1] as number}, type=${type}${type === 0 ? ' [Deprecated]' : ''}, segleft=${bytes[off + 3] as number}`;
  // Types 0 (RFC 2460, deprecated by RFC 5095) and 2 (RFC 6275) list addresses after 8 bytes.
  if (type === 0 || type === 2) {
    for (let i = 0, at = off + 8; at + 16 <= off + len; i++, at += 16)
      s += `, [${i}]${ip6(bytes, at)}`;
  }
  return `${s}) `;
}

// ---------------------------------------------------------------- ICMPv6 (print-icmp6.c)

const ICMP6_UNREACH: ReadonlyMap<number, string> = new Map([
  [0, 'unreachable route %s'],
  [1, ' unreachable prohibited %s'], // tcpdump's double space, normalised away by callers
  [3, 'unreachable address %s'],
]);

const ICMP6_PARAM: ReadonlyMap<number, string> = new Map([
  [0, 'erroneous - octet'],
  [1, 'next header - octet'],
  [2, 'option - octet'],
  [3, 'incomplete header chain - octet'],
]);

const ICMP6_NAMES: ReadonlyMap<number, string> = new Map([
  [1, 'destination unreachable'],
  [2, 'packet too big'],
  [3, 'time exceeded'],
  [4, 'parameter problem'],
  [128, 'echo request'],
  [129, 'echo reply'],
  [130, 'multicast listener query'],
  [131, 'multicast listener report'],
  [132, 'multicast listener done'],
  [133, 'router solicitation'],
  [134, 'router advertisement'],
  [135, 'neighbor solicitation'],
  [136, 'neighbor advertisement'],
  [137, 'redirect'],
  [143, 'multicast listener report v2'],
]);

function describeIcmp6(m: Uint8Array, plen: number): string {
  if (m.length < 2) return 'ICMP6, [|icmp6]';
  const type = m[0] as number;
  const code = m[1] as number;
  const trunc = `ICMP6, ${ICMP6_NAMES.get(type) ?? `unknown icmp6 type (${type})`} [|icmp6]`;
  // The quoted packet's addresses: ICMPv6 header 8 + IPv6 src 8 / dst 24.
  const quoted = m.length >= 48;
  let text: string;
  switch (type) {
    case 1: {
      if (!quoted) return trunc;
      const dst = ip6(m, 32);
      text = 'destination unreachable, ';
      if (code === 4) {
        const port = quotedPort(m);
        if (port === null) return trunc;
        text += `unreachable port, ${dst} ${port}`;
      } else if (code === 2) {
        text += `beyond scope ${dst}, source address ${ip6(m, 16)}`;
      } else {
        text += fill(ICMP6_UNREACH.get(code)?.trim() ?? `unknown unreach code (${code})`, dst);
      }
      break;
    }
    case 2:
      if (m.length < 8) return trunc;
      text = `packet too big, mtu ${be32(m, 4)}`;
      break;
    case 3: {
      if (!quoted) return trunc;
      text =
        code === 0
          ? `time exceeded in-transit for ${ip6(m, 32)}`
          : code === 1
            ? 'time exceeded in-transit (reassembly)'
            : `time exceeded in-transit, unknown code (${code})`;
      break;
    }
    case 4: {
      if (m.length < 8) return trunc;
      const what = ICMP6_PARAM.get(code) ?? `code-#${code}`;
      text = `parameter problem, ${what} ${be32(m, 4)}`;
      break;
    }
    case 128:
    case 129:
      if (m.length < 8) return trunc;
      text = `echo ${type === 128 ? 'request' : 'reply'}, id ${be16(m, 4)}, seq ${be16(m, 6)}`;
      break;
    case 130:
      if (plen >= 28) {
        // RFC 3810 §5.1: MLDv2 queries are at least 28 bytes.
        if (m.length < 28) return trunc;
        const sources = be16(m, 26);
        text = `multicast listener query v2 [gaddr ${ip6(m, 8)}${sources > 0 ? `, ${sources} source(s)` : ''}]`;
        break;
      }
      return mldv1('query', m, plen);
    case 131:
      return mldv1('report', m, plen);
    case 132:
      return mldv1('done', m, plen);
    case 133:
      text = 'router solicitation';
      break;
    case 134:
      text = 'router advertisement';
      break;
    case 135:
      if (m.length < 24) return trunc;
      text = `neighbor solicitation, who has ${ip6(m, 8)}`;
      break;
    case 136:
      if (m.length < 24) return trunc;
      text = `neighbor advertisement, tgt is ${ip6(m, 8)}`;
      break;
    case 137:
      if (m.length < 40) return trunc;
      text = `redirect, ${ip6(m, 24)} to ${ip6(m, 8)}`;
      break;
    case 143:
      if (m.length < 8) return trunc;
      text = `multicast listener report v2, ${be16(m, 6)} group record(s)`;
      break;
    default:
      text = `unknown icmp6 type (${type})`;
  }
  return `ICMP6, ${text}, length ${plen}`;
}

function mldv1(what: string, m: Uint8Array, plen: number): string {
  if (m.length < 24) return `ICMP6, multicast listener ${what} [|icmp6]`;
  return `ICMP6, multicast listener ${what} max resp delay: ${be16(m, 4)} addr: ${ip6(m, 8)}, length ${plen}`;
}

/** `udp port N` / `tcp port N` / `proto P port N` for the packet quoted in an ICMPv6 error. */
function quotedPort(m: Uint8Array): string | null {
  // Only the fixed header is skipped, as print-icmp6.c does.
  const nh = m[8 + 6];
  const at = 8 + IPV6_HEADER_LEN + 2;
  if (nh === undefined || m.length < at + 2) return null;
  const port = be16(m, at);
  if (nh === IPPROTO_UDP) return `udp port ${port}`;
  if (nh === IPPROTO_TCP) return `tcp port ${port}`;
  return `proto ${nh} port ${port}`;
}
