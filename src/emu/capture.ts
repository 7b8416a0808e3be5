// A world-wide packet capture: every frame received or transmitted on every device of
// every host (through the kernels' ptype_all-like taps), and every frame a kernel
// drops, with the drop reason as a pcapng comment. Records are kept in memory and
// written as one pcapng section on demand, with one interface per `netns/ifname`
// (the initial namespace carries the host's name), in order of first appearance, so
// the same script gives the same bytes.

import type { DropReason } from '../stack/drop.ts';
import type { Kernel, DropMonitor, PacketTap, TapDirection } from '../stack/kernel.ts';
import type { NetDevice } from '../stack/netdev.ts';
import type { Nanos } from '../stack/scheduler.ts';
import type { SkBuff } from '../stack/skb.ts';
import { LINKTYPE_ETHERNET } from '../wire/pcap.ts';
import { PcapngWriter } from '../wire/pcapng.ts';

/** One captured frame. */
export interface CaptureRecord {
  readonly time: Nanos;
  /** The host whose kernel saw the frame. */
  readonly host: string;
  /** `netns/ifname` at the time of capture. */
  readonly iface: string;
  /** rx/tx as the tap saw it; `drop` for a frame first seen when dropped. */
  readonly direction: TapDirection | 'drop';
  readonly bytes: Uint8Array;
  /** Trace id of the skb (shared by clones). */
  readonly skbId: number;
  /** `drop: REASON` when the kernel dropped this frame here. */
  comment: string | undefined;
  /** The drop reason, when dropped. */
  reason: DropReason | undefined;
}

interface Hooked {
  readonly kernel: Kernel;
  readonly tap: PacketTap;
  readonly monitor: DropMonitor;
}

export class Capture {
  readonly records: CaptureRecord[] = [];
  readonly #hooked: Hooked[] = [];
  /** Index of the last record per skb id and interface, so a drop annotates it. */
  readonly #lastBySkb = new Map<string, number>();
  #active = true;

  /** Starts capturing on `kernel` (the world calls this for every host). */
  hook(kernel: Kernel): void {
    if (!this.#active || this.#hooked.some((h) => h.kernel === kernel)) return;
    const host = kernel.hostname;
    const tap: PacketTap = {
      dev: null,
      fn: (skb: SkBuff, dir: TapDirection) => this.#record(host, kernel, skb.dev, skb, dir),
    };
    const monitor: DropMonitor = (skb, reason) => this.#drop(host, kernel, skb, reason);
    kernel.taps.add(tap);
    kernel.dropMonitors.add(monitor);
    this.#hooked.push({ kernel, tap, monitor });
  }

  /** Stops recording (the records stay). */
  stop(): void {
    this.#active = false;
    for (const h of this.#hooked) {
      h.kernel.taps.delete(h.tap);
      h.kernel.dropMonitors.delete(h.monitor);
    }
    this.#hooked.length = 0;
  }

  /** Records whose interface is `iface` (`netns/ifname`), optionally of one host. */
  on(iface: string, host?: string): CaptureRecord[] {
    return this.records.filter((r) => r.iface === iface && (host === undefined || r.host === host));
  }

  /** Writes everything recorded as a pcapng section. */
  pcapng(): Uint8Array {
    const writer = new PcapngWriter({ userappl: 'ipvlan.ts emulator' });
    const ids = new Map<string, number>();
    for (const r of this.records) {
      const key = `${r.host}\u0000${r.iface}`;
      let id = ids.get(key);
      if (id === undefined) {
        id = writer.addInterface(r.iface, LINKTYPE_ETHERNET, { description: `host ${r.host}` });
        ids.set(key, id);
      }
      writer.writePacket(id, BigInt(r.time), r.bytes, {
        ...(r.direction === 'drop'
          ? {}
          : { direction: r.direction === 'rx' ? ('inbound' as const) : ('outbound' as const) }),
        ...(r.comment === undefined ? {} : { comment: r.comment }),
      });
    }
    return writer.drain();
  }

  #record(
    host: string,
    kernel: Kernel,
    dev: NetDevice,
    skb: SkBuff,
    direction: TapDirection | 'drop',
  ): CaptureRecord {
    const record: CaptureRecord = {
      time: kernel.now,
      host,
      iface: dev.path,
      direction,
      bytes: skb.data.slice(),
      skbId: skb.id,
      comment: undefined,
      reason: undefined,
    };
    this.#lastBySkb.set(`${host}\u0000${dev.path}\u0000${skb.id}`, this.records.length);
    this.records.push(record);
    return record;
  }

  #drop(host: string, kernel: Kernel, skb: SkBuff, reason: DropReason): void {
    const key = `${host}\u0000${skb.dev.path}\u0000${skb.id}`;
    const index = this.#lastBySkb.get(key);
    let record = index === undefined ? undefined : this.records[index];
    if (record === undefined || record.reason !== undefined)
      record = this.#record(host, kernel, skb.dev, skb, 'drop');
    record.reason = reason;
    record.comment = `drop: ${reason}`;
  }
}
