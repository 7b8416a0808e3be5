import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MacAddr } from './address.ts';
import { hex, toHex } from './bytes.ts';
import {
  ETHERNET_HEADER_LEN,
  ETHERNET_VLAN_HEADER_LEN,
  EthernetPacket,
  buildEthernetFrame,
  emitEthernet,
  ethernetHeaderLen,
  padEthernetFrame,
  parseEthernet,
  type EthernetRepr,
} from './ethernet.ts';

// An ARP request as Linux sends it (broadcast, 42 bytes before driver padding), written
// by hand from the IEEE 802.3 / RFC 826 layouts: 52:54:00:12:34:56 asks who-has 10.0.0.2.
const UNTAGGED = hex(`
  ffff ffff ffff  5254 0012 3456  0806      # dst, src, type ARP
  0001 0800 06 04 0001                      # ARP payload
  5254 0012 3456 0a00 0001 0000 0000 0000 0a00 0002
`);

// The same payload behind an 802.1Q tag: PCP 5, DEI 1, VID 100 (TCI 0xb064).
const TAGGED = hex(`
  ffff ffff ffff  5254 0012 3456  8100 b064 0806
  0001 0800 06 04 0001
  5254 0012 3456 0a00 0001 0000 0000 0000 0a00 0002
`);

const MAC_A = MacAddr.parse('52:54:00:12:34:56') as MacAddr;

test('EthernetPacket reads every field of an untagged frame', () => {
  const pkt = EthernetPacket.checked(UNTAGGED);
  assert.ok(pkt);
  assert.equal(pkt.dst.toString(), 'ff:ff:ff:ff:ff:ff');
  assert.equal(pkt.src.toString(), '52:54:00:12:34:56');
  assert.equal(pkt.dstKey, 0xffffffffffff);
  assert.equal(pkt.srcKey, 0x525400123456);
  assert.equal(pkt.dstIsMulticast, true);
  assert.equal(pkt.dstIsBroadcast, true);
  assert.equal(pkt.outerType, 0x0806);
  assert.equal(pkt.isVlanTagged, false);
  assert.equal(pkt.vlanTpid, 0);
  assert.equal(pkt.vlanId, 0);
  assert.equal(pkt.vlanPcp, 0);
  assert.equal(pkt.vlanDei, false);
  assert.equal(pkt.ethertype, 0x0806);
  assert.equal(pkt.headerLen, 14);
  assert.equal(toHex(pkt.payload), toHex(UNTAGGED.subarray(14)));
  assert.equal(pkt.payload.length, 28);
});

test('EthernetPacket reads every field of an 802.1Q-tagged frame', () => {
  const pkt = EthernetPacket.checked(TAGGED);
  assert.ok(pkt);
  assert.equal(pkt.outerType, 0x8100);
  assert.equal(pkt.isVlanTagged, true);
  assert.equal(pkt.vlanTpid, 0x8100);
  assert.equal(pkt.vlanTci, 0xb064);
  assert.equal(pkt.vlanPcp, 5);
  assert.equal(pkt.vlanDei, true);
  assert.equal(pkt.vlanId, 100);
  assert.equal(pkt.ethertype, 0x0806);
  assert.equal(pkt.headerLen, 18);
  assert.equal(toHex(pkt.payload), toHex(UNTAGGED.subarray(14)));
});

test('EthernetPacket recognises an 802.1ad service tag', () => {
  const bytes = TAGGED.slice();
  bytes[12] = 0x88;
  bytes[13] = 0xa8;
  const pkt = EthernetPacket.checked(bytes);
  assert.ok(pkt);
  assert.equal(pkt.vlanTpid, 0x88a8);
  assert.equal(pkt.vlanId, 100);
  assert.equal(pkt.ethertype, 0x0806);
  assert.deepStrictEqual(parseEthernet(pkt).vlan, { tpid: 0x88a8, pcp: 5, dei: true, vid: 100 });
});

test('a unicast destination is neither multicast nor broadcast', () => {
  const bytes = UNTAGGED.slice();
  bytes.set([0x02, 0, 0, 0, 0, 1], 0);
  const pkt = EthernetPacket.checked(bytes);
  assert.ok(pkt);
  assert.equal(pkt.dstIsMulticast, false);
  assert.equal(pkt.dstIsBroadcast, false);
  bytes[0] = 0x01; // 01:00:00:00:00:01 is a group address
  assert.equal(pkt.dstIsMulticast, true);
  assert.equal(pkt.dstIsBroadcast, false);
});

test('EthernetPacket.checked refuses every truncation of the header', () => {
  for (let n = 0; n < ETHERNET_HEADER_LEN; n++) {
    assert.equal(EthernetPacket.checked(UNTAGGED.subarray(0, n)), null, `length ${n}`);
  }
  assert.ok(EthernetPacket.checked(UNTAGGED.subarray(0, 14)));
  for (let n = 0; n < ETHERNET_VLAN_HEADER_LEN; n++) {
    assert.equal(EthernetPacket.checked(TAGGED.subarray(0, n)), null, `tagged length ${n}`);
  }
  const bare = EthernetPacket.checked(TAGGED.subarray(0, 18));
  assert.ok(bare);
  assert.equal(bare.payload.length, 0);
});

