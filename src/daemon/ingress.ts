// What the real master namespace does with traffic for slave addresses, per port mode.
// The slaves share the master's MAC, so the real master also receives their unicast.
//
// L2 and L3: the engine takes it from the AF_PACKET socket (RX-L2, RX-L3-1); an
// nftables `netdev` ingress chain on the master drops the master stack's own copy
// (ingress hooks run after the packet taps in __netif_receive_skb_core), so it does not
// answer TCP segments for slave addresses with RSTs, or forward them.
//
// L3S: the host's netfilter must see slave ingress (PREROUTING, INPUT, conntrack:
// L3S-2..L3S-5). The master stack receives it: each slave address gets a `local` route
// in the master namespace's local table, so it is routed as input. An `inet` table's
// INPUT chain at priority INT_MAX (where ipvlan's own ipvlan_nf_input sits) logs the
// packet to nfnetlink_log group `nflogGroup`, which the engine reads and delivers to
// the slave, and rewrites its protocol to 253 (RFC 3692 experimental), so that after
// conntrack has confirmed it the host's local delivery hands it to the daemon's raw
// "sink" socket for protocol 253 instead of ICMP/TCP/UDP: no echo reply, RST or port
// unreachable from the host. It is not dropped, because a drop at INT_MAX can run
// before conntrack's confirm hook (equal priorities run newest first) and the entry
// would be lost. ARP requests for slave IPv4 addresses are dropped at ingress, or the
// host would answer them for its local routes (slaves do no ARP in L3/L3S, RX-L3-2).
// (tc clsact + flower/gact was the other ingress candidate; this kernel has neither
// cls_flower nor gact. nft `queue` is not built and iptables is absent, so NFQUEUE is
// out of reach from the nft tool: see docs/linux-dataplane.md.)
//
// The tables are (re)built with `nft -f` (a child process: attach and mode changes).
// Addresses come and go through netlink instead — nf_tables set elements and local
// routes, as `nft add element` and `ip route` would send them — in microseconds on
// the daemon's main thread, so following a slave's address never holds up the
// watcher for a fork: a ping started right after `ip addr add; ip link set up` finds
// the engine already up to date.

import { spawnSync } from 'node:child_process';
import {
  NFPROTO_INET,
  NFPROTO_NETDEV,
  nftSetElemBatch,
  nlError,
  parseNetlink,
  rtmLocalRoute,
} from '../backend/linux/netlink-msg.ts';
import { closeFd } from '../backend/linux/sys/fd.ts';
import { netlinkDrain, netlinkSend, openNetlinkSocket } from '../backend/linux/sys/netlink.ts';
import { NETLINK_NETFILTER, NETLINK_ROUTE } from '../backend/linux/sys/constants.ts';
import { isIpv4, parseIp } from '../wire/address.ts';

export type Log = (line: string) => void;

/** IPVLAN_MODE_* as the filter sees them. */
export type FilterMode = 0 | 1 | 2;

/** The protocol number the L3S rule rewrites delivered packets to (RFC 3692). */
export const L3S_SINK_PROTO = 253;

/** The nft tables for one master, named by ifindex (interface names may hold '-' or '.'). */
export class IngressFilter {
  readonly table: string;
  readonly l3sTable: string;
  readonly nflogGroup: number;
  readonly #master: string;
  readonly #log: Log;
  readonly #addrs = new Set<string>();
  #mode: FilterMode = 0;
  #installed = false;
  #warned = false;
  readonly #ifindex: number;
  /** NETLINK_NETFILTER and NETLINK_ROUTE sockets in the master's namespace, opened on first use. */
  #nfnl = -1;
  #rtnl = -1;
  #seq = 1;
  readonly #rx = new Uint8Array(8192);

  constructor(master: string, ifindex: number, log: Log) {
    this.#master = master;
    this.#ifindex = ifindex;
    this.table = `ipvlan_ts_${ifindex}`;
    this.l3sTable = `ipvlan_ts_l3s_${ifindex}`;
    // One group per master; nfnetlink_log allows one listener per group and namespace.
    this.nflogGroup = 0x7000 + (ifindex % 0x1000);
    this.#log = log;
  }

  get installed(): boolean {
    return this.#installed;
  }

  get mode(): FilterMode {
    return this.#mode;
  }

