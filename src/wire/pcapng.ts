// pcapng capture files (draft-ietf-opsawg-pcapng): a Section Header Block, one
// Interface Description Block per captured interface, then Enhanced Packet Blocks.
// Portable: bytes in, bytes out; the caller writes the file. The writer emits
// little-endian sections with nanosecond timestamps (if_tsresol = 9); the reader
// accepts either byte order, any if_tsresol and if_tsoffset, several sections, and
// Simple Packet Blocks, and skips block types it does not know. Not handled: the
// obsolete Packet Block (type 2), name resolution and statistics blocks (skipped).

import { invariant } from '../base/assert.ts';
import { LINKTYPE_ETHERNET, PCAP_DEFAULT_SNAPLEN, toTimeNs, concatChunks } from './pcap.ts';
import type { TimeNs } from './pcap.ts';

export const BT_SHB = 0x0a0d0d0a;
export const BT_IDB = 0x00000001;
export const BT_SPB = 0x00000003;
export const BT_EPB = 0x00000006;
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

// Option codes (§3.5 generic, §4.1 SHB, §4.2 IDB, §4.3 EPB).
export const OPT_ENDOFOPT = 0;
export const OPT_COMMENT = 1;
export const SHB_HARDWARE = 2;
export const SHB_OS = 3;
export const SHB_USERAPPL = 4;
export const IF_NAME = 2;
export const IF_DESCRIPTION = 3;
export const IF_TSRESOL = 9;
export const IF_TSOFFSET = 14;
export const EPB_FLAGS = 2;

/** Packet direction, carried in bits 0–1 of epb_flags (§4.3.1). */
export type Direction = 'inbound' | 'outbound';

const DIRECTION_BITS: Readonly<Record<Direction, number>> = { inbound: 1, outbound: 2 };

export interface PcapngWriterOptions {
  readonly hardware?: string;
  readonly os?: string;
  readonly userappl?: string;
  /** Receives each block as soon as it exists; without it, blocks wait for `drain()`. */
  readonly sink?: (chunk: Uint8Array) => void;
}

export interface InterfaceOptions {
  readonly description?: string;
  /** Bytes kept of each packet; the EPB still records the original length. */
  readonly snaplen?: number;
}

export interface PacketOptions {
  /** opt_comment: free text, e.g. the reason a packet was dropped. */
  readonly comment?: string;
  readonly direction?: Direction;
  /** Length on the wire when `bytes` is already cut short; default `bytes.length`. */
  readonly origLen?: number;
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8'); // non-fatal: bad UTF-8 becomes U+FFFD, never throws

interface Option {
  readonly code: number;
  readonly value: Uint8Array;
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** Encodes one block: type, total length, body, options (each padded, then endofopt), length. */
function encodeBlock(type: number, body: Uint8Array, options: readonly Option[]): Uint8Array {
  let optLen = 0;
  for (const o of options) optLen += 4 + pad4(o.value.length);
  if (options.length > 0) optLen += 4;
  const total = 12 + pad4(body.length) + optLen;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, type, true);
  view.setUint32(4, total, true);
  out.set(body, 8);
  let off = 8 + pad4(body.length);
  for (const o of options) {
    invariant(o.value.length <= 0xffff, 'pcapng option longer than 65535 bytes');
    view.setUint16(off, o.code, true);
    view.setUint16(off + 2, o.value.length, true);
    out.set(o.value, off + 4);
    off += 4 + pad4(o.value.length);
  }
  // opt_endofopt is the zero word already in place; total length is repeated last.
  view.setUint32(total - 4, total, true);
  return out;
}

function stringOption(code: number, text: string): Option {
  let value = utf8Encoder.encode(text);
  // Options are limited to 65535 bytes; a longer comment is cut rather than refused.
  if (value.length > 0xffff) value = value.subarray(0, 0xffff);
  return { code, value };
}

interface WriterInterface {
  readonly name: string;
  readonly linktype: number;
  readonly snaplen: number;
}

/**
 * Streams a pcapng section. `addInterface` writes an IDB and returns its id;
 * `writePacket` writes an EPB for that interface. Timestamps are nanoseconds from the
 * caller's clock (virtual time in the emulator), written with if_tsresol = 9.
 */
export class PcapngWriter {
  readonly #sink: ((chunk: Uint8Array) => void) | undefined;
  readonly #interfaces: WriterInterface[] = [];
  readonly #shbOptions: Option[] = [];
  #pending: Uint8Array[] = [];
  #headerWritten = false;

