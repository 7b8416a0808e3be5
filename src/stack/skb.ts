// The socket buffer: one frame plus the metadata the stack carries with it
// (Linux: struct sk_buff). Frames on Ethernet-type devices always start at the MAC
// header; `network` and `transport` are offsets into `data`.
//
//   data: [ MAC header | network header ...          | transport ... payload ]
//         0            ^ network                        ^ transport
//
// Bytes are shared between clones (`clone()`); whoever writes first calls
// `unshare()` (Linux: skb_share_check / skb_unshare), which copies when shared.

import type { NetDevice } from './netdev.ts';

/** Linux PACKET_* classification of a received frame (eth_type_trans). */
export type PacketType = 'host' | 'broadcast' | 'multicast' | 'otherhost' | 'outgoing' | 'loopback';

let nextSkbId = 1;

export class SkBuff {
  /** The frame, from the MAC header on. */
  data: Uint8Array;
  /** The device the frame is on now (changes as it moves through rx handlers). */
  dev: NetDevice;
  /** EtherType of the payload after any VLAN tag (ETH_P_*), host byte order. */
  protocol = 0;
  pktType: PacketType = 'host';
  /** Offset of the network header in `data`, or -1 before it is known. */
  network = -1;
  /** Offset of the transport header in `data`, or -1. */
  transport = -1;
  /** ifindex of the device the frame first arrived on (skb->skb_iif). */
  iif = 0;
  /** Firewall mark (skb->mark). */
  mark = 0;
  /** Conntrack entry attached by netfilter (skb->_nfct); the stack's conntrack owns the type. */
  nfct: unknown = undefined;
  /** VLAN tag removed on receive (skb->vlan_tci), or -1. */
  vlanTci = -1;
  /** Set on frames that were looped back to their sender (PACKET_LOOPBACK). */
  loopedBack = false;
  /**
   * A GSO super-frame (skb_is_gso: gso_size != 0): longer than the MTU because the
   * device that finally sends it segments it. Set by drivers that receive such frames
   * (the Linux backend, from a virtio_net_hdr); `devForwardSkb` lets it pass the MTU.
   */
  gso = false;
  /** Trace id shared by clones, so `--trace` can follow one frame. */
  readonly id: number;
  /** True when `data` may be seen by another skb: write only after `unshare()`. */
  shared = false;

  constructor(data: Uint8Array, dev: NetDevice, id?: number) {
    this.data = data;
    this.dev = dev;
    this.id = id ?? nextSkbId++;
  }

  get len(): number {
    return this.data.length;
  }

  /** The bytes from the network header on (empty when unknown). */
  get networkData(): Uint8Array {
    return this.network < 0
      ? this.data.subarray(this.data.length)
      : this.data.subarray(this.network);
  }

  /** A second skb over the same bytes (Linux: skb_clone). Both become shared. */
  clone(): SkBuff {
    const c = new SkBuff(this.data, this.dev, this.id);
    c.protocol = this.protocol;
    c.pktType = this.pktType;
    c.network = this.network;
    c.transport = this.transport;
    c.iif = this.iif;
    c.mark = this.mark;
    c.vlanTci = this.vlanTci;
    c.loopedBack = this.loopedBack;
    c.gso = this.gso;
    c.shared = true;
    this.shared = true;
    return c;
  }

  /** A deep copy with its own bytes (Linux: skb_copy). */
  copy(): SkBuff {
    const c = this.clone();
    c.data = this.data.slice();
    c.shared = false;
    return c;
  }

  /** Makes `data` private to this skb before writing to it. */
  unshare(): void {
    if (this.shared) {
      this.data = this.data.slice();
      this.shared = false;
    }
  }

  /**
   * Clears what must not leak across a namespace boundary (Linux: skb_scrub_packet
   * with xnet): mark, conntrack, and the input device.
   */
  scrub(crossNamespace: boolean): void {
    this.nfct = undefined;
    this.loopedBack = false;
    if (crossNamespace) this.mark = 0;
  }
}
