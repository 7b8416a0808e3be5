// The deterministic emulated world: hosts (one kernel each, with loopback and the vlan
// hook installed) sharing one scheduler, the wires and external switches their NICs
// are cabled to, captures over all of them, and a tracer hookup. Nothing reads the
// wall clock; host seeds derive from the world's seed, so a script run twice gives
// the same frames at the same virtual times.

import { Random } from '../base/random.ts';
import type { TraceEvent } from '../stack/drop.ts';
import { Kernel } from '../stack/kernel.ts';
import { createLoopback } from '../stack/loopback.ts';
import type { NetDevice } from '../stack/netdev.ts';
import type { NetNamespace } from '../stack/netns.ts';
import { createNic, type NicOptions } from '../stack/nic.ts';
import { Scheduler, type Nanos } from '../stack/scheduler.ts';
import { installVlan } from '../stack/vlan.ts';
import { Capture } from './capture.ts';
import { ExternalSwitch } from './switch.ts';
import { Wire } from './wire.ts';

/** One emulated machine: a kernel whose initial namespace is named after the host. */
export class Host {
  readonly name: string;
  readonly kernel: Kernel;

  constructor(name: string, kernel: Kernel) {
    this.name = name;
    this.kernel = kernel;
  }

  /** The initial namespace. */
  get initNet(): NetNamespace {
    return this.kernel.initNet;
  }

  /** A named namespace, or the initial one for the host's own name or undefined. */
  netns(name?: string): NetNamespace {
    if (name === undefined || name === this.name) return this.kernel.initNet;
    return this.kernel.requireNetns(name);
  }

  /** Adds a NIC (in the initial namespace unless `ns` is given). */
  addNic(name: string, options: NicOptions & { ns?: NetNamespace } = {}): NetDevice {
    const { ns, ...nic } = options;
    return createNic(this.kernel, ns ?? this.kernel.initNet, name, nic);
  }
}

export interface WorldOptions {
  /** Seeds every host's randomness (MACs, ids). Default 1. */
  readonly seed?: number;
  /** Runs on every new host after loopback and vlan are installed (e.g. the IP stack). */
  readonly setupHost?: (host: Host) => void;
}

/** Receives trace events of every host. */
export type WorldTracer = (host: Host, event: TraceEvent) => void;

export class World {
  readonly scheduler = new Scheduler();
  readonly hosts: Host[] = [];
  readonly wires: Wire[] = [];
  readonly switches: ExternalSwitch[] = [];
  readonly #random: Random;
  readonly #setupHost: ((host: Host) => void) | undefined;
  readonly #captures = new Set<Capture>();
  #tracer: WorldTracer | null = null;

  constructor(options: WorldOptions = {}) {
    this.#random = new Random(options.seed ?? 1);
    this.#setupHost = options.setupHost;
  }

  get now(): Nanos {
    return this.scheduler.now;
  }

  /** Adds a host; its name is also the name of its initial namespace. */
  addHost(name: string): Host {
    if (this.hosts.some((h) => h.name === name)) throw new Error(`world: host ${name} exists`);
    const kernel = new Kernel({
      hostname: name,
      scheduler: this.scheduler,
      seed: this.#random.nextU32(),
    });
    kernel.setLoopbackFactory(createLoopback);
    installVlan(kernel);
    const host = new Host(name, kernel);
    this.hosts.push(host);
    this.#setupHost?.(host);
    for (const capture of this.#captures) capture.hook(kernel);
    if (this.#tracer !== null) this.#hookTracer(host);
    return host;
  }

  host(name: string): Host {
    const host = this.hosts.find((h) => h.name === name);
    if (host === undefined) throw new Error(`world: no host ${name}`);
    return host;
  }

  /** Adds an L2 segment. */
  addWire(name: string, options: { latency?: Nanos } = {}): Wire {
    const wire = new Wire(this.scheduler, name, options);
    this.wires.push(wire);
    return wire;
  }

  /** Adds an external learning switch. */
  addSwitch(name: string, options: { latency?: Nanos } = {}): ExternalSwitch {
    const sw = new ExternalSwitch(this.scheduler, name, options);
    this.switches.push(sw);
    return sw;
  }

  /** Runs until nothing is pending within `horizon` (default 60 s of virtual time). */
  runUntilIdle(horizon?: Nanos): number {
    return this.scheduler.runUntilIdle(horizon);
  }

  /** Runs `duration` nanoseconds of virtual time. */
  runFor(duration: Nanos): number {
    return this.scheduler.runFor(duration);
  }

  /** Runs until absolute virtual time `time`. */
  runUntil(time: Nanos): number {
    return this.scheduler.runUntil(time);
  }

  /** Starts a capture on every host, present and future. */
  capture(): Capture {
    const capture = new Capture();
    this.#captures.add(capture);
    for (const host of this.hosts) capture.hook(host.kernel);
    return capture;
  }

  /** Stops a capture (its records stay readable). */
  stopCapture(capture: Capture): void {
    capture.stop();
    this.#captures.delete(capture);
  }

  /** Sends every host's trace events to `tracer` (null: stop tracing). */
  setTracer(tracer: WorldTracer | null): void {
    this.#tracer = tracer;
    for (const host of this.hosts) {
      if (tracer === null) host.kernel.tracer = null;
      else this.#hookTracer(host);
    }
  }

  #hookTracer(host: Host): void {
    host.kernel.tracer = (event) => this.#tracer?.(host, event);
  }
}
