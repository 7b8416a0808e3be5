import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatIp } from '../../wire/address.ts';
import { Icmpv4Packet } from '../../wire/icmpv4.ts';
import { Ipv4Packet } from '../../wire/ipv4.ts';
import { Icmpv6Packet, icmpv6ChecksumOk } from '../../wire/icmpv6.ts';
import { Ipv6Packet } from '../../wire/ipv6.ts';
import { TcpPacket } from '../../wire/tcp.ts';
import { UdpPacket } from '../../wire/udp.ts';
import { addAddress } from '../inet.ts';
import { installInetStack } from '../stack.ts';
import type { SkBuff } from '../skb.ts';
import { nftRun } from './api.ts';
import { conntrackList } from './conntrack.ts';
import { nfHook, type NfInetHook, type NfProto } from './hooks.ts';
import { updateChecksumBytes } from './nat.ts';
import {
  echo4,
  echo6,
  icmp4,
  skbOf,
  tcp4,
  testHost,
  traverse,
  udp4,
  v4,
  type TestHost,
} from './test-packets.ts';

/** The IPv4 datagram of `skb` with every checksum verified by the wire views. */
function checkedV4(skb: SkBuff): { ip: Ipv4Packet; l4: Uint8Array } {
  const ip = Ipv4Packet.checked(skb.data.subarray(skb.network));
  assert.ok(ip);
  assert.ok(ip.checksumOk, 'IPv4 header checksum');
  const l4 = ip.payload;
  switch (ip.protocol) {
    case 1:
      assert.ok(Icmpv4Packet.checked(l4)?.checksumOk, 'ICMP checksum');
      break;
    case 6:
      assert.ok(TcpPacket.checked(l4)?.checksumOk(ip.src, ip.dst), 'TCP checksum');
      break;
    case 17:
      assert.ok(UdpPacket.checked(l4)?.checksumOk(ip.src, ip.dst), 'UDP checksum');
      break;
  }
  return { ip, l4 };
}

function router(rules: string): TestHost {
  const h = testHost();
  const r = nftRun(h.ns, rules);
  assert.equal(r.status, 0, r.stderr);
  return h;
}

const SNAT = `table ip nat {
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "eth1" snat to 192.0.2.1
  }
}`;

test('SNAT rewrites a forwarded ping and de-NATs the reply, checksums patched (RFC 1624)', () => {
  const h = router(SNAT);
  const req = skbOf(echo4('10.0.0.1', '198.51.100.7', 'echoRequest', 77), h.eth0);
  assert.equal(traverse(h.ns, 'ipv4', 'fwd', req, h.eth0, h.eth1), 'accept');
  const out = checkedV4(req);
  assert.equal(formatIp(out.ip.src), '192.0.2.1');
  assert.equal(formatIp(out.ip.dst), '198.51.100.7');
  assert.equal(Icmpv4Packet.checked(out.l4)?.echoIdent, 77);
  assert.equal(
    conntrackList(h.ns).stdout,
    'icmp     1 30 src=10.0.0.1 dst=198.51.100.7 type=8 code=0 id=77 [UNREPLIED] ' +
      'src=198.51.100.7 dst=192.0.2.1 type=0 code=0 id=77 mark=0 use=1\n',
  );
  const rep = skbOf(echo4('198.51.100.7', '192.0.2.1', 'echoReply', 77), h.eth1);
  assert.equal(traverse(h.ns, 'ipv4', 'fwd', rep, h.eth1, h.eth0), 'accept');
  const back = checkedV4(rep);
  assert.equal(formatIp(back.ip.src), '198.51.100.7');
  assert.equal(formatIp(back.ip.dst), '10.0.0.1');
});

