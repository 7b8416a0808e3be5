// Failed syscalls on the control path become ErrnoErrors that also say which call
// failed on what ("TUNSETIFF lxd1-t0: Invalid argument"), so a daemon log or a CLI
// message points at the cause. The data path never throws: it gets negative errnos.

import { ErrnoError, errnoName, strerror } from '../../../base/errno.ts';
import { errno } from './libc.ts';

/**
 * A syscall that failed. `code`/`errno` follow the kernel's answer; an errno that
 * src/base/errno.ts does not model is reported as EIO with the real number kept in
 * `sysErrno` and the message.
 */
export class SyscallError extends ErrnoError {
  /** The call or ioctl that failed, e.g. "open" or "TUNSETIFF". */
  readonly syscall: string;
  /** What it was applied to (a path, an interface or namespace name). */
  readonly target: string;
  /** The raw errno the kernel returned. */
  readonly sysErrno: number;

  constructor(syscall: string, target: string, sysErrno: number) {
    const name = errnoName(sysErrno);
    super(name ?? 'EIO');
    this.syscall = syscall;
    this.target = target;
    this.sysErrno = sysErrno;
    const text = name === undefined ? `errno ${sysErrno}` : strerror(name);
    this.message = target === '' ? `${syscall}: ${text}` : `${syscall} ${target}: ${text}`;
  }
}

/** Throws a SyscallError built from the thread's errno when `ret` is negative; else returns it. */
export function check(ret: number, syscall: string, target = ''): number {
  if (ret < 0) throw new SyscallError(syscall, target, errno());
  return ret;
}
