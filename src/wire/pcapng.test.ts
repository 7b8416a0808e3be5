import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hex } from './bytes.ts';
import { PcapngWriter, readPcapng } from './pcapng.ts';

test('PcapngWriter emits SHB, IDB and EPB byte for byte', () => {
  const w = new PcapngWriter();
  const id = w.addInterface('ab', 1, { snaplen: 65535 });
  w.writePacket(id, 0x1_0000_0002n, hex('aabbcc'), { comment: 'x', direction: 'outbound' });
  assert.equal(id, 0);
  assert.deepEqual(
    w.drain(),
    hex(`
      0a0d0d0a 1c000000 4d3c2b1a 0100 0000 ffffffffffffffff 1c000000   # SHB v1.0, length -1
      01000000 28000000 0100 0000 ffff0000                            # IDB EN10MB, snaplen
        0200 0200 61620000                                            # if_name "ab"
        0900 0100 09000000                                            # if_tsresol 9
        00000000 28000000                                             # endofopt, length
      06000000 38000000 00000000 01000000 02000000 03000000 03000000  # EPB if 0, ts, lens
        aabbcc00                                                      # data, padded
        0100 0100 78000000                                            # opt_comment "x"
        0200 0400 02000000                                            # epb_flags outbound
        00000000 38000000
    `),
  );
});

test('a block without options has no endofopt and the SHB carries its strings', () => {
  const w = new PcapngWriter({ userappl: 'ipvlan.ts' });
  const bytes = w.drain();
  assert.deepEqual(
    bytes,
    hex(`0a0d0d0a 30000000 4d3c2b1a 0100 0000 ffffffffffffffff
         0400 0900 6970766c616e2e7473000000 00000000 30000000`),
  );
  const id = w.addInterface('x');
  w.writePacket(id, 0, hex('01'));
  const epb = w.drain().subarray(40);
  assert.deepEqual(
    epb,
    hex('06000000 24000000 00000000 00000000 00000000 01000000 01000000 01000000 24000000'),
  );
});

test('readPcapng round-trips interfaces, timestamps, lengths, comments and directions', () => {
  const chunks: Uint8Array[] = [];
  const w = new PcapngWriter({ os: 'Linux', sink: (c) => chunks.push(c) });
  const a = w.addInterface('ns0/ipvl0', 1, { description: 'ipvlan l2 slave' });
  const b = w.addInterface('ns1/eth0', 1, { snaplen: 4 });
  const frame = hex('00112233445566778899');
  w.writePacket(a, 1_500_000_123n, frame, { comment: 'drop: OTHERHOST', direction: 'inbound' });
  w.writePacket(b, 2 ** 40, frame, { direction: 'outbound' });
  w.writePacket(a, 7, frame.subarray(0, 3), { origLen: 1500, comment: 'é ✓' });
  assert.equal(chunks.length, 6); // SHB, 2 IDB, 3 EPB
  const file = readPcapng(new Uint8Array(Buffer.concat(chunks)));
  assert.equal(file.error, null);
  assert.deepEqual(file.sections, [
    { littleEndian: true, versionMajor: 1, versionMinor: 0, os: 'Linux', comments: [] },
  ]);
  assert.deepEqual(file.interfaces, [
    {
      section: 0,
      linktype: 1,
      snaplen: 262144,
      name: 'ns0/ipvl0',
      description: 'ipvlan l2 slave',
      tsresol: 9,
      tsoffset: 0n,
    },
    { section: 0, linktype: 1, snaplen: 4, name: 'ns1/eth0', tsresol: 9, tsoffset: 0n },
  ]);
  assert.deepEqual(file.packets, [
    {
      interfaceId: 0,
      timeNs: 1_500_000_123n,
      origLen: 10,
      data: frame,
      comments: ['drop: OTHERHOST'],
      flags: 1,
      direction: 'inbound',
    },
    {
      interfaceId: 1,
      timeNs: 1_099_511_627_776n,
      origLen: 10,
      data: frame.subarray(0, 4),
      comments: [],
      flags: 2,
      direction: 'outbound',
    },
    { interfaceId: 0, timeNs: 7n, origLen: 1500, data: frame.subarray(0, 3), comments: ['é ✓'] },
  ]);
});

