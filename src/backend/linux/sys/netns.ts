// Entering another network namespace for the duration of a synchronous call: setns(2)
// moves only the calling thread, and we move it back before returning, so sockets and
// TAPs opened inside `fn` belong to that namespace while the rest of the process
// (libuv's pool, other workers) never leaves its own.
//
// A TAP opened inside a namespace pins it: the tun socket keeps a reference, so
// `ip netns del` afterwards leaves an invisible zombie namespace as long as the fd
// lives. Open slave TAPs in the daemon's home namespace and move them instead; enter a
// namespace here for AF_PACKET sockets on a master and for ioctls.

import { CLONE_NEWNET, O_CLOEXEC, O_RDONLY } from './constants.ts';
import { check } from './errors.ts';
import { libc } from './libc.ts';

/** Where `ip netns add NAME` bind-mounts its namespaces. */
export const NETNS_RUN_DIR = '/var/run/netns';

/**
 * The path of a namespace: a name under /var/run/netns, or an absolute path as is
 * (/proc/PID/ns/net, /proc/thread-self/ns/net, a bind mount).
 */
export function netnsPath(nameOrPath: string): string {
  return nameOrPath.startsWith('/') ? nameOrPath : `${NETNS_RUN_DIR}/${nameOrPath}`;
}

/**
 * Opens a namespace file and returns its fd (the caller closes it).
 * @throws {SyscallError} ENOENT when the namespace does not exist.
 */
export function openNetns(nameOrPath: string): number {
  const path = netnsPath(nameOrPath);
  return check(libc().open(path, O_RDONLY | O_CLOEXEC, 0), 'open', path);
}

/**
 * Runs `fn` with the calling thread inside namespace `nameOrPath` and returns its
 * result; the thread is back in its own namespace afterwards, also when `fn` throws.
 * @throws {SyscallError} ENOENT for a missing namespace, EINVAL when the file is not a
 * network namespace, EPERM without CAP_SYS_ADMIN.
 */
export function withNetns<T>(nameOrPath: string, fn: () => T): T {
  const c = libc();
  const home = check(
    c.open('/proc/thread-self/ns/net', O_RDONLY | O_CLOEXEC, 0),
    'open',
    '/proc/thread-self/ns/net',
  );
  try {
    const target = openNetns(nameOrPath);
    try {
      check(c.setns(target, CLONE_NEWNET), 'setns', netnsPath(nameOrPath));
    } finally {
      c.close(target);
    }
    try {
      return fn();
    } finally {
      // Failing to return would leave this thread in the wrong namespace for good.
      if (c.setns(home, CLONE_NEWNET) < 0) check(-1, 'setns', '/proc/thread-self/ns/net (return)');
    }
  } finally {
    c.close(home);
  }
}
