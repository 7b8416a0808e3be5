// Network address translation through conntrack (Linux: net/netfilter/nf_nat_core.c,
// nf_nat_proto.c, nf_nat_masquerade.c). The NAT core hooks at NF_IP_PRI_NAT_DST
// (prerouting, output) and NF_IP_PRI_NAT_SRC (input, postrouting) and runs the
// nat-type chains registered below it only for the first packet of a connection; the
// binding it sets up rewrites the reply tuple, and every later packet of the flow is
// rewritten from the tuples alone, both ways. Checksums are patched incrementally
// (RFC 1624). Left out: re-routing after DNAT on output (ip_route_me_harder), port
// ranges and persistent/random flags, IPv6 masquerade.

import { RT_SCOPE_UNIVERSE } from '../../uapi/rtnetlink.ts';
import { ipv4, isIpv4, type IpAddr } from '../../wire/address.ts';
import { be16, setBe16 } from '../../wire/bytes.ts';
import {
  finishChecksum,
  internetChecksum,
  sumBytes,
  updateChecksum16,
} from '../../wire/checksum.ts';
import { inetSelectAddr } from '../inet.ts';
import type { NetNamespace } from '../netns.ts';
import type { SkBuff } from '../skb.ts';
import {
  IPS_DST_NAT,
  IPS_DST_NAT_DONE,
  IPS_NAT_MASK,
  IPS_SRC_NAT,
  IPS_SRC_NAT_DONE,
  conntrackGet,
  conntrackOf,
  conntrackPut,
  ctInfoDir,
  invertTuple,
  nfCtGet,
  tupleEquals,
  type CtDir,
  type NfConn,
  type NfConnTuple,
} from './conntrack.ts';
import {
  NF_IP_PRI_NAT_DST,
  NF_IP_PRI_NAT_SRC,
  nfRegisterHook,
  nfUnregisterHook,
  type NfHookFn,
  type NfHookOps,
  type NfHookState,
  type NfInetHook,
  type NfProto,
  type NfVerdict,
} from './hooks.ts';
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP, networkOffset } from './packet.ts';

/** Which end of the original tuple a hook rewrites (enum nf_nat_manip_type). */
export type NatManip = 'src' | 'dst';

/** Linux: HOOK2MANIP. Source NAT on the way out of (or into) the host, destination NAT on the way in. */
export function hookManip(hook: NfInetHook): NatManip {
  return hook === 'postrouting' || hook === 'input' ? 'src' : 'dst';
}

function doneBit(manip: NatManip): number {
  return manip === 'src' ? IPS_SRC_NAT_DONE : IPS_DST_NAT_DONE;
}

/** True once the binding for `manip` exists (Linux: nf_nat_initialized). */
export function natInitialized(ct: NfConn, manip: NatManip): boolean {
  return (ct.status & doneBit(manip)) !== 0;
}

/** Where to map one end of a connection: an address and, optionally, a port (or ICMP id). */
export interface NatRange {
  readonly addr: IpAddr;
  readonly port?: number;
}

function withManip(t: NfConnTuple, manip: NatManip, addr: IpAddr, port: number): NfConnTuple {
  if (manip === 'src') return { ...t, src: addr, srcPort: port };
  return { ...t, dst: addr, dstPort: port };
}

/**
 * Linux: nf_nat_setup_info with get_unique_tuple. Binds `ct` (not yet confirmed) so
 * that its `manip` end becomes `range`; `null` sets up the identity ("null binding").
 * When the translated tuple is already used by another connection the source port (or
 * ICMP id) moves to the next free one, as Linux's nf_nat_l4proto_unique_tuple does.
 */
export function natSetupInfo(
  ns: NetNamespace,
  ct: NfConn,
  range: NatRange | null,
  manip: NatManip,
): void {
  if (natInitialized(ct, manip)) return;
  const table = conntrackOf(ns);
  // What the original direction looks like after any earlier manip.
  const current = invertTuple(ct.tuple[1]) ?? ct.tuple[0];
  let next = current;
  if (range !== null) {
    const port = range.port ?? (manip === 'src' ? current.srcPort : current.dstPort);
    next = withManip(current, manip, range.addr, port);
    const used = (t: NfConnTuple): boolean => {
      const reply = invertTuple(t);
      return reply !== null && table.tupleTaken(reply, ct);
    };
    const portful = next.proto === IPPROTO_TCP || next.proto === IPPROTO_UDP;
    const idful = next.proto === IPPROTO_ICMP || next.proto === IPPROTO_ICMPV6;
    if (used(next) && range.port === undefined && (portful || (idful && manip === 'src'))) {
      const start = manip === 'src' ? next.srcPort : next.dstPort;
      const [lo, hi] = idful ? [0, 65535] : start < 1024 ? [1, 1023] : [1024, 65535];
      const span = hi - lo + 1;
      for (let i = 1; i < span; i++) {
        const p = lo + ((start - lo + i) % span);
        const candidate = withManip(current, manip, range.addr, p);
        if (!used(candidate)) {
          next = candidate;
          break;
        }
      }
    }
  }
  if (!tupleEquals(next, current)) {
    const reply = invertTuple(next);
    if (reply !== null) {
      ct.tuple[1] = reply;
      ct.status |= manip === 'src' ? IPS_SRC_NAT : IPS_DST_NAT;
    }
  }
  ct.status |= doneBit(manip);
}

