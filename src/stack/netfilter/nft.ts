// A small nf_tables (Linux: net/netfilter/nf_tables_api.c, nft_*.c): tables of the
// ip/ip6/inet families, base chains hooked at a priority with a policy, and rules made
// of matches and statements, enough for the L3S demonstrations (spec L3S-3..5) and the
// conntrack/NAT checks. Base filter chains are netfilter hooks; nat chains run under
// the NAT core (nat.ts). Every mutation returns an undo so a batch (`nft -f`) is
// all-or-nothing, as nf_tables transactions are. The text syntax lives in nft-syntax.ts.

import { ErrnoError } from '../../base/errno.ts';
import { isIpv4, prefixContains, type IpAddr, type IpPrefix } from '../../wire/address.ts';
import { be16 } from '../../wire/bytes.ts';
import type { NetNamespace } from '../netns.ts';
import type { SkBuff } from '../skb.ts';
import { conntrackGet, conntrackPut, nfCtGet, type CtInfo } from './conntrack.ts';
import {
  nfRegisterHook,
  nfUnregisterHook,
  type NfHookOps,
  type NfHookState,
  type NfInetHook,
  type NfProto,
  type NfVerdict,
} from './hooks.ts';
import {
  hookManip,
  masqueradeAddr,
  natRegisterChain,
  natSetupInfo,
  natUnregisterChain,
  type NatChainOps,
} from './nat.ts';
import {
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  l4Bytes,
  networkOffset,
  nfPacket,
  type NfPacket,
} from './packet.ts';

export type NftFamily = 'ip' | 'ip6' | 'inet';
export type NftChainType = 'filter' | 'nat';
export type NftPolicy = 'accept' | 'drop';

/** ct state bits (NF_CT_STATE_*_BIT as nft uses them). */
export const CT_STATE_INVALID = 1;
export const CT_STATE_ESTABLISHED = 2;
export const CT_STATE_RELATED = 4;
export const CT_STATE_NEW = 8;
export const CT_STATE_UNTRACKED = 64;

/** One match of a rule. `neg` is nft's `!=`. */
export type NftMatch =
  | {
      readonly kind: 'addr';
      readonly family: 'ip' | 'ip6';
      readonly field: 'saddr' | 'daddr';
      readonly prefix: IpPrefix;
      readonly neg: boolean;
    }
  | {
      readonly kind: 'iface';
      readonly key: 'iif' | 'oif' | 'iifname' | 'oifname';
      readonly name: string;
      /** For iif/oif: the ifindex resolved when the rule was added. */
      readonly ifindex: number;
      readonly neg: boolean;
    }
  | {
      readonly kind: 'l4proto';
      readonly key: 'meta l4proto' | 'ip protocol' | 'ip6 nexthdr';
      readonly proto: number;
      readonly neg: boolean;
    }
  | {
      readonly kind: 'port';
      readonly proto: 'tcp' | 'udp';
      readonly field: 'sport' | 'dport';
      readonly lo: number;
      readonly hi: number;
      readonly neg: boolean;
    }
  | {
      readonly kind: 'icmpType';
      readonly proto: 'icmp' | 'icmpv6';
      readonly type: number;
      readonly neg: boolean;
    }
  | { readonly kind: 'ctState'; readonly bits: number; readonly neg: boolean };

/** One statement of a rule. Counters are the only mutable state. */
export type NftStmt =
  | { readonly kind: 'counter'; packets: number; bytes: number }
  | { readonly kind: 'verdict'; readonly verdict: NftPolicy }
  | { readonly kind: 'masquerade' }
  | {
      readonly kind: 'snat' | 'dnat';
      /** `snat ip to` in inet tables; undefined in ip/ip6 tables. */
      readonly family: 'ip' | 'ip6' | undefined;
      readonly addr: IpAddr;
      readonly port: number | undefined;
    };

/** A rule is a sequence of matches and statements, evaluated left to right. */
export type NftItem = NftMatch | NftStmt;

export interface NftRule {
  readonly handle: number;
  readonly items: readonly NftItem[];
}

/** True for the items that are statements (they act; matches only test). */
export function isNftStmt(item: NftItem): item is NftStmt {
  return (
    item.kind === 'counter' ||
    item.kind === 'verdict' ||
    item.kind === 'masquerade' ||
    item.kind === 'snat' ||
    item.kind === 'dnat'
  );
}

export interface NftBaseSpec {
  readonly type: NftChainType;
  readonly hook: NfInetHook;
  readonly priority: number;
  readonly policy: NftPolicy;
}

