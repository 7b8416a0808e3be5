import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Ipv6Addr } from './address.ts';
import { hex, toHex } from './bytes.ts';
import { Icmpv6Packet, icmpv6ChecksumOk } from './icmpv6.ts';
import { IPV6_ALL_MLDV2_ROUTERS, Ipv6Packet, ipv6UpperLayer } from './ipv6.ts';
import {
  MLD2_ALLOW_NEW_SOURCES,
  MLD2_CHANGE_TO_EXCLUDE,
  MLD2_CHANGE_TO_INCLUDE,
  MldPacket,
  buildMldPacket,
  buildMldv2Report,
  emitMld,
  mldCheck,
  mldLen,
  mldv2JoinRecord,
  mldv2LeaveRecord,
  mldv2MaxResponseDelay,
  mldv2QueryInterval,
  parseMld,
  type MldIpHeader,
  type MldRepr,
} from './mld.ts';

const addr = (text: string): Ipv6Addr => Ipv6Addr.parse(text) as Ipv6Addr;
const LL_A = addr('fe80::5054:ff:fe12:3456');
const ROUTER = addr('fe80::1');

// Captured on Linux 6.18 (veth between two namespaces, tcpdump -w, Ethernet header
// removed; tcpdump -vv "[icmp6 sum ok]"). After DAD, Linux reports its two
// solicited-node groups (ff02::1:ff00:1 for 2001:db8::1, ff02::1:ff12:3456).
const REPORT2 = hex(`
  6000 0000 0038 0001 fe80 0000 0000 0000 5054 00ff fe12 3456   # hop limit 1, HBH
  ff02 0000 0000 0000 0000 0000 0000 0016
  3a00 0502 0000 0100                       # Router Alert 0 (MLD), PadN
  8f00 b6c9 0000 0002                       # MLDv2 report, 2 records
  0400 0000 ff02 0000 0000 0000 0000 0001 ff00 0001             # CHANGE_TO_EXCLUDE {}
  0400 0000 ff02 0000 0000 0000 0000 0001 ff12 3456
`);
// A python3 socket joining ff02::1234 (IPV6_JOIN_GROUP), then leaving it.
const JOIN = hex(`
  6000 0000 0024 0001 fe80 0000 0000 0000 5054 00ff fe12 3456
  ff02 0000 0000 0000 0000 0000 0000 0016 3a00 0502 0000 0100
  8f00 da1a 0000 0001 0400 0000 ff02 0000 0000 0000 0000 0000 0000 1234
`);
const LEAVE = hex(`
  6000 0000 0024 0001 fe80 0000 0000 0000 5054 00ff fe12 3456
  ff02 0000 0000 0000 0000 0000 0000 0016 3a00 0502 0000 0100
  8f00 db1a 0000 0001 0300 0000 ff02 0000 0000 0000 0000 0000 0000 1234   # TO_IN {}
`);