test('readPcapng reads a big-endian section with microsecond default and if_tsoffset', () => {
  const file = readPcapng(
    hex(`
      0a0d0d0a 0000001c 1a2b3c4d 0001 0000 ffffffffffffffff 0000001c
      00000001 00000020 0001 0000 00000000  000e 0008 0000000000000064  00000020
      00000006 00000024 00000000 00000000 000f4241 00000001 00000001 ee000000 00000024
    `),
  );
  assert.equal(file.error, null);
  assert.equal(file.sections[0]?.littleEndian, false);
  assert.equal(file.interfaces[0]?.tsresol, 6);
  assert.equal(file.interfaces[0]?.tsoffset, 100n);
  // 1000001 µs + 100 s
  assert.deepEqual(file.packets[0]?.timeNs, 101_000_001_000n);
  assert.deepEqual(file.packets[0]?.data, hex('ee'));
});

test('readPcapng maps per-section interface ids and reads simple packet blocks', () => {
  const w1 = new PcapngWriter();
  w1.addInterface('first');
  const w2 = new PcapngWriter();
  w2.addInterface('second', 1, { snaplen: 2 });
  const spb = hex('03000000 14000000 05000000 aabb0000 14000000');
  const file = readPcapng(new Uint8Array(Buffer.concat([w1.drain(), w2.drain(), spb])));
  assert.equal(file.error, null);
  assert.equal(file.sections.length, 2);
  assert.deepEqual(
    file.interfaces.map((i) => [i.section, i.name]),
    [
      [0, 'first'],
      [1, 'second'],
    ],
  );
  assert.deepEqual(file.packets, [
    { interfaceId: 1, timeNs: null, origLen: 5, data: hex('aabb'), comments: [] },
  ]);
});

test('readPcapng interprets a binary if_tsresol (2^-n)', () => {
  const file = readPcapng(
    hex(`
      0a0d0d0a 1c000000 4d3c2b1a 0100 0000 ffffffffffffffff 1c000000
      01000000 1c000000 0100 0000 00000000 0900 0100 8a000000 1c000000
      06000000 20000000 00000000 00000000 00080000 00000000 00000000 20000000
    `),
  );
  assert.equal(file.error, null);
  assert.equal(file.packets[0]?.timeNs, 2_000_000_000n); // 2048 / 1024 s
});

test('readPcapng reports broken framing and keeps what came before', () => {
  const w = new PcapngWriter();
  const id = w.addInterface('a');
  w.writePacket(id, 1, hex('0102'));
  w.writePacket(id, 2, hex('0304'));
  const bytes = w.drain();
  const cut = readPcapng(bytes.subarray(0, bytes.length - 4));
  assert.equal(cut.packets.length, 1);
  assert.match(cut.error ?? '', /bad block length/);
  const badTrailer = bytes.slice();
  badTrailer[bytes.length - 1] = 0x77;
  assert.match(readPcapng(badTrailer).error ?? '', /trailing block length/);
  assert.match(readPcapng(bytes.subarray(28 + 8)).error ?? '', /does not start with a section/);
  const unknownIf = bytes.slice();
  unknownIf[28 + 40 + 8] = 9; // first EPB (after the 28-byte SHB and 40-byte IDB): interface id
  const f = readPcapng(unknownIf);
  assert.equal(f.packets.length, 1);
  assert.match(f.error ?? '', /undefined interface 9/);
});

test('readPcapng never throws on random or mutated input', () => {
  const w = new PcapngWriter({ hardware: 'emu' });
  const a = w.addInterface('ns0/ipvl0', 1, { description: 'd' });
  w.writePacket(a, 123, hex('00112233445566'), { comment: 'why', direction: 'inbound' });
  w.writePacket(a, 456, hex('8899'));
  const valid = w.drain();
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      readPcapng(bytes);
    }),
  );
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 6,
      }),
      fc.nat(valid.length),
      (edits, cutAt) => {
        const bytes = valid.slice(0, cutAt);
        for (const [at, v] of edits) if (at < bytes.length) bytes[at] = v;
        const f = readPcapng(bytes);
        for (const p of f.packets) {
          assert.ok(p.interfaceId >= 0 && p.interfaceId < f.interfaces.length);
          assert.ok(p.data.length <= bytes.length);
        }
      },
    ),
    { numRuns: 2000 },
  );
});
