// Hostile input: random and mutated frames into the IPv4, IPv6 and ARP receive paths
// never throw, and every frame that is not used is accounted for (a counted drop or a
// traced consume).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { addAddress } from '../../src/stack/inet.ts';
import { addAddress6 } from '../../src/stack/addrconf.ts';
import { NS_PER_SEC } from '../../src/stack/scheduler.ts';
import { SkBuff } from '../../src/stack/skb.ts';
import { openSocket } from '../../src/stack/socket.ts';
import { sysctlSet } from '../../src/stack/sysctl.ts';
import { buildEthernetIpv4Frame } from '../../src/wire/ipv4.ts';
import { ip4, ip6, link, netns, newKernel } from './helpers.ts';

function world() {
  const k = newKernel(21);
  const ns = netns(k, 'victim');
  const other = netns(k, 'other');
  const [dev, peer] = link(k, ns, 'eth0', other, 'eth0');
  addAddress(dev, { local: ip4('10.0.0.1'), prefixLen: 24 });
  addAddress6(dev, { addr: ip6('2001:db8::1'), prefixLen: 64 });
  sysctlSet(ns, 'net.ipv4.ip_forward', 1);
  sysctlSet(ns, 'net.ipv6.conf.all.forwarding', 1);
  const u = openSocket(ns, 4, 'udp');
  u.bind(null, 53);
  k.scheduler.runFor(3 * NS_PER_SEC);
  let accounted = 0;
  k.tracer = (e) => {
    if (e.kind === 'drop' || e.kind === 'consume') accounted++;
  };
  const inject = (frame: Uint8Array): void => {
    const skb = new SkBuff(frame.slice(), peer);
    skb.dev = peer;
    if (!k.ethTypeTrans(skb, dev)) return;
    k.netifReceiveSkb(skb);
    k.scheduler.runFor(10_000_000);
  };
  return { k, ns, dev, inject, count: () => accounted };
}

const ETHERTYPES = [0x0800, 0x86dd, 0x0806];

test('random payloads behind IPv4/IPv6/ARP headers never throw and are always accounted', () => {
  const w = world();
  fc.assert(
    fc.property(
      fc.constantFrom(...ETHERTYPES),
      fc.uint8Array({ minLength: 0, maxLength: 200 }),
      fc.boolean(),
      (type, body, toUs) => {
        const frame = new Uint8Array(14 + body.length);
        frame.set(toUs ? w.dev.address.bytes : [255, 255, 255, 255, 255, 255], 0);
        frame.set([2, 0, 0, 0, 0, 9], 6);
        frame[12] = type >>> 8;
        frame[13] = type & 0xff;
        frame.set(body, 14);
        const before = w.count();
        w.inject(frame);
        assert.ok(w.count() > before, 'a random frame must be dropped or consumed with a trace');
      },
    ),
    { numRuns: 400, seed: 42 },
  );
});

test('mutations of a valid UDP datagram never throw', () => {
  const w = world();
  const good = buildEthernetIpv4Frame(w.dev.address, w.dev.address, {
    src: ip4('10.0.0.2'),
    dst: ip4('10.0.0.1'),
    protocol: 17,
    ttl: 64,
    dscp: 0,
    ecn: 0,
    ident: 1,
    dontFrag: true,
    moreFrags: false,
    fragOffset: 0,
    options: new Uint8Array(0),
    payloadLen: 12,
  });
  good.payload.set([0, 99, 0, 53, 0, 12, 0, 0, 1, 2, 3, 4]);
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(good.frame.length - 1), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 6,
      }),
      fc.nat(8),
      (edits, cut) => {
        const f = good.frame.slice(0, good.frame.length - cut);
        for (const [i, v] of edits) if (i < f.length && i >= 12) f[i] = v;
        w.inject(f);
      },
    ),
    { numRuns: 400, seed: 7 },
  );
  assert.ok(w.ns.drops.size > 0);
});
