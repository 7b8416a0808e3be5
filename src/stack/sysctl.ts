// Per-namespace sysctls for the IP layers (Linux: net/ipv4/devinet.c devinet_sysctl,
// net/ipv6/addrconf.c addrconf_sysctl, net/core/neighbour.c neigh_sysctl). Values live
// in `ns.sysctl` as strings, the way /proc/sys shows them. A device gets its own
// `conf.DEV.*` and `neigh.DEV.*` copies of `conf.default.*` when it registers (Linux
// copies devconf_dflt into the new in_device / inet6_dev), loses them on unregister and
// carries them across a rename.
//
// How a per-device knob combines with `all` follows Linux's IN_DEV_*CONF macros:
// arp_ignore and arp_announce take the maximum, proxy_arp and arp_notify are
// ORed/maximum, forwarding is per device (writing `all` or `ip_forward` copies it to
// every device and `default`, as inet_forward_change does).

import { ErrnoError } from '../base/errno.ts';
import type { NetDevice } from './netdev.ts';
import type { NetNamespace } from './netns.ts';

/** net.ipv4.conf.* knobs we model, with Linux's defaults. */
export const IPV4_CONF_DEFAULTS = {
  forwarding: 0,
  arp_notify: 0,
  arp_ignore: 0,
  arp_announce: 0,
  arp_accept: 0,
  proxy_arp: 0,
  promote_secondaries: 0,
  rp_filter: 0,
} as const;
export type Ipv4ConfName = keyof typeof IPV4_CONF_DEFAULTS;

/** net.ipv6.conf.* knobs we model, with Linux's defaults. */
export const IPV6_CONF_DEFAULTS = {
  forwarding: 0,
  accept_dad: 1,
  dad_transmits: 1,
  disable_ipv6: 0,
  hop_limit: 64,
  mtu: 1280,
  keep_addr_on_down: 0,
  proxy_ndp: 0,
} as const;
export type Ipv6ConfName = keyof typeof IPV6_CONF_DEFAULTS;

/**
 * net.ipv4.neigh.* / net.ipv6.neigh.* parameters (Linux: arp_tbl / nd_tbl parms), in
 * the units /proc shows: milliseconds for the *_ms names, a count otherwise.
 */
export const NEIGH_DEFAULTS = {
  base_reachable_time_ms: 30_000,
  retrans_time_ms: 1_000,
  delay_first_probe_time: 5,
  ucast_solicit: 3,
  mcast_solicit: 3,
  app_solicit: 0,
  unres_qlen: 101,
  gc_stale_time: 60,
} as const;
export type NeighParm = keyof typeof NEIGH_DEFAULTS;

type Family = 'ipv4' | 'ipv6';

function confDefaults(family: Family): Record<string, number> {
  return family === 'ipv4' ? IPV4_CONF_DEFAULTS : IPV6_CONF_DEFAULTS;
}

/** Creates the namespace-wide sysctls (called from the stack's pernet init). */
export function sysctlNetInit(ns: NetNamespace): void {
  const s = ns.sysctl;
  s.set('net.ipv4.ip_forward', '0');
  // Linux: icmp_echo_ignore_broadcasts, 1 by default (echo to broadcast/multicast ignored).
  s.set('net.ipv4.icmp_echo_ignore_broadcasts', '1');
  for (const family of ['ipv4', 'ipv6'] as const) {
    for (const scope of ['all', 'default']) {
      for (const [k, v] of Object.entries(confDefaults(family)))
        s.set(`net.${family}.conf.${scope}.${k}`, String(v));
    }
    for (const [k, v] of Object.entries(NEIGH_DEFAULTS))
      s.set(`net.${family}.neigh.default.${k}`, String(v));
  }
}

/** Gives `dev` its own conf and neigh entries, copied from `default` (NETDEV_REGISTER). */
export function sysctlDevInit(dev: NetDevice): void {
  const s = dev.netns.sysctl;
  for (const family of ['ipv4', 'ipv6'] as const) {
    for (const k of Object.keys(confDefaults(family))) {
      const v = s.get(`net.${family}.conf.default.${k}`) ?? '0';
      s.set(`net.${family}.conf.${dev.name}.${k}`, v);
    }
    for (const k of Object.keys(NEIGH_DEFAULTS)) {
      const v = s.get(`net.${family}.neigh.default.${k}`) ?? '0';
      s.set(`net.${family}.neigh.${dev.name}.${k}`, v);
    }
  }
}

/** Removes the device's entries (NETDEV_UNREGISTER, also before a namespace move). */
export function sysctlDevExit(dev: NetDevice, name = dev.name): void {
  const s = dev.netns.sysctl;
  for (const family of ['ipv4', 'ipv6'] as const) {
    for (const k of Object.keys(confDefaults(family))) s.delete(`net.${family}.conf.${name}.${k}`);
    for (const k of Object.keys(NEIGH_DEFAULTS)) s.delete(`net.${family}.neigh.${name}.${k}`);
  }
}

/** Re-keys the device's entries after a rename, keeping their values. */
export function sysctlDevRename(dev: NetDevice, oldName: string): void {
  const s = dev.netns.sysctl;
  const prefixes = ['net.ipv4.conf.', 'net.ipv6.conf.', 'net.ipv4.neigh.', 'net.ipv6.neigh.'];
  for (const p of prefixes) {
    for (const [key, value] of [...s.entries()]) {
      if (!key.startsWith(`${p}${oldName}.`)) continue;
      s.delete(key);
      s.set(`${p}${dev.name}.${key.slice(p.length + oldName.length + 1)}`, value);
    }
  }
}