test('two inside hosts using the same ICMP id get distinct ids on the outside', () => {
  const h = router(SNAT);
  const a = skbOf(echo4('10.0.0.1', '198.51.100.7', 'echoRequest', 5), h.eth0);
  const b = skbOf(echo4('10.0.0.2', '198.51.100.7', 'echoRequest', 5), h.eth0);
  traverse(h.ns, 'ipv4', 'fwd', a, h.eth0, h.eth1);
  traverse(h.ns, 'ipv4', 'fwd', b, h.eth0, h.eth1);
  const idA = Icmpv4Packet.checked(checkedV4(a).l4)?.echoIdent;
  const idB = Icmpv4Packet.checked(checkedV4(b).l4)?.echoIdent;
  assert.equal(idA, 5);
  assert.equal(idB, 6);
  const rep = skbOf(echo4('198.51.100.7', '192.0.2.1', 'echoReply', 6), h.eth1);
  traverse(h.ns, 'ipv4', 'fwd', rep, h.eth1, h.eth0);
  const back = checkedV4(rep);
  assert.equal(formatIp(back.ip.dst), '10.0.0.2');
  assert.equal(Icmpv4Packet.checked(back.l4)?.echoIdent, 5);
});

test('DNAT port forwarding rewrites address and port of UDP both ways', () => {
  const h = router(`table ip nat {
    chain pre {
      type nat hook prerouting priority dstnat; policy accept;
      ip daddr 192.0.2.1 udp dport 80 dnat to 10.0.0.2:8080
    }
  }`);
  const q = skbOf(udp4('203.0.113.5', '192.0.2.1', 5000, 80), h.eth1);
  traverse(h.ns, 'ipv4', 'fwd', q, h.eth1, h.eth0);
  const fwd = checkedV4(q);
  assert.equal(formatIp(fwd.ip.dst), '10.0.0.2');
  assert.equal(UdpPacket.checked(fwd.l4)?.dstPort, 8080);
  const r = skbOf(udp4('10.0.0.2', '203.0.113.5', 8080, 5000), h.eth0);
  traverse(h.ns, 'ipv4', 'fwd', r, h.eth0, h.eth1);
  const rev = checkedV4(r);
  assert.equal(formatIp(rev.ip.src), '192.0.2.1');
  assert.equal(UdpPacket.checked(rev.l4)?.srcPort, 80);
});

test('SNAT of TCP keeps the TCP checksum valid', () => {
  const h = router(SNAT);
  const syn = skbOf(tcp4('10.0.0.1', '198.51.100.7', 40000, 443, 0x02), h.eth0);
  traverse(h.ns, 'ipv4', 'fwd', syn, h.eth0, h.eth1);
  assert.equal(formatIp(checkedV4(syn).ip.src), '192.0.2.1');
  const synack = skbOf(tcp4('198.51.100.7', '192.0.2.1', 443, 40000, 0x12), h.eth1);
  traverse(h.ns, 'ipv4', 'fwd', synack, h.eth1, h.eth0);
  assert.equal(formatIp(checkedV4(synack).ip.dst), '10.0.0.1');
});

test('an ICMP error about a SNATed flow is translated back, quote included', () => {
  const h = router(SNAT);
  const sent = skbOf(udp4('10.0.0.1', '198.51.100.7', 40000, 9), h.eth0);
  traverse(h.ns, 'ipv4', 'fwd', sent, h.eth0, h.eth1);
  const onWire = checkedV4(sent).ip.bytes.slice(0, 28);
  const err = skbOf(
    icmp4('198.51.100.7', '192.0.2.1', {
      kind: 'destUnreachable',
      code: 3,
      nextHopMtu: 0,
      data: onWire,
    }),
    h.eth1,
  );
  traverse(h.ns, 'ipv4', 'fwd', err, h.eth1, h.eth0);
  const back = checkedV4(err);
  assert.equal(formatIp(back.ip.dst), '10.0.0.1');
  const inner = Ipv4Packet.checkedQuoted(back.l4.subarray(8));
  assert.ok(inner?.checksumOk);
  assert.equal(formatIp(inner.src), '10.0.0.1');
});

