// The loop, links and worker plumbing over AF_UNIX SOCK_SEQPACKET pairs, which keep message
// boundaries like a TAP does; no root needed. Readiness is driven by writes made before
// each poll, so nothing depends on timing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FdLink, RxBatch } from './fd-link.ts';
import type { ForwarderStats } from './forwarder.ts';
import { LoopHost } from './host.ts';
import type { FrameBatch } from './link.ts';
import { IoLoop } from './loop.ts';
import { closeFd, openMessagePair } from './sys/fd.ts';
import { libc } from './sys/libc.ts';

function frame(fill: number, len: number): Uint8Array {
  return new Uint8Array(len).fill(fill);
}

test('readBatch reads every queued frame up to the budget and counts them', () => {
  const [a, b] = openMessagePair();
  try {
    const c = libc();
    for (let i = 1; i <= 5; i++) assert.equal(c.write(a, frame(i, 20 + i), 20 + i), 20 + i);
    const link = new FdLink({ fd: b, name: 'b', kind: 'tap', vnetHdrLen: 10 });
    const batch = new RxBatch(4, 2048);
    assert.equal(link.readBatch(batch, 4), 4);
    assert.deepEqual(Array.from(batch.lengths), [21, 22, 23, 24]);
    assert.equal(batch.frames[2]?.[0], 3);
    assert.equal(link.readBatch(batch, 4), 1);
    assert.equal(batch.lengths[0], 25);
    assert.equal(link.readBatch(batch, 4), 0); // EAGAIN: empty, not an error
    assert.equal(link.stats.rxPackets, 5);
    // rxBytes excludes the 10-byte vnet header of each frame.
    assert.equal(link.stats.rxBytes, 21 + 22 + 23 + 24 + 25 - 50);
    assert.equal(link.stats.rxErrors, 0);
  } finally {
    closeFd(a);
    closeFd(b);
  }
});

test('transmit writes exactly `length` bytes of a longer slot view', () => {
  const [a, b] = openMessagePair();
  try {
    const link = new FdLink({ fd: a, name: 'a', kind: 'packet', vnetHdrLen: 0 });
    const slot = frame(7, 100);
    assert.equal(link.transmit(slot, 60), true);
    const got = new Uint8Array(200);
    assert.equal(libc().read(b, got, 200), 60);
    assert.deepEqual(got.subarray(0, 60), frame(7, 60));
    assert.deepEqual(link.stats, {
      rxPackets: 0,
      rxBytes: 0,
      txPackets: 1,
      txBytes: 60,
      txDropped: 0,
      txErrors: 0,
      rxErrors: 0,
    });
  } finally {
    closeFd(a);
    closeFd(b);
  }
});

test('transmit on a full socket is a counted drop, not a throw', () => {
  const [a, b] = openMessagePair();
  try {
    const link = new FdLink({ fd: a, name: 'a', kind: 'tap', vnetHdrLen: 0 });
    const big = frame(1, 60000);
    let dropped = false;
    for (let i = 0; i < 10000 && !dropped; i++) dropped = !link.transmit(big, big.length);
    assert.equal(dropped, true);
    assert.equal(link.stats.txDropped, 1);
    assert.equal(link.lastErrno, 11); // EAGAIN
  } finally {
    closeFd(a);
    closeFd(b);
  }
});

