import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hex, be16, setBe16 } from './bytes.ts';
import { internetChecksum, updateChecksum16 } from './checksum.ts';

test('RFC 1071 checksum of a captured IPv4 header verifies to zero', () => {
  // The worked example of the IPv4 header checksum (192.168.0.1 -> 192.168.0.199, UDP).
  const header = hex('4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7');
  assert.equal(internetChecksum(header), 0);
  setBe16(header, 10, 0);
  assert.equal(internetChecksum(header), 0xb861);
});

test('RFC 1624 incremental update equals full recomputation', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 20, maxLength: 20 }),
      fc.integer({ min: 0, max: 9 }),
      fc.integer({ min: 0, max: 0xffff }),
      (bytes, wordIndex, newWord) => {
        const off = wordIndex === 5 ? 0 : wordIndex * 2; // word 5 holds the checksum itself
        setBe16(bytes, 10, 0);
        setBe16(bytes, 10, internetChecksum(bytes));
        const before = be16(bytes, 10);
        const oldWord = be16(bytes, off);
        setBe16(bytes, off, newWord);
        const incremental = updateChecksum16(before, oldWord, newWord);
        setBe16(bytes, 10, 0);
        const full = internetChecksum(bytes);
        // 0x0000 and 0xffff are the same number in one's complement.
        assert.ok(incremental === full || (incremental ^ full) === 0xffff);
      },
    ),
  );
});
