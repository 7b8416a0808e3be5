// Ethernet II frames (IEEE 802.3 clause 3 with the DIX type field) with at most one
// IEEE 802.1Q / 802.1ad tag. The FCS is not part of the frame: like Linux, we see frames
// as drivers hand them up, CRC already stripped. A second (QinQ inner) tag is left in
// the payload with its TPID as the ethertype, as Linux's vlan_untag would leave it.

import { ETH_P_8021AD, ETH_P_8021Q } from '../uapi/if.ts';
import { MacAddr, macKeyAt } from './address.ts';
import { be16, setBe16 } from './bytes.ts';

// Untagged:
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    Destination MAC address                    |
// +                               +-------------------------------+
// |                               |                               |
// +-------------------------------+                               +
// |                      Source MAC address                       |
// +-------------------------------+-------------------------------+
// |           EtherType           |            payload ...        |
// +-------------------------------+-------------------------------+
//
// Tagged (IEEE 802.1Q-2018 §9.6): a 4-byte tag sits where the EtherType was.
// +-------------------------------+-----+-+-----------------------+
// |     TPID (0x8100 / 0x88a8)    | PCP |D|         VID           |
// +-------------------------------+-----+-+-----------------------+
// |        inner EtherType        |            payload ...        |
// +-------------------------------+-------------------------------+
const DST = 0;
const SRC = 6;
const TYPE = 12;
const TCI = 14;
const INNER_TYPE = 16;

/** Length of an untagged Ethernet II header. */
export const ETHERNET_HEADER_LEN = 14;
/** Length of one 802.1Q tag (TPID + TCI). */
export const VLAN_TAG_LEN = 4;
/** Length of an Ethernet header carrying one 802.1Q/802.1ad tag. */
export const ETHERNET_VLAN_HEADER_LEN = ETHERNET_HEADER_LEN + VLAN_TAG_LEN;
/** Shortest frame on the wire without FCS (Linux ETH_ZLEN); shorter frames are padded. */
export const ETHERNET_MIN_FRAME_LEN = 60;
/** Type values below this are IEEE 802.3 length fields, not EtherTypes (Linux ETH_P_802_3_MIN). */
export const ETHERTYPE_MIN = 0x0600;

/** True for the TPIDs whose tag we recognise: 802.1Q (0x8100) and 802.1ad (0x88a8). */
export function isVlanTpid(type: number): boolean {
  return type === ETH_P_8021Q || type === ETH_P_8021AD;
}

/** An Ethernet frame seen through its bytes. Never copies. */
export class EthernetPacket {
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /**
   * Wraps untrusted bytes, or returns `null` when they are shorter than the header
   * (including the VLAN tag when the type field announces one). After this succeeds,
   * no getter reads out of bounds.
   */
  static checked(bytes: Uint8Array): EthernetPacket | null {
    if (bytes.length < ETHERNET_HEADER_LEN) return null;
    if (isVlanTpid(be16(bytes, TYPE)) && bytes.length < ETHERNET_VLAN_HEADER_LEN) return null;
    return new EthernetPacket(bytes);
  }

  /** Wraps a buffer we sized ourselves and are about to fill. */
  static unchecked(bytes: Uint8Array): EthernetPacket {
    return new EthernetPacket(bytes);
  }

  /** The destination address (allocates; use `dstKey`/`dstIsMulticast` on hot paths). */
  get dst(): MacAddr {
    return MacAddr.fromBytes(this.bytes, DST);
  }
  get src(): MacAddr {
    return MacAddr.fromBytes(this.bytes, SRC);
  }
  /** The destination as a number key (same as `MacAddr.key`), without allocating. */
  get dstKey(): number {
    return macKeyAt(this.bytes, DST);
  }
  get srcKey(): number {
    return macKeyAt(this.bytes, SRC);
  }
  /** Group address (multicast or broadcast): the I/G bit. */
  get dstIsMulticast(): boolean {
    return ((this.bytes[DST] as number) & 1) === 1;
  }
  get dstIsBroadcast(): boolean {
    for (let i = 0; i < 6; i++) if (this.bytes[DST + i] !== 0xff) return false;
    return true;
  }
  /** The type field right after the source address: an EtherType or a TPID (Linux h_proto). */
  get outerType(): number {
    return be16(this.bytes, TYPE);
  }
  /** True when the frame carries an 802.1Q or 802.1ad tag. */
  get isVlanTagged(): boolean {
    return isVlanTpid(this.outerType);
  }
  /** The TPID of the tag, or 0 when untagged. */
  get vlanTpid(): number {
    const t = this.outerType;
    return isVlanTpid(t) ? t : 0;
  }
  /** The tag control information, or 0 when untagged. */
  get vlanTci(): number {
    return this.isVlanTagged ? be16(this.bytes, TCI) : 0;
  }
  /** The VLAN id (12 bits), or 0 when untagged. */
  get vlanId(): number {
    return this.vlanTci & 0x0fff;
  }
  /** The priority code point (3 bits), or 0 when untagged. */
  get vlanPcp(): number {
    return this.vlanTci >>> 13;
  }
  /** The drop eligible indicator, or false when untagged. */
  get vlanDei(): boolean {
    return (this.vlanTci & 0x1000) !== 0;
  }
  /** The EtherType of the payload: the inner one when tagged. */
  get ethertype(): number {
    return this.isVlanTagged ? be16(this.bytes, INNER_TYPE) : be16(this.bytes, TYPE);
  }
  /** Where the payload starts: 14, or 18 when tagged. */
  get headerLen(): number {
    return this.isVlanTagged ? ETHERNET_VLAN_HEADER_LEN : ETHERNET_HEADER_LEN;
  }
  /** Everything after the header, including any padding the sender added. */
  get payload(): Uint8Array {
    return this.bytes.subarray(this.headerLen);
  }

