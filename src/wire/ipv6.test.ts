import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Ipv6Addr, MacAddr, ipv6KeyAt } from './address.ts';
import { hex, toHex } from './bytes.ts';
import { ipv6PseudoSum } from './checksum.ts';
import {
  IPV6_DST_OFFSET,
  IPV6_HEADER_LEN,
  IPV6_SRC_OFFSET,
  Ipv6Packet,
  emitIpv6,
  eui64InterfaceId,
  ipv6MulticastMac,
  ipv6UpperLayer,
  isSolicitedNodeMulticast,
  linkLocalFromMac,
  parseIpv6,
  solicitedNodeMulticast,
  writeIpv6FragmentHeader,
  writeIpv6Header,
  writeRouterAlertHopByHop,
  type Ipv6Repr,
  type Ipv6UpperLayer,
} from './ipv6.ts';

const addr = (text: string): Ipv6Addr => Ipv6Addr.parse(text) as Ipv6Addr;

// Captured on Linux 6.18 (veth between two namespaces, tcpdump -w, Ethernet header
// removed): `ping -6 -c 1 2001:db8::2` from a namespace whose only address is the
// ipvlan-style link-local fe80::5254:0:112:3456. tcpdump: "[icmp6 sum ok]".
const ECHO = hex(`
  6007 bf7f 0040 3a40                       # v6, tc 0, flow 0x7bf7f, len 64, ICMPv6, hlim 64
  fe80 0000 0000 0000 5254 0000 0112 3456   # src
  2001 0db8 0000 0000 0000 0000 0000 0002   # dst
  8000 3bde 0c51 0001 dee3 066b 0000 0000   # echo request id 0x0c51 seq 1, timestamp
  de3a 0100 0000 0000 1011 1213 1415 1617
  1819 1a1b 1c1d 1e1f 2021 2223 2425 2627
  2829 2a2b 2c2d 2e2f 3031 3233 3435 3637
`);

// Captured on Linux 6.18: an MLDv2 report behind a Hop-by-Hop Router Alert (Linux
// announcing its solicited-node groups after DAD).
const MLD2 = hex(`
  6000 0000 0038 0001 fe80 0000 0000 0000 5054 00ff fe12 3456
  ff02 0000 0000 0000 0000 0000 0000 0016
  3a00 0502 0000 0100                       # HBH: next ICMPv6, Router Alert 0 (MLD), PadN
  8f00 b6c9 0000 0002 0400 0000 ff02 0000 0000 0000 0000 0001 ff00 0001
  0400 0000 ff02 0000 0000 0000 0000 0001 ff12 3456
`);

// Captured on Linux 6.18: the last fragment of `ping -6 -s 3000` over a 1500-byte MTU.
const FRAG_LAST = hex(`
  600f 750a 0078 2c40 2001 0db8 0000 0000 0000 0000 0000 0001
  2001 0db8 0000 0000 0000 0000 0000 0002
  3a00 0b50 a849 5158                       # Fragment: next ICMPv6, offset 2896, M=0, id
  4849 4a4b 4c4d 4e4f 5051 5253 5455 5657 5859 5a5b 5c5d 5e5f 6061 6263 6465 6667
  6869 6a6b 6c6d 6e6f 7071 7273 7475 7677 7879 7a7b 7c7d 7e7f 8081 8283 8485 8687
  8889 8a8b 8c8d 8e8f 9091 9293 9495 9697 9899 9a9b 9c9d 9e9f a0a1 a2a3 a4a5 a6a7
  a8a9 aaab acad aeaf b0b1 b2b3 b4b5 b6b7
`);

const ECHO_REPR: Ipv6Repr = {
  src: addr('fe80::5254:0:112:3456'),
  dst: addr('2001:db8::2'),
  nextHeader: 58,
  payloadLength: 64,
  hopLimit: 64,
  trafficClass: 0,
  flowLabel: 0x7bf7f,
};

/** An IPv6 packet with `nextHeader` and `payload` (hand-made chains for the walk). */
function packet(nextHeader: number, payload: string): Uint8Array {
  const body = hex(payload);
  const out = new Uint8Array(IPV6_HEADER_LEN + body.length);
  writeIpv6Header(
    { src: addr('2001:db8::1'), dst: addr('2001:db8::2'), hopLimit: 64 },
    nextHeader,
    body.length,
    out,
  ).set(body);
  return out;
}

function walk(bytes: Uint8Array): Ipv6UpperLayer | null {
  const pkt = Ipv6Packet.checked(bytes);
  assert.ok(pkt);
  return ipv6UpperLayer(pkt);
}