test('the loop delivers each ready link one budget of frames, the first alone, and reports a hung-up peer', () => {
  const [a0, a1] = openMessagePair();
  const [b0, b1] = openMessagePair();
  const c = libc();
  try {
    const loop = new IoLoop({ batch: 2, slotSize: 256 });
    const la = new FdLink({ fd: a1, name: 'a', kind: 'tap', vnetHdrLen: 0 });
    const lb = new FdLink({ fd: b1, name: 'b', kind: 'tap', vnetHdrLen: 0 });
    const seen: string[] = [];
    const calls: string[] = [];
    const rx = (link: { name: string }, batch: FrameBatch): void => {
      calls.push(`${link.name}×${batch.count}`);
      for (let i = 0; i < batch.count; i++)
        seen.push(`${link.name}${batch.frames[i]?.[0]}:${batch.lengths[i]}`);
    };
    la.setReceiver(rx);
    lb.setReceiver(rx);
    loop.add(la);
    loop.add(lb);
    c.write(a0, frame(1, 30), 30);
    c.write(a0, frame(2, 31), 31);
    c.write(a0, frame(3, 32), 32);
    c.write(b0, frame(9, 40), 40);
    assert.equal(loop.runOnce(0), 2);
    // Budget 2: a gives two frames this round, b its one; a's third waits a round.
    assert.deepEqual(seen, ['a1:30', 'a2:31', 'b9:40']);
    // The first frame of a round goes to the receiver alone, before the next read.
    assert.deepEqual(calls, ['a×1', 'a×1', 'b×1']);
    assert.equal(loop.runOnce(0), 1);
    assert.deepEqual(seen.slice(3), ['a3:32']);
    assert.equal(loop.runOnce(0), 0);

    const failed: string[] = [];
    loop.onLinkFailure((l, why) =>
      failed.push(`${l.name}:${why.revents & 0x10 ? 'HUP' : why.revents}`),
    );
    closeFd(b0);
    loop.runOnce(0);
    assert.deepEqual(failed, ['b:HUP']);
    assert.deepEqual(
      loop.links.map((l) => l.name),
      ['a'],
    );
    loop.close();
  } finally {
    for (const fd of [a0, a1, b1]) closeFd(fd);
  }
});

test('after a busy round run() polls without blocking until the spin window ends', () => {
  const [a0, a1] = openMessagePair();
  const c = libc();
  try {
    // A window far longer than the test: every round after the frame must be non-blocking
    // although the timer asks for 5 s polls.
    const loop = new IoLoop({ slotSize: 256, spinUs: 60e6 });
    const link = new FdLink({ fd: a1, name: 'a', kind: 'tap', vnetHdrLen: 0 });
    let frames = 0;
    link.setReceiver((_l, batch) => (frames += batch.count));
    loop.add(link);
    c.write(a0, frame(1, 30), 30);
    const after: number[] = [];
    loop.setTimer((now) => {
      if (frames > 0) after.push(now);
      if (after.length === 4) loop.stop();
      return 5000;
    });
    loop.run();
    assert.equal(frames, 1);
    // A blocking poll would have slept 5000 ms between these rounds.
    const last = after[3] ?? Infinity;
    const first = after[0] ?? 0;
    assert.ok(last - first < 5000, `idle rounds took ${last - first} ms`);
    loop.close();
  } finally {
    closeFd(a0);
    closeFd(a1);
  }
});

test('once the spin window has passed, run() blocks for the timer timeout again', () => {
  const [a0, a1] = openMessagePair();
  const c = libc();
  try {
    const loop = new IoLoop({ slotSize: 256, spinUs: 1 });
    const link = new FdLink({ fd: a1, name: 'a', kind: 'tap', vnetHdrLen: 0 });
    let frames = 0;
    link.setReceiver((_l, batch) => (frames += batch.count));
    loop.add(link);
    c.write(a0, frame(1, 30), 30);
    const after: number[] = [];
    loop.setTimer((now) => {
      if (frames > 0) after.push(now);
      if (after.length === 5) loop.stop();
      return 2;
    });
    loop.run();
    assert.equal(frames, 1);
    // epoll_wait(2) never returns before its timeout without an event, so once the 1 µs window
    // is over each idle round lasts at least 2 ms.
    const gap = (after[4] ?? 0) - (after[3] ?? 0);
    assert.ok(gap >= 1.9, `last idle round took ${gap} ms`);
    loop.close();
  } finally {
    closeFd(a0);
    closeFd(a1);
  }
});