// Made by hand from the RFC 2710 / RFC 3810 layouts (no querier was captured); the
// checksums come from an independent python3 script (RFC 1071 over the RFC 8200 §8.1
// pseudo-header) that reproduces the captured checksums above.
// General MLDv2 query: max response 10000 ms, QRV 2, QQIC 125.
const QUERY2 = hex(`
  6000 0000 0024 0001 fe80 0000 0000 0000 0000 0000 0000 0001
  ff02 0000 0000 0000 0000 0000 0000 0001 3a00 0502 0000 0100
  8200 5696 2710 0000 0000 0000 0000 0000 0000 0000 0000 0000 027d 0000
`);
// Group-and-source-specific query for ff05::1: S set, QRV 2, exponential code 0x8c40.
const QUERY2_GS = hex(`
  6000 0000 0044 0001 fe80 0000 0000 0000 0000 0000 0000 0001
  ff05 0000 0000 0000 0000 0000 0000 0001 3a00 0502 0000 0100
  8200 8eb4 8c40 0000 ff05 0000 0000 0000 0000 0000 0000 0001
  0a7d 0002                                 # S|QRV 2, QQIC 125, 2 sources
  2001 0db8 0000 0000 0000 0000 0000 0009 2001 0db8 0000 0000 0000 0000 0000 000a
`);
const QUERY1 = hex(`
  6000 0000 0020 0001 fe80 0000 0000 0000 0000 0000 0000 0001
  ff02 0000 0000 0000 0000 0000 0000 0001 3a00 0502 0000 0100
  8200 5917 2710 0000 0000 0000 0000 0000 0000 0000 0000 0000
`);
const REPORT1 = hex(`
  6000 0000 0020 0001 fe80 0000 0000 0000 5054 00ff fe12 3456
  ff02 0000 0000 0000 0000 0000 0000 1234 3a00 0502 0000 0100
  8300 d801 0000 0000 ff02 0000 0000 0000 0000 0000 0000 1234
`);
const DONE1 = hex(`
  6000 0000 0020 0001 fe80 0000 0000 0000 5054 00ff fe12 3456
  ff02 0000 0000 0000 0000 0000 0000 0002 3a00 0502 0000 0100
  8400 e933 0000 0000 ff02 0000 0000 0000 0000 0000 0000 1234
`);
// MLDv2 report with ALLOW_NEW_SOURCES for ff3e::8000:1, two sources, one aux word.
const REPORT2_SOURCES = hex(`
  6000 0000 0048 0001 fe80 0000 0000 0000 5054 00ff fe12 3456
  ff02 0000 0000 0000 0000 0000 0000 0016 3a00 0502 0000 0100
  8f00 71c7 0000 0001 0501 0002 ff3e 0000 0000 0000 0000 0000 8000 0001
  2001 0db8 0000 0000 0000 0000 0000 0009 2001 0db8 0000 0000 0000 0000 0000 000a
  dead beef
`);

function mldOf(bytes: Uint8Array): { ip: Ipv6Packet; mld: MldPacket; routerAlert: number } {
  const ip = Ipv6Packet.checked(bytes);
  assert.ok(ip);
  const up = ipv6UpperLayer(ip);
  assert.ok(up && up.protocol === 58);
  const body = ip.packet.subarray(up.offset);
  const icmp = Icmpv6Packet.checked(body);
  assert.ok(icmp && icmpv6ChecksumOk(icmp, ip.src, ip.dst), 'checksum');
  const mld = MldPacket.checked(body);
  assert.ok(mld);
  return { ip, mld, routerAlert: up.routerAlert };
}

function ipOf(bytes: Uint8Array): MldIpHeader {
  const ip = Ipv6Packet.checked(bytes);
  assert.ok(ip);
  return { src: ip.src, dst: ip.dst };
}

/** Checks parse, build (whole packet with HBH) and emit (into 0xa5) against a vector. */
function roundTrip(bytes: Uint8Array, repr: MldRepr): void {
  const { ip, mld, routerAlert } = mldOf(bytes);
  assert.equal(mldCheck(ip, mld, routerAlert), null);
  assert.deepStrictEqual(parseMld(mld), repr);
  assert.equal(toHex(buildMldPacket(ipOf(bytes), repr)), toHex(bytes));
  const out = new Uint8Array(mldLen(repr)).fill(0xa5);
  emitMld(repr, MldPacket.unchecked(out), ip.src, ip.dst);
  assert.equal(toHex(out), toHex(bytes.subarray(48)));
}

test('MldPacket reads every field of a captured MLDv2 report', () => {
  const { ip, mld, routerAlert } = mldOf(REPORT2);
  assert.equal(ip.hopLimit, 1);
  assert.equal(routerAlert, 0);
  assert.equal(mld.msgType, 143);
  assert.equal(mld.code, 0);
  assert.equal(mld.checksum, 0xb6c9);
  assert.equal(mld.numRecords, 2);
  const join = (group: string) => mldv2JoinRecord(addr(group));
  roundTrip(REPORT2, {
    kind: 'v2Report',
    records: [join('ff02::1:ff00:1'), join('ff02::1:ff12:3456')],
  });
  const parsed = parseMld(mld);
  assert.ok(parsed.kind === 'v2Report');
  assert.equal(parsed.records[0]?.type, MLD2_CHANGE_TO_EXCLUDE);
});

