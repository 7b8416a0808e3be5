import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ipv4, parseIpv4, type Ipv4Addr } from './address.ts';
import { hex, toHex } from './bytes.ts';
import {
  ICMPV4_HEADER_LEN,
  Icmpv4Packet,
  emitIcmpv4,
  icmpv4Len,
  icmpv4QuoteLen,
  parseIcmpv4,
  type Icmpv4Repr,
} from './icmpv4.ts';
import { Ipv4Packet } from './ipv4.ts';

// Captured with tcpdump on a veth between two namespaces (Linux 6.18): the ICMP part of
// `ping -c1 -s 16 -p 6162 10.99.0.2`, its reply, and the port unreachable 10.99.0.2 sent
// for a 5-byte UDP datagram ("hello") to port 9999 (the whole datagram is quoted).
const ECHO_REQUEST = hex('0800 8f8d 0a9b 0001 c7e3066b00000000 8e87010000000000');
const ECHO_REPLY = hex('0000 978d 0a9b 0001 c7e3066b00000000 8e87010000000000');
const QUOTED = hex('4500 0021 2108 4000 4011 04fc 0a63 0001 0a63 0002 9c40 270f 000d 14e7');
const PORT_UNREACH = hex(`
  0303 e0e6 0000 0000
  4500 0021 2108 4000 4011 04fc 0a63 0001 0a63 0002 9c40 270f 000d 14e7 6865 6c6c 6f
`);
// Written by hand from RFC 792 / RFC 1191 around the first 28 bytes of that datagram;
// checksums computed independently with a Python RFC 1071 implementation.
const FRAG_NEEDED = hex('0304 1f40 0000 0578' + toHex(QUOTED)); // next-hop MTU 1400
const TIME_EXCEEDED = hex('0b00 1cbc 0000 0000' + toHex(QUOTED));
const REDIRECT = hex('0501 175a 0a63 00fe' + toHex(QUOTED)); // host redirect to 10.99.0.254
const PARAM_PROBLEM = hex('0c00 07bc 1400 0000' + toHex(QUOTED)); // pointer 20

const ECHO_DATA = hex('c7e3066b00000000 8e87010000000000');

test('Icmpv4Packet reads every field of a captured echo request and reply', () => {
  const req = Icmpv4Packet.checked(ECHO_REQUEST);
  assert.ok(req);
  assert.equal(req.type, 8);
  assert.equal(req.code, 0);
  assert.equal(req.checksum, 0x8f8d);
  assert.equal(req.checksumOk, true);
  assert.equal(req.echoIdent, 0x0a9b);
  assert.equal(req.echoSeq, 1);
  assert.equal(req.restOfHeader, 0x0a9b0001);
  assert.equal(req.isError, false);
  assert.equal(toHex(req.data), toHex(ECHO_DATA));
  assert.deepStrictEqual(parseIcmpv4(req), {
    kind: 'echoRequest',
    ident: 0x0a9b,
    seq: 1,
    data: ECHO_DATA,
  });
  const rep = Icmpv4Packet.checked(ECHO_REPLY);
  assert.ok(rep);
  assert.equal(rep.type, 0);
  assert.equal(rep.checksumOk, true);
  assert.deepStrictEqual(parseIcmpv4(rep), {
    kind: 'echoReply',
    ident: 0x0a9b,
    seq: 1,
    data: ECHO_DATA,
  });
});

test('Icmpv4Packet reads a captured port unreachable and the datagram it quotes', () => {
  const pkt = Icmpv4Packet.checked(PORT_UNREACH);
  assert.ok(pkt);
  assert.equal(pkt.type, 3);
  assert.equal(pkt.code, 3);
  assert.equal(pkt.checksum, 0xe0e6);
  assert.equal(pkt.checksumOk, true);
  assert.equal(pkt.isError, true);
  assert.equal(pkt.restOfHeader, 0);
  const repr = parseIcmpv4(pkt);
  assert.ok(repr && repr.kind === 'destUnreachable');
  assert.equal(repr.code, 3);
  assert.equal(repr.nextHopMtu, 0);
  const inner = Ipv4Packet.checked(repr.data);
  assert.ok(inner);
  assert.equal(inner.protocol, 17);
  assert.equal(inner.src, parseIpv4('10.99.0.1'));
  assert.equal(toHex(inner.payload), '9c40270f000d14e768656c6c6f');
});

