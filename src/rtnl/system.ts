// What the command-line tools need from a Linux system beyond rtnetlink: /proc/sys
// (sysctl), ICMP echo sockets (ping), ARP probes (arping), packet captures (tcpdump)
// and the clock. Types only: the CLI imports them, the composition root (src/bin)
// implements them over the emulated kernel (or, later, the Linux daemon), so the tools
// read the same over both worlds. Every call runs in the namespace named by its
// context, as a process started with `ip netns exec` would.

import type { IpAddr, Ipv4Addr, MacAddr } from '../wire/address.ts';
import type { RtnlContext } from './messages.ts';

/** Nanoseconds of virtual time since the world started (real time on the Linux backend). */
export type SystemNanos = number;

// ---------------------------------------------------------------- sysctl

/** /proc/sys/net of one namespace, by dotted name (`net.ipv4.ip_forward`). */
export interface SysctlApi {
  /**
   * Reads one value as /proc shows it, without the trailing newline.
   * @throws {ErrnoError} ENOENT (no such key; procps prints
   *   `sysctl: cannot stat /proc/sys/net/ipv4/foo: No such file or directory`).
   */
  get(ctx: RtnlContext, name: string): Promise<string>;
  /**
   * Writes one value (`sysctl -w`), applying what Linux applies on a write
   * (ip_forward copies to every device's forwarding, and so on).
   * @throws {ErrnoError} ENOENT (no such key), EINVAL (value refused).
   */
  set(ctx: RtnlContext, name: string, value: string): Promise<void>;
  /** Every key of the namespace in /proc order (for `sysctl -a` and completion). */
  list(ctx: RtnlContext): Promise<readonly string[]>;
}

// ---------------------------------------------------------------- ping

/** One echo reply received on a ping socket. */
export interface PingReply {
  readonly kind: 'reply';
  /** Source address of the reply (IPv6 link-local replies carry the device in `scope`). */
  readonly from: IpAddr;
  /** For a link-local IPv6 source: the receiving device's name (printed as `%dev`). */
  readonly scope?: string;
  readonly seq: number;
  /** TTL / hop limit of the reply (IP_TTL / IPV6_HOPLIMIT control message). */
  readonly ttl: number;
  /** ICMP message length: header (8) plus echo data. */
  readonly bytes: number;
  /** The echo data as received (iputils checks its pattern; the first 16 bytes hold the send time). */
  readonly data: Uint8Array;
  /** When the reply reached the socket. */
  readonly time: SystemNanos;
}

/** An ICMP error about one of our echo requests (IP_RECVERR / IPV6_RECVERR, origin ICMP). */
export interface PingError {
  readonly kind: 'error';
  /** Who sent the ICMP error (the local address for neighbour failures, as Linux does). */
  readonly offender: IpAddr;
  /** Sequence number of the echo request it is about. */
  readonly seq: number;
  /** ICMP / ICMPv6 type and code of the error, and its info (next-hop MTU, pointer). */
  readonly family: 4 | 6;
  readonly type: number;
  readonly code: number;
  readonly info: number;
  readonly time: SystemNanos;
}

export type PingEvent = PingReply | PingError;

/**
 * An ICMP echo datagram socket (socket(AF_INET/AF_INET6, SOCK_DGRAM, IPPROTO_ICMP[V6])),
 * with the calls iputils makes, in its order, so the CLI can report the failing call
 * by name (`ping: connect: Network is unreachable`).
 */
export interface PingSocket {
  readonly family: 4 | 6;
  /** SO_BINDTODEVICE. @throws {ErrnoError} ENODEV. */
  bindToDevice(dev: string): Promise<void>;
  /** bind(2) to a local source address. @throws {ErrnoError} EADDRNOTAVAIL. */
  bind(addr: IpAddr): Promise<void>;
  /** SO_BROADCAST (`ping -b`). */
  setBroadcast(on: boolean): Promise<void>;
  /** IP_TTL / IPV6_UNICAST_HOPS (`ping -t`). */
  setTtl(ttl: number): Promise<void>;
  /**
   * connect(2): fixes the destination (`scope` names the device of a link-local IPv6
   * destination) and returns the source address the route chose (getsockname).
   * @throws {ErrnoError} ENETUNREACH (no route), EACCES (broadcast without SO_BROADCAST),
   *   EHOSTUNREACH, EINVAL.
   */
  connect(dst: IpAddr, scope?: string): Promise<IpAddr>;
  /**
   * sendto(2) of one echo request with this sequence number and data (the identifier
   * is the socket's, chosen by the kernel). Returns the time it was sent.
   * @throws {ErrnoError} ENETUNREACH, EHOSTUNREACH, ENOBUFS, EMSGSIZE, EACCES, ...
   */
  send(seq: number, data: Uint8Array): Promise<SystemNanos>;
  /**
   * The next reply or error, letting the world run until one arrives or the clock
   * reaches `until`; null when none came by then (the clock then reads `until`).
   */
  receive(until: SystemNanos): Promise<PingEvent | null>;
  close(): Promise<void>;
}

