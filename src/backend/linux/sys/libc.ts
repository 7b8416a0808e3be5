// The one place that loads libc through koffi. Every binding is a synchronous call that
// returns the raw C result; callers read `errno()` right after a negative return (koffi
// saves errno per call, per thread). Buffers are passed as Uint8Array views: koffi hands
// the view's own memory to C (byteOffset honoured, no copy), so reads land in place.
//
// Loading is lazy and once per thread: worker threads get their own instance because
// koffi function objects cannot cross threads.

import koffi from 'koffi';

/** A koffi-bound C function. Arguments are numbers, strings or typed arrays. */
type CFunction<A extends unknown[]> = (...args: A) => number;

/** The libc functions the backend uses, with C signatures in the comments. */
export interface Libc {
  /** int open(const char *path, int flags, int mode) */
  readonly open: CFunction<[path: string, flags: number, mode: number]>;
  /** int close(int fd) */
  readonly close: CFunction<[fd: number]>;
  /** ssize_t read(int fd, void *buf, size_t count) */
  readonly read: CFunction<[fd: number, buf: Uint8Array, count: number]>;
  /** ssize_t write(int fd, const void *buf, size_t count) */
  readonly write: CFunction<[fd: number, buf: Uint8Array, count: number]>;
  /** ssize_t readv(int fd, const struct iovec *iov, int iovcnt) */
  readonly readv: CFunction<[fd: number, iov: readonly IoVec[], iovcnt: number]>;
  /** ssize_t writev(int fd, const struct iovec *iov, int iovcnt) */
  readonly writev: CFunction<[fd: number, iov: readonly IoVec[], iovcnt: number]>;
  /** int ioctl(int fd, unsigned long request, void *arg): declared non-variadic on purpose. */
  readonly ioctl: CFunction<[fd: number, request: number, arg: Uint8Array]>;
  /** int ioctl(int fd, unsigned long request, unsigned long arg): the by-value form. */
  readonly ioctlValue: CFunction<[fd: number, request: number, arg: number]>;
  /** int socket(int domain, int type, int protocol) */
  readonly socket: CFunction<[domain: number, type: number, protocol: number]>;
  /** int bind(int fd, const struct sockaddr *addr, socklen_t len) */
  readonly bind: CFunction<[fd: number, addr: Uint8Array, len: number]>;
  /** int setsockopt(int fd, int level, int name, const void *value, socklen_t len) */
  readonly setsockopt: CFunction<
    [fd: number, level: number, name: number, value: Uint8Array, len: number]
  >;
  /** int getsockopt(int fd, int level, int name, void *value, socklen_t *len) */
  readonly getsockopt: CFunction<
    [fd: number, level: number, name: number, value: Uint8Array, len: Uint32Array]
  >;
  /** int socketpair(int domain, int type, int protocol, int sv[2]) */
  readonly socketpair: CFunction<[domain: number, type: number, protocol: number, sv: Int32Array]>;
  /** ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *addr, socklen_t alen) */
  readonly sendto: CFunction<
    [fd: number, buf: Uint8Array, len: number, flags: number, addr: Uint8Array, alen: number]
  >;
  /** int setns(int fd, int nstype) */
  readonly setns: CFunction<[fd: number, nstype: number]>;
  /** int eventfd(unsigned int initval, int flags) */
  readonly eventfd: CFunction<[initval: number, flags: number]>;
  /** int epoll_create1(int flags) */
  readonly epollCreate1: CFunction<[flags: number]>;
  /** int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event) */
  readonly epollCtl: CFunction<[epfd: number, op: number, fd: number, event: Uint8Array]>;
  /** int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout) */
  readonly epollWait: CFunction<
    [epfd: number, events: Uint8Array, maxevents: number, timeoutMs: number]
  >;
}

/** One element of a readv/writev vector. Not for the per-packet path (koffi marshals it). */
export interface IoVec {
  readonly iov_base: Uint8Array;
  readonly iov_len: number;
}

let cached: Libc | undefined;

/** The libc bindings of the calling thread, loaded on first use. */
export function libc(): Libc {
  cached ??= load();
  return cached;
}

function load(): Libc {
  const lib = koffi.load('libc.so.6');
  const iovec = koffi.struct('ivt_iovec', { iov_base: 'void *', iov_len: 'size_t' });
  const f = <A extends unknown[]>(decl: string): CFunction<A> => lib.func(decl) as CFunction<A>;
  return {
    open: f('int open(const char *path, int flags, int mode)'),
    close: f('int close(int fd)'),
    read: f('long read(int fd, void *buf, unsigned long count)'),
    write: f('long write(int fd, const void *buf, unsigned long count)'),
    readv: lib.func('readv', 'long', ['int', koffi.pointer(iovec), 'int']) as CFunction<
      [number, readonly IoVec[], number]
    >,
    writev: lib.func('writev', 'long', ['int', koffi.pointer(iovec), 'int']) as CFunction<
      [number, readonly IoVec[], number]
    >,
    ioctl: f('int ioctl(int fd, unsigned long request, void *arg)'),
    ioctlValue: f('int ioctl(int fd, unsigned long request, unsigned long arg)'),
    socket: f('int socket(int domain, int type, int protocol)'),
    bind: f('int bind(int fd, const void *addr, unsigned int len)'),
    setsockopt: f(
      'int setsockopt(int fd, int level, int name, const void *value, unsigned int len)',
    ),
    getsockopt: f('int getsockopt(int fd, int level, int name, void *value, void *len)'),
    socketpair: f('int socketpair(int domain, int type, int protocol, void *sv)'),
    sendto: f(
      'long sendto(int fd, const void *buf, unsigned long len, int flags, const void *addr, unsigned int alen)',
    ),
    setns: f('int setns(int fd, int nstype)'),
    eventfd: f('int eventfd(unsigned int initval, int flags)'),
    epollCreate1: f('int epoll_create1(int flags)'),
    epollCtl: f('int epoll_ctl(int epfd, int op, int fd, void *event)'),
    epollWait: f('int epoll_wait(int epfd, void *events, int maxevents, int timeout)'),
  };
}

/** The errno left by the last libc call on this thread. */
export function errno(): number {
  return koffi.errno();
}
