import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hex, toHex } from '../../wire/bytes.ts';
import {
  VIRTIO_NET_HDR_F_NEEDS_CSUM,
  VIRTIO_NET_HDR_GSO_ECN,
  VIRTIO_NET_HDR_GSO_TCPV4,
  VIRTIO_NET_HDR_GSO_TCPV6,
  VIRTIO_NET_HDR_GSO_UDP_L4,
  VIRTIO_NET_HDR_LEN,
  VIRTIO_NET_HDR_MRG_LEN,
  VNET_HDR_NONE,
  completeVnetChecksum,
  emitVnetHdr,
  parseVnetHdr,
  vnetCsumOffset,
  vnetCsumStart,
  vnetFlags,
  vnetGsoSize,
  vnetGsoType,
  vnetHdrLenField,
  vnetHdrValid,
  vnetIsGso,
} from './vnet-hdr.ts';
import type { VnetHdrRepr } from './vnet-hdr.ts';

// The TCP/IPv4 TSO header that AF_PACKET accepted on this machine kind for a frame with
// a 20000-byte payload (shared/design/linux-dataplane-io.md §4): NEEDS_CSUM, TCPV4,
// hdr_len 54, gso_size 1448, csum_start 34 (14 + 20), csum_offset 16 (TCP checksum).
const TSO4_BYTES = hex('01 01 3600 a805 2200 1000');
const TSO4: VnetHdrRepr = {
  flags: VIRTIO_NET_HDR_F_NEEDS_CSUM,
  gsoType: VIRTIO_NET_HDR_GSO_TCPV4,
  hdrLen: 54,
  gsoSize: 1448,
  csumStart: 34,
  csumOffset: 16,
};

test('deconstruct: the hot-path readers see the TSO header fields', () => {
  assert.equal(vnetFlags(TSO4_BYTES, 0), 1);
  assert.equal(vnetGsoType(TSO4_BYTES, 0), 1);
  assert.equal(vnetHdrLenField(TSO4_BYTES, 0), 54);
  assert.equal(vnetGsoSize(TSO4_BYTES, 0), 1448);
  assert.equal(vnetCsumStart(TSO4_BYTES, 0), 34);
  assert.equal(vnetCsumOffset(TSO4_BYTES, 0), 16);
  assert.equal(vnetIsGso(TSO4_BYTES, 0), true);
});

test('parse: 10-byte header at an offset', () => {
  const buf = new Uint8Array(14).fill(0xa5);
  buf.set(TSO4_BYTES, 4);
  assert.deepEqual(parseVnetHdr(buf, 4), TSO4);
});

test('emit: into a 0xa5-filled buffer writes exactly 10 bytes', () => {
  const buf = new Uint8Array(12).fill(0xa5);
  emitVnetHdr(TSO4, buf);
  assert.equal(toHex(buf), toHex(TSO4_BYTES) + 'a5a5');
});

test('12-byte header carries num_buffers', () => {
  const buf = new Uint8Array(VIRTIO_NET_HDR_MRG_LEN);
  emitVnetHdr({ ...VNET_HDR_NONE, numBuffers: 3 }, buf, 0, VIRTIO_NET_HDR_MRG_LEN);
  assert.equal(toHex(buf), '000000000000000000000300');
  assert.deepEqual(parseVnetHdr(buf, 0, VIRTIO_NET_HDR_MRG_LEN), {
    ...VNET_HDR_NONE,
    numBuffers: 3,
  });
});

test('parse refuses short input and odd sizes', () => {
  assert.equal(parseVnetHdr(new Uint8Array(9)), null);
  assert.equal(parseVnetHdr(new Uint8Array(10), 1), null);
  assert.equal(parseVnetHdr(new Uint8Array(11), 0, 11), null);
  assert.equal(parseVnetHdr(new Uint8Array(11), 0, VIRTIO_NET_HDR_MRG_LEN), null);
});

