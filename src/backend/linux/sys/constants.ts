// Linux x86-64 ABI numbers the backend passes to syscalls: open flags, TUN/TAP ioctls
// (include/uapi/linux/if_tun.h), socket ioctls (sockios.h), AF_PACKET options
// (if_packet.h), poll events and the few errno values the data path branches on.
// Ioctl numbers are precomputed _IOW/_IOR values for 64-bit Linux; other ABIs are not
// supported (the backend runs only on x86-64 and arm64, which share these values).

/** open(2) flags (asm-generic/fcntl.h). */
export const O_RDONLY = 0o0;
export const O_RDWR = 0o2;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;

/** TUN/TAP ioctls: _IOW('T', nr, int) and _IOR('T', nr, unsigned int). */
export const TUNSETIFF = 0x400454ca;
export const TUNSETPERSIST = 0x400454cb;
export const TUNSETOWNER = 0x400454cc;
export const TUNSETOFFLOAD = 0x400454d0;
export const TUNGETIFF = 0x800454d2;
export const TUNGETVNETHDRSZ = 0x800454d7;
export const TUNSETVNETHDRSZ = 0x400454d8;
/** _IOW('T', 226, int), since Linux 5.0. */
export const TUNSETCARRIER = 0x400454e2;
/** _IO('T', 227), since Linux 5.2: a new fd for the TAP's network namespace. */
export const TUNGETDEVNETNS = 0x54e3;

/** ifr_flags for TUNSETIFF. */
export const IFF_TUN = 0x0001;
export const IFF_TAP = 0x0002;
export const IFF_NO_CARRIER = 0x0040;
export const IFF_NO_PI = 0x1000;
export const IFF_VNET_HDR = 0x4000;
/** Refuse to attach to an existing device (EBUSY) instead of reusing it. */
export const IFF_TUN_EXCL = 0x8000;

/** TUNSETOFFLOAD features: what the TAP reader accepts from the kernel. */
export const TUN_F_CSUM = 0x01;
export const TUN_F_TSO4 = 0x02;
export const TUN_F_TSO6 = 0x04;
export const TUN_F_TSO_ECN = 0x08;
export const TUN_F_UFO = 0x10;
export const TUN_F_USO4 = 0x20;
export const TUN_F_USO6 = 0x40;

/** Socket ioctls on struct ifreq (linux/sockios.h). */
export const SIOCGIFFLAGS = 0x8913;
export const SIOCSIFFLAGS = 0x8914;
export const SIOCGIFMTU = 0x8921;
export const SIOCSIFMTU = 0x8922;
export const SIOCGIFHWADDR = 0x8927;
export const SIOCSIFHWADDR = 0x8924;
export const SIOCGIFINDEX = 0x8933;

/** struct ifreq is IFNAMSIZ (16) bytes of name and a 24-byte union. */
export const IFNAMSIZ = 16;
export const IFREQ_SIZE = 40;

/** Address and protocol families, socket types (bits/socket.h). */
export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_NETLINK = 16;
export const AF_PACKET = 17;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const SOCK_SEQPACKET = 5;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const SOL_SOCKET = 1;
export const SO_RCVBUF = 8;
export const SO_SNDBUF = 7;
export const SO_RCVBUFFORCE = 33;
export const SO_SNDBUFFORCE = 32;
export const SO_BINDTODEVICE = 25;
export const SO_MARK = 36;

/** IPPROTO_RAW: a raw socket that only sends, with IP_HDRINCL implied (raw(7), ipv6 too). */
export const IPPROTO_RAW = 255;
/** sizeof(struct sockaddr_in) and sizeof(struct sockaddr_in6). */
export const SOCKADDR_IN_SIZE = 16;
export const SOCKADDR_IN6_SIZE = 28;

/** Netlink protocols (linux/netlink.h) and sizeof(struct sockaddr_nl). */
export const NETLINK_ROUTE = 0;
export const NETLINK_NETFILTER = 12;
export const SOCKADDR_NL_SIZE = 12;
/** SOL_NETLINK options. */
export const SOL_NETLINK = 270;
export const NETLINK_NO_ENOBUFS = 5;
/** rtnetlink multicast groups (the legacy bit masks of linux/rtnetlink.h). */
export const RTMGRP_LINK = 0x1;
export const RTMGRP_IPV4_IFADDR = 0x10;
export const RTMGRP_IPV6_IFADDR = 0x100;

/** AF_PACKET socket options (linux/if_packet.h), level SOL_PACKET. */
export const SOL_PACKET = 263;
export const PACKET_ADD_MEMBERSHIP = 1;
export const PACKET_AUXDATA = 8;
export const PACKET_VNET_HDR = 15;
export const PACKET_QDISC_BYPASS = 20;
export const PACKET_IGNORE_OUTGOING = 23;
/** packet_mreq.mr_type for PACKET_ADD_MEMBERSHIP. */
export const PACKET_MR_PROMISC = 1;
export const PACKET_MR_ALLMULTI = 2;
/** sizeof(struct sockaddr_ll). */
export const SOCKADDR_LL_SIZE = 20;

/** epoll(7): epoll_create1 flag, epoll_ctl ops, event bits (asm-generic/poll.h values). */
export const EPOLL_CLOEXEC = 0o2000000;
export const EPOLL_CTL_ADD = 1;
export const EPOLL_CTL_DEL = 2;
export const EPOLL_CTL_MOD = 3;
export const EPOLLIN = 0x001;
/** Report once, then stay disarmed until EPOLL_CTL_MOD arms the fd again. */
export const EPOLLONESHOT = 1 << 30;
export const EPOLLERR = 0x008;
export const EPOLLHUP = 0x010;

/** eventfd(2) flags. */
export const EFD_CLOEXEC = 0o2000000;
export const EFD_NONBLOCK = 0o4000;

/** setns(2) namespace type. */
export const CLONE_NEWNET = 0x40000000;

/**
 * errno values the data path compares raw return codes against. EBADFD is not in
 * src/base/errno.ts: a TAP whose namespace was deleted answers read/write with it.
 */
export const EINTR = 4;
export const EIO = 5;
export const EAGAIN = 11;
export const ENOBUFS = 105;
export const ENETDOWN = 100;
export const EBADFD = 77;
export const EINVAL = 22;
export const ENOTTY = 25;
