// L3S (Linux: drivers/net/ipvlan/ipvlan_l3s.c): ingress for slaves is decided inside
// the master namespace's IP layer after PREROUTING, and a LOCAL_IN hook registered
// last relabels the packet to the slave (spec section 5, L3S-*).

import type { Kernel } from '../stack/kernel.ts';
import type { IpvlanPort } from './types.ts';

/**
 * Registers L3S for `port` in the master's namespace (L3S-1) and returns the undo.
 * Filled in once the stack's IP layer exposes its l3mdev receive hook.
 */
export function l3sRegister(_kernel: Kernel, _port: IpvlanPort): () => void {
  return () => {};
}