  setDst(mac: MacAddr): void {
    mac.writeTo(this.bytes, DST);
  }
  setSrc(mac: MacAddr): void {
    mac.writeTo(this.bytes, SRC);
  }
  /** Writes the type field at offset 12 (an EtherType, or a TPID to start a tag). */
  setOuterType(value: number): void {
    setBe16(this.bytes, TYPE, value);
  }
  /** Writes the tag control information (the frame must be tagged and 18 bytes long). */
  setVlanTci(value: number): void {
    setBe16(this.bytes, TCI, value);
  }
  /** Writes the payload's EtherType: at offset 16 when tagged, else at 12. */
  setEthertype(value: number): void {
    setBe16(this.bytes, this.isVlanTagged ? INNER_TYPE : TYPE, value);
  }
}

/** One 802.1Q / 802.1ad tag. */
export interface VlanTag {
  /** 0x8100 (802.1Q) or 0x88a8 (802.1ad). */
  readonly tpid: number;
  /** Priority code point, 0..7. */
  readonly pcp: number;
  /** Drop eligible indicator. */
  readonly dei: boolean;
  /** VLAN id, 0..4095. */
  readonly vid: number;
}

/** An Ethernet header as a value. */
export interface EthernetRepr {
  readonly dst: MacAddr;
  readonly src: MacAddr;
  /** The payload's EtherType (inner when tagged). */
  readonly ethertype: number;
  readonly vlan: VlanTag | null;
}

/** Reads the header as a value. Every checked frame has one, so this never fails. */
export function parseEthernet(pkt: EthernetPacket): EthernetRepr {
  const tpid = pkt.vlanTpid;
  return {
    dst: pkt.dst,
    src: pkt.src,
    ethertype: pkt.ethertype,
    vlan: tpid === 0 ? null : { tpid, pcp: pkt.vlanPcp, dei: pkt.vlanDei, vid: pkt.vlanId },
  };
}

/** The header length `repr` needs: 14, or 18 with a tag. */
export function ethernetHeaderLen(repr: EthernetRepr): number {
  return repr.vlan === null ? ETHERNET_HEADER_LEN : ETHERNET_VLAN_HEADER_LEN;
}

/** The tag control information for a tag. */
export function vlanTci(tag: VlanTag): number {
  return ((tag.pcp & 7) << 13) | (tag.dei ? 0x1000 : 0) | (tag.vid & 0x0fff);
}

/** Writes the header; `out` must be at least `ethernetHeaderLen(repr)` long. */
export function emitEthernet(repr: EthernetRepr, out: EthernetPacket): void {
  out.setDst(repr.dst);
  out.setSrc(repr.src);
  if (repr.vlan === null) {
    out.setOuterType(repr.ethertype);
  } else {
    out.setOuterType(repr.vlan.tpid);
    out.setVlanTci(vlanTci(repr.vlan));
    setBe16(out.bytes, INNER_TYPE, repr.ethertype);
  }
}

/** A freshly built frame and the window its payload goes into. */
export interface EthernetFrame {
  readonly frame: Uint8Array;
  readonly payload: Uint8Array;
}

/**
 * Allocates one frame of header + `payloadLen` bytes, writes the header and returns the
 * payload window for the caller to fill. No padding to 60 bytes: that is the sending
 * device's job (Linux pads in the driver, see `padEthernetFrame`).
 */
export function buildEthernetFrame(
  dst: MacAddr,
  src: MacAddr,
  ethertype: number,
  payloadLen: number,
  vlan: VlanTag | null = null,
): EthernetFrame {
  const repr: EthernetRepr = { dst, src, ethertype, vlan };
  const headerLen = ethernetHeaderLen(repr);
  const frame = new Uint8Array(headerLen + payloadLen);
  emitEthernet(repr, EthernetPacket.unchecked(frame));
  return { frame, payload: frame.subarray(headerLen) };
}

/**
 * Returns `frame` if it is already at least 60 bytes long, else a zero-padded copy
 * (Linux: eth_skb_pad / skb_put_padto to ETH_ZLEN).
 */
export function padEthernetFrame(frame: Uint8Array): Uint8Array {
  if (frame.length >= ETHERNET_MIN_FRAME_LEN) return frame;
  const out = new Uint8Array(ETHERNET_MIN_FRAME_LEN);
  out.set(frame);
  return out;
}