test('buildMldv2Report announces a join and a leave exactly as Linux does', () => {
  const group = addr('ff02::1234');
  assert.equal(toHex(buildMldv2Report(LL_A, [mldv2JoinRecord(group)])), toHex(JOIN));
  assert.equal(toHex(buildMldv2Report(LL_A, [mldv2LeaveRecord(group)])), toHex(LEAVE));
  assert.equal(mldv2LeaveRecord(group).type, MLD2_CHANGE_TO_INCLUDE);
  assert.equal(ipOf(JOIN).dst.equals(IPV6_ALL_MLDV2_ROUTERS), true);
});

test('MLDv2 report records with sources and auxiliary data', () => {
  roundTrip(REPORT2_SOURCES, {
    kind: 'v2Report',
    records: [
      {
        type: MLD2_ALLOW_NEW_SOURCES,
        group: addr('ff3e::8000:1'),
        sources: [addr('2001:db8::9'), addr('2001:db8::a')],
        auxData: hex('dead beef'),
      },
    ],
  });
});

test('MLDv2 queries: general, and group-and-source-specific with S and an exponential code', () => {
  const { mld } = mldOf(QUERY2_GS);
  assert.equal(mld.isV2Query, true);
  assert.equal(mld.maxResponse, 0x8c40);
  assert.equal(mld.group.toString(), 'ff05::1');
  assert.equal(mld.suppress, true);
  assert.equal(mld.qrv, 2);
  assert.equal(mld.qqic, 125);
  assert.equal(mld.numSources, 2);
  assert.equal(mld.source(1).toString(), '2001:db8::a');
  roundTrip(QUERY2, {
    kind: 'v2Query',
    maxResponseCode: 10000,
    group: Ipv6Addr.UNSPECIFIED,
    suppress: false,
    qrv: 2,
    qqic: 125,
    sources: [],
  });
  roundTrip(QUERY2_GS, {
    kind: 'v2Query',
    maxResponseCode: 0x8c40,
    group: addr('ff05::1'),
    suppress: true,
    qrv: 2,
    qqic: 125,
    sources: [addr('2001:db8::9'), addr('2001:db8::a')],
  });
});

test('MLDv2 code decoding (RFC 3810 §5.1.3 and §5.1.9)', () => {
  assert.equal(mldv2MaxResponseDelay(10000), 10000);
  assert.equal(mldv2MaxResponseDelay(0x7fff), 0x7fff);
  assert.equal(mldv2MaxResponseDelay(0x8c40), 0x1c40 << 3);
  assert.equal(mldv2MaxResponseDelay(0xffff), 0x1fff << 10);
  assert.equal(mldv2QueryInterval(125), 125);
  assert.equal(mldv2QueryInterval(0x80), 0x10 << 3);
  assert.equal(mldv2QueryInterval(0xff), 0x1f << 10);
});

test('MLDv1 query, report and done', () => {
  const { mld } = mldOf(QUERY1);
  assert.equal(mld.isV2Query, false);
  roundTrip(QUERY1, { kind: 'v1Query', maxResponseDelay: 10000, group: Ipv6Addr.UNSPECIFIED });
  roundTrip(REPORT1, { kind: 'v1Report', group: addr('ff02::1234') });
  roundTrip(DONE1, { kind: 'v1Done', group: addr('ff02::1234') });
});

test('MldPacket.checked refuses truncations, odd query lengths and overrunning lists', () => {
  for (const bytes of [REPORT2, REPORT2_SOURCES, QUERY2_GS, REPORT1, JOIN]) {
    const body = bytes.subarray(48);
    for (let len = 0; len < body.length; len++) {
      // A query cut to exactly 24 bytes is a valid MLDv1 query.
      if (body[0] === 130 && len === 24) continue;
      assert.equal(MldPacket.checked(body.subarray(0, len)), null, `type ${body[0]} len ${len}`);
    }
  }
  for (const len of [25, 26, 27]) {
    assert.equal(MldPacket.checked(QUERY2.subarray(48, 48 + len)), null, `query of ${len}`);
  }
  const moreSources = QUERY2_GS.slice(48);
  moreSources[27] = 3;
  assert.equal(MldPacket.checked(moreSources), null);
  const moreRecords = REPORT2.slice(48);
  moreRecords[7] = 3;
  assert.equal(MldPacket.checked(moreRecords), null);
  const recordSources = JOIN.slice(48);
  recordSources[11] = 1;
  assert.equal(MldPacket.checked(recordSources), null);
  const aux = JOIN.slice(48);
  aux[9] = 1;
  assert.equal(MldPacket.checked(aux), null);
  assert.equal(MldPacket.checked(hex('8000 0000 0000 0000')), null);
});

