// AF_PACKET raw sockets on one interface (packet(7)): SOCK_RAW with ETH_P_ALL sees whole
// Ethernet frames. With PACKET_VNET_HDR every frame read or written carries the same
// virtio_net_hdr a TAP with IFF_VNET_HDR uses, with csum_start counted from the frame
// start on both, so GSO super-frames and partial checksums pass between them unchanged
// and the kernel segments at the master only when the frame really leaves.

import { ETH_P_ALL } from '../../../uapi/if.ts';
import {
  AF_PACKET,
  PACKET_ADD_MEMBERSHIP,
  PACKET_AUXDATA,
  PACKET_IGNORE_OUTGOING,
  PACKET_MR_PROMISC,
  PACKET_QDISC_BYPASS,
  PACKET_VNET_HDR,
  SOCKADDR_LL_SIZE,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_RAW,
  SOL_PACKET,
  SOL_SOCKET,
  SO_RCVBUFFORCE,
  SO_SNDBUFFORCE,
} from './constants.ts';
import { check } from './errors.ts';
import { libc } from './libc.ts';
import { ifIndex } from './netdev.ts';
import { VNET_HDR_LEN } from './tun.ts';

export interface PacketSocketOptions {
  /** The interface to bind to, in the calling thread's namespace. */
  readonly ifname: string;
  /** PACKET_VNET_HDR: a virtio_net_hdr before every frame. Default true. */
  readonly vnetHdr?: boolean;
  /** PACKET_IGNORE_OUTGOING: do not read back what this or any socket sends. Default true. */
  readonly ignoreOutgoing?: boolean;
  /** PACKET_QDISC_BYPASS: transmit straight to the driver, skipping the qdisc. Default false. */
  readonly qdiscBypass?: boolean;
  /** PACKET_AUXDATA: ask for cmsg metadata (VLAN tag, status); only useful with recvmsg. */
  readonly auxdata?: boolean;
  /** Put the interface in promiscuous mode for as long as the socket lives. Default false. */
  readonly promisc?: boolean;
  /** SO_RCVBUFFORCE / SO_SNDBUFFORCE in bytes, when set. */
  readonly rcvbuf?: number;
  readonly sndbuf?: number;
}

/** An open packet socket. */
export interface PacketSocket {
  readonly fd: number;
  readonly ifname: string;
  readonly ifindex: number;
  /** 0 without PACKET_VNET_HDR, else VNET_HDR_LEN. */
  readonly vnetHdrLen: number;
}

function intOpt(value: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, value, true);
  return b;
}

/** struct sockaddr_ll for bind: family, protocol (network order), ifindex. */
export function sockaddrLl(ifindex: number, protocol: number): Uint8Array {
  const b = new Uint8Array(SOCKADDR_LL_SIZE);
  const v = new DataView(b.buffer);
  v.setUint16(0, AF_PACKET, true);
  v.setUint16(2, protocol, false);
  v.setInt32(4, ifindex, true);
  return b;
}

/**
 * Opens a non-blocking AF_PACKET socket bound to `ifname` for all protocols.
 * The socket is created with protocol 0, configured, and only then bound with
 * ETH_P_ALL, so it never queues frames from other interfaces in between.
 * @throws {SyscallError} ENODEV when the interface does not exist; EPERM without
 * CAP_NET_RAW.
 */
export function openPacketSocket(options: PacketSocketOptions): PacketSocket {
  const c = libc();
  const ifindex = ifIndex(options.ifname);
  const fd = check(
    c.socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0),
    'socket',
    'AF_PACKET',
  );
  try {
    const set = (name: number, what: string, value: number): void => {
      check(
        c.setsockopt(fd, SOL_PACKET, name, intOpt(value), 4),
        `setsockopt ${what}`,
        options.ifname,
      );
    };
    const vnet = options.vnetHdr ?? true;
    if (vnet) set(PACKET_VNET_HDR, 'PACKET_VNET_HDR', 1);
    if (options.ignoreOutgoing ?? true) set(PACKET_IGNORE_OUTGOING, 'PACKET_IGNORE_OUTGOING', 1);
    if (options.qdiscBypass === true) set(PACKET_QDISC_BYPASS, 'PACKET_QDISC_BYPASS', 1);
    if (options.auxdata === true) set(PACKET_AUXDATA, 'PACKET_AUXDATA', 1);
    if (options.rcvbuf !== undefined)
      check(
        c.setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, intOpt(options.rcvbuf), 4),
        'setsockopt SO_RCVBUFFORCE',
      );
    if (options.sndbuf !== undefined)
      check(
        c.setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, intOpt(options.sndbuf), 4),
        'setsockopt SO_SNDBUFFORCE',
      );
    check(c.bind(fd, sockaddrLl(ifindex, ETH_P_ALL), SOCKADDR_LL_SIZE), 'bind', options.ifname);
    if (options.promisc === true) {
      // struct packet_mreq { int mr_ifindex; u16 mr_type; u16 mr_alen; u8 mr_address[8]; }
      const mreq = new Uint8Array(16);
      const v = new DataView(mreq.buffer);
      v.setInt32(0, ifindex, true);
      v.setUint16(4, PACKET_MR_PROMISC, true);
      check(
        c.setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, mreq, 16),
        'setsockopt PACKET_ADD_MEMBERSHIP',
        options.ifname,
      );
    }
    return { fd, ifname: options.ifname, ifindex, vnetHdrLen: vnet ? VNET_HDR_LEN : 0 };
  } catch (err) {
    c.close(fd);
    throw err;
  }
}
