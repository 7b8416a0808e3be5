// struct virtio_net_hdr (include/uapi/linux/virtio_net.h; VIRTIO 1.2 §5.1.6): the
// metadata a TAP with IFF_VNET_HDR and an AF_PACKET socket with PACKET_VNET_HDR put in
// front of every frame. It carries what an skb knows but the bytes do not: "this
// checksum is partial, finish it at csum_start + csum_offset" and "this is a GSO
// super-frame, cut it into gso_size segments". Passing it through unchanged is what
// lets 64 KB TCP frames cross the data plane in one read and one write.
//
// Fields are little-endian: legacy virtio-net headers use the host's order, and tun
// and af_packet only switch with TUNSETVNETBE/LE on big-endian hosts, which we do
// not support.
//
//  0       1       2               4               6               8              10
// +-------+-------+---------------+---------------+---------------+---------------+
// | flags |gso_typ|    hdr_len    |   gso_size    |  csum_start   |  csum_offset  |
// +-------+-------+---------------+---------------+---------------+---------------+
// [ num_buffers (le16) follows when the header is 12 bytes (VIRTIO_NET_F_MRG_RXBUF) ]

import { finishChecksum, sumBytes } from '../../wire/checksum.ts';

const FLAGS = 0;
const GSO_TYPE = 1;
const HDR_LEN = 2;
const GSO_SIZE = 4;
const CSUM_START = 6;
const CSUM_OFFSET = 8;
const NUM_BUFFERS = 10;

/** sizeof(struct virtio_net_hdr). */
export const VIRTIO_NET_HDR_LEN = 10;
/** sizeof(struct virtio_net_hdr_mrg_rxbuf). */
export const VIRTIO_NET_HDR_MRG_LEN = 12;

/** The checksum from csum_start to the end is partial: store it at csum_start + csum_offset. */
export const VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
/** The checksum was verified (receive side only). */
export const VIRTIO_NET_HDR_F_DATA_VALID = 2;
/** csum_start/csum_offset hold coalescing info instead (receive side only). */
export const VIRTIO_NET_HDR_F_RSC_INFO = 4;

export const VIRTIO_NET_HDR_GSO_NONE = 0;
export const VIRTIO_NET_HDR_GSO_TCPV4 = 1;
/** UDP fragmentation offload (UFO), IPv4 and IPv6. */
export const VIRTIO_NET_HDR_GSO_UDP = 3;
export const VIRTIO_NET_HDR_GSO_TCPV6 = 4;
/** UDP segmentation offload (USO), IPv4 and IPv6. */
export const VIRTIO_NET_HDR_GSO_UDP_L4 = 5;
/** Or-ed into gso_type: the TCP stream uses ECN (segments keep CWR only on the first). */
export const VIRTIO_NET_HDR_GSO_ECN = 0x80;

/** A virtio_net_hdr as a value. `numBuffers` is present only for 12-byte headers. */
export interface VnetHdrRepr {
  readonly flags: number;
  /** VIRTIO_NET_HDR_GSO_*, possibly with VIRTIO_NET_HDR_GSO_ECN. */
  readonly gsoType: number;
  /** Length of the headers to copy in front of every segment (a hint; may be 0). */
  readonly hdrLen: number;
  /** Payload bytes per segment. */
  readonly gsoSize: number;
  /** Where checksumming starts, counted from the first byte of the Ethernet frame. */
  readonly csumStart: number;
  /** Where the result goes, counted from csumStart. */
  readonly csumOffset: number;
  readonly numBuffers?: number;
}

/** A header that says nothing: a complete frame with a complete checksum. */
export const VNET_HDR_NONE: VnetHdrRepr = {
  flags: 0,
  gsoType: VIRTIO_NET_HDR_GSO_NONE,
  hdrLen: 0,
  gsoSize: 0,
  csumStart: 0,
  csumOffset: 0,
};

function le16(b: Uint8Array, o: number): number {
  return (b[o] ?? 0) | ((b[o + 1] ?? 0) << 8);
}

function setLe16(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
}

// Hot-path readers: no object per frame. `at` is where the header starts; callers have
// checked that VIRTIO_NET_HDR_LEN bytes are there (every frame read from a vnet fd has them).

export function vnetFlags(bytes: Uint8Array, at: number): number {
  return bytes[at + FLAGS] ?? 0;
}
export function vnetGsoType(bytes: Uint8Array, at: number): number {
  return bytes[at + GSO_TYPE] ?? 0;
}
export function vnetHdrLenField(bytes: Uint8Array, at: number): number {
  return le16(bytes, at + HDR_LEN);
}
export function vnetGsoSize(bytes: Uint8Array, at: number): number {
  return le16(bytes, at + GSO_SIZE);
}
export function vnetCsumStart(bytes: Uint8Array, at: number): number {
  return le16(bytes, at + CSUM_START);
}
export function vnetCsumOffset(bytes: Uint8Array, at: number): number {
  return le16(bytes, at + CSUM_OFFSET);
}

/** True when the frame is a GSO super-frame (gso_type other than NONE). */
export function vnetIsGso(bytes: Uint8Array, at: number): boolean {
  return ((bytes[at + GSO_TYPE] ?? 0) & ~VIRTIO_NET_HDR_GSO_ECN) !== VIRTIO_NET_HDR_GSO_NONE;
}