const PLAIN = { fragment: null, routerAlert: -1, routingOffset: -1, badOptionOffset: -1 };

test('Ipv6Packet reads every field of a captured echo request', () => {
  const pkt = Ipv6Packet.checked(ECHO);
  assert.ok(pkt);
  assert.equal(pkt.version, 6);
  assert.equal(pkt.trafficClass, 0);
  assert.equal(pkt.flowLabel, 0x7bf7f);
  assert.equal(pkt.payloadLength, 64);
  assert.equal(pkt.nextHeader, 58);
  assert.equal(pkt.hopLimit, 64);
  assert.equal(pkt.src.toString(), 'fe80::5254:0:112:3456');
  assert.equal(pkt.dst.toString(), '2001:db8::2');
  assert.equal(ipv6KeyAt(pkt.bytes, IPV6_SRC_OFFSET), pkt.src.key);
  assert.equal(ipv6KeyAt(pkt.bytes, IPV6_DST_OFFSET), '20010db8000000000000000000000002');
  assert.equal(pkt.srcIsUnspecified, false);
  assert.equal(pkt.srcIsMulticast, false);
  assert.equal(pkt.dstIsMulticast, false);
  assert.equal(pkt.totalLength, 104);
  assert.equal(toHex(pkt.payload), toHex(ECHO.subarray(40)));
  assert.deepStrictEqual(parseIpv6(pkt), ECHO_REPR);
});

test('Ipv6Packet reads traffic class and flow label from their shared word', () => {
  // 0x6ab12345: version 6, traffic class 0xab, flow label 0x12345.
  const bytes = ECHO.slice();
  bytes.set(hex('6ab1 2345'), 0);
  const pkt = Ipv6Packet.checked(bytes);
  assert.ok(pkt);
  assert.equal(pkt.trafficClass, 0xab);
  assert.equal(pkt.flowLabel, 0x12345);
  pkt.setTrafficClass(0x5c);
  assert.equal(toHex(bytes.subarray(0, 4)), '65c12345');
  pkt.setFlowLabel(0xfedcb);
  assert.equal(toHex(bytes.subarray(0, 4)), '65cfedcb');
  pkt.setVersion(6);
  assert.equal(toHex(bytes.subarray(0, 4)), '65cfedcb');
});

test('emitIpv6 writes the captured header into a 0xa5-filled buffer', () => {
  const out = new Uint8Array(40).fill(0xa5);
  emitIpv6(ECHO_REPR, Ipv6Packet.unchecked(out));
  assert.equal(toHex(out), toHex(ECHO.subarray(0, 40)));
});

test('Ipv6Packet ignores Ethernet padding after the payload length', () => {
  const padded = new Uint8Array(ECHO.length + 6);
  padded.set(ECHO);
  const pkt = Ipv6Packet.checked(padded);
  assert.ok(pkt);
  assert.equal(pkt.payload.length, 64);
  assert.equal(pkt.packet.length, 104);
  assert.deepStrictEqual(walk(padded), { protocol: 58, offset: 40, ...PLAIN });
});

test('Ipv6Packet.checked refuses every truncation, a bad version and a long payload length', () => {
  for (let len = 0; len < ECHO.length; len++) {
    assert.equal(Ipv6Packet.checked(ECHO.subarray(0, len)), null, `length ${len}`);
  }
  const v4 = ECHO.slice();
  v4[0] = 0x45;
  assert.equal(Ipv6Packet.checked(v4), null);
  const long = ECHO.slice();
  long[5] = 65; // payload length 65 > 64 bytes present
  assert.equal(Ipv6Packet.checked(long), null);
  const short = ECHO.slice();
  short[5] = 8; // shorter payload length: the rest is padding, which is allowed
  assert.equal(Ipv6Packet.checked(short)?.payload.length, 8);
});

test('pseudoSum reads the addresses in place and matches ipv6PseudoSum', () => {
  const pkt = Ipv6Packet.checked(ECHO);
  assert.ok(pkt);
  assert.equal(
    pkt.pseudoSum(58, 64),
    ipv6PseudoSum(ECHO_REPR.src.bytes, ECHO_REPR.dst.bytes, 58, 64),
  );
});

test('ipv6UpperLayer finds ICMPv6 behind the captured Router Alert Hop-by-Hop header', () => {
  assert.deepStrictEqual(walk(MLD2), { protocol: 58, offset: 48, ...PLAIN, routerAlert: 0 });
});

