import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ipv4, parseIpv4, type Ipv4Addr } from './address.ts';
import { hex, toHex } from './bytes.ts';
import {
  IGMPV3_CHANGE_TO_EXCLUDE,
  IGMPV3_CHANGE_TO_INCLUDE,
  IgmpPacket,
  emitIgmp,
  igmpLen,
  igmpMembershipChanges,
  igmpv3DecodeCode,
  parseIgmp,
  type IgmpRepr,
} from './igmp.ts';
import { Ipv4Packet } from './ipv4.ts';

const ip = (text: string): Ipv4Addr => parseIpv4(text) as Ipv4Addr;

// Captured with tcpdump (Linux 6.18) in private namespaces. A host joining and leaving
// 239.1.2.3 (IGMPv3, IP_ADD/DROP_MEMBERSHIP), then 239.1.2.4 with force_igmp_version=2;
// the general query is from a bridge with mcast_querier 1 and mcast_igmp_version 3.
const V3_JOIN = hex('2200 e8f9 0000 0001  04 00 0000 ef010203');
const V3_LEAVE = hex('2200 e9f9 0000 0001  03 00 0000 ef010203');
const V2_REPORT = hex('1600 f8f9 ef010204');
const V2_LEAVE = hex('1700 f7f9 ef010204');
const V3_GENERAL_QUERY = hex('1164 ec1e 00000000 02 7d 0000');
// The whole IPv4 datagram of the v3 join: TOS 0xc0, TTL 1, Router Alert option (RFC 2113).
const V3_JOIN_DATAGRAM = hex(`
  46c0 0028 0000 4000 0102 f995 0a63 0001 e000 0016 9404 0000
  2200 e8f9 0000 0001 0400 0000 ef01 0203
`);
// Written by hand from RFC 1112 / RFC 2236 / RFC 3376; checksums computed with Python.
const V1_QUERY = hex('1100 eeff 00000000');
const V2_QUERY = hex('1164 ee9b 00000000'); // general, Max Resp Time 10 s
const V2_GROUP_QUERY = hex('110a fdef ef010204');
const V1_REPORT = hex('1200 fcfa ef010203');
// Group-and-source-specific v3 query: S=1, QRV=2, QQIC=125, sources .5 and .6.
const V3_GS_QUERY = hex('110a dea0 ef010203 0a 7d 0002 0a630005 0a630006');
// v3 report: ALLOW_NEW_SOURCES(239.1.2.3, {10.99.0.5}) with one word of aux data, then
// CHANGE_TO_INCLUDE(239.1.2.4, {}).
const V3_REPORT = hex(`
  2200 4beb 0000 0002
  05 01 0001 ef010203 0a630005 deadbeef
  03 00 0000 ef010204
`);

test('IgmpPacket reads the captured v3 join inside its IPv4 datagram', () => {
  const ipPkt = Ipv4Packet.checked(V3_JOIN_DATAGRAM);
  assert.ok(ipPkt);
  assert.equal(ipPkt.protocol, 2);
  assert.equal(ipPkt.ttl, 1);
  assert.equal(toHex(ipPkt.options), '94040000');
  assert.equal(ipPkt.checksumOk, true);
  const pkt = IgmpPacket.checked(ipPkt.payload);
  assert.ok(pkt);
  assert.equal(pkt.type, 0x22);
  assert.equal(pkt.checksum, 0xe8f9);
  assert.equal(pkt.checksumOk, true);
  assert.equal(pkt.numRecords, 1);
  assert.equal(pkt.queryVersion, 0);
  const repr = parseIgmp(pkt);
  assert.deepStrictEqual(repr, {
    kind: 'reportV3',
    records: [
      {
        type: IGMPV3_CHANGE_TO_EXCLUDE,
        group: ip('239.1.2.3'),
        sources: [],
        auxData: new Uint8Array(0),
      },
    ],
  });
  assert.deepStrictEqual(igmpMembershipChanges(repr), [{ group: ip('239.1.2.3'), join: true }]);
});

test('a captured v3 CHANGE_TO_INCLUDE with no sources is a leave', () => {
  const repr = parseIgmp(IgmpPacket.checked(V3_LEAVE) as IgmpPacket);
  assert.ok(repr && repr.kind === 'reportV3');
  assert.equal(repr.records[0]?.type, IGMPV3_CHANGE_TO_INCLUDE);
  assert.deepStrictEqual(igmpMembershipChanges(repr), [{ group: ip('239.1.2.3'), join: false }]);
});

test('IgmpPacket reads the captured v2 report and leave', () => {
  const report = IgmpPacket.checked(V2_REPORT) as IgmpPacket;
  assert.equal(report.type, 0x16);
  assert.equal(report.maxRespCode, 0);
  assert.equal(report.group, ip('239.1.2.4'));
  assert.deepStrictEqual(parseIgmp(report), { kind: 'reportV2', group: ip('239.1.2.4') });
  const leave = IgmpPacket.checked(V2_LEAVE) as IgmpPacket;
  const repr = parseIgmp(leave);
  assert.deepStrictEqual(repr, { kind: 'leave', group: ip('239.1.2.4') });
  assert.deepStrictEqual(igmpMembershipChanges(repr as IgmpRepr), [
    { group: ip('239.1.2.4'), join: false },
  ]);
  assert.deepStrictEqual(igmpMembershipChanges({ kind: 'reportV1', group: ip('239.1.2.3') }), [
    { group: ip('239.1.2.3'), join: true },
  ]);
});