/**
 * Linux: nf_nat_masquerade_ipv4. The address `out` would use as a source, or null when
 * it has none (the packet is then dropped). IPv6 is not modelled yet.
 */
export function masqueradeAddr(state: NfHookState, dst: IpAddr): IpAddr | null {
  if (state.out === null || !isIpv4(dst)) return null;
  const addr = inetSelectAddr(state.out, dst, RT_SCOPE_UNIVERSE);
  return addr === 0 ? null : ipv4(addr);
}

// ---------------------------------------------------------------- rewriting

/** RFC 1624 over a run of 16-bit words that changed from `oldBytes` to `newBytes`. */
export function updateChecksumBytes(
  checksum: number,
  oldBytes: Uint8Array,
  newBytes: Uint8Array,
): number {
  let sum = checksum;
  for (let i = 0; i + 1 < oldBytes.length; i += 2)
    sum = updateChecksum16(sum, be16(oldBytes, i), be16(newBytes, i));
  return sum;
}

function addrBytes(addr: IpAddr): Uint8Array {
  if (isIpv4(addr))
    return Uint8Array.of(addr >>> 24, (addr >>> 16) & 255, (addr >>> 8) & 255, addr & 255);
  return addr.bytes;
}

/** Patches the 16-bit checksum at `off` of `bytes` for an address and a port change. */
function patchL4Checksum(
  bytes: Uint8Array,
  off: number,
  oldAddr: Uint8Array,
  newAddr: Uint8Array,
  oldPort: number,
  newPort: number,
  zeroMeansNone: boolean,
): void {
  if (off + 2 > bytes.length) return; // a quoted header cut before its checksum
  const old = be16(bytes, off);
  if (zeroMeansNone && old === 0) return; // UDP over IPv4 without a checksum stays so
  let sum = updateChecksumBytes(old, oldAddr, newAddr);
  sum = updateChecksum16(sum, oldPort, newPort);
  // A computed zero is sent as all ones in UDP (RFC 768; Linux CSUM_MANGLED_0).
  if (zeroMeansNone && sum === 0) sum = 0xffff;
  setBe16(bytes, off, sum);
}

/**
 * Linux: nf_nat_ipv4_manip_pkt / nf_nat_ipv6_manip_pkt with the l4 manips. Rewrites
 * the `manip` end of the datagram at `l3` (IP header first) to `target` and patches
 * the IP, TCP, UDP, ICMP and ICMPv6 checksums. Works on quoted datagrams too: a field
 * past the end of the bytes is left alone.
 */
