// The Linux data-plane daemon's main thread: the control plane. It owns the fds (TAPs
// in its own namespace, one AF_PACKET socket per master), the state directory, the
// nftables ingress filters, and the watcher that follows each TAP into whatever
// namespace plain iproute2 moved it to and learns its addresses, up/down state and
// MTU from the real kernel. Frames never touch this thread: the engine runs in the I/O
// worker (engine.ts) and is configured between two batches through LoopHost.call.
// Design and deviations: docs/linux-dataplane.md.

import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { ERRNO, ErrnoError, strerror, type ErrnoName } from '../base/errno.ts';
import { LoopHost } from '../backend/linux/host.ts';
import { closeFd } from '../backend/linux/sys/fd.ts';
import { getHwAddr, getMtu, ifIndex, setHwAddr, setMtu } from '../backend/linux/sys/netdev.ts';
import { NETNS_RUN_DIR, withNetns } from '../backend/linux/sys/netns.ts';
import { openPacketSocket } from '../backend/linux/sys/packet.ts';
import { openTap, setPersist, TUN_PATH } from '../backend/linux/sys/tun.ts';
import type { LinkMsg, LinkSelector, NetnsEntry, NewLinkRequest } from '../rtnl/messages.ts';
import { ARPHRD_ETHER, IFF_UP, IPVLAN_MODE_L2, IPVLAN_MODE_L3 } from '../uapi/if.ts';
import { decodeValue, encodeValue } from './codec.ts';
import type { EngineCall, EngineLinkFailure, EngineStats } from './engine.ts';
import { IngressFilter, type Log } from './ingress.ts';
import {
  ensureStateDir,
  loadState,
  saveState,
  type DaemonState,
  type SlaveRecord,
} from './state.ts';

const run = promisify(execFile);

export interface DaemonOptions {
  readonly stateDir: string;
  readonly log?: Log;
  /** How often every TAP is re-read from the real kernel (ms). Default 200. */
  readonly pollMs?: number;
}

interface Master {
  readonly name: string;
  readonly ifindex: number;
  readonly mac: string;
  readonly mtu: number;
  readonly fd: number;
  readonly filter: IngressFilter;
}

interface Slave {
  readonly rec: SlaveRecord;
  fd: number;
  /** Addresses fed to the engine, "addr/prefix". */
  readonly fed: Set<string>;
  up: boolean;
  mtu: number;
  misses: number;
}

/** What `ip -j -d addr show dev X` prints for one device (the fields used). */
interface IpJsonLink {
  readonly ifindex: number;
  readonly ifname: string;
  readonly flags: readonly string[];
  readonly mtu: number;
  readonly address?: string;
  readonly linkinfo?: { readonly info_kind?: string };
  readonly addr_info?: readonly {
    readonly family: string;
    readonly local: string;
    readonly prefixlen: number;
  }[];
}

/** A refusal the daemon made on its own (duplicate address), kept for `status`. */
export interface Refusal {
  readonly slave: string;
  readonly addr: string;
  readonly reason: string;
}

function ipArgs(ns: string | null, args: readonly string[]): string[] {
  return ns === null ? [...args] : ['-n', ns, ...args];
}

/** Serialises control work (requests, watcher rounds, failures) on the main thread. */
class Mutex {
  #tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T> | T): Promise<T> {
    const next = this.#tail.then(fn, fn);
    this.#tail = next.catch(() => undefined);
    return next;
  }
}

export class Daemon {
  readonly stateDir: string;
  readonly #log: Log;
  readonly #pollMs: number;
  readonly #host: LoopHost;
  readonly #state: DaemonState;
  readonly #masters = new Map<string, Master>();
  readonly #slaves = new Map<string, Slave>();
  readonly #mutex = new Mutex();
  readonly refusals: Refusal[] = [];
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;

  private constructor(options: DaemonOptions, host: LoopHost, state: DaemonState) {
    this.stateDir = options.stateDir;
    this.#log = options.log ?? ((line) => process.stderr.write(`ipvlan daemon: ${line}\n`));
    this.#pollMs = options.pollMs ?? 200;
    this.#host = host;
    this.#state = state;
    host.onEvent((body) => {
      const ev = body as EngineLinkFailure;
      if (ev.type === 'link-failure') void this.#mutex.run(() => this.#onFailure(ev));
    });
  }

