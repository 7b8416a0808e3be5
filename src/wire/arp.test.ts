import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MacAddr, ipv4, parseIpv4, type Ipv4Addr } from './address.ts';
import { hex, toHex } from './bytes.ts';
import {
  ARP_PACKET_LEN,
  ArpPacket,
  buildArpFrame,
  emitArp,
  parseArp,
  type ArpRepr,
} from './arp.ts';
import { EthernetPacket } from './ethernet.ts';

// Captured with tcpdump on a veth between two network namespaces (Linux 6.18, `ping
// 10.99.0.2` from 10.99.0.1 with an empty neighbour table); frames as the kernel sent them.
const REQUEST_FRAME = hex(`
  ffffffffffff 525400123456 0806
  0001 0800 06 04 0001 525400123456 0a630001 000000000000 0a630002
`);
const REPLY_FRAME = hex(`
  525400123456 525400abcdef 0806
  0001 0800 06 04 0002 525400abcdef 0a630002 525400123456 0a630001
`);

const MAC_A = MacAddr.parse('52:54:00:12:34:56') as MacAddr;
const MAC_B = MacAddr.parse('52:54:00:ab:cd:ef') as MacAddr;
const IP_A = parseIpv4('10.99.0.1') as Ipv4Addr;
const IP_B = parseIpv4('10.99.0.2') as Ipv4Addr;

const REQUEST: ArpRepr = {
  op: 'request',
  senderMac: MAC_A,
  senderIp: IP_A,
  targetMac: MacAddr.ZERO,
  targetIp: IP_B,
};
const REPLY: ArpRepr = {
  op: 'reply',
  senderMac: MAC_B,
  senderIp: IP_B,
  targetMac: MAC_A,
  targetIp: IP_A,
};

function arpOf(frame: Uint8Array): ArpPacket {
  const eth = EthernetPacket.checked(frame);
  assert.ok(eth);
  assert.equal(eth.ethertype, 0x0806);
  const pkt = ArpPacket.checked(eth.payload);
  assert.ok(pkt);
  return pkt;
}

test('ArpPacket reads every field of a captured request', () => {
  const pkt = arpOf(REQUEST_FRAME);
  assert.equal(pkt.hardwareType, 1);
  assert.equal(pkt.protocolType, 0x0800);
  assert.equal(pkt.hardwareLen, 6);
  assert.equal(pkt.protocolLen, 4);
  assert.equal(pkt.op, 1);
  assert.equal(pkt.senderMac.toString(), '52:54:00:12:34:56');
  assert.equal(pkt.senderMacKey, 0x525400123456);
  assert.equal(pkt.senderIp, 0x0a630001);
  assert.equal(pkt.targetMac.toString(), '00:00:00:00:00:00');
  assert.equal(pkt.targetMacKey, 0);
  assert.equal(pkt.targetIp, 0x0a630002);
  assert.deepStrictEqual(parseArp(pkt), REQUEST);
});

test('ArpPacket reads every field of a captured reply', () => {
  const pkt = arpOf(REPLY_FRAME);
  assert.equal(pkt.op, 2);
  assert.equal(pkt.senderMac.toString(), '52:54:00:ab:cd:ef');
  assert.equal(pkt.targetMacKey, 0x525400123456);
  assert.deepStrictEqual(parseArp(pkt), REPLY);
});

test('emitArp fills exactly 28 bytes of a 0xa5-filled buffer', () => {
  const out = new Uint8Array(32).fill(0xa5);
  emitArp(REPLY, ArpPacket.unchecked(out));
  assert.equal(toHex(out.subarray(0, 28)), toHex(REPLY_FRAME.subarray(14)));
  assert.equal(toHex(out.subarray(28)), 'a5a5a5a5');
});