test('Icmpv4Packet reads hand-written frag-needed, time-exceeded, redirect, parameter problem', () => {
  const frag = Icmpv4Packet.checked(FRAG_NEEDED) as Icmpv4Packet;
  assert.equal(frag.checksumOk, true);
  assert.equal(frag.nextHopMtu, 1400);
  assert.deepStrictEqual(parseIcmpv4(frag), {
    kind: 'destUnreachable',
    code: 4,
    nextHopMtu: 1400,
    data: QUOTED,
  });
  const quoted = Ipv4Packet.checkedQuoted(frag.data);
  assert.equal(quoted?.protocol, 17);

  const timex = Icmpv4Packet.checked(TIME_EXCEEDED) as Icmpv4Packet;
  assert.deepStrictEqual(parseIcmpv4(timex), { kind: 'timeExceeded', code: 0, data: QUOTED });

  const redirect = Icmpv4Packet.checked(REDIRECT) as Icmpv4Packet;
  assert.equal(redirect.gateway, parseIpv4('10.99.0.254'));
  assert.deepStrictEqual(parseIcmpv4(redirect), {
    kind: 'redirect',
    code: 1,
    gateway: parseIpv4('10.99.0.254'),
    data: QUOTED,
  });

  const param = Icmpv4Packet.checked(PARAM_PROBLEM) as Icmpv4Packet;
  assert.equal(param.pointer, 20);
  assert.deepStrictEqual(parseIcmpv4(param), {
    kind: 'parameterProblem',
    code: 0,
    pointer: 20,
    data: QUOTED,
  });
});

test('emitIcmpv4 reproduces every vector in a 0xa5-filled buffer', () => {
  for (const vector of [
    ECHO_REQUEST,
    ECHO_REPLY,
    PORT_UNREACH,
    FRAG_NEEDED,
    TIME_EXCEEDED,
    REDIRECT,
    PARAM_PROBLEM,
  ]) {
    const repr = parseIcmpv4(Icmpv4Packet.checked(vector) as Icmpv4Packet);
    assert.ok(repr);
    assert.equal(icmpv4Len(repr), vector.length);
    const out = new Uint8Array(vector.length + 2).fill(0xa5);
    emitIcmpv4(repr, Icmpv4Packet.unchecked(out.subarray(0, vector.length)));
    assert.equal(toHex(out), toHex(vector) + 'a5a5');
  }
});

test('emitIcmpv4 accepts data already written in place', () => {
  const out = new Uint8Array(ECHO_REQUEST.length);
  out.set(ECHO_DATA, 8);
  const repr: Icmpv4Repr = { kind: 'echoRequest', ident: 0x0a9b, seq: 1, data: out.subarray(8) };
  emitIcmpv4(repr, Icmpv4Packet.unchecked(out));
  assert.equal(toHex(out), toHex(ECHO_REQUEST));
});

test('parseIcmpv4 refuses bad checksums, unknown types and nonzero echo codes', () => {
  const bad = ECHO_REQUEST.slice();
  bad[3] = 0x8e;
  assert.equal(Icmpv4Packet.checked(bad)?.checksumOk, false);
  assert.equal(parseIcmpv4(Icmpv4Packet.checked(bad) as Icmpv4Packet), null);
  for (const [type, code] of [
    [13, 0], // timestamp
    [9, 0], // router advertisement
    [8, 1],
  ] as const) {
    const b = ECHO_REQUEST.slice();
    b[0] = type;
    b[1] = code;
    const pkt = Icmpv4Packet.unchecked(b);
    pkt.fillChecksum();
    assert.equal(pkt.checksumOk, true);
    assert.equal(parseIcmpv4(pkt), null, `type ${type} code ${code}`);
  }
});

