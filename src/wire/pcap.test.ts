import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hex } from './bytes.ts';
import { PcapWriter, readPcap, concatChunks } from './pcap.ts';

const FRAME = hex('ffffffffffff 020000000001 0806 0001 0800 0604 0001');

test('PcapWriter emits the nanosecond file header and a record, byte for byte', () => {
  const w = new PcapWriter({ snaplen: 65535 });
  w.writePacket(3_000_000_007n, FRAME);
  assert.deepEqual(
    w.drain(),
    hex(`
      4d3cb2a1 0200 0400 00000000 00000000 ffff0000 01000000  # magic ns, v2.4, snaplen, EN10MB
      03000000 07000000 16000000 16000000                      # 3 s + 7 ns, caplen 22, len 22
      ffffffffffff 020000000001 0806 0001 0800 0604 0001
    `),
  );
});

test('PcapWriter in microseconds truncates the fraction and cuts at the snaplen', () => {
  const w = new PcapWriter({ resolution: 'us', snaplen: 16 });
  w.writePacket(1_000_002_999, FRAME);
  const out = w.drain();
  assert.deepEqual(
    out.subarray(0, 24),
    hex('d4c3b2a1 0200 0400 00000000 00000000 10000000 01000000'),
  );
  assert.deepEqual(out.subarray(24, 40), hex('01000000 02000000 10000000 16000000'));
  assert.deepEqual(out.subarray(40), FRAME.subarray(0, 16));
});

test('PcapWriter hands chunks to a sink as they are made', () => {
  const chunks: Uint8Array[] = [];
  const w = new PcapWriter({ sink: (c) => chunks.push(c) });
  w.writePacket(0, FRAME);
  w.writePacket(1, FRAME);
  assert.deepEqual(
    chunks.map((c) => c.length),
    [24, 16 + 22, 16 + 22],
  );
  assert.equal(w.drain().length, 0);
});

test('readPcap reads back what PcapWriter wrote (both resolutions)', () => {
  for (const resolution of ['us', 'ns'] as const) {
    const w = new PcapWriter({ resolution, snaplen: 20 });
    w.writePacket(5_123_456_789n, FRAME);
    w.writePacket(6_000_000_000n, FRAME.subarray(0, 10), 60);
    const file = readPcap(w.drain());
    assert.equal(file.error, null);
    assert.deepEqual(file.header, {
      versionMajor: 2,
      versionMinor: 4,
      snaplen: 20,
      linktype: 1,
      resolution,
      littleEndian: true,
    });
    assert.deepEqual(file.packets, [
      {
        timeNs: resolution === 'ns' ? 5_123_456_789n : 5_123_456_000n,
        origLen: 22,
        data: FRAME.subarray(0, 20),
      },
      { timeNs: 6_000_000_000n, origLen: 60, data: FRAME.subarray(0, 10) },
    ]);
  }
});

test('readPcap reads a big-endian microsecond file', () => {
  const file = readPcap(
    hex(`a1b2c3d4 0002 0004 00000000 00000000 0000ffff 00000001
         00000002 000003e8 00000002 00000040 abcd`),
  );
  assert.equal(file.error, null);
  assert.equal(file.header?.littleEndian, false);
  assert.equal(file.header?.resolution, 'us');
  assert.deepEqual(file.packets, [{ timeNs: 2_001_000_000n, origLen: 64, data: hex('abcd') }]);
});

test('readPcap reports damage and keeps the packets before it', () => {
  const w = new PcapWriter();
  w.writePacket(0, FRAME);
  w.writePacket(1, FRAME);
  const bytes = w.drain();
  const cut = readPcap(bytes.subarray(0, bytes.length - 3));
  assert.equal(cut.packets.length, 1);
  assert.match(cut.error ?? '', /runs past the end/);
  assert.match(readPcap(bytes.subarray(0, 30)).error ?? '', /truncated record header/);
  assert.equal(readPcap(hex('00112233')).header, null);
  assert.match(readPcap(new Uint8Array(24)).error ?? '', /bad magic 0x00000000/);
});

test('readPcap never throws on random or mutated input', () => {
  const w = new PcapWriter();
  w.writePacket(0, FRAME);
  w.writePacket(1, FRAME);
  const valid = w.drain();
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const f = readPcap(bytes);
      assert.ok(f.packets.length === 0 || f.header !== null);
    }),
  );
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), {
        maxLength: 8,
      }),
      fc.nat(valid.length),
      (edits, cutAt) => {
        const bytes = valid.slice(0, cutAt);
        for (const [at, v] of edits) if (at < bytes.length) bytes[at] = v;
        const f = readPcap(bytes);
        for (const p of f.packets) assert.ok(p.data.length <= bytes.length);
      },
    ),
  );
});

test('concatChunks joins in order', () => {
  assert.deepEqual(concatChunks([hex('01'), hex(''), hex('0203')]), hex('010203'));
});
