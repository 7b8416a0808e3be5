import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Ipv6Addr, MacAddr, ipv6KeyAt } from './address.ts';
import { hex, toHex } from './bytes.ts';
import { Icmpv6Packet, icmpv6ChecksumOk } from './icmpv6.ts';
import { IPV6_HEADER_LEN, Ipv6Packet, solicitedNodeMulticast } from './ipv6.ts';
import {
  ND_OPT_SOURCE_LL_ADDR,
  ND_OPT_TARGET_LL_ADDR,
  NDISC_TARGET_OFFSET,
  NdiscPacket,
  buildNdiscPacket,
  emitNdisc,
  findNdiscOption,
  ndiscCheck,
  ndiscLen,
  ndiscOptionsOk,
  parseNdisc,
  type NdiscIpHeader,
  type NdiscProblem,
  type NdiscRepr,
} from './ndisc.ts';

const addr = (text: string): Ipv6Addr => Ipv6Addr.parse(text) as Ipv6Addr;
const mac = (text: string): MacAddr => MacAddr.parse(text) as MacAddr;
const MAC_A = mac('52:54:00:12:34:56');
const MAC_B = mac('52:54:00:ab:cd:ef');
const LL_DEV1 = addr('fe80::5254:0:112:3456');
const LL_A = addr('fe80::5054:ff:fe12:3456');

// Captured on Linux 6.18 (veth between two namespaces, tcpdump -w, Ethernet header
// removed; tcpdump -vv "[icmp6 sum ok]"): namespace A's only address is the link-local
// an ipvlan slave with dev_id 1 gets from 52:54:00:12:34:56; it pings 2001:db8::2.
const NS = hex(`
  6000 0000 0020 3aff fe80 0000 0000 0000 5254 0000 0112 3456   # hlim 255, src
  ff02 0000 0000 0000 0000 0001 ff00 0002                       # solicited-node dst
  8700 3ee8 0000 0000                                           # NS, checksum, reserved
  2001 0db8 0000 0000 0000 0000 0000 0002                       # target
  0101 5254 0012 3456                                           # SLLA option
`);
// The answer (no forwarding: R clear; S and O set).
const NA = hex(`
  6000 0000 0020 3aff 2001 0db8 0000 0000 0000 0000 0000 0002
  fe80 0000 0000 0000 5254 0000 0112 3456
  8800 1301 6000 0000                                           # NA, S|O
  2001 0db8 0000 0000 0000 0000 0000 0002
  0201 5254 00ab cdef                                           # TLLA option
`);
// Same capture session, answering 2001:db8::1 from a namespace with forwarding on.
const NA_ROUTER = hex(`
  6000 0000 0020 3aff 2001 0db8 0000 0000 0000 0000 0000 0002
  2001 0db8 0000 0000 0000 0000 0000 0001
  8800 eb83 e000 0000                                           # NA, R|S|O
  2001 0db8 0000 0000 0000 0000 0000 0002
  0201 5254 00ab cdef
`);
// DAD probe for the EUI-64 link-local, with the RFC 7527 nonce option Linux adds.
const DAD_NS = hex(`
  6000 0000 0020 3aff 0000 0000 0000 0000 0000 0000 0000 0000   # src ::
  ff02 0000 0000 0000 0000 0001 ff12 3456
  8700 6f15 0000 0000
  fe80 0000 0000 0000 5054 00ff fe12 3456
  0e01 f109 54a1 0139                                           # nonce option
`);
const RS = hex(`
  6000 0000 0010 3aff fe80 0000 0000 0000 5054 00ff fe12 3456
  ff02 0000 0000 0000 0000 0000 0000 0002
  8500 71b5 0000 0000 0101 5254 0012 3456
`);

