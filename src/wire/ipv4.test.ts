import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MacAddr, ipv4, parseIpv4, type Ipv4Addr } from './address.ts';
import { be16, hex, toHex } from './bytes.ts';
import { internetChecksum } from './checksum.ts';
import { EthernetPacket } from './ethernet.ts';
import {
  IPV4_HEADER_LEN,
  Ipv4Packet,
  buildEthernetIpv4Frame,
  buildIpv4Packet,
  emitIpv4Header,
  ipv4HeaderLen,
  parseIpv4Header,
  type Ipv4Repr,
} from './ipv4.ts';

// Captured with tcpdump on a veth between two namespaces (Linux 6.18):
// `ping -c1 -s 16 -p 6162 10.99.0.2` from 10.99.0.1, the IPv4 datagram of the request.
const ECHO = hex(`
  4500 002c 5a7f 4000 4001 cb89 0a63 0001 0a63 0002   # header, DF, TTL 64, ICMP
  0800 8f8d 0a9b 0001 c7e3 066b 0000 0000 8e87 0100 0000 0000   # ICMP echo
`);
// Same capture session, `ping -R`: IHL 15 with a NOP and a Record Route option (40 bytes).
const RECORD_ROUTE = hex(`
  4f00 004c 5a80 4000 4001 8ef5 0a63 0001 0a63 0002
  01 07 27 08 0a630001 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000
  0800 e152 0a9c 0001 0001 0203 0405 0607
`);
// Same session: a UDP datagram "hello" (33 bytes), followed by the 13 zero bytes a NIC
// would add to reach the 60-byte Ethernet minimum.
const UDP_PADDED = hex(`
  4500 0021 2108 4000 4011 04fc 0a63 0001 0a63 0002
  9c40 270f 000d 14e7 6865 6c6c 6f
  00000000 00000000 00000000 00
`);
// Written by hand from RFC 791 §3.1 (checksums computed independently with a Python
// RFC 1071 implementation): a middle fragment, MF set, offset 1480, id 0x1234, 8 bytes.
const FRAGMENT = hex(`
  4500 001c 1234 20b9 4011 c690 c0a8 0001 c0a8 0002
  0102 0304 0506 0708
`);
// Hand-written too: DSCP 46 (EF), ECN 1 (ECT(1)), TTL 255, no DF, protocol ICMP.
const EF = hex('45b9 001c 0000 0000 ff01 39d4 c0a8 0001 c0a8 0002 0000 0000 0000 0000');

const ip = (text: string): Ipv4Addr => parseIpv4(text) as Ipv4Addr;

const ECHO_REPR: Ipv4Repr = {
  src: ip('10.99.0.1'),
  dst: ip('10.99.0.2'),
  protocol: 1,
  ttl: 64,
  dscp: 0,
  ecn: 0,
  ident: 0x5a7f,
  dontFrag: true,
  moreFrags: false,
  fragOffset: 0,
  options: new Uint8Array(0),
  payloadLen: 24,
};

test('Ipv4Packet reads every field of a captured echo request', () => {
  const pkt = Ipv4Packet.checked(ECHO);
  assert.ok(pkt);
  assert.equal(pkt.version, 4);
  assert.equal(pkt.ihl, 5);
  assert.equal(pkt.headerLen, 20);
  assert.equal(pkt.tos, 0);
  assert.equal(pkt.dscp, 0);
  assert.equal(pkt.ecn, 0);
  assert.equal(pkt.totalLen, 44);
  assert.equal(pkt.ident, 0x5a7f);
  assert.equal(pkt.fragWord, 0x4000);
  assert.equal(pkt.dontFrag, true);
  assert.equal(pkt.moreFrags, false);
  assert.equal(pkt.fragOffset, 0);
  assert.equal(pkt.isFragment, false);
  assert.equal(pkt.ttl, 64);
  assert.equal(pkt.protocol, 1);
  assert.equal(pkt.checksum, 0xcb89);
  assert.equal(pkt.checksumOk, true);
  assert.equal(pkt.src, ip('10.99.0.1'));
  assert.equal(pkt.dst, ip('10.99.0.2'));
  assert.equal(pkt.options.length, 0);
  assert.equal(toHex(pkt.payload), toHex(ECHO.subarray(20)));
  assert.deepStrictEqual(parseIpv4Header(pkt), ECHO_REPR);
});

