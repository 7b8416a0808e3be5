// Shared setup for IP stack scenarios: a kernel with loopback and the inet stack, and
// namespaces joined by veth pairs, everything in virtual time.

import { addAddress6 } from '../../src/stack/addrconf.ts';
import { addAddress } from '../../src/stack/inet.ts';
import { Kernel } from '../../src/stack/kernel.ts';
import { createLoopback } from '../../src/stack/loopback.ts';
import type { NetDevice } from '../../src/stack/netdev.ts';
import type { NetNamespace } from '../../src/stack/netns.ts';
import { NS_PER_SEC } from '../../src/stack/scheduler.ts';
import { installInetStack } from '../../src/stack/stack.ts';
import { sysctlSet } from '../../src/stack/sysctl.ts';
import { createVethPair } from '../../src/stack/veth.ts';
import { MacAddr, parseIpv4, Ipv6Addr, type Ipv4Addr } from '../../src/wire/address.ts';
import type { SkBuff } from '../../src/stack/skb.ts';

export function newKernel(seed = 7): Kernel {
  const k = new Kernel({ hostname: 'h', seed });
  k.setLoopbackFactory(createLoopback);
  installInetStack(k);
  return k;
}

export function ip4(text: string): Ipv4Addr {
  const a = parseIpv4(text);
  if (a === null) throw new Error(`bad address ${text}`);
  return a;
}

export function ip6(text: string): Ipv6Addr {
  const a = Ipv6Addr.parse(text);
  if (a === null) throw new Error(`bad address ${text}`);
  return a;
}

export function mac(text: string): MacAddr {
  const m = MacAddr.parse(text);
  if (m === null) throw new Error(`bad mac ${text}`);
  return m;
}

/** A namespace with `lo` up, as every scenario script does first. */
export function netns(k: Kernel, name: string): NetNamespace {
  const ns = k.addNetns(name);
  k.devOpen(ns.requireByName('lo'));
  return ns;
}

/** A veth pair between two namespaces, both ends up. */
export function link(
  k: Kernel,
  a: NetNamespace,
  aName: string,
  b: NetNamespace,
  bName: string,
  macs?: [string, string],
): [NetDevice, NetDevice] {
  const [x, y] = createVethPair(
    k,
    { ns: a, name: aName, ...(macs ? { address: mac(macs[0]) } : {}) },
    { ns: b, name: bName, ...(macs ? { address: mac(macs[1]) } : {}) },
  );
  k.devOpen(x);
  k.devOpen(y);
  return [x, y];
}

/** Records every frame sent on `dev` (a tx tap). */
export function capture(k: Kernel, dev: NetDevice): Uint8Array[] {
  const frames: Uint8Array[] = [];
  k.taps.add({ dev, fn: (skb: SkBuff, dir) => (dir === 'tx' ? frames.push(skb.data.slice()) : 0) });
  return frames;
}

/**
 * Namespaces a (10.0.0.1, fd00::1) and b (10.0.0.2, fd00::2), eth0 each, over one veth,
 * with DAD off and a second of virtual time run, so both families are ready.
 */
export function dualStackPair(seed: number) {
  const k = newKernel(seed);
  const a = netns(k, 'a');
  const b = netns(k, 'b');
  for (const ns of [a, b]) {
    sysctlSet(ns, 'net.ipv6.conf.all.accept_dad', 0);
    sysctlSet(ns, 'net.ipv6.conf.default.accept_dad', 0);
  }
  const [va, vb] = link(k, a, 'eth0', b, 'eth0');
  addAddress(va, { local: ip4('10.0.0.1'), prefixLen: 24 });
  addAddress(vb, { local: ip4('10.0.0.2'), prefixLen: 24 });
  addAddress6(va, { addr: ip6('fd00::1'), prefixLen: 64 });
  addAddress6(vb, { addr: ip6('fd00::2'), prefixLen: 64 });
  k.scheduler.runFor(NS_PER_SEC);
  return { k, a, b, va, vb };
}