test('emitEthernet writes exactly the header bytes into a 0xa5-filled buffer', () => {
  const repr = parseEthernet(EthernetPacket.checked(UNTAGGED) as EthernetPacket);
  assert.deepStrictEqual(repr, {
    dst: MacAddr.BROADCAST,
    src: MAC_A,
    ethertype: 0x0806,
    vlan: null,
  });
  const out = new Uint8Array(UNTAGGED.length).fill(0xa5);
  emitEthernet(repr, EthernetPacket.unchecked(out));
  assert.equal(toHex(out.subarray(0, 14)), toHex(UNTAGGED.subarray(0, 14)));
  assert.ok(out.subarray(14).every((b) => b === 0xa5));

  const tagged = parseEthernet(EthernetPacket.checked(TAGGED) as EthernetPacket);
  assert.deepStrictEqual(tagged.vlan, { tpid: 0x8100, pcp: 5, dei: true, vid: 100 });
  assert.equal(ethernetHeaderLen(tagged), 18);
  const out2 = new Uint8Array(TAGGED.length).fill(0xa5);
  emitEthernet(tagged, EthernetPacket.unchecked(out2));
  assert.equal(toHex(out2.subarray(0, 18)), toHex(TAGGED.subarray(0, 18)));
  assert.ok(out2.subarray(18).every((b) => b === 0xa5));
});

test('setters edit the frame in place', () => {
  const bytes = TAGGED.slice();
  const pkt = EthernetPacket.checked(bytes) as EthernetPacket;
  pkt.setEthertype(0x0800);
  assert.equal(toHex(bytes.subarray(12, 18)), '8100b0640800');
  pkt.setVlanTci(0x0fff);
  assert.equal(pkt.vlanId, 4095);
  pkt.setDst(MAC_A);
  pkt.setSrc(MacAddr.BROADCAST);
  assert.equal(toHex(bytes.subarray(0, 12)), '525400123456ffffffffffff');
  const flat = UNTAGGED.slice();
  (EthernetPacket.checked(flat) as EthernetPacket).setEthertype(0x86dd);
  assert.equal(toHex(flat.subarray(12, 14)), '86dd');
});

test('buildEthernetFrame allocates one frame and hands back the payload window', () => {
  const { frame, payload } = buildEthernetFrame(MacAddr.BROADCAST, MAC_A, 0x0806, 28);
  assert.equal(frame.length, 42);
  assert.equal(payload.buffer, frame.buffer);
  assert.equal(payload.byteOffset, 14);
  payload.set(UNTAGGED.subarray(14));
  assert.equal(toHex(frame), toHex(UNTAGGED));

  const tagged = buildEthernetFrame(MacAddr.BROADCAST, MAC_A, 0x0806, 28, {
    tpid: 0x8100,
    pcp: 5,
    dei: true,
    vid: 100,
  });
  tagged.payload.set(UNTAGGED.subarray(14));
  assert.equal(toHex(tagged.frame), toHex(TAGGED));
});

test('padEthernetFrame pads short frames with zeros to 60 bytes', () => {
  const padded = padEthernetFrame(UNTAGGED);
  assert.equal(padded.length, 60);
  assert.equal(toHex(padded.subarray(0, 42)), toHex(UNTAGGED));
  assert.ok(padded.subarray(42).every((b) => b === 0));
  const long = new Uint8Array(64);
  assert.equal(padEthernetFrame(long), long);
});

const macArb = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => MacAddr.fromBytes(b));
const reprArb: fc.Arbitrary<EthernetRepr> = fc
  .record({
    dst: macArb,
    src: macArb,
    ethertype: fc.integer({ min: 0, max: 0xffff }).filter((t) => t !== 0x8100 && t !== 0x88a8),
    vlan: fc.option(
      fc
        .record({
          tpid: fc.constantFrom(0x8100, 0x88a8),
          pcp: fc.integer({ min: 0, max: 7 }),
          dei: fc.boolean(),
          vid: fc.integer({ min: 0, max: 4095 }),
        })
        .map((tag) => ({ ...tag })), // fc.record builds null-prototype objects
    ),
  })
  .map((repr) => ({ ...repr }));

test('parseEthernet(emitEthernet(repr)) equals repr', () => {
  fc.assert(
    fc.property(reprArb, fc.integer({ min: 0, max: 64 }), (repr, payloadLen) => {
      const buf = new Uint8Array(ethernetHeaderLen(repr) + payloadLen).fill(0xa5);
      emitEthernet(repr, EthernetPacket.unchecked(buf));
      const pkt = EthernetPacket.checked(buf);
      assert.ok(pkt);
      assert.deepStrictEqual(parseEthernet(pkt), repr);
      assert.equal(pkt.payload.length, payloadLen);
    }),
  );
});

test('EthernetPacket.checked never throws and getters stay in bounds on any bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
      const pkt = EthernetPacket.checked(bytes);
      if (pkt === null) return;
      const repr = parseEthernet(pkt);
      assert.ok(pkt.headerLen <= bytes.length);
      assert.equal(pkt.payload.length, bytes.length - pkt.headerLen);
      assert.equal(repr.dst.bytes.length, 6);
    }),
  );
});