test('Ipv4Packet exposes the options of a captured Record Route datagram', () => {
  const pkt = Ipv4Packet.checked(RECORD_ROUTE);
  assert.ok(pkt);
  assert.equal(pkt.ihl, 15);
  assert.equal(pkt.headerLen, 60);
  assert.equal(pkt.totalLen, 76);
  assert.equal(pkt.checksumOk, true);
  assert.equal(pkt.options.length, 40);
  assert.equal(toHex(pkt.options.subarray(0, 8)), '010727080a630001');
  assert.equal(toHex(pkt.payload), '0800e1520a9c00010001020304050607');
  const repr = parseIpv4Header(pkt);
  assert.ok(repr);
  assert.equal(ipv4HeaderLen(repr), 60);
  assert.equal(repr.payloadLen, 16);
  const out = new Uint8Array(RECORD_ROUTE.length).fill(0xa5);
  emitIpv4Header(repr, Ipv4Packet.unchecked(out));
  assert.equal(toHex(out.subarray(0, 60)), toHex(RECORD_ROUTE.subarray(0, 60)));
  assert.ok(out.subarray(60).every((b) => b === 0xa5));
});

test('the payload is bounded by the total length, not by Ethernet padding', () => {
  const pkt = Ipv4Packet.checked(UDP_PADDED);
  assert.ok(pkt);
  assert.equal(UDP_PADDED.length, 46);
  assert.equal(pkt.totalLen, 33);
  assert.equal(pkt.protocol, 17);
  assert.equal(toHex(pkt.payload), '9c40270f000d14e768656c6c6f');
});

test('Ipv4Packet reads fragment fields and DSCP/ECN of hand-written headers', () => {
  const frag = Ipv4Packet.checked(FRAGMENT);
  assert.ok(frag);
  assert.equal(frag.checksumOk, true);
  assert.equal(frag.ident, 0x1234);
  assert.equal(frag.dontFrag, false);
  assert.equal(frag.moreFrags, true);
  assert.equal(frag.fragOffset, 1480);
  assert.equal(frag.isFragment, true);
  assert.equal(frag.protocol, 17);
  const ef = Ipv4Packet.checked(EF);
  assert.ok(ef);
  assert.equal(ef.checksumOk, true);
  assert.equal(ef.tos, 0xb9);
  assert.equal(ef.dscp, 46);
  assert.equal(ef.ecn, 1);
  assert.equal(ef.ttl, 255);
  assert.equal(ef.fragWord, 0);
  assert.equal(ef.isFragment, false);
  // A last fragment (offset only) is still a fragment.
  const last = FRAGMENT.slice();
  last[6] = 0x00;
  assert.equal(Ipv4Packet.checked(last)?.isFragment, true);
});

test('emitIpv4Header writes the captured header byte for byte into a 0xa5-filled buffer', () => {
  for (const vector of [ECHO, FRAGMENT, EF]) {
    const repr = parseIpv4Header(Ipv4Packet.checked(vector) as Ipv4Packet);
    assert.ok(repr);
    const out = new Uint8Array(vector.length).fill(0xa5);
    emitIpv4Header(repr, Ipv4Packet.unchecked(out));
    assert.equal(toHex(out.subarray(0, 20)), toHex(vector.subarray(0, 20)));
    assert.ok(out.subarray(20).every((b) => b === 0xa5));
  }
});

test('emitIpv4Header pads options to a multiple of four with zeros', () => {
  const repr: Ipv4Repr = { ...ECHO_REPR, options: Uint8Array.of(0x94, 0x04, 0x00), payloadLen: 0 };
  assert.equal(ipv4HeaderLen(repr), 24);
  const out = new Uint8Array(24).fill(0xa5);
  emitIpv4Header(repr, Ipv4Packet.unchecked(out));
  assert.equal(out[0], 0x46);
  assert.equal(toHex(out.subarray(20)), '94040000');
  assert.equal(internetChecksum(out), 0);
});

test('parseIpv4Header refuses a bad header checksum', () => {
  const bytes = ECHO.slice();
  bytes[11] = 0x88;
  const pkt = Ipv4Packet.checked(bytes);
  assert.ok(pkt);
  assert.equal(pkt.checksumOk, false);
  assert.equal(parseIpv4Header(pkt), null);
});