export interface PingApi {
  /**
   * socket(2) in `ctx`'s namespace. @throws {ErrnoError} ENOENT (no such namespace),
   * EAFNOSUPPORT (family not enabled there).
   */
  open(ctx: RtnlContext, family: 4 | 6): Promise<PingSocket>;
}

// ---------------------------------------------------------------- arping

/** One ARP reply an arping socket saw. */
export interface ArpReply {
  readonly from: Ipv4Addr;
  readonly mac: MacAddr;
  readonly time: SystemNanos;
}

/** An AF_PACKET socket bound to one device, as arping uses it. */
export interface ArpSocket {
  /** The device's own MAC (the sender hardware address). */
  readonly mac: MacAddr;
  /**
   * Sends an ARP request for `target` from `source` (0.0.0.0 for a DAD probe) to
   * the broadcast address, or to `dst` when given (`arping -U`/unicast).
   * @throws {ErrnoError} ENETDOWN (device down).
   */
  request(source: Ipv4Addr, target: Ipv4Addr, dst?: MacAddr): Promise<SystemNanos>;
  /** The next reply for `target`, running the world until one arrives or `until`. */
  receive(target: Ipv4Addr, until: SystemNanos): Promise<ArpReply | null>;
  close(): Promise<void>;
}

export interface ArpingApi {
  /**
   * Opens a packet socket on `dev`. @throws {ErrnoError} ENODEV (no such device),
   * ENOENT (no such namespace).
   */
  open(ctx: RtnlContext, dev: string): Promise<ArpSocket>;
  /** The source address the kernel would pick to reach `target` through `dev`, or null. */
  sourceFor(ctx: RtnlContext, dev: string, target: Ipv4Addr): Promise<Ipv4Addr | null>;
}

// ---------------------------------------------------------------- captures

/** One frame seen by a capture. */
export interface CapturedFrame {
  readonly time: SystemNanos;
  /** The Ethernet frame as seen on the device (link header included). */
  readonly bytes: Uint8Array;
  readonly direction: 'in' | 'out';
}

/** A live capture on one device (an AF_PACKET socket bound to it, like libpcap's). */
export interface CaptureHandle {
  /** The frames captured since the last call, oldest first. */
  take(): Promise<readonly CapturedFrame[]>;
  stop(): Promise<void>;
}

export interface CaptureApi {
  /**
   * Starts capturing on `dev` (`any` for every device of the namespace).
   * @throws {ErrnoError} ENODEV (tcpdump prints `tcpdump: X: No such device exists`),
   *   ENOENT (no such namespace).
   */
  start(ctx: RtnlContext, dev: string): Promise<CaptureHandle>;
}

// ---------------------------------------------------------------- clock

/** Virtual time: nothing happens in the world unless the clock is moved. */
export interface ClockApi {
  now(): SystemNanos;
  /** Runs the world for `duration` (`sleep N`). */
  sleep(duration: SystemNanos): Promise<void>;
  /** Runs the world until nothing is pending (within a bounded horizon). */
  settle(): Promise<void>;
}

// ---------------------------------------------------------------- nft

/** The netfilter ruleset of a namespace, as the `nft` tool sees it. */
export interface NftApi {
  /**
   * Runs one `nft` command line (argv without `nft`) in `ctx`'s namespace and returns
   * what nft would print and its exit status.
   */
  run(
    ctx: RtnlContext,
    argv: readonly string[],
  ): Promise<{ readonly stdout: string; readonly stderr: string; readonly status: number }>;
}

// ---------------------------------------------------------------- bundle

/** Everything beyond rtnetlink that the tools use; absent parts make their tool report "not supported". */
export interface SystemApi {
  readonly sysctl: SysctlApi;
  readonly ping: PingApi;
  readonly capture: CaptureApi;
  readonly clock: ClockApi;
  readonly arping?: ArpingApi;
  readonly nft?: NftApi;
}