  #run(cmd: string, args: string[], input?: string): boolean {
    const r = spawnSync(cmd, args, { input, encoding: 'utf8' });
    if (r.error !== undefined || r.status !== 0) {
      if (!this.#warned) {
        this.#warned = true;
        const why = r.error?.message ?? r.stderr.trim();
        this.#log(`warning: ${cmd} failed on ${this.#master} (${why})`);
      }
      return false;
    }
    return true;
  }

  #nft(script: string): boolean {
    return this.#run('nft', ['-f', '-'], script);
  }

  #warn(what: string, why: string): void {
    if (this.#warned) return;
    this.#warned = true;
    this.#log(`warning: ${what} failed on ${this.#master} (${why})`);
  }

  /**
   * Sends a request on one of the netlink sockets and reads its answers. The kernel
   * handles a netlink request inside the write, so the acknowledgements (or errors)
   * are queued when it returns. Never throws: a failure is logged once.
   */
  #netlink(which: 'nfnl' | 'rtnl', msg: Uint8Array, what: string): void {
    let fd = which === 'nfnl' ? this.#nfnl : this.#rtnl;
    try {
      if (fd < 0) {
        fd = openNetlinkSocket(which === 'nfnl' ? NETLINK_NETFILTER : NETLINK_ROUTE, 0, 1 << 16);
        if (which === 'nfnl') this.#nfnl = fd;
        else this.#rtnl = fd;
      }
      netlinkSend(fd, msg);
    } catch (err) {
      this.#warn(what, (err as Error).message);
      return;
    }
    for (const d of netlinkDrain(fd, this.#rx, 16).datagrams)
      for (const m of parseNetlink(d).msgs) {
        const e = nlError(m);
        if (e !== null && e !== 0) this.#warn(what, `errno ${-e}`);
      }
  }

  /** Closes the netlink sockets (the tables stay: they protect the master until a new daemon). */
  close(): void {
    for (const fd of [this.#nfnl, this.#rtnl]) if (fd >= 0) closeFd(fd);
    this.#nfnl = -1;
    this.#rtnl = -1;
  }

  /** (Re)creates the tables for `mode` with every known address. */
  install(mode: FilterMode = this.#mode): void {
    const oldMode = this.#mode;
    this.#mode = mode;
    const t = this.table;
    const l = this.l3sTable;
    const dev = JSON.stringify(this.#master);
    const v4 = [...this.#addrs].filter((a) => a.includes('.'));
    const v6 = [...this.#addrs].filter((a) => !a.includes('.'));
    const elems = (list: string[]): string =>
      list.length === 0 ? '' : ` elements = { ${list.join(', ')} };`;
    const l3s = mode === 2;
    let script =
      `table netdev ${t}\ndelete table netdev ${t}\n` +
      `table inet ${l}\ndelete table inet ${l}\n` +
      `table netdev ${t} {\n` +
      `  set v4 { type ipv4_addr;${elems(v4)} }\n` +
      `  set v6 { type ipv6_addr;${elems(v6)} }\n` +
      `  chain ingress { type filter hook ingress device ${dev} priority -500; policy accept;\n`;
    script += l3s
      ? `    arp operation request arp daddr ip @v4 counter drop\n`
      : `    ip daddr @v4 counter drop\n    ip6 daddr @v6 counter drop\n`;
    script += `  }\n}\n`;
    if (l3s) {
      const g = this.nflogGroup;
      script +=
        `table inet ${l} {\n` +
        `  set v4 { type ipv4_addr;${elems(v4)} }\n` +
        `  set v6 { type ipv6_addr;${elems(v6)} }\n` +
        `  chain input { type filter hook input priority 2147483647; policy accept;\n` +
        `    ip daddr @v4 counter log group ${g} queue-threshold 1 ip protocol set ${L3S_SINK_PROTO}\n` +
        `    ip6 daddr @v6 counter log group ${g} queue-threshold 1 ip6 nexthdr set ${L3S_SINK_PROTO}\n` +
        `  }\n}\n`;
    }
    this.#installed = this.#nft(script);
    if (l3s !== (oldMode === 2)) for (const a of this.#addrs) this.#localRoute(a, l3s);
  }

  #localRoute(addr: string, add: boolean): void {
    const key = addrBytes(addr);
    if (key === null) return;
    const verb = add ? 'replace' : 'del';
    this.#netlink(
      'rtnl',
      rtmLocalRoute(this.#seq++, add, key, this.#ifindex),
      `ip route ${verb} local ${addr}`,
    );
  }

  #element(addr: string, add: boolean): void {
    const key = addrBytes(addr);
    if (key === null) return;
    // An IPv6 link-local address belongs to the link, not to one slave: the master's
    // own stack keeps receiving traffic for it.
    if (key.length === 16 && addr.toLowerCase().startsWith('fe80')) return;
    if (add === this.#addrs.has(addr)) return;
    if (add) this.#addrs.add(addr);
    else this.#addrs.delete(addr);
    const set = key.length === 4 ? 'v4' : 'v6';
    const verb = add ? 'add' : 'delete';
    if (this.#installed) {
      const batch = (family: number, table: string): Uint8Array => {
        const seq = this.#seq;
        this.#seq += 3;
        return nftSetElemBatch(seq, family, table, set, [key], add);
      };
      this.#netlink('nfnl', batch(NFPROTO_NETDEV, this.table), `nft ${verb} element`);
      if (this.#mode === 2)
        this.#netlink('nfnl', batch(NFPROTO_INET, this.l3sTable), `nft ${verb} element`);
    }
    if (this.#mode === 2) this.#localRoute(addr, add);
  }

  add(addr: string): void {
    this.#element(addr, true);
  }

  del(addr: string): void {
    this.#element(addr, false);
  }

  /** Removes the tables and routes (the last slave of the master is gone). */
  remove(): void {
    if (this.#mode === 2) for (const a of this.#addrs) this.#localRoute(a, false);
    this.#addrs.clear();
    if (this.#installed)
      this.#nft(
        `delete table netdev ${this.table}\ntable inet ${this.l3sTable}\ndelete table inet ${this.l3sTable}\n`,
      );
    this.#installed = false;
  }
}

/** An address as set keys and route destinations carry it: network order, 4 or 16 bytes. */
function addrBytes(addr: string): Uint8Array | null {
  const ip = parseIp(addr);
  if (ip === null) return null;
  if (!isIpv4(ip)) {
    const b = new Uint8Array(16);
    ip.writeTo(b, 0);
    return b;
  }
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, ip, false);
  return b;
}
