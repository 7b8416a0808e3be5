// TCP segment headers (RFC 9293 §3.1, flags from RFC 3168 for ECE/CWR) with the
// pseudo-header checksum over IPv4 or IPv6. Header only: options are raw bytes and
// there is no connection state here. The AccECN/NS bit (RFC 3540, historic) is not modelled.

import { type IpAddr } from './address.ts';
import { be16, be32, setBe16, setBe32 } from './bytes.ts';
import { finishChecksum, sumBytes } from './checksum.ts';
import { ipPseudoSum } from './udp.ts';

// RFC 9293 §3.1:
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |          Source Port          |       Destination Port        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                        Sequence Number                        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    Acknowledgment Number                      |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Data |       |C|E|U|A|P|R|S|F|                               |
// | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
// |       |       |R|E|G|K|H|T|N|N|                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |           Checksum            |         Urgent Pointer        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    Options (0..40 bytes)                      |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
const SRC_PORT = 0;
const DST_PORT = 2;
const SEQ = 4;
const ACK = 8;
const DATA_OFFSET = 12;
const FLAGS = 13;
const WINDOW = 14;
const CHECKSUM = 16;
const URGENT = 18;

/** Length of a header without options. */
export const TCP_HEADER_LEN = 20;
/** Length of the longest header (data offset 15). */
export const TCP_MAX_HEADER_LEN = 60;

/** Flag bits of byte 13 (Linux TCPHDR_*). */
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;

const IPPROTO_TCP = 6;

/** A TCP segment seen through its bytes. Never copies. */
export class TcpPacket {
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /**
   * Wraps untrusted bytes (exactly the IP payload: TCP has no length field of its own), or
   * returns `null` when the data offset is below 5 words or past the end (Linux:
   * tcp_v4_rcv). After this succeeds, no getter reads out of bounds.
   */
  static checked(bytes: Uint8Array): TcpPacket | null {
    if (bytes.length < TCP_HEADER_LEN) return null;
    const headerLen = ((bytes[DATA_OFFSET] as number) >>> 4) * 4;
    if (headerLen < TCP_HEADER_LEN || headerLen > bytes.length) return null;
    return new TcpPacket(bytes);
  }

  /** Wraps a buffer we sized ourselves and are about to fill. */
  static unchecked(bytes: Uint8Array): TcpPacket {
    return new TcpPacket(bytes);
  }

  get srcPort(): number {
    return be16(this.bytes, SRC_PORT);
  }
  get dstPort(): number {
    return be16(this.bytes, DST_PORT);
  }
  get seq(): number {
    return be32(this.bytes, SEQ);
  }
  get ack(): number {
    return be32(this.bytes, ACK);
  }
  /** Header length in 32-bit words. */
  get dataOffset(): number {
    return (this.bytes[DATA_OFFSET] as number) >>> 4;
  }
  /** Header length in bytes, options included. */
  get headerLen(): number {
    return this.dataOffset * 4;
  }
  /** The eight flag bits (TCP_FIN … TCP_CWR). */
  get flags(): number {
    return this.bytes[FLAGS] as number;
  }
  get fin(): boolean {
    return (this.flags & TCP_FIN) !== 0;
  }
  get syn(): boolean {
    return (this.flags & TCP_SYN) !== 0;
  }
  get rst(): boolean {
    return (this.flags & TCP_RST) !== 0;
  }
  get psh(): boolean {
    return (this.flags & TCP_PSH) !== 0;
  }
  get ackFlag(): boolean {
    return (this.flags & TCP_ACK) !== 0;
  }
  get urg(): boolean {
    return (this.flags & TCP_URG) !== 0;
  }
  get ece(): boolean {
    return (this.flags & TCP_ECE) !== 0;
  }
  get cwr(): boolean {
    return (this.flags & TCP_CWR) !== 0;
  }
  get window(): number {
    return be16(this.bytes, WINDOW);
  }
  get checksum(): number {
    return be16(this.bytes, CHECKSUM);
  }
  get urgentPointer(): number {
    return be16(this.bytes, URGENT);
  }
  get options(): Uint8Array {
    return this.bytes.subarray(TCP_HEADER_LEN, this.headerLen);
  }
  get payload(): Uint8Array {
    return this.bytes.subarray(this.headerLen);
  }

