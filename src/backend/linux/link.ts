// The seam between the engine and a device: a Link sends single frames and delivers
// received frames in batches. This is the shape the stack's own Link should take (it
// lives here until src/stack exists); the emulator's wires and the backend's TAP and
// AF_PACKET fds implement it alike.
//
// Memory contract (what keeps the hot path free of allocation): a batch's bytes belong
// to the delivering loop and are valid only until the receiver returns; a receiver that
// keeps a frame (a queue, a backlog) copies it. `transmit` never keeps the caller's
// bytes either: it writes them out (or drops them) before returning.

/** Received frames. Frame i is `frames[i]` from 0 to `lengths[i]` (the view may be longer). */
export interface FrameBatch {
  readonly count: number;
  /** One view per slot; slot i starts with the link's vnet header when it has one. */
  readonly frames: readonly Uint8Array[];
  /** Bytes in slot i, vnet header included. */
  readonly lengths: Int32Array;
}

/** Called with each batch a link receives. */
export type LinkReceiver = (link: Link, batch: FrameBatch) => void;

/** Per-link counters, named like struct rtnl_link_stats64. */
export interface LinkStats {
  rxPackets: number;
  rxBytes: number;
  txPackets: number;
  txBytes: number;
  /** Frames not sent because the device could not take them now (EAGAIN, ENOBUFS, down). */
  txDropped: number;
  /** Frames not sent because the device refused them (bad header, gone). */
  txErrors: number;
  /** Reads that failed other than EAGAIN. */
  rxErrors: number;
}

export function newLinkStats(): LinkStats {
  return {
    rxPackets: 0,
    rxBytes: 0,
    txPackets: 0,
    txBytes: 0,
    txDropped: 0,
    txErrors: 0,
    rxErrors: 0,
  };
}

/** A device that sends frames and delivers received ones in batches. */
export interface Link {
  readonly name: string;
  /**
   * Bytes of struct virtio_net_hdr in front of every frame sent and received
   * (see vnet-hdr.ts); 0 for plain Ethernet frames. Links that exchange frames
   * unchanged must agree on it.
   */
  readonly vnetHdrLen: number;
  readonly stats: LinkStats;
  /**
   * Sends `bytes[0, length)`: the vnet header (when vnetHdrLen > 0) then one Ethernet
   * frame. Returns false when the frame was dropped (and counted); never throws.
   */
  transmit(bytes: Uint8Array, length: number): boolean;
  /** Installs (or with null, removes) the receiver of this link's batches. */
  setReceiver(receiver: LinkReceiver | null): void;
}