test('IgmpPacket reads the captured v3 general query', () => {
  const pkt = IgmpPacket.checked(V3_GENERAL_QUERY);
  assert.ok(pkt);
  assert.equal(pkt.queryVersion, 3);
  assert.equal(pkt.maxRespCode, 100);
  assert.equal(pkt.group, 0);
  assert.equal(pkt.suppressRouterSide, false);
  assert.equal(pkt.qrv, 2);
  assert.equal(pkt.qqic, 125);
  assert.equal(pkt.numSources, 0);
  const repr = parseIgmp(pkt);
  assert.deepStrictEqual(repr, {
    kind: 'queryV3',
    maxRespCode: 100,
    group: ip('0.0.0.0'),
    suppressRouterSide: false,
    qrv: 2,
    qqic: 125,
    sources: [],
  });
  assert.deepStrictEqual(igmpMembershipChanges(repr as IgmpRepr), []);
});

test('IgmpPacket tells v1, v2 and v3 queries apart by length and Max Resp Time', () => {
  const v1 = IgmpPacket.checked(V1_QUERY) as IgmpPacket;
  assert.equal(v1.queryVersion, 1);
  assert.deepStrictEqual(parseIgmp(v1), { kind: 'query', maxRespCode: 0, group: ip('0.0.0.0') });
  const v2 = IgmpPacket.checked(V2_QUERY) as IgmpPacket;
  assert.equal(v2.queryVersion, 2);
  assert.deepStrictEqual(parseIgmp(v2), { kind: 'query', maxRespCode: 100, group: ip('0.0.0.0') });
  const gs = IgmpPacket.checked(V2_GROUP_QUERY) as IgmpPacket;
  assert.deepStrictEqual(parseIgmp(gs), { kind: 'query', maxRespCode: 10, group: ip('239.1.2.4') });
  assert.deepStrictEqual(parseIgmp(IgmpPacket.checked(V1_REPORT) as IgmpPacket), {
    kind: 'reportV1',
    group: ip('239.1.2.3'),
  });
});

test('IgmpPacket reads a hand-written source-specific v3 query', () => {
  const pkt = IgmpPacket.checked(V3_GS_QUERY);
  assert.ok(pkt);
  assert.equal(pkt.checksumOk, true);
  assert.equal(pkt.suppressRouterSide, true);
  assert.equal(pkt.qrv, 2);
  assert.equal(pkt.numSources, 2);
  assert.equal(pkt.sourceAt(1), ip('10.99.0.6'));
  assert.deepStrictEqual(parseIgmp(pkt), {
    kind: 'queryV3',
    maxRespCode: 10,
    group: ip('239.1.2.3'),
    suppressRouterSide: true,
    qrv: 2,
    qqic: 125,
    sources: [ip('10.99.0.5'), ip('10.99.0.6')],
  });
});

test('IgmpPacket reads a hand-written v3 report with sources and aux data', () => {
  const repr = parseIgmp(IgmpPacket.checked(V3_REPORT) as IgmpPacket);
  assert.deepStrictEqual(repr, {
    kind: 'reportV3',
    records: [
      { type: 5, group: ip('239.1.2.3'), sources: [ip('10.99.0.5')], auxData: hex('deadbeef') },
      { type: 3, group: ip('239.1.2.4'), sources: [], auxData: new Uint8Array(0) },
    ],
  });
  assert.deepStrictEqual(igmpMembershipChanges(repr as IgmpRepr), [
    { group: ip('239.1.2.3'), join: true },
    { group: ip('239.1.2.4'), join: false },
  ]);
});

test('emitIgmp reproduces every vector in a 0xa5-filled buffer', () => {
  for (const vector of [
    V3_JOIN,
    V3_LEAVE,
    V2_REPORT,
    V2_LEAVE,
    V3_GENERAL_QUERY,
    V1_QUERY,
    V2_QUERY,
    V2_GROUP_QUERY,
    V1_REPORT,
    V3_GS_QUERY,
    V3_REPORT,
  ]) {
    const repr = parseIgmp(IgmpPacket.checked(vector) as IgmpPacket);
    assert.ok(repr, toHex(vector));
    assert.equal(igmpLen(repr), vector.length);
    const out = new Uint8Array(vector.length + 3).fill(0xa5);
    emitIgmp(repr, IgmpPacket.unchecked(out.subarray(0, vector.length)));
    assert.equal(toHex(out), toHex(vector) + 'a5a5a5');
  }
});

