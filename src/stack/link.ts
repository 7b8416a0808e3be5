// The one seam between the stack and the outside world: a physical-NIC-like device
// (nic.ts) transmits its frames to a Link, and whoever owns the link (the emulator's
// wires and switches, the Linux backend's TAP/AF_PACKET fds) hands received frames and
// carrier changes back through the NIC's `LinkPort`. Nothing here reads a clock.

/**
 * Where a NIC's frames go. Frames are Ethernet from the destination MAC on, without
 * FCS, already padded to 60 bytes by the NIC.
 */
export interface Link {
  /**
   * Sends one frame. Returns false when the link dropped it (full, down, refused);
   * never throws and never blocks. The link must not keep `frame` after returning:
   * one that queues or delays frames copies them (the stack may reuse the bytes).
   */
  transmit(frame: Uint8Array): boolean;
  /** Called when the NIC is detached from this link or unregistered. */
  detached?(): void;
}

/**
 * The NIC side of a link, given to the link's owner when a NIC is attached: what a
 * driver's interrupt handler and PHY would call.
 */
export interface LinkPort {
  /** The frame arrived on the wire (copied before this returns; never throws). */
  receive(frame: Uint8Array): void;
  /** The PHY reports link up or down (Linux: netif_carrier_on/off from the driver). */
  setCarrier(on: boolean): void;
}