/** Reads a sysctl by its dotted name (`sysctl -n`), or ENOENT. */
export function sysctlGet(ns: NetNamespace, name: string): string {
  const v = ns.sysctl.get(normalizeName(name));
  if (v === undefined) throw new ErrnoError('ENOENT');
  return v;
}

/**
 * Writes a sysctl (`sysctl -w`). Unknown names are ENOENT, non-integers EINVAL. The
 * forwarding knobs propagate as Linux propagates them; disable_ipv6 on `all` is
 * copied to every device (addrconf_disable_change).
 */
export function sysctlSet(ns: NetNamespace, name: string, value: string | number): void {
  const key = normalizeName(name);
  if (!ns.sysctl.has(key)) throw new ErrnoError('ENOENT');
  const text = String(value).trim();
  if (!/^-?[0-9]+$/.test(text)) throw new ErrnoError('EINVAL');
  const v = String(Number(text));
  const s = ns.sysctl;
  const old = s.get(key);
  s.set(key, v);
  const devs = ns.devices;
  if (key === 'net.ipv4.ip_forward' || key === 'net.ipv4.conf.all.forwarding') {
    // Linux: inet_forward_change — all, default and every device follow.
    s.set('net.ipv4.ip_forward', v);
    s.set('net.ipv4.conf.all.forwarding', v);
    s.set('net.ipv4.conf.default.forwarding', v);
    for (const d of devs) s.set(`net.ipv4.conf.${d.name}.forwarding`, v);
  } else if (key === 'net.ipv6.conf.all.forwarding') {
    // Linux: addrconf_forward_change sets every device's forwarding.
    s.set('net.ipv6.conf.default.forwarding', v);
    for (const d of devs) s.set(`net.ipv6.conf.${d.name}.forwarding`, v);
  } else if (key === 'net.ipv6.conf.all.disable_ipv6') {
    for (const d of devs) s.set(`net.ipv6.conf.${d.name}.disable_ipv6`, v);
  }
  if (old !== v) for (const fn of sysctlWatchers(ns)) fn(key, v);
}

/** Called after a sysctl value changed (addrconf reacts to disable_ipv6). */
export type SysctlWatcher = (name: string, value: string) => void;

/** The watchers of a namespace; protocols push their own at pernet init. */
export function sysctlWatchers(ns: NetNamespace): SysctlWatcher[] {
  let list = ns.proto.get('sysctl.watchers') as SysctlWatcher[] | undefined;
  if (list === undefined) {
    list = [];
    ns.proto.set('sysctl.watchers', list);
  }
  return list;
}

/** `net/ipv4/ip_forward` and `net.ipv4.ip_forward` are the same name. */
function normalizeName(name: string): string {
  return name.replace(/\//g, '.');
}

function num(ns: NetNamespace, key: string): number {
  return Number(ns.sysctl.get(key) ?? '0');
}

/**
 * The effective value of an IPv4 per-device knob for `dev`, combining `all` as Linux's
 * IN_DEV_* macros do.
 */
export function ipv4DevConf(dev: NetDevice, name: Ipv4ConfName): number {
  const ns = dev.netns;
  const own = num(ns, `net.ipv4.conf.${dev.name}.${name}`);
  const all = num(ns, `net.ipv4.conf.all.${name}`);
  switch (name) {
    case 'forwarding':
      return own; // IN_DEV_FORWARD: the device's own copy (kept in sync by writes to all)
    case 'proxy_arp':
    case 'arp_accept':
      return own !== 0 || all !== 0 ? 1 : 0; // IN_DEV_ORCONF
    case 'promote_secondaries':
      return own !== 0 || all !== 0 ? 1 : 0;
    default:
      return Math.max(own, all); // IN_DEV_MAXCONF: arp_ignore, arp_announce, arp_notify…
  }
}

/** The effective value of an IPv6 per-device knob (`all` wins where Linux lets it). */
export function ipv6DevConf(dev: NetDevice, name: Ipv6ConfName): number {
  const ns = dev.netns;
  const own = num(ns, `net.ipv6.conf.${dev.name}.${name}`);
  const all = num(ns, `net.ipv6.conf.all.${name}`);
  switch (name) {
    case 'accept_dad':
      // addrconf_dad_begin: DAD is skipped only when both all and the device are < 1.
      return Math.max(own, all);
    case 'disable_ipv6':
    case 'proxy_ndp': // ndisc_recv_ns: devconf_all->proxy_ndp || idev->cnf.proxy_ndp
      return own !== 0 || all !== 0 ? 1 : 0;
    default:
      return own;
  }
}

/** A neighbour parameter for `dev` (`net.ipv4.neigh.DEV.*`), falling back to default. */
export function neighParm(dev: NetDevice, family: Family, name: NeighParm): number {
  const ns = dev.netns;
  const own = ns.sysctl.get(`net.${family}.neigh.${dev.name}.${name}`);
  return Number(
    own ?? ns.sysctl.get(`net.${family}.neigh.default.${name}`) ?? NEIGH_DEFAULTS[name],
  );
}
