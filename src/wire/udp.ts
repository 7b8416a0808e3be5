// UDP datagrams (RFC 768) over IPv4 and IPv6. The checksum covers a pseudo-header
// (RFC 768; RFC 8200 §8.1 for IPv6), is optional over IPv4 (zero means "none") and
// mandatory over IPv6. UDP-Lite and IPv6 jumbograms (length 0) are not supported.

import { invariant } from '../base/assert.ts';
import { type IpAddr } from './address.ts';
import { be16, setBe16 } from './bytes.ts';
import { finishChecksum, ipv4PseudoSum, ipv6PseudoSum, sumBytes } from './checksum.ts';

// RFC 768:
//  0      7 8     15 16    23 24    31
// +--------+--------+--------+--------+
// |   Source Port   |  Dest. Port     |
// +--------+--------+--------+--------+
// |     Length      |    Checksum     |
// +--------+--------+--------+--------+
// |          data octets ...          |
// +-----------------------------------+
const SRC_PORT = 0;
const DST_PORT = 2;
const LENGTH = 4;
const CHECKSUM = 6;

/** Length of the UDP header. */
export const UDP_HEADER_LEN = 8;

const IPPROTO_UDP = 17;

/**
 * The pseudo-header accumulator for either family (RFC 768, RFC 793 §3.1, RFC 8200 §8.1).
 * Both addresses must be of the same family.
 */
export function ipPseudoSum(src: IpAddr, dst: IpAddr, protocol: number, length: number): number {
  if (typeof src === 'number') {
    invariant(typeof dst === 'number', 'pseudo-header with mixed address families');
    return ipv4PseudoSum(src, dst, protocol, length);
  }
  invariant(typeof dst !== 'number', 'pseudo-header with mixed address families');
  return ipv6PseudoSum(src.bytes, dst.bytes, protocol, length);
}

/** A UDP datagram seen through its bytes. Never copies. */
export class UdpPacket {
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /**
   * Wraps untrusted bytes (the IP payload), or returns `null` if the length field is
   * shorter than the header or longer than the bytes (Linux: __udp4_lib_rcv). Bytes past
   * the length field are ignored. After this succeeds, no getter reads out of bounds.
   */
  static checked(bytes: Uint8Array): UdpPacket | null {
    if (bytes.length < UDP_HEADER_LEN) return null;
    const len = be16(bytes, LENGTH);
    if (len < UDP_HEADER_LEN || len > bytes.length) return null;
    return new UdpPacket(bytes);
  }

  /** Wraps a buffer we sized ourselves and are about to fill. */
  static unchecked(bytes: Uint8Array): UdpPacket {
    return new UdpPacket(bytes);
  }

  get srcPort(): number {
    return be16(this.bytes, SRC_PORT);
  }
  get dstPort(): number {
    return be16(this.bytes, DST_PORT);
  }
  /** Header plus payload, from the length field. */
  get length(): number {
    return be16(this.bytes, LENGTH);
  }
  get checksum(): number {
    return be16(this.bytes, CHECKSUM);
  }
  /** The datagram as the length field bounds it. */
  get datagram(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
  get payload(): Uint8Array {
    return this.bytes.subarray(UDP_HEADER_LEN, this.length);
  }

  /**
   * True when the checksum field verifies against the pseudo-header. A zero field is not
   * special here; `parseUdp` decides what "no checksum" means per family.
   */
  checksumOk(src: IpAddr, dst: IpAddr): boolean {
    const len = this.length;
    const sum = sumBytes(this.datagram, ipPseudoSum(src, dst, IPPROTO_UDP, len));
    return finishChecksum(sum) === 0;
  }

  setSrcPort(value: number): void {
    setBe16(this.bytes, SRC_PORT, value);
  }
  setDstPort(value: number): void {
    setBe16(this.bytes, DST_PORT, value);
  }
  setLength(value: number): void {
    setBe16(this.bytes, LENGTH, value);
  }
  setChecksum(value: number): void {
    setBe16(this.bytes, CHECKSUM, value);
  }
  /** Computes and writes the checksum over the datagram; a computed zero goes out as 0xffff. */
  fillChecksum(src: IpAddr, dst: IpAddr): void {
    this.setChecksum(0);
    const len = this.length;
    const sum = finishChecksum(sumBytes(this.datagram, ipPseudoSum(src, dst, IPPROTO_UDP, len)));
    // RFC 768: zero is "no checksum", so an all-zero result is sent as all ones.
    this.setChecksum(sum === 0 ? 0xffff : sum);
  }
}

/** A UDP header as a value; the payload travels separately. */
export interface UdpRepr {
  readonly srcPort: number;
  readonly dstPort: number;
}

/**
 * Reads the header, or returns `null` when the checksum is wrong, or absent over IPv6
 * (RFC 8200 §8.1; Linux counts both as UDP_MIB_CSUMERRORS).
 */
export function parseUdp(pkt: UdpPacket, src: IpAddr, dst: IpAddr): UdpRepr | null {
  if (pkt.checksum === 0) {
    if (typeof src !== 'number') return null;
  } else if (!pkt.checksumOk(src, dst)) {
    return null;
  }
  return { srcPort: pkt.srcPort, dstPort: pkt.dstPort };
}

/** The datagram length for a payload of `payloadLen` bytes. */
export function udpLen(payloadLen: number): number {
  return UDP_HEADER_LEN + payloadLen;
}

/**
 * Writes the header and checksum. `out` must be exactly header + payload long, with the
 * payload already in place after the header.
 */
export function emitUdp(repr: UdpRepr, out: UdpPacket, src: IpAddr, dst: IpAddr): void {
  out.setSrcPort(repr.srcPort);
  out.setDstPort(repr.dstPort);
  out.setLength(out.bytes.length);
  out.fillChecksum(src, dst);
}