// Made by hand from the RFC 4861 §4.2 layout (no Linux router was captured): an RA
// from fe80::1 to all nodes, hop limit 64, O set, preference high (RFC 4191), lifetime
// 1800 s, reachable 30000 ms, retrans 1000 ms, SLLA, MTU 1500, prefix 2001:db8::/64 L A
// valid 86400 preferred 14400. Checksum by an independent python3 script (RFC 1071 over
// the RFC 8200 §8.1 pseudo-header) that reproduces the captured checksums above.
const RA = hex(`
  6000 0000 0040 3aff fe80 0000 0000 0000 0000 0000 0000 0001
  ff02 0000 0000 0000 0000 0000 0000 0001
  8600 938a 4048 0708 0000 7530 0000 03e8
  0101 5254 00ab cdef
  0501 0000 0000 05dc
  0304 40c0 0001 5180 0000 3840 0000 0000 2001 0db8 0000 0000 0000 0000 0000 0000
`);
// Made by hand (RFC 4861 §4.5), same provenance: fe80::1 redirects 2001:db8::1's
// traffic for 2001:db8:5::5 to fe80::2, quoting the first 40 bytes of a packet.
const REDIRECT = hex(`
  6000 0000 0060 3aff fe80 0000 0000 0000 0000 0000 0000 0001
  2001 0db8 0000 0000 0000 0000 0000 0001
  8900 b785 0000 0000
  fe80 0000 0000 0000 0000 0000 0000 0002                       # target
  2001 0db8 0005 0000 0000 0000 0000 0005                       # destination
  0201 5254 0000 0002                                           # TLLA
  0406 0000 0000 0000                                           # redirected header, 48 bytes
  6007 bf7f 0040 3a40 fe80 0000 0000 0000 5254 0000 0112 3456
  2001 0db8 0000 0000 0000 0000 0000 0002
`);

function ndOf(bytes: Uint8Array): { ip: Ipv6Packet; nd: NdiscPacket } {
  const ip = Ipv6Packet.checked(bytes);
  assert.ok(ip);
  const nd = NdiscPacket.checked(ip.payload);
  assert.ok(nd);
  const icmp = Icmpv6Packet.checked(ip.payload);
  assert.ok(icmp && icmpv6ChecksumOk(icmp, ip.src, ip.dst), 'checksum');
  return { ip, nd };
}

function ipOf(bytes: Uint8Array): NdiscIpHeader {
  const ip = Ipv6Packet.checked(bytes);
  assert.ok(ip);
  return { src: ip.src, dst: ip.dst };
}

/** Checks parse, build (whole packet) and emit (into 0xa5) against a vector. */
function roundTrip(bytes: Uint8Array, repr: NdiscRepr): void {
  const { nd } = ndOf(bytes);
  assert.deepStrictEqual(parseNdisc(nd), repr);
  assert.equal(toHex(buildNdiscPacket(ipOf(bytes), repr)), toHex(bytes));
  const out = new Uint8Array(ndiscLen(repr)).fill(0xa5);
  const ip = ipOf(bytes);
  emitNdisc(repr, NdiscPacket.unchecked(out), ip.src, ip.dst);
  assert.equal(toHex(out), toHex(bytes.subarray(IPV6_HEADER_LEN)));
}

test('NdiscPacket reads every field of a captured NS from an ipvlan-style link-local', () => {
  const { ip, nd } = ndOf(NS);
  assert.equal(ip.hopLimit, 255);
  assert.equal(ip.src.toString(), 'fe80::5254:0:112:3456');
  assert.equal(ip.dst.toString(), 'ff02::1:ff00:2');
  assert.equal(nd.msgType, 135);
  assert.equal(nd.code, 0);
  assert.equal(nd.checksum, 0x3ee8);
  assert.equal(nd.target.toString(), '2001:db8::2');
  assert.equal(nd.targetIsMulticast, false);
  assert.equal(ipv6KeyAt(nd.bytes, NDISC_TARGET_OFFSET), nd.target.key);
  assert.equal(toHex(nd.options), '0101525400123456');
  assert.equal(ndiscOptionsOk(nd.options), true);
  assert.equal(findNdiscOption(nd.options, ND_OPT_SOURCE_LL_ADDR), 0);
  assert.equal(findNdiscOption(nd.options, ND_OPT_TARGET_LL_ADDR), -1);
  assert.equal(ndiscCheck(ip, nd), null);
});

test('NS: parse, and build to the captured bytes with the solicited-node destination', () => {
  const target = addr('2001:db8::2');
  const repr: NdiscRepr = {
    kind: 'neighbourSolicitation',
    target,
    sourceLinkAddr: MAC_A,
    nonce: null,
  };
  roundTrip(NS, repr);
  const built = buildNdiscPacket({ src: LL_DEV1, dst: solicitedNodeMulticast(target) }, repr);
  assert.equal(toHex(built), toHex(NS));
});