test('validity follows virtio_net_hdr_to_skb: checksum field inside, known GSO, nonzero size', () => {
  const h = (r: Partial<VnetHdrRepr>): Uint8Array => {
    const b = new Uint8Array(VIRTIO_NET_HDR_LEN);
    emitVnetHdr({ ...VNET_HDR_NONE, ...r }, b);
    return b;
  };
  assert.equal(vnetHdrValid(TSO4_BYTES, 0, 20054), true);
  assert.equal(vnetHdrValid(h({}), 0, 60), true);
  // csum field at 34 + 16 = 50..52 must lie inside the frame.
  assert.equal(vnetHdrValid(h({ flags: 1, csumStart: 34, csumOffset: 16 }), 0, 52), true);
  assert.equal(vnetHdrValid(h({ flags: 1, csumStart: 34, csumOffset: 16 }), 0, 51), false);
  assert.equal(vnetHdrValid(h({ gsoType: VIRTIO_NET_HDR_GSO_TCPV6, gsoSize: 0 }), 0, 9000), false);
  assert.equal(
    vnetHdrValid(
      h({ gsoType: VIRTIO_NET_HDR_GSO_TCPV6 | VIRTIO_NET_HDR_GSO_ECN, gsoSize: 1440 }),
      0,
      9000,
    ),
    true,
  );
  assert.equal(
    vnetHdrValid(h({ gsoType: VIRTIO_NET_HDR_GSO_UDP_L4, gsoSize: 1400 }), 0, 9000),
    true,
  );
  assert.equal(vnetHdrValid(h({ gsoType: 2, gsoSize: 1400 }), 0, 9000), false);
  assert.equal(vnetHdrValid(new Uint8Array(9), 0, 60), false);
});

// A UDP/IPv4 frame 10.231.7.1:1234 → 10.231.7.2:5678, payload "abcd", as a stack with
// checksum offload hands it over: NEEDS_CSUM, csum_start 34, csum_offset 6 and the
// folded pseudo-header sum (0x23ee) in the field. The finished checksum (0xfc3e) and the
// pseudo-header sum were computed independently in Python for this vector.
const PARTIAL_UDP = hex(`
  01 00 0000 0000 2200 0600                       # virtio_net_hdr
  020000000002 020000000001 0800                  # Ethernet
  45000020 00004000 401116fd 0ae70701 0ae70702    # IPv4, checksum 0x16fd
  04d2 162e 000c 23ee 61626364                    # UDP, partial checksum
`);

test('completing a partial checksum writes the RFC 768 value and clears NEEDS_CSUM', () => {
  const buf = PARTIAL_UDP.slice();
  assert.equal(completeVnetChecksum(buf, 0, 10, buf.length - 10), true);
  assert.equal(toHex(buf.subarray(10 + 34 + 6, 10 + 34 + 8)), 'fc3e');
  assert.equal(vnetFlags(buf, 0), 0);
  // Everything but the flags and the checksum field is untouched.
  const expect = PARTIAL_UDP.slice();
  expect[0] = 0;
  expect[50] = 0xfc;
  expect[51] = 0x3e;
  assert.deepEqual(buf, expect);
});

test('completing refuses GSO frames and out-of-range offsets, and leaves them alone', () => {
  const gso = new Uint8Array(10 + 100);
  gso.set(TSO4_BYTES);
  assert.equal(completeVnetChecksum(gso, 0, 10, 100), false);
  assert.equal(vnetFlags(gso, 0), 1);
  const bad = PARTIAL_UDP.slice();
  bad[8] = 0xff; // csum_offset 0x00ff: outside the 46-byte frame
  assert.equal(completeVnetChecksum(bad, 0, 10, bad.length - 10), false);
  assert.deepEqual(bad.subarray(10), PARTIAL_UDP.subarray(10));
});

test('a header without NEEDS_CSUM needs no completion', () => {
  const buf = new Uint8Array(70);
  assert.equal(completeVnetChecksum(buf, 0, 10, 60), true);
  assert.deepEqual(buf, new Uint8Array(70));
});

test('property: parse(emit(repr)) is repr, and no input makes the readers throw', () => {
  const u16 = fc.integer({ min: 0, max: 0xffff });
  const u8 = fc.integer({ min: 0, max: 0xff });
  fc.assert(
    fc.property(
      u8,
      u8,
      u16,
      u16,
      u16,
      u16,
      (flags, gsoType, hdrLen, gsoSize, csumStart, csumOffset) => {
        const repr = { flags, gsoType, hdrLen, gsoSize, csumStart, csumOffset };
        const b = new Uint8Array(VIRTIO_NET_HDR_LEN);
        emitVnetHdr(repr, b);
        assert.deepEqual(parseVnetHdr(b), repr);
      },
    ),
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 0, max: 80 }), (bytes, len) => {
      parseVnetHdr(bytes);
      vnetHdrValid(bytes, 0, len);
      completeVnetChecksum(bytes.slice(), 0, 10, Math.min(len, Math.max(0, bytes.length - 10)));
    }),
  );
});
