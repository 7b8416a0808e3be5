// L3S (Linux: drivers/net/ipvlan/ipvlan_l3s.c). The master's rx handler passes every
// frame to the master (RX-L3S-1); inside the master namespace's IP layer, after
// PREROUTING, the l3mdev hook finds the slave owning the destination and routes the
// packet as input of that slave, in the slave's namespace (L3S-2). The packet then
// crosses the master namespace's LOCAL_IN hooks — host INPUT rules and conntrack see
// it (L3S-3, L3S-4, L3S-5) — and ipvlan's own LOCAL_IN hook, registered last, hands it
// to the slave and counts it (ST-3: IP length + 14). Sockets of the slave's namespace
// then receive it.

import { ETH_HLEN, IPVLAN_MODE_L3S } from '../uapi/if.ts';
import { ipv4At, Ipv6Addr } from '../wire/address.ts';
import { l3Key } from './core.ts';
import type { Kernel } from '../stack/kernel.ts';
import type { NetDevice } from '../stack/netdev.ts';
import type { NetNamespace } from '../stack/netns.ts';
import type { SkBuff } from '../stack/skb.ts';
import { L3MDEV_RCV, ipRouteInput, type L3mdevRcv } from '../stack/ipv4.ts';
import { ip6RouteInput } from '../stack/ipv6.ts';
import {
  NF_IP_PRI_CONNTRACK_CONFIRM,
  nfRegisterHook,
  nfUnregisterHook,
  type NfHookOps,
} from '../stack/netfilter/hooks.ts';
import type { IpvlanAddr, IpvlanPort } from './types.ts';

/** Per-namespace registration of the LOCAL_IN hooks, shared by all L3S ports there (L3S-1). */
interface L3sNetState {
  users: number;
  readonly hooks: NfHookOps[];
}

const STATE_KEY = 'ipvlan.l3s';

/**
 * Linux: ipvlan_skb_to_addr — the slave address a packet on an L3S master is for,
 * classified exactly as the L2 paths classify frames (TX-C-3).
 */
function skbToAddr(skb: SkBuff, dev: NetDevice): IpvlanAddr | undefined {
  const port = l3sPortOf(dev);
  if (port === undefined || port.mode !== IPVLAN_MODE_L3S) return undefined;
  const key = l3Key(skb.data, skb.network >= 0 ? skb.network : ETH_HLEN, skb.protocol, true);
  return key === undefined ? undefined : port.table.get(key);
}

/** The port of an L3S master (the l3mdev handler's closure knows it). */
const portsByDev = new WeakMap<NetDevice, IpvlanPort>();

function l3sPortOf(dev: NetDevice): IpvlanPort | undefined {
  return portsByDev.get(dev);
}

/** Linux: ipvlan_l3_rcv — route as input of the owning slave, in the slave's namespace. */
const l3Rcv: L3mdevRcv = (skb, family) => {
  const addr = skbToAddr(skb, skb.dev);
  if (addr === undefined) return null;
  const sdev = addr.owner.dev;
  const data = skb.data;
  const net = skb.network;
  if (family === 'ipv4') {
    const rt = ipRouteInput(ipv4At(data, net + 16), ipv4At(data, net + 12), sdev);
    // An error in the slave's namespace leaves the packet to the master (L3S-2).
    return rt.kind === 'error' || rt.kind === 'martian' ? null : rt;
  }
  return ip6RouteInput(Ipv6Addr.fromBytes(data, net + 24), sdev);
};

/** Linux: ipvlan_nf_input — LOCAL_IN, last: relabel to the slave and count it. */
function nfInput(skb: SkBuff): 'accept' {
  const addr = skbToAddr(skb, skb.dev);
  if (addr === undefined) return 'accept';
  const slave = addr.owner;
  skb.dev = slave.dev;
  skb.iif = slave.dev.ifindex;
  slave.stats.rxPackets++;
  slave.stats.rxBytes += skb.data.length - skb.network + ETH_HLEN;
  const kernel = slave.dev.netns.kernel;
  if (kernel.tracing)
    kernel.trace(
      skb,
      slave.dev,
      'ipvlan',
      `l3s: delivered to ${slave.dev.path} after the master's INPUT hooks (L3S-2)`,
    );
  return 'accept';
}

function registerNetHooks(ns: NetNamespace): void {
  let state = ns.proto.get(STATE_KEY) as L3sNetState | undefined;
  if (state === undefined) {
    const hooks: NfHookOps[] = (['ipv4', 'ipv6'] as const).map((pf) => ({
      pf,
      hook: 'input',
      priority: NF_IP_PRI_CONNTRACK_CONFIRM, // INT_MAX: after every other LOCAL_IN hook
      fn: nfInput,
      owner: 'ipvlan l3s',
    }));
    for (const ops of hooks) nfRegisterHook(ns, ops);
    state = { users: 0, hooks };
    ns.proto.set(STATE_KEY, state);
  }
  state.users++;
}

function unregisterNetHooks(ns: NetNamespace): void {
  const state = ns.proto.get(STATE_KEY) as L3sNetState | undefined;
  if (state === undefined) return;
  if (--state.users > 0) return;
  for (const ops of state.hooks) nfUnregisterHook(ns, ops);
  ns.proto.delete(STATE_KEY);
}

/**
 * Linux: ipvlan_l3s_register. Installs the l3mdev receive hook on the master and the
 * LOCAL_IN hooks in its namespace; returns the undo (ipvlan_l3s_unregister), which
 * also follows a master that moved namespaces (L3S-6).
 */
export function l3sRegister(_kernel: Kernel, port: IpvlanPort): () => void {
  const dev = port.phyDev;
  const ns = port.pnet;
  portsByDev.set(dev, port);
  dev.proto.set(L3MDEV_RCV, l3Rcv);
  registerNetHooks(ns);
  return () => {
    if (dev.proto.get(L3MDEV_RCV) === l3Rcv) dev.proto.delete(L3MDEV_RCV);
    portsByDev.delete(dev);
    unregisterNetHooks(ns);
  };
}