test('parseIgmp refuses bad checksums and router-protocol types', () => {
  const bad = V2_REPORT.slice();
  bad[7] = 5;
  assert.equal(parseIgmp(IgmpPacket.checked(bad) as IgmpPacket), null);
  for (const type of [0x13, 0x14, 0x1e, 0x1f, 0x00]) {
    const b = V2_REPORT.slice();
    b[0] = type;
    const pkt = IgmpPacket.unchecked(b);
    pkt.fillChecksum();
    assert.equal(parseIgmp(pkt), null, `type ${type}`);
  }
});

test('IgmpPacket.checked refuses truncations, 9-11 byte queries and overlong counts', () => {
  for (const vector of [V2_REPORT, V3_GS_QUERY, V3_REPORT, V3_JOIN]) {
    for (let n = 0; n < vector.length; n++) {
      const cut = vector.subarray(0, n);
      // An 8-byte prefix of a v3 query is a well-formed v2 query.
      if (n === 8 && vector[0] === 0x11) {
        assert.equal(IgmpPacket.checked(cut)?.queryVersion, 2);
        continue;
      }
      assert.equal(IgmpPacket.checked(cut), null, `${toHex(vector)} cut to ${n}`);
    }
  }
  // Source and record counts that promise more than is there.
  const q = V3_GS_QUERY.slice();
  q[11] = 3;
  assert.equal(IgmpPacket.checked(q), null);
  const r = V3_REPORT.slice();
  r[7] = 3;
  assert.equal(IgmpPacket.checked(r), null);
  const aux = V3_REPORT.slice();
  aux[9] = 2; // two words of aux data in the first record
  assert.equal(IgmpPacket.checked(aux), null);
  const nsrcs = V3_REPORT.slice();
  nsrcs[11] = 4;
  assert.equal(IgmpPacket.checked(nsrcs), null);
});

test('igmpv3DecodeCode decodes the exponential form (RFC 3376 §4.1.1)', () => {
  assert.equal(igmpv3DecodeCode(0), 0);
  assert.equal(igmpv3DecodeCode(100), 100);
  assert.equal(igmpv3DecodeCode(127), 127);
  assert.equal(igmpv3DecodeCode(0x80), 128); // (0 | 0x10) << 3
  assert.equal(igmpv3DecodeCode(0xff), 31744); // (15 | 0x10) << 10
});

const addrArb = fc.integer({ min: 0, max: 0xffffffff }).map((v): Ipv4Addr => ipv4(v));
const reprArb: fc.Arbitrary<IgmpRepr> = fc.oneof(
  fc
    .record({ maxRespCode: fc.integer({ min: 0, max: 255 }), group: addrArb })
    .map((r): IgmpRepr => ({ kind: 'query', ...r })),
  fc
    .record({
      maxRespCode: fc.integer({ min: 0, max: 255 }),
      group: addrArb,
      suppressRouterSide: fc.boolean(),
      qrv: fc.integer({ min: 0, max: 7 }),
      qqic: fc.integer({ min: 0, max: 255 }),
      sources: fc.array(addrArb, { maxLength: 5 }),
    })
    .map((r): IgmpRepr => ({ kind: 'queryV3', ...r })),
  fc
    .record({
      kind: fc.constantFrom<'reportV1' | 'reportV2' | 'leave'>('reportV1', 'reportV2', 'leave'),
      group: addrArb,
    })
    .map((r): IgmpRepr => ({ ...r })),
  fc
    .array(
      fc
        .record({
          type: fc.integer({ min: 0, max: 255 }),
          group: addrArb,
          sources: fc.array(addrArb, { maxLength: 4 }),
          auxData: fc
            .integer({ min: 0, max: 3 })
            .chain((w) => fc.uint8Array({ minLength: 4 * w, maxLength: 4 * w })),
        })
        .map((r) => ({ ...r })),
      { maxLength: 4 },
    )
    .map((records): IgmpRepr => ({ kind: 'reportV3', records })),
);

test('parseIgmp(emitIgmp(repr)) equals repr', () => {
  fc.assert(
    fc.property(reprArb, (repr) => {
      const buf = new Uint8Array(igmpLen(repr)).fill(0xa5);
      emitIgmp(repr, IgmpPacket.unchecked(buf));
      const pkt = IgmpPacket.checked(buf);
      assert.ok(pkt);
      assert.deepStrictEqual(parseIgmp(pkt), repr);
    }),
  );
});

test('IgmpPacket.checked never throws on random or mutated bytes', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 48 }),
      fc.array(fc.tuple(fc.nat(V3_REPORT.length - 1), fc.integer({ min: 0, max: 255 })), {
        maxLength: 4,
      }),
      (random, edits) => {
        const mutated = V3_REPORT.slice();
        for (const [i, v] of edits) mutated[i] = v;
        mutated[0] = 0x22;
        for (const bytes of [random, mutated]) {
          const pkt = IgmpPacket.checked(bytes);
          if (pkt === null) continue;
          parseIgmp(pkt);
          pkt.fillChecksum(); // so parsing goes past the checksum into the records
          const repr = parseIgmp(pkt);
          if (repr !== null) igmpMembershipChanges(repr);
        }
      },
    ),
  );
});
