// RTM_NEWADDR / RTM_DELADDR / RTM_GETADDR over the stack's IPv4 (devinet) and IPv6
// (addrconf) address lists (Linux 6.1: net/ipv4/devinet.c inet_rtm_newaddr,
// inet_rtm_deladdr, inet_dump_ifaddr; net/ipv6/addrconf.c inet6_rtm_newaddr, ...).

import { ErrnoError } from '../base/errno.ts';
import { addAddress6, delAddress6, in6DevGet, type Inet6Ifaddr } from '../stack/addrconf.ts';
import { addAddress, delAddress, inDevGet, type InIfaddr } from '../stack/inet.ts';
import type { NetDevice } from '../stack/netdev.ts';
import type { NetNamespace } from '../stack/netns.ts';
import { NS_PER_SEC } from '../stack/scheduler.ts';
import { AF_INET, AF_INET6, AF_UNSPEC } from '../uapi/rtnetlink.ts';
import { isIpv4, type Ipv4Addr, type Ipv6Addr } from '../wire/address.ts';
import {
  INFINITY_LIFE_TIME,
  type AddrCacheInfo,
  type AddrMsg,
  type DelAddrRequest,
  type GetAddrRequest,
  type NewAddrRequest,
} from './messages.ts';

/** Kernel time as clock_t (USER_HZ = 100), what IFA_CACHEINFO stamps carry. */
function clockT(ns: number): number {
  return Math.floor(ns / (NS_PER_SEC / 100));
}

/** Linux: put_cacheinfo after the dump's lifetime arithmetic (remaining seconds). */
function cacheInfo(
  now: number,
  a: { validLft: number; preferredLft: number; cstamp: number; tstamp: number },
): AddrCacheInfo {
  const elapsed = Math.floor((now - a.tstamp) / NS_PER_SEC);
  const left = (lft: number): number =>
    lft === INFINITY_LIFE_TIME ? INFINITY_LIFE_TIME : Math.max(0, lft - elapsed);
  return {
    preferred: left(a.preferredLft),
    valid: left(a.validLft),
    cstamp: clockT(a.cstamp),
    tstamp: clockT(a.tstamp),
  };
}

function requireDev(net: NetNamespace, ifindex: number): NetDevice {
  const dev = net.getByIndex(ifindex);
  if (dev === undefined) throw new ErrnoError('ENODEV');
  return dev;
}

/** Linux: inet_rtm_newaddr / inet6_rtm_newaddr. */
export function newAddr(net: NetNamespace, req: NewAddrRequest): void {
  const local = req.local ?? req.address;
  if (local === undefined) throw new ErrnoError('EINVAL');
  const ci = req.cacheinfo;
  // Linux: a zero valid lifetime or preferred > valid is EINVAL.
  if (ci !== undefined && (ci.valid === 0 || ci.preferred > ci.valid))
    throw new ErrnoError('EINVAL');
  const lft = ci === undefined ? {} : { validLft: ci.valid, preferredLft: ci.preferred };
  // NLM_F_EXCL, or no NLM_F_REPLACE, turns an existing address into EEXIST.
  const replace = req.nlm.replace === true && req.nlm.excl !== true;
  if (req.family === AF_INET) {
    if (req.prefixlen > 32 || !isIpv4(local)) throw new ErrnoError('EINVAL');
    const dev = requireDev(net, req.ifindex);
    const peer = req.address;
    addAddress(
      dev,
      {
        local,
        prefixLen: req.prefixlen,
        ...(peer !== undefined && isIpv4(peer) ? { address: peer } : {}),
        ...(req.broadcast !== undefined && isIpv4(req.broadcast)
          ? { broadcast: req.broadcast }
          : {}),
        scope: req.scope,
        ...(req.label === undefined ? {} : { label: req.label }),
        flags: req.flags,
        ...lft,
      },
      replace,
    );
    return;
  }
  if (req.family === AF_INET6) {
    if (isIpv4(local)) throw new ErrnoError('EINVAL');
    const dev = requireDev(net, req.ifindex);
    addAddress6(dev, { addr: local, prefixLen: req.prefixlen, flags: req.flags, ...lft }, replace);
    return;
  }
  throw new ErrnoError('EAFNOSUPPORT');
}

/** Linux: inet_rtm_deladdr / inet6_rtm_deladdr. */
export function delAddr(net: NetNamespace, req: DelAddrRequest): void {
  const dev = requireDev(net, req.ifindex);
  if (req.family === AF_INET) {
    const local = req.local;
    const address = req.address;
    delAddress(dev, {
      ...(local !== undefined && isIpv4(local) ? { local } : {}),
      ...(address !== undefined && isIpv4(address) ? { address, prefixLen: req.prefixlen } : {}),
      ...(req.label === undefined ? {} : { label: req.label }),
    });
    return;
  }
  if (req.family === AF_INET6) {
    const addr = req.local ?? req.address;
    if (addr === undefined || isIpv4(addr)) throw new ErrnoError('EINVAL');
    delAddress6(dev, { addr, prefixLen: req.prefixlen });
    return;
  }
  throw new ErrnoError('EAFNOSUPPORT');
}

function inetMsg(now: number, a: InIfaddr): AddrMsg {
  return {
    family: AF_INET,
    prefixlen: a.prefixLen,
    flags: a.flags,
    scope: a.scope,
    ifindex: a.dev.ifindex,
    address: a.address as Ipv4Addr,
    local: a.local,
    ...(a.broadcast !== 0 ? { broadcast: a.broadcast } : {}),
    label: a.label,
    cacheinfo: cacheInfo(now, a),
  };
}

function inet6Msg(now: number, a: Inet6Ifaddr): AddrMsg {
  return {
    family: AF_INET6,
    prefixlen: a.prefixLen,
    flags: a.flags,
    scope: a.scope,
    ifindex: a.dev.ifindex,
    address: a.addr as Ipv6Addr,
    cacheinfo: cacheInfo(now, a),
  };
}

/**
 * RTM_GETADDR dump: AF_UNSPEC runs the IPv4 dump, then the IPv6 one (rtnl_dump_all in
 * family order), each over the devices in ifindex order.
 */
export function dumpAddrs(net: NetNamespace, req: GetAddrRequest): AddrMsg[] {
  const now = net.kernel.now;
  const devs = net.devices.filter((d) => req.ifindex === undefined || d.ifindex === req.ifindex);
  const out: AddrMsg[] = [];
  if (req.family === AF_UNSPEC || req.family === AF_INET)
    for (const dev of devs) for (const a of inDevGet(dev)?.addrs ?? []) out.push(inetMsg(now, a));
  if (req.family === AF_UNSPEC || req.family === AF_INET6)
    for (const dev of devs) for (const a of in6DevGet(dev)?.addrs ?? []) out.push(inet6Msg(now, a));
  return out;
}
