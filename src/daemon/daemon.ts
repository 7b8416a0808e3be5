// The Linux data-plane daemon's main thread: the control plane. It owns the fds (TAPs
// in its own namespace; per master an AF_PACKET socket, raw IP sockets for L3/L3S
// egress and, in L3S, an nfnetlink_log socket and raw sinks), the state directory, the
// nftables tables, and the watcher that follows each TAP into whatever namespace plain
// iproute2 moved it to and learns its addresses, up/down state, NOARP and MTU from
// rtnetlink events in that namespace (watch.ts). Frames never touch this thread: the engine runs in the I/O
// worker (engine.ts) and is configured between two batches through LoopHost.call.
// Design and deviations: docs/linux-dataplane.md.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { ERRNO, ErrnoError, strerror, type ErrnoName } from '../base/errno.ts';
import { LoopHost, siblingModule } from '../backend/linux/host.ts';
import { closeFd } from '../backend/linux/sys/fd.ts';
import { nflogConfig, NFULNL_CFG_CMD_BIND } from '../backend/linux/netlink-msg.ts';
import {
  AF_INET,
  AF_INET6,
  NETLINK_NETFILTER,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_RAW,
  SOL_SOCKET,
  SO_RCVBUF,
} from '../backend/linux/sys/constants.ts';
import { check } from '../backend/linux/sys/errors.ts';
import { libc } from '../backend/linux/sys/libc.ts';
import {
  getHwAddr,
  getIfFlags,
  getMtu,
  ifIndex,
  setHwAddr,
  setIfFlags,
  setMtu,
} from '../backend/linux/sys/netdev.ts';
import { netlinkSend, openNetlinkSocket } from '../backend/linux/sys/netlink.ts';
import { NETNS_RUN_DIR, withNetns } from '../backend/linux/sys/netns.ts';
import { openPacketSocket } from '../backend/linux/sys/packet.ts';
import { openRawIpSocket } from '../backend/linux/sys/rawip.ts';
import {
  openTap,
  setCarrier,
  setOffload,
  setPersist,
  TAP_DEFAULT_OFFLOADS,
  type Tap,
  TUN_PATH,
  tapNetnsInode,
  tunGetIff,
} from '../backend/linux/sys/tun.ts';
import type { LinkMsg, LinkSelector, NetnsEntry, NewLinkRequest } from '../rtnl/messages.ts';
import {
  ARPHRD_ETHER,
  IFF_LOWER_UP,
  IFF_NOARP,
  IFF_UP,
  IPVLAN_MODE_L2,
  IPVLAN_MODE_L3,
  IPVLAN_MODE_L3S,
} from '../uapi/if.ts';
import { decodeValue, encodeValue } from './codec.ts';
import type {
  EngineCall,
  EngineLinkFailure,
  EngineSlaveLink,
  EngineStats,
  EngineWatchReady,
} from './engine.ts';
import { IngressFilter, L3S_SINK_PROTO, type FilterMode, type Log } from './ingress.ts';
import {
  ensureStateDir,
  loadState,
  saveState,
  tapName,
  type DaemonState,
  type SlaveRecord,
} from './state.ts';
import { NsWatch, nsInode, type AddrInfo } from './watch.ts';
import type { LinkEvent } from '../backend/linux/netlink-msg.ts';

export interface DaemonOptions {
  readonly stateDir: string;
  readonly log?: Log;
  /**
   * The safety-net round of the watcher (ms), default 100: rtnetlink events wake it at
   * once (the worker watches the sockets), so this only bounds the time to notice what
   * sends no event to a watched socket. The slow work (TAPs gone missing) runs every 200 ms.
   */
  readonly tickMs?: number;
}

interface Master {
  readonly name: string;
  readonly ifindex: number;
  readonly mac: string;
  /** The MTU and carrier the engine's master has (the real master's, once followed). */
  mtu: number;
  carrier: boolean;
  /** Set when a slave was added: the next round asks the driver for every slave's state. */
  resync: boolean;
  readonly fd: number;
  readonly filter: IngressFilter;
  /** Raw IP sockets bound to the master (L3/L3S egress); -1 when one failed to open. */
  readonly raw4: number;
  readonly raw6: number;
  /** L3S: the nfnetlink_log socket and the raw sinks for protocol 253 (ingress.ts). */
  l3sFds: number[];
}

interface Slave {
  readonly rec: SlaveRecord;
  fd: number;
  /** Addresses fed to the engine, "addr/prefix". */
  readonly fed: Set<string>;
  up: boolean;
  mtu: number;
  /** The TAP's carrier as the daemon set it (TUNSETCARRIER); a TAP attaches with it on. */
  carrier: boolean;
  misses: number;
  /** The TAP's last known ifindex in its current namespace (renumbered on a move). */
  nsIfindex: number;
}

/** A refusal the daemon made on its own (duplicate address), kept for `status`. */
export interface Refusal {
  readonly slave: string;
  readonly addr: string;
  readonly reason: string;
}