  /**
   * Checks the environment, starts the engine, restores every persisted slave and
   * starts following the TAPs.
   * @throws {ErrnoError} EPERM when not root, ENOENT when /dev/net/tun is missing.
   */
  static async start(options: DaemonOptions): Promise<Daemon> {
    if (process.getuid?.() !== 0)
      throw new ErrnoError('EPERM', 'the daemon must run as root (it creates TAPs and sockets)');
    if (!existsSync(TUN_PATH))
      throw new ErrnoError(
        'ENOENT',
        `${TUN_PATH} is missing: this kernel has no TUN/TAP (CONFIG_TUN)`,
      );
    ensureStateDir(options.stateDir);
    const state = loadState(options.stateDir);
    const host = await LoopHost.start(new URL('./engine.ts', import.meta.url), null);
    const d = new Daemon(options, host, state);
    await d.#mutex.run(() => d.#restore());
    d.#schedule(0);
    return d;
  }

  /** Stops following and the engine; TAPs persist, so a new daemon picks them up. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    await this.#mutex.run(() => undefined);
    await this.#host.stop();
    for (const s of this.#slaves.values()) closeFd(s.fd);
    for (const m of this.#masters.values()) closeFd(m.fd);
  }

  #engine<T = unknown>(call: EngineCall): Promise<T> {
    // The worker sends errors back as message + code; an ErrnoError's message is its
    // extack when it had one.
    return this.#host.call<T>(call).catch((err: unknown) => {
      const e = err as { code?: unknown; message?: unknown };
      if (typeof e.code === 'string' && e.code in ERRNO) {
        const code = e.code as ErrnoName;
        const msg = typeof e.message === 'string' ? e.message : '';
        throw new ErrnoError(code, msg === '' || msg === strerror(code) ? undefined : msg);
      }
      throw err;
    });
  }

  #save(): void {
    this.#state.slaves = [...this.#slaves.values()].map((s) => s.rec);
    saveState(this.stateDir, this.#state);
  }

  // ------------------------------------------------------------ masters

  async #attachMaster(name: string): Promise<Master> {
    const known = this.#masters.get(name);
    if (known !== undefined) return known;
    const ifindex = ifIndex(name);
    const hw = getHwAddr(name);
    if (hw.type !== ARPHRD_ETHER)
      throw new ErrnoError('EINVAL', 'Master is either lo or non-ether device');
    const mtu = getMtu(name);
    const sock = openPacketSocket({ ifname: name });
    const filter = new IngressFilter(name, ifindex, this.#log);
    try {
      await this.#engine({
        op: 'attachMaster',
        name,
        ifindex,
        mac: hw.mac.toString(),
        mtu,
        link: { fd: sock.fd, name, kind: 'packet', vnetHdrLen: sock.vnetHdrLen },
      });
    } catch (err) {
      closeFd(sock.fd);
      throw err;
    }
    filter.install();
    const m: Master = { name, ifindex, mac: hw.mac.toString(), mtu, fd: sock.fd, filter };
    this.#masters.set(name, m);
    return m;
  }

  #isSlaveName(name: string): boolean {
    return this.#slaves.has(name);
  }

  // ------------------------------------------------------------ the rtnl subset

  /** Answers one control request (`method` of RtnlApi, encoded arguments). */
  handle(method: string, args: unknown): Promise<unknown> {
    return this.#mutex.run(async () => encodeValue(await this.#handle(method, args)));
  }