/** Zeroes a header in place: what a locally built, fully checksummed frame carries. */
export function clearVnetHdr(bytes: Uint8Array, at: number, len = VIRTIO_NET_HDR_LEN): void {
  bytes.fill(0, at, at + len);
}

/**
 * Reads a header of `len` bytes (10 or 12) at `at`, or returns null when the bytes are
 * too short or `len` is neither size.
 */
export function parseVnetHdr(
  bytes: Uint8Array,
  at = 0,
  len: number = VIRTIO_NET_HDR_LEN,
): VnetHdrRepr | null {
  if (len !== VIRTIO_NET_HDR_LEN && len !== VIRTIO_NET_HDR_MRG_LEN) return null;
  if (at < 0 || bytes.length < at + len) return null;
  const base: VnetHdrRepr = {
    flags: bytes[at + FLAGS] ?? 0,
    gsoType: bytes[at + GSO_TYPE] ?? 0,
    hdrLen: le16(bytes, at + HDR_LEN),
    gsoSize: le16(bytes, at + GSO_SIZE),
    csumStart: le16(bytes, at + CSUM_START),
    csumOffset: le16(bytes, at + CSUM_OFFSET),
  };
  return len === VIRTIO_NET_HDR_MRG_LEN
    ? { ...base, numBuffers: le16(bytes, at + NUM_BUFFERS) }
    : base;
}

/**
 * Writes `repr` at `at`: 10 bytes, or 12 when `len` is VIRTIO_NET_HDR_MRG_LEN (then
 * num_buffers is `repr.numBuffers`, default 0). `out` must have the room.
 */
export function emitVnetHdr(
  repr: VnetHdrRepr,
  out: Uint8Array,
  at = 0,
  len: number = VIRTIO_NET_HDR_LEN,
): void {
  out[at + FLAGS] = repr.flags & 0xff;
  out[at + GSO_TYPE] = repr.gsoType & 0xff;
  setLe16(out, at + HDR_LEN, repr.hdrLen);
  setLe16(out, at + GSO_SIZE, repr.gsoSize);
  setLe16(out, at + CSUM_START, repr.csumStart);
  setLe16(out, at + CSUM_OFFSET, repr.csumOffset);
  if (len === VIRTIO_NET_HDR_MRG_LEN) setLe16(out, at + NUM_BUFFERS, repr.numBuffers ?? 0);
}

/**
 * Whether the header at `at` is one the kernel would accept for a frame of `frameLen`
 * bytes (Linux: virtio_net_hdr_to_skb): a known GSO type with a nonzero gso_size, and
 * a partial checksum whose 2-byte field lies inside the frame. A frame from a slave
 * that fails this is dropped (Linux drop reason DEV_HDR) rather than passed on, so a
 * bad header cannot make the kernel reject or mis-segment the next hop's write.
 */
export function vnetHdrValid(bytes: Uint8Array, at: number, frameLen: number): boolean {
  if (bytes.length < at + VIRTIO_NET_HDR_LEN) return false;
  const flags = vnetFlags(bytes, at);
  if ((flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) !== 0) {
    const start = vnetCsumStart(bytes, at);
    if (start + vnetCsumOffset(bytes, at) + 2 > frameLen) return false;
  }
  const gso = vnetGsoType(bytes, at) & ~VIRTIO_NET_HDR_GSO_ECN;
  switch (gso) {
    case VIRTIO_NET_HDR_GSO_NONE:
      return true;
    case VIRTIO_NET_HDR_GSO_TCPV4:
    case VIRTIO_NET_HDR_GSO_TCPV6:
    case VIRTIO_NET_HDR_GSO_UDP:
    case VIRTIO_NET_HDR_GSO_UDP_L4:
      return vnetGsoSize(bytes, at) !== 0;
    default:
      return false;
  }
}

/**
 * Finishes a partial checksum in software (Linux: skb_checksum_help): sums the frame
 * from csum_start to its end (the field already holds the pseudo-header sum), stores
 * the folded complement at csum_start + csum_offset, writing 0xffff for a zero result
 * as Linux does (CSUM_MANGLED_0), and clears NEEDS_CSUM in the header. For a frame
 * that goes somewhere partial checksums cannot: a non-vnet link, or the engine's own
 * parser. Not for GSO super-frames (each segment needs its own checksum); returns
 * false and leaves the bytes alone for those and for invalid offsets.
 *
 * `at` is where the header starts; the frame follows it at `at + hdrLen` and is
 * `frameLen` bytes long.
 */
export function completeVnetChecksum(
  bytes: Uint8Array,
  at: number,
  hdrLen: number,
  frameLen: number,
): boolean {
  if ((vnetFlags(bytes, at) & VIRTIO_NET_HDR_F_NEEDS_CSUM) === 0) return true;
  if (vnetIsGso(bytes, at)) return false;
  const frame = at + hdrLen;
  if (frame + frameLen > bytes.length) return false;
  const start = vnetCsumStart(bytes, at);
  const field = start + vnetCsumOffset(bytes, at);
  if (field + 2 > frameLen) return false;
  const sum = finishChecksum(sumBytes(bytes.subarray(frame + start, frame + frameLen)));
  const value = sum === 0 ? 0xffff : sum;
  bytes[frame + field] = value >>> 8;
  bytes[frame + field + 1] = value & 0xff;
  bytes[at + FLAGS] = vnetFlags(bytes, at) & ~VIRTIO_NET_HDR_F_NEEDS_CSUM;
  return true;
}