/** Runs `fn` in namespace `ns` (null: the daemon's own). */
function inNs<T>(ns: string | null, fn: () => T): T {
  return ns === null ? fn() : withNetns(ns, fn);
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
  readonly #tickMs: number;
  readonly #watches = new Map<string | null, NsWatch>();
  #ticks = 0;
  readonly #host: LoopHost;
  readonly #state: DaemonState;
  readonly #masters = new Map<string, Master>();
  readonly #slaves = new Map<string, Slave>();
  readonly #mutex = new Mutex();
  readonly refusals: Refusal[] = [];
  /** Cancels the scheduled round (a timer, or an immediate for a wake-up). */
  #cancel: (() => void) | null = null;
  /** A round is running; a wake-up during it asks for another one right after. */
  #ticking = false;
  #again = false;
  /** Watches whose socket the worker reports readiness of (EPOLLONESHOT)... */
  readonly #notified = new Set<NsWatch>();
  /** ...and the fds it reported since the last round. */
  readonly #fired = new Set<number>();
  #stopped = false;
  /** While restoring, nft work waits until every slave's data path is back (see #restore). */
  #restoring = false;

  private constructor(options: DaemonOptions, host: LoopHost, state: DaemonState) {
    this.stateDir = options.stateDir;
    this.#log = options.log ?? ((line) => process.stderr.write(`ipvlan daemon: ${line}\n`));
    this.#tickMs = options.tickMs ?? 100;
    this.#host = host;
    this.#state = state;
    host.onEvent((body) => {
      const ev = body as EngineLinkFailure | EngineWatchReady;
      if (ev.type === 'link-failure') void this.#mutex.run(() => this.#onFailure(ev));
      else if (ev.type === 'watch-ready') {
        this.#fired.add(ev.fd);
        this.#wake();
      }
    });
  }

  /**
   * Checks the environment, starts the engine, restores every persisted slave and
   * starts following the TAPs.
   * @throws {ErrnoError} EPERM when not root, ENOENT when /dev/net/tun is missing.
   */
  static async start(options: DaemonOptions): Promise<Daemon> {
    const called = performance.now();
    if (process.getuid?.() !== 0)
      throw new ErrnoError('EPERM', 'the daemon must run as root (it creates TAPs and sockets)');
    if (!existsSync(TUN_PATH))
      throw new ErrnoError(
        'ENOENT',
        `${TUN_PATH} is missing: this kernel has no TUN/TAP (CONFIG_TUN)`,
      );
    ensureStateDir(options.stateDir);
    const state = loadState(options.stateDir);
    // The worker loads the engine (the whole emulated stack) on the other core while
    // this thread finds and reopens the TAPs.
    const starting = LoopHost.start(siblingModule('engine', import.meta.url), null);
    const watches = new Map<string | null, NsWatch>();
    let prepared: Prepared[];
    try {
      prepared = prepareRestore(state.slaves, watches);
    } catch (err) {
      await starting.then((h) => h.stop()).catch(() => undefined);
      for (const w of watches.values()) w.close();
      throw err;
    }
    let host: LoopHost;
    try {
      host = await starting;
    } catch (err) {
      for (const p of prepared) if (p.tap !== null) closeFd(p.tap.fd);
      for (const w of watches.values()) w.close();
      throw err;
    }
    const engineReady = performance.now();
    const d = new Daemon(options, host, state);
    for (const [ns, w] of watches) d.#watches.set(ns, w);
    await d.#mutex.run(() => d.#restore(prepared, { called, engineReady }));
    d.#schedule(0);
    return d;
  }

  /** Stops following and the engine; TAPs persist, so a new daemon picks them up. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancel?.();
    await this.#mutex.run(() => undefined);
    await this.#host.stop();
    for (const s of this.#slaves.values()) closeFd(s.fd);
    for (const m of this.#masters.values()) {
      for (const fd of [m.fd, m.raw4, m.raw6, ...m.l3sFds]) if (fd >= 0) closeFd(fd);
      m.filter.close();
    }
    for (const w of this.#watches.values()) w.close();
    this.#watches.clear();
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
    // (On restore the nft tables are installed once, after the data path: #restore.)
    const known = this.#masters.get(name);
    if (known !== undefined) return known;
    const ifindex = ifIndex(name);
    const hw = getHwAddr(name);
    if (hw.type !== ARPHRD_ETHER)
      throw new ErrnoError('EINVAL', 'Master is either lo or non-ether device');
    const mtu = getMtu(name);
    const sock = openPacketSocket({ ifname: name });
    const filter = new IngressFilter(name, ifindex, this.#log);
    const raw = (family: 4 | 6): number => {
      try {
        return openRawIpSocket(family, name);
      } catch (err) {
        this.#log(
          `warning: no IPv${family} raw socket on ${name} (${(err as Error).message}): l3/l3s egress of that family is dropped`,
        );
        return -1;
      }
    };
    const raw4 = raw(4);
    const raw6 = raw(6);
    try {
      await this.#engine({
        op: 'attachMaster',
        name,
        ifindex,
        mac: hw.mac.toString(),
        mtu,
        link: { fd: sock.fd, name, kind: 'packet', vnetHdrLen: sock.vnetHdrLen },
        raw4Fd: raw4,
        raw6Fd: raw6,
      });
    } catch (err) {
      for (const fd of [sock.fd, raw4, raw6]) if (fd >= 0) closeFd(fd);
      throw err;
    }
    if (!this.#restoring) filter.install();
    const m: Master = {
      name,
      ifindex,
      mac: hw.mac.toString(),
      mtu,
      carrier: true,
      resync: true,
      fd: sock.fd,
      filter,
      raw4,
      raw6,
      l3sFds: [],
    };
    this.#masters.set(name, m);
    try {
      // The master's own rtnetlink events (MTU, carrier) arrive on this namespace's watch.
      this.#watch(null);
    } catch (err) {
      this.#log(`${name}: its MTU and carrier are not followed: ${(err as Error).message}`);
    }
    return m;
  }

  /**
   * The real master is gone (`ip link del`, its veth peer deleted): as ipvlan's
   * NETDEV_UNREGISTER does, every slave goes with it (DEL-2) — their TAPs are destroyed
   * in whatever namespace they are — and the master's sockets and nft tables follow.
   */
  async #removeMaster(m: Master): Promise<void> {
    for (const slave of [...this.#slaves.values()])
      if (slave.rec.master === m.name)
        await this.#removeSlave(slave, `its master ${m.name} is gone`);
    await this.#engine({ op: 'detachMaster', ifindex: m.ifindex }).catch(() => undefined);
    for (const fd of [m.fd, m.raw4, m.raw6, ...m.l3sFds]) if (fd >= 0) closeFd(fd);
    m.filter.remove();
    m.filter.close();
    this.#masters.delete(m.name);
    this.#save();
    this.#log(`${m.name}: gone`);
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
      // A create without `mode` gets the kernel's default, L3 (LC-8).
      const mode = req.linkinfo.data?.mode ?? IPVLAN_MODE_L3;
      this.#tapMode(tap.fd, null, tap.name, mode);
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
      this.#slaves.set(tap.name, {
        rec,
        fd: tap.fd,
        fed: new Set(),
        up: false,
        mtu: 0,
        carrier: true,
        misses: 0,
        nsIfindex: ifindex,
      });
      master.resync = true;
      await this.#portMode(master, rec.mode);
      this.#save();
      this.#log(`${tap.name}: created on ${master.name} (${describeMode(rec)})`);
      // A round now watches the slave's namespace (its socket's events wake the next).
      this.#wake();
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
    // The slave's name is its handle here and in the engine, where every slave shares
    // one namespace (two containers' `eth0` would clash); its TAP is renamed with ip(8)
    // where it lives, and the watcher follows that (#followRename).
    if (slave !== undefined && req.ifname !== undefined && req.ifname !== slave.rec.name)
      throw new ErrnoError(
        'EOPNOTSUPP',
        `rename the TAP with ip link set ${tapName(slave.rec)} name ${req.ifname} in its namespace instead`,
      );
    if (slave !== undefined && netns !== undefined) {
      if (!('name' in netns)) throw new ErrnoError('EOPNOTSUPP', 'netns PID is not supported');
      moveTap(tapName(slave.rec), slave.rec.netns, netns.name);
      slave.rec.netns = netns.name;
    }
    // Up/down and MTU belong to the real TAP: the watcher carries them to the engine.
    if (slave !== undefined && ((req.change ?? 0) & IFF_UP) !== 0) {
      const up = ((req.flags ?? 0) & IFF_UP) !== 0;
      const name = tapName(slave.rec);
      inNs(slave.rec.netns, () => {
        const f = getIfFlags(name);
        setIfFlags(name, up ? f | IFF_UP : f & ~IFF_UP);
      });
    }
    const master = [...this.#masters.values()].find((m) => m.ifindex === req.ifindex);
    if (req.mtu !== undefined && (slave !== undefined || master !== undefined)) {
      await this.#changeMtu(slave, master, req.mtu);
      delete rest.mtu;
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
        const mode = info.linkinfo.data.mode;
        for (const s of this.#slaves.values())
          if (s.rec.master === slave.rec.master) {
            const changed = s.rec.mode !== mode;
            s.rec.mode = mode;
            s.rec.flags = info.linkinfo.data.flags;
            // ipvlan_set_port_mode: NOARP follows the mode on every slave (MODE-6).
            if (changed) this.#tapMode(s.fd, s.rec.netns, tapName(s.rec), mode);
          }
        const master = this.#masters.get(slave.rec.master);
        if (master !== undefined) await this.#portMode(master, mode);
      }
    }
    this.#save();
  }

  /**
   * `link set DEV mtu N` on a slave or a master changes the real device, not only the
   * engine's. A slave: the engine checks the slave's range first (68..65535, with
   * Linux's extack, MTU-2), then the TAP takes it. A master: the real kernel decides,
   * and the watcher carries the change to the engine and the slaves (MTU-3).
   */
  async #changeMtu(
    slave: Slave | undefined,
    master: Master | undefined,
    mtu: number,
  ): Promise<void> {
    if (master !== undefined) {
      setMtu(master.name, mtu);
      return;
    }
    if (slave === undefined) return;
    const { netns, ifindex } = slave.rec;
    const name = tapName(slave.rec);
    await this.#engine({ op: 'setMtu', ifindex, mtu });
    try {
      inNs(netns, () => setMtu(name, mtu));
      slave.mtu = mtu;
    } catch (err) {
      // The TAP's range ends at 65521: the engine's slave goes back to the TAP's MTU.
      const tap = inNs(netns, () => getMtu(name));
      await this.#engine({ op: 'setMtu', ifindex, mtu: tap });
      slave.mtu = tap;
      throw err;
    }
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

  /**
   * Restores the slaves found by prepareRestore. The data path comes first (master
   * sockets, TAPs, the engine's slaves and their addresses, up state); the nft ingress
   * tables, one `nft` run per master, come after it. Until then the tables the killed
   * daemon left behind keep filtering the master's stack with the old addresses.
   * The log line at the end gives the times after process start (docs/linux-dataplane.md).
   */
  async #restore(
    prepared: readonly Prepared[],
    at: { readonly called: number; readonly engineReady: number },
  ): Promise<void> {
    this.#restoring = true;
    let restored = 0;
    try {
      for (const p of prepared) {
        try {
          if (p.tap === null) throw new Error(p.why);
          await this.#restoreOne(p.rec, p.tap, p.ns, p.nsIfindex);
          restored++;
        } catch (err) {
          this.#log(`${p.rec.name}: not restored: ${(err as Error).message}`);
        }
      }
    } finally {
      this.#restoring = false;
    }
    const dataPath = performance.now();
    for (const m of this.#masters.values()) {
      const slave = [...this.#slaves.values()].find((s) => s.rec.master === m.name);
      m.filter.install((slave?.rec.mode ?? 0) as FilterMode);
    }
    this.#save();
    if (prepared.length > 0) {
      const ms = (t: number): string => `${Math.round(t)} ms`;
      this.#log(
        `restored ${restored} of ${prepared.length} slaves: modules loaded ${ms(at.called)}, ` +
          `engine ready ${ms(at.engineReady)}, ` +
          `data path ${ms(dataPath)}, nft ${ms(performance.now())} after process start`,
      );
    }
  }

  async #restoreOne(rec: SlaveRecord, tap: Tap, ns: string | null, nsIf: number): Promise<void> {
    let master: Master;
    try {
      master = await this.#attachMaster(rec.master);
    } catch (err) {
      closeFd(tap.fd);
      throw err;
    }
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
    const restored: SlaveRecord = { ...rec, netns: ns };
    const slave: Slave = {
      rec: restored,
      fd: tap.fd,
      fed: new Set(),
      up: false,
      mtu: 0,
      carrier: true,
      misses: 0,
      nsIfindex: nsIf,
    };
    this.#slaves.set(rec.name, slave);
    master.resync = true;
    await this.#portMode(master, rec.mode);
    await this.#apply(slave, this.#watch(ns));
    this.#log(`${rec.name}: restored on ${rec.master} (${describeMode(rec)})`);
  }

  // ------------------------------------------------------------ modes

  /**
   * The TAP's side of a mode: NOARP in L3/L3S (MODE-6; the slave's stack then sends to
   * its own MAC without ARP or ND), and offloads: L3/L3S egress leaves through a raw
   * socket, which takes neither GSO super-frames nor partial checksums, so the slave's
   * kernel completes both; L2 keeps them (frames pass to the master's packet socket).
   */
  #tapMode(fd: number, ns: string | null, name: string, mode: number): void {
    try {
      setOffload(fd, tapOffloads(mode), name);
      this.#imposeNoarp(ns, name, mode);
    } catch (err) {
      this.#log(`${name}: cannot apply mode ${describeModeNum(mode)}: ${(err as Error).message}`);
    }
  }

  #imposeNoarp(ns: string | null, name: string, mode: number): void {
    inNs(ns, () => {
      const f = getIfFlags(name);
      const want = mode === IPVLAN_MODE_L2 ? f & ~IFF_NOARP : f | IFF_NOARP;
      if (want !== f) setIfFlags(name, want);
    });
  }

  /** The master's side of a mode: nft tables, and the L3S ingress sockets. */
  async #portMode(master: Master, mode: number): Promise<void> {
    if (mode === IPVLAN_MODE_L3S && master.l3sFds.length === 0) {
      const fds: number[] = [];
      try {
        const nflog = openNetlinkSocket(NETLINK_NETFILTER, 0, 4 << 20);
        fds.push(nflog);
        const g = master.filter.nflogGroup;
        netlinkSend(nflog, nflogConfig(g, 1, NFULNL_CFG_CMD_BIND));
        netlinkSend(nflog, nflogConfig(g, 2, 0));
        // The sinks: local delivery of the rewritten packets ends here (ingress.ts).
        for (const family of [AF_INET, AF_INET6]) fds.push(openSink(family));
        await this.#engine({
          op: 'attachNflog',
          masterIfindex: master.ifindex,
          link: { fd: nflog, name: `nflog:${master.name}`, kind: 'packet', vnetHdrLen: 0 },
        });
        master.l3sFds = fds;
      } catch (err) {
        for (const fd of fds) closeFd(fd);
        this.#log(`${master.name}: l3s ingress unavailable: ${(err as Error).message}`);
      }
    }
    if (!this.#restoring && master.filter.mode !== mode) master.filter.install(mode as FilterMode);
  }

  // ------------------------------------------------------------ following the TAPs

  /** The watch of `ns`, opened on first use. */
  #watch(ns: string | null): NsWatch {
    let w = this.#watches.get(ns);
    if (w === undefined) {
      w = NsWatch.open(ns);
      this.#watches.set(ns, w);
    }
    return w;
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    const round = (): void => {
      this.#cancel = null;
      this.#ticking = true;
      void this.#mutex
        .run(() => this.#tick())
        .catch((err: unknown) => this.#log(`watcher: ${(err as Error).message}`))
        .finally(() => {
          this.#ticking = false;
          const again = this.#again;
          this.#again = false;
          this.#schedule(again ? 0 : this.#tickMs);
        });
    };
    // A wake-up runs as soon as the event loop is free (a 0 ms timer would wait 1 ms).
    if (ms <= 0) {
      const i = setImmediate(round);
      this.#cancel = () => clearImmediate(i);
    } else {
      const t = setTimeout(round, ms);
      this.#cancel = () => clearTimeout(t);
    }
  }

  /** A watch socket has events: run a round now (or right after the running one). */
  #wake(): void {
    if (this.#stopped) return;
    if (this.#ticking) {
      this.#again = true;
      return;
    }
    this.#cancel?.();
    this.#schedule(0);
  }

  /**
   * After a round has drained the watch sockets: the worker arms the ones it reported
   * again, and starts reporting new ones. A closed socket is forgotten by epoll itself.
   */
  async #armWatches(): Promise<void> {
    const open = new Set(this.#watches.values());
    for (const w of this.#notified) if (!open.has(w)) this.#notified.delete(w);
    const rearm = [...this.#notified].map((w) => w.fd).filter((fd) => this.#fired.has(fd));
    this.#fired.clear();
    if (rearm.length > 0) await this.#engine({ op: 'rearmFds', fds: rearm });
    for (const w of open) {
      if (this.#notified.has(w)) continue;
      await this.#engine({ op: 'watchFd', fd: w.fd });
      this.#notified.add(w);
    }
  }

  /** One watcher round: read every namespace's events, apply them, find moved TAPs. */
  async #tick(): Promise<void> {
    this.#ticks++;
    const dirty = new Set<string | null>();
    for (const [ns, w] of this.#watches) {
      if (!w.current) {
        // The name is gone (`ip netns del`): let go, or the socket keeps the namespace
        // and its TAPs alive.
        w.close();
        this.#watches.delete(ns);
        dirty.add(ns);
        continue;
      }
      if (w.poll()) dirty.add(ns);
    }
    const slow = this.#ticks % Math.max(1, Math.round(200 / this.#tickMs)) === 0;
    for (const slave of [...this.#slaves.values()]) {
      const unwatched = !this.#watches.has(slave.rec.netns);
      if (!unwatched && !dirty.has(slave.rec.netns) && !(slow && slave.misses > 0)) continue;
      await this.#follow(slave);
    }
    if (slow) this.#closeUnusedWatches();
    // After the TAPs: their views are then older than the MTUs set below, whose own
    // events arrive (equal to what the engine has) on the next round.
    for (const m of [...this.#masters.values()]) await this.#followMaster(m);
    await this.#armWatches();
  }

  /**
   * Carries the real master's MTU and carrier into the engine, whose driver decides
   * what every slave gets (ipvlan_device_event: NETDEV_CHANGEMTU → ipvlan_adjust_mtu,
   * MTU-3; NETDEV_CHANGE → netif_stacked_transfer_operstate, LINK-1), and imposes that
   * on the slaves' TAPs wherever they are.
   */
  async #followMaster(m: Master): Promise<void> {
    const home = this.#watches.get(null);
    const link = home?.links.get(m.ifindex);
    if (home !== undefined && link === undefined) {
      await this.#removeMaster(m);
      return;
    }
    if (link === undefined || link.mtu <= 0) return;
    // IFF_LOWER_UP is reported only while the master runs; the carrier drop of its own
    // admin-down is not passed on (LINK-4, as the engine's driver models 6.1).
    const running = (link.flags & IFF_UP) !== 0;
    const carrier = running ? (link.flags & IFF_LOWER_UP) !== 0 : m.carrier;
    if (link.mtu === m.mtu && carrier === m.carrier && !m.resync) return;
    m.resync = false;
    if (link.mtu !== m.mtu) this.#log(`${m.name}: mtu ${m.mtu} → ${link.mtu}`);
    if (carrier !== m.carrier) this.#log(`${m.name}: carrier ${carrier ? 'on' : 'off'}`);
    // Recorded before the call: a change the engine refuses is not retried every round.
    m.mtu = link.mtu;
    m.carrier = carrier;
    let slaves: EngineSlaveLink[];
    try {
      slaves = await this.#engine<EngineSlaveLink[]>({
        op: 'masterLink',
        ifindex: m.ifindex,
        mtu: link.mtu,
        ...(running ? { carrier } : {}),
      });
    } catch (err) {
      this.#log(`${m.name}: not followed: ${(err as Error).message}`);
      return;
    }
    for (const s of slaves) {
      const slave = this.#slaveByIfindex(s.ifindex);
      if (slave !== undefined) await this.#imposeLink(slave, s);
    }
  }

  /** Gives a slave's TAP the MTU and carrier the driver gave the engine's slave. */
  async #imposeLink(slave: Slave, want: EngineSlaveLink): Promise<void> {
    const { name, netns } = slave.rec;
    if (want.mtu !== slave.mtu) {
      try {
        // ipvlan_adjust_mtu assigns silently; on the TAP it is an ordinary SIOCSIFMTU.
        inNs(netns, () => setMtu(name, want.mtu));
        slave.mtu = want.mtu;
      } catch (err) {
        // Outside the TAP's own range (68..65521, narrower than the slave's): the TAP
        // keeps its MTU, and the engine's slave is put back to it.
        this.#log(`${name}: mtu ${want.mtu} not applied: ${(err as Error).message}`);
        try {
          const mtu = inNs(netns, () => getMtu(name));
          await this.#engine({ op: 'setMtu', ifindex: slave.rec.ifindex, mtu });
          slave.mtu = mtu;
        } catch {
          // Gone meanwhile: the watcher removes it.
        }
      }
    }
    if (want.carrier !== slave.carrier) {
      try {
        setCarrier(slave.fd, want.carrier, name);
        slave.carrier = want.carrier;
      } catch (err) {
        this.#log(`${name}: carrier not applied: ${(err as Error).message}`);
      }
    }
  }

  /** Re-reads one slave from its namespace's view, searching for it when it moved. */
  async #follow(slave: Slave): Promise<void> {
    const master = this.#masters.get(slave.rec.master);
    if (master === undefined) return;
    // The daemon's own fd on the TAP says whether it still exists (EBADFD once the device
    // is deleted: `ip link del`, its namespace gone), its name now, and where it is.
    let name: string;
    try {
      name = tunGetIff(slave.fd).name;
    } catch {
      await this.#removeSlave(slave, 'its TAP is gone');
      return;
    }
    this.#followRename(slave, name);
    const where = this.#whereIsTap(slave, master.mac);
    if (where === undefined) {
      // About a second without finding its namespace: a namespace nobody names or holds
      // any more, kept alive only by the daemon's fd (see Deviation below).
      if (++slave.misses >= 5) await this.#removeSlave(slave, 'its TAP is gone');
      return;
    }
    if (where.ns !== slave.rec.netns) {
      slave.rec.netns = where.ns;
      this.#save();
    }
    slave.misses = 0;
    await this.#apply(slave, where.watch);
  }

  /**
   * The namespace (and its watch) holding the slave's TAP. With TUNGETDEVNETNS (Linux
   * 5.2+) that is exact: the TAP's namespace inode, matched against the one recorded,
   * the daemon's own, the named ones, then those only processes hold — several
   * containers may each call their TAP `eth0`, all with the master's MAC. Without it,
   * the TAP's name and MAC are probed namespace by namespace (`locateTap`).
   */
  #whereIsTap(
    slave: Slave,
    mac: string,
  ): { ns: string | null; watch: NsWatch; link: LinkEvent } | undefined {
    const name = tapName(slave.rec);
    let ino: number | null;
    try {
      ino = tapNetnsInode(slave.fd);
    } catch {
      return undefined;
    }
    if (ino === null) {
      const w = this.#watches.get(slave.rec.netns);
      const link = w?.linkByName(name);
      if (w !== undefined && link?.infoKind === 'tun')
        return { ns: slave.rec.netns, watch: w, link };
      return locateTap(name, slave.rec.netns, mac, (ns) => this.#watch(ns));
    }
    const ns = netnsWithInode(ino, slave.rec.netns);
    if (ns === undefined) return undefined;
    let w: NsWatch;
    try {
      w = this.#watch(ns);
    } catch {
      return undefined;
    }
    const link = w.linkByName(name);
    return link?.infoKind === 'tun' ? { ns, watch: w, link } : undefined;
  }

  /** A TAP renamed where it lives (`ip link set ipvl0 name eth0` in a container) is still this slave. */
  #followRename(slave: Slave, now: string): void {
    if (now === '' || now === tapName(slave.rec)) return;
    if (now === slave.rec.name) delete slave.rec.tap;
    else slave.rec.tap = now;
    this.#save();
    this.#log(`${slave.rec.name}: its TAP is now named ${now}`);
  }

  #closeUnusedWatches(): void {
    const used = new Set<string | null>([null]);
    for (const s of this.#slaves.values()) used.add(s.rec.netns);
    for (const [ns, w] of this.#watches)
      if (!used.has(ns)) {
        w.close();
        this.#watches.delete(ns);
      }
  }

  /** Carries one TAP's real state (up, MTU, NOARP, addresses) into the engine. */
  async #apply(slave: Slave, w: NsWatch): Promise<void> {
    const link = w.linkByName(tapName(slave.rec));
    if (link === undefined) return;
    slave.nsIfindex = link.ifindex;
    const ifindex = slave.rec.ifindex;
    const master = this.#masters.get(slave.rec.master);
    const up = (link.flags & IFF_UP) !== 0;
    if (link.mtu !== slave.mtu && link.mtu > 0) {
      slave.mtu = link.mtu;
      try {
        await this.#engine({ op: 'setMtu', ifindex, mtu: link.mtu });
      } catch (err) {
        // Out of the slave's range (68..65535): the engine keeps its MTU.
        this.#log(`${slave.rec.name}: mtu ${link.mtu} not applied: ${(err as Error).message}`);
      }
    }
    // ipvlan_open re-imposes NOARP from the port's mode whenever the slave comes up
    // (MODE-6). Events are applied as a snapshot, so a quick down/arp on/up is not seen
    // as an open: NOARP is re-imposed whenever an L3/L3S TAP is up without it.
    if (up && slave.rec.mode !== IPVLAN_MODE_L2 && (link.flags & IFF_NOARP) === 0) {
      try {
        this.#imposeNoarp(slave.rec.netns, tapName(slave.rec), slave.rec.mode);
      } catch (err) {
        this.#log(`${slave.rec.name}: cannot set NOARP: ${(err as Error).message}`);
      }
    }
    // The engine first, the master's filter after: a ping started right after `ip addr
    // add; ip link set up` must find the address and the up state in the engine.
    const filterChanges: [addr: string, add: boolean][] = [];
    const now = w.addrs.get(link.ifindex) ?? new Map<string, AddrInfo>();
    for (const key of [...slave.fed]) {
      if (now.has(key)) continue;
      const [addr = '', plen = '0'] = key.split('/');
      await this.#engine({ op: 'addr', ifindex, addr, prefixLen: Number(plen), add: false });
      slave.fed.delete(key);
      filterChanges.push([addr, false]);
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
        filterChanges.push([a.addr, true]);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        // As the kernel refuses it (ADDR-1): the address is removed from the TAP again,
        // with RTM_DELADDR in the TAP's namespace.
        now.delete(key);
        w.delAddr(link.ifindex, a.addr, a.prefixLen);
        this.refusals.push({ slave: slave.rec.name, addr: key, reason });
        this.#log(`${slave.rec.name}: ${key} removed: ${reason}`);
      }
    }
    if (up !== slave.up) {
      slave.up = up;
      await this.#engine({ op: 'setUp', ifindex, up });
    }
    for (const [addr, add] of filterChanges)
      if (add) master?.filter.add(addr);
      else master?.filter.del(addr);
  }

  async #onFailure(ev: EngineLinkFailure): Promise<void> {
    const slave = this.#slaveByIfindex(ev.ifindex);
    if (slave === undefined) {
      // A slave the watcher removed already (its report raced this one) is not news.
      if ([...this.#masters.values()].some((m) => m.ifindex === ev.ifindex))
        this.#log(
          `${ev.name}: I/O failed (errno ${ev.errno}, revents 0x${ev.revents.toString(16)})`,
        );
      return;
    }
    // EBADFD on a read, or hang-up/error on the fd: the device is gone (`ip link del`,
    // its namespace deleted).
    const why =
      ev.errno !== 0
        ? `errno ${ev.errno}`
        : `the device is gone, revents 0x${ev.revents.toString(16)}`;
    await this.#removeSlave(slave, `its TAP failed (${why}): slave deleted`);
  }
}