test('buildArpFrame reproduces the captured frames', () => {
  assert.equal(toHex(buildArpFrame(REQUEST)), toHex(REQUEST_FRAME));
  assert.equal(toHex(buildArpFrame(REPLY)), toHex(REPLY_FRAME));
  const probe = buildArpFrame(REQUEST, { ethDst: MAC_B, ethSrc: MAC_B });
  assert.equal(toHex(probe.subarray(0, 12)), '525400abcdef525400abcdef');
  assert.equal(toHex(probe.subarray(14)), toHex(REQUEST_FRAME.subarray(14)));
});

test('ArpPacket.checked accepts Ethernet padding after the packet', () => {
  const padded = new Uint8Array(46);
  padded.set(REQUEST_FRAME.subarray(14));
  const pkt = ArpPacket.checked(padded);
  assert.ok(pkt);
  assert.deepStrictEqual(parseArp(pkt), REQUEST);
});

test('ArpPacket.checked refuses every truncation', () => {
  const body = REQUEST_FRAME.subarray(14);
  for (let n = 0; n < ARP_PACKET_LEN; n++)
    assert.equal(ArpPacket.checked(body.subarray(0, n)), null);
});

test('ArpPacket.checked refuses other hardware or protocol types and lengths', () => {
  const cases: Array<[number, number]> = [
    [1, 6], // htype 6 (IEEE 802)
    [3, 0xdd], // ptype 0x86dd
    [4, 8], // hlen 8
    [5, 16], // plen 16
  ];
  for (const [offset, value] of cases) {
    const bytes = REQUEST_FRAME.slice(14);
    bytes[offset] = value;
    assert.equal(ArpPacket.checked(bytes), null, `byte ${offset} = ${value}`);
  }
});

test('parseArp refuses operations other than request and reply', () => {
  for (const op of [0, 3, 4, 8, 9, 0x0101]) {
    const bytes = REQUEST_FRAME.slice(14);
    bytes[6] = op >> 8;
    bytes[7] = op & 0xff;
    const pkt = ArpPacket.checked(bytes);
    assert.ok(pkt);
    assert.equal(parseArp(pkt), null, `op ${op}`);
  }
});

test('setters edit the packet in place', () => {
  const bytes = REQUEST_FRAME.slice(14);
  const pkt = ArpPacket.checked(bytes) as ArpPacket;
  pkt.setOp(2);
  pkt.setTargetMac(MAC_B);
  pkt.setTargetIp(ipv4(0xc0a80001));
  pkt.setSenderIp(ipv4(0x01020304));
  pkt.setSenderMac(MacAddr.BROADCAST);
  assert.equal(toHex(bytes), '0001080006040002' + 'ffffffffffff01020304' + '525400abcdefc0a80001');
});

const macArb = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => MacAddr.fromBytes(b));
const ipArb = fc.integer({ min: 0, max: 0xffffffff }).map(ipv4);

test('parseArp(emitArp(repr)) equals repr', () => {
  fc.assert(
    fc.property(
      fc.constantFrom<'request' | 'reply'>('request', 'reply'),
      macArb,
      ipArb,
      macArb,
      ipArb,
      (op, senderMac, senderIp, targetMac, targetIp) => {
        const repr: ArpRepr = { op, senderMac, senderIp, targetMac, targetIp };
        const buf = new Uint8Array(ARP_PACKET_LEN).fill(0xa5);
        emitArp(repr, ArpPacket.unchecked(buf));
        const pkt = ArpPacket.checked(buf);
        assert.ok(pkt);
        assert.deepStrictEqual(parseArp(pkt), repr);
      },
    ),
  );
});

test('ArpPacket.checked never throws on random or mutated bytes', () => {
  const body = REQUEST_FRAME.slice(14);
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 40 }),
      fc.array(fc.tuple(fc.nat(27), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      (random, edits) => {
        for (const bytes of [random, body.slice()]) {
          if (bytes !== random) for (const [i, v] of edits) bytes[i] = v;
          const pkt = ArpPacket.checked(bytes);
          if (pkt === null) continue;
          const repr = parseArp(pkt);
          if (repr !== null) assert.equal(repr.senderMac.bytes.length, 6);
        }
      },
    ),
  );
});
