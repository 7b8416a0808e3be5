import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrnoError, errnoName, isErrno, strerror } from '../src/base/errno.ts';

test('ErrnoError carries the Linux number, glibc text and optional extack', () => {
  const plain = new ErrnoError('EEXIST');
  assert.equal(plain.errno, 17);
  assert.equal(plain.message, 'File exists');
  assert.equal(plain.extack, undefined);
  const ack = new ErrnoError('EADDRINUSE', 'Address already assigned to an ipvlan device.');
  assert.equal(ack.errno, 98);
  assert.equal(ack.extack, 'Address already assigned to an ipvlan device.');
  assert.ok(isErrno(ack, 'EADDRINUSE'));
  assert.ok(!isErrno(ack, 'EEXIST'));
  assert.equal(strerror('EOPNOTSUPP'), 'Operation not supported');
  assert.equal(errnoName(16), 'EBUSY');
  assert.equal(errnoName(9999), undefined);
});
