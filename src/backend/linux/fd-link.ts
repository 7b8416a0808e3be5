// A Link over one non-blocking fd that carries one frame per read() and write(): a TAP
// (IFF_NO_PI) or a bound AF_PACKET socket. The I/O loop polls the fd and calls
// `readBatch`; transmit is a single write(). Both sides use the same vnet header length
// so a frame read from one fd can be written to another straight from the batch slot.

import { EAGAIN, EINTR, EIO, ENETDOWN, ENOBUFS } from './sys/constants.ts';
import { errno, libc } from './sys/libc.ts';
import type { Libc } from './sys/libc.ts';
import { newLinkStats } from './link.ts';
import type { FrameBatch, Link, LinkReceiver, LinkStats } from './link.ts';

/** Room for a 64 KB GSO super-frame, an Ethernet header with a VLAN tag and a vnet header. */
export const DEFAULT_SLOT_SIZE = 65536 + 64;
/** Frames read from one fd before moving on (Linux's NAPI weight is 64 too). */
export const DEFAULT_BATCH = 64;

/** Preallocated receive slots shared by every link of one loop. */
export class RxBatch implements FrameBatch {
  count = 0;
  readonly frames: readonly Uint8Array[];
  readonly lengths: Int32Array;
  readonly slotSize: number;

  constructor(slots = DEFAULT_BATCH, slotSize = DEFAULT_SLOT_SIZE) {
    const memory = new ArrayBuffer(slots * slotSize);
    const frames: Uint8Array[] = [];
    for (let i = 0; i < slots; i++) frames.push(new Uint8Array(memory, i * slotSize, slotSize));
    this.frames = frames;
    this.lengths = new Int32Array(slots);
    this.slotSize = slotSize;
  }
}

/**
 * What kind of fd a link wraps. A TAP's error or hang-up means the device is gone; a
 * packet socket's error is the device going down (ENETDOWN, reported once and cleared
 * by the read that returns it), and the socket works again when the device comes back
 * up (packet_notifier), so the loop keeps it.
 */
export type FdLinkKind = 'tap' | 'packet';

/** A serialisable description of an FdLink, for handing fds to a worker. */
export interface FdLinkSpec {
  readonly fd: number;
  readonly name: string;
  readonly kind: FdLinkKind;
  readonly vnetHdrLen: number;
}

export class FdLink implements Link {
  readonly fd: number;
  readonly name: string;
  readonly kind: FdLinkKind;
  readonly vnetHdrLen: number;
  readonly stats: LinkStats = newLinkStats();
  /** The last errno of a failed read or write (0 if none): EBADFD means the device is gone. */
  lastErrno = 0;
  receiver: LinkReceiver | null = null;
  readonly #c: Libc;

  constructor(spec: FdLinkSpec) {
    this.fd = spec.fd;
    this.name = spec.name;
    this.kind = spec.kind;
    this.vnetHdrLen = spec.vnetHdrLen;
    this.#c = libc();
  }

  /** Whether an error on the fd (EPOLLERR, a failed read) is the device going down, not away. */
  get errorsAreTransient(): boolean {
    return this.kind === 'packet';
  }

  get spec(): FdLinkSpec {
    return { fd: this.fd, name: this.name, kind: this.kind, vnetHdrLen: this.vnetHdrLen };
  }

  setReceiver(receiver: LinkReceiver | null): void {
    this.receiver = receiver;
  }

  transmit(bytes: Uint8Array, length: number): boolean {
    const n = this.#c.write(this.fd, bytes, length);
    if (n === length) {
      this.stats.txPackets++;
      this.stats.txBytes += length - this.vnetHdrLen;
      return true;
    }
    // EAGAIN/ENOBUFS (full), EIO (TAP down) and ENETDOWN are drops, as a full qdisc is;
    // EINVAL (header the kernel refuses) and EBADFD (device gone) are errors.
    const e = n < 0 ? errno() : 0;
    this.lastErrno = e;
    if (e === EAGAIN || e === ENOBUFS || e === EIO || e === ENETDOWN) this.stats.txDropped++;
    else this.stats.txErrors++;
    return false;
  }

  /**
   * Reads up to `budget` frames into `batch` (from slot 0) until the fd has no more.
   * Returns the number read, or a negative errno when the fd failed before the first
   * frame with something other than EAGAIN (EBADFD: the device or namespace is gone).
   */
  readBatch(batch: RxBatch, budget: number): number {
    const max = Math.min(budget, batch.frames.length);
    const c = this.#c;
    let count = 0;
    while (count < max) {
      const slot = batch.frames[count] as Uint8Array;
      const n = c.read(this.fd, slot, batch.slotSize);
      if (n < 0) {
        const e = errno();
        if (e === EAGAIN) break;
        if (e === EINTR) continue;
        // The read returned (and so cleared) a packet socket's pending ENETDOWN.
        if (e === ENETDOWN && this.errorsAreTransient) {
          this.stats.rxErrors++;
          break;
        }
        this.lastErrno = e;
        this.stats.rxErrors++;
        if (count === 0) return -e;
        break;
      }
      // End of file: only a stream-like fd whose peer hung up; poll reports POLLHUP.
      if (n === 0) break;
      // A frame no longer than its vnet header cannot come from tun or af_packet.
      if (n <= this.vnetHdrLen) continue;
      batch.lengths[count] = n;
      this.stats.rxPackets++;
      this.stats.rxBytes += n - this.vnetHdrLen;
      count++;
    }
    batch.count = count;
    return count;
  }
}