export function natManipPkt(
  l3: Uint8Array,
  pf: NfProto,
  target: NfConnTuple,
  manip: NatManip,
): void {
  const v4 = pf === 'ipv4';
  if (l3.length < (v4 ? 20 : 40)) return;
  const addrOff = v4 ? (manip === 'src' ? 12 : 16) : manip === 'src' ? 8 : 24;
  const addrLen = v4 ? 4 : 16;
  const oldAddr = l3.slice(addrOff, addrOff + addrLen);
  const newAddr = addrBytes(manip === 'src' ? target.src : target.dst);
  let proto: number;
  let l4Off: number;
  if (v4) {
    proto = l3[9] as number;
    const fragOff = be16(l3, 6) & 0x1fff;
    l4Off = fragOff === 0 ? ((l3[0] as number) & 0x0f) * 4 : -1;
  } else {
    // Only a transport header right after the fixed header is rewritten; NAT of
    // datagrams with extension headers is left to the address change.
    proto = l3[6] as number;
    l4Off = 40;
  }
  if (l4Off >= 0 && l4Off < l3.length) {
    const l4 = l3.subarray(l4Off);
    const newPort = manip === 'src' ? target.srcPort : target.dstPort;
    switch (proto) {
      case IPPROTO_TCP:
      case IPPROTO_UDP: {
        const portOff = manip === 'src' ? 0 : 2;
        if (l4.length >= portOff + 2) {
          const oldPort = be16(l4, portOff);
          const csumOff = proto === IPPROTO_TCP ? 16 : 6;
          patchL4Checksum(
            l4,
            csumOff,
            oldAddr,
            newAddr,
            oldPort,
            newPort,
            v4 && proto === IPPROTO_UDP,
          );
          setBe16(l4, portOff, newPort);
        }
        break;
      }
      case IPPROTO_ICMP:
      case IPPROTO_ICMPV6: {
        if (l4.length < 8) break;
        const type = l4[0] as number;
        const echoLike = v4
          ? type === 0 || type === 8 || (type >= 13 && type <= 18)
          : type === 128 || type === 129;
        const oldId = be16(l4, 4);
        const newId = echoLike ? target.srcPort : oldId;
        // ICMPv6 covers the pseudo-header; ICMP for IPv4 does not.
        patchL4Checksum(
          l4,
          2,
          v4 ? new Uint8Array(0) : oldAddr,
          v4 ? new Uint8Array(0) : newAddr,
          oldId,
          newId,
          false,
        );
        setBe16(l4, 4, newId);
        break;
      }
    }
  }
  if (v4) setBe16(l3, 10, updateChecksumBytes(be16(l3, 10), oldAddr, newAddr));
  l3.set(newAddr, addrOff);
}

/** Linux: nf_nat_packet. Applies the binding of `ct` for this hook and direction. */
function natPacket(skb: SkBuff, ct: NfConn, dir: CtDir, hook: NfInetHook, pf: NfProto): void {
  const manip = hookManip(hook);
  let statusBit = manip === 'src' ? IPS_SRC_NAT : IPS_DST_NAT;
  if (dir === 1) statusBit ^= IPS_NAT_MASK;
  if ((ct.status & statusBit) === 0) return;
  const other = ct.tuple[dir === 0 ? 1 : 0];
  const target = invertTuple(other);
  if (target === null) return;
  skb.unshare();
  natManipPkt(skb.data.subarray(networkOffset(skb)), pf, target, manip);
}

/**
 * Linux: nf_nat_icmp_reply_translation. An ICMP error RELATED to a translated flow
 * gets its quoted datagram translated back and its outer header aimed like a reply.
 */
function natIcmpReply(skb: SkBuff, ct: NfConn, dir: CtDir, hook: NfInetHook, pf: NfProto): void {
  const manip = hookManip(hook);
  let statusBit = manip === 'src' ? IPS_SRC_NAT : IPS_DST_NAT;
  if (dir === 1) statusBit ^= IPS_NAT_MASK;
  if ((ct.status & statusBit) === 0) return;
  skb.unshare();
  const l3 = skb.data.subarray(networkOffset(skb));
  const v4 = pf === 'ipv4';
  const hdrLen = v4 ? ((l3[0] as number) & 0x0f) * 4 : 40;
  const total = v4 ? be16(l3, 2) : 40 + be16(l3, 4);
  if (total > l3.length || hdrLen + 8 > total) return;
  const icmp = l3.subarray(hdrLen, total);
  const inner = icmp.subarray(8);
  // The quoted datagram travelled the other way: undo the opposite manip on it.
  natManipPkt(inner, pf, ct.tuple[dir === 0 ? 1 : 0], manip === 'src' ? 'dst' : 'src');
  const target = invertTuple(ct.tuple[dir === 0 ? 1 : 0]);
  if (target === null) return;
  // Outer: addresses only (the error's own "id" word is not an echo id).
  const oldAddrOff = v4 ? (manip === 'src' ? 12 : 16) : manip === 'src' ? 8 : 24;
  const newAddr = addrBytes(manip === 'src' ? target.src : target.dst);
  if (v4) {
    setBe16(
      l3,
      10,
      updateChecksumBytes(be16(l3, 10), l3.slice(oldAddrOff, oldAddrOff + 4), newAddr),
    );
  }
  l3.set(newAddr, oldAddrOff);
  // The quote changed, so the ICMP checksum is computed afresh.
  setBe16(icmp, 2, 0);
  if (v4) {
    setBe16(icmp, 2, internetChecksum(icmp));
  } else {
    const len = icmp.length;
    let pseudo = sumBytes(l3.subarray(8, 40)) + (len >>> 16) + (len & 0xffff) + IPPROTO_ICMPV6;
    pseudo = sumBytes(icmp, pseudo);
    setBe16(icmp, 2, finishChecksum(pseudo));
  }
}

