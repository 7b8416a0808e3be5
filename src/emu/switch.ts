// An external learning switch, the kind a host's NIC is cabled to: it learns source
// MACs per port (ageing 300 s), forwards known unicast to its port, floods unknown
// unicast, broadcast and multicast, and never sends a frame back out the port it came
// in on unless that port has reflective relay (hairpin) on — IEEE 802.1Qbg's partner
// for a VEPA, which ipvlan's vepa flag needs (spec TX-L2-4, TX-L3-8).

import type { Link, LinkPort } from '../stack/link.ts';
import type { NetDevice } from '../stack/netdev.ts';
import { nicAttach, nicDetach, nicLink } from '../stack/nic.ts';
import { NS_PER_SEC, type Nanos, type Scheduler } from '../stack/scheduler.ts';
import { macKeyAt } from '../wire/address.ts';

/** Why the switch dropped a frame. */
export type SwitchDropReason = 'runt' | 'invalid-source' | 'same-port' | 'no-port';

/** One switch port with a NIC cabled to it. */
export class SwitchPort implements Link {
  readonly dev: NetDevice;
  readonly index: number;
  readonly #switch: ExternalSwitch;
  /** Reflective relay: frames may be sent back out this port. */
  hairpin: boolean;
  port: LinkPort | null = null;
  rxFrames = 0;
  txFrames = 0;

  constructor(sw: ExternalSwitch, dev: NetDevice, index: number, hairpin: boolean) {
    this.#switch = sw;
    this.dev = dev;
    this.index = index;
    this.hairpin = hairpin;
  }

  transmit(frame: Uint8Array): boolean {
    this.#switch.ingress(this, frame);
    return true;
  }

  detached(): void {
    this.#switch.forget(this);
  }
}

interface SwitchFdbEntry {
  port: SwitchPort;
  updated: Nanos;
}

/** A learning Ethernet switch with per-port reflective relay. */
export class ExternalSwitch {
  readonly name: string;
  /** Time from a NIC's transmit to delivery at the egress NICs. */
  latency: Nanos;
  ageingTime: Nanos = 300 * NS_PER_SEC;
  readonly drops = new Map<SwitchDropReason, number>();
  readonly #scheduler: Scheduler;
  readonly #ports: SwitchPort[] = [];
  readonly #fdb = new Map<number, SwitchFdbEntry>();
  #nextIndex = 1;

  constructor(scheduler: Scheduler, name: string, options: { latency?: Nanos } = {}) {
    this.#scheduler = scheduler;
    this.name = name;
    this.latency = options.latency ?? 0;
  }

  get ports(): readonly SwitchPort[] {
    return this.#ports;
  }

  /** Cables a NIC to a new port (its carrier comes on). */
  connect(dev: NetDevice, options: { hairpin?: boolean } = {}): SwitchPort {
    const existing = this.portOf(dev);
    if (existing !== undefined) return existing;
    const port = new SwitchPort(this, dev, this.#nextIndex++, options.hairpin ?? false);
    this.#ports.push(port);
    port.port = nicAttach(dev, port);
    port.port.setCarrier(true);
    return port;
  }

  /** Unplugs a NIC (its carrier goes off; what was learned on the port is flushed). */
  disconnect(dev: NetDevice): void {
    const port = this.portOf(dev);
    if (port === undefined) return;
    if (nicLink(dev) === port) nicDetach(dev);
    else this.forget(port);
  }

  portOf(dev: NetDevice): SwitchPort | undefined {
    return this.#ports.find((p) => p.dev === dev);
  }

  /** Turns reflective relay on or off for the port `dev` is cabled to. */
  setHairpin(dev: NetDevice, on: boolean): void {
    const port = this.portOf(dev);
    if (port !== undefined) port.hairpin = on;
  }

  /** The port a MAC was learned on, if the entry is still live. */
  lookup(mac: { key: number }): SwitchPort | undefined {
    const entry = this.#fdb.get(mac.key);
    if (entry === undefined) return undefined;
    if (this.#scheduler.now - entry.updated > this.ageingTime) {
      this.#fdb.delete(mac.key);
      return undefined;
    }
    return entry.port;
  }

  /** Internal: a frame arrived on `from`. */
  ingress(from: SwitchPort, frame: Uint8Array): void {
    from.rxFrames++;
    if (frame.length < 14) return this.#drop('runt');
    if (((frame[6] as number) & 1) === 1 || macKeyAt(frame, 6) === 0)
      return this.#drop('invalid-source');
    this.#fdb.set(macKeyAt(frame, 6), { port: from, updated: this.#scheduler.now });
    let targets: SwitchPort[];
    const group = ((frame[0] as number) & 1) === 1;
    const known = group ? undefined : this.lookup({ key: macKeyAt(frame, 0) });
    if (known !== undefined) {
      if (known === from && !from.hairpin) return this.#drop('same-port');
      targets = [known];
    } else {
      targets = this.#ports.filter((p) => p !== from || p.hairpin);
    }
    if (targets.length === 0) return this.#drop('no-port');
    const copy = frame.slice();
    this.#scheduler.after(this.latency, () => {
      for (const port of targets) {
        if (!this.#ports.includes(port)) continue;
        port.txFrames++;
        port.port?.receive(copy);
      }
    });
  }

  /** Internal: forgets a port whose NIC left. */
  forget(port: SwitchPort): void {
    const i = this.#ports.indexOf(port);
    if (i < 0) return;
    this.#ports.splice(i, 1);
    for (const [key, entry] of [...this.#fdb]) if (entry.port === port) this.#fdb.delete(key);
  }

  #drop(reason: SwitchDropReason): void {
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1);
  }
}
