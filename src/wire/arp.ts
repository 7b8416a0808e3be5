// ARP for Ethernet and IPv4 (RFC 826). Only the one hardware/protocol pairing the stack
// uses is accepted: Linux's arp_rcv drops packets whose address lengths do not match
// the device, and arp_process ignores other protocol types, so we refuse them here.

import { ETH_P_ARP, ETH_P_IP, ARPHRD_ETHER } from '../uapi/if.ts';
import { MacAddr, ipv4At, macKeyAt, writeIpv4, type Ipv4Addr } from './address.ts';
import { be16, setBe16 } from './bytes.ts';
import { ETHERNET_HEADER_LEN, EthernetPacket, emitEthernet } from './ethernet.ts';

// RFC 826, for htype 1 (Ethernet), ptype 0x0800 (IPv4):
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |      Hardware type (1)        |     Protocol type (0x0800)    |
// +---------------+---------------+-------------------------------+
// | HW len (6)    | Proto len (4) |          Operation            |
// +---------------+---------------+-------------------------------+
// |                  Sender hardware address (6)                  |
// +                               +-------------------------------+
// |                               |  Sender protocol address (4)  |
// +-------------------------------+-------------------------------+
// |                               |                               |
// +-------------------------------+                               +
// |                  Target hardware address (6)                  |
// +-------------------------------+-------------------------------+
// |                  Target protocol address (4)                  |
// +-------------------------------+-------------------------------+
const HTYPE = 0;
const PTYPE = 2;
const HLEN = 4;
const PLEN = 5;
const OPER = 6;
const SHA = 8;
const SPA = 14;
const THA = 18;
const TPA = 24;

/** Length of an Ethernet/IPv4 ARP packet. */
export const ARP_PACKET_LEN = 28;

/** ARP operation codes (include/uapi/linux/if_arp.h). */
export const ARPOP_REQUEST = 1;
export const ARPOP_REPLY = 2;

/** An Ethernet/IPv4 ARP packet seen through its bytes. Never copies. */
export class ArpPacket {
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /**
   * Wraps untrusted bytes (the Ethernet payload, padding allowed), or returns `null` when
   * they are short or describe anything but Ethernet/IPv4. The operation is not checked:
   * `parseArp` refuses unknown ones.
   */
  static checked(bytes: Uint8Array): ArpPacket | null {
    if (bytes.length < ARP_PACKET_LEN) return null;
    if (be16(bytes, HTYPE) !== ARPHRD_ETHER || be16(bytes, PTYPE) !== ETH_P_IP) return null;
    if (bytes[HLEN] !== 6 || bytes[PLEN] !== 4) return null;
    return new ArpPacket(bytes);
  }

  /** Wraps a buffer we sized ourselves (at least 28 bytes) and are about to fill. */
  static unchecked(bytes: Uint8Array): ArpPacket {
    return new ArpPacket(bytes);
  }

  get hardwareType(): number {
    return be16(this.bytes, HTYPE);
  }
  get protocolType(): number {
    return be16(this.bytes, PTYPE);
  }
  get hardwareLen(): number {
    return this.bytes[HLEN] as number;
  }
  get protocolLen(): number {
    return this.bytes[PLEN] as number;
  }
  get op(): number {
    return be16(this.bytes, OPER);
  }
  /** Sender hardware address (allocates; `senderMacKey` does not). */
  get senderMac(): MacAddr {
    return MacAddr.fromBytes(this.bytes, SHA);
  }
  get senderMacKey(): number {
    return macKeyAt(this.bytes, SHA);
  }
  get senderIp(): Ipv4Addr {
    return ipv4At(this.bytes, SPA);
  }
  get targetMac(): MacAddr {
    return MacAddr.fromBytes(this.bytes, THA);
  }
  get targetMacKey(): number {
    return macKeyAt(this.bytes, THA);
  }
  get targetIp(): Ipv4Addr {
    return ipv4At(this.bytes, TPA);
  }

  /** Writes the fixed Ethernet/IPv4 prefix: htype 1, ptype 0x0800, hlen 6, plen 4. */
  setEthernetIpv4(): void {
    setBe16(this.bytes, HTYPE, ARPHRD_ETHER);
    setBe16(this.bytes, PTYPE, ETH_P_IP);
    this.bytes[HLEN] = 6;
    this.bytes[PLEN] = 4;
  }
  setOp(value: number): void {
    setBe16(this.bytes, OPER, value);
  }
  setSenderMac(mac: MacAddr): void {
    mac.writeTo(this.bytes, SHA);
  }
  setSenderIp(addr: Ipv4Addr): void {
    writeIpv4(this.bytes, SPA, addr);
  }
  setTargetMac(mac: MacAddr): void {
    mac.writeTo(this.bytes, THA);
  }
  setTargetIp(addr: Ipv4Addr): void {
    writeIpv4(this.bytes, TPA, addr);
  }
}

/** An ARP request or reply as a value. */
export interface ArpRepr {
  readonly op: 'request' | 'reply';
  readonly senderMac: MacAddr;
  readonly senderIp: Ipv4Addr;
  readonly targetMac: MacAddr;
  readonly targetIp: Ipv4Addr;
}

/** Reads a request or reply, or returns `null` for other operations (RARP, InARP, …). */
export function parseArp(pkt: ArpPacket): ArpRepr | null {
  const code = pkt.op;
  if (code !== ARPOP_REQUEST && code !== ARPOP_REPLY) return null;
  return {
    op: code === ARPOP_REQUEST ? 'request' : 'reply',
    senderMac: pkt.senderMac,
    senderIp: pkt.senderIp,
    targetMac: pkt.targetMac,
    targetIp: pkt.targetIp,
  };
}

/** Writes all 28 bytes of the packet. */
export function emitArp(repr: ArpRepr, out: ArpPacket): void {
  out.setEthernetIpv4();
  out.setOp(repr.op === 'request' ? ARPOP_REQUEST : ARPOP_REPLY);
  out.setSenderMac(repr.senderMac);
  out.setSenderIp(repr.senderIp);
  out.setTargetMac(repr.targetMac);
  out.setTargetIp(repr.targetIp);
}

/** Ethernet addresses for an ARP frame when they differ from the defaults. */
export interface ArpFrameOptions {
  /** Default: broadcast for a request, the target hardware address for a reply. */
  readonly ethDst?: MacAddr;
  /** Default: the sender hardware address. */
  readonly ethSrc?: MacAddr;
}

/**
 * Builds a whole 42-byte Ethernet frame carrying `repr` (Linux: arp_create), unpadded.
 * A request goes to broadcast unless `ethDst` says otherwise (unicast probes).
 */
export function buildArpFrame(repr: ArpRepr, options: ArpFrameOptions = {}): Uint8Array {
  const frame = new Uint8Array(ETHERNET_HEADER_LEN + ARP_PACKET_LEN);
  const dst = options.ethDst ?? (repr.op === 'request' ? MacAddr.BROADCAST : repr.targetMac);
  emitEthernet(
    { dst, src: options.ethSrc ?? repr.senderMac, ethertype: ETH_P_ARP, vlan: null },
    EthernetPacket.unchecked(frame),
  );
  emitArp(repr, ArpPacket.unchecked(frame.subarray(ETHERNET_HEADER_LEN)));
  return frame;
}
