// IPv6 multicast group membership and MLDv2 (Linux: net/ipv6/mcast.c, RFC 3810).
// Every device with IPv6 state is in ff01::1 and ff02::1; addrconf adds the
// solicited-node group of each address; sockets add theirs. The first user of a group
// puts its 33:33:xx:xx:xx:xx MAC on the device's multicast list (kernel.devMcAdd, so
// NICs and ipvlan filters see it) and sends an unsolicited MLDv2 report, repeated once
// after a random delay below the unsolicited report interval (1 s; robustness 2).
// The last user leaving sends a CHANGE_TO_INCLUDE({}) report the same way. All-nodes
// and interface-local groups are never reported (MAF_NOREPORT).
// Not modelled: answering MLD queries, MLDv1 compatibility, source filters.

import { Ipv6Addr } from '../wire/address.ts';
import { buildMldv2Report, mldv2JoinRecord, mldv2LeaveRecord } from '../wire/mld.ts';
import { IPV6_ALL_NODES, ipv6MulticastMac } from '../wire/ipv6.ts';
import { IFF_LOOPBACK } from '../uapi/if.ts';
import { in6DevGet, ipv6LinkLocal } from './addrconf.ts';
import { ip6XmitRaw } from './ipv6.ts';
import type { NetDevice } from './netdev.ts';
import { NS_PER_SEC } from './scheduler.ts';

/** ff01::1, interface-local all nodes. */
export const IPV6_IFLOCAL_ALL_NODES = Ipv6Addr.fromWords([0xff01, 0, 0, 0, 0, 0, 0, 1]);

const UNSOLICITED_REPORT_INTERVAL = 1 * NS_PER_SEC;

function noReport(group: Ipv6Addr): boolean {
  const scope = (group.bytes[1] as number) & 0x0f;
  return group.equals(IPV6_ALL_NODES) || scope < 2;
}

/** Joins `group` on `dev` (ipv6_dev_mc_inc). */
export function ipv6McInc(dev: NetDevice, group: Ipv6Addr): void {
  const idev = in6DevGet(dev);
  if (idev === undefined) return;
  const entry = idev.mcGroups.get(group.key);
  if (entry !== undefined) {
    entry.users++;
    return;
  }
  idev.mcGroups.set(group.key, { addr: group, users: 1 });
  dev.netns.kernel.devMcAdd(dev, ipv6MulticastMac(group));
  if (!noReport(group)) mldReport(dev, group, true);
}

/** Leaves `group` on `dev` (ipv6_dev_mc_dec). */
export function ipv6McDec(dev: NetDevice, group: Ipv6Addr): void {
  const idev = in6DevGet(dev);
  const entry = idev?.mcGroups.get(group.key);
  if (idev === undefined || entry === undefined) return;
  if (--entry.users > 0) return;
  idev.mcGroups.delete(group.key);
  dev.netns.kernel.devMcDel(dev, ipv6MulticastMac(group));
  if (!noReport(group)) mldReport(dev, group, false);
}

/** True when `dev` has joined `group` (ipv6_chk_mcast_addr). */
export function ipv6ChkMcastAddr(dev: NetDevice, group: Ipv6Addr): boolean {
  return in6DevGet(dev)?.mcGroups.has(group.key) ?? false;
}

/** The joined groups of `dev` (`ip -6 maddr`). */
export function ipv6McList(dev: NetDevice): Ipv6Addr[] {
  return [...(in6DevGet(dev)?.mcGroups.values() ?? [])].map((e) => e.addr);
}

/** Sends a state-change report now and its robustness repeat later (mld_ifc_event). */
function mldReport(dev: NetDevice, group: Ipv6Addr, join: boolean): void {
  if (!dev.isUp || (dev.flags & IFF_LOOPBACK) !== 0) return;
  const send = (): void => {
    if (!dev.registered || !dev.isUp) return;
    // RFC 3810 §5.2.13: :: when no usable link-local address exists yet.
    const src = ipv6LinkLocal(dev, false) ?? Ipv6Addr.UNSPECIFIED;
    const record = join ? mldv2JoinRecord(group) : mldv2LeaveRecord(group);
    ip6XmitRaw(dev, buildMldv2Report(src, [record]));
  };
  send();
  const kernel = dev.netns.kernel;
  kernel.scheduler.after(kernel.random.below(UNSOLICITED_REPORT_INTERVAL), send);
}