/** A persisted slave whose TAP was found and reopened before the engine was up. */
interface Prepared {
  readonly rec: SlaveRecord;
  /** null: not found (`why`); the slave is then dropped from the state. */
  readonly tap: Tap | null;
  readonly why: string;
  readonly ns: string | null;
  /** The TAP's ifindex in its namespace. */
  readonly nsIfindex: number;
}

function netnsNames(): string[] {
  try {
    return readdirSync(NETNS_RUN_DIR);
  } catch {
    return [];
  }
}

/**
 * The namespace whose inode is `ino`, as the daemon names namespaces: null for its own,
 * a /var/run/netns name, or a /proc/PID/ns/net path; `hint` (the last known) first.
 */
function netnsWithInode(ino: number, hint: string | null): string | null | undefined {
  const matches = (ns: string | null): boolean => nsInode(ns, true) === ino;
  if (matches(hint)) return hint;
  for (const ns of [null, ...netnsNames()]) if (matches(ns)) return ns;
  return processNetnsPaths().find(matches);
}

/**
 * Namespaces that have no name under /var/run/netns but a process in them (a container
 * started by a runtime that does not name them): one /proc/PID/ns/net path per
 * namespace, skipping the daemon's own and the named ones.
 */
function processNetnsPaths(): string[] {
  const seen = new Set<number>([nsInode(null, true), ...netnsNames().map((n) => nsInode(n))]);
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  const paths: string[] = [];
  for (const pid of pids) {
    const path = `/proc/${pid}/ns/net`;
    const i = nsInode(path);
    if (i < 0 || seen.has(i)) continue;
    seen.add(i);
    paths.push(path);
  }
  return paths;
}

