// Netfilter hook points (Linux: net/netfilter/core.c). The IP layers call `nfHook` at
// the five places Linux does; conntrack, nft chains and drivers (ipvlan l3s) register
// functions at a priority. Lower priority runs first; equal priorities run in
// registration order.

import type { ErrnoName } from '../../base/errno.ts';
import type { NetDevice } from '../netdev.ts';
import type { NetNamespace } from '../netns.ts';
import type { SkBuff } from '../skb.ts';

/** The five IP hooks (NF_INET_*). */
export type NfInetHook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';

/** Protocol families that have hooks here (NFPROTO_IPV4, NFPROTO_IPV6). */
export type NfProto = 'ipv4' | 'ipv6';

/**
 * What a hook function decided (NF_ACCEPT, NF_DROP, NF_STOLEN). `stolen` means the
 * function took the skb (e.g. ipvlan l3s re-injects it elsewhere).
 */
export type NfVerdict = 'accept' | 'drop' | 'stolen';

/** What a hook function is told (Linux: struct nf_hook_state). */
export interface NfHookState {
  readonly hook: NfInetHook;
  readonly pf: NfProto;
  readonly in: NetDevice | null;
  readonly out: NetDevice | null;
  readonly net: NetNamespace;
}

export type NfHookFn = (skb: SkBuff, state: NfHookState) => NfVerdict;

/** One registration (Linux: struct nf_hook_ops). */
export interface NfHookOps {
  readonly pf: NfProto;
  readonly hook: NfInetHook;
  /** NF_IP_PRI_*: conntrack -200, mangle -150, nat dst -100, filter 0, nat src 100, confirm INT_MAX. */
  readonly priority: number;
  readonly fn: NfHookFn;
  /** Who registered it, for traces (`ct`, `nft inet filter input`, `ipvlan l3s`…). */
  readonly owner: string;
}

/**
 * What a `drop` verdict means to the sender of a locally generated packet: nf_hook_slow
 * returns NF_DROP_GETERR(verdict), and -EPERM when the verdict carries no errno (nft
 * `drop`, conntrack's confirm failure). ip_local_out / ip6_local_out pass it up, so
 * sendmsg(2) fails with it (the n-nf-output-eperm recording: sendto() = -1 EPERM for
 * raw ICMP, IPv4 ping and UDP sockets). No hook here carries another errno.
 */
export const NF_DROP_ERRNO: ErrnoName = 'EPERM';

/** Well-known priorities (include/uapi/linux/netfilter_ipv4.h). */
export const NF_IP_PRI_CONNTRACK_DEFRAG = -400;
export const NF_IP_PRI_RAW = -300;
export const NF_IP_PRI_CONNTRACK = -200;
export const NF_IP_PRI_MANGLE = -150;
export const NF_IP_PRI_NAT_DST = -100;
export const NF_IP_PRI_FILTER = 0;
export const NF_IP_PRI_SECURITY = 50;
export const NF_IP_PRI_NAT_SRC = 100;
export const NF_IP_PRI_CONNTRACK_CONFIRM = 0x7fffffff;

const KEY = 'netfilter.hooks';

type HookTable = Map<string, NfHookOps[]>;

function table(ns: NetNamespace): HookTable {
  let t = ns.proto.get(KEY) as HookTable | undefined;
  if (t === undefined) {
    t = new Map();
    ns.proto.set(KEY, t);
  }
  return t;
}

/** Linux: nf_register_net_hook. */
export function nfRegisterHook(ns: NetNamespace, ops: NfHookOps): void {
  const t = table(ns);
  const key = `${ops.pf}:${ops.hook}`;
  const list = t.get(key) ?? [];
  let i = list.length;
  while (i > 0 && (list[i - 1] as NfHookOps).priority > ops.priority) i--;
  list.splice(i, 0, ops);
  t.set(key, list);
}

/** Linux: nf_unregister_net_hook. */
export function nfUnregisterHook(ns: NetNamespace, ops: NfHookOps): void {
  const list = table(ns).get(`${ops.pf}:${ops.hook}`);
  if (list === undefined) return;
  const i = list.indexOf(ops);
  if (i >= 0) list.splice(i, 1);
}

/** The functions registered at one hook, in the order they run. */
export function nfHooksAt(ns: NetNamespace, pf: NfProto, hook: NfInetHook): readonly NfHookOps[] {
  return (ns.proto.get(KEY) as HookTable | undefined)?.get(`${pf}:${hook}`) ?? EMPTY;
}

const EMPTY: readonly NfHookOps[] = [];

/**
 * Linux: NF_HOOK / nf_hook_slow. Runs the hook's functions in priority order and
 * returns the first non-accept verdict, or `accept`. On `drop` the caller drops the
 * skb with NETFILTER_DROP (and a local output path reports NF_DROP_ERRNO to its
 * sender); on `stolen` it forgets it.
 */
export function nfHook(
  ns: NetNamespace,
  pf: NfProto,
  hook: NfInetHook,
  skb: SkBuff,
  indev: NetDevice | null,
  outdev: NetDevice | null,
): NfVerdict {
  const list = (ns.proto.get(KEY) as HookTable | undefined)?.get(`${pf}:${hook}`);
  if (list === undefined || list.length === 0) return 'accept';
  const state: NfHookState = { hook, pf, in: indev, out: outdev, net: ns };
  for (const ops of list) {
    const verdict = ops.fn(skb, state);
    if (verdict !== 'accept') {
      if (ns.kernel.tracing)
        ns.kernel.trace(skb, skb.dev, 'hook', `${pf} ${hook}: ${ops.owner} → ${verdict}`);
      return verdict;
    }
  }
  return 'accept';
}
