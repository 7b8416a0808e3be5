// The Linux I/O layer against the real kernel: a TAP made through the koffi bindings
// in a sandbox namespace, an AF_PACKET socket on a veth end, and the dumb-wire
// forwarder in the I/O worker between them. ARP, ICMP and a TSO TCP stream cross it
// both ways; failures come back as ErrnoErrors. Root only; skipped with a message
// otherwise. Traffic stays between namespaces this file creates.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrnoError } from '../../src/base/errno.ts';
import type { ForwarderStats, LinkFailureEvent } from '../../src/backend/linux/forwarder.ts';
import { FdLink } from '../../src/backend/linux/fd-link.ts';
import { LoopHost } from '../../src/backend/linux/host.ts';
import { IoLoop } from '../../src/backend/linux/loop.ts';
import type { LinkFailure } from '../../src/backend/linux/loop.ts';
import { EBADFD } from '../../src/backend/linux/sys/constants.ts';
import { SyscallError } from '../../src/backend/linux/sys/errors.ts';
import { closeFd } from '../../src/backend/linux/sys/fd.ts';
import {
  getHwAddr,
  getIfFlags,
  getMtu,
  ifIndex,
  setHwAddr,
  setIfUp,
} from '../../src/backend/linux/sys/netdev.ts';
import { withNetns } from '../../src/backend/linux/sys/netns.ts';
import { openPacketSocket } from '../../src/backend/linux/sys/packet.ts';
import { openTap, tunGetIff } from '../../src/backend/linux/sys/tun.ts';
import type { Tap } from '../../src/backend/linux/sys/tun.ts';
import { IFF_NO_PI, IFF_TAP, IFF_VNET_HDR } from '../../src/backend/linux/sys/constants.ts';
import { IFF_UP } from '../../src/uapi/if.ts';
import { MacAddr } from '../../src/wire/address.ts';
import { Sandbox, linuxTestsAvailable, sweepStale } from './netns.ts';

const skip = !linuxTestsAvailable();