test('captured DAD NS: from ::, no SLLA, a nonce', () => {
  const { ip, nd } = ndOf(DAD_NS);
  assert.equal(ip.srcIsUnspecified, true);
  assert.equal(ndiscCheck(ip, nd), null);
  roundTrip(DAD_NS, {
    kind: 'neighbourSolicitation',
    target: LL_A,
    sourceLinkAddr: null,
    nonce: hex('f109 54a1 0139'),
  });
});

test('captured NAs: flags, target and TLLA', () => {
  const { ip, nd } = ndOf(NA_ROUTER);
  assert.deepStrictEqual([nd.router, nd.solicited, nd.override], [true, true, true]);
  assert.equal(ndiscCheck(ip, nd), null);
  roundTrip(NA, {
    kind: 'neighbourAdvertisement',
    router: false,
    solicited: true,
    override: true,
    target: addr('2001:db8::2'),
    targetLinkAddr: MAC_B,
  });
  roundTrip(NA_ROUTER, {
    kind: 'neighbourAdvertisement',
    router: true,
    solicited: true,
    override: true,
    target: addr('2001:db8::2'),
    targetLinkAddr: MAC_B,
  });
});

test('captured RS with SLLA', () => {
  const { ip, nd } = ndOf(RS);
  assert.equal(ndiscCheck(ip, nd), null);
  roundTrip(RS, { kind: 'routerSolicitation', sourceLinkAddr: MAC_A });
});

test('RA: every field, options in order', () => {
  const { ip, nd } = ndOf(RA);
  assert.equal(nd.curHopLimit, 64);
  assert.equal(nd.raFlags, 0x48);
  assert.equal(nd.managed, false);
  assert.equal(nd.other, true);
  assert.equal(nd.routerPreference, 'high');
  assert.equal(nd.routerLifetime, 1800);
  assert.equal(nd.reachableTime, 30000);
  assert.equal(nd.retransTimer, 1000);
  assert.equal(nd.options.length, 48);
  assert.equal(ndiscCheck(ip, nd), null);
  roundTrip(RA, {
    kind: 'routerAdvertisement',
    curHopLimit: 64,
    managed: false,
    other: true,
    preference: 'high',
    routerLifetime: 1800,
    reachableTime: 30000,
    retransTimer: 1000,
    sourceLinkAddr: MAC_B,
    mtu: 1500,
    prefixes: [
      {
        prefixLength: 64,
        onLink: true,
        autonomous: true,
        validLifetime: 86400,
        preferredLifetime: 14400,
        prefix: addr('2001:db8::'),
      },
    ],
  });
});

test('Redirect: target, destination, TLLA and the redirected header', () => {
  const { ip, nd } = ndOf(REDIRECT);
  assert.equal(nd.target.toString(), 'fe80::2');
  assert.equal(nd.destination.toString(), '2001:db8:5::5');
  assert.equal(ndiscCheck(ip, nd), null);
  roundTrip(REDIRECT, {
    kind: 'redirect',
    target: addr('fe80::2'),
    destination: addr('2001:db8:5::5'),
    targetLinkAddr: mac('52:54:00:00:00:02'),
    redirectedHeader: REDIRECT.subarray(96),
  });
});

test('NdiscPacket.checked refuses each message cut below its fixed part, and non-ND types', () => {
  const cases: [Uint8Array, number][] = [
    [RS, 8],
    [RA, 16],
    [NS, 24],
    [NA, 24],
    [REDIRECT, 40],
  ];
  for (const [bytes, fixed] of cases) {
    const icmp = bytes.subarray(IPV6_HEADER_LEN);
    for (let len = 0; len < fixed; len++) {
      assert.equal(NdiscPacket.checked(icmp.subarray(0, len)), null, `type ${icmp[0]} len ${len}`);
    }
    assert.ok(NdiscPacket.checked(icmp.subarray(0, fixed)));
  }
  assert.equal(NdiscPacket.checked(hex('8000 0000 0000 0000')), null);
});