export class NftChain {
  readonly name: string;
  readonly handle: number;
  readonly table: NftTable;
  readonly base: NftBaseSpec | null;
  readonly rules: NftRule[] = [];
  /** Hook registrations while the chain is in the ruleset. */
  hookOps: NfHookOps[] = [];
  natOps: NatChainOps[] = [];

  constructor(table: NftTable, name: string, handle: number, base: NftBaseSpec | null) {
    this.table = table;
    this.name = name;
    this.handle = handle;
    this.base = base;
  }
}

export class NftTable {
  readonly family: NftFamily;
  readonly name: string;
  readonly handle: number;
  readonly chains: NftChain[] = [];
  /** Chains and rules share one handle space per table, as in nf_tables. */
  nextHandle = 1;

  constructor(family: NftFamily, name: string, handle: number) {
    this.family = family;
    this.name = name;
    this.handle = handle;
  }

  chain(name: string): NftChain | undefined {
    return this.chains.find((c) => c.name === name);
  }
}

/** The nf_tables state of one namespace. */
export class NftRuleset {
  readonly ns: NetNamespace;
  readonly tables: NftTable[] = [];
  nextTableHandle = 1;

  constructor(ns: NetNamespace) {
    this.ns = ns;
  }

  table(family: NftFamily, name: string): NftTable | undefined {
    return this.tables.find((t) => t.family === family && t.name === name);
  }
}

const KEY = 'netfilter.nftables';

export function nftRuleset(ns: NetNamespace): NftRuleset {
  let r = ns.proto.get(KEY) as NftRuleset | undefined;
  if (r === undefined) {
    r = new NftRuleset(ns);
    ns.proto.set(KEY, r);
  }
  return r;
}

/** Undoes one mutation; a batch runs its undos in reverse on failure. */
export type NftUndo = () => void;

// ---------------------------------------------------------------- evaluation

function ctStateBit(info: CtInfo | undefined): number {
  switch (info) {
    case undefined:
      return CT_STATE_INVALID;
    case 'untracked':
      return CT_STATE_UNTRACKED;
    case 'new':
      return CT_STATE_NEW;
    case 'related':
    case 'related_reply':
      return CT_STATE_RELATED;
    default:
      return CT_STATE_ESTABLISHED;
  }
}

function matchOne(m: NftMatch, skb: SkBuff, pkt: NfPacket | null, state: NfHookState): boolean {
  switch (m.kind) {
    case 'addr': {
      if (pkt === null || (m.family === 'ip') !== (pkt.pf === 'ipv4')) return false;
      const addr = m.field === 'saddr' ? pkt.src : pkt.dst;
      return prefixContains(m.prefix, addr) !== m.neg;
    }
    case 'iface': {
      const dev = m.key === 'iif' || m.key === 'iifname' ? state.in : state.out;
      if (dev === null) return false;
      const same =
        m.key === 'iif' || m.key === 'oif' ? dev.ifindex === m.ifindex : dev.name === m.name;
      return same !== m.neg;
    }
    case 'l4proto': {
      if (pkt === null) return false;
      if (m.key === 'ip protocol' && pkt.pf !== 'ipv4') return false;
      if (m.key === 'ip6 nexthdr' && pkt.pf !== 'ipv6') return false;
      return (pkt.proto === m.proto) !== m.neg;
    }
    case 'port': {
      if (pkt === null || pkt.proto !== (m.proto === 'tcp' ? 6 : 17)) return false;
      const l4 = l4Bytes(pkt);
      if (l4.length < 4) return false;
      const port = be16(l4, m.field === 'sport' ? 0 : 2);
      return (port >= m.lo && port <= m.hi) !== m.neg;
    }
    case 'icmpType': {
      if (pkt === null) return false;
      const proto = m.proto === 'icmp' ? IPPROTO_ICMP : IPPROTO_ICMPV6;
      if (pkt.proto !== proto || (m.proto === 'icmp') !== (pkt.pf === 'ipv4')) return false;
      const l4 = l4Bytes(pkt);
      if (l4.length < 1) return false;
      return (l4[0] === m.type) !== m.neg;
    }
    case 'ctState': {
      const bit = ctStateBit(nfCtGet(skb)?.info);
      return ((bit & m.bits) !== 0) !== m.neg;
    }
  }
}