  constructor(options: PcapngWriterOptions = {}) {
    this.#sink = options.sink;
    if (options.hardware !== undefined)
      this.#shbOptions.push(stringOption(SHB_HARDWARE, options.hardware));
    if (options.os !== undefined) this.#shbOptions.push(stringOption(SHB_OS, options.os));
    if (options.userappl !== undefined)
      this.#shbOptions.push(stringOption(SHB_USERAPPL, options.userappl));
  }

  get interfaceCount(): number {
    return this.#interfaces.length;
  }

  /** Describes an interface (e.g. `ns0/ipvl0`) and returns the id packets refer to. */
  addInterface(
    name: string,
    linktype: number = LINKTYPE_ETHERNET,
    options: InterfaceOptions = {},
  ): number {
    this.#writeHeader();
    const snaplen = options.snaplen ?? PCAP_DEFAULT_SNAPLEN;
    invariant(snaplen > 0 && snaplen <= 0xffffffff, 'snaplen out of range');
    invariant(linktype >= 0 && linktype <= 0xffff, 'linktype out of range');
    const body = new Uint8Array(8);
    const view = new DataView(body.buffer);
    view.setUint16(0, linktype, true);
    view.setUint32(4, snaplen, true);
    const opts: Option[] = [stringOption(IF_NAME, name)];
    if (options.description !== undefined)
      opts.push(stringOption(IF_DESCRIPTION, options.description));
    opts.push({ code: IF_TSRESOL, value: Uint8Array.of(9) });
    this.#emit(encodeBlock(BT_IDB, body, opts));
    this.#interfaces.push({ name, linktype, snaplen });
    return this.#interfaces.length - 1;
  }

  /** Appends one packet seen on interface `id` at `timeNs`, cut to the interface's snaplen. */
  writePacket(id: number, timeNs: TimeNs, bytes: Uint8Array, options: PacketOptions = {}): void {
    const iface = this.#interfaces[id];
    invariant(iface !== undefined, `pcapng: no interface with id ${id}`);
    const ns = toTimeNs(timeNs);
    invariant(ns <= 0xffffffffffffffffn, 'timestamp does not fit 64 bits');
    const capLen = Math.min(bytes.length, iface.snaplen);
    const body = new Uint8Array(20 + capLen);
    const view = new DataView(body.buffer);
    view.setUint32(0, id, true);
    view.setUint32(4, Number(ns >> 32n), true);
    view.setUint32(8, Number(ns & 0xffffffffn), true);
    view.setUint32(12, capLen, true);
    view.setUint32(16, Math.max(options.origLen ?? bytes.length, capLen) >>> 0, true);
    body.set(bytes.subarray(0, capLen), 20);
    const opts: Option[] = [];
    if (options.comment !== undefined) opts.push(stringOption(OPT_COMMENT, options.comment));
    if (options.direction !== undefined) {
      const flags = new Uint8Array(4);
      new DataView(flags.buffer).setUint32(0, DIRECTION_BITS[options.direction], true);
      opts.push({ code: EPB_FLAGS, value: flags });
    }
    this.#emit(encodeBlock(BT_EPB, body, opts));
  }

