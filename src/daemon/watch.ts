// Following the TAPs through rtnetlink: one NETLINK_ROUTE socket per namespace that
// holds a slave's TAP, joined to RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR
// and opened inside that namespace (`withNetns`). A dump of links and addresses at
// open (and after ENOBUFS, when events were lost) builds the namespace's view; events
// keep it current. The daemon reads the sockets non-blocking from a short timer on its
// main thread (libuv cannot watch a netlink fd), so an `ip addr add` reaches the engine
// within one tick instead of one `ip -j` round.

import { statSync } from 'node:fs';
import {
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_HDRLEN,
  NLM_F_ACK,
  NLM_F_REQUEST,
  RTM_DELADDR,
  RTM_GETADDR,
  RTM_GETLINK,
  nlError,
  parseNetlink,
  parseRtnl,
  rtnlDumpRequest,
  type LinkEvent,
} from '../backend/linux/netlink-msg.ts';
import { closeFd } from '../backend/linux/sys/fd.ts';
import { netlinkDrain, netlinkSend, openNetlinkSocket } from '../backend/linux/sys/netlink.ts';
import {
  NETLINK_ROUTE,
  RTMGRP_IPV4_IFADDR,
  RTMGRP_IPV6_IFADDR,
  RTMGRP_LINK,
} from '../backend/linux/sys/constants.ts';
import { netnsPath, withNetns } from '../backend/linux/sys/netns.ts';
import { isIpv4, parseIp } from '../wire/address.ts';

/** One address as the daemon keys it: "addr/prefix". */
export interface AddrInfo {
  readonly addr: string;
  readonly prefixLen: number;
}

const buf = new Uint8Array(1 << 16);

/** The links and addresses of one namespace, as rtnetlink reported them. */
export class NsWatch {
  /** null: the daemon's own namespace; else a name under /var/run/netns. */
  readonly ns: string | null;
  readonly fd: number;
  /** The namespace file's inode at open, to notice a deleted and re-created name. */
  readonly ino: number;
  readonly links = new Map<number, LinkEvent>();
  readonly addrs = new Map<number, Map<string, AddrInfo>>();
  /** Datagrams that did not parse, and resynchronisations after lost events. */
  bad = 0;
  resyncs = 0;
  #seq = 1;

  private constructor(ns: string | null, fd: number, ino: number) {
    this.ns = ns;
    this.fd = fd;
    this.ino = ino;
  }

  /**
   * Opens the socket inside `ns` and reads the initial dumps.
   * @throws {SyscallError} when the namespace or the socket cannot be opened.
   */
  static open(ns: string | null): NsWatch {
    const groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
    const fd =
      ns === null
        ? openNetlinkSocket(NETLINK_ROUTE, groups)
        : withNetns(ns, () => openNetlinkSocket(NETLINK_ROUTE, groups));
    const w = new NsWatch(ns, fd, nsInode(ns));
    try {
      w.resync();
    } catch (err) {
      closeFd(fd);
      throw err;
    }
    return w;
  }

  /** False once the namespace's name is gone or names another namespace. */
  get current(): boolean {
    return this.ns === null || nsInode(this.ns) === this.ino;
  }

  /** Replaces the view with fresh dumps (the kernel answers a dump while we read). */
  resync(): void {
    this.resyncs++;
    this.links.clear();
    this.addrs.clear();
    for (const type of [RTM_GETLINK, RTM_GETADDR] as const) {
      const seq = ++this.#seq;
      netlinkSend(this.fd, rtnlDumpRequest(type, seq));
      for (let spins = 0; spins < 10000; spins++) {
        const { datagrams } = netlinkDrain(this.fd, buf, 64);
        if (this.#feed(datagrams, seq)) break;
      }
    }
  }

  /** Reads what is queued; true when anything changed. Never throws. */
  poll(): boolean {
    const { datagrams, errno } = netlinkDrain(this.fd, buf);
    let changed = false;
    if (datagrams.length > 0) {
      this.#feed(datagrams, -1);
      changed = true;
    }
    if (errno !== 0) {
      // ENOBUFS: events were lost; the dumps give the truth again.
      try {
        this.resync();
      } catch {
        this.bad++;
      }
      changed = true;
    }
    return changed;
  }

  /** Applies datagrams; true when NLMSG_DONE (or an error) for `doneSeq` was among them. */
  #feed(datagrams: readonly Uint8Array[], doneSeq: number): boolean {
    let done = false;
    for (const d of datagrams) {
      const { msgs, bad } = parseNetlink(d);
      if (bad) this.bad++;
      for (const m of msgs) {
        if ((m.type === NLMSG_DONE || m.type === NLMSG_ERROR) && m.seq === doneSeq) done = true;
        const ev = parseRtnl(m);
        if (ev === null) continue;
        if (ev.kind === 'link') {
          if (ev.add) this.links.set(ev.ifindex, ev);
          else {
            this.links.delete(ev.ifindex);
            this.addrs.delete(ev.ifindex);
          }
        } else {
          let set = this.addrs.get(ev.ifindex);
          if (set === undefined) {
            set = new Map();
            this.addrs.set(ev.ifindex, set);
          }
          const key = `${ev.addr}/${ev.prefixLen}`;
          if (ev.add) set.set(key, { addr: ev.addr, prefixLen: ev.prefixLen });
          else set.delete(key);
        }
      }
    }
    return done;
  }

  /** The link named `name`, if this namespace has one. */
  linkByName(name: string): LinkEvent | undefined {
    for (const l of this.links.values()) if (l.ifname === name) return l;
    return undefined;
  }

  /**
   * Removes an address with RTM_DELADDR (as `ip addr del` does). The kernel's answer
   * arrives with the events; its errno is not waited for.
   */
  delAddr(ifindex: number, addr: string, prefixLen: number): boolean {
    const ip = parseIp(addr);
    if (ip === null) return false;
    const v4 = isIpv4(ip);
    const alen = v4 ? 4 : 16;
    const msg = new Uint8Array(NLMSG_HDRLEN + 8 + 4 + alen);
    const v = new DataView(msg.buffer);
    v.setUint32(0, msg.length, true);
    v.setUint16(4, RTM_DELADDR, true);
    v.setUint16(6, NLM_F_REQUEST | NLM_F_ACK, true);
    v.setUint32(8, ++this.#seq, true);
    const o = NLMSG_HDRLEN;
    msg[o] = v4 ? 2 : 10;
    msg[o + 1] = prefixLen;
    v.setUint32(o + 4, ifindex, true);
    v.setUint16(o + 8, 4 + alen, true);
    v.setUint16(o + 10, 2, true); // IFA_LOCAL
    if (v4) v.setUint32(o + 12, ip, false);
    else ip.writeTo(msg, o + 12);
    try {
      netlinkSend(this.fd, msg);
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    closeFd(this.fd);
  }
}

/** The errno of an ack, for tests. */
export { nlError };

/**
 * The inode of namespace `ns` (a /var/run/netns name or a path), -1 when it is gone;
 * null, the daemon's own, is 0 unless `own` asks for the real one.
 */
export function nsInode(ns: string | null, own = false): number {
  if (ns === null && !own) return 0;
  try {
    return statSync(ns === null ? '/proc/self/ns/net' : netnsPath(ns)).ino;
  } catch {
    return -1;
  }
}
