// How iproute2 reports a refused request (lib/libnetlink.c rtnl_talk_error and
// nl_dump_ext_ack): the extack text after "Error: " with a final "." added when
// missing, otherwise "RTNETLINK answers: " and strerror.

import { ErrnoError, strerror } from '../base/errno.ts';
import { IpExit } from './argv.ts';

/** The stderr line for a kernel refusal. */
export function formatRtnlError(err: ErrnoError): string {
  if (err.extack !== undefined && err.extack !== '') {
    const dot = err.extack.endsWith('.') ? '' : '.';
    return `Error: ${err.extack}${dot}\n`;
  }
  return `RTNETLINK answers: ${strerror(err.code)}\n`;
}

/**
 * Runs one rtnetlink request the way iproute2's callers of rtnl_talk() do: a refusal
 * becomes the printed error with `status` (2 for most commands). Other errors are bugs
 * and propagate.
 */
export async function talk<T>(request: Promise<T>, status = 2): Promise<T> {
  try {
    return await request;
  } catch (err) {
    if (err instanceof ErrnoError) throw new IpExit(status, formatRtnlError(err));
    throw err;
  }
}
