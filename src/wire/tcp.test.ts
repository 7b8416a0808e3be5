import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Ipv6Addr, ipv4, parseIpv4, type IpAddr, type Ipv4Addr } from './address.ts';
import { hex, toHex } from './bytes.ts';
import {
  TCP_ACK,
  TCP_CWR,
  TCP_ECE,
  TCP_FIN,
  TCP_HEADER_LEN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  TCP_URG,
  TcpPacket,
  emitTcp,
  parseTcp,
  tcpHeaderLen,
  type TcpRepr,
} from './tcp.ts';

const A = parseIpv4('10.99.0.1') as Ipv4Addr;
const B = parseIpv4('10.99.0.2') as Ipv4Addr;
const A6 = Ipv6Addr.parse('fd00::1') as Ipv6Addr;
const B6 = Ipv6Addr.parse('fd00::2') as Ipv6Addr;

// Captured with tcpdump on a veth between two namespaces (Linux 6.18): a connect() from
// 10.99.0.1:40001 to a listener on 10.99.0.2:8080. veth leaves CHECKSUM_PARTIAL, so the
// checksum fields are the values tcpdump reports as correct (0x3c5c, 0x7baf, 0xa8c7), which
// a Python RFC 1071 implementation computed too.
const SYN = hex(`
  9c41 1f90 0766ceb1 00000000 a0 02 faf0 3c5c 0000
  020405b4 0402 080a03ac665200000000 01 03030a   # mss 1460, sackOK, TS, nop, wscale 10
`);
const SYN_ACK = hex(`
  1f90 9c41 c6306057 0766ceb2 a0 12 fe88 7baf 0000
  020405b4 0402 080adbfaba8003ac6652 01 03030a
`);
const FIN_ACK = hex('9c41 1f90 0766ceb2 c6306058 80 11 003f a8c7 0000 0101 080a03ac6652dbfaba80');
// Hand-written from RFC 9293 §3.1; checksums computed with Python.
// URG|ACK|PSH with 3 bytes of data ("GET"), urgent pointer 3: an odd-length segment.
const PSH_URG = hex('9c41 1f90 0766ceb2 c6306058 50 38 0200 4525 0003 474554');
// CWR|ECE|RST, no options.
const ECN_RST = hex('9c41 1f90 0766ceb2 c6306058 50 c4 0200 dfe4 0000');
// The captured SYN's bytes over IPv6 (fd00::1 -> fd00::2); only the checksum differs.
const SYN6 = SYN.slice();
SYN6[16] = 0x57;
SYN6[17] = 0x20;

test('TcpPacket reads every field of a captured SYN', () => {
  const pkt = TcpPacket.checked(SYN);
  assert.ok(pkt);
  assert.equal(pkt.srcPort, 40001);
  assert.equal(pkt.dstPort, 8080);
  assert.equal(pkt.seq, 124178097);
  assert.equal(pkt.ack, 0);
  assert.equal(pkt.dataOffset, 10);
  assert.equal(pkt.headerLen, 40);
  assert.equal(pkt.flags, TCP_SYN);
  assert.deepStrictEqual(
    [pkt.fin, pkt.syn, pkt.rst, pkt.psh, pkt.ackFlag, pkt.urg, pkt.ece, pkt.cwr],
    [false, true, false, false, false, false, false, false],
  );
  assert.equal(pkt.window, 64240);
  assert.equal(pkt.checksum, 0x3c5c);
  assert.equal(pkt.urgentPointer, 0);
  assert.equal(toHex(pkt.options), '020405b40402080a03ac6652000000000103030a');
  assert.equal(pkt.payload.length, 0);
  assert.equal(pkt.checksumOk(A, B), true);
  assert.equal(pkt.checksumOk(B, A), true); // the sum is symmetric in the addresses
  assert.equal(pkt.checksumOk(A, ipv4(0x0a630003)), false);
  assert.deepStrictEqual(parseTcp(pkt, A, B), {
    srcPort: 40001,
    dstPort: 8080,
    seq: 124178097,
    ack: 0,
    flags: TCP_SYN,
    window: 64240,
    urgentPointer: 0,
    options: hex('020405b40402080a03ac6652000000000103030a'),
  });
});

