// Classic libpcap capture files (the format of pcap-savefile(5) and
// draft-ietf-opsawg-pcap): a 24-byte file header, then a 16-byte record header
// before every packet. Portable: bytes in, bytes out; the caller writes the file.
// The writer always emits little-endian files; the reader accepts both byte orders
// and both the microsecond (0xa1b2c3d4) and nanosecond (0xa1b23c4d) magics.

import { invariant } from '../base/assert.ts';

/** LINKTYPE_ETHERNET: IEEE 802.3 frames starting at the destination MAC. */
export const LINKTYPE_ETHERNET = 1;
/** tcpdump's default and maximum snapshot length (MAXIMUM_SNAPLEN in libpcap). */
export const PCAP_DEFAULT_SNAPLEN = 262144;

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const PCAP_FILE_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;

/** A timestamp in nanoseconds from whatever clock the caller uses (virtual time in the emulator). */
export type TimeNs = bigint | number;

export type PcapResolution = 'us' | 'ns';

export interface PcapWriterOptions {
  readonly linktype?: number;
  readonly snaplen?: number;
  /** Timestamp resolution of the file; nanoseconds keep virtual time exact. Default 'ns'. */
  readonly resolution?: PcapResolution;
  /** Receives each chunk as soon as it exists; without it, chunks wait for `drain()`. */
  readonly sink?: (chunk: Uint8Array) => void;
}

const NS_PER_SEC = 1_000_000_000n;

/** Converts a caller's timestamp to a non-negative bigint of nanoseconds. */
export function toTimeNs(time: TimeNs): bigint {
  if (typeof time === 'bigint') {
    invariant(time >= 0n, 'capture timestamp must not be negative');
    return time;
  }
  invariant(Number.isFinite(time) && time >= 0, 'capture timestamp must be finite and >= 0');
  return BigInt(Math.round(time));
}

/** Streams a classic pcap file: the file header first, then one record per packet. */
export class PcapWriter {
  readonly linktype: number;
  readonly snaplen: number;
  readonly resolution: PcapResolution;
  readonly #sink: ((chunk: Uint8Array) => void) | undefined;
  #pending: Uint8Array[] = [];
  #headerWritten = false;

  constructor(options: PcapWriterOptions = {}) {
    this.linktype = options.linktype ?? LINKTYPE_ETHERNET;
    this.snaplen = options.snaplen ?? PCAP_DEFAULT_SNAPLEN;
    this.resolution = options.resolution ?? 'ns';
    this.#sink = options.sink;
    invariant(this.snaplen > 0 && this.snaplen <= 0xffffffff, 'snaplen out of range');
  }

  /**
   * Appends one packet. Bytes beyond the snaplen are cut; the record keeps the original
   * length (`origLen`, default the full length of `bytes`).
   */
  writePacket(timeNs: TimeNs, bytes: Uint8Array, origLen = bytes.length): void {
    this.#writeHeader();
    const ns = toTimeNs(timeNs);
    const sec = ns / NS_PER_SEC;
    const frac = ns % NS_PER_SEC;
    // The classic format has 32-bit seconds; virtual clocks start near zero, and a
    // real clock fits until 2106.
    invariant(sec <= 0xffffffffn, 'timestamp does not fit the 32-bit seconds of classic pcap');
    const capLen = Math.min(bytes.length, this.snaplen);
    const rec = new Uint8Array(PCAP_RECORD_HEADER_LEN + capLen);
    const view = new DataView(rec.buffer);
    view.setUint32(0, Number(sec), true);
    view.setUint32(4, Number(this.resolution === 'ns' ? frac : frac / 1000n), true);
    view.setUint32(8, capLen, true);
    view.setUint32(12, Math.max(origLen, capLen) >>> 0, true);
    rec.set(bytes.subarray(0, capLen), PCAP_RECORD_HEADER_LEN);
    this.#emit(rec);
  }