test('option walk: zero length and overruns make the packet invalid; unknown options are skipped', () => {
  const parseOpts = (options: string): NdiscRepr | null => {
    const nd = NdiscPacket.checked(hex(`8500 0000 0000 0000 ${options}`));
    assert.ok(nd);
    return parseNdisc(nd);
  };
  // RFC 4861 §4.6: a zero-length option, even an unknown one, invalidates the packet.
  assert.equal(parseOpts('0100 5254 0012 3456'), null);
  assert.equal(parseOpts('0101 5254 0012 3456 c800 0000 0000 0000'), null);
  assert.equal(ndiscOptionsOk(hex('0101 5254 0012 3456 c800 0000 0000 0000')), false);
  assert.equal(findNdiscOption(hex('c800 0000 0000 0000 0101 5254 0012 3456'), 1), -1);
  // Length running past the end, and a lone type byte.
  assert.equal(parseOpts('0102 5254 0012 3456'), null);
  assert.equal(parseOpts('0101 5254 0012 3456 01'), null);
  // A 16-byte link-layer address option is unusable on Ethernet (Linux drops).
  assert.equal(parseOpts('0102 5254 0012 3456 0000 0000 0000 0000'), null);
  // Unknown options are skipped; the first SLLA wins over a duplicate.
  assert.deepStrictEqual(parseOpts('c801 0000 0000 0000 0101 5254 0012 3456 0101 5254 00ab cdef'), {
    kind: 'routerSolicitation',
    sourceLinkAddr: MAC_A,
  });
  // A prefix option shorter than 32 bytes is ignored, as Linux does.
  const nd = NdiscPacket.checked(
    hex(`8600 0000 4000 0000 0000 0000 0000 0000 0301 4000 0000 0000`),
  );
  assert.ok(nd);
  const ra = parseNdisc(nd);
  assert.ok(ra !== null && ra.kind === 'routerAdvertisement');
  assert.deepStrictEqual(ra.prefixes, []);
});

/** Applies `edit` to a copy of `bytes` (IPv6 offsets), then runs ndiscCheck. */
function problem(bytes: Uint8Array, edit: (b: Uint8Array) => void): NdiscProblem | null {
  const copy = bytes.slice();
  edit(copy);
  const ip = Ipv6Packet.checked(copy);
  assert.ok(ip);
  const nd = NdiscPacket.checked(ip.payload);
  assert.ok(nd);
  return ndiscCheck(ip, nd);
}

test('ndiscCheck applies the stateless rules of RFC 4861 §6.1, §7.1 and §8.1', () => {
  const ff = (b: Uint8Array, at: number): void => {
    b[at] = 0xff;
  };
  assert.equal(
    problem(NS, (b) => (b[7] = 254)),
    'hopLimit',
  );
  assert.equal(
    problem(NA, (b) => (b[41] = 1)),
    'code',
  );
  assert.equal(
    problem(NS, (b) => (b[65] = 0)),
    'options',
  );
  assert.equal(
    problem(NS, (b) => ff(b, 48)),
    'multicastTarget',
  );
  assert.equal(
    problem(NA, (b) => ff(b, 48)),
    'multicastTarget',
  );
  // NS from :: to a unicast address, and from :: with an SLLA option.
  assert.equal(
    problem(DAD_NS, (b) => b.set(NS.subarray(48, 64), 24)),
    'dadDestination',
  );
  assert.equal(
    problem(NS, (b) => b.fill(0, 8, 24)),
    'unspecifiedSourceLinkAddr',
  );
  assert.equal(
    problem(RS, (b) => b.fill(0, 8, 24)),
    'unspecifiedSourceLinkAddr',
  );
  // A solicited NA sent to all nodes.
  assert.equal(
    problem(NA, (b) => b.set(RA.subarray(24, 40), 24)),
    'solicitedToMulticast',
  );
  assert.equal(
    problem(NA_ROUTER, (b) => (b[44] = 0xa0)),
    null,
  );
  // RA and Redirect from a global address.
  assert.equal(
    problem(RA, (b) => b.set(NA.subarray(8, 24), 8)),
    'sourceNotLinkLocal',
  );
  assert.equal(
    problem(REDIRECT, (b) => b.set(NA.subarray(8, 24), 8)),
    'sourceNotLinkLocal',
  );
  assert.equal(
    problem(REDIRECT, (b) => ff(b, 64)),
    'multicastDestination',
  );
  assert.equal(
    problem(REDIRECT, (b) => (b[48] = 0x20)),
    'redirectTarget',
  );
  // Target equal to the destination: the destination itself is on-link.
  assert.equal(
    problem(REDIRECT, (b) => b.copyWithin(48, 64, 80)),
    null,
  );
});