  async #handle(method: string, encoded: unknown): Promise<unknown> {
    const args = decodeValue(encoded) as unknown[];
    switch (method) {
      case 'getLink':
        return this.#getLink(args[1] as LinkSelector);
      case 'dumpLinks':
        return this.#rtnl('dumpLinks', [{}]);
      case 'newLink':
        return this.#newLink(args[1] as NewLinkRequest);
      case 'delLink':
        return this.#delLink((args[1] as { ifindex: number }).ifindex);
      case 'netnsList':
        return this.#netnsList();
      case 'status':
        return this.#status();
      default:
        throw new ErrnoError('EOPNOTSUPP');
    }
  }

  #rtnl<T>(method: 'newLink' | 'delLink' | 'getLink' | 'dumpLinks', args: unknown[]): Promise<T> {
    return this.#engine<unknown>({ op: 'rtnl', method, args: encodeValue(args) }).then(
      (v) => decodeValue(v) as T,
    );
  }

  async #getLink(selector: LinkSelector): Promise<LinkMsg> {
    try {
      return await this.#rtnl<LinkMsg>('getLink', [{}, selector]);
    } catch (err) {
      // A real interface the engine does not know yet becomes a master on first use
      // (`link MASTER` is resolved by name before the create request).
      if (!(err instanceof ErrnoError) || err.code !== 'ENODEV' || !('ifname' in selector))
        throw err;
      if (this.#isSlaveName(selector.ifname)) throw err;
      try {
        ifIndex(selector.ifname);
      } catch {
        throw err;
      }
      await this.#attachMaster(selector.ifname);
      return this.#rtnl<LinkMsg>('getLink', [{}, selector]);
    }
  }

  #slaveByIfindex(ifindex: number): Slave | undefined {
    for (const s of this.#slaves.values()) if (s.rec.ifindex === ifindex) return s;
    return undefined;
  }

  async #newLink(req: NewLinkRequest): Promise<void> {
    const info = req.linkinfo;
    // A create without `mode` asks for the kernel's default, L3 (LC-8).
    const dflt = req.nlm.create === true ? IPVLAN_MODE_L3 : IPVLAN_MODE_L2;
    if (info?.kind === 'ipvlan' && (info.data?.mode ?? dflt) !== IPVLAN_MODE_L2)
      // L3/L3S need egress routed by the real master namespace (docs/linux-dataplane.md);
      // until that exists a slave in those modes would silently lose its traffic.
      throw new ErrnoError('EOPNOTSUPP', 'the ipvlan daemon supports mode l2 only so far');
    if (req.nlm.create !== true) return this.#changeLink(req);
    if (req.linkinfo?.kind !== 'ipvlan')
      throw new ErrnoError('EOPNOTSUPP', 'the ipvlan daemon creates only ipvlan links');
    if (req.link === undefined) throw new ErrnoError('EINVAL');
    const lower = await this.#rtnl<LinkMsg>('getLink', [{}, { ifindex: req.link }]);
    if (this.#slaveByIfindex(lower.ifindex) !== undefined)
      throw new ErrnoError('EINVAL', 'the daemon does not nest ipvlan on its own slaves');
    const master = await this.#attachMaster(lower.ifname);
    const name = req.ifname ?? 'ipvl%d';
    if (!name.includes('%')) {
      if (this.#slaves.has(name)) throw new ErrnoError('EEXIST');
      let exists = true;
      try {
        ifIndex(name);
      } catch {
        exists = false;
      }
      if (exists) throw new ErrnoError('EEXIST');
    }
    const tap = openTap({ name, exclusive: true });
    let created = false;
    try {
      setPersist(tap.fd, true, tap.name);
      setHwAddr(tap.name, getHwAddr(master.name).mac);
      setMtu(tap.name, req.mtu ?? master.mtu);
      const ifindex = ifIndex(tap.name);
      const data = req.linkinfo.data;
      await this.#rtnl('newLink', [
        {},
        {
          nlm: req.nlm,
          ifname: tap.name,
          ifindex,
          link: master.ifindex,
          linkinfo: data === undefined ? { kind: 'ipvlan' } : { kind: 'ipvlan', data },
        } satisfies NewLinkRequest,
      ]);
      created = true;
      await this.#engine({
        op: 'attachTap',
        ifindex,
        link: { fd: tap.fd, name: tap.name, kind: 'tap', vnetHdrLen: tap.vnetHdrLen },
      });
      await this.#engine({ op: 'setMtu', ifindex, mtu: req.mtu ?? master.mtu });
      const info = await this.#rtnl<LinkMsg>('getLink', [{}, { ifindex }]);
      const ipv = info.linkinfo?.kind === 'ipvlan' ? info.linkinfo.data : undefined;
      const rec: SlaveRecord = {
        name: tap.name,
        master: master.name,
        mode: ipv?.mode ?? 0,
        flags: ipv?.flags ?? 0,
        netns: null,
        ifindex,
      };
      if (req.netns !== undefined) {
        if (!('name' in req.netns))
          throw new ErrnoError('EOPNOTSUPP', 'netns PID is not supported');
        moveTap(tap.name, null, req.netns.name);
        rec.netns = req.netns.name;
      }
      this.#slaves.set(tap.name, { rec, fd: tap.fd, fed: new Set(), up: false, mtu: 0, misses: 0 });
      this.#save();
      this.#log(`${tap.name}: created on ${master.name} (${describeMode(rec)})`);
    } catch (err) {
      if (created) {
        await this.#engine({ op: 'detachTap', ifindex: ifIndexOr(tap.name) }).catch(() => {});
        const ifindex = ifIndexOr(tap.name);
        await this.#rtnl('delLink', [{}, { ifindex }]).catch(() => {});
      }
      try {
        setPersist(tap.fd, false, tap.name);
      } catch {
        // The fd closes below; a TAP that stays persistent is removed by hand.
      }
      closeFd(tap.fd);
      throw err;
    }
  }

  async #changeLink(req: NewLinkRequest): Promise<void> {
    const slave = req.ifindex === undefined ? undefined : this.#slaveByIfindex(req.ifindex);
    const { netns, ...rest } = req;
    if (slave !== undefined && netns !== undefined) {
      if (!('name' in netns)) throw new ErrnoError('EOPNOTSUPP', 'netns PID is not supported');
      moveTap(slave.rec.name, slave.rec.netns, netns.name);
      slave.rec.netns = netns.name;
    }
    // Up/down and MTU belong to the real TAP: the watcher carries them to the engine.
    if (slave !== undefined && ((req.change ?? 0) & IFF_UP) !== 0) {
      const up = ((req.flags ?? 0) & IFF_UP) !== 0;
      await run(
        'ip',
        ipArgs(slave.rec.netns, ['link', 'set', 'dev', slave.rec.name, up ? 'up' : 'down']),
      );
    }
    const forward: NewLinkRequest = { ...rest };
    if (
      forward.linkinfo !== undefined ||
      forward.ifname !== undefined ||
      forward.mtu !== undefined
    ) {
      await this.#rtnl('newLink', [{}, { ...forward, flags: undefined, change: undefined }]);
    }
    if (slave !== undefined) {
      const info = await this.#rtnl<LinkMsg>('getLink', [{}, { ifindex: slave.rec.ifindex }]);
      if (info.linkinfo?.kind === 'ipvlan') {
        // The mode and flags are the port's: every slave of this master follows.
        for (const s of this.#slaves.values())
          if (s.rec.master === slave.rec.master) {
            s.rec.mode = info.linkinfo.data.mode;
            s.rec.flags = info.linkinfo.data.flags;
          }
      }
    }
    this.#save();
  }

  async #delLink(ifindex: number): Promise<void> {
    const slave = this.#slaveByIfindex(ifindex);
    if (slave === undefined) {
      await this.#rtnl('delLink', [{}, { ifindex }]);
      return;
    }
    await this.#removeSlave(slave, 'deleted');
  }

  async #removeSlave(slave: Slave, why: string): Promise<void> {
    const m = this.#masters.get(slave.rec.master);
    for (const key of slave.fed) m?.filter.del(key.split('/')[0] ?? '');
    await this.#engine({ op: 'detachTap', ifindex: slave.rec.ifindex });
    await this.#rtnl('delLink', [{}, { ifindex: slave.rec.ifindex }]).catch(() => {});
    try {
      setPersist(slave.fd, false, slave.rec.name);
    } catch {
      // Gone already (namespace deleted): nothing persists.
    }
    closeFd(slave.fd);
    this.#slaves.delete(slave.rec.name);
    this.#save();
    this.#log(`${slave.rec.name}: ${why}`);
  }

  #netnsList(): NetnsEntry[] {
    let names: string[] = [];
    try {
      names = readdirSync(NETNS_RUN_DIR);
    } catch {
      names = [];
    }
    return names.map((name) => ({ name }));
  }

  async #status(): Promise<unknown> {
    const stats = await this.#engine<EngineStats>({ op: 'stats' });
    return {
      slaves: [...this.#slaves.values()].map((s) => ({
        ...s.rec,
        up: s.up,
        addrs: [...s.fed],
      })),
      refusals: this.refusals,
      stats,
    };
  }

  // ------------------------------------------------------------ restore after a restart

  async #restore(): Promise<void> {
    for (const rec of this.#state.slaves) {
      try {
        await this.#restoreOne(rec);
      } catch (err) {
        this.#log(`${rec.name}: not restored: ${(err as Error).message}`);
      }
    }
    this.#save();
  }

  async #restoreOne(rec: SlaveRecord): Promise<void> {
    const master = await this.#attachMaster(rec.master);
    const where = await this.#locate(rec.name, rec.netns, master.mac);
    if (where === undefined) throw new Error('its TAP no longer exists');
    // A TAP in another namespace is reattached there (the fd then pins that namespace;
    // the watcher deletes the slave when the namespace's name disappears).
    const open = (): ReturnType<typeof openTap> => openTap({ name: rec.name });
    const tap = where.ns === null ? open() : withNetns(where.ns, open);
    const ifindex = rec.ifindex;
    try {
      await this.#rtnl('newLink', [
        {},
        {
          nlm: { create: true, excl: true },
          ifname: rec.name,
          ifindex,
          link: master.ifindex,
          linkinfo: { kind: 'ipvlan', data: { mode: rec.mode, flags: rec.flags } },
        } satisfies NewLinkRequest,
      ]);
      await this.#engine({
        op: 'attachTap',
        ifindex,
        link: { fd: tap.fd, name: rec.name, kind: 'tap', vnetHdrLen: tap.vnetHdrLen },
      });
    } catch (err) {
      closeFd(tap.fd);
      throw err;
    }
    const restored: SlaveRecord = { ...rec, netns: where.ns };
    this.#slaves.set(rec.name, {
      rec: restored,
      fd: tap.fd,
      fed: new Set(),
      up: false,
      mtu: 0,
      misses: 0,
    });
    await this.#apply(this.#slaves.get(rec.name) as Slave, where.info);
    this.#log(`${rec.name}: restored on ${rec.master} (${describeMode(rec)})`);
  }

  // ------------------------------------------------------------ following the TAPs

  /** Finds the TAP `name` (kind tun, the master's MAC): first where it was, then everywhere. */
  async #locate(
    name: string,
    hint: string | null,
    mac: string,
  ): Promise<{ ns: string | null; info: IpJsonLink } | undefined> {
    const tried = new Set<string | null>();
    const candidates: (string | null)[] = [hint, null, ...this.#netnsList().map((e) => e.name)];
    for (const ns of candidates) {
      if (tried.has(ns)) continue;
      tried.add(ns);
      const info = await queryLink(ns, name);
      if (info === undefined) continue;
      if (info.linkinfo?.info_kind !== 'tun') continue;
      if (info.address !== undefined && info.address.toLowerCase() !== mac.toLowerCase()) continue;
      return { ns, info };
    }
    return undefined;
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      void this.#mutex
        .run(() => this.#pollAll())
        .catch((err: unknown) => this.#log(`watcher: ${(err as Error).message}`))
        .finally(() => this.#schedule(this.#pollMs));
    }, ms);
  }

  async #pollAll(): Promise<void> {
    for (const slave of [...this.#slaves.values()]) {
      const master = this.#masters.get(slave.rec.master);
      if (master === undefined) continue;
      let info = await queryLink(slave.rec.netns, slave.rec.name);
      if (info === undefined || info.linkinfo?.info_kind !== 'tun') {
        const found = await this.#locate(slave.rec.name, slave.rec.netns, master.mac);
        if (found === undefined) {
          // Three rounds without the TAP anywhere: its namespace went away with it.
          if (++slave.misses >= 3) await this.#removeSlave(slave, 'its TAP is gone');
          continue;
        }
        if (found.ns !== slave.rec.netns) {
          slave.rec.netns = found.ns;
          this.#save();
        }
        info = found.info;
      }
      slave.misses = 0;
      await this.#apply(slave, info);
    }
  }

  /** Carries one TAP's real state (up, MTU, addresses) into the engine. */
  async #apply(slave: Slave, info: IpJsonLink): Promise<void> {
    const ifindex = slave.rec.ifindex;
    const master = this.#masters.get(slave.rec.master);
    const up = info.flags.includes('UP');
    if (info.mtu !== slave.mtu) {
      slave.mtu = info.mtu;
      await this.#engine({ op: 'setMtu', ifindex, mtu: info.mtu });
    }
    const now = new Map<string, { addr: string; prefixLen: number }>();
    for (const a of info.addr_info ?? []) {
      if (a.family !== 'inet' && a.family !== 'inet6') continue;
      now.set(`${a.local}/${a.prefixlen}`, { addr: a.local, prefixLen: a.prefixlen });
    }
    for (const key of [...slave.fed]) {
      if (now.has(key)) continue;
      const [addr = '', plen = '0'] = key.split('/');
      await this.#engine({ op: 'addr', ifindex, addr, prefixLen: Number(plen), add: false });
      slave.fed.delete(key);
      master?.filter.del(addr);
    }
    for (const [key, a] of now) {
      if (slave.fed.has(key)) continue;
      try {
        await this.#engine({
          op: 'addr',
          ifindex,
          addr: a.addr,
          prefixLen: a.prefixLen,
          add: true,
        });
        slave.fed.add(key);
        master?.filter.add(a.addr);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        // As the kernel refuses it (ADDR-1): the address is removed from the TAP again.
        await run('ip', ipArgs(slave.rec.netns, ['addr', 'del', key, 'dev', slave.rec.name])).catch(
          () => {},
        );
        this.refusals.push({ slave: slave.rec.name, addr: key, reason });
        this.#log(`${slave.rec.name}: ${key} removed: ${reason}`);
      }
    }
    if (up !== slave.up) {
      slave.up = up;
      await this.#engine({ op: 'setUp', ifindex, up });
    }
  }

  async #onFailure(ev: EngineLinkFailure): Promise<void> {
    const slave = this.#slaveByIfindex(ev.ifindex);
    if (slave === undefined) {
      this.#log(`${ev.name}: I/O failed (errno ${ev.errno}, revents 0x${ev.revents.toString(16)})`);
      return;
    }
    await this.#removeSlave(slave, `its TAP failed (errno ${ev.errno}): slave deleted`);
  }
}