// ---------------------------------------------------------------- the NAT core hooks

/** A nat-type chain as the core runs it: its priority and its rules. */
export interface NatChainOps {
  readonly pf: NfProto;
  readonly hook: NfInetHook;
  readonly priority: number;
  readonly fn: NfHookFn;
  readonly owner: string;
}

interface NatCore {
  readonly chains: NatChainOps[];
  readonly ops: Map<string, NfHookOps>;
}

const KEY = 'netfilter.nat';

function natCore(ns: NetNamespace): NatCore {
  let core = ns.proto.get(KEY) as NatCore | undefined;
  if (core === undefined) {
    core = { chains: [], ops: new Map() };
    ns.proto.set(KEY, core);
  }
  return core;
}

const ICMP_ERRORS_V4 = new Set([3, 4, 5, 11, 12]);
const NAT_HOOKS: readonly NfInetHook[] = ['prerouting', 'input', 'output', 'postrouting'];

function isIcmpError(skb: SkBuff, pf: NfProto): boolean {
  const l3 = skb.data.subarray(networkOffset(skb));
  if (pf === 'ipv4') {
    if (l3.length < 20 || l3[9] !== IPPROTO_ICMP) return false;
    const off = ((l3[0] as number) & 0x0f) * 4;
    return ICMP_ERRORS_V4.has(l3[off] ?? 255);
  }
  return l3.length > 40 && l3[6] === IPPROTO_ICMPV6 && (l3[40] ?? 255) < 128;
}

/** Linux: nf_nat_inet_fn. */
function natCoreHook(skb: SkBuff, state: NfHookState): NfVerdict {
  const ref = nfCtGet(skb);
  if (ref === undefined || ref.ct === null) return 'accept';
  const ct = ref.ct;
  const dir = ctInfoDir(ref.info);
  const manip = hookManip(state.hook);
  switch (ref.info) {
    case 'related':
    case 'related_reply':
      if (isIcmpError(skb, state.pf)) {
        natIcmpReply(skb, ct, dir, state.hook, state.pf);
        return 'accept';
      }
      break;
    case 'new':
      if (!natInitialized(ct, manip)) {
        const core = natCore(state.net);
        for (const chain of core.chains) {
          if (chain.pf !== state.pf || chain.hook !== state.hook) continue;
          const verdict = chain.fn(skb, state);
          if (verdict !== 'accept') return verdict;
          if (natInitialized(ct, manip)) break;
        }
        if (!natInitialized(ct, manip)) natSetupInfo(state.net, ct, null, manip);
      }
      break;
    default:
      break;
  }
  natPacket(skb, ct, dir, state.hook, state.pf);
  return 'accept';
}

/**
 * Registers a nat-type chain (Linux: nf_nat_ipv4_register_fn). The first chain of a
 * family puts the NAT core hooks in place; every chain takes a conntrack user.
 */
export function natRegisterChain(ns: NetNamespace, chain: NatChainOps): void {
  const core = natCore(ns);
  let i = core.chains.length;
  while (i > 0 && (core.chains[i - 1] as NatChainOps).priority > chain.priority) i--;
  core.chains.splice(i, 0, chain);
  // Linux registers the NAT core at all four hooks of a family (nf_nat_ipv4_ops): replies
  // are translated back where no nat chain of their own exists.
  for (const hook of NAT_HOOKS) {
    const key = `${chain.pf}:${hook}`;
    if (core.ops.has(key)) continue;
    const ops: NfHookOps = {
      pf: chain.pf,
      hook,
      priority: hookManip(hook) === 'src' ? NF_IP_PRI_NAT_SRC : NF_IP_PRI_NAT_DST,
      fn: natCoreHook,
      owner: 'nat',
    };
    core.ops.set(key, ops);
    nfRegisterHook(ns, ops);
  }
  conntrackGet(ns);
}

/** Removes a chain registered with `natRegisterChain`; the last one of a family removes the core hooks. */
export function natUnregisterChain(ns: NetNamespace, chain: NatChainOps): void {
  const core = natCore(ns);
  const i = core.chains.indexOf(chain);
  if (i < 0) return;
  core.chains.splice(i, 1);
  if (!core.chains.some((c) => c.pf === chain.pf)) {
    for (const hook of NAT_HOOKS) {
      const key = `${chain.pf}:${hook}`;
      const ops = core.ops.get(key);
      if (ops !== undefined) nfUnregisterHook(ns, ops);
      core.ops.delete(key);
    }
  }
  conntrackPut(ns);
}
