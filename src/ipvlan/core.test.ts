// Frame classification (TX-C-3): which key a frame is looked up by, for every
// EtherType ipvlan understands, and no key for anything malformed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Ipv6Addr, parseIpv4 } from '../wire/address.ts';
import { hex } from '../wire/bytes.ts';
import { frameKey } from './core.ts';

const ETH = '525400123456 525400abcdef';

test('TX-C-3: ARP classifies by target (dest) and sender (source) IP, whatever the opcode', () => {
  for (const op of ['0001', '0002', '0009']) {
    const arp = hex(`${ETH} 0806 0001 0800 0604 ${op} 525400abcdef c0a83201 000000000000 c0a8320b`);
    assert.equal(frameKey(arp, true), parseIpv4('192.168.50.11'));
    assert.equal(frameKey(arp, false), parseIpv4('192.168.50.1'));
  }
  // 27 bytes of ARP body are not enough (arp_hdr_len is 28).
  assert.equal(
    frameKey(
      hex(`${ETH} 0806 0001 0800 0604 0001 525400abcdef c0a83201 000000000000 c0a832`),
      true,
    ),
    undefined,
  );
});

test('TX-C-3: IPv4 needs version 4, IHL ≥ 5 and a total length that fits', () => {
  const ip = (vihl: string, totLen: string) =>
    hex(`${ETH} 0800 ${vihl}00 ${totLen} 0000 4000 4011 0000 0a000001 0a000002`);
  assert.equal(frameKey(ip('45', '0014'), true), parseIpv4('10.0.0.2'));
  assert.equal(frameKey(ip('45', '0014'), false), parseIpv4('10.0.0.1'));
  assert.equal(frameKey(ip('44', '0014'), true), undefined); // IHL 4
  assert.equal(frameKey(ip('65', '0014'), true), undefined); // version 6
  assert.equal(frameKey(ip('45', '0015'), true), undefined); // longer than the frame
  assert.equal(frameKey(ip('46', '0014'), true), undefined); // shorter than its header
});

test('TX-C-3: IPv6 keys by address; from :: only a Neighbour Solicitation has a key, its target, both ways', () => {
  const src = '20010db8000000000000000000000001';
  const dst = '20010db8000000000000000000000002';
  const udp6 = hex(`${ETH} 86dd 6000 0000 0008 1140 ${src} ${dst} 0001 0002 0008 0000`);
  assert.equal(frameKey(udp6, true), Ipv6Addr.parse('2001:db8::2')!.key);
  assert.equal(frameKey(udp6, false), Ipv6Addr.parse('2001:db8::1')!.key);
  const any = '00000000000000000000000000000000';
  const target = '20010db80000000000000000000000aa';
  const dad = hex(
    `${ETH} 86dd 6000 0000 0018 3aff ${any} ff0200000000000000000001ff0000aa 8700 0000 00000000 ${target}`,
  );
  assert.equal(frameKey(dad, true), Ipv6Addr.parse('2001:db8::aa')!.key);
  assert.equal(frameKey(dad, false), Ipv6Addr.parse('2001:db8::aa')!.key);
  const rs = hex(
    `${ETH} 86dd 6000 0000 0008 3aff ${any} ff020000000000000000000000000002 8500 0000 00000000`,
  );
  assert.equal(frameKey(rs, true), undefined);
  assert.equal(frameKey(dad.subarray(0, dad.length - 1), true), undefined); // NS cut inside the target
});

test('TX-C-3: other EtherTypes and runts have no key; no bytes make it throw', () => {
  assert.equal(frameKey(hex(`${ETH} 88b5 0000`), true), undefined);
  assert.equal(frameKey(hex('5254'), true), undefined);
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 120 }),
      fc.constantFrom(0x0800, 0x0806, 0x86dd),
      fc.boolean(),
      (bytes, type, dest) => {
        const frame = new Uint8Array(Math.max(14, bytes.length));
        frame.set(bytes);
        frame[12] = type >> 8;
        frame[13] = type & 0xff;
        const key = frameKey(frame, dest);
        assert.ok(key === undefined || typeof key === 'number' || typeof key === 'string');
      },
    ),
  );
});
