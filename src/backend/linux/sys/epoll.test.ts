// epoll over AF_UNIX SOCK_SEQPACKET pairs (no root): readiness, tokens, HUP, removal,
// and the struct epoll_event layout of this architecture.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EPOLLHUP, EPOLLIN } from './constants.ts';
import { Epoll } from './epoll.ts';
import { closeFd, openMessagePair } from './fd.ts';
import { libc } from './libc.ts';

const ENOENT = 2;

test('wait reports exactly the ready fds with their tokens, level-triggered', () => {
  const ep = new Epoll(4);
  const pairs = [openMessagePair(), openMessagePair(), openMessagePair()];
  try {
    pairs.forEach(([, far], i) => ep.add(far, EPOLLIN, 1000 + i));
    assert.equal(ep.wait(0), 0);
    const one = new Uint8Array([7]);
    libc().write(pairs[2]![0], one, 1);
    libc().write(pairs[0]![0], one, 1);
    assert.equal(ep.wait(0), 2);
    const tokens = [ep.token(0), ep.token(1)].sort();
    assert.deepEqual(tokens, [1000, 1002]);
    assert.equal(ep.events(0) & EPOLLIN, EPOLLIN);
    // Nothing was read: level-triggered, so the same two are ready again.
    assert.equal(ep.wait(0), 2);
    const buf = new Uint8Array(8);
    libc().read(pairs[0]![1], buf, 8);
    assert.equal(ep.wait(0), 1);
    assert.equal(ep.token(0), 1002);
  } finally {
    ep.close();
    for (const [a, b] of pairs) {
      closeFd(a);
      closeFd(b);
    }
  }
});

test('a closed peer is EPOLLHUP; removal stops reports; removing twice is ENOENT', () => {
  const ep = new Epoll();
  const [near, far] = openMessagePair();
  try {
    ep.add(far, EPOLLIN, far);
    closeFd(near);
    assert.equal(ep.wait(0), 1);
    assert.equal(ep.token(0), far);
    assert.equal(ep.events(0) & EPOLLHUP, EPOLLHUP);
    assert.equal(ep.remove(far), 0);
    assert.equal(ep.wait(0), 0);
    assert.equal(ep.remove(far), ENOENT);
  } finally {
    ep.close();
    closeFd(far);
  }
});

test('tokens use the full 32 bits and adding the same fd twice is refused', () => {
  const ep = new Epoll();
  const [near, far] = openMessagePair();
  try {
    ep.add(far, EPOLLIN, 0xfffffffe);
    libc().write(near, new Uint8Array([1]), 1);
    assert.equal(ep.wait(0), 1);
    assert.equal(ep.token(0), 0xfffffffe);
    assert.throws(() => ep.add(far, EPOLLIN, 1), { code: 'EEXIST' });
  } finally {
    ep.close();
    closeFd(near);
    closeFd(far);
  }
});