test('the forwarder in a worker moves frames both ways and answers stats', async () => {
  const [a0, a1] = openMessagePair();
  const [b0, b1] = openMessagePair();
  const c = libc();
  const host = await LoopHost.start(new URL('./forwarder.ts', import.meta.url), {
    pairs: [
      {
        a: { fd: a1, name: 'a', kind: 'tap', vnetHdrLen: 10 },
        b: { fd: b1, name: 'b', kind: 'packet', vnetHdrLen: 10 },
      },
    ],
  });
  try {
    // vnet header (zero) + Ethernet header with type ARP (0x0806) + padding.
    const arp = new Uint8Array(10 + 60);
    arp[10 + 12] = 0x08;
    arp[10 + 13] = 0x06;
    c.write(a0, arp, arp.length);
    // A header claiming a checksum field past the end: dropped as DEV_HDR.
    const bad = new Uint8Array(10 + 60);
    bad[0] = 1;
    bad[6] = 0xff;
    c.write(b0, bad, bad.length);
    const good = new Uint8Array(10 + 60).fill(0x42, 10);
    c.write(b0, good, good.length);
    // The stats call is queued behind the frames' wake-ups; poll until both arrived.
    let stats: ForwarderStats | undefined;
    for (let i = 0; i < 200; i++) {
      stats = await host.call<ForwarderStats>({ op: 'stats' });
      const d = stats.directions;
      if ((d['a>b']?.frames ?? 0) + (d['b>a']?.frames ?? 0) + (d['b>a']?.badHdr ?? 0) === 3) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.deepEqual(stats?.directions, {
      'a>b': { frames: 1, arp: 1, icmp: 0, badHdr: 0 },
      'b>a': { frames: 1, arp: 0, icmp: 0, badHdr: 1 },
    });
    const got = new Uint8Array(200);
    assert.equal(c.read(b0, got, 200), 70);
    assert.deepEqual(got.subarray(0, 70), arp);
    assert.equal(c.read(a0, got, 200), 70);
    assert.deepEqual(got.subarray(0, 70), good);
    await assert.rejects(host.call({ op: 'nope' }), /unknown request nope/);
  } finally {
    await host.stop();
    for (const fd of [a0, a1, b0, b1]) closeFd(fd);
  }
});

test('among many idle links, a round serves exactly the ready ones, and removed links stay silent', () => {
  const pairs = Array.from({ length: 100 }, () => openMessagePair());
  const c = libc();
  const loop = new IoLoop({ slotSize: 64 });
  try {
    const got: string[] = [];
    const links = pairs.map(([, far], i) => {
      const l = new FdLink({ fd: far, name: `l${i}`, kind: 'tap', vnetHdrLen: 0 });
      l.setReceiver((link, batch) => {
        for (let k = 0; k < batch.count; k++) got.push(`${link.name}:${batch.frames[k]?.[0]}`);
      });
      loop.add(l);
      return l;
    });
    c.write(pairs[97]![0], frame(5, 10), 10);
    c.write(pairs[3]![0], frame(6, 10), 10);
    c.write(pairs[50]![0], frame(7, 10), 10);
    loop.remove(links[50]!);
    assert.equal(loop.runOnce(0), 2);
    // In the order they became ready.
    assert.deepEqual(got, ['l97:5', 'l3:6']);
    assert.equal(loop.runOnce(0), 0);
    assert.equal(loop.links.length, 99);
  } finally {
    loop.close();
    for (const [a, b] of pairs) {
      closeFd(a);
      closeFd(b);
    }
  }
});

test('a notify fd is reported once, never read, and again only after rearm', () => {
  const [near, far] = openMessagePair();
  const c = libc();
  const loop = new IoLoop({ slotSize: 64 });
  try {
    const told: number[] = [];
    loop.notifyReadable(far, (fd) => told.push(fd));
    assert.equal(loop.runOnce(0), 0);
    c.write(near, frame(1, 4), 4);
    assert.equal(loop.runOnce(0), 1);
    assert.deepEqual(told, [far]);
    // One-shot: still unread, but not reported until armed again.
    c.write(near, frame(2, 4), 4);
    assert.equal(loop.runOnce(0), 0);
    loop.rearm(far);
    assert.equal(loop.runOnce(0), 1);
    assert.deepEqual(told, [far, far]);
    // The loop never read it: both messages are still there for their owner.
    const buf = new Uint8Array(8);
    assert.equal(c.read(far, buf, 8), 4);
    assert.equal(buf[0], 1);
    assert.equal(c.read(far, buf, 8), 4);
    assert.equal(buf[0], 2);
    // Registering the same fd again re-arms it rather than failing.
    c.write(near, frame(3, 4), 4);
    loop.notifyReadable(far, (fd) => told.push(-fd));
    assert.equal(loop.runOnce(0), 1);
    assert.deepEqual(told, [far, far, -far]);
  } finally {
    loop.close();
    closeFd(near);
    closeFd(far);
  }
});