describe('Linux I/O layer (root, real namespaces)', { skip }, () => {
  let box: Sandbox;
  let home: string; // the "daemon's" namespace: TAPs are opened here, the master lives here
  let nsA: string; // holds the TAP, 10.231.7.1
  let nsB: string; // holds the veth peer, 10.231.7.2
  let tap: Tap;
  let tapName: string;
  let master: string;
  let peer: string;
  let packetFd = -1;
  let host: LoopHost | undefined;
  const TAP_MAC = MacAddr.parse('02:00:0a:e7:07:01') as MacAddr;

  before(async () => {
    sweepStale();
    box = new Sandbox();
    home = box.addNetns('home');
    nsA = box.addNetns('a');
    nsB = box.addNetns('b');
    [master, peer] = box.addVeth('m', home, 'p', nsB);
    box.ip(home, 'link', 'set', master, 'up');
    box.ip(nsB, 'addr', 'add', '10.231.7.2/24', 'dev', peer);
    box.ip(nsB, 'link', 'set', peer, 'up');

    tapName = box.ifName('t');
    tap = withNetns(home, () => openTap({ name: tapName }));
    // The MAC is set through the bindings while the TAP is still at home.
    withNetns(home, () => setHwAddr(tapName, TAP_MAC));
    box.ip(home, 'link', 'set', tapName, 'netns', nsA);
    box.ip(nsA, 'addr', 'add', '10.231.7.1/24', 'dev', tapName);
    withNetns(nsA, () => setIfUp(tapName, true));

    const sock = withNetns(home, () => openPacketSocket({ ifname: master }));
    packetFd = sock.fd;
    host = await LoopHost.start(new URL('../../src/backend/linux/forwarder.ts', import.meta.url), {
      pairs: [
        {
          a: { fd: tap.fd, name: 'tap', kind: 'tap', vnetHdrLen: tap.vnetHdrLen },
          b: { fd: sock.fd, name: 'master', kind: 'packet', vnetHdrLen: sock.vnetHdrLen },
        },
      ],
    });
  });

  after(async () => {
    try {
      await host?.stop();
    } finally {
      if (packetFd >= 0) closeFd(packetFd);
      if (tap !== undefined) closeFd(tap.fd);
      box?.cleanup();
    }
  });

  test('the TAP was created with the requested flags, MAC and state', () => {
    assert.equal(tap.name, tapName);
    assert.equal(tap.vnetHdrLen, 10);
    const iff = tunGetIff(tap.fd);
    assert.equal(iff.name, tapName);
    assert.equal(
      iff.flags & (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR),
      IFF_TAP | IFF_NO_PI | IFF_VNET_HDR,
    );
    withNetns(nsA, () => {
      assert.equal(getHwAddr(tapName).mac.toString(), '02:00:0a:e7:07:01');
      assert.equal(getIfFlags(tapName) & IFF_UP, IFF_UP);
      assert.equal(getMtu(tapName), 1500);
      assert.ok(ifIndex(tapName) > 1);
    });
    // `ip` agrees with the ioctls.
    assert.match(box.ip(nsA, 'link', 'show', tapName), /link\/ether 02:00:0a:e7:07:01/);
  });

  test('ping crosses the forwarder both ways and ARP resolves the real MACs', async () => {
    const ab = box.exec(nsA, ['ping', '-c', '3', '-i', '0.2', '-W', '2', '10.231.7.2']);
    assert.equal(ab.status, 0, ab.stdout + ab.stderr);
    assert.match(ab.stdout, /3 received/);
    const ba = box.exec(nsB, ['ping', '-c', '3', '-i', '0.2', '-W', '2', '10.231.7.1']);
    assert.equal(ba.status, 0, ba.stdout + ba.stderr);
    assert.match(ba.stdout, /3 received/);

    // B learned the TAP's MAC through an ARP reply that came out of the TAP fd.
    assert.match(box.ip(nsB, 'neigh', 'show', '10.231.7.1'), /lladdr 02:00:0a:e7:07:01/);
    const peerMac = box.ip(nsB, 'link', 'show', peer).match(/link\/ether (\S+)/)?.[1];
    assert.ok(peerMac !== undefined);
    assert.match(box.ip(nsA, 'neigh', 'show', '10.231.7.2'), new RegExp(`lladdr ${peerMac}`));

    const stats = await host!.call<ForwarderStats>({ op: 'stats' });
    const out = stats.directions['tap>master'];
    const back = stats.directions['master>tap'];
    assert.ok(out !== undefined && back !== undefined);
    // 3 requests + 3 replies each way, at least one ARP each way.
    assert.ok(out.icmp >= 6, `tap>master icmp ${out.icmp}`);
    assert.ok(back.icmp >= 6, `master>tap icmp ${back.icmp}`);
    assert.ok(out.arp >= 1 && back.arp >= 1, `arp ${out.arp}/${back.arp}`);
    assert.equal(out.badHdr + back.badHdr, 0);
  });

  test('arping from the peer is answered through the forwarder', () => {
    const r = box.exec(nsB, ['arping', '-c', '2', '-w', '5', '-I', peer, '10.231.7.1']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /02:00:0A:E7:07:01|02:00:0a:e7:07:01/);
  });

  test('a TCP stream crosses as GSO super-frames with offloads on', async () => {
    const before = await host!.call<ForwarderStats>({ op: 'stats' });
    let received = 0;
    const server = box.spawn(nsB, ['iperf3', '-s', '-1', '-B', '10.231.7.2']);
    try {
      // Wait until the server listens (ss in B), bounded.
      for (let i = 0; i < 50; i++) {
        if (/:5201/.test(box.exec(nsB, ['ss', '-ltn']).stdout)) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const r = box.exec(nsA, ['iperf3', '-c', '10.231.7.2', '-n', '8M', '-J'], 60_000);
      assert.equal(r.status, 0, r.stderr);
      // iperf3's server stops reading when the client reports the end of the test, so
      // it receives less than the 8 MiB sent; every byte it did receive crossed the TAP.
      const end = (JSON.parse(r.stdout) as { end: Record<string, { bytes: number }> }).end;
      assert.ok((end['sum_sent']?.bytes ?? 0) >= 8 * 1024 * 1024);
      received = end['sum_received']?.bytes ?? 0;
      assert.ok(received >= 1024 * 1024, `received ${received}`);
    } finally {
      server.kill('SIGKILL');
    }
    const after = await host!.call<ForwarderStats>({ op: 'stats' });
    const tapRx = (after.links['tap']?.rxBytes ?? 0) - (before.links['tap']?.rxBytes ?? 0);
    const tapFrames = (after.links['tap']?.rxPackets ?? 0) - (before.links['tap']?.rxPackets ?? 0);
    assert.ok(tapRx >= received, `tap rx ${tapRx} bytes, iperf3 received ${received}`);
    // With TSO through IFF_VNET_HDR, frames average far above one 1500-byte MTU.
    assert.ok(tapRx / tapFrames > 3000, `average frame ${Math.round(tapRx / tapFrames)} bytes`);
  });

  test('TUNSETIFF on an existing non-TAP name is EINVAL, as an ErrnoError', () => {
    assert.throws(
      () => withNetns(home, () => openTap({ name: master })),
      (err: unknown) =>
        err instanceof ErrnoError &&
        err instanceof SyscallError &&
        err.code === 'EINVAL' &&
        err.syscall === 'TUNSETIFF' &&
        err.message === `TUNSETIFF ${master}: Invalid argument`,
    );
  });

  test('an exclusive open of an existing TAP name is EBUSY', () => {
    const other = box.ifName('x');
    const first = withNetns(home, () => openTap({ name: other }));
    try {
      assert.throws(
        () => withNetns(home, () => openTap({ name: other, exclusive: true })),
        (err: unknown) => err instanceof ErrnoError && err.code === 'EBUSY',
      );
    } finally {
      closeFd(first.fd);
    }
  });

  test('a missing namespace is ENOENT, and the thread stays home', () => {
    const missing = box.nsName('missing');
    assert.throws(
      () => withNetns(missing, () => 1),
      (err: unknown) =>
        err instanceof ErrnoError &&
        err.code === 'ENOENT' &&
        err.message === `open /var/run/netns/${missing}: No such file or directory`,
    );
    // Still in the original namespace: the sandbox's interfaces are not visible here.
    assert.throws(
      () => ifIndex(master),
      (err: unknown) => err instanceof ErrnoError && err.code === 'ENODEV',
    );
  });

  test('a packet socket on a missing interface is ENODEV', () => {
    assert.throws(
      () => withNetns(home, () => openPacketSocket({ ifname: box.ifName('none') })),
      (err: unknown) => err instanceof ErrnoError && err.code === 'ENODEV',
    );
  });

  test('deleting the namespace of a polled TAP reports the link as failed', () => {
    const gone = box.addNetns('gone');
    const name = box.ifName('g');
    const t = withNetns(home, () => openTap({ name }));
    try {
      box.ip(home, 'link', 'set', name, 'netns', gone);
      const loop = new IoLoop();
      const failures: LinkFailure[] = [];
      const link = new FdLink({ fd: t.fd, name, kind: 'tap', vnetHdrLen: t.vnetHdrLen });
      loop.add(link);
      loop.onLinkFailure((_l, why) => failures.push(why));
      box.exec(home, ['ip', 'netns', 'del', gone]);
      // Namespace teardown runs in a kernel work queue: poll until it shows, bounded.
      for (let i = 0; i < 50 && failures.length === 0; i++) loop.runOnce(100);
      assert.equal(failures.length, 1);
      const why = failures[0] as LinkFailure;
      assert.ok(why.errno === EBADFD || why.revents !== 0, JSON.stringify(why));
      assert.equal(loop.links.length, 0);
      loop.close();
    } finally {
      closeFd(t.fd);
    }
  });

  test('the forwarder kept running and reported no link failure', async () => {
    const events: LinkFailureEvent[] = [];
    host!.onEvent((e) => events.push(e as LinkFailureEvent));
    const r = box.exec(nsA, ['ping', '-c', '1', '-W', '2', '10.231.7.2']);
    assert.equal(r.status, 0);
    assert.deepEqual(events, []);
  });
});