  /** True when the checksum verifies over the whole segment and the pseudo-header. */
  checksumOk(src: IpAddr, dst: IpAddr): boolean {
    const sum = sumBytes(this.bytes, ipPseudoSum(src, dst, IPPROTO_TCP, this.bytes.length));
    return finishChecksum(sum) === 0;
  }

  setSrcPort(value: number): void {
    setBe16(this.bytes, SRC_PORT, value);
  }
  setDstPort(value: number): void {
    setBe16(this.bytes, DST_PORT, value);
  }
  setSeq(value: number): void {
    setBe32(this.bytes, SEQ, value);
  }
  setAck(value: number): void {
    setBe32(this.bytes, ACK, value);
  }
  /** Writes the header length in bytes (a multiple of 4, 20..60); clears the reserved bits. */
  setHeaderLen(bytes: number): void {
    this.bytes[DATA_OFFSET] = ((bytes >>> 2) & 0x0f) << 4;
  }
  setFlags(value: number): void {
    this.bytes[FLAGS] = value & 0xff;
  }
  setWindow(value: number): void {
    setBe16(this.bytes, WINDOW, value);
  }
  setChecksum(value: number): void {
    setBe16(this.bytes, CHECKSUM, value);
  }
  setUrgentPointer(value: number): void {
    setBe16(this.bytes, URGENT, value);
  }
  /** Computes and writes the checksum over the whole segment. */
  fillChecksum(src: IpAddr, dst: IpAddr): void {
    this.setChecksum(0);
    const sum = sumBytes(this.bytes, ipPseudoSum(src, dst, IPPROTO_TCP, this.bytes.length));
    this.setChecksum(finishChecksum(sum));
  }
}

/** A TCP header as a value; the payload travels separately. */
export interface TcpRepr {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  /** TCP_FIN | TCP_SYN | … */
  readonly flags: number;
  readonly window: number;
  readonly urgentPointer: number;
  /**
   * Option bytes; `emitTcp` pads them with zeros (End of Option List) to a multiple of 4.
   * From `parseTcp`, a window into the segment.
   */
  readonly options: Uint8Array;
}

/** Reads the header, or returns `null` when the checksum is wrong. */
export function parseTcp(pkt: TcpPacket, src: IpAddr, dst: IpAddr): TcpRepr | null {
  if (!pkt.checksumOk(src, dst)) return null;
  return {
    srcPort: pkt.srcPort,
    dstPort: pkt.dstPort,
    seq: pkt.seq,
    ack: pkt.ack,
    flags: pkt.flags,
    window: pkt.window,
    urgentPointer: pkt.urgentPointer,
    options: pkt.options,
  };
}

/** The header length `repr` needs: 20 plus its options rounded up to a multiple of 4. */
export function tcpHeaderLen(repr: TcpRepr): number {
  return TCP_HEADER_LEN + ((repr.options.length + 3) & ~3);
}

/**
 * Writes the header and checksum. `out` must be exactly header + payload long, with the
 * payload already in place after `tcpHeaderLen(repr)` bytes.
 */
export function emitTcp(repr: TcpRepr, out: TcpPacket, src: IpAddr, dst: IpAddr): void {
  const headerLen = tcpHeaderLen(repr);
  out.setSrcPort(repr.srcPort);
  out.setDstPort(repr.dstPort);
  out.setSeq(repr.seq);
  out.setAck(repr.ack);
  out.setHeaderLen(headerLen);
  out.setFlags(repr.flags);
  out.setWindow(repr.window);
  out.setUrgentPointer(repr.urgentPointer);
  out.bytes.set(repr.options, TCP_HEADER_LEN);
  out.bytes.fill(0, TCP_HEADER_LEN + repr.options.length, headerLen);
  out.fillChecksum(src, dst);
}