test('Ipv4Packet.checked refuses every truncation of the datagram', () => {
  for (const vector of [ECHO, RECORD_ROUTE, FRAGMENT]) {
    const total = be16(vector, 2);
    for (let n = 0; n < total; n++) {
      assert.equal(Ipv4Packet.checked(vector.subarray(0, n)), null, `length ${n}`);
    }
    assert.ok(Ipv4Packet.checked(vector.subarray(0, total)));
  }
});

test('Ipv4Packet.checked refuses bad versions, bad IHL and corrupt total lengths', () => {
  const withByte = (offset: number, value: number): Uint8Array => {
    const b = ECHO.slice();
    b[offset] = value;
    return b;
  };
  for (const v of [0x05, 0x35, 0x65, 0xf5]) assert.equal(Ipv4Packet.checked(withByte(0, v)), null);
  for (const v of [0x40, 0x41, 0x44]) assert.equal(Ipv4Packet.checked(withByte(0, v)), null);
  // IHL 12 (48 bytes) is longer than the 44-byte datagram.
  assert.equal(Ipv4Packet.checked(withByte(0, 0x4c)), null);
  const totals = [0, 19, 45, 0xffff];
  for (const t of totals) {
    const b = ECHO.slice();
    b[2] = t >> 8;
    b[3] = t & 0xff;
    assert.equal(Ipv4Packet.checked(b), null, `total length ${t}`);
  }
  // Total length shorter than the header with options.
  const rr = RECORD_ROUTE.slice();
  rr[3] = 40;
  assert.equal(Ipv4Packet.checked(rr), null);
});

test('checkedQuoted accepts a header whose datagram was cut short, and nothing less', () => {
  // The datagram quoted in a captured ICMP port unreachable: header + 8 bytes of UDP.
  const quoted = UDP_PADDED.subarray(0, 28);
  assert.equal(Ipv4Packet.checked(quoted), null);
  const pkt = Ipv4Packet.checkedQuoted(quoted);
  assert.ok(pkt);
  assert.equal(pkt.totalLen, 33);
  assert.equal(pkt.protocol, 17);
  assert.equal(toHex(pkt.payload), '9c40270f000d14e7');
  for (let n = 0; n < 20; n++) assert.equal(Ipv4Packet.checkedQuoted(quoted.subarray(0, n)), null);
  const short = quoted.slice();
  short[3] = 12;
  assert.equal(Ipv4Packet.checkedQuoted(short), null);
});

test('decrementTtl patches the checksum as a full recomputation would', () => {
  const bytes = ECHO.slice();
  const pkt = Ipv4Packet.checked(bytes) as Ipv4Packet;
  assert.equal(pkt.decrementTtl(), 63);
  assert.equal(pkt.ttl, 63);
  assert.equal(pkt.checksum, 0xcc89); // checked with Python: RFC 1071 over the new header
  assert.equal(pkt.checksumOk, true);
  pkt.setTtlUpdatingChecksum(1);
  assert.equal(pkt.checksumOk, true);
  assert.equal(pkt.decrementTtl(), 0);
  assert.equal(pkt.decrementTtl(), 0);
  assert.equal(pkt.checksumOk, true);
});

test('setters edit the header in place', () => {
  const bytes = ECHO.slice();
  const pkt = Ipv4Packet.checked(bytes) as Ipv4Packet;
  pkt.setDscp(46);
  pkt.setEcn(3);
  assert.equal(pkt.tos, 0xbb);
  pkt.setEcn(0);
  assert.equal(pkt.dscp, 46);
  pkt.setDontFrag(false);
  pkt.setMoreFrags(true);
  pkt.setFragOffset(1480);
  assert.equal(toHex(bytes.subarray(6, 8)), '20b9');
  pkt.setMoreFrags(false);
  pkt.setDontFrag(true);
  assert.equal(pkt.fragWord, 0x40b9);
  pkt.setIdent(0xbeef);
  pkt.setProtocol(17);
  pkt.setSrc(ip('192.168.0.1'));
  pkt.setDst(ip('192.168.0.2'));
  pkt.setTotalLen(40);
  pkt.setTtl(7);
  pkt.fillChecksum();
  assert.equal(toHex(bytes.subarray(0, 10)), '45b80028beef40b90711');
  assert.equal(toHex(bytes.subarray(12, 20)), 'c0a80001c0a80002');
  assert.equal(pkt.checksumOk, true);
});