/** Runs one chain's rules over `skb` (Linux: nft_do_chain); returns the verdict reached. */
export function nftDoChain(chain: NftChain, skb: SkBuff, state: NfHookState): NfVerdict {
  const pkt = nfPacket(skb, state.pf);
  const len = pkt !== null ? pkt.l3.length : skb.data.length - networkOffset(skb);
  rules: for (const rule of chain.rules) {
    for (const stmt of rule.items) {
      if (!isNftStmt(stmt)) {
        if (!matchOne(stmt, skb, pkt, state)) continue rules;
        continue;
      }
      switch (stmt.kind) {
        case 'counter':
          stmt.packets++;
          stmt.bytes += len;
          break;
        case 'verdict':
          return stmt.verdict;
        case 'masquerade':
        case 'snat':
        case 'dnat': {
          const ref = nfCtGet(skb);
          if (ref?.ct == null || pkt === null) return 'drop';
          if (stmt.kind !== 'masquerade' && stmt.family !== undefined) {
            if ((stmt.family === 'ip') !== (pkt.pf === 'ipv4')) break; // other family: no-op
          }
          if (stmt.kind !== 'masquerade' && isIpv4(stmt.addr) !== (pkt.pf === 'ipv4')) break;
          const addr = stmt.kind === 'masquerade' ? masqueradeAddr(state, pkt.dst) : stmt.addr;
          if (addr === null) return 'drop';
          const port = stmt.kind === 'masquerade' ? undefined : stmt.port;
          natSetupInfo(
            state.net,
            ref.ct,
            port === undefined ? { addr } : { addr, port },
            hookManip(state.hook),
          );
          return 'accept';
        }
      }
    }
  }
  return chain.base?.policy ?? 'accept';
}

// ---------------------------------------------------------------- mutations

function familyPfs(family: NftFamily): NfProto[] {
  return family === 'ip' ? ['ipv4'] : family === 'ip6' ? ['ipv6'] : ['ipv4', 'ipv6'];
}

function usesCt(rule: NftRule): boolean {
  return rule.items.some((m) => m.kind === 'ctState');
}

function registerChain(ns: NetNamespace, chain: NftChain): void {
  const base = chain.base;
  if (base === null) return;
  const owner = `nft ${chain.table.family} ${chain.table.name} ${chain.name}`;
  const fn = (skb: SkBuff, state: NfHookState): NfVerdict => nftDoChain(chain, skb, state);
  for (const pf of familyPfs(chain.table.family)) {
    if (base.type === 'nat') {
      const ops: NatChainOps = { pf, hook: base.hook, priority: base.priority, fn, owner };
      natRegisterChain(ns, ops);
      chain.natOps.push(ops);
    } else {
      const ops: NfHookOps = { pf, hook: base.hook, priority: base.priority, fn, owner };
      nfRegisterHook(ns, ops);
      chain.hookOps.push(ops);
    }
  }
}

function unregisterChain(ns: NetNamespace, chain: NftChain): void {
  for (const ops of chain.hookOps.splice(0)) nfUnregisterHook(ns, ops);
  for (const ops of chain.natOps.splice(0)) natUnregisterChain(ns, ops);
}

/**
 * `add table` / `create table`. Adding an existing table is a no-op unless `exclusive`.
 * @throws {ErrnoError} EEXIST when `exclusive` and the table exists.
 */
export function nftAddTable(
  ns: NetNamespace,
  family: NftFamily,
  name: string,
  exclusive: boolean,
  undo: NftUndo[],
): NftTable {
  const rs = nftRuleset(ns);
  const existing = rs.table(family, name);
  if (existing !== undefined) {
    if (exclusive) throw new ErrnoError('EEXIST');
    return existing;
  }
  const table = new NftTable(family, name, rs.nextTableHandle++);
  rs.tables.push(table);
  undo.push(() => {
    const i = rs.tables.indexOf(table);
    if (i >= 0) rs.tables.splice(i, 1);
  });
  return table;
}

/**
 * `add chain`. An existing chain is kept as is (nft would update its policy).
 * @throws {ErrnoError} EEXIST when `exclusive` and the chain exists.
 */
export function nftAddChain(
  ns: NetNamespace,
  table: NftTable,
  name: string,
  base: NftBaseSpec | null,
  exclusive: boolean,
  undo: NftUndo[],
): NftChain {
  const existing = table.chain(name);
  if (existing !== undefined) {
    if (exclusive) throw new ErrnoError('EEXIST');
    return existing;
  }
  const chain = new NftChain(table, name, table.nextHandle++, base);
  table.chains.push(chain);
  registerChain(ns, chain);
  undo.push(() => {
    unregisterChain(ns, chain);
    const i = table.chains.indexOf(chain);
    if (i >= 0) table.chains.splice(i, 1);
  });
  return chain;
}