  /** Returns (and forgets) every block not yet handed to a sink, as one array. */
  drain(): Uint8Array {
    this.#writeHeader();
    const out = concatChunks(this.#pending);
    this.#pending = [];
    return out;
  }

  #writeHeader(): void {
    if (this.#headerWritten) return;
    this.#headerWritten = true;
    const body = new Uint8Array(16);
    const view = new DataView(body.buffer);
    view.setUint32(0, BYTE_ORDER_MAGIC, true);
    view.setUint16(4, 1, true); // version 1.0
    view.setUint16(6, 0, true);
    view.setBigInt64(8, -1n, true); // section length not known while streaming
    this.#emit(encodeBlock(BT_SHB, body, this.#shbOptions));
  }

  #emit(chunk: Uint8Array): void {
    if (this.#sink !== undefined) this.#sink(chunk);
    else this.#pending.push(chunk);
  }
}

// ---------------------------------------------------------------- reader

export interface PcapngSection {
  readonly littleEndian: boolean;
  readonly versionMajor: number;
  readonly versionMinor: number;
  readonly hardware?: string;
  readonly os?: string;
  readonly userappl?: string;
  readonly comments: readonly string[];
}

export interface PcapngInterface {
  /** Index of the section (0-based) this interface belongs to. */
  readonly section: number;
  readonly linktype: number;
  readonly snaplen: number;
  readonly name?: string;
  readonly description?: string;
  /** Raw if_tsresol byte (default 6: microseconds). */
  readonly tsresol: number;
  /** if_tsoffset in seconds (default 0). */
  readonly tsoffset: bigint;
}

export interface PcapngPacket {
  /** Index into `PcapngFile.interfaces` (not the per-section id in the file). */
  readonly interfaceId: number;
  /** Nanoseconds (if_tsresol and if_tsoffset applied); null for Simple Packet Blocks. */
  readonly timeNs: bigint | null;
  readonly origLen: number;
  readonly data: Uint8Array;
  readonly comments: readonly string[];
  /** Raw epb_flags, when present. */
  readonly flags?: number;
  readonly direction?: Direction;
}

/** What the reader could make of a file: never an exception. */
export interface PcapngFile {
  readonly sections: readonly PcapngSection[];
  readonly interfaces: readonly PcapngInterface[];
  readonly packets: readonly PcapngPacket[];
  /** The first problem met, or null when every block was read cleanly. */
  readonly error: string | null;
}

interface MutableOptions {
  readonly list: Option[];
  error: string | null;
}

/** Splits an options area into (code, value) pairs; stops at endofopt or at damage. */
function parseOptions(area: Uint8Array, view: DataView, base: number, le: boolean): MutableOptions {
  const list: Option[] = [];
  let off = 0;
  while (off + 4 <= area.length) {
    const code = view.getUint16(base + off, le);
    const len = view.getUint16(base + off + 2, le);
    if (code === OPT_ENDOFOPT) return { list, error: null };
    if (off + 4 + len > area.length) return { list, error: `option ${code} runs past its block` };
    list.push({ code, value: area.subarray(off + 4, off + 4 + len) });
    off += 4 + pad4(len);
  }
  // A list that simply ends without opt_endofopt is accepted, as Wireshark does.
  return { list, error: off === area.length || off > area.length ? null : 'stray option bytes' };
}

function optString(opts: readonly Option[], code: number): string | undefined {
  const o = opts.find((x) => x.code === code);
  return o === undefined ? undefined : utf8Decoder.decode(o.value);
}

function optStrings(opts: readonly Option[], code: number): string[] {
  return opts.filter((x) => x.code === code).map((x) => utf8Decoder.decode(x.value));
}

function optUint32(opts: readonly Option[], code: number, le: boolean): number | undefined {
  const o = opts.find((x) => x.code === code);
  if (o === undefined || o.value.length < 4) return undefined;
  return new DataView(o.value.buffer, o.value.byteOffset, 4).getUint32(0, le);
}

/** Converts a raw timestamp in if_tsresol units to nanoseconds, adding if_tsoffset. */
function tsToNs(ts: bigint, tsresol: number, tsoffset: bigint): bigint {
  const exp = BigInt(tsresol & 0x7f);
  const perSec = (tsresol & 0x80) !== 0 ? 1n << exp : 10n ** exp;
  return (ts * 1_000_000_000n) / perSec + tsoffset * 1_000_000_000n;
}

/** Reads a pcapng file. Never throws; stops where block framing breaks. */
export function readPcapng(bytes: Uint8Array): PcapngFile {
  const sections: PcapngSection[] = [];
  const interfaces: PcapngInterface[] = [];
  const packets: PcapngPacket[] = [];
  let error: string | null = null;
  const note = (msg: string): void => {
    error ??= msg;
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le = true;
  /** Global interface indices of the current section, by per-section id. */
  let sectionIfaces: number[] = [];
  let off = 0;
  while (off < bytes.length) {
    if (bytes.length - off < 12) {
      note(`truncated block header at offset ${off}`);
      break;
    }
    const rawType = view.getUint32(off, true);
    if (rawType === BT_SHB) {
      // The byte-order magic of a new section decides how to read its lengths.
      if (bytes.length - off < 28) {
        note(`truncated section header at offset ${off}`);
        break;
      }
      const magicLe = view.getUint32(off + 8, true);
      if (magicLe === BYTE_ORDER_MAGIC) le = true;
      else if (view.getUint32(off + 8, false) === BYTE_ORDER_MAGIC) le = false;
      else {
        note(`bad byte-order magic at offset ${off}`);
        break;
      }
    } else if (sections.length === 0) {
      note('file does not start with a section header block');
      break;
    }
    const type = view.getUint32(off, le);
    const total = view.getUint32(off + 4, le);
    if (total < 12 || total % 4 !== 0 || total > bytes.length - off) {
      note(`bad block length ${total} at offset ${off}`);
      break;
    }
    if (view.getUint32(off + total - 4, le) !== total) {
      note(`trailing block length does not match at offset ${off}`);
      break;
    }
    const bodyStart = off + 8;
    const bodyEnd = off + total - 4;
    const bodyLen = bodyEnd - bodyStart;
    const optionsAt = (fixed: number): MutableOptions => {
      const start = bodyStart + fixed;
      const parsed = parseOptions(bytes.subarray(start, bodyEnd), view, start, le);
      if (parsed.error !== null) note(`${parsed.error} at offset ${off}`);
      return parsed;
    };
    switch (type) {
      case BT_SHB: {
        const major = view.getUint16(bodyStart + 4, le);
        const minor = view.getUint16(bodyStart + 6, le);
        if (major !== 1) {
          note(`unsupported pcapng version ${major}.${minor}`);
          return { sections, interfaces, packets, error };
        }
        const { list } = optionsAt(16);
        const hardware = optString(list, SHB_HARDWARE);
        const os = optString(list, SHB_OS);
        const userappl = optString(list, SHB_USERAPPL);
        sections.push({
          littleEndian: le,
          versionMajor: major,
          versionMinor: minor,
          ...(hardware !== undefined && { hardware }),
          ...(os !== undefined && { os }),
          ...(userappl !== undefined && { userappl }),
          comments: optStrings(list, OPT_COMMENT),
        });
        sectionIfaces = [];
        break;
      }
      case BT_IDB: {
        if (bodyLen < 8) {
          note(`truncated interface description at offset ${off}`);
          break;
        }
        const { list } = optionsAt(8);
        const name = optString(list, IF_NAME);
        const description = optString(list, IF_DESCRIPTION);
        const tsresolOpt = list.find((o) => o.code === IF_TSRESOL);
        const tsoffsetOpt = list.find((o) => o.code === IF_TSOFFSET);
        let tsoffset = 0n;
        if (tsoffsetOpt !== undefined && tsoffsetOpt.value.length >= 8) {
          const v = tsoffsetOpt.value;
          tsoffset = new DataView(v.buffer, v.byteOffset, 8).getBigInt64(0, le);
        }
        sectionIfaces.push(interfaces.length);
        interfaces.push({
          section: sections.length - 1,
          linktype: view.getUint16(bodyStart, le),
          snaplen: view.getUint32(bodyStart + 4, le),
          ...(name !== undefined && { name }),
          ...(description !== undefined && { description }),
          tsresol: tsresolOpt?.value[0] ?? 6,
          tsoffset,
        });
        break;
      }
      case BT_EPB: {
        if (bodyLen < 20) {
          note(`truncated enhanced packet block at offset ${off}`);
          break;
        }
        const localId = view.getUint32(bodyStart, le);
        const capLen = view.getUint32(bodyStart + 12, le);
        const origLen = view.getUint32(bodyStart + 16, le);
        if (capLen > bodyLen - 20) {
          note(`packet data runs past its block at offset ${off}`);
          break;
        }
        const globalId = sectionIfaces[localId];
        const iface = globalId === undefined ? undefined : interfaces[globalId];
        if (globalId === undefined || iface === undefined) {
          note(`packet refers to undefined interface ${localId} at offset ${off}`);
          break;
        }
        const ts =
          (BigInt(view.getUint32(bodyStart + 4, le)) << 32n) |
          BigInt(view.getUint32(bodyStart + 8, le));
        const { list } = optionsAt(20 + pad4(capLen));
        const flags = optUint32(list, EPB_FLAGS, le);
        const dirBits = (flags ?? 0) & 3;
        const direction: Direction | undefined =
          dirBits === 1 ? 'inbound' : dirBits === 2 ? 'outbound' : undefined;
        packets.push({
          interfaceId: globalId,
          timeNs: tsToNs(ts, iface.tsresol, iface.tsoffset),
          origLen,
          data: bytes.slice(bodyStart + 20, bodyStart + 20 + capLen),
          comments: optStrings(list, OPT_COMMENT),
          ...(flags !== undefined && { flags }),
          ...(direction !== undefined && { direction }),
        });
        break;
      }
      case BT_SPB: {
        const globalId = sectionIfaces[0];
        const iface = globalId === undefined ? undefined : interfaces[globalId];
        if (bodyLen < 4 || globalId === undefined || iface === undefined) {
          note(`unusable simple packet block at offset ${off}`);
          break;
        }
        const origLen = view.getUint32(bodyStart, le);
        // §4.4: the captured length is the smaller of the original length and the snaplen.
        const capLen = Math.min(origLen, iface.snaplen === 0 ? origLen : iface.snaplen);
        if (capLen > bodyLen - 4) {
          note(`packet data runs past its block at offset ${off}`);
          break;
        }
        packets.push({
          interfaceId: globalId,
          timeNs: null,
          origLen,
          data: bytes.slice(bodyStart + 4, bodyStart + 4 + capLen),
          comments: [],
        });
        break;
      }
      default:
        break; // other block types carry nothing this reader reports
    }
    off += total;
  }
  return { sections, interfaces, packets, error };
}