test('TcpPacket reads the captured SYN-ACK and FIN-ACK', () => {
  const synAck = TcpPacket.checked(SYN_ACK);
  assert.ok(synAck);
  assert.equal(synAck.seq, 3325059159);
  assert.equal(synAck.ack, 124178098);
  assert.equal(synAck.flags, TCP_SYN | TCP_ACK);
  assert.equal(synAck.ackFlag, true);
  assert.equal(synAck.window, 65160);
  assert.equal(synAck.checksumOk(B, A), true);
  const finAck = TcpPacket.checked(FIN_ACK);
  assert.ok(finAck);
  assert.equal(finAck.headerLen, 32);
  assert.equal(finAck.flags, TCP_FIN | TCP_ACK);
  assert.equal(finAck.fin, true);
  assert.equal(finAck.window, 63);
  assert.equal(finAck.checksumOk(A, B), true);
});

test('TcpPacket reads hand-written PSH/URG with data and CWR/ECE/RST segments', () => {
  const psh = TcpPacket.checked(PSH_URG);
  assert.ok(psh);
  assert.equal(psh.flags, TCP_URG | TCP_ACK | TCP_PSH);
  assert.equal(psh.urg && psh.psh && psh.ackFlag, true);
  assert.equal(psh.urgentPointer, 3);
  assert.equal(new TextDecoder().decode(psh.payload), 'GET');
  assert.equal(psh.checksumOk(A, B), true);
  const ecn = TcpPacket.checked(ECN_RST);
  assert.ok(ecn);
  assert.equal(ecn.flags, TCP_CWR | TCP_ECE | TCP_RST);
  assert.deepStrictEqual([ecn.cwr, ecn.ece, ecn.rst, ecn.syn], [true, true, true, false]);
  assert.equal(ecn.checksumOk(A, B), true);
});

test('the IPv6 pseudo-header verifies the IPv6 vector', () => {
  const pkt = TcpPacket.checked(SYN6) as TcpPacket;
  assert.equal(pkt.checksumOk(A6, B6), true);
  assert.equal(pkt.checksumOk(A, B), false);
  assert.equal(parseTcp(TcpPacket.checked(SYN) as TcpPacket, A6, B6), null);
});

test('emitTcp reproduces every vector in a 0xa5-filled buffer', () => {
  const cases: Array<[Uint8Array, IpAddr, IpAddr]> = [
    [SYN, A, B],
    [SYN_ACK, B, A],
    [FIN_ACK, A, B],
    [PSH_URG, A, B],
    [ECN_RST, A, B],
    [SYN6, A6, B6],
  ];
  for (const [vector, src, dst] of cases) {
    const repr = parseTcp(TcpPacket.checked(vector) as TcpPacket, src, dst);
    assert.ok(repr);
    const headerLen = tcpHeaderLen(repr);
    const out = new Uint8Array(vector.length).fill(0xa5);
    out.set(vector.subarray(headerLen), headerLen);
    emitTcp(repr, TcpPacket.unchecked(out), src, dst);
    assert.equal(toHex(out), toHex(vector));
  }
});

test('parseTcp refuses a wrong checksum', () => {
  const b = PSH_URG.slice();
  b[22] = 0x55;
  assert.equal(parseTcp(TcpPacket.checked(b) as TcpPacket, A, B), null);
});