/**
 * `add rule` (appended) or `insert rule` (prepended). NAT statements need a nat chain
 * and masquerade needs postrouting, as the kernel's validate callbacks demand.
 * @throws {ErrnoError} EOPNOTSUPP for a NAT statement outside a fitting nat chain.
 */
export function nftAddRule(
  ns: NetNamespace,
  chain: NftChain,
  items: readonly NftItem[],
  where: 'append' | 'insert',
  undo: NftUndo[],
): NftRule {
  for (const s of items) {
    if (s.kind === 'masquerade' || s.kind === 'snat' || s.kind === 'dnat') {
      const hook = chain.base?.hook;
      const ok =
        chain.base?.type === 'nat' &&
        (s.kind === 'dnat'
          ? hook === 'prerouting' || hook === 'output'
          : s.kind === 'masquerade'
            ? hook === 'postrouting'
            : hook === 'postrouting' || hook === 'input');
      if (!ok) throw new ErrnoError('EOPNOTSUPP');
    }
  }
  const rule: NftRule = { handle: chain.table.nextHandle++, items };
  if (where === 'append') chain.rules.push(rule);
  else chain.rules.unshift(rule);
  if (usesCt(rule)) conntrackGet(ns);
  undo.push(() => {
    const i = chain.rules.indexOf(rule);
    if (i >= 0) chain.rules.splice(i, 1);
    if (usesCt(rule)) conntrackPut(ns);
  });
  return rule;
}

function removeRules(ns: NetNamespace, chain: NftChain, undo: NftUndo[]): void {
  const saved = chain.rules.splice(0);
  for (const r of saved) if (usesCt(r)) conntrackPut(ns);
  undo.push(() => {
    chain.rules.push(...saved);
    for (const r of saved) if (usesCt(r)) conntrackGet(ns);
  });
}

/** `delete rule ... handle N`. @throws {ErrnoError} ENOENT for an unknown handle. */
export function nftDeleteRule(
  ns: NetNamespace,
  chain: NftChain,
  handle: number,
  undo: NftUndo[],
): void {
  const i = chain.rules.findIndex((r) => r.handle === handle);
  if (i < 0) throw new ErrnoError('ENOENT');
  const [rule] = chain.rules.splice(i, 1) as [NftRule];
  if (usesCt(rule)) conntrackPut(ns);
  undo.push(() => {
    chain.rules.splice(i, 0, rule);
    if (usesCt(rule)) conntrackGet(ns);
  });
}

/** `flush chain`. */
export function nftFlushChain(ns: NetNamespace, chain: NftChain, undo: NftUndo[]): void {
  removeRules(ns, chain, undo);
}

/** `delete chain`. @throws {ErrnoError} EBUSY while the chain still has rules. */
export function nftDeleteChain(ns: NetNamespace, chain: NftChain, undo: NftUndo[]): void {
  if (chain.rules.length > 0) throw new ErrnoError('EBUSY');
  const table = chain.table;
  const i = table.chains.indexOf(chain);
  if (i < 0) return;
  table.chains.splice(i, 1);
  unregisterChain(ns, chain);
  undo.push(() => {
    table.chains.splice(i, 0, chain);
    registerChain(ns, chain);
  });
}

/** `flush table`: empties every chain, keeps the chains. */
export function nftFlushTable(ns: NetNamespace, table: NftTable, undo: NftUndo[]): void {
  for (const chain of table.chains) removeRules(ns, chain, undo);
}

/** `delete table`: the table with all it holds. */
export function nftDeleteTable(ns: NetNamespace, table: NftTable, undo: NftUndo[]): void {
  const rs = nftRuleset(ns);
  for (const chain of [...table.chains].reverse()) {
    removeRules(ns, chain, undo);
    nftDeleteChain(ns, chain, undo);
  }
  const i = rs.tables.indexOf(table);
  if (i < 0) return;
  rs.tables.splice(i, 1);
  undo.push(() => rs.tables.splice(i, 0, table));
}

/** `flush ruleset [family]`: deletes the tables (of one family). */
export function nftFlushRuleset(
  ns: NetNamespace,
  family: NftFamily | undefined,
  undo: NftUndo[],
): void {
  const rs = nftRuleset(ns);
  for (const table of [...rs.tables].reverse()) {
    if (family === undefined || table.family === family) nftDeleteTable(ns, table, undo);
  }
}