test('buildIpv4Packet and buildEthernetIpv4Frame allocate one buffer and fill the header', () => {
  const built = buildIpv4Packet(ECHO_REPR);
  assert.equal(built.frame.length, 44);
  built.payload.set(ECHO.subarray(20));
  assert.equal(toHex(built.frame), toHex(ECHO));
  assert.equal(built.ip.bytes.buffer, built.frame.buffer);

  const dst = MacAddr.parse('52:54:00:ab:cd:ef') as MacAddr;
  const src = MacAddr.parse('52:54:00:12:34:56') as MacAddr;
  const framed = buildEthernetIpv4Frame(dst, src, ECHO_REPR);
  assert.equal(framed.frame.length, 58);
  assert.equal(framed.payload.byteOffset, 34);
  framed.payload.set(ECHO.subarray(20));
  // The captured frame of the same echo request, Ethernet header included.
  assert.equal(toHex(framed.frame), '525400abcdef5254001234560800' + toHex(ECHO));
  const eth = EthernetPacket.checked(framed.frame);
  assert.equal(eth?.ethertype, 0x0800);
});

const reprArb: fc.Arbitrary<Ipv4Repr> = fc
  .record({
    src: fc.integer({ min: 0, max: 0xffffffff }).map(ipv4),
    dst: fc.integer({ min: 0, max: 0xffffffff }).map(ipv4),
    protocol: fc.integer({ min: 0, max: 255 }),
    ttl: fc.integer({ min: 0, max: 255 }),
    dscp: fc.integer({ min: 0, max: 63 }),
    ecn: fc.integer({ min: 0, max: 3 }),
    ident: fc.integer({ min: 0, max: 0xffff }),
    dontFrag: fc.boolean(),
    moreFrags: fc.boolean(),
    fragOffset: fc.integer({ min: 0, max: 0x1fff }).map((o) => o * 8),
    options: fc
      .integer({ min: 0, max: 10 })
      .chain((words) => fc.uint8Array({ minLength: words * 4, maxLength: words * 4 })),
    payloadLen: fc.integer({ min: 0, max: 100 }),
  })
  .map((r) => ({ ...r }));

test('parseIpv4Header(emitIpv4Header(repr)) equals repr', () => {
  fc.assert(
    fc.property(reprArb, (repr) => {
      const buf = new Uint8Array(ipv4HeaderLen(repr) + repr.payloadLen).fill(0xa5);
      emitIpv4Header(repr, Ipv4Packet.unchecked(buf));
      const pkt = Ipv4Packet.checked(buf);
      assert.ok(pkt);
      assert.deepStrictEqual(parseIpv4Header(pkt), repr);
      assert.equal(pkt.payload.length, repr.payloadLen);
    }),
  );
});

test('decrementTtl always matches a full checksum recomputation byte for byte', () => {
  fc.assert(
    fc.property(reprArb, (repr) => {
      const buf = new Uint8Array(ipv4HeaderLen(repr));
      emitIpv4Header({ ...repr, payloadLen: 0 }, Ipv4Packet.unchecked(buf));
      const pkt = Ipv4Packet.unchecked(buf);
      pkt.decrementTtl();
      const incremental = pkt.checksum;
      pkt.fillChecksum();
      assert.equal(incremental, pkt.checksum);
    }),
  );
});

test('Ipv4Packet.checked never throws on random or mutated bytes', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 80 }),
      fc.array(fc.tuple(fc.nat(RECORD_ROUTE.length - 1), fc.integer({ min: 0, max: 255 })), {
        maxLength: 4,
      }),
      (random, edits) => {
        const mutated = RECORD_ROUTE.slice();
        for (const [i, v] of edits) mutated[i] = v;
        for (const bytes of [random, mutated]) {
          for (const pkt of [Ipv4Packet.checked(bytes), Ipv4Packet.checkedQuoted(bytes)]) {
            if (pkt === null) continue;
            assert.ok(pkt.headerLen >= IPV4_HEADER_LEN && pkt.headerLen <= bytes.length);
            assert.ok(pkt.payload.length <= bytes.length - pkt.headerLen);
            parseIpv4Header(pkt);
          }
        }
      },
    ),
  );
});
