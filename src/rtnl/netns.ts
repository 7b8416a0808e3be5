// `ip netns` over the kernel's namespaces (Linux: the /run/netns bind mounts iproute2
// keeps, plus RTM_NEWNSID/RTM_GETNSID of net/core/net_namespace.c).

import { ErrnoError } from '../base/errno.ts';
import type { Kernel } from '../stack/kernel.ts';
import type { NetNamespace } from '../stack/netns.ts';
import type { NetnsEntry, NetnsTarget } from './messages.ts';

/** The namespace a request context names. @throws {ErrnoError} ENOENT. */
export function contextNet(kernel: Kernel, netns: string | undefined): NetNamespace {
  if (netns === undefined) return kernel.initNet;
  return kernel.requireNetns(netns);
}

/**
 * Linux: rtnl_link_get_net for IFLA_NET_NS_FD (a name here) or IFLA_NET_NS_PID. The
 * emulator has one process, init (pid 1), in the initial namespace.
 * @throws {ErrnoError} ENOENT (no such name), ESRCH (no such process).
 */
export function resolveNetnsTarget(kernel: Kernel, target: NetnsTarget): NetNamespace {
  if ('name' in target) return kernel.requireNetns(target.name);
  if (target.pid === 1) return kernel.initNet;
  throw new ErrnoError('ESRCH');
}

/** `ip netns list`: newest first (readdir order of /run/netns), with the nsid seen from `net`. */
export function netnsList(kernel: Kernel, net: NetNamespace): NetnsEntry[] {
  return [...kernel.namespaces.values()].reverse().map((ns) => {
    const nsid = net.peekNsid(ns);
    return nsid >= 0 ? { name: ns.name, nsid } : { name: ns.name };
  });
}

/**
 * RTM_NEWNSID (Linux: rtnl_net_newid): -1 allocates the lowest free id.
 * @throws {ErrnoError} ENOENT (no such namespace), EEXIST when the peer already has an
 *   id ("Peer netns already has a nsid assigned"), EOPNOTSUPP for an explicit id other
 *   than the one automatic allocation would pick.
 */
export function netnsSetId(kernel: Kernel, net: NetNamespace, name: string, nsid: number): void {
  const peer = kernel.requireNetns(name);
  if (net.peekNsid(peer) >= 0)
    throw new ErrnoError('EEXIST', 'Peer netns already has a nsid assigned');
  if (nsid < 0) {
    net.nsidOf(peer);
    return;
  }
  const used = new Set(kernel.allNamespaces().map((ns) => net.peekNsid(ns)));
  if (used.has(nsid)) throw new ErrnoError('EEXIST', 'The specified nsid is already used');
  let next = 0;
  while (used.has(next)) next++;
  // Differs from Linux: the stack's NetNamespace only allocates the lowest free id, so an
  // explicit id is accepted only when it is that one.
  if (nsid !== next) throw new ErrnoError('EOPNOTSUPP');
  net.nsidOf(peer);
}