  /** Returns (and forgets) every chunk not yet handed to a sink, as one array. */
  drain(): Uint8Array {
    this.#writeHeader();
    const out = concatChunks(this.#pending);
    this.#pending = [];
    return out;
  }

  #writeHeader(): void {
    if (this.#headerWritten) return;
    this.#headerWritten = true;
    const header = new Uint8Array(PCAP_FILE_HEADER_LEN);
    const view = new DataView(header.buffer);
    view.setUint32(0, this.resolution === 'ns' ? PCAP_MAGIC_NS : PCAP_MAGIC_US, true);
    view.setUint16(4, 2, true); // version 2.4
    view.setUint16(6, 4, true);
    // thiszone and sigfigs stay 0, as every modern writer leaves them.
    view.setUint32(16, this.snaplen, true);
    view.setUint32(20, this.linktype, true);
    this.#emit(header);
  }

  #emit(chunk: Uint8Array): void {
    if (this.#sink !== undefined) this.#sink(chunk);
    else this.#pending.push(chunk);
  }
}

/** One packet read back from a capture. */
export interface PcapPacket {
  readonly timeNs: bigint;
  /** Length on the wire; `data.length` is what was captured (at most the snaplen). */
  readonly origLen: number;
  readonly data: Uint8Array;
}

export interface PcapHeader {
  readonly linktype: number;
  readonly snaplen: number;
  readonly resolution: PcapResolution;
  readonly littleEndian: boolean;
  readonly versionMajor: number;
  readonly versionMinor: number;
}

/** What a reader could make of a file: never an exception. */
export interface PcapFile {
  /** null when even the file header is unusable. */
  readonly header: PcapHeader | null;
  readonly packets: readonly PcapPacket[];
  /** Why reading stopped early, or null when the whole input was consumed. */
  readonly error: string | null;
}

/** Reads a classic pcap file. Never throws; stops at the first damaged record. */
export function readPcap(bytes: Uint8Array): PcapFile {
  const packets: PcapPacket[] = [];
  if (bytes.length < PCAP_FILE_HEADER_LEN) {
    return { header: null, packets, error: 'truncated file header' };
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let littleEndian: boolean;
  let resolution: PcapResolution;
  const le = view.getUint32(0, true);
  const be = view.getUint32(0, false);
  if (le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS) {
    littleEndian = true;
    resolution = le === PCAP_MAGIC_NS ? 'ns' : 'us';
  } else if (be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS) {
    littleEndian = false;
    resolution = be === PCAP_MAGIC_NS ? 'ns' : 'us';
  } else {
    return { header: null, packets, error: `bad magic 0x${be.toString(16).padStart(8, '0')}` };
  }
  const header: PcapHeader = {
    versionMajor: view.getUint16(4, littleEndian),
    versionMinor: view.getUint16(6, littleEndian),
    snaplen: view.getUint32(16, littleEndian),
    // The upper bits carry FCS length flags (pcap-savefile(5)); the link type is the low 16.
    linktype: view.getUint32(20, littleEndian) & 0x0fffffff,
    resolution,
    littleEndian,
  };
  const unit = resolution === 'ns' ? 1n : 1000n;
  let off = PCAP_FILE_HEADER_LEN;
  while (off < bytes.length) {
    if (bytes.length - off < PCAP_RECORD_HEADER_LEN) {
      return { header, packets, error: `truncated record header at offset ${off}` };
    }
    const sec = view.getUint32(off, littleEndian);
    const frac = view.getUint32(off + 4, littleEndian);
    const capLen = view.getUint32(off + 8, littleEndian);
    const origLen = view.getUint32(off + 12, littleEndian);
    off += PCAP_RECORD_HEADER_LEN;
    if (capLen > bytes.length - off) {
      return { header, packets, error: `record at offset ${off - 16} runs past the end` };
    }
    packets.push({
      timeNs: BigInt(sec) * NS_PER_SEC + BigInt(frac) * unit,
      origLen,
      data: bytes.slice(off, off + capLen),
    });
    off += capLen;
  }
  return { header, packets, error: null };
}

/** Concatenates chunks into one array. */
export function concatChunks(chunks: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}
