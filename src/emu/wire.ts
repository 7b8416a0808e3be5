// An L2 segment (a hub, or a cable when two NICs join): a frame one NIC transmits
// reaches every other NIC on the wire after the wire's latency. NICs on one wire may
// belong to different hosts. Joining gives a NIC carrier; leaving takes it away.

import type { Link, LinkPort } from '../stack/link.ts';
import type { NetDevice } from '../stack/netdev.ts';
import { nicAttach, nicDetach, nicLink } from '../stack/nic.ts';
import type { Nanos, Scheduler } from '../stack/scheduler.ts';

/** One NIC's connection to a wire; the NIC transmits into it. */
class WireEnd implements Link {
  readonly dev: NetDevice;
  readonly #wire: Wire;
  port: LinkPort | null = null;

  constructor(wire: Wire, dev: NetDevice) {
    this.#wire = wire;
    this.dev = dev;
  }

  transmit(frame: Uint8Array): boolean {
    this.#wire.carry(this, frame);
    return true;
  }

  detached(): void {
    this.#wire.forget(this);
  }
}

/** An L2 segment shared by several NICs. */
export class Wire {
  readonly name: string;
  /** Time from a NIC's transmit to the other NICs' receive. */
  latency: Nanos;
  /** Frames carried so far. */
  frames = 0;
  readonly #scheduler: Scheduler;
  readonly #ends: WireEnd[] = [];

  constructor(scheduler: Scheduler, name: string, options: { latency?: Nanos } = {}) {
    this.#scheduler = scheduler;
    this.name = name;
    this.latency = options.latency ?? 0;
  }

  /** The NICs on this wire, in the order they joined. */
  get devices(): NetDevice[] {
    return this.#ends.map((e) => e.dev);
  }

  /** Plugs a NIC into the wire (unplugging it from any other link); its carrier comes on. */
  attach(dev: NetDevice): void {
    if (this.#ends.some((e) => e.dev === dev)) return;
    const end = new WireEnd(this, dev);
    this.#ends.push(end);
    end.port = nicAttach(dev, end);
    end.port.setCarrier(true);
  }

  /** Unplugs a NIC; its carrier goes off. */
  detach(dev: NetDevice): void {
    const end = this.#ends.find((e) => e.dev === dev);
    if (end === undefined) return;
    if (nicLink(dev) === end) nicDetach(dev);
    else this.forget(end);
  }

  /** Internal: schedules delivery of a copy of `frame` to every other end. */
  carry(from: WireEnd, frame: Uint8Array): void {
    this.frames++;
    const copy = frame.slice();
    const targets = this.#ends.filter((e) => e !== from);
    this.#scheduler.after(this.latency, () => {
      for (const end of targets) if (this.#ends.includes(end)) end.port?.receive(copy);
    });
  }

  /** Internal: drops an end the NIC no longer uses. */
  forget(end: WireEnd): void {
    const i = this.#ends.indexOf(end);
    if (i >= 0) this.#ends.splice(i, 1);
  }
}