test('mldCheck wants a link-local source (or :: for reports), hop limit 1 and a Router Alert', () => {
  const check = (bytes: Uint8Array, edit: (b: Uint8Array) => void, ra = 0) => {
    const copy = bytes.slice();
    edit(copy);
    const ip = Ipv6Packet.checked(copy);
    assert.ok(ip);
    const mld = MldPacket.checked(copy.subarray(48));
    assert.ok(mld);
    return mldCheck(ip, mld, ra);
  };
  assert.equal(
    check(JOIN, () => undefined),
    null,
  );
  assert.equal(
    check(JOIN, (b) => b.fill(0, 8, 24)),
    null,
  );
  assert.equal(
    check(QUERY2, (b) => b.fill(0, 8, 24)),
    'sourceNotLinkLocal',
  );
  assert.equal(
    check(JOIN, (b) => (b[8] = 0x20)),
    'sourceNotLinkLocal',
  );
  assert.equal(
    check(QUERY1, (b) => (b[7] = 2)),
    'hopLimit',
  );
  assert.equal(
    check(REPORT1, () => undefined, -1),
    'noRouterAlert',
  );
});

const addrArb = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Ipv6Addr.fromBytes(b));
const reprArb: fc.Arbitrary<MldRepr> = fc.oneof(
  fc.record({
    kind: fc.constant('v1Query' as const),
    maxResponseDelay: fc.integer({ min: 0, max: 0xffff }),
    group: addrArb,
  }),
  fc.record({
    kind: fc.constant('v2Query' as const),
    maxResponseCode: fc.integer({ min: 0, max: 0xffff }),
    group: addrArb,
    suppress: fc.boolean(),
    qrv: fc.integer({ min: 0, max: 7 }),
    qqic: fc.integer({ min: 0, max: 255 }),
    sources: fc.array(addrArb, { maxLength: 3 }),
  }),
  fc.record({ kind: fc.constantFrom('v1Report' as const, 'v1Done' as const), group: addrArb }),
  fc.record({
    kind: fc.constant('v2Report' as const),
    records: fc.array(
      fc.record({
        type: fc.integer({ min: 0, max: 255 }),
        group: addrArb,
        sources: fc.array(addrArb, { maxLength: 3 }),
        auxData: fc
          .integer({ min: 0, max: 2 })
          .chain((n) => fc.uint8Array({ minLength: 4 * n, maxLength: 4 * n })),
      }),
      { maxLength: 3 },
    ),
  }),
);

/** Property-test records are null-prototype objects; compare them as plain ones. */
function plain(repr: MldRepr): MldRepr {
  if (repr.kind !== 'v2Report') return { ...repr };
  return { ...repr, records: repr.records.map((r) => ({ ...r })) };
}

test('parseMld(emitMld(repr)) equals repr, with a valid checksum', () => {
  fc.assert(
    fc.property(reprArb, (repr) => {
      const built = buildMldPacket({ src: ROUTER, dst: LL_A }, repr);
      const { mld } = mldOf(built);
      assert.deepStrictEqual(parseMld(mld), plain(repr));
    }),
  );
});

test('checked() and parseMld never throw on random or mutated bytes', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 96 }),
      fc.constantFrom(130, 131, 132, 143),
      (body, type) => {
        const bytes = body.slice();
        if (bytes.length > 0) bytes[0] = type;
        const mld = MldPacket.checked(bytes);
        if (mld !== null) parseMld(mld);
      },
    ),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(
      fc.constantFrom(REPORT2, REPORT2_SOURCES, QUERY2_GS, QUERY1),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 4,
      }),
      (orig, edits) => {
        const body = orig.slice(48);
        for (const [at, value] of edits) body[at % body.length] = value;
        const mld = MldPacket.checked(body);
        if (mld !== null) parseMld(mld);
      },
    ),
    { numRuns: 2000 },
  );
});
