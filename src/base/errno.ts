// Control-plane errors carry Linux errno names, numbers and glibc's strerror text,
// plus the netlink extended-ack message when the kernel sends one.

/** errno numbers as on Linux x86-64, with glibc's strerror() text. */
export const ERRNO = {
  EPERM: [1, 'Operation not permitted'],
  ENOENT: [2, 'No such file or directory'],
  ESRCH: [3, 'No such process'],
  EINTR: [4, 'Interrupted system call'],
  EIO: [5, 'Input/output error'],
  ENXIO: [6, 'No such device or address'],
  E2BIG: [7, 'Argument list too long'],
  EBADF: [9, 'Bad file descriptor'],
  EAGAIN: [11, 'Resource temporarily unavailable'],
  ENOMEM: [12, 'Cannot allocate memory'],
  EACCES: [13, 'Permission denied'],
  EFAULT: [14, 'Bad address'],
  EBUSY: [16, 'Device or resource busy'],
  EEXIST: [17, 'File exists'],
  EXDEV: [18, 'Invalid cross-device link'],
  ENODEV: [19, 'No such device'],
  ENOTDIR: [20, 'Not a directory'],
  EISDIR: [21, 'Is a directory'],
  EINVAL: [22, 'Invalid argument'],
  ENFILE: [23, 'Too many open files in system'],
  EMFILE: [24, 'Too many open files'],
  ENOTTY: [25, 'Inappropriate ioctl for device'],
  ENOSPC: [28, 'No space left on device'],
  EPIPE: [32, 'Broken pipe'],
  ERANGE: [34, 'Numerical result out of range'],
  ENAMETOOLONG: [36, 'File name too long'],
  ENOSYS: [38, 'Function not implemented'],
  ENOTEMPTY: [39, 'Directory not empty'],
  ELOOP: [40, 'Too many levels of symbolic links'],
  ENOMSG: [42, 'No message of desired type'],
  ENOLINK: [67, 'Link has been severed'],
  EPROTO: [71, 'Protocol error'],
  ENOTUNIQ: [76, 'Name not unique on network'],
  EBADFD: [77, 'File descriptor in bad state'],
  ENOTSOCK: [88, 'Socket operation on non-socket'],
  EDESTADDRREQ: [89, 'Destination address required'],
  EMSGSIZE: [90, 'Message too long'],
  EPROTOTYPE: [91, 'Protocol wrong type for socket'],
  ENOPROTOOPT: [92, 'Protocol not available'],
  EPROTONOSUPPORT: [93, 'Protocol not supported'],
  EOPNOTSUPP: [95, 'Operation not supported'],
  EAFNOSUPPORT: [97, 'Address family not supported by protocol'],
  EADDRINUSE: [98, 'Address already in use'],
  EADDRNOTAVAIL: [99, 'Cannot assign requested address'],
  ENETDOWN: [100, 'Network is down'],
  ENETUNREACH: [101, 'Network is unreachable'],
  ECONNABORTED: [103, 'Software caused connection abort'],
  ECONNRESET: [104, 'Connection reset by peer'],
  ENOBUFS: [105, 'No buffer space available'],
  EISCONN: [106, 'Transport endpoint is already connected'],
  ENOTCONN: [107, 'Transport endpoint is not connected'],
  ETIMEDOUT: [110, 'Connection timed out'],
  ECONNREFUSED: [111, 'Connection refused'],
  EHOSTDOWN: [112, 'Host is down'],
  EHOSTUNREACH: [113, 'No route to host'],
  EALREADY: [114, 'Operation already in progress'],
  EINPROGRESS: [115, 'Operation now in progress'],
} as const satisfies Record<string, readonly [number, string]>;

export type ErrnoName = keyof typeof ERRNO;

/** glibc's strerror() text for an errno name. */
export function strerror(code: ErrnoName): string {
  return ERRNO[code][1];
}

/** The errno name for a number, or undefined when it is not one we model. */
export function errnoName(errno: number): ErrnoName | undefined {
  for (const [name, [num]] of Object.entries(ERRNO)) {
    if (num === errno) return name as ErrnoName;
  }
  return undefined;
}

/**
 * A refused control-plane request (Linux: a negative errno, maybe with an extack).
 * Callers branch on `code`; the CLI prints `extack` after "Error: " when present,
 * else "RTNETLINK answers: " + strerror, as iproute2 does.
 */
export class ErrnoError extends Error {
  override readonly name = 'ErrnoError';
  readonly code: ErrnoName;
  readonly errno: number;
  /** The netlink extended-ack text, when Linux sends one. */
  readonly extack: string | undefined;

  constructor(code: ErrnoName, extack?: string) {
    super(extack ?? strerror(code));
    this.code = code;
    this.errno = ERRNO[code][0];
    this.extack = extack;
  }
}

/** True when `err` is an ErrnoError with the given code. */
export function isErrno(err: unknown, code?: ErrnoName): err is ErrnoError {
  return err instanceof ErrnoError && (code === undefined || err.code === code);
}
