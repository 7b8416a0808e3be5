import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrnoError } from '../../../base/errno.ts';
import { ARPHRD_ETHER } from '../../../uapi/if.ts';
import { MacAddr } from '../../../wire/address.ts';
import { toHex } from '../../../wire/bytes.ts';
import {
  ifreq,
  ifreqFlags,
  ifreqHwAddr,
  ifreqInt,
  ifreqName,
  setIfreqFlags,
  setIfreqHwAddr,
  setIfreqInt,
  validIfName,
} from './ifreq.ts';
import { sockaddrLl } from './packet.ts';
import { SyscallError } from './errors.ts';

test('ifreq lays out name, flags, int and hwaddr as struct ifreq does on x86-64', () => {
  const b = ifreq('lx0tap');
  assert.equal(b.length, 40);
  assert.equal(ifreqName(b), 'lx0tap');
  setIfreqFlags(b, 0x5002); // IFF_TAP | IFF_NO_PI | IFF_VNET_HDR
  assert.equal(toHex(b.subarray(16, 18)), '0250');
  assert.equal(ifreqFlags(b), 0x5002);
  setIfreqInt(b, 1500);
  assert.equal(toHex(b.subarray(16, 20)), 'dc050000');
  assert.equal(ifreqInt(b), 1500);
  setIfreqHwAddr(b, ARPHRD_ETHER, MacAddr.parse('02:00:0a:e7:07:01') as MacAddr);
  assert.equal(toHex(b.subarray(16, 24)), '010002000ae70701');
  const hw = ifreqHwAddr(b);
  assert.equal(hw.type, ARPHRD_ETHER);
  assert.equal(hw.mac.toString(), '02:00:0a:e7:07:01');
  assert.equal(toHex(b.subarray(0, 16)), '6c7830746170' + '00'.repeat(10));
});

test('ifreq refuses names Linux refuses, as EINVAL', () => {
  for (const bad of ['', '.', '..', 'a/b', 'a b', 'a:b', 'x'.repeat(16)])
    assert.throws(
      () => ifreq(bad),
      (e: unknown) => e instanceof ErrnoError && e.code === 'EINVAL',
      bad,
    );
  assert.doesNotThrow(() => ifreq('x'.repeat(15)));
  assert.equal(validIfName('eth0'), true);
});

test('sockaddr_ll: family AF_PACKET, protocol in network order, ifindex', () => {
  assert.equal(toHex(sockaddrLl(7, 0x0003)), '1100' + '0003' + '07000000' + '00'.repeat(12));
});

test('SyscallError is an ErrnoError naming the call, target and errno', () => {
  const e = new SyscallError('TUNSETIFF', 'lx0', 22);
  assert.ok(e instanceof ErrnoError);
  assert.equal(e.code, 'EINVAL');
  assert.equal(e.errno, 22);
  assert.equal(e.message, 'TUNSETIFF lx0: Invalid argument');
  // EBADFD (77) has its own name; an errno we do not model becomes EIO, number kept.
  const b = new SyscallError('read', '', 77);
  assert.equal(b.code, 'EBADFD');
  assert.equal(b.message, 'read: File descriptor in bad state');
  const u = new SyscallError('read', '', 4095);
  assert.equal(u.code, 'EIO');
  assert.equal(u.sysErrno, 4095);
  assert.equal(u.message, 'read: errno 4095');
});