function describeMode(rec: SlaveRecord): string {
  const mode = ['l2', 'l3', 'l3s'][rec.mode] ?? String(rec.mode);
  const flag = rec.flags === 1 ? 'private' : rec.flags === 2 ? 'vepa' : 'bridge';
  return `mode ${mode} ${flag}`;
}

function ifIndexOr(name: string): number {
  try {
    return ifIndex(name);
  } catch {
    return 0;
  }
}

/** Moves a TAP between namespaces with iproute2 (RTM_NEWLINK IFLA_NET_NS_FD). */
function moveTap(name: string, from: string | null, to: string): void {
  const r = spawnSync('ip', ipArgs(from, ['link', 'set', 'dev', name, 'netns', to]), {
    encoding: 'utf8',
  });
  if (r.status !== 0)
    throw new ErrnoError('EINVAL', `cannot move ${name} to ${to}: ${(r.stderr ?? '').trim()}`);
}

/** `ip -d -j addr show dev NAME` in `ns`, or undefined when there is no such device. */
async function queryLink(ns: string | null, name: string): Promise<IpJsonLink | undefined> {
  try {
    const { stdout } = await run('ip', ipArgs(ns, ['-d', '-j', 'addr', 'show', 'dev', name]));
    const list = JSON.parse(stdout) as IpJsonLink[];
    return list[0];
  } catch {
    return undefined;
  }
}