const addrArb = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Ipv6Addr.fromBytes(b));
const macArb = fc.option(
  fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => MacAddr.fromBytes(b)),
);
const u32 = fc.nat().map((n) => n >>> 0);
const reprArb: fc.Arbitrary<NdiscRepr> = fc.oneof(
  fc.record({ kind: fc.constant('routerSolicitation' as const), sourceLinkAddr: macArb }),
  fc.record({
    kind: fc.constant('routerAdvertisement' as const),
    curHopLimit: fc.integer({ min: 0, max: 255 }),
    managed: fc.boolean(),
    other: fc.boolean(),
    preference: fc.constantFrom(
      'medium' as const,
      'high' as const,
      'reserved' as const,
      'low' as const,
    ),
    routerLifetime: fc.integer({ min: 0, max: 0xffff }),
    reachableTime: u32,
    retransTimer: u32,
    sourceLinkAddr: macArb,
    mtu: fc.option(u32),
    prefixes: fc.array(
      fc.record({
        prefixLength: fc.integer({ min: 0, max: 128 }),
        onLink: fc.boolean(),
        autonomous: fc.boolean(),
        validLifetime: u32,
        preferredLifetime: u32,
        prefix: addrArb,
      }),
      { maxLength: 3 },
    ),
  }),
  fc.record({
    kind: fc.constant('neighbourSolicitation' as const),
    target: addrArb,
    sourceLinkAddr: macArb,
    // Nonces whose option ends on an 8-byte boundary (6, 14, ... bytes) round-trip exactly.
    nonce: fc.option(
      fc
        .integer({ min: 0, max: 2 })
        .chain((n) => fc.uint8Array({ minLength: 6 + 8 * n, maxLength: 6 + 8 * n })),
    ),
  }),
  fc.record({
    kind: fc.constant('neighbourAdvertisement' as const),
    router: fc.boolean(),
    solicited: fc.boolean(),
    override: fc.boolean(),
    target: addrArb,
    targetLinkAddr: macArb,
  }),
  fc.record({
    kind: fc.constant('redirect' as const),
    target: addrArb,
    destination: addrArb,
    targetLinkAddr: macArb,
    redirectedHeader: fc.option(
      fc
        .integer({ min: 0, max: 6 })
        .chain((n) => fc.uint8Array({ minLength: 8 * n, maxLength: 8 * n })),
    ),
  }),
);

/** Property-test records are null-prototype objects; compare them as plain ones. */
function plain(repr: NdiscRepr): NdiscRepr {
  return repr.kind === 'routerAdvertisement'
    ? { ...repr, prefixes: repr.prefixes.map((p) => ({ ...p })) }
    : { ...repr };
}

test('parseNdisc(emitNdisc(repr)) equals repr, with a valid checksum', () => {
  fc.assert(
    fc.property(reprArb, (repr) => {
      const built = buildNdiscPacket({ src: LL_A, dst: LL_DEV1 }, repr);
      const { ip, nd } = ndOf(built);
      assert.equal(ip.hopLimit, 255);
      assert.deepStrictEqual(parseNdisc(nd), plain(repr));
    }),
  );
});

function exercise(bytes: Uint8Array): void {
  const ip = Ipv6Packet.checked(bytes);
  if (ip === null) return;
  const nd = NdiscPacket.checked(ip.payload);
  if (nd === null) return;
  ndiscCheck(ip, nd);
  parseNdisc(nd);
  findNdiscOption(nd.options, ND_OPT_SOURCE_LL_ADDR);
}

test('checked(), parseNdisc and ndiscCheck never throw on random or mutated bytes', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 80 }),
      fc.integer({ min: 133, max: 137 }),
      (body, type) => {
        const nd = NdiscPacket.checked(body);
        if (nd !== null) parseNdisc(nd);
        const typed = body.slice();
        if (typed.length > 0) typed[0] = type;
        const out = new Uint8Array(IPV6_HEADER_LEN + typed.length);
        out.set(NS.subarray(0, IPV6_HEADER_LEN));
        out[4] = typed.length >>> 8;
        out[5] = typed.length & 0xff;
        out.set(typed, IPV6_HEADER_LEN);
        exercise(out);
      },
    ),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(
      fc.constantFrom(NS, NA, DAD_NS, RS, RA, REDIRECT),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 4,
      }),
      (orig, edits) => {
        const bytes = orig.slice();
        for (const [at, value] of edits) bytes[at % bytes.length] = value;
        exercise(bytes);
      },
    ),
    { numRuns: 2000 },
  );
});