test('ipv6UpperLayer reports a captured non-first fragment and stops there', () => {
  assert.deepStrictEqual(walk(FRAG_LAST), {
    protocol: 58,
    offset: 48,
    ...PLAIN,
    fragment: { headerOffset: 40, fragmentOffset: 2896, more: false, id: 0xa8495158 },
  });
});

test('ipv6UpperLayer walks past a first fragment and Destination Options', () => {
  // Fragment (offset 0, M=1) -> Destination Options (8 bytes, PadN) -> UDP.
  const bytes = packet(44, '3c00 0001 0000 0007  1100 0104 0000 0000  0035 0035 0008 0000');
  assert.deepStrictEqual(walk(bytes), {
    protocol: 17,
    offset: 56,
    ...PLAIN,
    fragment: { headerOffset: 40, fragmentOffset: 0, more: true, id: 7 },
  });
});

test('ipv6UpperLayer applies the AH length rule of RFC 4302 and stops at ESP and No Next Header', () => {
  // AH with Payload Len 4: (4 + 2) * 4 = 24 bytes, then TCP.
  const ah = packet(51, `0604 0000 0000 0100 0000 0001 ${'00'.repeat(12)} ${'00'.repeat(20)}`);
  assert.deepStrictEqual(walk(ah), { protocol: 6, offset: 64, ...PLAIN });
  assert.deepStrictEqual(walk(packet(50, '0000 0001 0000 0001')), {
    protocol: 50,
    offset: 40,
    ...PLAIN,
  });
  // Destination Options saying No Next Header, with trailing bytes that must be ignored.
  assert.deepStrictEqual(walk(packet(60, '3b00 0104 0000 0000 ffff ffff')), {
    protocol: 59,
    offset: 48,
    ...PLAIN,
  });
});

test('ipv6UpperLayer reports a Routing header with segments left and an unknown option to act on', () => {
  // Routing type 4 (SRH) with Hdr Ext Len 2 (24 bytes) and Segments Left 1, then ICMPv6.
  const routing = packet(43, `3a02 0401 0000 0000 ${'00'.repeat(16)} 8000 0000 0000 0000`);
  assert.deepStrictEqual(walk(routing), { protocol: 58, offset: 64, ...PLAIN, routingOffset: 40 });
  const spent = packet(43, `3a02 0400 0000 0000 ${'00'.repeat(16)} 8000 0000 0000 0000`);
  assert.equal(walk(spent)?.routingOffset, -1);
  // Hop-by-Hop with an unknown option of action 00 (type 0x1e: skip) then 0xc2 (Jumbo,
  // which we do not support: action 11).
  const skip = packet(0, '3a00 1e00 0100 0000 8000 0000 0000 0000');
  assert.equal(walk(skip)?.badOptionOffset, -1);
  const jumbo = packet(0, '3a00 c204 0001 0000 8000 0000 0000 0000');
  assert.equal(walk(jumbo)?.badOptionOffset, 42);
});

test('ipv6UpperLayer refuses chains that run past the payload or break the rules', () => {
  const bad: Record<string, Uint8Array> = {
    'HBH longer than the payload': packet(0, '3a01 0100 0000 0000'),
    'HBH cut short': packet(0, '3a00 0100'),
    'option running past its header': packet(0, '3a00 0108 0000 0000'),
    'option length byte missing': packet(0, '3a00 0000 0000 0001'),
    'Router Alert of the wrong length': packet(0, '3a00 0503 0000 0000'),
    'HBH not first': packet(60, '0000 0104 0000 0000 3a00 0104 0000 0000'),
    'Routing cut short': packet(43, '3a02 0401 0000 0000'),
    'Fragment cut short': packet(44, '3a00 0001'),
    'two Fragment headers': packet(44, '2c00 0001 0000 0007 3a00 0001 0000 0007'),
    'AH longer than the payload': packet(51, '0604 0000 0000 0100'),
    'Destination Options cut short': packet(60, '3a00'),
  };
  for (const [name, bytes] of Object.entries(bad)) assert.equal(walk(bytes), null, name);
  // Every truncation of the payload length of the MLD2 chain inside the HBH header.
  for (let len = 0; len < 8; len++) {
    const cut = MLD2.slice(0, 40 + len);
    cut[4] = 0;
    cut[5] = len;
    assert.equal(walk(cut), null, `payload length ${len}`);
  }
});

