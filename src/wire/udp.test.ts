import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Ipv6Addr, ipv4, parseIpv4, type IpAddr, type Ipv4Addr } from './address.ts';
import { be16, hex, toHex } from './bytes.ts';
import { UDP_HEADER_LEN, UdpPacket, emitUdp, parseUdp, udpLen, type UdpRepr } from './udp.ts';

const SRC = parseIpv4('10.99.0.1') as Ipv4Addr;
const DST = parseIpv4('10.99.0.2') as Ipv4Addr;
const SRC6 = Ipv6Addr.parse('fd00::1') as Ipv6Addr;
const DST6 = Ipv6Addr.parse('fd00::2') as Ipv6Addr;

// Captured with tcpdump on a veth between two namespaces (Linux 6.18): "hello" from
// 10.99.0.1:40000 to 10.99.0.2:9999. veth hands the frame over with CHECKSUM_PARTIAL, so
// the capture shows only the pseudo-header sum (0x14e7); the full checksum 0xe3e9 was
// computed independently with a Python RFC 1071/RFC 768 implementation.
const HELLO = hex('9c40 270f 000d e3e9 6865 6c6c 6f');
// The same datagram over IPv6, fd00::1 -> fd00::2 (checksum computed the same way).
const HELLO6 = hex('9c40 270f 000d fead 6865 6c6c 6f');
// Hand-made so that the checksum computes to zero over IPv4 (payload chosen with Python):
// RFC 768 sends that as 0xffff.
const ZERO_SUM = hex('9c40 270f 000a ffff 27c2');

test('UdpPacket reads every field of a captured datagram', () => {
  const pkt = UdpPacket.checked(HELLO);
  assert.ok(pkt);
  assert.equal(pkt.srcPort, 40000);
  assert.equal(pkt.dstPort, 9999);
  assert.equal(pkt.length, 13);
  assert.equal(pkt.checksum, 0xe3e9);
  assert.equal(new TextDecoder().decode(pkt.payload), 'hello');
  assert.equal(pkt.datagram.length, 13);
  assert.equal(pkt.checksumOk(SRC, DST), true);
  assert.equal(pkt.checksumOk(DST, ipv4(0x0a630003)), false);
  assert.deepStrictEqual(parseUdp(pkt, SRC, DST), { srcPort: 40000, dstPort: 9999 });
});

test('the IPv6 pseudo-header verifies the IPv6 vector and not the IPv4 one', () => {
  const pkt = UdpPacket.checked(HELLO6);
  assert.ok(pkt);
  assert.equal(pkt.checksumOk(SRC6, DST6), true);
  assert.equal(pkt.checksumOk(SRC, DST), false);
  assert.deepStrictEqual(parseUdp(pkt, SRC6, DST6), { srcPort: 40000, dstPort: 9999 });
  assert.equal(parseUdp(UdpPacket.checked(HELLO) as UdpPacket, SRC6, DST6), null);
});

test('a zero checksum means "none" over IPv4 and is refused over IPv6', () => {
  const bytes = HELLO.slice();
  bytes[6] = 0;
  bytes[7] = 0;
  const pkt = UdpPacket.checked(bytes);
  assert.ok(pkt);
  assert.deepStrictEqual(parseUdp(pkt, SRC, DST), { srcPort: 40000, dstPort: 9999 });
  assert.equal(parseUdp(pkt, SRC6, DST6), null);
});

test('parseUdp refuses a wrong checksum', () => {
  const bytes = HELLO.slice();
  bytes[12] = 0x21; // "hell!"
  assert.equal(parseUdp(UdpPacket.checked(bytes) as UdpPacket, SRC, DST), null);
});

test('emitUdp reproduces the vectors in a 0xa5-filled buffer, a computed zero as 0xffff', () => {
  const cases: Array<[Uint8Array, IpAddr, IpAddr]> = [
    [HELLO, SRC, DST],
    [HELLO6, SRC6, DST6],
    [ZERO_SUM, SRC, DST],
  ];
  for (const [vector, src, dst] of cases) {
    const out = new Uint8Array(vector.length).fill(0xa5);
    out.set(vector.subarray(8), 8);
    const repr = parseUdp(UdpPacket.checked(vector) as UdpPacket, src, dst);
    assert.ok(repr);
    emitUdp(repr, UdpPacket.unchecked(out), src, dst);
    assert.equal(toHex(out), toHex(vector));
  }
  assert.equal(be16(ZERO_SUM, 6), 0xffff);
});

test('the payload is bounded by the length field, not by trailing bytes', () => {
  const longer = new Uint8Array(HELLO.length + 7).fill(0xee);
  longer.set(HELLO);
  const pkt = UdpPacket.checked(longer);
  assert.ok(pkt);
  assert.equal(pkt.payload.length, 5);
  assert.equal(pkt.checksumOk(SRC, DST), true);
});

test('UdpPacket.checked refuses truncations and corrupt length fields', () => {
  for (let n = 0; n < HELLO.length; n++)
    assert.equal(UdpPacket.checked(HELLO.subarray(0, n)), null);
  for (const len of [0, 7, 14, 0xffff]) {
    const b = HELLO.slice();
    b[4] = len >> 8;
    b[5] = len & 0xff;
    assert.equal(UdpPacket.checked(b), null, `length ${len}`);
  }
  const headerOnly = HELLO.slice(0, 8);
  headerOnly[5] = 8;
  assert.equal(UdpPacket.checked(headerOnly)?.payload.length, 0);
});

test('udpLen counts the header', () => {
  assert.equal(udpLen(5), 13);
  assert.equal(UDP_HEADER_LEN, 8);
});

const v4Arb = fc.integer({ min: 0, max: 0xffffffff }).map((v): IpAddr => ipv4(v));
const v6Arb = fc
  .uint8Array({ minLength: 16, maxLength: 16 })
  .map((b): IpAddr => Ipv6Addr.fromBytes(b));
const pairArb = fc.oneof(fc.tuple(v4Arb, v4Arb), fc.tuple(v6Arb, v6Arb));

test('parseUdp(emitUdp(repr)) equals repr over both families', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0xffff }),
      fc.integer({ min: 0, max: 0xffff }),
      fc.uint8Array({ maxLength: 64 }),
      pairArb,
      (srcPort, dstPort, payload, [src, dst]) => {
        const repr: UdpRepr = { srcPort, dstPort };
        const buf = new Uint8Array(udpLen(payload.length)).fill(0xa5);
        buf.set(payload, UDP_HEADER_LEN);
        emitUdp(repr, UdpPacket.unchecked(buf), src, dst);
        const pkt = UdpPacket.checked(buf);
        assert.ok(pkt);
        assert.notEqual(pkt.checksum, 0);
        assert.deepStrictEqual(parseUdp(pkt, src, dst), repr);
        assert.equal(toHex(pkt.payload), toHex(payload));
      },
    ),
  );
});

test('UdpPacket.checked never throws on random or mutated bytes', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 32 }),
      fc.array(fc.tuple(fc.nat(HELLO.length - 1), fc.integer({ min: 0, max: 255 })), {
        maxLength: 3,
      }),
      pairArb,
      (random, edits, [src, dst]) => {
        const mutated = HELLO.slice();
        for (const [i, v] of edits) mutated[i] = v;
        for (const bytes of [random, mutated]) {
          const pkt = UdpPacket.checked(bytes);
          if (pkt === null) continue;
          assert.ok(pkt.length <= bytes.length);
          parseUdp(pkt, src, dst);
        }
      },
    ),
  );
});
