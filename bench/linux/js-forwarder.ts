// The JS forwarder as its own process, for the bench: the backend's bindings open the
// fds and the I/O worker runs the dumb-wire forwarder between them.
//   tap-tap TAP_A TAP_B        two TAPs (the TAP-approach row, like fwd.c)
//   tap-packet TAP IFNAME      a TAP and an AF_PACKET socket on IFNAME (the slave path)
// Opens everything in the namespace it is started in, prints "ready", runs until SIGTERM.

import { LoopHost } from '../../src/backend/linux/host.ts';
import type { FdLinkSpec } from '../../src/backend/linux/fd-link.ts';
import { closeFd } from '../../src/backend/linux/sys/fd.ts';
import { openPacketSocket } from '../../src/backend/linux/sys/packet.ts';
import { openTap } from '../../src/backend/linux/sys/tun.ts';

const [mode, first, second] = process.argv.slice(2);
if (first === undefined || second === undefined || (mode !== 'tap-tap' && mode !== 'tap-packet')) {
  console.error('usage: js-forwarder.ts tap-tap TAP_A TAP_B | tap-packet TAP IFNAME');
  process.exit(2);
}

const a = openTap({ name: first });
const fds = [a.fd];
let b: FdLinkSpec;
if (mode === 'tap-tap') {
  const t = openTap({ name: second });
  fds.push(t.fd);
  b = { fd: t.fd, name: t.name, kind: 'tap', vnetHdrLen: t.vnetHdrLen };
} else {
  const s = openPacketSocket({ ifname: second });
  fds.push(s.fd);
  b = { fd: s.fd, name: s.ifname, kind: 'packet', vnetHdrLen: s.vnetHdrLen };
}
const host = await LoopHost.start(
  new URL('../../src/backend/linux/forwarder.ts', import.meta.url),
  {
    pairs: [{ a: { fd: a.fd, name: a.name, kind: 'tap', vnetHdrLen: a.vnetHdrLen }, b }],
  },
);
process.once('SIGTERM', () => {
  void host.stop().finally(() => {
    for (const fd of fds) closeFd(fd);
    process.exit(0);
  });
});
console.log('ready');