test('ipv6 helpers: solicited-node groups, 33:33 MACs, EUI-64 and the dev_id variant', () => {
  assert.equal(solicitedNodeMulticast(addr('2001:db8::2')).toString(), 'ff02::1:ff00:2');
  assert.equal(
    solicitedNodeMulticast(addr('fe80::5054:ff:fe12:3456')).toString(),
    'ff02::1:ff12:3456',
  );
  assert.equal(isSolicitedNodeMulticast(addr('ff02::1:ff12:3456')), true);
  assert.equal(isSolicitedNodeMulticast(addr('ff02::1:fe12:3456')), false);
  assert.equal(isSolicitedNodeMulticast(addr('ff02::2')), false);
  // RFC 2464 §7; the captured frames above went to these MACs.
  assert.equal(ipv6MulticastMac(addr('ff02::1:ff00:2')).toString(), '33:33:ff:00:00:02');
  assert.equal(ipv6MulticastMac(addr('ff02::16')).toString(), '33:33:00:00:00:16');
  const mac = MacAddr.parse('52:54:00:12:34:56') as MacAddr;
  assert.equal(toHex(eui64InterfaceId(mac)), '505400fffe123456');
  // Linux addrconf_ifid_eui48 with dev_id, as observed on a real kernel with ipvlan slaves.
  assert.equal(linkLocalFromMac(mac).toString(), 'fe80::5054:ff:fe12:3456');
  assert.equal(linkLocalFromMac(mac, 1).toString(), 'fe80::5254:0:112:3456');
  assert.equal(linkLocalFromMac(mac, 2).toString(), 'fe80::5254:0:212:3456');
  assert.equal(toHex(eui64InterfaceId(mac, 0x1234)), '5254001234123456');
});

test('writers produce the captured Fragment and Router Alert headers', () => {
  const frag = new Uint8Array(8).fill(0xa5);
  writeIpv6FragmentHeader(
    { nextHeader: 58, fragmentOffset: 2896, more: false, id: 0xa8495158 },
    frag,
    0,
  );
  assert.equal(toHex(frag), toHex(FRAG_LAST.subarray(40, 48)));
  const hbh = new Uint8Array(8).fill(0xa5);
  writeRouterAlertHopByHop(58, 0, hbh, 0);
  assert.equal(toHex(hbh), toHex(MLD2.subarray(40, 48)));
});

const ipv6Addr = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Ipv6Addr.fromBytes(b));

test('parseIpv6(emitIpv6(repr)) equals repr', () => {
  fc.assert(
    fc.property(
      fc.record({
        src: ipv6Addr,
        dst: ipv6Addr,
        nextHeader: fc.integer({ min: 0, max: 255 }),
        payloadLength: fc.integer({ min: 0, max: 64 }),
        hopLimit: fc.integer({ min: 0, max: 255 }),
        trafficClass: fc.integer({ min: 0, max: 255 }),
        flowLabel: fc.integer({ min: 0, max: 0xfffff }),
      }),
      (repr) => {
        const out = new Uint8Array(IPV6_HEADER_LEN + repr.payloadLength).fill(0xa5);
        emitIpv6(repr, Ipv6Packet.unchecked(out));
        const pkt = Ipv6Packet.checked(out);
        assert.ok(pkt);
        assert.deepStrictEqual(parseIpv6(pkt), { ...repr });
      },
    ),
  );
});

function checkWalk(bytes: Uint8Array): void {
  const pkt = Ipv6Packet.checked(bytes);
  if (pkt === null) return;
  const up = ipv6UpperLayer(pkt);
  if (up === null) return;
  assert.ok(up.offset >= IPV6_HEADER_LEN && up.offset <= pkt.totalLength);
  assert.ok(up.badOptionOffset < up.offset);
}

test('checked() and the extension walk never throw on random bytes', () => {
  const header = fc.constantFrom(0, 43, 44, 50, 51, 59, 60, 58, 17);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 120 }), header, (body, nh) => {
      checkWalk(body);
      const out = new Uint8Array(IPV6_HEADER_LEN + body.length);
      writeIpv6Header(
        { src: ECHO_REPR.src, dst: ECHO_REPR.dst, hopLimit: 1 },
        nh,
        body.length,
        out,
      );
      out.set(body, IPV6_HEADER_LEN);
      checkWalk(out);
    }),
    { numRuns: 2000 },
  );
});

test('checked() and the extension walk never throw on mutated captures', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(MLD2, FRAG_LAST, ECHO),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 4,
      }),
      (orig, edits) => {
        const bytes = orig.slice();
        for (const [at, value] of edits) bytes[at % bytes.length] = value;
        checkWalk(bytes);
      },
    ),
    { numRuns: 2000 },
  );
});
