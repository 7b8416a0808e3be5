import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  Ipv6Addr,
  MacAddr,
  formatIpv4,
  formatPrefix,
  parseIpv4,
  parsePrefix,
  prefixContains,
  prefixNetwork,
} from './address.ts';

test('IPv6 text follows RFC 5952 and glibc inet_ntop', () => {
  const cases: [string, string][] = [
    ['::', '::'],
    ['::1', '::1'],
    ['FE80:0:0:0:5254:0:112:3456', 'fe80::5254:0:112:3456'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of two equal runs
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group stays
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['ff02::1:ff12:3456', 'ff02::1:ff12:3456'],
    ['1::', '1::'],
    ['2001:db8::', '2001:db8::'],
  ];
  for (const [input, want] of cases) assert.equal(Ipv6Addr.parse(input)?.toString(), want, input);
});

test('malformed IPv6 and IPv4 text is refused', () => {
  for (const bad of ['', ':::', '1::2::3', '12345::', 'g::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7'])
    assert.equal(Ipv6Addr.parse(bad), null, bad);
  for (const bad of ['', '1.2.3', '1.2.3.256', '01.2.3.4', '1.2.3.4.5', 'a.b.c.d'])
    assert.equal(parseIpv4(bad), null, bad);
});

test('IPv6 format then parse round-trips any address', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
      const a = Ipv6Addr.fromBytes(bytes);
      const b = Ipv6Addr.parse(a.toString());
      assert.ok(b !== null && b.equals(a), a.toString());
    }),
  );
});

test('MAC addresses parse and print in lower case', () => {
  const mac = MacAddr.parse('52:54:00:AB:cd:E');
  assert.equal(mac?.toString(), '52:54:00:ab:cd:0e');
  assert.equal(MacAddr.parse('52:54:00:ab:cd'), null);
  assert.equal(MacAddr.parse('52:54:00:ab:cd:123'), null);
  assert.ok(MacAddr.BROADCAST.isBroadcast && MacAddr.BROADCAST.isMulticast);
  assert.ok(mac?.isValidUnicast);
});

test('prefixes parse, contain and mask', () => {
  const p = parsePrefix('192.168.50.10/24');
  assert.ok(p);
  assert.equal(formatPrefix(p), '192.168.50.10/24');
  assert.equal(formatIpv4(prefixNetwork(p) as number as never), '192.168.50.0');
  assert.ok(prefixContains(p, parseIpv4('192.168.50.200') ?? (0 as never)));
  assert.ok(!prefixContains(p, parseIpv4('192.168.51.1') ?? (0 as never)));
  const v6 = parsePrefix('fe80::1/10');
  assert.ok(v6 && prefixContains(v6, Ipv6Addr.parse('febf::1') as Ipv6Addr));
  assert.equal(parsePrefix('10.0.0.1/33'), null);
});
