// Keeping the real master's own stack away from frames ipvlan consumes. The slaves
// share the master's MAC, so the real master also receives their unicast; without a
// filter its stack would answer TCP segments for slave addresses with RSTs or forward
// them. An nftables `netdev` table with an ingress chain on the master drops IPv4/IPv6
// packets whose destination is a slave address. Ingress hooks run after the packet
// taps in __netif_receive_skb_core, so the daemon's AF_PACKET socket has its copy
// already. (tc clsact + flower/gact is the other candidate; this kernel has neither
// cls_flower nor the gact action, nf_tables netdev is built in.)

import { spawnSync } from 'node:child_process';
import { isIpv4, parseIp } from '../wire/address.ts';

export type Log = (line: string) => void;

/** The nft table for one master, named by ifindex (interface names may hold '-' or '.'). */
export class IngressFilter {
  readonly table: string;
  readonly #master: string;
  readonly #log: Log;
  #installed = false;
  #warned = false;

  constructor(master: string, ifindex: number, log: Log) {
    this.#master = master;
    this.table = `ipvlan_ts_${ifindex}`;
    this.#log = log;
  }

  get installed(): boolean {
    return this.#installed;
  }

  #nft(script: string): boolean {
    const r = spawnSync('nft', ['-f', '-'], { input: script, encoding: 'utf8' });
    if (r.error !== undefined || r.status !== 0) {
      if (!this.#warned) {
        this.#warned = true;
        const why = r.error?.message ?? r.stderr.trim();
        this.#log(
          `warning: nft failed on ${this.#master} (${why}); the master's own stack also sees slave unicast`,
        );
      }
      return false;
    }
    return true;
  }

  /** (Re)creates the table empty: a restarted daemon relearns every address. */
  install(): void {
    const t = this.table;
    const dev = JSON.stringify(this.#master);
    this.#installed = this.#nft(
      `table netdev ${t}\ndelete table netdev ${t}\n` +
        `table netdev ${t} {\n` +
        `  set v4 { type ipv4_addr; }\n` +
        `  set v6 { type ipv6_addr; }\n` +
        `  chain ingress { type filter hook ingress device ${dev} priority -500; policy accept;\n` +
        `    ip daddr @v4 counter drop\n` +
        `    ip6 daddr @v6 counter drop\n` +
        `  }\n}\n`,
    );
  }

  #element(addr: string, add: boolean): void {
    if (!this.#installed) return;
    const ip = parseIp(addr);
    if (ip === null) return;
    const set = isIpv4(ip) ? 'v4' : 'v6';
    // An IPv6 link-local address belongs to the link, not to one slave: the master's
    // own stack keeps receiving traffic for it.
    if (!isIpv4(ip) && addr.toLowerCase().startsWith('fe80')) return;
    this.#nft(`${add ? 'add' : 'delete'} element netdev ${this.table} ${set} { ${addr} }\n`);
  }

  add(addr: string): void {
    this.#element(addr, true);
  }

  del(addr: string): void {
    this.#element(addr, false);
  }

  /** Removes the table (the last slave of the master is gone). */
  remove(): void {
    if (this.#installed) this.#nft(`delete table netdev ${this.table}\n`);
    this.#installed = false;
  }
}