test('Icmpv4Packet.checked refuses anything shorter than the header', () => {
  for (let n = 0; n < ICMPV4_HEADER_LEN; n++) {
    assert.equal(Icmpv4Packet.checked(ECHO_REQUEST.subarray(0, n)), null);
  }
  const bare = Icmpv4Packet.checked(ECHO_REQUEST.subarray(0, 8));
  assert.ok(bare);
  assert.equal(bare.data.length, 0);
  // A truncated message fails its checksum rather than reading past the end.
  assert.equal(bare.checksumOk, false);
});

test('setters edit the message in place', () => {
  const b = new Uint8Array(8);
  const pkt = Icmpv4Packet.unchecked(b);
  pkt.setType(3);
  pkt.setCode(4);
  pkt.setNextHopMtu(1280);
  assert.equal(toHex(b), '0304000000000500');
  pkt.setGateway(ipv4(0x0a0000fe));
  assert.equal(pkt.restOfHeader, 0x0a0000fe);
  pkt.setPointer(9);
  pkt.setEchoSeq(0x1234);
  assert.equal(toHex(b.subarray(4)), '09001234');
  pkt.setEchoIdent(0xabcd);
  pkt.fillChecksum();
  assert.equal(pkt.checksumOk, true);
});

test('icmpv4QuoteLen caps the error at 576 bytes of IP', () => {
  assert.equal(icmpv4QuoteLen(33), 33);
  assert.equal(icmpv4QuoteLen(1500), 548);
  assert.equal(icmpv4QuoteLen(1500, 24), 544);
});

const dataArb = fc.uint8Array({ maxLength: 64 });
const reprArb: fc.Arbitrary<Icmpv4Repr> = fc.oneof(
  fc
    .record({
      kind: fc.constantFrom<'echoRequest' | 'echoReply'>('echoRequest', 'echoReply'),
      ident: fc.integer({ min: 0, max: 0xffff }),
      seq: fc.integer({ min: 0, max: 0xffff }),
      data: dataArb,
    })
    .map((r): Icmpv4Repr => ({ ...r })),
  fc
    .record({
      code: fc.integer({ min: 0, max: 255 }),
      nextHopMtu: fc.integer({ min: 0, max: 0xffff }),
      data: dataArb,
    })
    .map((r): Icmpv4Repr => ({ kind: 'destUnreachable', ...r })),
  fc
    .record({ code: fc.integer({ min: 0, max: 255 }), data: dataArb })
    .map((r): Icmpv4Repr => ({ kind: 'timeExceeded', ...r })),
  fc
    .record({
      code: fc.integer({ min: 0, max: 255 }),
      gateway: fc.integer({ min: 0, max: 0xffffffff }).map((v): Ipv4Addr => ipv4(v)),
      data: dataArb,
    })
    .map((r): Icmpv4Repr => ({ kind: 'redirect', ...r })),
  fc
    .record({
      code: fc.integer({ min: 0, max: 255 }),
      pointer: fc.integer({ min: 0, max: 255 }),
      data: dataArb,
    })
    .map((r): Icmpv4Repr => ({ kind: 'parameterProblem', ...r })),
);

test('parseIcmpv4(emitIcmpv4(repr)) equals repr', () => {
  fc.assert(
    fc.property(reprArb, (repr) => {
      const buf = new Uint8Array(icmpv4Len(repr)).fill(0xa5);
      emitIcmpv4(repr, Icmpv4Packet.unchecked(buf));
      const pkt = Icmpv4Packet.checked(buf);
      assert.ok(pkt);
      assert.deepStrictEqual(parseIcmpv4(pkt), repr);
    }),
  );
});

test('Icmpv4Packet.checked never throws on random or mutated bytes', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 64 }),
      fc.array(fc.tuple(fc.nat(PORT_UNREACH.length - 1), fc.integer({ min: 0, max: 255 })), {
        maxLength: 4,
      }),
      (random, edits) => {
        const mutated = PORT_UNREACH.slice();
        for (const [i, v] of edits) mutated[i] = v;
        for (const bytes of [random, mutated]) {
          const pkt = Icmpv4Packet.checked(bytes);
          if (pkt === null) continue;
          const repr = parseIcmpv4(pkt);
          if (repr !== null && repr.kind !== 'echoRequest' && repr.kind !== 'echoReply') {
            Ipv4Packet.checkedQuoted(repr.data);
          }
        }
      },
    ),
  );
});