test('TcpPacket.checked refuses truncations and bad data offsets', () => {
  for (let n = 0; n < SYN.length; n++) assert.equal(TcpPacket.checked(SYN.subarray(0, n)), null);
  for (const offset of [0, 1, 4, 11, 15]) {
    const b = SYN.slice();
    b[12] = offset << 4;
    assert.equal(TcpPacket.checked(b), null, `data offset ${offset}`);
  }
  const b = SYN.slice();
  b[12] = 5 << 4;
  assert.equal(TcpPacket.checked(b)?.payload.length, 20);
});

test('emitTcp pads options with zeros to a multiple of four', () => {
  const repr: TcpRepr = {
    srcPort: 1,
    dstPort: 2,
    seq: 0xffffffff,
    ack: 1,
    flags: TCP_SYN,
    window: 1024,
    urgentPointer: 0,
    options: Uint8Array.of(2, 4, 5, 0xb4, 1, 3, 3, 7, 4, 2),
  };
  assert.equal(tcpHeaderLen(repr), 32);
  const out = new Uint8Array(32).fill(0xa5);
  emitTcp(repr, TcpPacket.unchecked(out), A, B);
  assert.equal(out[12], 0x80);
  assert.equal(toHex(out.subarray(20)), '020405b4010303070402' + '0000');
  assert.equal(toHex(out.subarray(4, 8)), 'ffffffff');
  assert.equal(TcpPacket.checked(out)?.checksumOk(A, B), true);
});

const v4Arb = fc.integer({ min: 0, max: 0xffffffff }).map((v): IpAddr => ipv4(v));
const v6Arb = fc
  .uint8Array({ minLength: 16, maxLength: 16 })
  .map((b): IpAddr => Ipv6Addr.fromBytes(b));
const pairArb = fc.oneof(fc.tuple(v4Arb, v4Arb), fc.tuple(v6Arb, v6Arb));
const reprArb: fc.Arbitrary<TcpRepr> = fc
  .record({
    srcPort: fc.integer({ min: 0, max: 0xffff }),
    dstPort: fc.integer({ min: 0, max: 0xffff }),
    seq: fc.integer({ min: 0, max: 0xffffffff }),
    ack: fc.integer({ min: 0, max: 0xffffffff }),
    flags: fc.integer({ min: 0, max: 255 }),
    window: fc.integer({ min: 0, max: 0xffff }),
    urgentPointer: fc.integer({ min: 0, max: 0xffff }),
    options: fc
      .integer({ min: 0, max: 10 })
      .chain((w) => fc.uint8Array({ minLength: 4 * w, maxLength: 4 * w })),
  })
  .map((r) => ({ ...r }));

test('parseTcp(emitTcp(repr)) equals repr over both families', () => {
  fc.assert(
    fc.property(reprArb, fc.uint8Array({ maxLength: 40 }), pairArb, (repr, payload, [src, dst]) => {
      const headerLen = tcpHeaderLen(repr);
      const buf = new Uint8Array(headerLen + payload.length).fill(0xa5);
      buf.set(payload, headerLen);
      emitTcp(repr, TcpPacket.unchecked(buf), src, dst);
      const pkt = TcpPacket.checked(buf);
      assert.ok(pkt);
      assert.deepStrictEqual(parseTcp(pkt, src, dst), repr);
      assert.equal(toHex(pkt.payload), toHex(payload));
    }),
  );
});

test('TcpPacket.checked never throws on random or mutated bytes', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 64 }),
      fc.array(fc.tuple(fc.nat(SYN.length - 1), fc.integer({ min: 0, max: 255 })), {
        maxLength: 3,
      }),
      pairArb,
      (random, edits, [src, dst]) => {
        const mutated = SYN.slice();
        for (const [i, v] of edits) mutated[i] = v;
        for (const bytes of [random, mutated]) {
          const pkt = TcpPacket.checked(bytes);
          if (pkt === null) continue;
          assert.ok(pkt.headerLen >= TCP_HEADER_LEN && pkt.headerLen <= bytes.length);
          parseTcp(pkt, src, dst);
        }
      },
    ),
  );
});