test('masquerade takes the outgoing device address (inet_select_addr)', () => {
  const h = testHost();
  installInetStack(h.kernel);
  h.kernel.devOpen(h.eth1);
  addAddress(h.eth1, { local: v4('192.0.2.77'), prefixLen: 24 });
  assert.equal(
    nftRun(
      h.ns,
      'add table ip n; add chain ip n p { type nat hook postrouting priority 100; }; add rule ip n p masquerade',
    ).status,
    0,
  );
  const req = skbOf(echo4('10.0.0.1', '198.51.100.7', 'echoRequest', 1), h.eth0);
  traverse(h.ns, 'ipv4', 'fwd', req, h.eth0, h.eth1);
  assert.equal(formatIp(checkedV4(req).ip.src), '192.0.2.77');
});

test('IPv6 SNAT patches the ICMPv6 pseudo-header checksum', () => {
  const h = router(`table ip6 n {
    chain p {
      type nat hook postrouting priority srcnat; policy accept;
      snat to 2001:db8:ffff::1
    }
  }`);
  const skb = skbOf(echo6('2001:db8::1', '2001:db8:1::9', 'echoRequest', 3), h.eth0);
  traverse(h.ns, 'ipv6', 'fwd', skb, h.eth0, h.eth1);
  const ip = Ipv6Packet.checked(skb.data);
  assert.ok(ip);
  assert.equal(ip.src.toString(), '2001:db8:ffff::1');
  const msg = Icmpv6Packet.checked(ip.payload);
  assert.ok(msg && icmpv6ChecksumOk(msg, ip.src, ip.dst));
});

test('updateChecksumBytes equals recomputation (RFC 1624) for random address changes', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 20, maxLength: 20 }),
      fc.uint8Array({ minLength: 4, maxLength: 4 }),
      (hdr, addr) => {
        const bytes = hdr.slice();
        bytes[0] = 0x45;
        const ip = Ipv4Packet.unchecked(bytes);
        ip.fillChecksum();
        const old = bytes.slice(12, 16);
        bytes.set(addr, 12);
        ip.setChecksum(updateChecksumBytes(ip.checksum, old, addr));
        assert.ok(ip.checksumOk);
      },
    ),
  );
});

test('property: random bytes through every hook with conntrack, NAT and rules never throw', () => {
  const h = router(`table inet f {
    chain pre { type nat hook prerouting priority dstnat; policy accept; ip daddr 10.0.0.1 dnat ip to 10.0.0.2 }
    chain post { type nat hook postrouting priority srcnat; policy accept; oifname "eth1" snat ip to 192.0.2.1 }
    chain in { type filter hook input priority 0; policy accept; ct state invalid counter; tcp dport 22 counter; icmpv6 type echo-request counter }
  }`);
  const hooks: NfInetHook[] = ['prerouting', 'input', 'forward', 'output', 'postrouting'];
  const seeds = [
    echo4('10.0.0.9', '10.0.0.1', 'echoRequest', 1),
    udp4('10.0.0.9', '10.0.0.1', 1, 2),
    tcp4('1.2.3.4', '10.0.0.1', 3, 22, 2),
    echo6('::1', '::2', 'echoRequest', 1),
  ];
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 120 }),
        fc
          .tuple(
            fc.constantFrom(...seeds),
            fc.array(fc.tuple(fc.nat(119), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
          )
          .map(([seed, edits]) => {
            const b = seed.slice();
            for (const [i, v] of edits) if (i < b.length) b[i] = v;
            return b;
          }),
      ),
      fc.constantFrom<NfProto>('ipv4', 'ipv6'),
      fc.array(fc.constantFrom(...hooks), { minLength: 1, maxLength: 4 }),
      (bytes, pf, path) => {
        const skb = skbOf(bytes, h.eth0);
        for (const hook of path) {
          const v = nfHook(h.ns, pf, hook, skb, h.eth0, h.eth1);
          assert.ok(v === 'accept' || v === 'drop' || v === 'stolen');
        }
      },
    ),
    { numRuns: 500 },
  );
});