/**
 * Finds the TAP `name` (kind tun, the master's MAC): first where it was, then in the
 * daemon's namespace, then in every /var/run/netns entry. A cheap ioctl probes each
 * namespace; only a hit opens (or reuses) its rtnetlink watch.
 */
function locateTap(
  name: string,
  hint: string | null,
  mac: string,
  watch: (ns: string | null) => NsWatch,
): { ns: string | null; watch: NsWatch; link: LinkEvent } | undefined {
  const tried = new Set<string | null>();
  const probe = (
    ns: string | null,
  ): { ns: string | null; watch: NsWatch; link: LinkEvent } | undefined => {
    if (tried.has(ns)) return undefined;
    tried.add(ns);
    let hit = false;
    try {
      hit = inNs(ns, () => {
        ifIndex(name);
        return getHwAddr(name).mac.toString().toLowerCase() === mac.toLowerCase();
      });
    } catch {
      hit = false;
    }
    if (!hit) return undefined;
    let w: NsWatch;
    try {
      w = watch(ns);
    } catch {
      return undefined;
    }
    const link = w.linkByName(name);
    return link === undefined || link.infoKind !== 'tun' ? undefined : { ns, watch: w, link };
  };
  for (const ns of [hint, null, ...netnsNames()]) {
    const found = probe(ns);
    if (found !== undefined) return found;
  }
  // Unnamed namespaces last: scanning /proc is the expensive part.
  for (const path of processNetnsPaths()) {
    const found = probe(path);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Finds and reopens the persisted slaves' TAPs (a TAP in another namespace is reopened
 * there; the fd then pins that namespace, and the watcher deletes the slave when the
 * namespace's name disappears). Needs no engine: it runs while the worker starts.
 */
function prepareRestore(
  recs: readonly SlaveRecord[],
  watches: Map<string | null, NsWatch>,
): Prepared[] {
  const watch = (ns: string | null): NsWatch => {
    let w = watches.get(ns);
    if (w === undefined) {
      w = NsWatch.open(ns);
      watches.set(ns, w);
    }
    return w;
  };
  return recs.map((rec) => {
    const none = (why: string): Prepared => ({ rec, tap: null, why, ns: null, nsIfindex: 0 });
    let mac: string;
    try {
      mac = getHwAddr(rec.master).mac.toString();
    } catch (err) {
      return none(`master ${rec.master}: ${(err as Error).message}`);
    }
    const where = locateTap(tapName(rec), rec.netns, mac, watch);
    if (where === undefined) return none('its TAP no longer exists');
    try {
      const tap = inNs(where.ns, () =>
        openTap({ name: tapName(rec), offloads: tapOffloads(rec.mode) }),
      );
      return { rec, tap, why: '', ns: where.ns, nsIfindex: where.link.ifindex };
    } catch (err) {
      return none((err as Error).message);
    }
  });
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
  // Forked from this thread inside `from`, ip runs there: `from` may be a path
  // (/proc/PID/ns/net), which `ip -n` would not take.
  const r = inNs(from, () =>
    spawnSync('ip', ['link', 'set', 'dev', name, 'netns', to], { encoding: 'utf8' }),
  );
  if (r.status !== 0)
    throw new ErrnoError('EINVAL', `cannot move ${name} to ${to}: ${(r.stderr ?? '').trim()}`);
}

/** Offloads for a TAP in `mode` (see Daemon.#tapMode). */
function tapOffloads(mode: number): number {
  return mode === IPVLAN_MODE_L2 ? TAP_DEFAULT_OFFLOADS : 0;
}

function describeModeNum(mode: number): string {
  return ['l2', 'l3', 'l3s'][mode] ?? String(mode);
}

/**
 * A raw socket for protocol L3S_SINK_PROTO that is never read: local delivery of the
 * L3S packets the host's INPUT rule rewrote ends here, silently, with a tiny buffer.
 */
function openSink(family: number): number {
  const c = libc();
  const fd = check(
    c.socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, L3S_SINK_PROTO),
    'socket',
    'raw sink',
  );
  const one = new Uint8Array(4);
  new DataView(one.buffer).setInt32(0, 1, true);
  c.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, one, 4);
  return fd;
}
